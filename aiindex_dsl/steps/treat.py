"""Treat outliers: values so extreme that they would dominate a min-max scale.

Methods, per indicator in the ``treat`` column, applied to each indicator's
values of one year:

- ``none``: leave the values as they are;
- ``winsorize``: while the values fail the skew-kurtosis test (up to
  :data:`MAX_WINSORIZED` times), replace the most extreme value on the side of
  the skew by the next most extreme (values tied at the extreme are all
  replaced);
- ``coinr``: COINr's default rule: ``winsorize``, and if the values still fail,
  use instead ``log(x - min + 0.01 (max - min))`` of the values as they were.

The test passes when ``|skewness| < 2`` or ``excess kurtosis < 3.5``, with the
sample (bias-corrected) estimators that Excel's SKEW and KURT use.

Unit groups and unranked units, scored against the units, are left out of the
test and of the extremes, and are not winsorized; where an indicator falls
back to a log, their values take the same log.

Example: 1, 2, 3, 4, 5, 6, 7, 8, 9, 100 has skewness 3.1 and kurtosis 9.9;
``winsorize`` replaces 100 by 9, after which the test passes.
"""

from __future__ import annotations

import polars as pl

from . import of_units

MAX_WINSORIZED = 5
SKEW_LIMIT = 2.0
KURTOSIS_LIMIT = 3.5
WINDOW = ("node", "year")
TREATMENTS = ("winsorize", "coinr")


def treat(frame: pl.LazyFrame, used: set[str], groups=()) -> pl.LazyFrame:
    """Change ``value`` by each indicator's treatment; ``treated`` flags the
    changed cells. Adds ``winsorized`` (points replaced) and ``log_treated``.
    ``groups``: the codes left out of the statistics (see the module)."""
    if not used & set(TREATMENTS):
        return frame.with_columns(
            treated=pl.lit(False),
            winsorized=pl.lit(False),
            log_treated=pl.lit(False),
        )
    frame = frame.with_columns(
        original=pl.col("value"),
        winsorized=pl.lit(False),
        _treat=pl.col("treat").is_in(TREATMENTS),
    )
    for _ in range(MAX_WINSORIZED):
        frame = frame.with_columns(_skew_kurtosis(groups)).with_columns(
            _winsorize(groups)
        )
    frame = frame.with_columns(_skew_kurtosis(groups)).with_columns(
        _log_fallback(groups)
    )
    return frame.with_columns(
        (pl.col("winsorized") | pl.col("log_treated")).alias("treated")
    ).drop("original", "_treat", "_skew", "_fails")


def _skew_kurtosis(groups) -> list[pl.Expr]:
    x = of_units(pl.col("value"), groups)
    skew = x.skew(bias=False).over(WINDOW)
    kurtosis = x.kurtosis(fisher=True, bias=False).over(WINDOW)
    # Values that no longer differ (winsorized to one) have no skewness
    # (NaN, which Polars orders above every number): they fail nothing.
    defined = skew.is_not_nan() & kurtosis.is_not_nan()
    fails = defined & (skew.abs() >= SKEW_LIMIT) & (kurtosis >= KURTOSIS_LIMIT)
    return [
        skew.alias("_skew"),
        (pl.col("_treat") & fails.fill_null(False)).alias("_fails"),
    ]


def _winsorize(groups) -> list[pl.Expr]:
    value = pl.col("value")
    x = of_units(value, groups)
    high = pl.col("_skew") >= 0
    top, bottom = x.max().over(WINDOW), x.min().over(WINDOW)
    below_top = x.filter(x < x.max()).max().over(WINDOW)
    above_bottom = x.filter(x > x.min()).min().over(WINDOW)
    # Only where a next value exists to take the extreme's place.
    at_top = pl.col("_fails") & high & (x == top) & below_top.is_not_null()
    at_bottom = pl.col("_fails") & high.not_() & (x == bottom)
    at_bottom = at_bottom & above_bottom.is_not_null()
    return [
        pl.when(at_top)
        .then(below_top)
        .when(at_bottom)
        .then(above_bottom)
        .otherwise(value)
        .alias("value"),
        (pl.col("winsorized") | (at_top | at_bottom).fill_null(False)).alias(
            "winsorized"
        ),
    ]


def _log_fallback(groups) -> list[pl.Expr]:
    x = pl.col("original")
    peers = of_units(x, groups)
    low, high = peers.min().over(WINDOW), peers.max().over(WINDOW)
    logged = (x - low + 0.01 * (high - low)).log()
    use = pl.col("_fails") & (pl.col("treat") == "coinr")
    return [
        pl.when(use).then(logged).otherwise(pl.col("value")).alias("value"),
        pl.when(use)
        .then(pl.lit(False))
        .otherwise(pl.col("winsorized"))
        .alias("winsorized"),
        (use & x.is_not_null()).alias("log_treated"),
    ]
