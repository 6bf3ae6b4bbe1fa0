"""Aggregate: children's scores to their parent's, level by level up the tree.

A parent's score is the weighted mean of the scores its children have for that
unit and year: arithmetic ``sum(w s) / sum(w)``, geometric
``exp(sum(w ln s) / sum(w))`` or harmonic ``sum(w) / sum(w / s)``. Children
without a score are left out and the weights of the others renormalized. The
parent's coverage is the share of its weight backed by observed data; below its
minimum coverage the parent has no score.

Example: children 50 and 80 with weights 20% and 10%, arithmetic -> 60.

Each level is one ``group_by`` by unit, year and parent, of the leaves below
it and of the (small) table of the level below; the leaves are read once. A
parent's total weight is that of all its children in the tree, whether or not
the data has a row for them, so the leaves need not be a full grid of units,
years and indicators. The sums are exact whatever order they are added in
(see :class:`ExactSum`), so a run gives the same scores to the last digit as
every other run on the same data.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import polars as pl

from ..diagnostics import AixError, Diagnostic, warn
from ..ir import Index
from . import ExactSum

MEANS = ("arithmetic", "geometric", "harmonic")
GROUP = ["unit", "year", "parent"]
KEYS = ["unit", "year", "node"]
CHILD = ["unit", "year", "node", "parent", "weight", "score", "coverage", "unscored"]
PARENT = [*CHILD, "children", "share", "effective_share"]


def parents(
    leaves: pl.LazyFrame,
    nodes: pl.DataFrame,
    grid: Callable[[list[str]], pl.LazyFrame],
    complete: bool,
    key: Callable[[str], pl.Expr],
    split: Callable[[str], list[pl.Expr]],
    bounds: dict[str, float],
) -> pl.LazyFrame:
    """Every parent's row (unit, year, node) for every unit and year, in no
    particular order (sorting them all costs more than sorting the few that
    are shown; ``key("node")`` sorts them as the results are): score,
    coverage, ``children`` (the weight of its children with a score),
    ``unscored`` (the number of leaves below it with a value and no score),
    ``share`` (its weight within its own parent after renormalization) and
    ``effective_share`` (the product of the shares along its path).

    ``leaves`` holds the leaves' ``unit, year, node, parent, depth, weight,
    score, coverage, unscored`` (1 for a leaf with a value and no score);
    ``nodes`` is the node table (``depth``, ``leaf``, ``weight``,
    ``aggregate``, ``min_coverage``); ``grid(ids)`` is every unit and year of
    those nodes. ``complete`` says the leaves hold a row for every unit, year
    and leaf; otherwise the parents' tables are completed to the grid.
    ``key(column)`` is one integer for the unit, the year and the node named in
    ``column``: the tables are grouped and joined on it rather than on the
    three columns, which ``split(column)`` makes again from the integer.
    ``bounds``: the largest size of the terms of each sum (see
    :func:`term_bounds`).
    """
    rows = nodes.select(
        pl.col("node", "parent").cast(pl.String), "depth", "leaf", "aggregate"
    ).to_dicts()
    inner = [r for r in rows if not r["leaf"]]
    methods = {str(r["aggregate"]) for r in inner}
    own = own_settings(nodes.lazy())
    leaf_depths = {r["depth"] for r in rows if r["leaf"]}
    above_parents = {r["parent"] for r in inner}
    most = max(Counter(r["parent"] for r in rows if r["parent"]).values())
    levels: dict[int, pl.LazyFrame] = {}
    below = None
    for level in range(max(r["depth"] for r in inner), -1, -1):
        ids = [r["node"] for r in inner if r["depth"] == level]
        parts = []
        if level + 1 in leaf_depths:
            parts.append(_leaves_at(leaves, level + 1, len(leaf_depths) > 1))
        if below is not None:
            parts.append(below.select(CHILD))
        if not ids:
            continue
        if not parts:
            sums = _completed(None, grid(ids), methods, key)
        else:
            sums = _sums(parts, methods, key, split, bounds, most)
            if not complete and not all(i in above_parents for i in ids):
                sums = _completed(sums, grid(ids), methods, key)
        table = sums.join(own, on="parent", how="left")
        below = _scored(table, methods).cache()
        levels[level] = below
    return _effective(levels, key)


def _leaves_at(leaves: pl.LazyFrame, depth: int, filtered: bool) -> pl.LazyFrame:
    if filtered:
        leaves = leaves.filter(pl.col("depth") == depth)
    return leaves.select(CHILD)


def _sums(parts: list[pl.LazyFrame], methods, key, split, bounds, most) -> pl.LazyFrame:
    """One group per unit, year and parent: the sums the means are made of,
    with the group's integer key (``row``).

    Each child's terms are computed first (zero for a child without a score),
    so that the ``group_by`` only sums columns, by one integer, its fastest
    path. The sums are exact (see :class:`ExactSum`); ``most``: the most
    children a parent has.
    """
    children = parts[0] if len(parts) == 1 else pl.concat(parts)
    score = pl.col("score")
    present = score.is_not_null()
    weight = pl.col("weight")
    terms = {
        "arithmetic": weight * score,
        "geometric": weight * score.log(),
        # Of scores of both signs, or below 0, there is no harmonic mean
        # (as no geometric one): NaN, which the run refuses (E520).
        "harmonic": pl.when(score >= 0).then(weight / score).otherwise(math.nan),
    }
    used = [m for m in MEANS if m in methods]
    summed = {
        "present": pl.when(present).then(weight).otherwise(0.0),
        **{m: pl.when(present).then(terms[m]).otherwise(0.0) for m in used},
        # Only the children with a score: the data of a child left unscored
        # (below its own minimum coverage) backs nothing above it.
        "covered": pl.when(present)
        .then(weight * pl.col("coverage").fill_null(0.0))
        .otherwise(0.0),
    }
    exact = {name: ExactSum.of(bounds[name], most) for name in summed}
    rows = children.select(
        key("parent"),
        *(
            part
            for name, term in summed.items()
            for part in exact[name].parts(name, term)
        ),
        "unscored",
    )
    sums = rows.group_by("row").agg(pl.exclude("row").sum())
    return sums.select(
        "row",
        *(exact[name].total(name) for name in summed),
        "unscored",
        *split("parent"),
        children=exact["present"].total("present"),
    )


def term_bounds(
    nodes: pl.DataFrame, low: float, high: float, units: int, grouped: bool
) -> dict[str, float]:
    """The largest size each sum's terms may have (infinite when unbounded),
    from the weights and the leaves' normalizations (``nodes``: the node
    table), the index's scale from ``low`` to ``high``, the number of
    ``units`` and whether some of them are scored against the others (groups
    and units listed as ``unranked``: ``grouped``).

    A parent's mean lies within its children's scores, so the leaves bound
    every score above them: on the scale (clipped anchors, percentiles and,
    without groups, min-max), up to the number of units (ranks), below its
    square root (z-scores, without groups); unbounded otherwise (no
    normalization, unclipped anchors, distance to a target, and a group or
    unranked unit, scored against the others, under min-max or z-scores). Geometric and
    harmonic means add ``log(0)`` or ``1 / 0`` for a score of 0: unbounded;
    where the tree has one, a score may be undefined (NaN), so the terms of
    the arithmetic means are not bounded either."""
    weight = nodes["weight"].abs().max() or 0.0
    leaves = nodes.filter(pl.col("leaf"))
    methods = set(leaves["method"].cast(pl.String).to_list())
    clipped = leaves.filter(pl.col("method") == "anchors")["clip"].all()
    bounded = {"rank", "percentile"} | ({"anchors"} if clipped else set())
    if not grouped:
        bounded |= {"minmax", "minmax_pooled", "zscore"}
    # A rank is at most the number of units, a z-score below its square root.
    score = max(abs(low), abs(high), units if {"rank", "zscore"} & methods else 0)
    # A geometric or harmonic mean may be undefined (NaN) for the means above.
    means = set(nodes.filter(~pl.col("leaf"))["aggregate"].cast(pl.String).to_list())
    if not methods <= bounded or means - {"arithmetic"}:
        score = math.inf
    return {
        "present": weight,
        "covered": weight,
        "arithmetic": weight * score,
        "geometric": math.inf,
        "harmonic": math.inf,
    }


def _completed(sums, grid: pl.LazyFrame, methods, key) -> pl.LazyFrame:
    """The level's sums for every unit and year (zero where no child has a row)."""
    used = [m for m in MEANS if m in methods]
    names = ["present", "children", *used, "covered", "unscored"]
    keys = grid.rename({"node": "parent"})
    if sums is None:
        return keys.with_columns(pl.lit(0.0).alias(name) for name in names)
    keys = keys.with_columns(key("parent"))
    joined = keys.join(sums.drop(GROUP), on="row", how="left")
    return joined.with_columns(pl.col(names).fill_null(0.0))


