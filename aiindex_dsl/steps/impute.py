"""Impute: fill missing raw values, and remember which were filled.

Methods, per indicator in the ``impute`` column:

- ``none``: leave the value missing (aggregation renormalizes around it);
- ``mean`` / ``median``: of the indicator over the units of that year, or,
  with ``impute mean by "COLUMN"``, over the units sharing that column's value
  (groups, whose values are their members', are not among them, and are not
  filled so: a region's total is not a province's mean; nor are unranked
  units);
- ``locf``: the unit's last observed value of an earlier year;
- ``interpolate``: linear between the unit's observed years (then ``locf`` at
  the end of the series).

Example: values 1, missing, 3 for one unit over three years, interpolate -> 2.
"""

from __future__ import annotations

import polars as pl

from . import exact_mean, of_units

BY_YEAR = ["node", "year"]
BY_UNIT = ["node", "unit"]


def impute(
    frame: pl.LazyFrame, used: set[str], groups: list[str] = (), units: int = 1
) -> pl.LazyFrame:
    """Fill ``value`` by each indicator's method; ``imputed`` flags filled
    cells. ``groups``: the codes of the unit groups, left out of the means;
    ``units``: how many units (and groups) there are (a mean adds their
    values exactly, see :func:`~aiindex_dsl.steps.exact_mean`)."""
    if used <= {"none"}:
        return frame.with_columns(imputed=pl.lit(False))
    value = pl.col("value")
    peers = of_units(value, groups)
    group = ["node", "year", "impute_group"]
    fills = {
        "mean": of_units(exact_mean(peers, units).over(group), groups),
        "median": of_units(peers.median().over(group), groups),
        "locf": value.forward_fill().over(BY_UNIT, order_by="year"),
        "interpolate": value.interpolate()
        .forward_fill()
        .over(BY_UNIT, order_by="year"),
    }
    filled = value
    for method in sorted(used & set(fills)):
        filled = (
            value.fill_null(fills[method])
            if used == {method}
            else pl.when(pl.col("impute") == method)
            .then(value.fill_null(fills[method]))
            .otherwise(filled)
        )
    return frame.with_columns(
        filled.alias("value"),
        (value.is_null() & filled.is_not_null()).alias("imputed"),
    )
