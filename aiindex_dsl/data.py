"""Sources: where a data file is, its format, and the file scanned by Polars.

A *series* is what a node or variable reads from a source: an indicator's raw
values, a dimension's published score, a variable such as population. The data
checks (:mod:`aiindex_dsl.validate`) read every series of a file, by the
source's layout, into rows of (unit, year, series, value):

- ``wide``: one row per unit (and year), one column per series;
- ``long``: one row per unit, year and series, in an indicator and a value column;
- ``wide_by_year``: one row per unit, a column per series and year, named by a
  pattern such as ``le_{year}``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .diagnostics import AixError, Diagnostic, did_you_mean
from .ir import DataRef, Index, Source, Span

VALUES = ("unit", "year", "series", "value")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
DEFAULT_MISSING = ("", "NA", "N/A", "n/a", "..", "NaN", "nan")


@dataclass(frozen=True)
class Request:
    """One series to read: the id it will carry and where it comes from."""

    series: str
    ref: DataRef


def requests(index: Index) -> list[Request]:
    """Every series the index reads, in the order of the definition."""
    wanted = [Request(n.id, n.data) for n in index.nodes() if n.data is not None]
    wanted += [
        Request(n.id, n.score_from) for n in index.nodes() if n.score_from is not None
    ]
    wanted += [
        Request(v.id, DataRef(source=v.source, selector=v.column, span=v.span))
        for v in index.variables
    ]
    return wanted


def series_type(index: Index) -> pl.Enum:
    """The series an index can read or derive, as one enumeration: its nodes in
    the order of the tree, then its variables. The plan's nodes are the same
    enumeration, so the values read need no conversion to be scored."""
    ids = [node.id for node in index.root.walk()]
    ids += [variable.id for variable in index.variables]
    return pl.Enum(list(dict.fromkeys(ids)))


def value_schema(index: Index) -> dict[str, pl.DataType]:
    """The columns of the values read: unit, year, series, value."""
    types = (pl.String, pl.Int64, series_type(index), pl.Float64)
    return dict(zip(VALUES, types, strict=True))


def path_of(source: Source) -> Path:
    """The data file of a source, relative to the ``.aix`` file that declared it."""
    base = Path(source.origin).parent if source.origin else Path.cwd()
    return base / source.file


def format_of(source: Source) -> str:
    """The file format: declared, or inferred from the file's extension."""
    if source.format:
        return source.format
    return EXTENSIONS.get(Path(source.file or "").suffix.lower(), "csv")


def scan(source: Source) -> pl.LazyFrame:
    """The source's file as a lazy table of text and numbers, as it stands."""
    path = path_of(source)
    if source.file is None:
        raise _problem(
            source,
            "E401",
            f"source `{source.id}` has no `file`",
            'add `file "data/NAME.csv"` to the source',
        )
    if not path.is_file():
        raise _problem(
            source,
            "E402",
            f"the data file {path} of source `{source.id}` does not exist",
            _near(path) or "check the path: it is relative to the .aix file",
        )
    kind = format_of(source)
    try:
        return recoded(_scan(path, kind, source), source)
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise _problem(
            source,
            "E403",
            f"{path} cannot be read as {kind}: {_first_line(error)}",
            "check the file's format, or declare it with `format`",
        ) from None


def _near(path: Path) -> str | None:
    """The closest name of a file in the folder a missing file was looked for."""
    try:
        names = sorted(p.name for p in path.parent.iterdir() if p.is_file())
    except OSError:
        return None
    hints = did_you_mean(path.name, names)
    if not hints:
        return None
    return f"{hints[0]} (among the files of {path.resolve().parent})"


def _scan(path: Path, kind: str, source: Source) -> pl.LazyFrame:
    if kind in ("csv", "tsv"):
        return pl.scan_csv(
            path,
            separator="\t" if kind == "tsv" else ",",
            infer_schema=False,
            empty_string_is_null=True,
            schema_overrides=_TYPED.get(_key(source)),
        )
    if kind == "parquet":
        return pl.scan_parquet(path)
    if kind == "ndjson":
        return pl.scan_ndjson(path)
    return pl.read_json(path).lazy()


def columns(frame: pl.LazyFrame, source: Source) -> list[str]:
    """The column names of a scanned source (reads only the header)."""
    return schema(frame, source).names()


