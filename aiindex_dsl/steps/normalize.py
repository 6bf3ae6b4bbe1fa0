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

The statistics (minimum, maximum, mean, standard deviation, ranks) are those
of the units alone: a unit group, whose values are its members', is scored
against them, not among them; it has no rank among the units, so ``rank``
and ``percentile`` give it no score.

Example: anchors worst 0 best 50 on 0-100, x = 11.3 -> score 22.6.
"""

from __future__ import annotations

import polars as pl

from ..ir import Scale
from . import exact_mean, exact_std, node_and_year, of_units


def _statistics(x: pl.Expr, units: int) -> dict[str, tuple[str, pl.Expr]]:
    """The statistics over the values of an indicator the methods read, and
    what they are over: an indicator and year (``year``), or an indicator in
    all years (``node``). The mean and standard deviation of at most
    ``units`` values add them exactly, so they do not depend on the order
    of the rows."""
    return {
        "__low": ("year", x.min()),
        "__high": ("year", x.max()),
        "__low_pooled": ("node", x.min()),
        "__high_pooled": ("node", x.max()),
        "__mean": ("year", exact_mean(x, units)),
        "__sd": ("year", exact_std(x, units)),
        "__rank": ("year", x.rank("min").cast(pl.Float64)),
        "__count": ("year", x.count()),
    }


READS = {
    "minmax": ("__low", "__high"),
    "minmax_pooled": ("__low_pooled", "__high_pooled"),
    "zscore": ("__mean", "__sd"),
    "rank": ("__rank",),
    "percentile": ("__rank", "__count"),
}


def _with_statistics(frame: pl.LazyFrame, x: pl.Expr, read, units) -> pl.LazyFrame:
    """``frame`` with the columns ``read`` (see :func:`_statistics`), each
    computed once, as a window over the rows of its group. The values are
    in memory by now (read and checked first), and a window over them is
    both faster and leaner than grouping the statistics and joining them
    back to the rows."""
    keys = {"year": node_and_year(), "node": pl.col("node").to_physical()}
    statistics = _statistics(x, units)
    return frame.with_columns(
        statistics[n][1].over(keys[statistics[n][0]]).alias(n) for n in read
    )


def normalize(
    frame: pl.LazyFrame,
    scale: Scale,
    methods: set[str],
    groups: list[str] = (),
    units: int = 1,
) -> pl.LazyFrame:
    """Add ``score`` and ``clipped`` from ``value`` and the method columns;
    ``groups``: the codes of the unit groups, left out of the statistics;
    ``units``: how many units (and groups) there are."""
    x = pl.col("value") * pl.col("sign")
    peers = of_units(x, groups)
    c = pl.col
    branches = {
        "anchors": lambda: _linear(c("value"), c("worst"), c("best"), scale),
        "minmax": lambda: _linear(x, c("__low"), c("__high"), scale),
        "minmax_pooled": lambda: _linear(
            x, c("__low_pooled"), c("__high_pooled"), scale
        ),
        "zscore": lambda: (x - c("__mean")) / c("__sd"),
        "rank": lambda: c("__rank"),
        "percentile": lambda: _percentile(scale),
        "target": lambda: _target(scale),
        "none": lambda: c("value"),
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
    read = list(dict.fromkeys(name for m in used for name in READS.get(m, ())))
    frame = _with_statistics(frame, peers, read, units)
    frame = frame.with_columns(score.cast(pl.Float64).alias("score")).drop(read)
    # A score the method leaves undefined is missing, so that the means above
    # leave it out rather than turn NaN: min-max or z-scores of an indicator
    # whose units do not differ (NaN, and infinite for a group or unranked
    # unit with another value, scored against them).
    score = pl.when(pl.col("score").is_finite()).then(pl.col("score"))
    if not {"anchors", "target"} & set(used):
        return frame.with_columns(score, clipped=pl.lit(False))
    return frame.with_columns(_clip(score, scale))


def _linear(x: pl.Expr, worst: pl.Expr, best: pl.Expr, scale: Scale) -> pl.Expr:
    return scale.low + (scale.high - scale.low) * (x - worst) / (best - worst)


def _percentile(scale: Scale) -> pl.Expr:
    rank, count = pl.col("__rank"), pl.col("__count")
    return scale.low + (scale.high - scale.low) * (rank - 1) / (count - 1)


def _target(scale: Scale) -> pl.Expr:
    ratio = (
        pl.when(pl.col("sign") > 0)
        .then(pl.col("value") / pl.col("target"))
        .otherwise(pl.col("target") / pl.col("value"))
    )
    # Capped at the target (``clip``, not ``min_horizontal``, which would
    # make a missing value reach it).
    return scale.low + (scale.high - scale.low) * ratio.clip(upper_bound=1.0)


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
