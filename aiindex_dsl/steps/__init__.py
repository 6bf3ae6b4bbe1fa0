"""The methodological steps, one module each, in the order they run.

Each step takes the long table of indicator values (one row per unit, year and
indicator, with that indicator's settings as columns) and returns it with its
own columns added or changed. :data:`aiindex_dsl.compile.STEPS` is the order.
"""

from __future__ import annotations

import math
from typing import NamedTuple

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


class ExactSum(NamedTuple):
    """How a column is summed exactly, in any order.

    Floating-point sums depend on the order of their terms, which the engine
    does not fix (it adds them on several threads). Each term is instead held
    as a whole number of ``1 / scale``-ths in an integer ``dtype``, whose sums
    are exact in any order: the same data gives the same scores to the last
    digit, and children with equal scores give their parents equal scores (a
    true tie). The scale is as fine as the integers allow for the largest
    sum, so the sums are at least as precise as floating-point ones. Terms
    that may be too large for it (``limit`` or more in size) or not finite
    are added apart, as floats.
    """

    dtype: type[pl.DataType]
    scale: float
    limit: float

    @classmethod
    def of(cls, bound: float, terms: int) -> ExactSum:
        """For sums of at most ``terms`` terms each at most ``bound`` in size
        (infinite: unbounded): 64-bit integers where every sum is at most
        2**20 in size, else 128-bit ones in 2**-64ths."""
        largest = bound * terms
        if largest <= 2.0**20:
            fine = 62 - math.ceil(math.log2(max(largest, 1.0)))
            return cls(pl.Int64, 2.0**fine, math.inf)
        limit = 2.0**62 / terms
        return cls(pl.Int128, 2.0**64, limit if bound >= limit else math.inf)

    def parts(self, name: str, term: pl.Expr) -> list[pl.Expr]:
        """The columns summed for ``term`` (see :meth:`_split`)."""
        whole, apart = self._split(term)
        parts = [whole.alias(f"{name}__whole")]
        return parts if apart is None else [*parts, apart.alias(f"{name}__float")]

    def total(self, name: str) -> pl.Expr:
        """A column's sum from the sums of its :meth:`parts`."""
        total = pl.col(f"{name}__whole").cast(pl.Float64) / self.scale
        if self.limit != math.inf:
            total = total + pl.col(f"{name}__float")
        return total.alias(name)

    def sum(self, term: pl.Expr) -> pl.Expr:
        """The exact sum of ``term`` as one aggregation, for a window or a
        group (missing terms left out)."""
        whole, apart = self._split(term)
        total = whole.sum().cast(pl.Float64) / self.scale
        return total if apart is None else total + apart.sum()

    def _split(self, term: pl.Expr) -> tuple[pl.Expr, pl.Expr | None]:
        """``term`` as a whole number of ``1 / scale``-ths and, if some terms
        may be too large for that, those terms as floats (the others 0)."""
        if self.limit == math.inf:
            return (term * self.scale).cast(self.dtype), None
        fits = term.abs() < self.limit
        whole = (pl.when(fits).then(term).otherwise(0.0) * self.scale).cast(self.dtype)
        return whole, pl.when(fits).then(0.0).otherwise(term)


def exact_mean(x: pl.Expr, terms: int) -> pl.Expr:
    """The mean of ``x`` (at most ``terms`` values, missing ones left out),
    its sum exact (see :class:`ExactSum`)."""
    return ExactSum.of(math.inf, terms).sum(x) / x.count()


def exact_std(x: pl.Expr, terms: int) -> pl.Expr:
    """The sample standard deviation of ``x`` (as ``x.std()``: n - 1 in the
    denominator), its sums exact."""
    deviation = x - exact_mean(x, terms)
    squares = ExactSum.of(math.inf, terms).sum(deviation * deviation)
    return (squares / (x.count() - 1)).sqrt()
