"""Results of a run: the long table, its wide view, and the expectations checked."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Context, Decimal

import polars as pl

from .diagnostics import Diagnostic, did_you_mean
from .ir import Expectation, Index

# The columns of the long table a wide view can spread: one value per row.
VALUES = (
    "score",
    "points",
    "rank",
    "coverage",
    "weight",
    "effective_weight",
    "share",
    "effective_share",
    "raw",
    "imputed_value",
    "treated_value",
    "imputed",
    "clipped",
    "treated",
)


@dataclass(frozen=True)
class Outcome:
    """One expectation with the value the run produced."""

    expectation: Expectation
    actual: float | None
    year: int | None = None  # the year compared: the one named, else the last

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

    def problem(self) -> Diagnostic:
        """The expectation not met, as a problem at its line (E601)."""
        e = self.expectation
        got = "no value" if self.actual is None else f"{self.actual:.{e.decimals + 3}f}"
        view = "points" if e.points else "score"
        return Diagnostic(
            "E601",
            f"expected the {view} of `{e.node}` for {e.unit} to be "
            f"{e.value:.{e.decimals}f}, computed {got}",
            e.span,
            ("check the weights, anchors and data it depends on",),
        )


def _require(what: str, given, known) -> None:
    """Refuse a ``what`` the results do not have, naming those they have."""
    known = list(known)
    if given in known:
        return
    shown = [str(k) for k in known if k is not None]
    close = did_you_mean(str(given), shown) if what != "year" else ()
    hints = close or (
        f"the {what}s are: {', '.join(shown[:12])}"
        + (", ..." if len(shown) > 12 else ""),
    )
    raise ValueError(f"the results have no {what} {given!r}: {hints[0]}")


def round_half_up(value: float, decimals: int) -> float:
    """Round as published tables do: 0.5 rounds away from zero.

    >>> round_half_up(0.0125, 3)
    0.013
    """
    if not math.isfinite(value):
        return value
    quantum = Decimal(1).scaleb(-decimals)
    # Digits enough for the largest float (309) and the decimals asked for.
    digits = Context(prec=330 + max(decimals, 0), Emax=MAX_EMAX, Emin=MIN_EMIN)
    exact = Decimal(repr(value))
    return float(exact.quantize(quantum, rounding=ROUND_HALF_UP, context=digits))


class Results:
    """Every unit, year and node of a run.

    ``long`` has one row per unit, year and node with its score, points
    (contribution to the composite), rank, coverage and flags. An indicator's
    row also holds its value after each step: ``raw`` (as read, or derived),
    ``imputed_value``, ``treated_value`` and, normalized, ``score``.

    A run computes the scores of the aggregated nodes (the dimensions and
    the composite, every unit and year) and keeps their result rows
    (``nodes(ids)``) and those of the leaves (indicators, and dimensions
    scored from data: ``detail(ids)``) as queries, computed for the nodes
    asked for when first asked: the composite and its children for the
    summary, one node for a value, every aggregated node for :attr:`nodes`,
    every row for ``long``, ``steps()`` or ``wide()``. A run of a large panel
    so holds only the small tables in memory, and :meth:`query` streams every
    row to a file. ``Results(index, long)`` wraps a long table already
    computed.
    """

    def __init__(
        self,
        index: Index,
        long: pl.DataFrame | None = None,
        *,
        nodes: Callable[[list[str] | None], pl.LazyFrame] | None = None,
        detail: Callable[[list[str] | None], pl.LazyFrame] | None = None,
        every: Callable[[], pl.LazyFrame] | None = None,
        engine: str = "auto",
    ):
        self.index = index
        self._long = long
        self._nodes = nodes
        self._detail = detail
        self._every = every
        self._engine = engine
        self._node_text = None
        self._leaves = {n.id for n in index.nodes() if n.is_leaf}

    @property
    def long(self) -> pl.DataFrame:
        """Every row: one per unit, year and node, ordered by year, node (as
        the tree lists them) and unit. Computed on first use, then kept."""
        if self._long is None:
            self._long = self.query().collect(engine=self._engine)
        return self._long

    @property
    def nodes(self) -> pl.DataFrame:
        """The rows of the aggregated nodes (the dimensions and the composite)."""
        if self._long is not None:
            return self._long.filter(~pl.col("node").is_in(sorted(self._leaves)))
        if self._node_text is None:
            self._node_text = self.node_rows(None)
        return self._node_text

    def node_rows(self, ids: list[str] | str | None) -> pl.DataFrame:
        """The rows of the aggregated nodes ``ids`` (all when None), in the
        order of ``long`` (computing only those)."""
        ids = [ids] if isinstance(ids, str) else ids
        if self._long is not None or self._node_text is not None:
            rows = self.nodes
            return rows if ids is None else rows.filter(pl.col("node").is_in(ids))
        from .compile import as_text

        return as_text(self._nodes(ids)).collect(engine=self._engine)

    def query(self) -> pl.LazyFrame:
        """Every row as a lazy query, in the order of ``long``."""
        if self._long is not None:
            return self._long.lazy()
        return self._every()

    def leaf_rows(self, ids: list[str] | str) -> pl.DataFrame:
        """The rows of the leaves ``ids`` (computing only those)."""
        ids = [ids] if isinstance(ids, str) else ids
        if self._long is not None:
            return self._long.filter(pl.col("node").is_in(ids))
        from .compile import as_text

        return as_text(self._detail(ids)).collect(engine=self._engine)

    def summary_rows(self) -> pl.DataFrame:
        """The rows of the composite and its children, in the order of ``long``."""
        if self._long is not None:
            return self._long.filter(pl.col("depth") <= 1)
        root = self.index.root
        top = [n.id for n in root.children if n.id in self._leaves]
        rows = self.node_rows(
            [root.id, *(n.id for n in root.children if not n.is_leaf)]
        )
        if not top:
            return rows
        both = pl.concat([rows, self.leaf_rows(top)])
        return both.sort("year", "order", "unit")

    def for_year(self, year: int) -> Results:
        """The results of one year only (one of :meth:`years`)."""
        self._require_year(year)
        match = pl.col("year") == year
        if self._long is not None:
            return Results(self.index, self._long.filter(match))
        nodes, detail, every = self._nodes, self._detail, self._every
        return Results(
            self.index,
            nodes=lambda ids: nodes(ids).filter(match),
            detail=lambda ids: detail(ids).filter(match),
            every=lambda: every().filter(match),
            engine=self._engine,
        )

    def years(self) -> list:
        """The years scored, in order."""
        return self.composite()["year"].unique().sort().to_list()

    def composite(self) -> pl.DataFrame:
        """The rows of the composite (the root of the tree)."""
        return self.node_rows([self.index.root.id])

    def steps(self) -> pl.DataFrame:
        """The indicators' values after each step, one row per unit, year and
        indicator: raw (or derived), imputed, treated, normalized, with flags."""
        indicators = [n.id for n in self.index.indicators()]
        return self.leaf_rows(indicators).select(
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
        """One row per unit and year, one column per node (``value`` of each,
        one of :data:`VALUES`)."""
        _require("value", value, VALUES)
        order = (
            self.long.select("node", "order").unique().sort("order")["node"].to_list()
        )
        table = self.long.pivot(on="node", index=["unit", "name", "year"], values=value)
        rank = self.composite().select("unit", "year", pl.col("rank").alias("rank"))
        table = table.join(rank, on=["unit", "year"], how="left", nulls_equal=True)
        # The units without a rank (groups, unranked) after the others, as the
        # terminal table shows them.
        return table.select(["unit", "name", "year", "rank", *order]).sort(
            ["year", "rank", "unit"], nulls_last=True
        )

    def value(
        self, node: str, unit: str, year: int | None = None, points: bool = False
    ):
        """One score (or points), or None when the run has none. A node, unit
        or year the index does not have raises :class:`ValueError`."""
        node = self.index.root.id if node == "composite" else node
        nodes = [n.id for n in self.index.root.walk()]
        _require("node", node, ["composite", *nodes])
        if year is not None:
            self._require_year(year)
        found = self._value(node, unit, year, points)
        if found is None:
            units = self.composite()["unit"].unique(maintain_order=True).to_list()
            _require("unit", unit, units)
        return found

    def _value(self, node: str, unit: str, year, points: bool):
        """:meth:`value` of a node of the tree, without checking its arguments."""
        source = (self.leaf_rows if node in self._leaves else self.node_rows)([node])
        rows = source.filter((pl.col("node") == node) & (pl.col("unit") == unit))
        if year is not None:
            rows = rows.filter(pl.col("year") == year)
        elif rows.height > 1:
            rows = rows.filter(pl.col("year") == rows["year"].max())
        if rows.height == 0:
            return None
        return rows["points" if points else "score"][0]

    def _require_year(self, year) -> None:
        """Refuse a year the results do not have (or that is not a year)."""
        if year is not None and not isinstance(year, int):
            raise TypeError(f"a year is a whole number, as 2024, not {year!r}")
        _require("year", year, self.years())

    def expectations(self) -> list[Outcome]:
        """Every ``expect`` line of the definition with the value this run gives."""
        scored = [y for y in self.years() if y is not None]
        last = scored[-1] if scored else None
        return [
            Outcome(
                e,
                self._value(
                    self.index.root.id if e.node == "composite" else e.node,
                    e.unit,
                    e.year or last,
                    e.points,
                ),
                e.year or last,
            )
            for e in self.index.expectations
        ]
