"""The terminal table of a run: the composite and the top-level dimensions.

With a few units (a country comparison) the dimensions are rows and each unit
has a score and a points column, as in the paper's national table; with many
units, units are rows in rank order.
"""

from __future__ import annotations

import polars as pl
from rich.table import Table

from ..results import Outcome, Results
from .formulas import rounded

FEW_UNITS = 6


def summary(results: Results) -> list[Table]:
    """One table per year of the results."""
    rows = results.summary_rows()
    years = rows["year"].unique(maintain_order=True).to_list()
    return [_year_table(rows, results, year) for year in years]


def digits(results: Results) -> int:
    """Decimals that suit the scale: one on 0-100, three on 0-1."""
    scale = results.index.scale
    return 1 if scale.high - scale.low >= 10 else 3


def _year_table(rows: pl.DataFrame, results: Results, year) -> Table:
    select = pl.col("year") == year if year is not None else pl.col("year").is_null()
    rows = rows.filter(select)
    title = results.index.title or results.index.id
    title = f"{title}, {year}" if year is not None else title
    units = rows.filter(pl.col("depth") == 0).sort("rank", nulls_last=True)
    if units.height <= FEW_UNITS:
        return _by_dimension(rows, units, results, title)
    return _by_unit(rows, units, results, title)


def _label(results: Results, node: str) -> str:
    ir_node = results.index.node(node)
    if ir_node is results.index.root:
        return "Composite"
    return ir_node.title or node


def _by_dimension(rows, units, results, title) -> Table:
    table = Table(title=title)
    table.add_column("dimension", no_wrap=True)
    table.add_column("weight", justify="right")
    for unit in units.iter_rows(named=True):
        table.add_column(f"{unit['name']}\nscore", justify="right")
        table.add_column(f"{unit['name']}\npoints", justify="right")
    nodes = rows.select("node", "order", "weight").unique().sort("order")
    for node in nodes.iter_rows(named=True):
        cells = [_label(results, node["node"]), f"{node['weight'] * 100:.0f}%"]
        for unit in units["unit"]:
            cell = rows.filter(
                (pl.col("node") == node["node"]) & (pl.col("unit") == unit)
            )
            cells += [
                _number(cell["score"][0], digits(results)),
                _number(cell["points"][0], digits(results)),
            ]
        table.add_row(*cells, end_section=node["order"] == 0)
    table.add_row(
        "rank",
        "",
        *[x for u in units.iter_rows(named=True) for x in (_rank(u["rank"]), "")],
    )
    return table


def _by_unit(rows, units, results, title) -> Table:
    table = Table(title=title)
    table.add_column("rank", justify="right")
    table.add_column("unit")
    nodes = rows.select("node", "order").unique().sort("order")["node"].to_list()
    for node in nodes:
        table.add_column(_label(results, node), justify="right")
    by_unit = rows.partition_by("unit", as_dict=True, maintain_order=True)
    for unit in units.iter_rows(named=True):
        cells = by_unit[(unit["unit"],)]
        scores = dict(zip(cells["node"], cells["score"], strict=True))
        table.add_row(
            _rank(unit["rank"]),
            f"{unit['name']} ({unit['unit']})",
            *[_number(scores.get(node), digits(results)) for node in nodes],
        )
    return table


def _rank(rank) -> str:
    return "-" if rank is None else str(rank)


def _number(value, decimals: int = 1) -> str:
    """Rounded half up, as ``expect`` lines and published tables round."""
    if value is None:
        return "n/a"
    return f"{rounded(value, decimals):.{decimals}f}"


def outcomes(results: list[Outcome]) -> Table:
    """The expectations: expected, computed, and whether they agree."""
    table = Table(title="Expectations")
    for column in ("line", "node", "unit", "expected", "computed", ""):
        table.add_column(column)
    for outcome in results:
        e = outcome.expectation
        computed = (
            "n/a" if outcome.actual is None else f"{outcome.actual:.{e.decimals + 2}f}"
        )
        expected = f"{e.value:.{e.decimals}f}" + (
            f" ± {e.tolerance:g}" if e.tolerance else ""
        )
        mark = "ok" if outcome.passed else "FAILED"
        where = str(e.span.line) if e.span else ""
        view = " (points)" if e.points else ""
        table.add_row(where, e.node + view, e.unit, expected, computed, mark)
    return table
