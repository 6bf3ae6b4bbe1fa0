"""Compile a checked index into one Polars plan.

The plan is a single LazyFrame, built once from the IR with no loop over units
or data at run time. Its steps run in the order of :data:`STEPS`:

    load -> rollup -> derive -> impute -> treat -> transform -> normalize
         -> aggregate -> rank

The plan works on one table with a row per unit, year and node of the tree
(indicators and dimensions alike). Units and nodes are enumerations, and each
node's settings travel as columns looked up by its code in a small table (a
gather, much cheaper than a join), so each step is one vectorized expression
for all indicators at once; aggregation groups each level of the tree by one
integer of unit, year and parent.
"""

from __future__ import annotations

import polars as pl

from . import data, validate
from .checks import named_units, ungrouped
from .diagnostics import AixError
from .ir import Index
from .resolve import Resolved, resolve
from .steps import of_units
from .steps.aggregate import parents, term_bounds, with_shares
from .steps.derive import derive, derived_coverage
from .steps.impute import impute
from .steps.normalize import normalize
from .steps.rollup import rollup
from .steps.transform import transform
from .steps.treat import treat

STEPS = (
    "load",
    "rollup",
    "derive",
    "impute",
    "treat",
    "transform",
    "normalize",
    "aggregate",
    "rank",
)
KEYS = ["unit", "year", "node"]
# The settings of a leaf its steps read, up to normalization.
STEP_SETTINGS = (
    "impute",
    "impute_by",
    "treat",
    "transform",
    "method",
    "worst",
    "best",
    "clip",
    "target",
    "sign",
)
# The normalizations that divide by the spread of an indicator's values.
SPREAD = ("minmax", "minmax_pooled", "zscore")


def units(index: Index) -> pl.DataFrame:
    """The units scored by the index: code and name, in the order declared."""
    rows = [(u.code, u.name or u.code) for u in index.units]
    rows += [(g.code, g.name or g.code) for g in index.groups]
    listed = pl.DataFrame(
        rows, schema={"unit": pl.String, "name": pl.String}, orient="row"
    )
    read = validate.read_units(index)
    if read is None:
        return listed
    table = pl.concat([listed, read]).unique("unit", keep="first", maintain_order=True)
    codes = table["unit"].drop_nulls().to_list()
    listed = [code for code in codes if code not in {g.code for g in index.groups}]
    problems = [
        *named_units(index, listed),
        *ungrouped(index, read["unit"].to_list()),
    ]
    if problems:
        raise AixError(problems)
    return table


def years(index: Index, raw: pl.LazyFrame) -> pl.LazyFrame:
    """The years to score: those declared, else every year found in the data."""
    if index.years:
        return pl.LazyFrame({"year": list(index.years)}, schema={"year": pl.Int64})
    return raw.select("year").unique(maintain_order=True)


