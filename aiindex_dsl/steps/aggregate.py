"""Aggregate: children's scores to their parent's, level by level up the tree.

A parent's score is the weighted mean of the scores its children have for that
unit and year: arithmetic ``sum(w s) / sum(w)``, geometric
``exp(sum(w ln s) / sum(w))`` or harmonic ``sum(w) / sum(w / s)``. Children
without a score are left out and the weights of the others renormalized. The
parent's coverage is the share of its weight backed by observed data; below its
minimum coverage the parent has no score.

Example: children 50 and 80 with weights 20% and 10%, arithmetic -> 60.

Each level is one ``group_by`` of the level below by unit, year and parent, so
only the leaves are read from the big table once; the parents' tables are small
(one row per unit, year and dimension). Their scores, and each node's share of
its parent, reach the big table through two joins.
"""

from __future__ import annotations

import polars as pl

MEANS = ("arithmetic", "geometric", "harmonic")
GROUP = ["unit", "year", "parent"]
KEYS = ["unit", "year", "node"]
CHILD = ["unit", "year", "node", "parent", "weight", "score", "coverage"]


def aggregate(
    frame: pl.LazyFrame, nodes: pl.LazyFrame, depth: int, methods: set[str]
) -> pl.LazyFrame:
    """Fill ``score`` and ``coverage`` of every dimension and of the index,
    ``share`` (each node's weight within its parent after renormalization) and
    ``effective_share`` (the product of the shares along its path).

    Reads ``depth``, ``leaf``, ``weight`` (within the parent), ``parent`` and
    the leaves' ``score`` and ``observed``; ``nodes`` holds each node's
    ``aggregate`` and ``min_coverage``.
    """
    frame = frame.with_columns(
        pl.when(pl.col("leaf"))
        .then(pl.col("observed").cast(pl.Float64))
        .alias("coverage")
    ).cache()
    if depth == 0:
        return frame.with_columns(share=pl.lit(1.0), effective_share=pl.lit(1.0))
    leaves = frame.filter(pl.col("leaf")).select([*CHILD, "depth"])
    parents = _parents(leaves, nodes, depth, methods).cache()
    return _joined(frame, parents)


def _parents(leaves, nodes, depth: int, methods: set[str]) -> pl.LazyFrame:
    """Every parent's row (unit, year, node): score, coverage, the sum of its
    scored children's weights (``children``) and its ``effective_share``."""
    levels: dict[int, pl.LazyFrame] = {}
    below = None
    for level in range(depth - 1, -1, -1):
        children = leaves.filter(pl.col("depth") == level + 1).select(CHILD)
        if below is not None:
            children = pl.concat([children, below.select(CHILD)])
        below = _level(children, nodes, methods).cache()
        levels[level] = below
    return _effective(levels, depth)


def _level(children: pl.LazyFrame, nodes: pl.LazyFrame, methods) -> pl.LazyFrame:
    score = pl.col("score")
    present = score.is_not_null()
    weight = pl.col("weight")
    sums = children.group_by(GROUP).agg(
        pl.when(present).then(weight).otherwise(0.0).sum().alias("present"),
        pl.when(present).then(weight).sum().alias("children"),
        weight.sum().alias("total"),
        _sum(present, weight * score).alias("arithmetic"),
        _sum(present, weight * score.log()).alias("geometric"),
        _sum(present, weight / score).alias("harmonic"),
        (weight * pl.col("coverage").fill_null(0.0)).sum().alias("covered"),
    )
    own = nodes.select(
        pl.col("node").alias("parent"),
        pl.col("parent").alias("grandparent"),
        "weight",
        "aggregate",
        "min_coverage",
    )
    table = sums.join(own, on="parent", how="left")
    return table.select(
        "unit",
        "year",
        pl.col("parent").alias("node"),
        pl.col("grandparent").alias("parent"),
        "weight",
        _mean(methods).alias("score"),
        _coverage().alias("coverage"),
        "children",
    )