_SCHEMAS: dict[tuple, pl.Schema] = {}
_TYPED: dict[tuple, dict[str, pl.DataType]] = {}


def _key(source: Source) -> tuple | None:
    """A version of a source's file: its path, size and modification time."""
    try:
        path = path_of(source)
        stat = path.stat()
        return (str(path.resolve()), stat.st_mtime_ns, stat.st_size, format_of(source))
    except (OSError, ValueError, TypeError):
        return None


def numeric_columns(source: Source, wanted: list[Request]) -> dict[str, pl.DataType]:
    """The columns of a text file that hold numbers (values and the year),
    none when a missing-value marker is a number (``missing "-999"``): read
    as a number, it could not be told from a value."""
    if any(is_number(marker) for marker in source.missing):
        return {}
    columns: dict[str, pl.DataType] = {}
    if source.layout == "long":
        columns[source.value_column] = pl.Float64
    elif source.layout == "wide":
        columns |= {r.ref.selector: pl.Float64 for r in wanted}
    else:
        return {}
    if source.year_column and source.year_column not in columns:
        columns[source.year_column] = pl.Int64
    return columns


def is_number(text: str) -> bool:
    """Whether a missing-value marker reads as a number."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def scan_typed(source: Source, columns: dict[str, pl.DataType]) -> pl.LazyFrame:
    """A text file read with ``columns`` parsed as numbers by the reader: a
    cell that is not a number fails the read (then the file is read as text)."""
    frame = pl.scan_csv(
        path_of(source),
        separator="\t" if format_of(source) == "tsv" else ",",
        infer_schema=False,
        empty_string_is_null=True,
        schema_overrides=columns,
    )
    return recoded(frame, source)


def recoded(frame: pl.LazyFrame, source: Source) -> pl.LazyFrame:
    """The file with its unit codes as the index names them, where the source
    says so (``unit codes { USA US }``); the others as they are."""
    if not source.unit_codes:
        return frame
    column = pl.col(source.unit_column).cast(pl.String)
    # Matched as the data's codes are, without the blanks around them.
    mapping = {theirs.strip(): ours for theirs, ours in source.unit_codes}
    recoded = column.str.strip_chars().replace(mapping)
    return frame.with_columns(recoded.fill_null(column))


def remember_typed(source: Source, columns: dict[str, pl.DataType]) -> None:
    """Read this version of the file with ``columns`` as numbers from now on:
    the data checks found every cell of them a number (or empty)."""
    key = _key(source)
    if key is not None:
        if len(_TYPED) >= 64:
            _TYPED.clear()
        _TYPED[key] = columns


def schema(frame: pl.LazyFrame, source: Source) -> pl.Schema:
    """The columns and types of a scanned source, read once per version of the
    file (its path, size and modification time)."""
    key = _key(source)
    if key is not None:
        key = (*key, tuple(_TYPED.get(key, {})))
    if key is not None and key in _SCHEMAS:
        return _SCHEMAS[key]
    try:
        found = frame.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as error:
        raise _problem(
            source,
            "E403",
            f"{path_of(source)} cannot be read: "
            f"{first_fault(source) or _first_line(error)}",
            "check the file's format",
        ) from None
    if key is not None:
        if len(_SCHEMAS) >= 64:
            _SCHEMAS.clear()
        _SCHEMAS[key] = found
    return found


SMALL = 16 * 2**20
"""Data files smaller than this in all (16 MiB) are computed with Polars'
in-memory engine, which has less overhead; larger ones with its default."""


def engine(index: Index) -> str:
    """The Polars engine that suits the size of the index's data files."""
    total = 0
    for source in index.sources:
        if source.file is None:
            continue
        try:
            total += path_of(source).stat().st_size
        except OSError:
            continue
    return "in-memory" if total < SMALL else "auto"


def unit_expr(source: Source) -> pl.Expr:
    """A source's unit codes as text, without surrounding blanks."""
    return pl.col(source.unit_column).cast(pl.String).str.strip_chars()


def _not_utf8(fault: UnicodeDecodeError, line_word: str) -> str:
    """Where the first byte that is not UTF-8 stands: its line (a CSV's row,
    the header being row 1) and its place in the line."""
    raw, at = fault.object, fault.start
    line = raw.count(b"\n", 0, at) + 1
    place = at - raw.rfind(b"\n", 0, at)
    return f"{line_word} {line}, byte {place} (0x{raw[at]:02x}) is not UTF-8"


