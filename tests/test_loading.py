"""Reading data: formats, layouts, missing markers, unit codes and years."""

from __future__ import annotations

import io
import json
import warnings

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiindex_dsl.diagnostics import AixError, AixWarning

INDEX = """
index t "Test" {{
  years {years}
  {units}
  normalize none
  source d {{
    file "{file}"
    {source}
  }}
  indicator x {{ from d "{x}" }}
  indicator y {{ from d "{y}" }}
}}
"""


def run(
    scratch, files, file, source="", units="units { A B }", years="2020", x="x", y="y"
):
    text = INDEX.format(years=years, units=units, file=file, source=source, x=x, y=y)
    return scratch.run(text, files)


def values(results, year: int = 2020) -> dict[tuple[str, str], float | None]:
    rows = results.long.filter(
        pl.col("node").is_in(["x", "y"]) & (pl.col("year") == year)
    )
    return {(u, n): v for u, n, v in rows.select("unit", "node", "raw").iter_rows()}


EXPECTED = {("A", "x"): 1.5, ("A", "y"): None, ("B", "x"): 3.0, ("B", "y"): 4.0}


def test_csv_with_byte_order_mark_crlf_and_missing_markers(scratch):
    data = "\ufeffunit,x,y\r\nA,1.5,..\r\n B ,3,4\r\n".encode()
    results = run(scratch, {"d.csv": data}, "d.csv")
    assert values(results) == EXPECTED


def test_unit_codes_read_a_files_codes_as_the_indexs(scratch):
    # The file names its units otherwise; a unit it holds that the index
    # does not (Z) is left out, as ever.
    data = "unit,x,y\nAlpha,1.5,\n Bee ,3,4\nZ,9,9\n"
    source = 'unit codes { Alpha A  " Bee " B }'
    results = run(scratch, {"d.csv": data}, "d.csv", source=source)
    assert values(results) == EXPECTED
    # The same in Parquet.
    buffer = io.BytesIO()
    frame = {"unit": ["Alpha", "Bee"], "x": [1.5, 3.0], "y": [None, 4.0]}
    pl.DataFrame(frame).write_parquet(buffer)
    results = run(scratch, {"d.parquet": buffer.getvalue()}, "d.parquet", source=source)
    assert values(results) == EXPECTED


def test_blank_lines_are_no_rows(scratch):
    # Between the rows, at the end, and a line of separators only.
    data = "unit,year,x,y\nA,2020,1.5,\n\nB,2020,3,4\n,,,\n\n"
    results = run(scratch, {"d.csv": data}, "d.csv", source='year column "year"')
    assert values(results) == EXPECTED


def test_declared_missing_marker(scratch):
    data = "unit,x,y\nA,1.5,-\nB,3,4\n"
    results = run(scratch, {"d.csv": data}, "d.csv", source='missing "-"')
    assert values(results) == EXPECTED


def test_tsv(scratch):
    data = "unit\tx\ty\nA\t1.5\tn/a\nB\t3\t4\n"
    results = run(scratch, {"d.tsv": data}, "d.tsv")
    assert values(results) == EXPECTED


def frame() -> pl.DataFrame:
    return pl.DataFrame({"unit": ["A", "B"], "x": [1.5, 3.0], "y": [None, 4.0]})


def test_parquet(scratch):
    buffer = io.BytesIO()
    frame().write_parquet(buffer)
    results = run(scratch, {"d.parquet": buffer.getvalue()}, "d.parquet")
    assert values(results) == EXPECTED


def test_json_records(scratch):
    data = json.dumps(frame().to_dicts())
    results = run(scratch, {"d.json": data}, "d.json")
    assert values(results) == EXPECTED


def test_ndjson(scratch):
    data = "\n".join(json.dumps(row) for row in frame().to_dicts()) + "\n"
    results = run(scratch, {"d.ndjson": data}, "d.ndjson")
    assert values(results) == EXPECTED


def test_long_layout_selects_the_index_years(scratch):
    data = (
        "country,yr,code,val\n"
        "A,2019,x,100\nA,2020,x,1.5\nB,2020,x,3\nB,2020,y,4\nB,2021,y,99\n"
    )
    source = (
        'layout long  unit column "country"  year column "yr"  '
        'indicator column "code"  value column "val"'
    )
    results = run(scratch, {"d.csv": data}, "d.csv", source=source)
    assert values(results) == EXPECTED
    assert results.long["year"].unique().to_list() == [2020]


def test_codes_with_blanks_around_them_are_matched_in_a_long_parquet_file(scratch):
    rows = {
        "unit": ["A", " B", "B ", "C", " C "],
        "year": [2020] * 5,
        "indicator": ["x ", " x", "y", "x", " y "],
        "value": [1.5, 3.0, 4.0, 8.0, 9.0],
    }
    buffer = io.BytesIO()
    pl.DataFrame(rows).write_parquet(buffer)
    source = 'layout long  year column "year"'
    files = {"d.parquet": buffer.getvalue()}
    results = run(scratch, files, "d.parquet", source=source)
    assert values(results) == EXPECTED


