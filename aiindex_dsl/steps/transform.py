"""Transform: log, log10 or square root of the raw values (and of the anchors).

Applying the same transform to the anchors keeps them in the units of the
values they bound: anchors 100 to 75,000 under ``log`` become ln 100 to ln 75,000.

Example: transform log, x = 75,000 -> 11.225.
"""

from __future__ import annotations

import polars as pl

FUNCTIONS = {
    "log": lambda e: e.log(),
    "log10": lambda e: e.log10(),
    "sqrt": lambda e: e.sqrt(),
}


def transform(frame: pl.LazyFrame, used: set[str], methods: set[str]) -> pl.LazyFrame:
    """Apply each indicator's transform to ``value`` and, where the anchors
    method is in ``methods``, to ``worst`` and ``best``."""
    functions = sorted(used & set(FUNCTIONS))
    if not functions:
        return frame
    names = ("value", "worst", "best") if "anchors" in methods else ("value",)
    columns = []
    for name in names:
        expr = pl.col(name)
        for method in functions:
            applied = FUNCTIONS[method](pl.col(name))
            expr = (
                applied
                if used == {method}
                else pl.when(pl.col("transform") == method)
                .then(applied)
                .otherwise(expr)
            )
        columns.append(expr.alias(name))
    return frame.with_columns(columns)