def _scored(table: pl.LazyFrame, methods) -> pl.LazyFrame:
    """Scores and coverage of the level's parents, with their own settings."""
    return table.select(
        "unit",
        "year",
        pl.col("parent").alias("node"),
        pl.col("grandparent").alias("parent"),
        "weight",
        _mean(methods).alias("score"),
        _coverage().alias("coverage"),
        "children",
        "unscored",
    )


def own_settings(nodes: pl.LazyFrame) -> pl.LazyFrame:
    """Each parent's own weight, aggregation, minimum coverage and the total
    weight of its children in the tree."""
    totals = nodes.group_by("parent").agg(pl.col("weight").sum().alias("total"))
    own = nodes.filter(~pl.col("leaf")).select(
        pl.col("node").alias("parent"),
        pl.col("parent").alias("grandparent"),
        "weight",
        "aggregate",
        "min_coverage",
    )
    return own.join(totals, on="parent", how="left")


def _coverage() -> pl.Expr:
    return pl.col("covered") / pl.col("total")


def _mean(methods: set[str]) -> pl.Expr:
    weight = pl.col("present")
    means = {
        "arithmetic": pl.col("arithmetic") / weight,
        "geometric": (pl.col("geometric") / weight).exp(),
        "harmonic": weight / pl.col("harmonic"),
    }
    used = [m for m in MEANS if m in methods]
    if len(used) == 1:
        mean = means[used[0]]
    else:
        mean = pl.lit(None, pl.Float64)
        for method in reversed(used):
            mean = (
                pl.when(pl.col("aggregate") == method)
                .then(means[method])
                .otherwise(mean)
            )
    enough = (weight > 0) & (_coverage() >= pl.col("min_coverage") - 1e-12)
    return pl.when(enough).then(mean)