def _sum(present: pl.Expr, term: pl.Expr) -> pl.Expr:
    """The sum of ``term`` over the children with a score (a score of 0 makes a
    geometric mean 0, and must not meet a zero weight)."""
    return pl.when(present).then(term).sum()


def _coverage() -> pl.Expr:
    return pl.col("covered") / pl.col("total")


def _mean(methods: set[str]) -> pl.Expr:
    weight = pl.col("present")
    means = {
        "arithmetic": pl.col("arithmetic") / weight,
        "geometric": (pl.col("geometric") / weight).exp(),
        "harmonic": weight / pl.col("harmonic"),
    }
    mean = pl.lit(None, pl.Float64)
    for method in reversed([m for m in MEANS if m in methods]):
        mean = (
            pl.when(pl.col("aggregate") == method).then(means[method]).otherwise(mean)
        )
    enough = (weight > 0) & (_coverage() >= pl.col("min_coverage") - 1e-12)
    return pl.when(enough).then(mean)


def _effective(levels: dict[int, pl.LazyFrame], depth: int) -> pl.LazyFrame:
    """The parents' effective shares, from the root down: a node's share of its
    parent times the parent's own effective share."""
    done = levels[0].with_columns(effective_share=pl.lit(1.0))
    tables = [done]
    for level in range(1, depth):
        done = _with_share(levels[level], done).cache()
        tables.append(done)
    return pl.concat(tables, how="diagonal_relaxed")


def _with_share(table: pl.LazyFrame, above: pl.LazyFrame) -> pl.LazyFrame:
    keys = above.select(
        "unit",
        "year",
        pl.col("node").alias("parent"),
        pl.col("children").alias("siblings"),
        pl.col("effective_share").alias("parent_share"),
    )
    joined = table.join(keys, on=GROUP, how="left", nulls_equal=True)
    return joined.with_columns(effective_share=_share() * pl.col("parent_share")).drop(
        "siblings", "parent_share"
    )


def _share() -> pl.Expr:
    """A node's weight within its parent, renormalized over the children that
    have a score for that unit and year."""
    w = pl.when(pl.col("score").is_not_null()).then(pl.col("weight"))
    return w.fill_null(0.0) / pl.col("siblings")


def _joined(frame: pl.LazyFrame, parents: pl.LazyFrame) -> pl.LazyFrame:
    """The parents' scores onto their rows, and every node's shares."""
    own = parents.select(
        "unit",
        "year",
        "node",
        pl.col("score").alias("_score"),
        pl.col("coverage").alias("_coverage"),
        pl.col("effective_share").alias("_effective"),
    )
    above = parents.select(
        "unit",
        "year",
        pl.col("node").alias("parent"),
        pl.col("children").alias("siblings"),
        pl.col("effective_share").alias("parent_share"),
    )
    frame = frame.join(
        own, on=KEYS, how="left", maintain_order="left", nulls_equal=True
    ).join(above, on=GROUP, how="left", maintain_order="left", nulls_equal=True)
    parent = pl.col("leaf").not_()
    root = pl.col("depth") == 0
    frame = frame.with_columns(
        pl.when(parent)
        .then(pl.col("_score"))
        .otherwise(pl.col("score"))
        .alias("score"),
        pl.when(parent)
        .then(pl.col("_coverage"))
        .otherwise(pl.col("coverage"))
        .alias("coverage"),
    )
    share = pl.when(root).then(pl.lit(1.0)).otherwise(_share())
    frame = frame.with_columns(share.alias("share"))
    effective = (
        pl.when(root)
        .then(pl.lit(1.0))
        .otherwise(pl.col("share") * pl.col("parent_share"))
    )
    return frame.with_columns(effective.alias("effective_share")).drop(
        "_score", "_coverage", "_effective", "siblings", "parent_share"
    )
