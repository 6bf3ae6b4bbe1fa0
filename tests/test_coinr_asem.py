"""COINr's ASEM example, reproduced step by step from COINr 1.1.14's own outputs.

The reference files (examples/coinr_asem/ref_*.csv) hold one row per unit and a
column per node; `Index` is the composite. Every unit and every node must agree.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polars as pl
import pytest

import aiindex_dsl

HERE = Path(__file__).resolve().parent.parent / "examples" / "coinr_asem"


def reference(name: str) -> pl.DataFrame:
    """A COINr output as long rows: unit, node, expected."""
    table = pl.read_csv(HERE / name, null_values=["NA"], infer_schema_length=None)
    return table.unpivot(
        index="uCode", variable_name="node", value_name="expected"
    ).rename({"uCode": "unit"})


def compare(results, name: str, column: str) -> pl.DataFrame:
    """The reference joined with the run's values of one column."""
    root = results.index.root.id
    got = results.long.select(
        "unit",
        pl.col("node").replace(root, "Index"),
        pl.col(column).alias("actual"),
    )
    expected = reference(name)
    joined = expected.join(got, on=["unit", "node"], how="left")
    assert joined.height == expected.height
    return joined


def assert_matches(joined: pl.DataFrame, tolerance: float) -> None:
    both = joined.filter(pl.col("expected").is_not_null())
    assert both["actual"].null_count() == 0
    worst = (both["expected"] - both["actual"]).abs().max()
    assert worst < tolerance
    missing = joined.filter(pl.col("expected").is_null())
    assert missing["actual"].null_count() == missing.height


@pytest.fixture(scope="module")
def raw_pipeline():
    return aiindex_dsl.load(HERE / "asem_raw.aix").run()


@pytest.fixture(scope="module")
def example_build():
    return aiindex_dsl.load(HERE / "asem.aix").run()


def test_pipeline_b_matches_every_unit_and_node(raw_pipeline):
    joined = compare(raw_pipeline, "ref_raw_minmax_amean_Aggregated.csv", "score")
    assert joined["unit"].n_unique() == 51
    assert joined["node"].n_unique() == 49 + 8 + 2 + 1
    assert_matches(joined, 1e-9)


def test_pipeline_b_top_three(raw_pipeline):
    top = raw_pipeline.composite().sort("rank").head(3)
    assert top["unit"].to_list() == ["DEU", "GBR", "FRA"]
    assert [round(s, 2) for s in top["score"]] == [75.23, 68.94, 65.92]


@pytest.mark.parametrize(
    ("step", "column"),
    [
        ("Denominated", "raw"),
        ("Imputed", "imputed_value"),
        ("Treated", "treated_value"),
        ("Normalised", "score"),
        ("Aggregated", "score"),
    ],
)
def test_pipeline_a_matches_each_step(example_build, step, column):
    joined = compare(example_build, f"ref_example_coin_{step}.csv", column)
    assert_matches(joined, 1e-6)


def test_pipeline_a_winsorizes_the_same_points(example_build):
    details = pl.read_csv(
        HERE / "ref_example_coin_treatment_details.csv", null_values=["NA"]
    )
    expected = dict(
        details.filter(pl.col("winsorise.nwin").is_not_null())
        .select("iCode", pl.col("winsorise.nwin").cast(pl.Int64))
        .iter_rows()
    )
    treated = example_build.long.filter(pl.col("treated"))
    counted = dict(treated.group_by("node").len().iter_rows())
    assert len(expected) == 15
    assert counted == expected


def test_pipeline_a_ranks_match_coinr(example_build):
    published = pl.read_csv(HERE / "ref_example_coin_results_Aggs.csv")
    ranks = example_build.composite().select("unit", "rank", "score")
    joined = published.join(ranks, left_on="uCode", right_on="unit")
    assert joined.height == 51
    assert (joined["Rank"] == joined["rank"]).all()
    india = joined.filter(pl.col("uCode") == "IND")
    assert india["rank"][0] == 45
    assert round(india["score"][0], 2) == 39.79


def test_imputed_cells_are_flagged_and_lower_coverage(example_build):
    imputed = example_build.long.filter(pl.col("imputed"))
    assert imputed.height > 0
    assert (imputed["raw"].is_null()).all()
    assert (imputed["coverage"] == 0).all()
    composite = example_build.composite()
    assert (composite["coverage"] <= 1).all()
    assert (composite["coverage"] < 1).any()


def test_steps_table_holds_every_indicator_once(example_build):
    steps = example_build.steps()
    assert steps.height == 51 * 49
    flights = steps.filter((pl.col("unit") == "AUT") & (pl.col("node") == "Flights"))
    # Flights 29.01725 thousand seats over a population of 8,735.453 thousand.
    assert flights["raw"][0] == pytest.approx(29.01725 / 8735.453)


@pytest.fixture(scope="module")
def panel():
    return aiindex_dsl.load(HERE / "asem_panel.aix")


def test_panel_is_scored_on_all_years_pooled(panel):
    results = panel.run()
    steps = results.steps()
    assert sorted(steps["year"].unique()) == [2018, 2019, 2020, 2021, 2022]
    spans = steps.group_by("node").agg(
        pl.col("normalized").min().alias("low"),
        pl.col("normalized").max().alias("high"),
        pl.col("normalized").filter(pl.col("year") == 2018).max().alias("high_2018"),
    )
    assert spans.height == 49
    assert (spans["low"].abs() < 1e-9).all()
    assert ((spans["high"] - 100).abs() < 1e-9).all()
    # Pooled, a year's best value need not score 100.
    assert (spans["high_2018"] < 100 - 1e-9).any()


def test_panel_scored_year_by_year_gives_pipeline_b_in_2018(panel):
    from aiindex_dsl.compile import plan
    from aiindex_dsl.ir import Normalization
    from aiindex_dsl.results import Results

    root = panel.ir.root.model_copy(
        update={"normalization": Normalization(method="minmax")}
    )
    ir = panel.ir.model_copy(update={"root": root})
    by_year = Results(ir, plan(ir).collect())
    long_2018 = by_year.long.filter(pl.col("year") == 2018)
    joined = compare(
        Results(ir, long_2018), "ref_raw_minmax_amean_Aggregated.csv", "score"
    )
    assert_matches(joined, 1e-9)


@pytest.mark.parametrize("name", ["asem_raw.aix", "asem.aix"])
def test_the_shipped_definitions_are_what_the_generator_writes(name):
    spec = importlib.util.spec_from_file_location(
        "make_asem_aix", HERE / "make_asem_aix.py"
    )
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    written = generator.format_text(
        generator.definition(name == "asem.aix"), str(HERE / name)
    )
    assert written == (HERE / name).read_text("utf-8")
