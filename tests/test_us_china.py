"""The national index runs from the shipped data and gives hand-checked numbers."""

from __future__ import annotations

import pytest

import aiindex_dsl
from aiindex_dsl.cli import main


@pytest.fixture(scope="module")
def results():
    return aiindex_dsl.load("indices/us_china.aix").run()


def test_policy_dimension_is_the_mean_of_its_anchored_indicators(results):
    # readiness 87.03 on anchors 0-100 -> 87.03; 27 laws on anchors 0-30 -> 90.
    assert results.value("pg", "US") == pytest.approx((87.03 + 90) / 2)


def test_points_are_score_times_weight(results):
    score = results.value("pg", "US")
    assert results.value("pg", "US", points=True) == pytest.approx(score * 0.10)


def test_values_beyond_the_best_anchor_are_clipped(results):
    patents = results.long.filter(
        (results.long["node"] == "ai_patents_granted_share")
        & (results.long["unit"] == "CN")
    )
    assert patents["raw"][0] == pytest.approx(69.7)
    assert patents["score"][0] == 100
    assert patents["clipped"][0]


def test_composite_is_weighted_mean_of_dimensions(results):
    weights = {"rd": 20, "ie": 20, "tp": 15, "et": 15, "sci": 10, "pg": 10, "si": 10}
    expected = sum(results.value(d, "CN") * w for d, w in weights.items()) / 100
    assert results.value("composite", "CN") == pytest.approx(expected)


def test_childrens_points_add_up_to_their_parents_points(results):
    # As the appendix says: under arithmetic means, a dimension's indicators'
    # points add up to the dimension's points (not its score), and the
    # dimensions' points to the composite score.
    index = results.index
    for unit in ("US", "CN"):
        composite = results.value("composite", unit)
        dimensions = [
            results.value(d.id, unit, points=True) for d in index.root.children
        ]
        assert sum(dimensions) == pytest.approx(composite)
        rd = index.node("rd")
        points = [results.value(c.id, unit, points=True) or 0 for c in rd.children]
        assert sum(points) == pytest.approx(results.value("rd", unit, points=True))
        assert sum(points) != pytest.approx(results.value("rd", unit))


def test_run_prints_both_countries(cli):
    outcome = cli.invoke(main, ["run", "indices/us_china.aix"])
    assert outcome.exit_code == 0, outcome.output
    assert "United States" in outcome.output
    assert "China" in outcome.output
    assert "Research & Development" in outcome.output
    # The US has no value for one indicator of weight 3.3%: the table says so.
    coverage = next(r for r in outcome.output.splitlines() if "coverage" in r)
    assert [c.strip() for c in coverage.split("│")[1:-1]] == [
        "coverage",
        "",
        "96.7%",
        "",
        "100%",
        "",
    ]


def test_the_table_rounds_as_expectations_do(cli, tmp_path):
    """11.25 points show as 11.3 (half up, as published tables and `expect`
    round), so a figure copied from the table into an `expect` line holds."""
    (tmp_path / "d.csv").write_text("unit,x,y\nA,22.5,0\nB,0,0\n")
    (tmp_path / "i.aix").write_text(
        'index i "I" {\n  units { A B }\n  anchors worst 0 best 100\n'
        '  source s { file "d.csv" }\n'
        '  indicator x "X" { from s "x"  weight 50% }\n'
        '  indicator y "Y" { from s "y"  weight 50% }\n'
        "  expect x A 11.3 points\n}\n"
    )
    outcome = cli.invoke(main, ["run", str(tmp_path / "i.aix")])
    assert outcome.exit_code == 0, outcome.output
    row = next(line for line in outcome.output.splitlines() if "│ X " in line)
    assert row.split("│")[3:5] == ["  22.5 ", "   11.3 "]


def test_year_shown_does_not_change_what_an_expectation_checks(cli, tmp_path):
    """Without `in YEAR` an expectation is of the last year, whatever --year
    the table shows."""
    (tmp_path / "d.csv").write_text("unit,year,x\nA,2020,10\nA,2021,30\nB,2020,0\n")
    (tmp_path / "i.aix").write_text(
        'index i "I" {\n  years 2020 to 2021\n  units { A B }\n'
        "  anchors worst 0 best 100\n"
        '  source s { file "d.csv"  year column "year" }\n'
        '  indicator x { from s "x" }\n  expect x A 30\n}\n'
    )
    for shown in ([], ["--year", "2020"]):
        outcome = cli.invoke(main, ["run", str(tmp_path / "i.aix"), *shown])
        assert outcome.exit_code == 0, outcome.output
