"""The intermediate representation: an index as immutable pydantic models.

The IR is the single source of truth of aix. The compiler and every renderer
read it; none of them looks at the parse tree or the text. Every model that
comes from a statement carries the :class:`Span` of that statement, so a
problem found at any stage can be reported at its line in the ``.aix`` file.

Settings that cascade down the tree (aggregation, normalization, transform,
imputation, outlier treatment, weight mode, minimum coverage) are stored where
they were written; :mod:`aiindex_dsl.resolve` works out the one in force at
each node.
"""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AGGREGATIONS = ("arithmetic", "geometric", "harmonic")
NORMALIZATIONS = (
    "anchors",
    "minmax",
    "minmax_pooled",
    "zscore",
    "rank",
    "percentile",
    "target",
    "none",
)
TRANSFORMS = ("none", "log", "log10", "sqrt")
IMPUTATIONS = ("none", "mean", "median", "locf", "interpolate")
TREATMENTS = ("none", "winsorize", "coinr")
WEIGHT_MODES = ("absolute", "relative")
DIRECTIONS = ("positive", "negative")
FORMATS = ("csv", "tsv", "parquet", "json", "ndjson")
LAYOUTS = ("wide", "long", "wide_by_year")
ROLLUPS = ("sum", "mean", "weighted_mean")


class Model(BaseModel):
    """Base of every IR model: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(Model):
    """Where a statement stands in its file (lines and columns count from 1)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Unit(Model):
    """A unit scored by the index: a country, a region, a province."""

    code: str
    name: str | None = None
    span: Span | None = None


class Unranked(Model):
    """A unit scored and shown but never ranked and, as a group is, left
    out of the statistics of min-max, z-scores and imputation: a regional
    aggregate, an average shown for reference."""

    code: str
    span: Span | None = None


class Ranking(Model):
    """How units are ranked: on their scores as computed, or on the scores
    rounded to ``decimals`` (half away from zero), as a publication ranks the
    values it prints. Tied scores share the better rank."""

    decimals: int | None = None
    span: Span | None = None


class UnitsFrom(Model):
    """Units read from a source: one unit per distinct value of a column,
    but those ``removed`` (by a ``remove unit`` of a definition extending the
    one that reads them)."""

    source: str
    code_column: str
    name_column: str | None = None
    span: Span | None = None
    removed: tuple[Unit, ...] = ()


class Group(Model):
    """A unit made of other units, whose raw values roll up from its members.

    ``rollup`` is ``sum``, ``mean`` or ``weighted_mean``; the last weights each
    member by the variable named in ``by``.
    """

    code: str
    name: str | None = None
    members: tuple[str, ...] = ()
    rollup: str = "sum"
    by: str | None = None
    span: Span | None = None
    member_spans: tuple[Span, ...] = ()  # where each member is written
    rollup_span: Span | None = None


class Source(Model):
    """A publication and, when it has one, the data file that carries it."""

    id: str
    title: str | None = None
    publisher: str | None = None
    year: int | None = None
    url: str | None = None
    retrieved: datetime.date | None = None
    licence: str | None = None
    note: str | None = None
    file: str | None = None
    format: str | None = None
    layout: str = "wide"
    unit_column: str = "unit"
    year_column: str | None = None
    indicator_column: str = "indicator"
    value_column: str = "value"
    missing: tuple[str, ...] = ()
    # Pairs (the file's code, the index's): a file that names its units
    # otherwise than the index does (``USA`` for ``US``).
    unit_codes: tuple[tuple[str, str], ...] = ()
    unit_code_spans: tuple[Span, ...] = ()  # where each pair is written
    span: Span | None = None
    origin: str | None = Field(
        default=None, description="The .aix file that declared it (for relative paths)."
    )


class Variable(Model):
    """A data series that is not scored: a denominator or a roll-up weight.

    ``rollup``, if given, is how its values roll up into groups (``sum``,
    ``mean`` or ``weighted_mean`` with the weighting variable as argument),
    instead of each group's own rollup.
    """

    id: str
    title: str | None = None
    source: str
    column: str
    rollup: Setting | None = None
    span: Span | None = None


class Anchors(Model):
    """Fixed goalposts: ``worst`` scores the bottom of the scale, ``best`` the top."""

    worst: float
    best: float
    clip: bool = True
    rationale: str | None = None


class Normalization(Model):
    """How raw values become scores. ``anchors`` is set for the anchor method,
    ``target`` for distance to target."""

    method: str
    anchors: Anchors | None = None
    target: float | None = None
    span: Span | None = None


class Weight(Model):
    """A weight as written: ``20%`` (percent) or ``0.2`` / ``2`` (a number)."""

    value: float
    percent: bool = False
    span: Span | None = None

    @property
    def fraction(self) -> float:
        """The weight as a fraction of its parent (``20%`` is 0.2)."""
        return self.value / 100 if self.percent else self.value


class Setting(Model):
    """A named choice of method, as written, with where it was written."""

    value: str
    argument: str | None = None
    span: Span | None = None


class Coverage(Model):
    """The minimum share of a node's weight that must be backed by data."""

    share: float
    span: Span | None = None