def _effective(levels: dict[int, pl.LazyFrame], key) -> pl.LazyFrame:
    """The parents' shares and effective shares, from the root down: a node's
    share of its parent times the parent's own effective share."""
    done = levels[0].with_columns(share=pl.lit(1.0), effective_share=pl.lit(1.0))
    tables = [done]
    for level in range(1, max(levels) + 1):
        done = with_shares(levels[level], done, key).cache()
        tables.append(done)
    return pl.concat([t.select(PARENT) for t in tables], how="vertical_relaxed")


def with_shares(
    table: pl.LazyFrame,
    above: pl.LazyFrame,
    key: Callable[[str], pl.Expr],
    maintain_order: bool = False,
) -> pl.LazyFrame:
    """``share`` and ``effective_share`` of the rows of ``table``, from their
    parents' rows in ``above`` (``children``, ``score``, ``effective_share``).
    Under a parent without a score (below its minimum coverage) a node
    contributes nothing: its effective share is missing."""
    keys = above.select(
        key("node"),
        pl.col("children").alias("siblings"),
        pl.when(pl.col("score").is_not_null())
        .then(pl.col("effective_share"))
        .alias("parent_share"),
    )
    joined = table.with_columns(key("parent")).join(
        keys,
        on="row",
        how="left",
        maintain_order="left" if maintain_order else "none",
    )
    share = _share()
    return joined.with_columns(
        share=share, effective_share=share * pl.col("parent_share")
    ).drop("row", "siblings", "parent_share")


