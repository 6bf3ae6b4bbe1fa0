"""Aggregate: children's scores to their parent's, level by level up the tree.

A parent's score is the weighted mean of the scores its children have for that
unit and year: arithmetic ``sum(w s) / sum(w)``, geometric
``exp(sum(w ln s) / sum(w))`` or harmonic ``sum(w) / sum(w / s)``. Children
without a score are left out and the weights of the others renormalized. The
parent's coverage is the share of its weight backed by observed data; below its
minimum coverage the parent has no score.

Example: children 50 and 80 with weights 20% and 10%, arithmetic -> 60.
"""

from __future__ import annotations

import polars as pl

KEYS = ("unit", "year", "parent")


def aggregate(leaves: pl.LazyFrame, tree: pl.DataFrame, height: int) -> pl.LazyFrame:
    """Scores of every node, leaves included: unit, year, node, score, coverage, share.

    ``tree`` has one row per node: node, parent, weight (within the parent),
    parent_height, parent_aggregate, parent_min_coverage. ``share`` is the
    node's weight within its parent after renormalization for that unit.
    """
    links = tree.lazy().select(
        "node",
        "parent",
        "weight",
        "parent_height",
        "parent_aggregate",
        "parent_min_coverage",
    )
    scores = leaves
    for level in range(1, height + 1):
        children = scores.join(links, on="node", how="inner").filter(
            pl.col("parent_height") == level
        )
        scores = pl.concat([scores, _parents(children)], how="diagonal_relaxed")
    return _with_shares(scores, links)


def _parents(children: pl.LazyFrame) -> pl.LazyFrame:
    present = pl.col("score").is_not_null()
    w = pl.when(present).then(pl.col("weight")).otherwise(0.0)
    s = pl.col("score")
    sums = children.group_by(KEYS).agg(
        w.sum().alias("present_weight"),
        pl.col("weight").sum().alias("total_weight"),
        (w * s).sum().alias("arithmetic"),
        (w * s.log()).sum().alias("log_sum"),
        (w / s).sum().alias("inverse_sum"),
        (pl.col("weight") * pl.col("coverage").fill_null(0.0)).sum().alias("covered"),
        pl.col("parent_aggregate").first().alias("method"),
        pl.col("parent_min_coverage").first().alias("min_coverage"),
    )
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
    )


def _with_shares(scores: pl.LazyFrame, links: pl.LazyFrame) -> pl.LazyFrame:
    weighted = scores.join(
        links.select("node", "parent", "weight"), on="node", how="left"
    )
    present = (
        pl.when(pl.col("score").is_not_null()).then(pl.col("weight")).otherwise(0.0)
    )
    total = present.sum().over(["unit", "year", "parent"])
    share = pl.when(pl.col("parent").is_null()).then(1.0).otherwise(present / total)
    return weighted.with_columns(share.alias("share")).drop("weight")
