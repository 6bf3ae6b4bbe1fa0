"""The Human Development Index, recomputed from its inputs, against UNDP's figures.

The published HDI has 3 decimals; the computed one is rounded half up and the
two compared as numbers. Variants that change one choice of the method (a cap
dropped, an arithmetic top-level mean) must not reproduce the published values.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import aiindex_dsl
from aiindex_dsl.diagnostics import AixError, AixWarning
from aiindex_dsl.paths import ALLOW_OUTSIDE
from aiindex_dsl.results import round_half_up

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "hdi" / "HDR23-24_Composite_indices_complete_time_series.csv"
YEARS = range(1990, 2023)


def published() -> pl.DataFrame:
    """The published HDI, long: unit, year, hdi (rows with a value only)."""
    table = pl.read_csv(DATA, infer_schema_length=0)
    columns = [f"hdi_{year}" for year in YEARS]
    return (
        table.select("iso3", *columns)
        .unpivot(index="iso3", variable_name="column", value_name="hdi")
        .filter(pl.col("hdi").is_not_null())
        .select(
            pl.col("iso3").alias("unit"),
            pl.col("column").str.slice(4).cast(pl.Int64).alias("year"),
            pl.col("hdi").cast(pl.Float64),
        )
    )


def compared(path: Path) -> pl.DataFrame:
    """Published and computed HDI side by side, with whether they agree."""
    results = aiindex_dsl.load(path).run()
    computed = results.composite().select("unit", "year", "score")
    joined = published().join(computed, on=["unit", "year"], how="left")
    agree = [
        score is not None and round_half_up(score, 3) == round_half_up(hdi, 3)
        for score, hdi in zip(joined["score"], joined["hdi"], strict=True)
    ]
    return joined.with_columns(agree=pl.Series(agree))


@pytest.fixture(scope="module")
def hdi() -> pl.DataFrame:
    return compared(ROOT / "indices" / "hdi.aix")


def test_every_row_of_2022_is_reproduced(hdi):
    rows = hdi.filter(pl.col("year") == 2022)
    assert rows.height == 204
    assert rows["agree"].all()


def test_every_year_since_1990_is_reproduced(hdi):
    # 6,171 unit-years have a published HDI (and then all four inputs).
    assert hdi.height == 6171
    assert hdi["year"].n_unique() == 33
    assert hdi["agree"].all()


def test_every_published_rank_of_2022_is_reproduced():
    # The report ranks the 193 countries on the HDI as printed (3 decimals),
    # not its 11 groups and regions, which the index lists as `unranked`.
    results = aiindex_dsl.load(ROOT / "indices" / "hdi.aix").run()
    ranks = pl.read_csv(DATA, infer_schema_length=0).select(
        pl.col("iso3").alias("unit"), pl.col("hdi_rank_2022").cast(pl.Int64)
    )
    year = results.composite().filter(pl.col("year") == 2022)
    joined = year.join(ranks, on="unit", how="left")
    ranked = joined.filter(pl.col("rank").is_not_null())
    assert ranked.height == 193
    assert (ranked["rank"] == ranked["hdi_rank_2022"]).all()
    assert joined.filter(pl.col("hdi_rank_2022").is_not_null()).height == 193
    regions = joined.filter(pl.col("unit").str.starts_with("ZZ"))
    assert regions.height == 11
    assert regions["rank"].null_count() == 11
    assert regions["score"].null_count() == 0
    world = regions.filter(pl.col("unit") == "ZZK.WORLD")["score"][0]
    assert round_half_up(world, 3) == 0.739  # as published
    # The names the file garbles, as the definition writes them; the others
    # as the file has them.
    names = dict(year.select("unit", "name").iter_rows())
    assert (names["CIV"], names["TUR"]) == ("Côte d'Ivoire", "Türkiye")
    assert (names["CHE"], names["ZZK.WORLD"]) == ("Switzerland", "World")


def test_unrounded_scores_rank_differently_where_the_published_ties(
    tmp_path, monkeypatch
):
    # Australia (0.94601) and the Netherlands (0.94604) both print as 0.946
    # and share rank 10 in the report; unrounded, Australia comes 11th.
    text = (ROOT / "indices" / "hdi.aix").read_text()
    text = text.replace("  ranks rounded to 3 decimals\n", "")
    text = text.replace('"../examples/', f'"{ROOT / "examples"}/')
    assert "ranks rounded" not in text
    monkeypatch.setenv(ALLOW_OUTSIDE, "1")  # the data stays in the repository
    path = tmp_path / "hdi.aix"
    path.write_text(text)
    year = aiindex_dsl.load(path).run().composite().filter(pl.col("year") == 2022)
    rank = dict(zip(year["unit"], year["rank"], strict=True))
    score = dict(zip(year["unit"], year["score"], strict=True))
    assert round_half_up(score["AUS"], 3) == round_half_up(score["NLD"], 3) == 0.946
    assert (rank["NLD"], rank["AUS"]) == (10, 11)
    assert rank["ZZK.WORLD"] is None


def test_units_lacking_an_input_have_no_hdi():
    results = aiindex_dsl.load(ROOT / "indices" / "hdi.aix").run()
    composite = results.composite()
    unscored = composite.filter(pl.col("score").is_null())
    assert (unscored["coverage"] < 1).all()
    assert unscored["rank"].null_count() == unscored.height

    # Every published value is computed; beyond them, only Rwanda 1990-1994 has
    # all four inputs but no published HDI (UNDP withholds those years).
    scored = composite.filter(pl.col("score").is_not_null())
    extra = scored.join(published(), on=["unit", "year"], how="anti")
    assert scored.height == 6171 + 5
    assert extra.sort("year").select("unit", "year").rows() == [
        ("RWA", year) for year in range(1990, 1995)
    ]
    rwanda_1994 = extra.filter(pl.col("year") == 1994)["score"][0]
    assert rwanda_1994 == 0  # life expectancy 14.1 years, below the goalpost


def test_a_geometric_mean_put_at_0_by_one_child_is_warned_of():
    with pytest.warns(AixWarning) as caught:
        aiindex_dsl.load(ROOT / "indices" / "hdi.aix").run()
    (message,) = [str(w.message) for w in caught if w.message.code == "W407"]
    assert "`health` of RWA in 1994" in message
    assert "one child scored 0 puts its parent at 0" in message


@pytest.mark.parametrize(
    ("variant", "least"),
    [
        ("hdi_uncapped_le.aix", 1),
        ("hdi_uncapped_eys.aix", 1),
        ("hdi_uncapped_gnipc.aix", 1),
        ("hdi_arithmetic.aix", 1000),
    ],
)
def test_variants_of_the_method_do_not_reproduce_it(variant, least):
    result = compared(ROOT / "examples" / "hdi" / variant)
    mismatches = result.filter(~pl.col("agree")).height
    assert mismatches >= least


def test_without_the_bottom_goalpost_a_year_has_no_geometric_mean(
    tmp_path, monkeypatch
):
    """Unclipped, life expectancy below 20 years (Rwanda in 1994) gives a
    health index below 0, which has no geometric mean: the run is refused."""
    monkeypatch.setenv("AIX_ALLOW_OUTSIDE", "1")
    path = tmp_path / "uncapped.aix"
    path.write_text(
        f'index uncapped extends "{ROOT / "indices" / "hdi.aix"}" {{\n'
        "  indicator le { anchors worst 20 best 85 unclipped }\n}\n"
    )
    with pytest.raises(AixError) as raised:
        aiindex_dsl.load(path).run()
    (problem,) = raised.value.diagnostics
    assert problem.code == "E520"
    assert problem.message.startswith("`health` has no geometric mean for RWA in 1994")


def test_inherited_expectations_are_shown_with_their_file_and_year(cli, root):
    from aiindex_dsl.cli import main

    path = str(root / "examples" / "hdi" / "hdi_uncapped_le.aix")
    outcome = cli.invoke(main, ["run", path])
    assert outcome.exit_code == 0, outcome.output
    row = next(r for r in outcome.output.splitlines() if "│ CHE " in r and "0.967" in r)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    lines = (root / "indices" / "hdi.aix").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "composite CHE" in text)
    assert cells[0].endswith(f"indices/hdi.aix:{line}")
    assert cells[1:5] == ["composite", "CHE", "2022", "0.967"]


@pytest.mark.parametrize(
    ("value", "decimals", "rounded"),
    [
        (0.0125, 3, 0.013),
        (-0.0125, 3, -0.013),
        (2.5, 0, 3.0),
        (1e30, 3, 1e30),
        (1.7e308, 1, 1.7e308),
        (float("inf"), 3, float("inf")),
    ],
)
def test_rounding_half_up_takes_any_float(value, decimals, rounded):
    """Half away from zero, as published tables round, at any size."""
    assert round_half_up(value, decimals) == rounded