def _share() -> pl.Expr:
    """A node's weight within its parent, renormalized over the children that
    have a score for that unit and year; missing when none of them has."""
    w = pl.when(pl.col("score").is_not_null()).then(pl.col("weight"))
    siblings = pl.col("siblings")
    return pl.when(siblings > 0).then(w.fill_null(0.0) / siblings)


# The most units and years an undefined score's message lists.
LISTED = 5


def check_defined(
    rows: pl.DataFrame, index: Index, means: Callable[[], dict[str, str]]
) -> None:
    """Raise if a parent's score is not a number (NaN): a geometric mean of a
    negative score, or a harmonic mean of scores of both signs, has none.

    ``rows`` are the parents' rows; ``means()``: each parent's aggregation.
    Left alone, such a score would sort above every other and rank first.
    """
    undefined = rows.filter(pl.col("score").is_nan())
    if undefined.height == 0:
        return
    # Named where it starts: not the parents it makes undefined in turn.
    above = undefined.select("unit", "year", pl.col("parent").alias("node"))
    undefined = undefined.join(
        above, on=["unit", "year", "node"], how="anti", nulls_equal=True
    ).sort("node", "year", "unit")
    problems = []
    means = means()
    for (node,), found in undefined.partition_by("node", as_dict=True).items():
        node = str(node)
        cells = ", ".join(
            f"{unit} in {year}" if year is not None else str(unit)
            for unit, year in found.select("unit", "year").head(LISTED).iter_rows()
        )
        more = f" and {found.height - LISTED} more" if found.height > LISTED else ""
        mean = means.get(node, "arithmetic")
        message = (
            f"`{node}` has no {mean} mean for {cells}{more}: its score is not a number"
        )
        hints = (
            f"a {mean} mean needs children's scores of 0 or more; a child scored"
            " below 0 (anchors with `unclipped`, a z-score) has none",
            "clip the children's anchors, normalize them to 0-100, or aggregate"
            " `arithmetic`",
        )
        span = index.node(node).span if index.node(node) is not None else None
        problems.append(Diagnostic("E520", message, span, hints))
    raise AixError(problems)


def warn_zero_means(
    rows: pl.DataFrame, index: Index, means: Callable[[], dict[str, str]]
) -> None:
    """Warn of the parents a geometric or harmonic mean puts at 0: one child
    scored 0 (at the bottom of the scale, or below a clipped anchor) does so
    whatever the other children score, which is the method's intent but
    deserves a look (UNDP publishes no HDI for such a year).

    ``rows`` are the parents' rows; ``means()``: each parent's aggregation."""
    kinds = {node: mean for node, mean in means().items() if mean != "arithmetic"}
    if not kinds:
        return
    zero = rows.filter(
        pl.col("node").cast(pl.String).is_in(list(kinds)) & (pl.col("score") == 0)
    )
    # Named where it starts: not the parents it puts at 0 in turn.
    above = zero.select("unit", "year", pl.col("parent").alias("node"))
    zero = zero.join(above, on=["unit", "year", "node"], how="anti", nulls_equal=True)
    if zero.height == 0:
        return
    zero = zero.sort("node", "year", "unit")
    cells = [
        f"`{node}` of {unit}" + (f" in {year}" if year is not None else "")
        for node, unit, year in zero.select(
            pl.col("node", "unit").cast(pl.String), "year"
        )
        .head(LISTED)
        .iter_rows()
    ]
    more = f" and {zero.height - LISTED} more" if zero.height > LISTED else ""
    warn(
        "W407",
        f"{index.path}: {', '.join(cells)}{more} scored 0: under a geometric or "
        "harmonic mean, one child scored 0 puts its parent at 0 whatever the "
        "other children score",
    )
