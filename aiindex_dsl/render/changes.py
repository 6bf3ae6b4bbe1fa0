"""What a definition that ``extends`` another changes against its parent.

Both indices are compared as composed and checked IR: units, sources and
variables by id, nodes of the tree by id (their title, weight, normalization,
anchors and other settings), and the effective weights the two trees give.
"""

from __future__ import annotations

from pathlib import Path

from ..fmt import quote, setting_text, years_text
from ..ir import Group, Index, Node
from ..resolve import resolve
from .content import percent, written_weight

# A node's own settings; its weight and anchors have tables of their own, and
# its place in the tree is what the comparison goes by.
NODE_FIELDS = tuple(
    field
    for field in Node.model_fields
    if field not in ("kind", "id", "weight", "normalization", "children", "span")
)


def parent_path(index: Index) -> Path | None:
    """The file the definition extends, relative to the definition's folder."""
    if index.extends is None or index.path is None:
        return None
    return Path(index.path).parent / index.extends


def compare(parent: Index, child: Index) -> dict:
    """Added, removed and changed units, sources, variables and nodes (the
    index's own header and settings among them, as its root), and changed
    weights and anchors."""
    nodes = _keyed(list(parent.nodes()), list(child.nodes()), "id", _node_text)
    header = _header(parent, child)
    if header:
        nodes["changed"].insert(0, {"id": child.id, "changes": header})
    return {
        "parent": parent.title or parent.id,
        "parent_id": parent.id,
        "units": _keyed(
            [*parent.units, *parent.groups],
            [*child.units, *child.groups],
            "code",
            _unit_text,
        ),
        "sources": _keyed(parent.sources, child.sources, "id", _source_text),
        "variables": _keyed(parent.variables, child.variables, "id", _plain),
        "nodes": nodes,
        "weights": _weights(parent, child),
        "anchors": _anchors(parent, child),
    }


def _header(parent: Index, child: Index) -> list[str]:
    """The index's header (version, scale, years) and the settings of its
    root (title, aggregate, coverage, normalization ...) that the child
    changes."""
    found = []
    if parent.version != child.version:
        found.append(f"version {_quoted(parent.version)} → {_quoted(child.version)}")
    scales = [(i.scale.low, i.scale.high) for i in (parent, child)]
    if scales[0] != scales[1]:
        before, after = (f"scale {lo:g} to {hi:g}" for lo, hi in scales)
        found.append(f"{before} → {after}")
    if parent.years != child.years:
        before, after = (years_text(i.years) or "(none)" for i in (parent, child))
        found.append(f"years {before} → years {after}")
    if parent.ranking.decimals != child.ranking.decimals:
        before, after = (_ranking(i) for i in (parent, child))
        found.append(f"{before} → {after}")
    unranked = [[u.code for u in i.unranked] for i in (parent, child)]
    if unranked[0] != unranked[1]:
        before, after = (_unranked(codes) for codes in unranked)
        found.append(f"{before} → {after}")
    return found + _differences(parent.root, child.root, _node_text)


def _ranking(index: Index) -> str:
    decimals = index.ranking.decimals
    if decimals is None:
        return "ranks on unrounded scores"
    return f"ranks rounded to {decimals} decimal{'' if decimals == 1 else 's'}"


def _unranked(codes: list[str]) -> str:
    return "unranked " + " ".join(quote(c, 0) for c in codes) if codes else "(none)"


def _quoted(text: str | None) -> str:
    return "(none)" if text is None else quote(text, 0)


def _keyed(before, after, key: str, describe) -> dict:
    old = {getattr(item, key): item for item in before}
    new = {getattr(item, key): item for item in after}
    changed = []
    for k in old.keys() & new.keys():
        differences = _differences(old[k], new[k], describe)
        if differences:
            changed.append({"id": k, "changes": differences})
    return {
        "added": [describe(new[k]) for k in new if k not in old],
        "removed": [describe(old[k]) for k in old if k not in new],
        "changed": sorted(changed, key=lambda c: c["id"]),
    }


def _differences(old, new, describe) -> list[str]:
    if isinstance(old, Node):
        # A leaf's normalization has a table of its own (see _anchors); a
        # dimension's, which its leaves inherit, is one of its settings.
        fields = NODE_FIELDS if old.is_leaf else (*NODE_FIELDS, "normalization")
    else:
        fields = tuple(
            f
            for f in type(old).model_fields
            if f not in ("span", "origin") and not f.endswith(("_span", "_spans"))
        )
    found = []
    for field in fields:
        a, b = getattr(old, field), getattr(new, field)
        if _comparable(a) == _comparable(b):
            continue
        if isinstance(old, Node) and field == "description" and a and b:
            found.append(" → ".join(_descriptions(a, b)))
        elif isinstance(old, Node):
            found.append(f"{_setting(field, a)} → {_setting(field, b)}")
        else:
            found.append(f"{field}: {_shown(a)} → {_shown(b)}")
    return found


