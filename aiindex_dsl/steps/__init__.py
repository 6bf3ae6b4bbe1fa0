"""The methodological steps, one module each, in the order they run.

Each step takes the long table of indicator values (one row per unit, year and
indicator, with that indicator's settings as columns) and returns it with its
own columns added or changed. :data:`aiindex_dsl.compile.STEPS` is the order.
"""

from __future__ import annotations

import polars as pl


def node_and_year() -> pl.Expr:
    """One integer for a row's node and year (a missing year its own value).
    The node is an enumeration of fewer than 2**32 nodes."""
    year = (pl.col("year").fill_null(-1_000_000) + 1_000_000).cast(pl.UInt64)
    return year * 2**32 + pl.col("node").to_physical().cast(pl.UInt64)


def of_units(value: pl.Expr, groups) -> pl.Expr:
    """``value`` for the units only: missing for the unit groups (``groups``:
    their codes), which the statistics over units leave out."""
    if not groups:
        return value
    unit = pl.col("unit").cast(pl.String)
    return pl.when(~unit.is_in(list(groups))).then(value)
