"""Aggregate: children's scores to their parent's, level by level up the tree.

A parent's score is the weighted mean of the scores its children have for that
unit and year: arithmetic ``sum(w s) / sum(w)``, geometric
``exp(sum(w ln s) / sum(w))`` or harmonic ``sum(w) / sum(w / s)``. Children
without a score are left out and the weights of the others renormalized. The
parent's coverage is the share of its weight backed by observed data; below its
minimum coverage the parent has no score.

The leaves are read once: their sums per parent are taken in one pass, and
every level above works on the small table of parents.

Example: children 50 and 80 with weights 20% and 10%, arithmetic -> 60.
"""

from __future__ import annotations

import polars as pl

KEYS = ("unit", "year", "parent")
SUMS = (
    "present_weight",
    "total_weight",
    "arithmetic",
    "log_sum",
    "inverse_sum",
    "covered",
)


def aggregate(leaves: pl.LazyFrame, tree: pl.DataFrame, height: int) -> pl.LazyFrame:
    """Scores of every node, leaves included: unit, year, node, score, coverage,
    share and effective_share (other columns of ``leaves`` are kept, missing on
    the nodes above).

    ``tree`` has one row per node: node, parent, weight (within the parent),
    parent_height, parent_aggregate, parent_min_coverage. ``share`` is the
    node's weight within its parent after renormalization for that unit;
    ``effective_share`` the product of the shares on its path to the root.
    """
    links = tree.lazy().select("node", "parent", "weight")
    heights = tree.lazy().select("node", "parent", "weight", "parent_height")
    leaves = leaves.join(links, on="node", how="left").cache()
    first = _sums(leaves, tree).cache()

    levels: list[pl.LazyFrame] = []
    for level in range(1, height + 1):
        parts = [first.filter(pl.col("parent_height") == level)]
        if levels:
            below = pl.concat(levels, how="vertical").join(heights, on="node")
            below = below.filter(pl.col("parent_height") == level)
            parts.append(_sums(below.drop("parent_height"), tree))
        levels.append(_parents(_combine(parts)).cache())

    above = _shares_above(levels, links, tree) if levels else None
    return _leaf_shares(leaves, above, levels)


def _sums(children: pl.LazyFrame, tree: pl.DataFrame) -> pl.LazyFrame:
    """Per parent, unit and year: the sums a weighted mean is made of."""
    present = pl.col("score").is_not_null()
    w = pl.when(present).then(pl.col("weight")).otherwise(0.0)
    s = pl.col("score")
    sums = (
        children.filter(pl.col("parent").is_not_null())
        .group_by(KEYS)
        .agg(
            w.sum().alias("present_weight"),
            pl.col("weight").sum().alias("total_weight"),
            (w * s).sum().alias("arithmetic"),
            (w * s.log()).sum().alias("log_sum"),
            (w / s).sum().alias("inverse_sum"),
            (pl.col("weight") * pl.col("coverage").fill_null(0.0))
            .sum()
            .alias("covered"),
        )
    )
    return sums.join(_parent_settings(tree), on="parent", how="left")


def _parent_settings(tree: pl.DataFrame) -> pl.LazyFrame:
    return (
        tree.lazy()
        .filter(pl.col("parent").is_not_null())
        .select(
            "parent",
            "parent_height",
            pl.col("parent_aggregate").alias("method"),
            pl.col("parent_min_coverage").alias("min_coverage"),
        )
        .unique("parent", keep="first")
    )


def _combine(parts: list[pl.LazyFrame]) -> pl.LazyFrame:
    """Sums of one parent from children at several heights, added up."""
    if len(parts) == 1:
        return parts[0]
    return (
        pl.concat(parts, how="vertical")
        .group_by(KEYS)
        .agg(
            *[pl.col(name).sum() for name in SUMS],
            pl.col("method").first(),
            pl.col("min_coverage").first(),
        )
    )


def _parents(sums: pl.LazyFrame) -> pl.LazyFrame:
    means = {
        "arithmetic": pl.col("arithmetic") / pl.col("present_weight"),
        "geometric": (pl.col("log_sum") / pl.col("present_weight")).exp(),
        "harmonic": pl.col("present_weight") / pl.col("inverse_sum"),
    }
    score = pl.lit(None, pl.Float64)
    for method, expr in means.items():
        score = pl.when(pl.col("method") == method).then(expr).otherwise(score)
    coverage = pl.col("covered") / pl.col("total_weight")
    enough = (pl.col("present_weight") > 0) & (
        coverage >= pl.col("min_coverage") - 1e-12
    )
    return sums.select(
        pl.col("unit"),
        pl.col("year"),
        pl.col("parent").alias("node"),
        pl.when(enough).then(score).otherwise(None).alias("score"),
        coverage.alias("coverage"),
        "present_weight",
    )


def _shares_above(
    levels: list[pl.LazyFrame], links: pl.LazyFrame, tree: pl.DataFrame
) -> pl.LazyFrame:
    """Share and effective share of every node above the leaves, top down."""
    nodes = pl.concat(levels, how="vertical").join(links, on="node", how="left")
    weights = nodes.join(
        pl.concat(levels, how="vertical").select(
            "unit",
            "year",
            pl.col("node").alias("parent"),
            pl.col("present_weight").alias("parent_weight"),
        ),
        on=KEYS,
        how="left",
        nulls_equal=True,
    )
    shared = weights.with_columns(_share().alias("share")).join(
        tree.lazy().select("node", "depth"), on="node", how="left"
    )
    known = shared.filter(pl.col("depth") == 0).with_columns(
        effective_share=pl.col("share")
    )
    found = [known]
    for depth in range(1, int(tree["depth"].max() or 0) + 1):
        step = shared.filter(pl.col("depth") == depth).join(
            known.select(
                "unit",
                "year",
                pl.col("node").alias("parent"),
                pl.col("effective_share").alias("parent_effective"),
            ),
            on=KEYS,
            how="left",
            nulls_equal=True,
        )
        known = step.with_columns(
            effective_share=pl.col("share") * pl.col("parent_effective")
        ).drop("parent_effective")
        found.append(known)
    return pl.concat(found, how="vertical").drop("depth", "parent_weight")


def _share() -> pl.Expr:
    present = (
        pl.when(pl.col("score").is_not_null()).then(pl.col("weight")).otherwise(0.0)
    )
    return (
        pl.when(pl.col("parent").is_null())
        .then(1.0)
        .otherwise(present / pl.col("parent_weight"))
    )


def _leaf_shares(leaves, above, levels) -> pl.LazyFrame:
    """The leaves' shares from their parents' weights, then every row together."""
    if above is None:
        return leaves.with_columns(share=pl.lit(1.0), effective_share=pl.lit(1.0)).drop(
            "parent", "weight"
        )
    parents = above.select(
        "unit",
        "year",
        pl.col("node").alias("parent"),
        pl.col("present_weight").alias("parent_weight"),
        pl.col("effective_share").alias("parent_effective"),
    )
    scored = leaves.join(parents, on=KEYS, how="left", nulls_equal=True).with_columns(
        _share().alias("share")
    )
    scored = scored.with_columns(
        effective_share=pl.col("share") * pl.col("parent_effective")
    ).drop("parent", "weight", "parent_weight", "parent_effective")
    rows = above.drop("parent", "weight", "present_weight")
    return pl.concat([scored, rows], how="diagonal_relaxed")