def first_fault(source: Source) -> str | None:
    """Where a file the reader refused first goes wrong, found by reading it
    again with Python's own readers (only once it has failed): a CSV row with
    more cells than the header, a JSON document or NDJSON line that does not
    parse. None when they find nothing wrong."""
    kind = format_of(source)
    try:
        text = path_of(source).read_text(encoding="utf-8-sig")
    except OSError:
        return None
    except UnicodeDecodeError as fault:
        return _not_utf8(fault, "row" if kind in ("csv", "tsv") else "line")
    if kind in ("csv", "tsv"):
        return _csv_fault(text, "\t" if kind == "tsv" else ",")
    if kind == "ndjson":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            if not _is_object(line):
                return f"line {number} is not a JSON object"
            fault = _cell_fault(json.loads(line))
            if fault:
                return f"line {number}, {fault}"
        return None
    if kind == "json":
        try:
            records = json.loads(text)
        except json.JSONDecodeError as fault:
            return f"line {fault.lineno}, column {fault.colno}: {fault.msg}"
        for number, record in enumerate(records, start=1):
            fault = _cell_fault(record) if isinstance(record, dict) else None
            if fault:
                return f"record {number}, {fault}"
    return None


def _cell_fault(record: dict) -> str | None:
    """A field of a JSON record that holds no number or text: a list, an
    object, or a number too large for a float (``1e999``)."""
    for name, value in record.items():
        if isinstance(value, list | dict):
            kind = "a list" if isinstance(value, list) else "an object"
            return f"field `{name}` holds {kind}, where a number or text belongs"
        if isinstance(value, float) and not math.isfinite(value):
            return f"field `{name}` holds a number beyond what a float can hold"
    return None


def _csv_fault(text: str, separator: str) -> str | None:
    """A row with more cells than the header, or a quote out of place: a
    quoted cell never closed, or text after a closing quote."""
    rows = csv.reader(io.StringIO(text), delimiter=separator, strict=True)
    number, header = 0, None
    try:
        for number, row in enumerate(rows, start=1):
            if header is None:
                header = row
            elif len(row) > len(header):
                return (
                    f"row {number} has {len(row)} cells, "
                    f"where the header names {len(header)}"
                )
    except csv.Error as fault:
        # The row after the last one read whole is the one at fault.
        if "unexpected end of data" in str(fault):
            return f'row {number + 1} opens a quoted cell (") that is never closed'
        return f'row {number + 1} has a quote (") out of place: {fault}'
    return None


def _is_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _problem(source: Source, code: str, message: str, hint: str) -> AixError:
    return AixError([Diagnostic(code, message, source.span, (hint,))])


def _first_line(error: Exception) -> str:
    return (
        str(error).strip().splitlines()[0]
        if str(error).strip()
        else type(error).__name__
    )


def unit_attribute(index: Index, column: str) -> pl.LazyFrame:
    """A column describing units, such as a region or an income group, read from
    the first source that has it: (unit, impute_by, impute_group).

    Sources that indicators read from are searched first, in the order declared.
    """
    used = {r.ref.source for r in requests(index)}
    ordered = [s for s in index.sources if s.id in used and s.file]
    ordered += [s for s in index.sources if s.id not in used and s.file]
    for source in ordered:
        frame = scan(source)
        names = columns(frame, source)
        if column in names and source.unit_column in names:
            return frame.select(
                unit_expr(source).alias("unit"),
                pl.lit(column).alias("impute_by"),
                pl.col(column).cast(pl.String).str.strip_chars().alias("impute_group"),
            ).unique("unit", keep="first", maintain_order=True)
    known = [n for s in ordered for n in columns(scan(s), s)]
    raise AixError(
        [
            Diagnostic(
                "E415",
                f'no data file of the index has the column "{column}" to impute by',
                _impute_span(index, column),
                did_you_mean(column, known)
                or ("name a column of the source that describes the units",),
            )
        ]
    )


def _impute_span(index: Index, column: str) -> Span | None:
    for node in index.root.walk():
        if node.impute is not None and node.impute.argument == column:
            return node.impute.span
    return None