# ---- derived values ---------------------------------------------------------


class Const(Model):
    """A number in an expression."""

    kind: Literal["const"] = "const"
    value: float


class Ref(Model):
    """A reference to an indicator's raw value or to a variable."""

    kind: Literal["ref"] = "ref"
    name: str
    span: Span | None = None


class Unary(Model):
    """Negation."""

    kind: Literal["neg"] = "neg"
    operand: Expr


class Binary(Model):
    """An arithmetic operation."""

    kind: Literal["binary"] = "binary"
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr


class Call(Model):
    """A call of one of the functions the expression language knows."""

    kind: Literal["call"] = "call"
    function: str
    argument: Expr
    span: Span | None = None


Expr = Const | Ref | Unary | Binary | Call
FUNCTIONS = ("log", "log10", "sqrt", "abs", "exp")


class Derivation(Model):
    """A value computed from other values, such as a ratio or a per-capita figure."""

    expr: Expr
    text: str
    span: Span | None = None


class DataRef(Model):
    """Where a value comes from: a source and a selector within it.

    The selector is a column name in a wide source, an indicator code in a long
    source, and a column pattern with ``{year}`` in a source wide by year.
    """

    source: str
    selector: str
    span: Span | None = None


# ---- the tree ---------------------------------------------------------------


class Node(Model):
    """A node of the tree: the index itself (the root), a dimension or an indicator."""

    kind: Literal["index", "dimension", "indicator"]
    id: str
    title: str | None = None
    description: str | None = None
    weight: Weight | None = None
    measure: str | None = None
    data_year: int | None = None
    data: DataRef | None = None
    derive: Derivation | None = None
    score_from: DataRef | None = None
    normalization: Normalization | None = None
    transform: Setting | None = None
    direction: Setting | None = None
    aggregate: Setting | None = None
    impute: Setting | None = None
    treat: Setting | None = None
    rollup: Setting | None = None
    weights: Setting | None = None
    coverage: Coverage | None = None
    cites: tuple[str, ...] = ()
    children: tuple[Node, ...] = ()
    span: Span | None = None

    def walk(self):
        """Yield this node and every node below it, parents before children.

        The walk keeps its own stack: nested generators would pass each node
        up through every level above it.
        """
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack += reversed(node.children)

    @property
    def is_leaf(self) -> bool:
        """Whether the node's score comes from data rather than from children."""
        return self.kind == "indicator" or self.score_from is not None


class Expectation(Model):
    """A published result the index must reproduce.

    Without ``tolerance`` the score, rounded half away from zero to the
    decimals written, must equal ``value``; with it, the two may differ by at
    most ``tolerance``.
    """

    node: str
    unit: str
    value: float
    decimals: int
    points: bool = False
    tolerance: float | None = None
    year: int | None = None
    span: Span | None = None


class Removal(Model):
    """In a definition that extends another: drop a named part of the parent.
    ``parent``: once composed, the node a removed node stood under."""

    what: str
    id: str
    span: Span | None = None
    parent: str | None = None


class Scale(Model):
    """The range scores are expressed on (0 to 100 unless said otherwise)."""

    low: float = 0.0
    high: float = 100.0
    span: Span | None = None


class Index(Model):
    """A composite index: everything one ``.aix`` file (with its parents) says."""

    id: str
    title: str | None = None
    version: str | None = None
    authors: tuple[str, ...] = ()
    licence: str | None = None
    description: str | None = None
    scale: Scale = Scale()
    years: tuple[int, ...] = ()
    units: tuple[Unit, ...] = ()
    units_from: UnitsFrom | None = None
    unranked: tuple[Unranked, ...] = ()
    ranking: Ranking = Ranking()
    groups: tuple[Group, ...] = ()
    sources: tuple[Source, ...] = ()
    variables: tuple[Variable, ...] = ()
    root: Node
    expectations: tuple[Expectation, ...] = ()
    extends: str | None = None
    includes: tuple[str, ...] = ()
    removals: tuple[Removal, ...] = ()
    path: str | None = None
    span: Span | None = None

    def nodes(self):
        """Every dimension and indicator, parents before children (root excluded)."""
        walk = self.root.walk()
        next(walk)
        return walk

    def indicators(self):
        """Every indicator of the tree, in the order written."""
        return [node for node in self.nodes() if node.kind == "indicator"]

    def node(self, node_id: str) -> Node | None:
        """The node with this id, the root included, or None."""
        return next((n for n in self.root.walk() if n.id == node_id), None)

    def unranked_codes(self) -> list[str]:
        """The units that have no rank: the groups and those listed as
        ``unranked``. They are scored against the others, not among them."""
        return [g.code for g in self.groups] + [u.code for u in self.unranked]

    def source(self, source_id: str) -> Source | None:
        """The source with this id, or None."""
        return next((s for s in self.sources if s.id == source_id), None)

    def variable(self, variable_id: str) -> Variable | None:
        """The variable with this id, or None."""
        return next((v for v in self.variables if v.id == variable_id), None)


Unary.model_rebuild()
Binary.model_rebuild()
Call.model_rebuild()
Node.model_rebuild()
Variable.model_rebuild()
