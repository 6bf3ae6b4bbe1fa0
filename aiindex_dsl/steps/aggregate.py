"""Aggregate: children's scores to their parent's, level by level up the tree.

A parent's score is the weighted mean of the scores its children have for that
unit and year: arithmetic ``sum(w s) / sum(w)``, geometric
``exp(sum(w ln s) / sum(w))`` or harmonic ``sum(w) / sum(w / s)``. Children
without a score are left out and the weights of the others renormalized. The
parent's coverage is the share of its weight backed by observed data; below its
minimum coverage the parent has no score.

Example: children 50 and 80 with weights 20% and 10%, arithmetic -> 60.

The table holds one row per unit, year and node; column ``aD`` names the node's
ancestor at depth ``D`` (the node itself at its own depth). Rows sharing
``aD`` at depth ``D + 1`` are the children of the row whose node is ``aD``, so
one window over ``(unit, year, aD)`` computes every parent at depth ``D`` at
once, with no join and no second copy of the table.
"""

from __future__ import annotations

import polars as pl

MEANS = ("arithmetic", "geometric", "harmonic")


def aggregate(frame: pl.LazyFrame, depth: int, methods: set[str]) -> pl.LazyFrame:
    """Fill ``score`` and ``coverage`` of every dimension and of the index, and
    ``share``: each node's weight within its parent after renormalization.

    Reads ``depth``, ``leaf``, ``weight`` (within the parent), ``aggregate`` and
    ``min_coverage`` (the node's own), ``a0 ... aN``, and the leaves' ``score``
    and ``coverage``.
    """
    frame = frame.with_columns(
        pl.when(pl.col("leaf"))
        .then(pl.col("observed").cast(pl.Float64))
        .alias("coverage")
    )
    for level in range(depth - 1, -1, -1):
        frame = frame.with_columns(_level(level, methods))
    return frame.with_columns(_share(depth))


def _level(level: int, methods: set[str]) -> list[pl.Expr]:
    window = ["unit", "year", f"a{level}"]
    child = pl.col("depth") == level + 1
    score = pl.col("score")
    present = child & score.is_not_null()
    w = pl.when(present).then(pl.col("weight")).otherwise(0.0)
    weight = w.sum().over(window)
    total = pl.when(child).then(pl.col("weight")).otherwise(0.0).sum().over(window)
    sums = {
        "arithmetic": _sum(present, pl.col("weight") * score, window) / weight,
        "geometric": (
            _sum(present, pl.col("weight") * score.log(), window) / weight
        ).exp(),
        "harmonic": weight / _sum(present, pl.col("weight") / score, window),
    }
    mean = pl.lit(None, pl.Float64)
    for method in reversed([m for m in MEANS if m in methods]):
        mean = pl.when(pl.col("aggregate") == method).then(sums[method]).otherwise(mean)

    covered = pl.when(child).then(pl.col("weight") * pl.col("coverage").fill_null(0.0))
    coverage = covered.sum().over(window) / total
    enough = (weight > 0) & (coverage >= pl.col("min_coverage") - 1e-12)
    parent = (pl.col("depth") == level) & pl.col("leaf").not_()
    return [
        pl.when(parent)
        .then(pl.when(enough).then(mean))
        .otherwise(score)
        .alias("score"),
        pl.when(parent).then(coverage).otherwise(pl.col("coverage")).alias("coverage"),
    ]


def _sum(present: pl.Expr, term: pl.Expr, window: list[str]) -> pl.Expr:
    """The sum of ``term`` over the children with a score (a score of 0 makes a
    geometric mean 0, and must not meet a zero weight)."""
    return pl.when(present).then(term).sum().over(window)


def _share(depth: int) -> pl.Expr:
    """Each node's weight within its parent, renormalized over the children that
    have a score for that unit and year (the root's share is 1)."""
    share = pl.lit(1.0)
    for level in range(1, depth + 1):
        window = ["unit", "year", f"a{level - 1}"]
        child = pl.col("depth") == level
        w = pl.when(child & pl.col("score").is_not_null()).then(pl.col("weight"))
        renormalized = w.fill_null(0.0) / w.sum().over(window)
        share = pl.when(child).then(renormalized).otherwise(share)
    return share.alias("share")


def effective_shares(frame: pl.LazyFrame, depth: int) -> pl.LazyFrame:
    """``effective_share``: the product of the shares along the node's path, so
    that ``effective_share * score`` is the node's contribution in points.

    The share of the ancestor at depth ``D`` reaches its whole subtree through
    one window over ``(unit, year, aD)``, in which only that ancestor's own row
    is at depth ``D``; the shares are multiplied from the top down.
    """
    product = pl.lit(1.0)
    for level in range(1, depth + 1):
        share = pl.col("share")
        if level < depth:
            window = ["unit", "year", f"a{level}"]
            share = pl.when(pl.col("depth") == level).then(share).max().over(window)
        above = pl.col("depth") >= level
        product = pl.when(above).then(share * product).otherwise(product)
    return frame.with_columns(product.alias("effective_share"))
