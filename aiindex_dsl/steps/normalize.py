"""Normalize: raw values to scores on the index's scale.

Methods, chosen per indicator in the ``method`` column:

- ``anchors``: ``low + (high - low) * (x - worst) / (best - worst)``, clipped to
  the scale unless the anchors are ``unclipped``; worst above best scores lower
  values higher;
- ``minmax``: the same with the data's minimum and maximum of that year as the
  anchors (``minmax_pooled``: over all years), oriented by ``direction``;
- ``zscore``: ``(x - mean) / sd`` of that year, times the direction;
- ``rank``: the rank of the value in that year (1 = lowest after orientation);
- ``percentile``: the rank as a share of the scale, ``(rank - 1) / (n - 1)``;
- ``target``: distance to target, ``x / target`` on the scale, capped at the top
  (for a negative direction ``target / x``);
- ``none``: the value as it is.

A score a method leaves undefined (min-max or z-score of an indicator whose
values are all equal) is missing.

Example: anchors worst 0 best 50 on 0-100, x = 11.3 -> score 22.6.
"""

from __future__ import annotations

import polars as pl

from ..ir import Scale

BY_YEAR = ("node", "year")


def normalize(frame: pl.LazyFrame, scale: Scale, methods: set[str]) -> pl.LazyFrame:
    """Add ``score`` and ``clipped`` from ``value`` and the method columns."""
    x = pl.col("value") * pl.col("sign")
    branches = {
        "anchors": lambda: _linear(
            pl.col("value"), pl.col("worst"), pl.col("best"), scale
        ),
        "minmax": lambda: _linear(
            x, x.min().over(BY_YEAR), x.max().over(BY_YEAR), scale
        ),
        "minmax_pooled": lambda: _linear(
            x, x.min().over("node"), x.max().over("node"), scale
        ),
        "zscore": lambda: (x - x.mean().over(BY_YEAR)) / x.std().over(BY_YEAR),
        "rank": lambda: x.rank("min").over(BY_YEAR).cast(pl.Float64),
        "percentile": lambda: _percentile(x, scale),
        "target": lambda: _target(scale),
        "none": lambda: pl.col("value"),
    }
    used = [m for m in branches if m in methods]
    if len(used) == 1:
        score = branches[used[0]]()
    else:
        score = pl.lit(None, pl.Float64)
        for method in reversed(used):
            score = (
                pl.when(pl.col("method") == method)
                .then(branches[method]())
                .otherwise(score)
            )
    # A score the method leaves undefined (min-max of a constant indicator) is
    # missing, so that the means above leave it out rather than turn NaN.
    score = score.cast(pl.Float64).fill_nan(None)
    if not {"anchors", "target"} & set(used):
        return frame.with_columns(score.alias("score"), clipped=pl.lit(False))
    frame = frame.with_columns(unclipped_score=score)
    return frame.with_columns(_clip(pl.col("unclipped_score"), scale)).drop(
        "unclipped_score"
    )


def _linear(x: pl.Expr, worst: pl.Expr, best: pl.Expr, scale: Scale) -> pl.Expr:
    return scale.low + (scale.high - scale.low) * (x - worst) / (best - worst)


def _percentile(x: pl.Expr, scale: Scale) -> pl.Expr:
    rank = x.rank("min").over(BY_YEAR)
    count = x.count().over(BY_YEAR)
    return scale.low + (scale.high - scale.low) * (rank - 1) / (count - 1)


def _target(scale: Scale) -> pl.Expr:
    ratio = (
        pl.when(pl.col("sign") > 0)
        .then(pl.col("value") / pl.col("target"))
        .otherwise(pl.col("target") / pl.col("value"))
    )
    return scale.low + (scale.high - scale.low) * pl.min_horizontal(ratio, 1.0)


def _clip(score: pl.Expr, scale: Scale) -> list[pl.Expr]:
    bounded = pl.col("method").is_in(["anchors", "target"]) & pl.col("clip")
    outside = (score < scale.low) | (score > scale.high)
    return [
        pl.when(bounded)
        .then(score.clip(scale.low, scale.high))
        .otherwise(score)
        .alias("score"),
        (bounded & outside).fill_null(False).alias("clipped"),
    ]
