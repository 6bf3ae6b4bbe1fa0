"""The terminal table of a run: the composite and the top-level dimensions.

With a few units (a country comparison) the dimensions are rows and each unit
has a score and a points column, as in the paper's national table; with many
units, units are rows in rank order.

The table is for reading: it shows at most :data:`MAX_ROWS` rows and
:data:`MAX_COLUMNS` dimension columns, and says how many it leaves out (``-o``
writes every score). An index of thousands of top-level indicators would
otherwise take longer to draw than to compute.
"""

from __future__ import annotations

import os

import polars as pl
from rich.table import Table
from rich.text import Text

from ..diagnostics import visible
from ..results import Outcome, Results
from .formulas import rounded

FEW_UNITS = 6
MAX_ROWS = 500
MAX_COLUMNS = 20


def summary(results: Results, year) -> Table:
    """The table of one year of the results (``None``: the rows without a
    year)."""
    return _year_table(results.summary_rows(), results, year)


def digits(results: Results) -> int:
    """Decimals that suit the scale: one on 0-100, three on 0-1."""
    scale = results.index.scale
    return 1 if scale.high - scale.low >= 10 else 3


def _year_table(rows: pl.DataFrame, results: Results, year) -> Table:
    select = pl.col("year") == year if year is not None else pl.col("year").is_null()
    rows = rows.filter(select)
    title = results.index.title or results.index.id
    title = _plain(f"{title}, {year}" if year is not None else title)
    units = rows.filter(pl.col("depth") == 0).sort("rank", nulls_last=True)
    if units.height <= FEW_UNITS:
        return _by_dimension(rows, units, results, title)
    return _by_unit(rows, units, results, title)


def _labels(results: Results) -> dict[str, str]:
    """Each node's label in the table: its title, else its id; the root's is
    ``Composite``."""
    root = results.index.root
    labels = {node.id: node.title or node.id for node in root.walk()}
    return labels | {root.id: "Composite"}


def _by_dimension(rows, units, results, title) -> Table:
    table = Table(title=title)
    table.add_column("dimension", no_wrap=True)
    table.add_column("weight", justify="right")
    for unit in units.iter_rows(named=True):
        for what in ("score", "points"):
            header = Text.assemble(_plain(unit["name"]), f"\n{what}")
            table.add_column(header, justify="right")
    labels = _labels(results)
    decimals = digits(results)
    nodes = rows.select("node", "order", "weight").unique().sort("order")
    if nodes.height > MAX_ROWS:
        table.caption = _left_out(f"{MAX_ROWS:,} of {nodes.height:,} rows")
        nodes = nodes.head(MAX_ROWS)
    shown = rows.filter(pl.col("node").is_in(nodes["node"].implode()))
    cells = {
        (node, unit): (score, points)
        for node, unit, score, points in shown.select(
            "node", "unit", "score", "points"
        ).iter_rows()
    }
    for node, order, weight in nodes.iter_rows():
        row = [_plain(labels[node]), f"{weight * 100:.0f}%"]
        for unit in units["unit"]:
            score, points = cells.get((node, unit), (None, None))
            row += [_number(score, decimals), _number(points, decimals)]
        table.add_row(*row, end_section=order == 0)
    table.add_row(
        "rank",
        "",
        *[x for u in units.iter_rows(named=True) for x in (_rank(u["rank"]), "")],
    )
    table.add_row(
        "coverage",
        "",
        *[
            x
            for u in units.iter_rows(named=True)
            for x in (_coverage(u["coverage"]), "")
        ],
    )
    return table


def _by_unit(rows, units, results, title) -> Table:
    table = Table(title=title)
    table.add_column("rank", justify="right")
    table.add_column("unit")
    nodes = rows.select("node", "order").unique().sort("order")["node"].to_list()
    left_out = []
    if units.height > MAX_ROWS:
        left_out.append(f"the first {MAX_ROWS:,} of {units.height:,} units")
        units = units.head(MAX_ROWS)
    if len(nodes) > MAX_COLUMNS:
        left_out.append(f"{MAX_COLUMNS} of {len(nodes):,} columns of scores")
        nodes = nodes[:MAX_COLUMNS]
    if left_out:
        table.caption = _left_out(" and ".join(left_out))
    labels = _labels(results)
    for node in nodes:
        table.add_column(_plain(labels[node]), justify="right")
    table.add_column("coverage", justify="right")
    decimals = digits(results)
    by_unit = rows.partition_by("unit", as_dict=True, maintain_order=True)
    for unit in units.iter_rows(named=True):
        cells = by_unit[(unit["unit"],)]
        scores = dict(zip(cells["node"], cells["score"], strict=True))
        table.add_row(
            _rank(unit["rank"]),
            _plain(f"{unit['name']} ({unit['unit']})"),
            *[_number(scores.get(node), decimals) for node in nodes],
            _coverage(unit["coverage"]),
        )
    return table


def _plain(text: str) -> Text:
    """Text of the definition or the data as it is: never read as Rich's
    markup (``[bold]``, ``[link=...]``), its control characters escaped."""
    return Text(visible(text))


def _coverage(coverage) -> str:
    """The share of the composite's weight backed by observed data: below
    100% some of the unit's values are missing or imputed."""
    if coverage is None:
        return "-"
    percent = rounded(coverage * 100, 1)
    return "100%" if percent >= 100 else f"{percent:.1f}%"


def _left_out(shown: str) -> str:
    """The caption of a table that leaves rows or columns out."""
    return f"{shown} shown; -o writes every score"


def _rank(rank) -> str:
    return "-" if rank is None else str(rank)


def _number(value, decimals: int = 1) -> str:
    """Rounded half up, as ``expect`` lines and published tables round."""
    if value is None:
        return "n/a"
    return f"{rounded(value, decimals):.{decimals}f}"


def outcomes(results: list[Outcome], path: str | None = None) -> Table:
    """The expectations: expected, computed, and whether they agree (``path``:
    the definition's file; a line of another file is shown with its name)."""
    table = Table(title="Expectations")
    for column in ("line", "node", "unit", "year", "expected", "computed", ""):
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
        view = " (points)" if e.points else ""
        year = "" if outcome.year is None else str(outcome.year)
        row = (_line(e, path), e.node + view, e.unit, year, expected, computed, mark)
        table.add_row(*[_plain(cell) for cell in row])
    return table


def _line(expectation, path: str | None) -> str:
    """The expectation's line, with its file when another file (a parent the
    index extends) holds it."""
    span = expectation.span
    if span is None:
        return ""
    if span.file == path:
        return str(span.line)
    return f"{os.path.normpath(span.file)}:{span.line}"
