"""Checks of the data an index reads, run after the files are found and before
the steps compute anything.

Every cell a node or variable reads is looked at as the text the file holds,
so a problem is reported at its data file, row and column:

- errors (nothing is computed): an empty file or one with a header but no rows,
  a column the definition names but the file lacks, text in a numeric column
  (``1,234``, ``12%``, an undeclared marker such as ``-``), an infinite value,
  a year that is not a whole number, two rows for the same unit, year and
  series, zero or a negative value under a ``log`` (or a negative one under
  ``sqrt``) transform;
- warnings (:class:`AixWarning`, the run goes on): a unit of the index with no
  value in any data file, a year of the index with no data, values beyond their
  anchors that were clipped to the scale.

Units found in the data but not in the index are left out without a word: data
files are often shared by several indices. Missing-value markers (``NA``,
``n/a``, ``..``, ``NaN``, empty cells and those a source declares with
``missing``) are missing values, not errors.

A row number counts as a spreadsheet does: in a CSV file the header is row 1,
so the first value is in row 2; in Parquet and JSON the first record is row 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import polars as pl

from . import data
from .diagnostics import AixError, Diagnostic, did_you_mean, warn
from .ir import Index, Source, Span
from .resolve import resolve

MAX_CELLS = 10
MAX_LISTED = 5
TEXT_FORMATS = ("csv", "tsv")
EMPTY = {
    "row": pl.Int64,
    "unit": pl.String,
    "year_text": pl.String,
    "series": pl.String,
    "column": pl.String,
    "text": pl.String,
    "value": pl.Float64,
    "missing": pl.Boolean,
    "year_bad": pl.Boolean,
    "source": pl.String,
    "year": pl.Int64,
    "code": pl.UInt64,
}


def check_data(index: Index, units: Sequence[str], resolved=None) -> pl.DataFrame:
    """Raise every problem of the data ``index`` reads; warn of its caveats;
    return the values read, long (unit, year, series, value).

    ``units`` are the codes the index scores; ``resolved``, the settings in
    force at each node (:func:`~aiindex_dsl.resolve.resolve`), if known. A
    CSV whose ``value`` column holds ``1,234`` in its third row raises E410
    naming that file, row 3 and column ``value``. Each file is read once into
    a lean table of its cells (unit, year, series, value and flags), held in
    memory while the checks run; the text of the few cells at fault is read
    again for the messages. The values returned are those cells, so the plan
    does not read the files again.
    """
    problems: list[Diagnostic] = []
    sources = []
    for source, wanted in _by_source(index):
        try:
            sources.append((source, read_cells(source, wanted, index), wanted))
        except AixError as error:
            problems += error.diagnostics
    if problems:
        raise AixError(problems)
    if not sources:
        return pl.DataFrame(schema=data.value_schema(index))
    return _check_values(index, sources, units, resolved or resolve(index))


VALUES = ["source", "row", "unit", "year", "series", "column", "value"]


def read_units(index: Index) -> pl.DataFrame | None:
    """The units the file of ``units from`` lists (unit, name), or None when
    the index lists its units itself. Raises the problems of the file:
    missing, empty, unreadable, or without the code column."""
    spec = index.units_from
    source = index.source(spec.source) if spec is not None else None
    if source is None:
        return None
    _file_itself(source)
    frame = data.scan(source)
    names = data.columns(frame, source)
    needed = [(spec.code_column, spec.span)]
    if spec.name_column is not None:
        needed.append((spec.name_column, spec.span))
    _require(source, names, needed)
    offset = 2 if data.format_of(source) in TEXT_FORMATS else 1
    read = frame.with_row_index("row", offset=offset).select(
        "row",
        pl.col(spec.code_column).cast(pl.String).str.strip_chars().alias("unit"),
        pl.col(spec.name_column or spec.code_column).cast(pl.String).alias("name"),
    )
    try:
        table = read.collect()
    except (pl.exceptions.PolarsError, OSError) as error:
        raise _unreadable(source, error) from None
    empty = table.filter(pl.col("unit").is_null() | (pl.col("unit") == ""))
    if empty.height:
        raise AixError(_without_code(source, spec, empty["row"].to_list()))
    _named_twice_over(table, source, spec)
    groups = {g.code for g in index.groups}
    return _without_removed(table.drop("row"), spec, source, groups)


def _named_twice_over(table: pl.DataFrame, source: Source, spec) -> None:
    """A code the file of ``units from`` gives two names (E420): which one
    the results show would depend on the order of its rows. Rows that repeat
    a code with the same name are harmless (a long file's)."""
    if spec.name_column is None:
        return
    names = table.group_by("unit", maintain_order=True).agg(
        pl.col("name").unique(maintain_order=True), pl.col("row").first()
    )
    twice = names.filter(pl.col("name").list.len() > 1)
    if twice.height == 0:
        return
    path = data.path_of(source)
    problems = []
    for unit, named, row in twice.head(MAX_LISTED).iter_rows():
        shown = ", ".join(f'"{n}"' for n in named[:3])
        message = f"{path}: unit `{unit}` is named {len(named)} ways ({shown})"
        hint = f"give `{unit}` one name in column `{spec.name_column}`"
        location = f"{path}:{row}"
        problems.append(
            Diagnostic("E420", message, spec.span, (hint,), location=location)
        )
    raise AixError(problems)


def _without_removed(
    table: pl.DataFrame, spec, source: Source, groups: set[str]
) -> pl.DataFrame:
    """The units read but those a ``remove unit`` drops; each of those must
    be among them (E306)."""
    if not spec.removed:
        return table
    codes = table["unit"].unique(maintain_order=True).to_list()
    path = data.path_of(source)
    read_as = dict(source.unit_codes)
    problems = []
    for unit in spec.removed:
        if unit.code in codes:
            continue
        if unit.code in groups:
            hints = (f"`{unit.code}` is a group: write `remove group {unit.code}`",)
        elif unit.code in read_as:
            ours = read_as[unit.code]
            hints = (
                f"the file's `{unit.code}` is read as `{ours}`: remove unit {ours}",
            )
        else:
            hints = did_you_mean(unit.code, codes)
        message = (
            f"the parent has no unit `{unit.code}` to remove: {path} does not "
            f"list it in column `{spec.code_column}`"
        )
        problems.append(Diagnostic("E306", message, unit.span, hints))
    if problems:
        raise AixError(problems)
    return table.filter(~pl.col("unit").is_in([u.code for u in spec.removed]))


def _without_code(source: Source, spec, rows: list[int]) -> list[Diagnostic]:
    path = data.path_of(source)
    shown = ", ".join(str(r) for r in rows[:MAX_LISTED])
    more = f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else ""
    message = (
        f"{path}, row {shown}{more}, column `{spec.code_column}`: a unit without a code"
    )
    hint = "write the unit's code in the row, or remove the row"
    return [
        Diagnostic("E416", message, spec.span, (hint,), location=f"{path}:{rows[0]}")
    ]


def _by_source(index: Index) -> list[tuple[Source, list[data.Request]]]:
    grouped: dict[str, list[data.Request]] = {}
    for request in data.requests(index):
        grouped.setdefault(request.ref.source, []).append(request)
    return [
        (index.source(source_id), wanted)
        for source_id, wanted in grouped.items()
        if index.source(source_id) is not None
    ]


# ---- reading the cells as text ----------------------------------------------


def read_cells(source: Source, wanted: list[data.Request], index: Index):
    """The cells the requests read from one source with their row, as read
    (``text``) and as numbers: a function that returns them as a LazyFrame
    (built only when needed: a wide file's lean table is read otherwise).
    A wide file's cells are those of each column read, without the series
    that read it: the text of a cell is needed only for a message."""
    _file_itself(source)
    frame = data.scan(source)
    names = data.columns(frame, source)
    _wide_read_as_long(source, wanted, names)
    _require(source, names, _needed_columns(source, wanted, names))

    offset = 2 if data.format_of(source) in TEXT_FORMATS else 1
    frame = frame.with_row_index("__row", offset=offset)
    rows = _collect(frame.select(pl.len()), source).item()
    if rows == 0:
        # A quote never closed takes every row into one cell.
        fault = data.first_fault(source)
        if fault is not None:
            what = f"cannot be read as {data.format_of(source)}: {fault}"
            raise _file_problem(source, "E403", what, _CLOSE_QUOTE)
        raise _file_problem(source, "E405", "has a header but no rows", _ADD_ROWS)

    def cells() -> pl.LazyFrame:
        parts = _parts(frame, source, wanted, names, index)
        if not parts:
            return pl.LazyFrame(schema=EMPTY | data.value_schema(index))
        return pl.concat(parts).with_columns(source=pl.lit(source.id))

    return cells


def lean_cells(source: Source, wanted, index: Index, cells, units, typed=None):
    """The cells without their text (see :func:`_lean`). A wide file's columns
    are parsed in one select and then turned long, rather than one query
    per column. ``units``: the codes the index scores; ``typed``: the columns
    of a text file to read as numbers."""
    frame = data.scan_typed(source, typed) if typed else data.scan(source)
    offset = 2 if data.format_of(source) in TEXT_FORMATS else 1
    dtypes = frame.collect_schema() if typed else None
    frame = frame.with_row_index("__row", offset=offset)
    key = _row_key(source, wanted, units)
    if source.layout == "long":
        if typed:
            found = _long_cells(frame, source, wanted, index, dtypes)
            return _lean(found.with_columns(source=pl.lit(source.id)), key)
        return _lean(cells(), key)
    names = data.columns(frame, source)
    dtypes = dtypes or data.schema(frame, source)
    year = None
    if source.layout == "wide_by_year":
        parts = [
            (r.series, column, column_year)
            for r in wanted
            for column_year, column in _years_of(r, names).items()
            if not index.years or column_year in index.years
        ]
    else:
        year = _year(source, index, dtypes)
        parts = [(r.series, r.ref.selector, None) for r in wanted]
    if not parts:
        return _lean(cells(), key)
    kind = data.series_type(index)
    return _wide_lean(frame, source, parts, dtypes, kind, key, year)


def _collect_lean(source: Source, cells, wanted, index: Index, units) -> pl.DataFrame:
    """A source's lean table. A text file is first read with its value (and
    year) columns parsed by the reader, which is much faster than parsing
    text; if a cell is not a number that read fails, and the file is read as
    text, so the cell can be reported."""
    typed = data.numeric_columns(source, wanted)
    if data.format_of(source) in TEXT_FORMATS and typed:
        try:
            query = lean_cells(source, wanted, index, cells, units, typed)
            table = query.collect(engine=data.engine(index))
            data.remember_typed(source, typed)
            return table
        except (pl.exceptions.PolarsError, OSError):
            pass
    query = lean_cells(source, wanted, index, cells, units)
    return _collect_all([query], [(source, cells, wanted)], index)[0]


def _wide_lean(
    frame, source, parts, dtypes, kind: pl.Enum, key, year=None
) -> pl.LazyFrame:
    """A wide file's cells, one per series and row, in the order of ``parts``
    and then of the rows. ``parts``: the (series, column, year) read, the
    year being that of a ``wide_by_year`` column; ``year``: the year of each
    row (see :func:`_year`) in the ``wide`` layout. Each column's cells are
    parsed once (see :func:`_long_columns`) and joined by the series that
    read it."""
    columns = list(dict.fromkeys(column for _, column, _ in parts))
    place = {column: i for i, column in enumerate(columns)}
    read = {
        "place": pl.Series([place[c] for _, c, _ in parts], dtype=pl.UInt32),
        "series": pl.Series([s for s, _, _ in parts], dtype=kind),
        "column": pl.Series([c for _, c, _ in parts], dtype=pl.Categorical),
    }
    years = [y for _, _, y in parts]
    long = _joined(read, years, frame, source, columns, dtypes, year)
    return long.select(
        pl.col("row").cast(pl.UInt32),
        key.unit(pl.col("unit")),
        "year",
        "series",
        "column",
        pl.lit(source.id).cast(pl.Categorical).alias("source"),
        "value",
        "year_bad",
        _number_bad(pl.col("value"), pl.col("missing")).alias("number_bad"),
    )


def _joined(read: dict, years, frame, source, columns, dtypes, year) -> pl.LazyFrame:
    """The cells of ``columns`` (see :func:`_long_columns`) for each row of
    ``read``, a table of the columns read by their ``place`` in ``columns``,
    in its order and then that of the rows, as a column holds them. In the
    ``wide_by_year`` layout (no ``year`` of the row) ``years`` are those of
    the rows of ``read``."""
    if year is None:
        read = read | _column_years(years)
    cells = _long_columns(frame, source, columns, dtypes, year)
    return pl.LazyFrame(read).join(
        cells, on="place", how="inner", maintain_order="left_right"
    )


def _column_years(years: list[int | None]) -> dict[str, pl.Series]:
    """``year_text``, ``year_bad`` and ``year`` of ``wide_by_year`` columns,
    from the years their names hold."""
    return {
        "year_text": pl.Series([str(y) for y in years], dtype=pl.String),
        "year_bad": pl.repeat(False, len(years), eager=True),
        "year": pl.Series(years, dtype=pl.Int64),
    }


def _long_columns(frame, source, columns, dtypes, year=None) -> pl.LazyFrame:
    """The cells of a wide file's ``columns``, long: one per row and column,
    each column once however many series read it. Each holds its row, unit,
    the year fields of its row (``year``: see :func:`_year`; none in the
    ``wide_by_year`` layout), the place of its column in ``columns``, and its
    text, value and whether it is missing (see :func:`_number`).

    The columns of numbers and those of text are turned long apart, and each
    long column is parsed by one expression: the work grows with the cells,
    not with the columns times the rows."""
    year = year or {}
    index = ["row", "unit", *year]
    rows = frame.select(
        pl.col("__row").alias("row"),
        pl.col(source.unit_column).cast(pl.String).alias("unit"),
        *(expr.alias(name) for name, expr in year.items()),
        *(pl.col(column).alias(f"__{i}") for i, column in enumerate(columns)),
    )
    numeric = [_is_numeric(dtypes.get(column)) for column in columns]
    parts = []
    for dtype, wanted in ((pl.Float64, True), (pl.String, False)):
        names = [f"__{i}" for i, n in enumerate(numeric) if n == wanted]
        if not names:
            continue
        long = rows.select(*index, pl.col(names).cast(dtype)).unpivot(
            on=names, index=index, variable_name="place", value_name="cell"
        )
        parts.append(
            long.select(
                *index,
                pl.col("place").str.slice(2).cast(pl.UInt32),
                **_number(pl.col("cell"), dtype, source),
            )
        )
    return pl.concat(parts)


def _is_numeric(dtype) -> bool:
    """Whether a column of this type is read as numbers (else as text)."""
    return dtype is not None and dtype.is_numeric()


def _collect(query: pl.LazyFrame, source: Source) -> pl.DataFrame:
    try:
        return query.collect()
    except (pl.exceptions.PolarsError, OSError) as error:
        raise _unreadable(source, error) from None


_ADD_ROWS = "add the data rows below the header"
_CLOSE_QUOTE = 'close the quoted cell with a second `"`, or remove its quote'


def _file_itself(source: Source) -> None:
    if source.file is None:
        message = f"source `{source.id}` is read from but has no `file`"
        hint = 'add `file "data/NAME.csv"` to the source'
        raise AixError([Diagnostic("E401", message, source.span, (hint,))])
    path = data.path_of(source)
    if path.is_dir():
        hint = "name the data file itself, not its folder"
        raise _file_problem(source, "E406", "is a folder, not a data file", hint)
    if path.is_file() and path.stat().st_size == 0:
        raise _file_problem(source, "E405", "is empty", "the file has no header")
    suffix = path.suffix.lower()
    if source.format is None and suffix and suffix not in data.EXTENSIONS:
        what = f"is a {suffix} file, a format aix does not read"
        raise _file_problem(source, "E409", what, _format_hint(suffix))
    if data.format_of(source) != "parquet" and _spreadsheet(path):
        what = f"is a spreadsheet, not {data.format_of(source)} text"
        raise _file_problem(source, "E409", what, _format_hint(".xlsx"))


# How the files of spreadsheets start: Office Open XML and OpenDocument (ZIP
# archives), and the older Excel files.
SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def _spreadsheet(path) -> bool:
    try:
        with open(path, "rb") as file:
            start = file.read(8)
    except OSError:
        return False
    return start.startswith(SPREADSHEET_MAGIC)


SPREADSHEETS = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")


def _format_hint(suffix: str) -> str:
    """How to read a file whose extension names no format aix reads."""
    if suffix in SPREADSHEETS:
        return "save the sheet as CSV and read that file"
    known = ", ".join(sorted(data.EXTENSIONS))
    return (
        f"aix reads {known} files; if this one is one of them, "
        "name its format on the source: `format csv`"
    )


def _needed_columns(source, wanted, names) -> list[tuple[str, Span | None]]:
    needed = [(source.unit_column, source.span)]
    if source.year_column:
        needed.append((source.year_column, source.span))
    if source.layout == "long":
        needed += [(source.indicator_column, source.span)]
        needed += [(source.value_column, source.span)]
    elif source.layout == "wide_by_year":
        needed += [
            (r.ref.selector, r.ref.span) for r in wanted if not _years_of(r, names)
        ]
    else:
        needed += [(r.ref.selector, r.ref.span) for r in wanted]
    return needed


def _require(source, names, needed) -> None:
    missing = [column for column, _ in needed if column not in names]
    separated = _other_separator(source, names) if missing else None
    if separated is not None:
        raise separated
    problems = []
    twins = _twins(names)
    for column, span in dict(needed).items():
        if column in twins:
            problems.append(_named_twice(source, names, column, twins[column], span))
        if column in names:
            continue
        # The header as written: a name it gives twice, once.
        header = [n for n in names if not _twin_of(n, names)]
        hints = did_you_mean(column, header) or (
            f"the file's columns are: {', '.join(header[:12])}",
        )
        hints += _role_hint(source, column, header)
        message = f"{data.path_of(source)} has no column `{column}`"
        problems.append(Diagnostic("E404", message, span, hints))
    if problems:
        raise AixError(problems)


def _wide_read_as_long(source: Source, wanted, names: list[str]) -> None:
    """A source declared `layout long` whose file has no column of codes but
    a column for each code read: the file is wide."""
    if source.layout != "long" or source.indicator_column in names:
        return
    codes = list(dict.fromkeys(r.ref.selector for r in wanted))
    if not codes or not all(code in names for code in codes):
        return
    shown = ", ".join(f"`{c}`" for c in codes[:4]) + (", ..." if len(codes) > 4 else "")
    what = (
        f"has a column for each code read ({shown}) and no column "
        f"`{source.indicator_column}`: it is laid out wide, not long"
    )
    raise _file_problem(source, "E404", what, "drop `layout long` from the source")


# The columns a source reads by default, by the statement that names another.
ROLES = {
    "unit_column": ("unit column", "the units' codes"),
    "indicator_column": ("indicator column", "the indicators' codes"),
    "value_column": ("value column", "the values"),
}


def _role_hint(source: Source, column: str, names: list[str]) -> tuple[str, ...]:
    """How to name the column a source reads by default, when it is missing."""
    for field, (statement, what) in ROLES.items():
        if getattr(source, field) == column and field not in source.model_fields_set:
            guess = names[0] if names else "code"
            return (
                f"if {what} are in another column, name it in the source: "
                f'`{statement} "{guess}"`',
            )
    return ()


# Separators of text files other than those aix reads (`,`, and a tab in TSV).
_SAVE_AS_CSV = "save the file with commas between cells (CSV)"
# Separators of text files other than those aix reads (a comma, and a tab in
# TSV): what they are called and how to read such a file.
OTHER_SEPARATORS = {
    ";": ("semicolons", _SAVE_AS_CSV),
    "|": ("bars", _SAVE_AS_CSV),
    "\t": ("tabs", "save it with commas, or declare it tab-separated: `format tsv`"),
    ",": ("commas", "declare it comma-separated: `format csv`"),
}


def _other_separator(source, names) -> AixError | None:
    """A text file read as one column whose header another separator splits:
    a CSV written with semicolons, as spreadsheets in many languages do."""
    if data.format_of(source) not in TEXT_FORMATS or len(names) != 1:
        return None
    ours = "\t" if data.format_of(source) == "tsv" else ","
    for separator, (name, hint) in OTHER_SEPARATORS.items():
        if separator != ours and separator in names[0]:
            shown = names[0].replace("\t", "\\t")
            what = f"has one column, `{shown}`: its cells are separated by {name}"
            return _file_problem(source, "E418", what, hint)
    return None


# A header's second ``NAME`` as the readers rename it.
_TWIN = re.compile(r"(.+)_duplicated_\d+")


def _twin_of(name: str, names: list[str]) -> bool:
    """Whether ``name`` is the readers' name for a header's second ``NAME``."""
    twin = _TWIN.fullmatch(name)
    return bool(twin) and twin.group(1) in names


def _twins(names: list[str]) -> dict[str, list[int]]:
    """The names a header gives more than once, each with its places (1 up)."""
    places: dict[str, list[int]] = {}
    for place, name in enumerate(names, start=1):
        twin = _TWIN.fullmatch(name)
        if twin and twin.group(1) in names:
            first = names.index(twin.group(1)) + 1
            places.setdefault(twin.group(1), [first]).append(place)
    return places


def _named_twice(source, names, column: str, places, span) -> Diagnostic:
    """A column read whose name the header gives more than once: which one
    was meant is unknown."""
    shown = ", ".join(str(p) for p in places[:-1]) + f" and {places[-1]}"
    message = (
        f"{data.path_of(source)}: the header names column `{column}` "
        f"{'twice' if len(places) == 2 else f'{len(places)} times'} (columns {shown})"
    )
    hint = "give each column of the header a name of its own"
    return Diagnostic("E407", message, span, (hint,))


def _parts(frame, source, wanted, names, index) -> list[pl.LazyFrame]:
    dtypes = data.schema(frame, source)
    if source.layout == "long":
        return [_long_cells(frame, source, wanted, index, dtypes)]
    if source.layout == "wide_by_year":
        years = {
            column: y
            for r in wanted
            for y, column in _years_of(r, names).items()
            if not index.years or y in index.years
        }
        year = None
    else:
        years = {r.ref.selector: None for r in wanted}
        year = _year(source, index, dtypes)
    if not years:
        return []
    return [_wide_cells(frame, source, years, dtypes, data.series_type(index), year)]


def _years_of(request: data.Request, names: Iterable[str]) -> dict[int, str]:
    pattern = re.escape(request.ref.selector).replace(r"\{year\}", r"(\d{4})")
    return {
        int(match.group(1)): name
        for name in names
        if (match := re.fullmatch(pattern, name))
    }


def _year(source: Source, index: Index, dtypes) -> dict[str, pl.Expr]:
    """``year_text``, ``year_bad`` and ``year`` of each row."""
    if source.year_column:
        column = pl.col(source.year_column)
        dtype = dtypes.get(source.year_column)
        if dtype is not None and dtype.is_integer():
            year = column.cast(pl.Int64)
            bad = (year.abs() > 99_999).fill_null(True)
            return {
                "year_text": pl.when(bad).then(column.cast(pl.String)),
                "year_bad": bad,
                "year": pl.when(bad).then(None).otherwise(year),
            }
        return _year_parsed(column.cast(pl.String))
    if len(index.years) == 1:
        return _year_literal(index.years[0])
    return _year_literal(None)


def _year_literal(year: int | None) -> dict[str, pl.Expr]:
    return {
        "year_text": pl.lit(None if year is None else str(year), pl.String),
        "year_bad": pl.lit(False),
        "year": pl.lit(year, pl.Int64),
    }


def _year_parsed(text: pl.Expr) -> dict[str, pl.Expr]:
    stripped = text.str.strip_chars()
    year = stripped.cast(pl.Float64, strict=False)
    bad = (year.is_null() | (year.round() != year) | (year.abs() > 99_999)).fill_null(
        True
    )
    return {
        "year_text": text,
        "year_bad": bad,
        "year": pl.when(bad).then(None).otherwise(year).cast(pl.Int64, strict=False),
    }


def _number(cell: pl.Expr, dtype, source: Source) -> dict[str, pl.Expr]:
    """``text``, ``value`` and ``missing`` of a column's cells, of type
    ``dtype``. A column the file stores as numbers is cast (its text is
    formatted only for infinite values, the one fault it can have); text is
    parsed."""
    if _is_numeric(dtype):
        number = cell.cast(pl.Float64)
        missing = number.is_null() | number.is_nan()
        # A marker that is a number (``missing "-999"``) marks it as well.
        marked = [float(m) for m in source.missing if data.is_number(m)]
        if marked:
            missing = missing | number.is_in(marked)
        return {
            "text": pl.when(number.is_infinite()).then(cell.cast(pl.String)),
            "value": pl.when(missing).then(None).otherwise(number),
            "missing": missing,
        }
    markers = list(dict.fromkeys(data.DEFAULT_MISSING + source.missing))
    text = cell.cast(pl.String)
    stripped = text.str.strip_chars()
    missing = stripped.is_null() | stripped.is_in(markers)
    value = pl.when(missing).then(None).otherwise(stripped)
    return {
        "text": text,
        "value": value.cast(pl.Float64, strict=False),
        "missing": missing,
    }


def _wide_cells(frame, source, years, dtypes, kind, year) -> pl.LazyFrame:
    """The cells of a wide file's columns (``years``: each column read and,
    in the ``wide_by_year`` layout, its year), each column once: they carry
    no series, only their column."""
    columns = list(years)
    read = {
        "place": pl.Series(range(len(columns)), dtype=pl.UInt32),
        "column": pl.Series(columns, dtype=pl.String),
    }
    cells = _joined(read, list(years.values()), frame, source, columns, dtypes, year)
    return cells.with_columns(
        pl.col("row").cast(pl.Int64),
        pl.lit(None, kind).alias("series"),
        pl.lit(None, pl.UInt64).alias("code"),
    ).select(PARSED)


def _long_cells(frame, source, wanted, index, dtypes) -> pl.LazyFrame:
    reading: dict[str, list[str]] = {}
    for request in wanted:
        series = reading.setdefault(request.ref.selector, [])
        if request.series not in series:
            series.append(request.series)
    read = sorted(reading)
    # A code is kept as its place among the codes read (see RowKey).
    code = _matched(pl.col(source.indicator_column).cast(pl.String), pl.Enum(read))
    # Every row is kept, of a series read or not: a bad year fails the file.
    cells = frame.select(
        pl.col("__row").cast(pl.Int64).alias("row"),
        pl.col(source.unit_column).cast(pl.String).alias("unit"),
        pl.lit(source.value_column).alias("column"),
        code.to_physical().cast(pl.UInt64).alias("code"),
        **_year(source, index, dtypes),
        **_number(pl.col(source.value_column), dtypes.get(source.value_column), source),
    )
    kind = data.series_type(index)
    if all(len(series) == 1 for series in reading.values()):
        # Each code read by one series: its series by its place, from the
        # column (not from the same expression again).
        series = pl.Series([reading[c][0] for c in read], dtype=kind)
        found = cells.with_columns(series=pl.lit(series).gather(pl.col("code")))
        return found.select(PARSED)
    # A code several series read: its rows once for each of them.
    pairs = [(place, s) for place, c in enumerate(read) for s in reading[c]]
    by_code = pl.LazyFrame(
        {"code": [p for p, _ in pairs], "series": [s for _, s in pairs]},
        schema={"code": pl.UInt64, "series": kind},
    )
    found = cells.join(by_code, on="code", how="left", maintain_order="left")
    return found.select(PARSED)


PARSED = [
    "row",
    "unit",
    "year_text",
    "series",
    "column",
    "text",
    "value",
    "missing",
    "year_bad",
    "year",
    "code",
]


# ---- cells to numbers ---------------------------------------------------------


def _cell_diagnostics(index: Index, source: Source, bad: pl.DataFrame) -> list:
    if bad.height == 0:
        return []
    years = bad.filter(pl.col("year_bad")).unique("row", maintain_order=True)
    return _bad_years(index, years, source) + _number_problems(
        index, source, bad.filter(~pl.col("year_bad"))
    )


def _bad_years(index: Index, rows: pl.DataFrame, source: Source) -> list[Diagnostic]:
    column = source.year_column or "year"
    return _cell_problems(
        rows,
        source,
        lambda row: (
            "E411",
            f"`{row['year_text']}` is not a year"
            if (row["year_text"] or "").strip()
            else "the year is missing",
            _span_of(index, row["series"]) if row["series"] else None,
            (f"write the year in column `{column}` as a whole number, as 2024",),
            column,
        ),
    )


def _number_problems(index: Index, source: Source, rows) -> list[Diagnostic]:
    return _cell_problems(
        rows,
        source,
        lambda row: (
            (
                ("E410", f"`{row['text']}` is not a number")
                if row["value"] is None
                else ("E412", f"`{row['text']}` is infinite")
            )
            + (
                _span_of(index, row["series"]),
                _number_hints(row["text"]) if row["value"] is None else (_INFINITE,),
                row["column"],
            )
        ),
    )


_INFINITE = "write a finite number, or leave the cell empty if the value is unknown"


def _number_hints(text: str) -> tuple[str, ...]:
    stripped = text.strip()
    if stripped.endswith("%"):
        return (f"write the share without `%`, as {stripped[:-1].strip()}",)
    digits = stripped.lstrip("+-").replace(",", "").replace(".", "")
    if "," in stripped and digits.isdigit():
        return (_comma_hint(stripped),)
    if stripped.lstrip("+-").lower().startswith("inf"):
        return ("leave the cell empty if the value is unknown",)
    return (
        f"if `{stripped}` marks a missing value, declare it on the source: "
        f'`missing "{stripped}"`',
    )


def _comma_hint(text: str) -> str:
    head, _, tail = text.rpartition(",")
    if text.count(",") == 1 and "." not in text and len(tail) != 3:
        return f"write the decimal with a point, as {head}.{tail}"
    return f"write the number without separators, as {text.replace(',', '')}"


def _cell_problems(rows: pl.DataFrame, source: Source, describe) -> list[Diagnostic]:
    path = data.path_of(source)
    problems = []
    for row in rows.head(MAX_CELLS).iter_rows(named=True):
        code, what, span, hints, column = describe(row)
        message = f"{path}, row {row['row']}, column `{column}`: {what}"
        location = f"{path}:{row['row']}"
        problems.append(Diagnostic(code, message, span, hints, location=location))
    if rows.height > MAX_CELLS:
        rest = rows.height - MAX_CELLS
        message = f"{path}: {rest} more cells like these not shown"
        problems.append(Diagnostic(problems[0].code, message, source.span))
    return problems


# ---- the numbers against the definition --------------------------------------


def _check_values(
    index: Index, sources, units: Sequence[str], resolved
) -> pl.DataFrame:
    transforms = _transforms(resolved)
    tables = [
        _collect_lean(s, cells, wanted, index, units) for s, cells, wanted in sources
    ]
    scope = _scope(index)

    problems = []
    for (source, cells, _), table in zip(sources, tables, strict=True):
        problems += _cell_diagnostics(index, source, _bad_cells(table, cells, scope))
        problems += _values_without_unit(source, table)
    if problems:
        raise AixError(problems)
    # The checks below read the tables in memory, as queries run together.
    values = _scored_units(pl.concat([_good(table).select(VALUES) for table in tables]))
    scored = values.lazy().filter(scope)
    keyed = list(zip(sources, tables, strict=True))
    long = [(s, w, t) for (s, _, w), t in keyed if s.layout == "long"]
    outside, present, clipped, *found = pl.collect_all(
        [
            _outside_domain(scored, transforms),
            _present(index, values.lazy()),
            _clipped(scored, _bounds(resolved)),
            *[_rising(t, s, _row_key(s, w, units)) for (s, _, w), t in keyed],
            *[_series_read(table) for _, _, table in long],
        ],
        engine=data.engine(index),
    )
    rising, read = found[: len(keyed)], found[len(keyed) :]
    problems = [
        problem
        for (source, wanted, _), series in zip(long, read, strict=True)
        for problem in _codes_not_found(source, wanted, series)
    ]
    # Rows whose keys rise strictly cannot repeat one: only the others are
    # searched for repeats.
    repeated = [
        _duplicates(_good(table).select(VALUES).lazy().filter(scope))
        for (_, table), up in zip(keyed, rising, strict=True)
        if up.item() is False
    ]
    problems += [
        _duplicate(index, row)
        for table in pl.collect_all(repeated, engine=data.engine(index))
        for row in table.iter_rows(named=True)
    ]
    problems += _domain_problems(index, outside, transforms)
    if problems:
        raise AixError(problems)
    found = present["unit"].unique()
    in_years = present.filter(_scope(index, pl.col("own")))["unit"].unique()
    _warn_units(index, found, [s for s, _, _ in sources], units, _imputations(resolved))
    _warn_units_out_of_years(index, found, in_years)
    if _reads_undated(index, sources):
        undated = present.filter(pl.col("own").is_null())["year"].unique()
        _warn_years(index, undated, _imputations(resolved))
    _warn_clipped(index, clipped)
    return values.select(data.VALUES)


def _values_without_unit(source: Source, table: pl.DataFrame) -> list[Diagnostic]:
    """Rows that hold a value but no unit code (E416). Their unit is not one
    the index scores, as that of a row of another unit is: only when there
    are such rows is the file read again for their codes."""
    if table["unit"].null_count() == 0:
        return []
    unknown = table.filter(pl.col("unit").is_null() & pl.col("value").is_not_null())
    if unknown.height == 0:
        return []
    offset = 2 if data.format_of(source) in TEXT_FORMATS else 1
    code = data.unit_expr(source)
    query = (
        data.scan(source)
        .with_row_index("row", offset=offset)
        .filter(pl.col("row").is_in(unknown["row"].unique().implode()))
        .filter(code.is_null() | (code == ""))
        .select(pl.col("row").cast(pl.Int64))
    )
    rows = _collect(query, source)["row"].to_list()
    if not rows:
        return []
    path = data.path_of(source)
    shown = ", ".join(str(r) for r in rows[:MAX_LISTED])
    more = f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else ""
    message = (
        f"{path}, row {shown}{more}, column `{source.unit_column}`: "
        "a row with values and no unit code"
    )
    hint = "write the unit's code in the row, or remove the row"
    location = f"{path}:{rows[0]}"
    return [Diagnostic("E416", message, source.span, (hint,), location=location)]


def _scored_units(values: pl.DataFrame) -> pl.DataFrame:
    """The values of the units the index scores (no copy when all are)."""
    if values["unit"].null_count() == 0:
        return values
    return values.filter(pl.col("unit").is_not_null())


def _series_read(table: pl.DataFrame) -> pl.LazyFrame:
    """The series a long file's rows hold (see :func:`_codes_not_found`)."""
    return table.lazy().select(pl.col("series").unique().cast(pl.String))


def _codes_not_found(source: Source, wanted, read: pl.DataFrame) -> list:
    """The codes a long file was to be read for that no row of it holds
    (``read``: the series its rows hold), as a wide file's missing column is
    (with the closest codes it does hold)."""
    found = set(read.to_series().drop_nulls().to_list())
    missing = [r for r in wanted if r.series not in found]
    if not missing:
        return []
    frame = data.scan(source)
    code = pl.col(source.indicator_column).cast(pl.String).str.strip_chars()
    held = _collect(frame.select(code.unique().drop_nulls()), source)
    codes = sorted(held.to_series().to_list())
    path = data.path_of(source)
    problems = []
    for request in missing:
        hints = did_you_mean(request.ref.selector, codes) or (
            f"the file's codes are: {', '.join(codes[:12])}",
        )
        message = (
            f"{path}: no row has `{request.ref.selector}` in column "
            f"`{source.indicator_column}`"
        )
        problems.append(Diagnostic("E417", message, request.ref.span, hints))
    return problems


def _good(table: pl.DataFrame) -> pl.DataFrame:
    """The cells of a known series with a proper year (no copy when all are)."""
    if not table["year_bad"].any() and table["series"].null_count() == 0:
        return table
    return table.filter(~pl.col("year_bad") & pl.col("series").is_not_null())


def _lean(cells: pl.LazyFrame, key: RowKey) -> pl.LazyFrame:
    """The cells without their text: what the checks read, with a flag on each
    cell that is not a number (or is infinite), the unit as the enumeration of
    those scored and, in a long file, the place of its code (see
    :class:`RowKey`)."""
    return cells.select(
        pl.col("row").cast(pl.UInt32),
        key.unit(pl.col("unit")),
        "year",
        "series",
        pl.col("column").cast(pl.Categorical),
        pl.col("source").cast(pl.Categorical),
        "value",
        "year_bad",
        _number_bad(pl.col("value"), pl.col("missing")).alias("number_bad"),
        pl.col("code").cast(pl.UInt32),
    )


def _number_bad(value: pl.Expr, missing: pl.Expr) -> pl.Expr:
    """Text where a number belongs, or an infinite number."""
    return ((~missing & value.is_null()) | value.is_infinite()).fill_null(False)


class RowKey:
    """The keys of a row as one integer, in the order of the keys as text:
    unit, year and, in a long file, the place of the indicator's code among
    the ``codes`` codes read, sorted (no ``codes`` in a wide file). Null for
    a unit the index does not score or a code it does not read. The cells
    hold their unit as the enumeration of the units scored (:meth:`unit`).

    When a source's rows come in strictly increasing order of their keys, no
    two rows share them, and the search for duplicates can skip the source
    (:func:`_rising`).
    """

    YEARS = 100_000  # a year beyond +-99,999 is not read as one

    def __init__(self, units: Sequence[str], codes: int):
        self.units = pl.Enum(sorted(set(units)))
        self.codes = codes

    def unit(self, text: pl.Expr) -> pl.Expr:
        """Unit codes as the enumeration of the units scored (null for others)."""
        return _matched(text, self.units)

    def __call__(self, unit: pl.Expr, year: pl.Expr, code=None) -> pl.Expr:
        """The key of a row (``unit``: see :meth:`unit`); ``code`` is the
        place of its code (long files)."""
        year = year.fill_null(-self.YEARS) + self.YEARS
        place = unit.to_physical().cast(pl.UInt64)
        key = place * (2 * self.YEARS) + year.cast(pl.UInt64)
        return (key * self.codes + code if self.codes else key).alias("key")


def _matched(text: pl.Expr, codes: pl.Enum) -> pl.Expr:
    """Codes as the enumeration ``codes``, null for a code not among them. A
    code with blanks around it is matched without them; only the codes that
    do not match as they are are stripped, which is much cheaper than
    stripping every cell."""
    direct = text.cast(codes, strict=False)
    stripped = text.str.strip_chars().cast(codes, strict=False)
    return (
        pl.when(direct.is_null() & text.is_not_null()).then(stripped).otherwise(direct)
    )


def _row_key(source: Source, wanted, units: Sequence[str]) -> RowKey:
    """The key of a row of ``source`` (see :class:`RowKey`)."""
    codes = {r.ref.selector for r in wanted} if source.layout == "long" else ()
    return RowKey(units, len(codes))


def _rising(table: pl.DataFrame, source: Source, key: RowKey) -> pl.LazyFrame:
    """Whether the keys of one source's rows (see :class:`RowKey`) come in
    strictly increasing order: one value, False if not. The cells of a wide
    file repeat its rows once per series and column read: those of the first
    are enough."""
    if table.height == 0:
        return pl.LazyFrame({"key": [True]})
    rows = table.lazy()
    if source.layout != "long":
        first = (pl.col("series") == table["series"][0]) & (
            pl.col("column") == table["column"][0]
        )
        rows = rows.filter(first)
    code = pl.col("code").cast(pl.UInt64) if source.layout == "long" else None
    keys = rows.select(key(pl.col("unit"), pl.col("year"), code)).drop_nulls()
    # The first row has no previous: null, which `all` passes over.
    after = pl.col("key") > pl.col("key").shift(1)
    return keys.select(after.all())


def _bad_cells(table: pl.DataFrame, cells, scope: pl.Expr):
    """Years that are not years (in any row), text and infinities (in the
    rows the index scores), with the text of the first few read again."""
    number_bad = ~pl.col("year_bad") & pl.col("series").is_not_null()
    number_bad = number_bad & pl.col("number_bad")
    # The flags first, which are cheap to read; the scope on the few left.
    bad = table.filter(pl.col("year_bad") | number_bad)
    bad = bad.filter(pl.col("year_bad") | scope)
    if bad.height == 0:
        return bad
    # A blank line (no unit, no value, no year) is no row of data: a file
    # ending with an empty line is read as one.
    blank = pl.col("year_bad") & pl.col("unit").is_null() & pl.col("value").is_null()
    bad = bad.filter(~blank)
    if bad.height == 0:
        return bad
    years = bad.filter(pl.col("year_bad")).unique("row", maintain_order=True)
    shown = pl.concat(
        [years.head(MAX_CELLS), bad.filter(~pl.col("year_bad")).head(MAX_CELLS)]
    ).select(pl.col("row").cast(pl.Int64), pl.col("column").cast(pl.String))
    texts = (
        cells()
        .join(shown.lazy(), on=["row", "column"], how="semi")
        .select("row", "column", "text", "year_text")
        .collect()
    )
    return bad.with_columns(
        pl.col("row").cast(pl.Int64), pl.col("column").cast(pl.String)
    ).join(texts, on=["row", "column"], how="left", maintain_order="left")


def _collect_all(queries, sources, index: Index) -> list[pl.DataFrame]:
    """Run every query in one pass over the files; name the file that fails."""
    try:
        return pl.collect_all(queries, engine=data.engine(index))
    except (pl.exceptions.PolarsError, OSError) as error:
        for source, cells, _ in sources:
            _collect(cells(), source)
        raise _unreadable(sources[0][0], error) from None


def _scope(index: Index, own: pl.Expr | None = None) -> pl.Expr:
    """The rows the index scores: its units (the others' unit is null, see
    :meth:`RowKey.unit`), its years (or a node's own year: ``own``, by
    default that of the row's series, see :func:`_own_year`)."""
    keep = pl.col("unit").is_not_null()
    if not index.years:
        return keep
    own = _own_year(index) if own is None else own
    in_years = pl.col("year").is_in(list(index.years)) | pl.col("year").is_null()
    return keep & pl.when(own.is_null()).then(in_years).otherwise(
        pl.col("year") == own
    ).fill_null(False)


def _own_year(index: Index) -> pl.Expr:
    """The data year of a row's series, if it has one of its own."""
    dated = {n.id: n.data_year for n in index.nodes() if n.data_year is not None}
    if not dated:
        return pl.lit(None, pl.Int64)
    return pl.col("series").replace_strict(dated, default=None, return_dtype=pl.Int64)


def _duplicates(scored: pl.LazyFrame) -> pl.LazyFrame:
    keys = ["source", "unit", "year", "series"]
    return (
        scored.filter(pl.struct(keys).is_duplicated())
        .group_by(keys, maintain_order=True)
        .agg(pl.col("row").sort())
        .filter(pl.col("row").list.len() > 1)
        .group_by(["source", "unit", "year", "row"], maintain_order=True)
        .agg(pl.col("series"))
        .head(MAX_CELLS)
    )


def _duplicate(index: Index, found: dict) -> Diagnostic:
    source = index.source(found["source"])
    path = data.path_of(source)
    rows = found["row"]
    if len(rows) <= MAX_LISTED:
        shown = ", ".join(str(r) for r in rows[:-1]) + f" and {rows[-1]}"
    else:
        shown = ", ".join(str(r) for r in rows[:MAX_LISTED]) + ", ..."
    year = f" in {found['year']}" if found["year"] is not None else ""
    names = ", ".join(f"`{s}`" for s in found["series"][:MAX_LISTED])
    message = (
        f"{path}: {found['unit']}{year} has {len(rows)} rows for {names} (rows {shown})"
    )
    hints = ["keep one row per unit, year and indicator"]
    if source.year_column is None and source.layout != "wide_by_year":
        hints.append(
            "the source has no `year column`, so every row counts as the index's"
            ' year; if the file has one, name it: `year column "year"`'
        )
    span = _span_of(index, found["series"][0])
    return Diagnostic("E413", message, span, tuple(hints), location=f"{path}:{rows[0]}")


def _transforms(resolved) -> dict[str, str]:
    return {
        node_id: r.transform
        for node_id, r in resolved.items()
        if r.node.is_leaf and r.node.score_from is None
    }


def _outside_domain(scored: pl.LazyFrame, transforms: dict) -> pl.LazyFrame:
    logged = [s for s, t in transforms.items() if t in ("log", "log10")]
    rooted = [s for s, t in transforms.items() if t == "sqrt"]
    if not logged and not rooted:
        return scored.head(0)
    bad = (pl.col("series").is_in(logged) & (pl.col("value") <= 0)) | (
        pl.col("series").is_in(rooted) & (pl.col("value") < 0)
    )
    return scored.filter(bad.fill_null(False)).head(MAX_CELLS)


def _domain_problems(index: Index, rows: pl.DataFrame, transforms) -> list:
    problems = []
    for row in rows.iter_rows(named=True):
        transform = transforms[row["series"]]
        path = data.path_of(index.source(row["source"]))
        message = (
            f"{path}, row {row['row']}, column `{row['column']}`: `{row['series']}` "
            f"takes a {transform} transform, but {row['unit']} has {row['value']:g}"
        )
        hint = _domain_hint(transform)
        location = f"{path}:{row['row']}"
        problems.append(
            Diagnostic(
                "E414",
                message,
                _span_of(index, row["series"]),
                (hint,),
                location=location,
            )
        )
    return problems


def _domain_hint(transform: str) -> str:
    if transform == "sqrt":
        return "the square root of a negative value is undefined; check the value"
    return (
        "the logarithm of zero or less is undefined; check the value, or use "
        "`transform sqrt` or no transform"
    )


def _span_of(index: Index, series: str) -> Span | None:
    node = index.node(series)
    if node is not None:
        ref = node.data or node.score_from
        return ref.span if ref is not None else node.span
    for variable in index.variables:
        if variable.id == series:
            return variable.span
    return None


# ---- warnings -------------------------------------------------------------------


def _present(index: Index, values: pl.LazyFrame) -> pl.LazyFrame:
    """Each unit of the index and year with a value in the data, and the
    series' own year (``own``, see :func:`_own_year`): a small table, from
    which the warnings of units and years without data are found.

    The three are found as one integer (the unit's place, the year, the
    place of the own year), since unique integers are found in half the time
    unique rows are."""
    units = values.collect_schema()["unit"].categories
    dated = sorted({n.data_year for n in index.nodes() if n.data_year is not None})
    owns = pl.Series("own", [None, *dated], dtype=pl.Int64)
    own = pl.lit(0, pl.UInt64)
    if dated:
        places = {year: place for place, year in enumerate(dated, start=1)}
        own = _own_year(index).replace_strict(places, default=0, return_dtype=pl.UInt64)
    span = 2 * RowKey.YEARS
    year = (pl.col("year").fill_null(-RowKey.YEARS) + RowKey.YEARS).cast(pl.UInt64)
    unit = pl.col("unit").to_physical().cast(pl.UInt64)
    key = ((unit * span + year) * len(owns) + own).alias("key")
    found = values.filter(pl.col("value").is_not_null()).select(key).unique()
    key = pl.col("key")
    year = ((key // len(owns)) % span).cast(pl.Int64) - RowKey.YEARS
    return found.select(
        pl.lit(units).gather(key // len(owns) // span).alias("unit"),
        pl.when(year > -RowKey.YEARS).then(year).alias("year"),
        pl.lit(owns).gather(key % len(owns)).alias("own"),
    )


def _warn_units(
    index: Index, found, sources: list[Source], units, imputations: set[str]
) -> None:
    """Warn of each unit scored (``units``: those listed and those read with
    ``units from``) that has no value in any file; groups take theirs from
    their members. Said too: which of its scores imputation from the other
    units gives (``imputations``: those of the indicators)."""
    known = set(found.to_list()) | {g.code for g in index.groups}
    absent = [c for c in dict.fromkeys(units) if c not in known]
    if not absent:
        return
    others = sorted(_codes_in(sources) - set(units))
    spans = {u.code: u.span for u in index.units}
    read = index.units_from.span if index.units_from is not None else None
    apart = set(index.unranked_codes())
    filled = imputations & {"mean", "median"}
    for code in absent:
        hints = did_you_mean(code, others)
        hint = f" ({hints[0]})" if hints else ""
        if not filled or code in apart:
            outcome = "all its scores will be missing"
        elif filled == imputations:
            outcome = (
                f"its values will be imputed from the other units' ({_listed(filled)})"
            )
        else:
            outcome = (
                "only the indicators imputed from the other units "
                f"({_listed(filled)}) will have scores"
            )
        if filled and code not in apart and index.root.coverage is None:
            outcome += (
                ", and ranked on them: `coverage 50%` at the top of the index "
                "would leave a unit with less than half its weight observed unscored"
            )
        warn(
            "W401",
            f"{spans.get(code) or read or index.path}: unit `{code}` has no value "
            f"in any data file; {outcome}{hint}",
        )


def _warn_units_out_of_years(index: Index, found, in_years) -> None:
    """Warn of each unit with values in the data, none of them of a year the
    index scores."""
    if not index.years:
        return
    outside = set(found.to_list()) - set(in_years.to_list())
    groups = {g.code for g in index.groups}
    for code in sorted(outside - groups):
        unit = next((u for u in index.units if u.code == code), None)
        span = unit.span if unit is not None else None
        warn(
            "W402",
            f"{span or index.path}: unit `{code}` has values in the data, but "
            "none of a year the index scores; all its scores will be missing",
        )


def _codes_in(sources: list[Source]) -> set[str]:
    """Every unit code the files hold, read again (only for a warning's hint:
    the values keep only the units the index scores)."""
    queries = [
        data.scan(source).select(data.unit_expr(source).unique()) for source in sources
    ]
    return {
        code
        for table in pl.collect_all(queries)
        for code in table.to_series().to_list()
        if code
    }


def _reads_undated(index: Index, sources) -> bool:
    """Whether a series read takes the index's years, not a data year of its
    own: only then can a year of the index lack data."""
    dated = {n.id for n in index.nodes() if n.data_year is not None}
    return any(r.series not in dated for _, _, wanted in sources for r in wanted)


def _imputations(resolved) -> set[str]:
    """The imputations of the indicators scored from data."""
    return {
        r.impute
        for r in resolved.values()
        if r.node.is_leaf and r.node.score_from is None
    }


def _warn_years(index: Index, present: pl.Series, imputations: set[str]) -> None:
    """Warn of each year the index scores that has no value (``present``:
    the years of the series without a year of their own that have one),
    saying which of its scores imputation from other years gives
    (``imputations``: those of the indicators): ``locf`` and ``interpolate``
    fill a year after one with data."""
    if not index.years or present.null_count() > 0:
        return
    present = sorted(present.to_list())
    shown = ", ".join(str(y) for y in present[: MAX_LISTED * 2]) or "no values"
    for year in index.years:
        if year in present:
            continue
        after = any(y < year for y in present)
        filled = imputations & {"locf", "interpolate"} if after else set()
        if not filled:
            outcome = f"every score of {year} will be missing"
        elif filled == imputations:
            outcome = f"its values are imputed from other years ({_listed(filled)})"
        else:
            outcome = (
                f"only the indicators imputed from other years ({_listed(filled)})"
                " will have scores"
            )
        warn(
            "W403",
            f"{index.path}: year {year} has no data; {outcome} (the data has: {shown})",
        )


def _listed(imputations: set[str]) -> str:
    return " or ".join(f"`impute {m}`" for m in sorted(imputations))


def _bounds(resolved) -> dict[str, tuple[float, float]]:
    return {
        node_id: (min(a.worst, a.best), max(a.worst, a.best))
        for node_id, r in resolved.items()
        if (a := r.anchors) is not None and a.clip and r.node.score_from is None
    }


def _clipped(scored: pl.LazyFrame, bounds: dict) -> pl.LazyFrame:
    """How many values of each series lie beyond its anchors."""
    if not bounds:
        return scored.head(0).group_by("series").agg(pl.len().alias("count"))
    low = pl.col("series").replace_strict(
        {s: b[0] for s, b in bounds.items()}, default=None, return_dtype=pl.Float64
    )
    high = pl.col("series").replace_strict(
        {s: b[1] for s, b in bounds.items()}, default=None, return_dtype=pl.Float64
    )
    outside = ((pl.col("value") < low) | (pl.col("value") > high)).fill_null(False)
    return (
        scored.filter(outside)
        .group_by("series", maintain_order=True)
        .agg(pl.len().alias("count"))
    )


def warn_without_spread(index: Index, flat: pl.DataFrame) -> None:
    """Warn of the indicators (``series``) and years (``year``, none for a
    normalization over all years) whose values do not differ between units:
    min-max or z-scores give them no score. The run finds them, from the
    normalized values (see :meth:`.Compiled.without_spread`)."""
    if flat.height == 0:
        return
    years: dict[str, list] = {}
    for series, year in flat.sort("series", "year").iter_rows():
        years.setdefault(series, []).append(year)
    # Groups and unranked units are scored against the others, not among them.
    peers = "the ranked units" if index.unranked_codes() else "units"
    order = {node.id: i for i, node in enumerate(index.nodes())}
    listed = []
    for series in sorted(years, key=lambda s: order.get(s, 0))[:MAX_LISTED]:
        known = [str(y) for y in years[series] if y is not None]
        listed.append(
            f"`{series}` ({', '.join(known[:5])})" if known else f"`{series}`"
        )
    warn(
        "W404",
        f"{index.path}: the values of {', '.join(listed)} do not differ "
        f"between {peers} (or only one has a value), so min-max or z-scores "
        "give them no score (left missing)",
    )


def warn_rolled_clipped(index: Index, rolled: pl.LazyFrame, resolved) -> None:
    """Warn of the values rolled up for groups (``rolled``: unit, year,
    series, value) that lie beyond their anchors, as of those read (a sum
    of members often does, on anchors set for the members)."""
    bounds = _bounds(resolved)
    if bounds:
        clipped = _clipped(rolled.filter(_scope(index)), bounds).collect()
        _warn_clipped(index, clipped, "rolled up for groups ")


def _warn_clipped(index: Index, clipped: pl.DataFrame, which: str = "") -> None:
    if clipped.height == 0:
        return
    order = {node.id: i for i, node in enumerate(index.nodes())}
    rows = sorted(clipped.iter_rows(), key=lambda row: order.get(row[0], 0))
    total = sum(count for _, count in rows)
    counts = ", ".join(f"`{s}`: {c}" for s, c in rows[: MAX_LISTED * 2])
    verb = "values" if total != 1 else "value"
    lie = "lie" if total != 1 else "lies"
    warn(
        "W405",
        f"{index.path}: {total} {verb} {which}{lie} beyond the anchors and "
        f"{'were' if total != 1 else 'was'} clipped to the scale ({counts})",
    )


# ---- diagnostics ------------------------------------------------------------------


def _file_problem(source: Source, code: str, what: str, hint: str) -> AixError:
    message = f"the data file {data.path_of(source)} of source `{source.id}` {what}"
    return AixError([Diagnostic(code, message, source.span, (hint,))])


def _unreadable(source: Source, error: Exception) -> AixError:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    reason = text or type(error).__name__
    hint = "check the file's format, or declare it with `format`"
    if "utf-8" in reason.lower() or "utf8" in reason.lower():
        hint = "save the file as UTF-8"
    elif "more fields" in reason:
        hint = "a row has more cells than the header has names: check its commas"
    where = data.first_fault(source)
    if where:
        reason = where
    what = f"cannot be read as {data.format_of(source)}: {reason}"
    return _file_problem(source, "E403", what, hint)
