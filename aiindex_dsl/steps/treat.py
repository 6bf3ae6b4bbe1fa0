"""Treat outliers: values so extreme that they would dominate a min-max scale.

``none`` leaves the values as they are and flags nothing.
"""

from __future__ import annotations

import polars as pl


def treat(frame: pl.LazyFrame, used: set[str]) -> pl.LazyFrame:
    """Add the ``treated`` flag (and, for treated indicators, change ``value``)."""
    return frame.with_columns(treated=pl.lit(False))