def _setting(name: str, value) -> str:
    """A node's setting as the statement that writes it (``coverage 50%``);
    a description, which runs to paragraphs, only by its first words."""
    if value in (None, ()):
        return "(none)"
    if name == "title":
        return f"title {quote(value, 0)}"
    if name == "description":
        words = value.split()
        shown = " ".join(words[:WORDS]) + (" ..." if len(words) > WORDS else "")
        return f"description {quote(shown, 0)}"
    return setting_text(name, value, 0)


# How many words of a description the changes show.
WORDS = 8


def _descriptions(old: str, new: str) -> tuple[str, str]:
    """Two descriptions by a few words each, from just before the first word
    that differs, so that a change past their first words is seen."""
    a, b = old.split(), new.split()
    same = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
        min(len(a), len(b)),
    )
    start = max(0, same - 2) if same >= WORDS else 0

    def shown(words: list[str]) -> str:
        part = " ".join(words[start : start + WORDS])
        before = "... " if start else ""
        after = " ..." if len(words) > start + WORDS else ""
        return f"description {quote(before + part + after, 0)}"

    return shown(a), shown(b)


def _comparable(value):
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude={"span"})
    return value


def _shown(value) -> str:
    if value is None:
        return "(none)"
    if hasattr(value, "text") and isinstance(value.text, str):
        return value.text
    if hasattr(value, "value") and not isinstance(value, float | int):
        return str(value.value)
    if hasattr(value, "source") and hasattr(value, "selector"):
        return f'{value.source} "{value.selector}"'
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def _unit_text(unit) -> str:
    text = f"{unit.code} ({unit.name})" if unit.name else unit.code
    if not isinstance(unit, Group):
        return text
    by = f" by {unit.by}" if unit.by else ""
    rollup = unit.rollup.replace("_", " ")
    return f"{text}, a group of {', '.join(unit.members)}: {rollup}{by}"


def _source_text(source) -> str:
    return f"{source.id}: {source.title}" if source.title else source.id


def _plain(item) -> str:
    return item.id


def _node_text(node: Node) -> str:
    title = f" ({node.title})" if node.title else ""
    return f"{node.kind} {node.id}{title}"


def _weights(parent: Index, child: Index) -> list[dict]:
    old, new = resolve(parent), resolve(child)
    rows = []
    for node in child.nodes():
        before = old.get(node.id)
        after = new[node.id]
        parent_node = parent.node(node.id)
        if before is None or parent_node is None:
            continue
        written = (written_weight(parent_node), written_weight(node))
        effective = (percent(before.effective_weight), percent(after.effective_weight))
        moved = abs(before.effective_weight - after.effective_weight) > 1e-12
        if not moved and written[0] == written[1]:
            continue
        rows.append(
            {
                "id": node.id,
                "written_before": written[0],
                "written_after": written[1],
                "effective_before": effective[0],
                "effective_after": effective[1],
                "text": _weight_change(node.id, written, effective, moved),
            }
        )
    return rows


def _weight_change(node_id: str, written, effective, moved: bool) -> str:
    """A weight's change in words: as written, in effect, or both."""
    if written[0] == written[1]:
        return (
            f"effective weight of {node_id}: {effective[0]} → {effective[1]} "
            f"(written {written[0]} as before: its siblings changed)"
        )
    change = f"weight of {node_id}: {written[0]} → {written[1]}"
    if not moved:
        return f"{change} (effective {effective[0]}, unchanged)"
    return f"{change} (effective {effective[0]} → {effective[1]})"


def _anchors(parent: Index, child: Index) -> list[dict]:
    old, new = resolve(parent), resolve(child)
    rows = []
    for node in child.nodes():
        if node.id not in old or not node.is_leaf:
            continue
        # A leaf that writes no normalization in either takes it from a
        # dimension or the index, whose change is listed with its settings.
        if node.normalization is None and parent.node(node.id).normalization is None:
            continue
        before, after = old[node.id].normalization, new[node.id].normalization
        # Compared as shown: a reworded rationale changes no anchor.
        if _norm(before) != _norm(after):
            rows.append({"id": node.id, "before": _norm(before), "after": _norm(after)})
    return rows


def _norm(normalization) -> str:
    a = normalization.anchors
    if a is None:
        return normalization.method
    return f"worst {a.worst:g}, best {a.best:g}" + ("" if a.clip else ", unclipped")


def is_empty(changes: dict) -> bool:
    """Whether the child changes nothing that the comparison looks at."""
    keyed = ("units", "sources", "variables", "nodes")
    lists = [
        changes[k][part] for k in keyed for part in ("added", "removed", "changed")
    ]
    return not any(lists) and not changes["weights"] and not changes["anchors"]
