"""The settings in force at each node, and the weights as fractions.

A setting written on a node applies to that node and everything below it,
unless a node further down writes its own; settings written at the top level
of the index apply to the whole tree. So ``aggregate geometric`` on the index
makes every mean geometric, and ``aggregate arithmetic`` on one dimension
makes that dimension (and its sub-dimensions) arithmetic again.

Weights within a parent are rescaled to sum to one. With ``weights relative``
that is their meaning; with absolute weights (the default) they must already
sum to 100%, which :mod:`aiindex_dsl.checks` verifies, so rescaling only
removes rounding. Children written without weights share
their parent equally.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ir import Anchors, Index, Node, Normalization

DEFAULTS = {
    "aggregate": "arithmetic",
    "transform": "none",
    "direction": "positive",
    "impute": "none",
    "treat": "none",
    "weights": "absolute",
}
CASCADING = tuple(DEFAULTS) + ("normalization", "coverage")


@dataclass(frozen=True)
class Resolved:
    """One node with everything the compiler needs to know about it."""

    node: Node
    parent: str | None
    depth: int
    height: int
    weight: float
    effective_weight: float
    aggregate: str
    normalization: Normalization
    transform: str
    direction: str
    impute: str
    impute_by: str | None
    treat: str
    min_coverage: float

    @property
    def id(self) -> str:
        """The node's id."""
        return self.node.id

    @property
    def anchors(self) -> Anchors | None:
        """The anchors in force, when the node is normalized with anchors."""
        return self.normalization.anchors


def resolve(index: Index) -> dict[str, Resolved]:
    """Every node of the tree, root included, with its settings in force.

    >>> # index { aggregate geometric  dimension a { indicator x ... } }
    >>> # resolve(index)["x"].aggregate == "geometric"
    """
    resolved: dict[str, Resolved] = {}
    _visit(index.root, None, {}, 0, 1.0, 1.0, resolved)
    return resolved


def _visit(node, parent, inherited, depth, weight, effective, out) -> int:
    settings = dict(inherited)
    for name in CASCADING:
        value = getattr(node, name)
        if value is not None:
            settings[name] = value
    shares = child_weights(node, _setting(settings, "weights"))
    heights = [
        _visit(child, node.id, settings, depth + 1, share, effective * share, out)
        for child, share in zip(node.children, shares, strict=True)
    ]
    height = 0 if node.is_leaf or not heights else 1 + max(heights)
    out[node.id] = _resolved(node, parent, depth, height, weight, effective, settings)
    return height


def _resolved(node, parent, depth, height, weight, effective, settings) -> Resolved:
    impute = settings.get("impute")
    coverage = settings.get("coverage")
    return Resolved(
        node=node,
        parent=parent,
        depth=depth,
        height=height,
        weight=weight,
        effective_weight=effective,
        aggregate=_setting(settings, "aggregate"),
        normalization=settings.get("normalization") or Normalization(method="minmax"),
        transform=_setting(settings, "transform"),
        direction=_setting(settings, "direction"),
        impute=_setting(settings, "impute"),
        impute_by=impute.argument if impute is not None else None,
        treat=_setting(settings, "treat"),
        min_coverage=coverage.share if coverage is not None else 0.0,
    )


def _setting(settings: dict, name: str) -> str:
    value = settings.get(name)
    return value.value if value is not None else DEFAULTS[name]


def child_weights(node: Node, mode: str = "absolute") -> list[float]:
    """The weights of a node's children as fractions of the node.

    >>> # children weighted 2 and 1 under `weights relative` -> [2/3, 1/3]
    """
    children = node.children
    if not children:
        return []
    if all(child.weight is None for child in children):
        return [1 / len(children)] * len(children)
    raw = [child.weight.fraction if child.weight else 0.0 for child in children]
    total = sum(raw)
    return [w / total if total > 0 else 0.0 for w in raw]
