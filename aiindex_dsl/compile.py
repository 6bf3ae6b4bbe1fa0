"""Compile a checked index into one Polars plan.

The plan is a single LazyFrame, built once from the IR with no loop over units
or data at run time. Its steps run in the order of :data:`STEPS`:

    load -> rollup -> derive -> impute -> treat -> transform -> normalize
         -> aggregate -> rank

Per-indicator settings travel as columns of a small table joined onto the
values, so each step is one vectorized expression for all indicators at once.
"""

from __future__ import annotations

import polars as pl

from . import data, validate
from .ir import Index
from .resolve import Resolved, resolve
from .steps.aggregate import aggregate
from .steps.derive import derive
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


def units(index: Index) -> pl.DataFrame:
    """The units scored by the index: code and name, in the order declared."""
    rows = [(u.code, u.name or u.code) for u in index.units]
    rows += [(g.code, g.name or g.code) for g in index.groups]
    listed = pl.DataFrame(
        rows, schema={"unit": pl.String, "name": pl.String}, orient="row"
    )
    if index.units_from is None:
        return listed
    spec = index.units_from
    source = index.source(spec.source)
    frame = data.scan(source)
    names = data.columns(frame, source)
    name_column = spec.name_column if spec.name_column in names else spec.code_column
    read = frame.select(
        pl.col(spec.code_column).cast(pl.String).alias("unit"),
        pl.col(name_column).cast(pl.String).alias("name"),
    ).unique("unit", keep="first", maintain_order=True)
    return pl.concat([listed, read.collect()]).unique(
        "unit", keep="first", maintain_order=True
    )


def years(index: Index, raw: pl.LazyFrame) -> pl.LazyFrame:
    """The years to score: those declared, else every year found in the data."""
    if index.years:
        return pl.LazyFrame({"year": list(index.years)}, schema={"year": pl.Int64})
    return raw.select("year").unique()


def indicator_table(index: Index, resolved: dict[str, Resolved]) -> pl.DataFrame:
    """One row per leaf: its settings as the columns the steps read."""
    rows = []
    for node in index.nodes():
        if not node.is_leaf:
            continue
        r = resolved[node.id]
        anchors = r.anchors
        rows.append(
            {
                "series": node.id,
                "method": "none" if node.score_from else r.normalization.method,
                "worst": anchors.worst if anchors else None,
                "best": anchors.best if anchors else None,
                "clip": anchors.clip if anchors else True,
                "target": r.normalization.target,
                "sign": -1.0 if r.direction == "negative" else 1.0,
                "transform": "none" if node.score_from else r.transform,
                "impute": "none" if node.score_from else r.impute,
                "impute_by": r.impute_by,
                "treat": "none" if node.score_from else r.treat,
            }
        )
    return pl.DataFrame(rows, schema=INDICATOR_SCHEMA)


INDICATOR_SCHEMA = {
    "series": pl.String,
    "method": pl.String,
    "worst": pl.Float64,
    "best": pl.Float64,
    "clip": pl.Boolean,
    "target": pl.Float64,
    "sign": pl.Float64,
    "transform": pl.String,
    "impute": pl.String,
    "impute_by": pl.String,
    "treat": pl.String,
}


def tree_table(index: Index, resolved: dict[str, Resolved]) -> pl.DataFrame:
    """One row per node, parents first: its parent, weight and the parent's
    aggregation settings."""
    rows = []
    for node in index.root.walk():
        r = resolved[node.id]
        parent = resolved.get(r.parent) if r.parent else None
        rows.append(
            {
                "node": r.id,
                "kind": r.node.kind,
                "parent": r.parent,
                "depth": r.depth,
                "height": r.height,
                "weight": r.weight,
                "effective_weight": r.effective_weight,
                "parent_height": parent.height if parent else None,
                "parent_aggregate": parent.aggregate if parent else None,
                "parent_min_coverage": parent.min_coverage if parent else None,
            }
        )
    return pl.DataFrame(rows, schema=TREE_SCHEMA)


TREE_SCHEMA = {
    "node": pl.String,
    "kind": pl.String,
    "parent": pl.String,
    "depth": pl.Int64,
    "height": pl.Int64,
    "weight": pl.Float64,
    "effective_weight": pl.Float64,
    "parent_height": pl.Int64,
    "parent_aggregate": pl.String,
    "parent_min_coverage": pl.Float64,
}


def raw_values(index: Index, unit_table: pl.DataFrame) -> pl.LazyFrame:
    """Every series read and derived, restricted to the index's units and years."""
    validate.check_data(index, unit_table["unit"].to_list())
    raw = data.load(index)
    raw = rollup(raw, index) if index.groups else raw
    raw = _data_years(index, raw)
    derived = {n.id: n.derive.expr for n in index.nodes() if n.derive is not None}
    raw = derive(raw, derived) if derived else raw
    raw = raw.filter(pl.col("unit").is_in(unit_table["unit"].implode()))
    if index.years:
        raw = raw.filter(pl.col("year").is_in(list(index.years)))
    return raw


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


def plan(index: Index) -> pl.LazyFrame:
    """The whole computation: one LazyFrame of results by unit, year and node."""
    resolved = resolve(index)
    unit_table = units(index)
    indicators = indicator_table(index, resolved)
    tree = tree_table(index, resolved)

    raw = raw_values(index, unit_table)
    grid = (
        unit_table.lazy()
        .select("unit")
        .join(years(index, raw), how="cross")
        .join(indicators.lazy().select("series"), how="cross")
    )
    values = grid.join(
        raw.group_by(["unit", "year", "series"]).agg(pl.col("value").first()),
        on=["unit", "year", "series"],
        how="left",
        nulls_equal=True,
    ).join(indicators.lazy(), on="series", how="left")
    values = values.with_columns(
        raw=pl.col("value"), observed=pl.col("value").is_not_null()
    )

    values = impute(values, set(indicators["impute"]))
    values = treat(values, set(indicators["treat"]))
    values = transform(values, set(indicators["transform"]))
    values = normalize(values, index.scale, set(indicators["method"]))

    leaves = values.select(
        "unit",
        "year",
        pl.col("series").alias("node"),
        "score",
        pl.col("observed").cast(pl.Float64).alias("coverage"),
        "raw",
        "imputed",
        "clipped",
        "treated",
    )
    scores = aggregate(leaves, tree, int(tree["height"].max() or 0))
    return finish(scores, tree, unit_table)


def finish(scores, tree: pl.DataFrame, unit_table: pl.DataFrame) -> pl.LazyFrame:
    """Contributions, ranks and the columns of the result table."""
    ranked = scores.with_columns(
        pl.col("score")
        .rank("min", descending=True)
        .over(["year", "node"])
        .alias("rank"),
        (pl.col("effective_share") * pl.col("score")).alias("points"),
    )
    result = ranked.join(
        tree.lazy().select(
            "node", "kind", "parent", "depth", "weight", "effective_weight"
        ),
        on="node",
        how="left",
    ).join(unit_table.lazy(), on="unit", how="left")
    order = {node: i for i, node in enumerate(tree["node"])}
    return (
        result.with_columns(
            pl.col("node").replace_strict(order, return_dtype=pl.Int64).alias("order"),
            pl.col(["imputed", "clipped", "treated"]).fill_null(False),
        )
        .select(RESULT_COLUMNS)
        .sort(["year", "order", "unit"])
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
    "imputed",
    "clipped",
    "treated",
]
