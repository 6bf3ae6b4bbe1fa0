"""Derive: indicators computed from other values, such as ratios and per-capita figures.

An expression is a tree of the IR (never Python text); it is turned into a
Polars expression over a table with one column per series it names.

Example: ``derive flights / population`` with flights 29 and population 8.7
-> 3.33.
"""

from __future__ import annotations

import polars as pl

from ..ir import Binary, Call, Const, Ref, Unary

OPERATORS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}
FUNCTIONS = {
    "log": lambda e: e.log(),
    "log10": lambda e: e.log10(),
    "sqrt": lambda e: e.sqrt(),
    "abs": lambda e: e.abs(),
    "exp": lambda e: e.exp(),
}


def expression(expr) -> pl.Expr:
    """The Polars expression of an IR expression; names become columns."""
    if isinstance(expr, Const):
        return pl.lit(expr.value, pl.Float64)
    if isinstance(expr, Ref):
        return pl.col(expr.name)
    if isinstance(expr, Unary):
        return -expression(expr.operand)
    if isinstance(expr, Call):
        return FUNCTIONS[expr.function](expression(expr.argument))
    assert isinstance(expr, Binary)
    return OPERATORS[expr.op](expression(expr.left), expression(expr.right))


def references(expr) -> list[str]:
    """The names an expression reads, each once, in order."""
    if isinstance(expr, Ref):
        return [expr.name]
    if isinstance(expr, Unary):
        return references(expr.operand)
    if isinstance(expr, Call):
        return references(expr.argument)
    if isinstance(expr, Binary):
        return list(dict.fromkeys(references(expr.left) + references(expr.right)))
    return []


def derive(raw: pl.LazyFrame, derived: dict[str, object]) -> pl.LazyFrame:
    """Append the derived series to the long raw table (unit, year, series, value).

    ``derived`` maps a series id to its IR expression. Each is computed on a
    table with one column per referenced series, joined on unit and year.
    """
    parts = [raw]
    for series, expr in derived.items():
        names = references(expr)
        wide = _columns(raw, names)
        parts.append(
            wide.select(
                "unit",
                "year",
                pl.lit(series).alias("series"),
                expression(expr).cast(pl.Float64).alias("value"),
            )
        )
    return pl.concat(parts, how="vertical")


def _columns(raw: pl.LazyFrame, names: list[str]) -> pl.LazyFrame:
    tables = [
        raw.filter(pl.col("series") == name).select(
            "unit", "year", pl.col("value").alias(name)
        )
        for name in names
    ]
    wide = tables[0]
    for table in tables[1:]:
        wide = wide.join(
            table, on=["unit", "year"], how="full", coalesce=True, nulls_equal=True
        )
    return wide