def node_table(index: Index, resolved: dict[str, Resolved]) -> pl.DataFrame:
    """One row per node, root first: its place in the tree, its weight, its own
    aggregation and, for leaves, the settings the steps read."""
    depth = max(r.depth for r in resolved.values())
    rows = [
        _node_row(r, resolved, order, depth)
        for order, r in enumerate(resolved[n.id] for n in index.root.walk())
    ]
    schema = dict(NODE_SCHEMA) | {f"a{d}": pl.String for d in range(depth + 1)}
    # The text settings as enumerations of the values they take: the steps
    # compare them on every row, and a row then holds a small integer.
    schema |= {
        name: pl.Enum(sorted({row[name] for row in rows} - {None})) for name in SETTINGS
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _node_row(r: Resolved, resolved, order: int, depth: int) -> dict:
    leaf = r.node.is_leaf
    scored = leaf and r.node.score_from is None
    anchors = r.anchors if scored else None
    row = {
        "node": r.id,
        "kind": r.node.kind,
        "parent": r.parent,
        "depth": r.depth,
        "order": order,
        "leaf": leaf,
        "weight": r.weight,
        "effective_weight": r.effective_weight,
        "aggregate": r.aggregate,
        "min_coverage": r.min_coverage,
        "method": r.normalization.method if scored else "none",
        "worst": anchors.worst if anchors else None,
        "best": anchors.best if anchors else None,
        "clip": anchors.clip if anchors else True,
        "target": r.normalization.target if scored else None,
        "sign": -1 if r.direction == "negative" else 1,
        "transform": r.transform if scored else "none",
        "impute": r.impute if scored else "none",
        "impute_by": r.impute_by if scored and r.impute != "none" else None,
        "treat": r.treat if scored else "none",
    }
    path = _path(r, resolved)
    row |= {f"a{d}": path[d] if d < len(path) else None for d in range(depth + 1)}
    return row


def _path(r: Resolved, resolved: dict[str, Resolved]) -> list[str]:
    path = [r.id]
    while resolved[path[0]].parent is not None:
        path.insert(0, resolved[path[0]].parent)
    return path


NODE_SCHEMA = {
    "node": pl.String,
    "kind": pl.String,
    "parent": pl.String,
    "depth": pl.Int64,
    "order": pl.Int64,
    "leaf": pl.Boolean,
    "weight": pl.Float64,
    "effective_weight": pl.Float64,
    "aggregate": pl.String,
    "min_coverage": pl.Float64,
    "method": pl.String,
    "worst": pl.Float64,
    "best": pl.Float64,
    "clip": pl.Boolean,
    "target": pl.Float64,
    "sign": pl.Int8,
    "transform": pl.String,
    "impute": pl.String,
    "impute_by": pl.String,
    "treat": pl.String,
}


def raw_values(
    index: Index, unit_table: pl.DataFrame, resolved
) -> tuple[pl.LazyFrame, pl.LazyFrame | None]:
    """Every series read, rolled up and derived (unit, year, series, value),
    and the coverage of the groups' values that cover them in part (unit,
    year, series, covered; None without groups)."""
    codes = unit_table["unit"].to_list()
    raw = validate.check_data(index, codes, resolved).lazy()
    partial = None
    if index.groups:
        raw, rolled = rollup(raw, index)
        validate.warn_rolled_clipped(index, rolled, resolved)
        covered = pl.col("covered") < 1
        partial = _data_years(index, rolled.filter(covered).drop("value"))
    raw = _data_years(index, raw)
    derived = {n.id: n.derive.expr for n in index.nodes() if n.derive is not None}
    if not derived:
        return raw, partial
    if partial is not None:
        partial = derived_coverage(partial, derived)
    return derive(raw, derived, index.path or "<text>"), partial


def _data_years(index: Index, raw: pl.LazyFrame) -> pl.LazyFrame:
    """Indicators with a data year of their own feed the index's single year."""
    dated = {n.id: n.data_year for n in index.nodes() if n.data_year is not None}
    if not dated or len(index.years) != 1:
        return raw
    wanted = pl.col("series").replace_strict(dated, default=None, return_dtype=pl.Int64)
    keep = wanted.is_null() | (pl.col("year") == wanted)
    year = (
        pl.when(wanted.is_null()).then(pl.col("year")).otherwise(pl.lit(index.years[0]))
    )
    return raw.filter(keep).with_columns(year.cast(pl.Int64).alias("year"))


def impute_groups(index: Index, table: pl.DataFrame) -> pl.LazyFrame | None:
    """For ``impute ... by "COLUMN"``: each unit's value of that column, long
    (unit, impute_by, impute_group), read from the sources that hold it."""
    columns = [c for c in table["impute_by"].unique().to_list() if c is not None]
    if not columns:
        return None
    parts = [data.unit_attribute(index, column) for column in sorted(columns)]
    return pl.concat(parts, how="vertical")


def plan(index: Index) -> pl.LazyFrame:
    """The whole computation: one LazyFrame of results by unit, year and node,
    sorted by year, node (in the tree's order) and unit."""
    return compile_index(index).long()


def compile_index(index: Index) -> Compiled:
    """Check the data ``index`` reads and build its plan (nothing is computed)."""
    resolved = resolve(index)
    table = node_table(index, resolved)
    unit_table = units(index)
    keys = Keys.of(unit_table, table, data.series_type(index))
    raw, partial = raw_values(index, unit_table, resolved)
    return Compiled(index, keys, keys.nodes(table), unit_table, raw, partial)


class Compiled:
    """An index's computation in three parts, so a run can collect the small
    tables and leave the indicators' detail for later:

    - :meth:`parents`: every aggregated node's score, coverage and shares for
      every unit and year, grouped up from the leaves level by level (the one
      query that reads all the data);
    - :meth:`nodes`: the result rows of those nodes, from :meth:`parents`;
    - :meth:`leaves`: the result rows of the leaves (each step's value, flags,
      shares, points, ranks), from the data and :meth:`parents`.
    """

    def __init__(self, index, keys, table, unit_table, raw, partial=None):
        self.index = index
        self.keys = keys
        self.table = table
        self.unit_table = unit_table
        self.raw = raw
        self.partial = partial
        self.leaf_table = table.filter(pl.col("leaf"))
        self._lookup = lookup(self.leaf_table, "node", keys.node_type)
        self.settings = {
            name: set(self.leaf_table[name].cast(pl.String).to_list())
            for name in ("impute", "treat", "transform", "method")
        }
        self._years = None

    @property
    def years(self) -> pl.LazyFrame:
        """The years scored, sorted."""
        if self._years is None:
            self._years = years(self.index, self.raw).sort("year").cache()
        return self._years

    # ---- the grid --------------------------------------------------------------

    def grid(self, ids: list[str]) -> pl.LazyFrame:
        """Every year, node of ``ids`` (in the tree's order) and unit (sorted):
        the order of the results."""
        nodes = pl.LazyFrame({"node": pl.Series(ids, dtype=pl.String)}).with_columns(
            pl.col("node").cast(self.keys.node_type)
        )
        units = self.keys.units(self.unit_table.lazy().select("unit")).sort("unit")
        return self.years.join(nodes, how="cross", maintain_order="left_right").join(
            units, how="cross", maintain_order="left_right"
        )

    # ---- the leaves ------------------------------------------------------------

    def _read(self, keep: pl.Expr | None = None) -> pl.LazyFrame:
        """The data's rows of the index's nodes and units (unit, year, node,
        value), keys as enumerations; only those ``keep`` holds for, if given."""
        read = self.raw.rename({"series": "node"})
        read = self.keys.units(self.keys.nodes(read, strict=False), strict=False)
        known = pl.col("unit").is_not_null() & pl.col("node").is_not_null()
        return read.filter(known if keep is None else known & keep)

    def _leaf_rows(self, full: bool, ids: list[str] | None) -> pl.LazyFrame:
        """The leaves' values with the settings the steps read: every unit,
        year and leaf (``full``, or when imputation fills cells the data has
        no row for), or only the data's rows (in the index's years)."""
        table = self.leaf_table
        if ids is not None:
            table = table.filter(pl.col("node").cast(pl.String).is_in(ids))
        steps = looked_up(self._lookup, "node", STEP_SETTINGS)
        if full:
            ids = table["node"].cast(pl.String).to_list()
            return (
                self.grid(ids)
                .with_columns(steps)
                .join(
                    self._read(),
                    on=KEYS,
                    how="left",
                    nulls_equal=True,
                    maintain_order="left",
                )
            )
        chosen = pl.col("node").is_in(table["node"].implode())
        if self.index.years:
            chosen = chosen & pl.col("year").is_in(list(self.index.years))
        return self._read(chosen).with_columns(steps)

    def _scored(self, full: bool, ids: list[str] | None = None) -> pl.LazyFrame:
        """The leaves through every step up to normalization."""
        full = full or self.settings["impute"] != {"none"}
        frame = self._leaf_rows(full, ids).with_columns(
            raw=pl.col("value"), observed=pl.col("value").is_not_null()
        )
        if self.settings["impute"] != {"none"}:
            groups = impute_groups(self.index, self.table)
            groups = self.keys.units(groups) if groups is not None else None
            frame = _with_groups(frame, groups)
        # Groups and unranked units are scored against the others, not among them.
        groups = self.index.unranked_codes()
        units = self.unit_table.height
        frame = impute(frame, self.settings["impute"], groups, units)
        frame = frame.with_columns(imputed_value=pl.col("value"))
        frame = treat(frame, self.settings["treat"], groups)
        frame = frame.with_columns(treated_value=pl.col("value"))
        frame = transform(frame, self.settings["transform"], self.settings["method"])
        methods = self.settings["method"]
        frame = normalize(frame, self.index.scale, methods, groups, units)
        # The other settings only now, so that the steps carry fewer columns.
        others = [c for c in self.table.columns if c not in ("node", *STEP_SETTINGS)]
        unscored = pl.col("value").is_not_null() & pl.col("score").is_null()
        # Backed by data: a value read (not imputed) that has a score; a
        # group's value rolled up from some of its members, in part.
        coverage = (pl.col("observed") & pl.col("score").is_not_null()).cast(pl.Float64)
        if self.partial is not None:
            frame = frame.join(
                self._partial(),
                on=KEYS,
                how="left",
                nulls_equal=True,
                maintain_order="left",
            )
            coverage = coverage * pl.col("covered").fill_null(1.0)
        return frame.with_columns(
            looked_up(self._lookup, "node", others),
            coverage=coverage,
            unscored=unscored.cast(pl.Float64),
        )

    def _partial(self) -> pl.LazyFrame:
        """The groups' values that cover them in part, keyed as the leaves."""
        table = self.partial.rename({"series": "node"})
        table = self.keys.units(self.keys.nodes(table, strict=False), strict=False)
        return table.filter(pl.col("unit").is_not_null() & pl.col("node").is_not_null())

    # ---- the three parts ---------------------------------------------------------

    def parents(self) -> pl.LazyFrame:
        """Every aggregated node for every unit and year (see :mod:`.aggregate`)."""
        complete = self.settings["impute"] != {"none"}
        keys = self.keys
        scale = self.index.scale
        units = self.unit_table.height
        return parents(
            self._scored(full=False),
            self.table,
            self.grid,
            complete,
            keys.row,
            keys.split,
            term_bounds(
                self.table,
                scale.low,
                scale.high,
                units,
                bool(self.index.unranked_codes()),
            ),
        )

    def without_spread(self) -> pl.LazyFrame:
        """The indicators and years (none for a normalization over all years)
        whose values do not differ between units, so that min-max or z-scores
        give them no score: the cells with a value and no score (``series``,
        ``year``). A second pass over the leaves, worth making only when
        :meth:`parents` counts such cells (``unscored``)."""
        spread = self.leaf_table.filter(
            pl.col("method").cast(pl.String).is_in(SPREAD)
        ).select(pl.col("node").cast(pl.String), pl.col("method").cast(pl.String))
        ids = spread["node"].to_list()
        pooled = spread.filter(pl.col("method") == "minmax_pooled")["node"].to_list()
        if not ids:
            return pl.LazyFrame(schema={"series": pl.String, "year": pl.Int64})
        node = pl.col("node").cast(pl.String)
        lost = self._scored(full=False).filter(
            node.is_in(ids) & (pl.col("unscored") > 0)
        )
        year = pl.when(node.is_in(pooled)).then(None).otherwise(pl.col("year"))
        return lost.select(node.alias("series"), year.alias("year")).unique()

    def means(self) -> dict[str, str]:
        """Each aggregated node's mean (arithmetic, geometric or harmonic)."""
        own = self.table.filter(~pl.col("leaf")).select(
            pl.col("node", "aggregate").cast(pl.String)
        )
        return dict(own.iter_rows())

    def nodes(
        self, parent_rows: pl.LazyFrame, ids: list[str] | None = None
    ) -> pl.LazyFrame:
        """The result rows of the aggregated nodes (or of those ``ids``), in
        the results' order.

        :meth:`parents` has a row for every unit, year and aggregated node
        (the grid), in no order: they need only their settings, and those
        asked for are sorted.
        """
        frame = parent_rows.drop("parent", "weight")
        if ids is not None:
            frame = frame.filter(pl.col("node").cast(pl.String).is_in(ids))
        frame = frame.sort(self.keys.row("node"))
        settings = lookup(self.table, "node", self.keys.node_type)
        columns = [name for name in self.table.columns if name != "node"]
        frame = frame.with_columns(looked_up(settings, "node", columns))
        return self._finish(frame.with_columns(_NO_STEPS))

    def leaves(
        self, parent_rows: pl.LazyFrame, ids: list[str] | None = None
    ) -> pl.LazyFrame:
        """The result rows of the leaves (or of the leaves ``ids``), in the
        results' order."""
        scored = self._scored(full=True, ids=ids)
        frame = with_shares(scored, parent_rows, self.keys.row, maintain_order=True)
        return self._finish(frame)

    def long(self, parent_rows: pl.LazyFrame | None = None) -> pl.LazyFrame:
        """Every result row, nodes and leaves, in the results' order. Both
        come in that order already, so they are merged, not sorted again
        (which would hold every row in memory)."""
        if parent_rows is None:
            parent_rows = self.parents().cache()
        row = self.keys.row()
        nodes = self.nodes(parent_rows).with_columns(row)
        leaves = self.leaves(parent_rows).with_columns(row)
        return as_text(nodes.merge_sorted(leaves, key="row").drop("row"))

    def _finish(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Points, ranks, names and the result columns (units and nodes still
        as enumerations, so the rows sort by them)."""
        # Units are ranked among themselves: a group or unranked unit has no rank.
        score = of_units(pl.col("score").fill_nan(None), self.index.unranked_codes())
        decimals = self.index.ranking.decimals
        if decimals is not None:
            score = score.round(decimals, mode="half_away_from_zero")
        ranked = frame.with_columns(
            score.rank("min", descending=True).over(["year", "node"]).alias("rank"),
            (pl.col("effective_share") * pl.col("score")).alias("points"),
        )
        names = lookup(self.keys.units(self.unit_table), "unit", self.keys.unit_type)
        return (
            ranked.with_columns(looked_up(names, "unit", ["name"]))
            .with_columns(pl.col(["imputed", "clipped", "treated"]).fill_null(False))
            .select(RESULT_COLUMNS)
        )


_NO_STEPS = [
    pl.lit(None, pl.Float64).alias("raw"),
    pl.lit(None, pl.Float64).alias("imputed_value"),
    pl.lit(None, pl.Float64).alias("treated_value"),
    pl.lit(False).alias("imputed"),
    pl.lit(False).alias("clipped"),
    pl.lit(False).alias("treated"),
]


def lookup(table: pl.DataFrame, on: str, codes: pl.Enum) -> pl.DataFrame:
    """``table``, which has a row per code of column ``on``, with its rows in
    the order of the enumeration ``codes`` (a row of nulls for a code it
    lacks): row i is that of the code stored as i."""
    place = {code: i for i, code in enumerate(codes.categories.to_list())}
    rows: list[int | None] = [None] * len(place)
    for row, code in enumerate(table[on].cast(pl.String).to_list()):
        if code in place:
            rows[place[code]] = row
    order = pl.Series(rows, dtype=pl.UInt32)
    return table.select(pl.all().gather(order)).with_columns(
        pl.col(on).cast(pl.String).cast(codes)
    )


def looked_up(table: pl.DataFrame, on: str, columns: list[str]) -> list[pl.Expr]:
    """The ``columns`` of a :func:`lookup` table for each row's code of
    ``on``: a gather by the code's place, much cheaper than a join."""
    place = pl.col(on).to_physical()
    return [pl.lit(table[name]).gather(place).alias(name) for name in columns]


def as_text(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Units, nodes, parents and kinds as text, as the results hold them. An
    enumeration's codes are looked up among its categories, which is much
    cheaper than a cast."""
    schema = frame.collect_schema()
    return frame.with_columns(
        _text(name, schema[name]) for name in ("unit", "node", "parent", "kind")
    )


def _text(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if isinstance(dtype, pl.Enum):
        column = pl.lit(dtype.categories).gather(column.to_physical())
    return column.cast(pl.String).alias(name)


class Keys:
    """Units and nodes as enumerations inside the plan: joins, windows and the
    final sort then work on small integers instead of text. The units are
    enumerated in sorted order, the nodes in the order of the tree, so sorting
    by them sorts as the text and the tree's order would."""

    def __init__(self, unit_type: pl.Enum, node_type: pl.Enum, node_columns):
        self.unit_type = unit_type
        self.node_type = node_type
        self.node_columns = node_columns

    @classmethod
    def of(cls, unit_table: pl.DataFrame, table: pl.DataFrame, nodes: pl.Enum) -> Keys:
        """The enumerations of an index's units and of its nodes (``nodes``:
        that of the series, whose first categories are the nodes)."""
        codes = unit_table["unit"].drop_nulls().unique().sort()
        ancestors = [c for c in table.columns if c[:1] == "a" and c[1:].isdigit()]
        return cls(pl.Enum(codes), nodes, ["node", *ancestors])

    def row(self, node: str = "node") -> pl.Expr:
        """One integer for a unit, year and node (or parent, ``node``), that
        sorts as they do: year (a missing year first), then node, then unit.
        A year has at most six digits, so the product fits in 64 bits for any
        index within the limits.
        """
        units = len(self.unit_type.categories)
        nodes = len(self.node_type.categories)
        year = (pl.col("year").fill_null(-1_000_000) + 1_000_000).cast(pl.UInt64)
        position = year * nodes + pl.col(node).to_physical().cast(pl.UInt64)
        return (position * units + pl.col("unit").to_physical()).alias("row")

    def split(self, node: str = "node") -> list[pl.Expr]:
        """The unit, year and node (named ``node``) of the integer ``row`` of
        :meth:`row`."""
        units = self.unit_type.categories
        nodes = self.node_type.categories
        row = pl.col("row")
        position = row // len(units)
        year = (position // len(nodes)).cast(pl.Int64) - 1_000_000
        return [
            pl.lit(units.cast(self.unit_type)).gather(row % len(units)).alias("unit"),
            pl.when(year > -1_000_000).then(year).alias("year"),
            pl.lit(nodes.cast(self.node_type))
            .gather(position % len(nodes))
            .alias(node),
        ]

    def units(self, frame, strict: bool = True):
        """``unit`` as the enumeration; with ``strict=False`` other codes become
        missing (rows of units the index does not score)."""
        return frame.with_columns(pl.col("unit").cast(self.unit_type, strict=strict))

    def nodes(self, frame, strict: bool = True):
        """``node``, ``parent`` and the ancestor columns as the enumeration."""
        names = frame.collect_schema().names()
        columns = [c for c in [*self.node_columns, "parent"] if c in names]
        return frame.with_columns(pl.col(columns).cast(self.node_type, strict=strict))


SETTINGS = ("kind", "aggregate", "method", "transform", "impute", "treat")


def _with_groups(frame: pl.LazyFrame, groups: pl.LazyFrame | None) -> pl.LazyFrame:
    if groups is None:
        return frame.with_columns(impute_group=pl.lit(None, pl.String))
    return frame.join(
        groups,
        on=["unit", "impute_by"],
        how="left",
        nulls_equal=False,
        maintain_order="left",
    )


RESULT_COLUMNS = [
    "unit",
    "name",
    "year",
    "node",
    "kind",
    "parent",
    "depth",
    "order",
    "score",
    "points",
    "rank",
    "coverage",
    "weight",
    "effective_weight",
    "share",
    "effective_share",
    "raw",
    "imputed_value",
    "treated_value",
    "imputed",
    "clipped",
    "treated",
]
