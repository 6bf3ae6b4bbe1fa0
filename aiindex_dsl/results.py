"""Results of a run: the long table, its wide view, and the expectations checked."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from .ir import Expectation, Index


@dataclass(frozen=True)
class Outcome:
    """One expectation with the value the run produced."""

    expectation: Expectation
    actual: float | None

    @property
    def passed(self) -> bool:
        """Whether the run reproduces the expected value."""
        e = self.expectation
        if self.actual is None or math.isnan(self.actual):
            return False
        if e.tolerance is not None:
            return abs(self.actual - e.value) <= e.tolerance + 1e-9
        return round_half_up(self.actual, e.decimals) == round_half_up(
            e.value, e.decimals
        )


def round_half_up(value: float, decimals: int) -> float:
    """Round as published tables do: 0.5 rounds away from zero.

    >>> round_half_up(0.0125, 3)
    0.013
    """
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Results:
    """Every unit, year and node of a run.

    ``long`` has one row per unit, year and node with its score, points
    (contribution to the composite), rank, coverage and flags. An indicator's
    row also holds its value after each step: ``raw`` (as read, or derived),
    ``imputed_value``, ``treated_value`` and, normalized, ``score``.
    """

    index: Index
    long: pl.DataFrame

    def composite(self) -> pl.DataFrame:
        """The rows of the composite (the root of the tree)."""
        return self.long.filter(pl.col("depth") == 0)

    def steps(self) -> pl.DataFrame:
        """The indicators' values after each step, one row per unit, year and
        indicator: raw (or derived), imputed, treated, normalized, with flags."""
        return self.long.filter(pl.col("kind") == "indicator").select(
            "unit",
            "year",
            "node",
            "raw",
            "imputed_value",
            "treated_value",
            pl.col("score").alias("normalized"),
            "imputed",
            "treated",
            "clipped",
        )

    def wide(self, value: str = "score") -> pl.DataFrame:
        """One row per unit and year, one column per node (``value`` of each)."""
        order = (
            self.long.select("node", "order").unique().sort("order")["node"].to_list()
        )
        table = self.long.pivot(on="node", index=["unit", "name", "year"], values=value)
        rank = self.composite().select("unit", "year", pl.col("rank").alias("rank"))
        table = table.join(rank, on=["unit", "year"], how="left", nulls_equal=True)
        return table.select(["unit", "name", "year", "rank", *order]).sort(
            ["year", "rank"]
        )

    def value(
        self, node: str, unit: str, year: int | None = None, points: bool = False
    ):
        """One score (or points), or None when the run has none."""
        node = self.index.root.id if node == "composite" else node
        rows = self.long.filter((pl.col("node") == node) & (pl.col("unit") == unit))
        if year is not None:
            rows = rows.filter(pl.col("year") == year)
        elif rows.height > 1:
            rows = rows.filter(pl.col("year") == rows["year"].max())
        if rows.height == 0:
            return None
        return rows["points" if points else "score"][0]

    def expectations(self) -> list[Outcome]:
        """Every ``expect`` line of the definition with the value this run gives."""
        return [
            Outcome(e, self.value(e.node, e.unit, e.year, e.points))
            for e in self.index.expectations
        ]
