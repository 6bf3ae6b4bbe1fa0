"""Derive: indicators computed from other values, such as ratios and per-capita figures.

An expression is a tree of the IR (never Python text); it is turned into a
Polars expression over a table with one column per series it names.

Example: ``derive flights / population`` with flights 29 and population 8.7
-> 3.33.
"""

from __future__ import annotations

import polars as pl

from ..diagnostics import warn
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


def derive(raw: pl.LazyFrame, derived: dict[str, object], path: str) -> pl.LazyFrame:
    """Append the derived series to the long raw table (unit, year, series, value).

    A value an expression cannot give as a finite number (a division by zero,
    the log of a negative number, an overflow) is missing, and a warning
    names the series (``path``: the definition's file) and how many values.
    """
    new = derived_values(raw, derived).collect()
    undefined = new.filter(~pl.col("value").is_finite())
    if undefined.height:
        _warn_undefined(undefined, list(derived), path)
    finite = pl.when(pl.col("value").is_finite()).then(pl.col("value"))
    return pl.concat([raw, new.lazy().with_columns(value=finite)])


def _warn_undefined(undefined: pl.DataFrame, order: list[str], path: str) -> None:
    counts = undefined.group_by("series").len()
    found = dict(zip(counts["series"].cast(pl.String), counts["len"], strict=True))
    listed = ", ".join(f"`{s}`: {found[s]}" for s in order if s in found)
    total = undefined.height
    warn(
        "W406",
        f"{path}: {total} derived {'values are' if total != 1 else 'value is'} "
        f"not a finite number and left missing ({listed}): a division by zero, "
        "the log or square root of a negative number, or one too large",
    )


def derived_values(raw: pl.LazyFrame, derived: dict[str, object]) -> pl.LazyFrame:
    """The derived series' rows (unit, year, series, value), as computed.

    ``derived`` maps a series id to its IR expression. The series the
    expressions read are spread into columns once (one row per unit and year);
    each layer of :func:`layers` is then one step of new columns, so a series
    derived from derived series comes after them.
    """
    needed = list(
        dict.fromkeys(name for expr in derived.values() for name in references(expr))
    )
    read = [name for name in needed if name not in derived]
    wide = raw.group_by(["unit", "year"], maintain_order=True).agg(
        pl.col("value").filter(pl.col("series") == name).first().alias(name)
        for name in read
    )
    for layer in layers(derived):
        wide = wide.with_columns(
            expression(derived[name]).cast(pl.Float64).alias(name) for name in layer
        )
    new = wide.select("unit", "year", *derived).unpivot(
        index=["unit", "year"], variable_name="series", value_name="value"
    )
    kind = raw.collect_schema()["series"]
    return new.with_columns(pl.col("series").cast(kind))


def derived_coverage(partial: pl.LazyFrame, derived: dict[str, object]) -> pl.LazyFrame:
    """``partial`` (unit, year, series, covered: the values that cover a group
    in part) with the derived series' rows: a derived value covers as little
    as the least covered value it is computed from."""
    kind = partial.collect_schema()["series"]
    for layer in layers(derived):
        rows = [
            partial.filter(pl.col("series").cast(pl.String).is_in(references(expr)))
            .group_by("unit", "year")
            .agg(pl.col("covered").min())
            .select("unit", "year", pl.lit(name).cast(kind).alias("series"), "covered")
            for name, expr in derived.items()
            if name in layer
        ]
        partial = pl.concat([partial, *rows])
    return partial


def layers(derived: dict[str, object]) -> list[list[str]]:
    """The derived series in dependency order: each layer reads only series read
    from data or derived in an earlier layer.

    >>> # {"c": a / b, "d": c * 2} -> [["c"], ["d"]]
    """
    waiting = {
        name: set(references(expr)) & set(derived) for name, expr in derived.items()
    }
    done: set[str] = set()
    order = []
    while waiting:
        ready = [name for name, needs in waiting.items() if needs <= done]
        if not ready:
            raise ValueError(f"derived series depend on each other: {sorted(waiting)}")
        order.append(ready)
        done.update(ready)
        for name in ready:
            del waiting[name]
    return order