# Rows of a long file: units A and B of the index and C not of it; codes x and
# y read and z not read; the index's year 2020 and 2019 beyond it.
LONG_ROWS = st.lists(
    st.tuples(
        st.sampled_from("ABC"), st.sampled_from([2019, 2020]), st.sampled_from("xyz")
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(rows=LONG_ROWS, in_order=st.booleans())
def test_duplicate_rows_are_found_in_any_order(scratch, rows, in_order):
    """Two rows of a unit, year and code the index reads fail the run, whether
    the file is in order (when the check may skip the search) or not; repeats
    of rows it does not read are no problem."""
    # Each code the index reads is in the file (for a unit it does not score).
    rows = [*rows, ("C", 2019, "x"), ("C", 2019, "y")]
    rows = sorted(rows) if in_order else rows
    data = "unit,year,indicator,value\n" + "".join(
        f"{unit},{year},{code},{k}\n" for k, (unit, year, code) in enumerate(rows)
    )
    read = [r for r in rows if r[0] in "AB" and r[1] == 2020 and r[2] in "xy"]
    try:
        source = 'layout long  year column "year"'
        run(scratch, {"d.csv": data}, "d.csv", source=source)
        problems = []
    except AixError as error:
        problems = [d.code for d in error.diagnostics]
    assert ("E413" in problems) == (len(read) != len(set(read)))


def test_wide_layout_with_a_year_column(scratch):
    data = "unit,year,x,y\nA,2020,1.5,\nB,2020,3,4\nA,2021,2,2\nB,2021,1,1\n"
    source = 'year column "year"'
    results = run(
        scratch, {"d.csv": data}, "d.csv", source=source, years="2020 to 2021"
    )
    assert values(results) == EXPECTED
    assert values(results, 2021)[("A", "x")] == 2


def test_wide_by_year_layout(scratch):
    data = "\ufeffiso3,x_2019,x_2020,y_2020\nA,7,1.5,\nB,8,3,4\n".encode()
    source = 'layout wide by year  unit column "iso3"'
    results = run(
        scratch, {"d.csv": data}, "d.csv", source=source, x="x_{year}", y="y_{year}"
    )
    assert values(results) == EXPECTED


def test_units_read_from_a_source(scratch):
    data = "code,label,x,y\nA,Alpha,1.5,\nB,Beta,3,4\n"
    units = 'units from d code "code" name "label"'
    source = 'unit column "code"'
    results = run(scratch, {"d.csv": data}, "d.csv", source=source, units=units)
    assert values(results) == EXPECTED
    names = dict(results.long.select("unit", "name").unique().iter_rows())
    assert names == {"A": "Alpha", "B": "Beta"}


def test_a_unit_read_from_a_source_without_values_is_warned_of(scratch):
    data = "code,x,y\nA,1.5,\nB,3,4\nC,,\n"
    units = 'units from d code "code"'
    with pytest.warns(AixWarning, match="unit `C` has no value in any data file"):
        run(scratch, {"d.csv": data}, "d.csv", source='unit column "code"', units=units)


def test_a_unit_with_values_of_other_years_only_is_warned_of(scratch):
    data = "country,yr,code,val\nA,2020,x,1\nB,2020,x,2\nB,2019,y,3\nA,2019,y,4\n"
    source = (
        'layout long  unit column "country"  year column "yr"  '
        'indicator column "code"  value column "val"'
    )
    files = {"d.csv": data.replace("A,2020,x,1", "A,2019,x,1")}
    with pytest.warns(AixWarning, match="unit `A` has values in the data, but none"):
        run(scratch, files, "d.csv", source=source)


def dated(year: int, x: str, y: str) -> str:
    """An index of one year over a long file, its indicators ``x`` and ``y``
    with the settings given (a data year of their own)."""
    return f"""index t "Test" {{
  years {year}
  units {{ A B }}
  normalize none
  source d {{ file "d.csv"  layout long  unit column "country"  year column "yr"
             indicator column "code"  value column "val" }}
  indicator x {{ from d "x"  {x} }}
  indicator y {{ from d "y"  {y} }}
}}
"""


def test_values_of_an_indicators_own_year_count_as_in_the_years(scratch):
    """A value of an indicator's own ``year`` is scored, so its unit is not
    warned of; a value of another year outside the index's is not scored."""
    text = dated(2020, x="", y="year 2019")
    data = "country,yr,code,val\nA,2019,y,1\nB,2018,y,2\nB,2018,x,3\n"
    with pytest.warns(AixWarning) as caught:
        results = scratch.run(text, {"d.csv": data})
    warned = [str(w.message) for w in caught if "none of a year" in str(w.message)]
    assert len(warned) == 1
    assert "unit `B`" in warned[0]
    scored = {("A", "x"): None, ("A", "y"): 1.0, ("B", "x"): None, ("B", "y"): None}
    assert values(results) == scored


def test_a_unit_without_values_is_pointed_to_a_code_close_but_for_case(scratch):
    data = "unit,x,y\nusa,1.5,\nB,3,4\n"
    units = "units { US B }"
    with pytest.warns(AixWarning, match=r"unit `US` has no value .*did you mean `usa`"):
        run(scratch, {"d.csv": data}, "d.csv", units=units)


def test_units_outside_the_index_are_ignored(scratch):
    data = "unit,x,y\nA,1.5,\nB,3,4\nZ,100,100\n"
    results = run(scratch, {"d.csv": data}, "d.csv")
    assert set(results.long["unit"]) == {"A", "B"}


@pytest.mark.parametrize("option", [[], ["--wide"]])
@pytest.mark.parametrize("suffix", ["csv", "parquet", "json"])
def test_aix_run_writes_results(scratch, cli, option, suffix):
    from aiindex_dsl.cli import main

    data = "unit,x,y\nA,1.5,\nB,3,4\n"
    text = INDEX.format(
        years="2020", units="units { A B }", file="d.csv", source="", x="x", y="y"
    )
    path = scratch.write(text, {"d.csv": data})
    out = path.parent / f"out.{suffix}"
    outcome = cli.invoke(main, ["run", str(path), "-o", str(out), *option])
    assert outcome.exit_code == 0, outcome.output
    read = {
        "csv": pl.read_csv,
        "parquet": pl.read_parquet,
        "json": pl.read_json,
    }[suffix](out)
    if option:
        assert read.height == 2
        assert {"x", "y", "t"} <= set(read.columns)
    else:
        assert read.height == 2 * 3
        assert {"unit", "node", "score", "points", "rank", "coverage"} <= set(
            read.columns
        )


def _shared_column_index(indicators: int) -> str:
    """An index of ``indicators`` indicators that all read the column ``a``."""
    lines = [f'  indicator i{k} {{ from d "a" }}' for k in range(indicators)]
    body = "\n".join(lines)
    return (
        'index t "Test" {\n  years 2020 2021\n  units { A B C }\n  normalize none\n'
        f'  source d {{ file "d.csv" year column "year" }}\n{body}\n}}\n'
    )


SHARED = "unit,year,a\nA,2020,1\nB,2020,2\nC,2020,3\nA,2021,4\nB,2021,\nC,2021,6\n"


def test_indicators_that_read_one_column_each_get_its_values(scratch):
    results = scratch.run(_shared_column_index(30), {"d.csv": SHARED})
    rows = results.steps().filter(pl.col("year") == 2021).sort("node", "unit")
    assert rows.height == 30 * 3
    for node in ("i0", "i17", "i29"):
        raw = rows.filter(pl.col("node") == node)["raw"].to_list()
        assert raw == [4.0, None, 6.0]


def test_aix_run_shows_at_most_500_rows_and_writes_them_all(scratch, cli):
    from aiindex_dsl.cli import main

    path = scratch.write(_shared_column_index(600), {"d.csv": SHARED})
    out = path.parent / "out.csv"
    outcome = cli.invoke(main, ["run", str(path), "-o", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert "500 of 601 rows shown; -o writes every score" in outcome.output
    assert "│ i498 " in outcome.output
    assert "│ i499 " not in outcome.output
    assert pl.read_csv(out).height == 2 * 601 * 3


def test_aix_plan_prints_one_plan(scratch, cli):
    from aiindex_dsl.cli import main

    text = INDEX.format(
        years="2020", units="units { A B }", file="d.csv", source="", x="x", y="y"
    )
    path = scratch.write(text, {"d.csv": "unit,x,y\nA,1,2\nB,3,4\n"})
    outcome = cli.invoke(main, ["plan", str(path)])
    assert outcome.exit_code == 0, outcome.output
    # The plan starts from the values the data checks read (the file is read
    # once), and groups the indicators into their dimensions.
    assert 'DF ["unit", "year", "series", "value"]' in outcome.output
    assert "AGGREGATE" in outcome.output


def test_a_unit_without_values_has_no_shares_rather_than_nan(scratch):
    results = run(scratch, {"d.csv": "unit,x,y\nA,1,2\nB,,\n"}, "d.csv")
    rows = results.long.filter((pl.col("unit") == "B") & (pl.col("node") != "t"))
    for column in ("score", "share", "effective_share", "points"):
        assert rows[column].null_count() == rows.height, column
        assert not rows[column].is_nan().any(), column


def test_two_series_may_read_one_code_of_a_long_file(scratch):
    """Each gets the values: an indicator and a variable, and two indicators."""
    data = "unit,year,indicator,value\nA,2020,x,1\nB,2020,x,3\nA,2020,y,2\nB,2020,y,4\n"
    text = """
index t {
  years 2020
  units { A B }
  normalize none
  source d { file "d.csv"  layout long  year column "year" }
  variable v from d "x"
  indicator x { from d "x" }
  indicator again { from d "x" }
  indicator y { derive v * 10 }
}
"""
    results = scratch.run(text, {"d.csv": data})
    rows = results.long.filter(pl.col("node").is_in(["x", "again", "y"]))
    got = {(u, n): v for u, n, v in rows.select("unit", "node", "raw").iter_rows()}
    assert got == {
        ("A", "x"): 1.0,
        ("B", "x"): 3.0,
        ("A", "again"): 1.0,
        ("B", "again"): 3.0,
        ("A", "y"): 10.0,
        ("B", "y"): 30.0,
    }


def test_below_a_node_without_a_score_there_are_no_points(scratch):
    """Dimension h falls below its minimum coverage for B: its indicator z,
    which has a score, contributes nothing to B's composite."""
    data = "unit,x,z,w\nA,1,2,3\nB,4,5,\n"
    text = """
index t {
  units { A B }
  normalize none
  source d { file "d.csv" }
  dimension g { indicator x { from d "x" } }
  dimension h {
    coverage 60%
    indicator z { from d "z" }
    indicator w { from d "w" }
  }
}
"""
    results = scratch.run(text, {"d.csv": data})
    rows = results.long.filter(pl.col("unit") == "B")
    points = dict(zip(rows["node"], rows["points"], strict=True))
    scores = dict(zip(rows["node"], rows["score"], strict=True))
    assert (scores["h"], scores["z"]) == (None, 5.0)
    assert (points["z"], points["w"]) == (None, None)
    assert points["x"] == pytest.approx(4.0) == scores["t"]


def test_an_index_whose_indicators_all_have_a_data_year_is_not_warned_of_its_year(
    scratch,
):
    """Every indicator reads a year of its own: the index's year lacks no
    data, though no row is of that year."""
    text = dated(2024, x="year 2022", y="year 2023")
    data = "country,yr,code,val\nA,2022,x,1\nB,2022,x,2\nA,2023,y,3\nB,2023,y,4\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error", AixWarning)
        results = scratch.run(text, {"d.csv": data})
    assert values(results, 2024) == {
        ("A", "x"): 1.0,
        ("A", "y"): 3.0,
        ("B", "x"): 2.0,
        ("B", "y"): 4.0,
    }


@pytest.mark.parametrize(
    ("impute", "warned"),
    [
        ("impute locf", "its values are imputed from other years (`impute locf`)"),
        ("impute interpolate", "imputed from other years (`impute interpolate`)"),
        ("", "every score of 2022 will be missing"),
    ],
)
def test_a_year_without_data_is_warned_of_with_what_imputation_fills(
    scratch, impute, warned
):
    """``locf`` carries 2021 into 2022, as ``interpolate`` does at the end of
    a series."""
    text = f"""index t "Test" {{
  years 2020 to 2022
  units {{ A B }}
  {impute}
  source d {{ file "d.csv"  year column "year" }}
  indicator x {{ from d "x" }}
}}
"""
    data = "unit,year,x\nA,2020,1\nB,2020,2\nA,2021,3\nB,2021,5\n"
    with pytest.warns(AixWarning, match="year 2022 has no data") as caught:
        results = scratch.run(text, {"d.csv": data})
    assert any(warned in str(w.message) for w in caught)
    scored = results.long.filter(pl.col("node") == "t", pl.col("year") == 2022)
    assert scored["score"].is_not_null().all() == bool(impute)


def test_a_unit_without_values_that_imputation_fills_is_not_said_to_be_missing(
    scratch,
):
    def warned(settings: str) -> str:
        data = "code,x,y\nA,1.5,2\nB,3,4\nC,,\n"
        units = 'units from d code "code"\n' + settings
        with pytest.warns(AixWarning) as caught:
            run(scratch, {"d.csv": data}, "d.csv", 'unit column "code"', units)
        (message,) = [str(w.message) for w in caught if "unit `C`" in str(w.message)]
        return message

    assert warned("impute mean").endswith(
        "unit `C` has no value in any data file; its values will be imputed "
        "from the other units' (`impute mean`), and ranked on them: `coverage 50%` "
        "at the top of the index would leave a unit with less than half its "
        "weight observed unscored"
    )
    # With a minimum coverage, the unit is not ranked and the warning says no more.
    message = warned("impute mean\n  coverage 50%")
    assert message.endswith("from the other units' (`impute mean`)")
