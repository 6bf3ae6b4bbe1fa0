"""The seed indices run from the shipped data and give numbers checked by hand
or against the paper's published tables (never against their own output)."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import polars as pl
import pytest

import aiindex_dsl
from aiindex_dsl import compile
from aiindex_dsl.cli import main
from aiindex_dsl.diagnostics import AixWarning

ROOT = Path(__file__).resolve().parent.parent
PAPER = ROOT / "examples" / "data" / "paper"
WEIGHTS = {
    "research_development": 20,
    "industry_economy": 20,
    "technical_performance": 15,
    "education_talent": 15,
    "ai_for_science": 10,
    "policy_governance": 10,
    "social_impact": 10,
}
NODES = {
    "research_development": "rd",
    "industry_economy": "ie",
    "technical_performance": "tp",
    "education_talent": "et",
    "ai_for_science": "sci",
    "policy_governance": "pg",
    "social_impact": "si",
}
REGIONS = {
    "East China (Shanghai & East)": "EAST",
    "North China (Beijing & North)": "NORTH",
    "South China (Guangdong)": "SOUTH",
    "Southwest China (Sichuan/Chongqing)": "SOUTHWEST",
    "Central China (Hubei/Hunan)": "CENTRAL",
    "Northwest China (Shaanxi)": "NORTHWEST",
    "Northeast China (Liaoning etc)": "NORTHEAST",
}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def published_points() -> dict[str, dict[str, float]]:
    """The national table: {country column: {dimension title: points}}."""
    table = rows(PAPER / "national_dimension_points.csv")
    return {
        country: {r["dimension"]: float(r[country]) for r in table}
        for country in ("united_states", "china")
    }


def published_regions() -> dict[str, dict[str, float]]:
    """The regional table: {unit code: {column: score}}."""
    return {
        REGIONS[r["region"]]: {k: float(v) for k, v in r.items() if k != "region"}
        for r in rows(PAPER / "regional_dimension_scores.csv")
    }


# ---- the paper's published tables --------------------------------------------


@pytest.fixture(scope="module")
def paper():
    return aiindex_dsl.load(ROOT / "indices" / "paper_tables.aix").run()


def test_rescaled_national_scores_are_points_over_weight():
    points = published_points()
    titles = {r["dimension"]: r for r in rows(PAPER / "national_dimension_points.csv")}
    derived = {r["code"]: r for r in rows(PAPER / "dimension_scores.csv")}
    for code, country in (("US", "united_states"), ("CN", "china")):
        for title, row in titles.items():
            if title == "Composite":
                continue
            column = title.lower().replace(" & ", "_").replace(" ", "_")
            expected = points[country][title] / float(row["weight_pct"]) * 100
            assert float(derived[code][column]) == pytest.approx(expected, abs=1e-9)


def test_regional_rows_are_the_published_table():
    derived = {r["code"]: r for r in rows(PAPER / "dimension_scores.csv")}
    for code, published in published_regions().items():
        for column, value in published.items():
            assert float(derived[code][column]) == value


def test_national_composites_are_the_sum_of_published_points(paper):
    # 11.3 + 14.8 + 12.9 + 9.03 + 7.15 + 8.9 + 4.1 = 68.18 (published 68.1);
    # 10.3 + 11.2 + 9.98 + 8.72 + 6.91 + 5.3 + 7.0 = 59.41 (published 59.4).
    assert paper.value("composite", "US") == pytest.approx(68.18)
    assert paper.value("composite", "CN") == pytest.approx(59.41)
    assert abs(paper.value("composite", "US") - 68.1) <= 0.1
    assert abs(paper.value("composite", "CN") - 59.4) <= 0.1


def test_national_points_are_the_published_points(paper):
    for country, code in (("united_states", "US"), ("china", "CN")):
        for title, points in published_points()[country].items():
            if title == "Composite":
                continue
            column = title.lower().replace(" & ", "_").replace(" ", "_")
            node = NODES[column]
            assert paper.value(node, code, points=True) == pytest.approx(points)


def test_regional_composites_round_to_the_published_ones(paper):
    for code, published in published_regions().items():
        mean = sum(published[c] * w for c, w in WEIGHTS.items()) / 100
        computed = paper.value("composite", code)
        assert computed == pytest.approx(mean)
        assert f"{computed + 1e-9:.1f}" == f"{published['composite']:.1f}"


def test_regions_are_ranked_among_themselves_and_the_countries_not(paper):
    ranks = dict(paper.composite().select("unit", "rank").iter_rows())
    assert (ranks["US"], ranks["CN"]) == (None, None)
    regions = sorted(published_regions(), key=lambda c: ranks[c])
    assert [ranks[c] for c in regions] == list(range(1, 8))
    scores = [published_regions()[c]["composite"] for c in regions]
    assert scores == sorted(scores, reverse=True)


def test_paper_tables_run_with_every_expectation_met(cli):
    outcome = cli.invoke(main, ["run", str(ROOT / "indices" / "paper_tables.aix")])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.count(" ok ") == 23
    assert "FAILED" not in outcome.output


# ---- Chinese regions on the national scale -------------------------------------


@pytest.fixture(scope="module")
def regions():
    return aiindex_dsl.load(ROOT / "indices" / "china_regions.aix").run()


def provinces() -> list[dict[str, str]]:
    return rows(ROOT / "examples" / "data" / "china_provinces_rd.csv")


def test_province_table_is_complete():
    # The communiqué's provinces add up to its national total, 24,393.1 (rounding).
    table = provinces()
    assert len(table) == 31
    assert sum(float(r["rd_expenditure"]) for r in table) == pytest.approx(
        24393.1, abs=0.2
    )


def test_region_intensity_is_its_spending_over_its_gdp(regions):
    # The GDP-weighted mean of intensities is total R&D spending over total GDP,
    # GDP being spending / intensity: computed here from the published columns.
    for code in REGIONS.values():
        members = [r for r in provinces() if r["region"] == code]
        spending = sum(float(r["rd_expenditure"]) for r in members)
        gdp = sum(
            float(r["rd_expenditure"]) / float(r["rd_intensity"]) * 100 for r in members
        )
        intensity = 100 * spending / gdp
        raw = regions.long.filter(
            (regions.long["node"] == "gerd_pct_gdp") & (regions.long["unit"] == code)
        )["raw"][0]
        assert raw == pytest.approx(intensity, abs=1e-3)
        # National anchors: 0 % scores 0, 5 % scores 100.
        assert regions.value("rd", code) == pytest.approx(intensity / 5 * 100, abs=0.02)


def test_region_composite_mixes_rd_with_the_papers_other_scores(regions):
    for code, published in published_regions().items():
        others = sum(
            published[c] * w for c, w in WEIGHTS.items() if c != "research_development"
        )
        expected = (others + 20 * regions.value("rd", code)) / 100
        assert regions.value("composite", code) == pytest.approx(expected)
        assert regions.value("tp", code) == published["technical_performance"]


def test_east_china_by_hand(regions):
    # Spending 1615.7 + 3005.9 + 1859.9 + 883.2 + 842.4 + 430.7 + 1681.9 = 10319.7;
    # GDP = sum of spending / intensity x 100 = 387,290.9; intensity 2.6646 %,
    # score 2.6646 / 5 x 100 = 53.29. Composite: (53.29 x 20 + 35.5 x 20
    # + 71.7 x 15 + 31.7 x 15 + 31.7 x 10 + 38.5 x 10 + 48.8 x 10) / 100 = 45.17.
    assert regions.value("rd", "EAST") == pytest.approx(53.29, abs=0.01)
    assert regions.value("composite", "EAST") == pytest.approx(45.17, abs=0.01)


def test_provinces_score_rd_only_and_have_no_composite(regions):
    # Shanghai 4.17 % -> 83.4; Beijing 6.44 % is beyond the best anchor: 100.
    assert regions.value("rd", "SH") == pytest.approx(4.17 / 5 * 100)
    assert regions.value("rd", "BJ") == 100
    assert regions.value("composite", "SH") is None
    assert regions.value("ie", "SH") is None


# ---- the EU extension ------------------------------------------------------------


@pytest.fixture(scope="module")
def eu():
    return aiindex_dsl.load(ROOT / "indices" / "eu_extension.aix").run()


def test_eu_dimensions_by_hand(eu):
    # R&D: intensity 2.11 % on 0-5 -> 42.2 (the only R&D value for the EU).
    assert eu.value("rd", "EU") == pytest.approx(42.2)
    # Industry: 73,534 robots on 0-300,000 -> 24.51.
    assert eu.value("ie", "EU") == pytest.approx(73534 / 300000 * 100)
    # AI for Science: 137,000 publications on 0-250,000 -> 54.8 (weight 25 %);
    # 137,000 / 447.6 = 306.08 per million on 0-400 -> 76.52 (weight 25 %);
    # no TOP500 value, so the two share the dimension equally.
    per_million = 137000 / 447.6 / 400 * 100
    assert eu.value("sci", "EU") == pytest.approx((54.8 + per_million) / 2)
    assert eu.value("et", "EU") is None
    assert eu.value("pg", "EU") is None


def test_eu_composite_renormalizes_over_the_dimensions_it_has(eu):
    per_million = 137000 / 447.6 / 400 * 100
    dims = {
        "rd": (42.2, 20),
        "ie": (73534 / 300000 * 100, 20),
        "tp": (3 / 70 * 100, 15),
        "sci": ((54.8 + per_million) / 2, 10),
        "si": (32.7, 10),
    }
    expected = sum(s * w for s, w in dims.values()) / sum(w for _, w in dims.values())
    assert eu.value("composite", "EU") == pytest.approx(expected)
    assert eu.value("composite", "EU") == pytest.approx(31.76, abs=0.01)
    # On about a quarter of the weight, the EU is shown but not ranked.
    composite = eu.composite().filter(pl.col("unit") == "EU").row(0, named=True)
    assert composite["coverage"] == pytest.approx(0.265, abs=0.001)
    assert composite["rank"] is None
    ranks = dict(eu.composite().select("unit", "rank").iter_rows())
    assert (ranks["US"], ranks["CN"]) == (1, 2)


def test_overridden_weights_and_removed_indicator_apply_to_the_us(eu):
    # US AI for Science: 109,000 -> 43.6 (25 %); 109,000 / 334.9 = 325.5 per
    # million -> 81.37 (25 %); 173 TOP500 systems on 0-250 -> 69.2 (50 %).
    expected = 0.25 * 43.6 + 0.25 * (109000 / 334.9 / 400 * 100) + 0.5 * 69.2
    assert eu.value("sci", "US") == pytest.approx(expected)
    # Laws removed: Policy & Governance is the readiness index alone.
    assert eu.value("pg", "US") == pytest.approx(87.03)
    assert eu.index.node("ai_laws_passed_cumulative") is None


def test_eu_extension_run_prints_three_units(cli):
    outcome = cli.invoke(main, ["run", str(ROOT / "indices" / "eu_extension.aix")])
    assert outcome.exit_code == 0, outcome.output
    assert "European Union" in outcome.output


# ---- the national index -----------------------------------------------------------

DIMENSION_TITLES = {
    "Research & Development": ("rd", 20),
    "Industry & Economy": ("ie", 20),
    "Technical Performance": ("tp", 15),
    "Education & Talent": ("et", 15),
    "AI for Science": ("sci", 10),
    "Policy & Governance": ("pg", 10),
    "Social Impact": ("si", 10),
}


def national_by_hand(unit: str) -> dict[str, float]:
    """The index recomputed from the documented indicator table (anchors, data
    year) and the value file, without aix."""
    data = ROOT / "examples" / "data"
    values = {
        (r["unit"], int(r["year"]), r["indicator"]): float(r["value"])
        for r in rows(data / "ai_index_national.csv")
    }
    scores: dict[str, list[float]] = {}
    for row in rows(data / "ai_index_indicators.csv"):
        key = (unit, int(row["data_year"]), row["indicator"])
        if key not in values:
            continue
        worst, best = float(row["worst"]), float(row["best"])
        score = min(max(100 * (values[key] - worst) / (best - worst), 0), 100)
        scores.setdefault(row["dimension"], []).append(score)
    result = {DIMENSION_TITLES[t][0]: sum(s) / len(s) for t, s in scores.items()}
    weights = dict(DIMENSION_TITLES.values())
    total = sum(weights[d] for d in result)
    result["composite"] = sum(result[d] * weights[d] for d in result) / total
    return result


@pytest.fixture(scope="module")
def national():
    return aiindex_dsl.load(ROOT / "indices" / "us_china.aix").run()


@pytest.mark.parametrize("unit", ["US", "CN"])
def test_national_scores_match_the_documented_indicator_table(national, unit):
    expected = national_by_hand(unit)
    assert len(expected) == 8
    for node, score in expected.items():
        assert national.value(node, unit) == pytest.approx(score), node


def test_us_research_by_hand(national):
    # Publications 9.20 / 30, citations 13.03 / 30, patents 14.16 / 50,
    # top-100 papers 50 / 50, R&D intensity 3.59 / 5 -> mean 54.84.
    by_hand = (9.20 / 30 + 13.03 / 30 + 14.16 / 50 + 50 / 50 + 3.59 / 5) / 5 * 100
    assert by_hand == pytest.approx(54.84, abs=0.01)
    assert national.value("rd", "US") == pytest.approx(by_hand)
    assert national.value("rd", "US", points=True) == pytest.approx(by_hand * 0.2)


SHIPPED = sorted([*ROOT.glob("indices/*.aix"), *ROOT.glob("examples/**/*.aix")])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_aggregated_node_has_a_row_for_every_unit_and_year(path):
    """A unit with no data, or a year without it, still has its rows."""
    results = aiindex_dsl.load(path).run()
    index = results.index
    inner = [n for n in index.root.walk() if not n.is_leaf]
    units = compile.units(index).height
    years = len(results.years())
    assert results.nodes.height == len(inner) * units * years
    assert results.nodes.select("year", "node", "unit").is_unique().all()


# The warnings each shipped index is meant to give: values its anchors clip,
# and the HDI of Rwanda in 1994 put at 0 by its life expectancy.
WARNINGS = {
    "china_regions.aix": ["1 value lies beyond the anchors"],
    "eu_extension.aix": ["1 value lies beyond the anchors"],
    "hdi.aix": [
        "355 values lie beyond the anchors",
        "`health` of RWA in 1994, `health` of SSD in 1998 scored 0",
    ],
    "paper_tables.aix": [],
    "us_china.aix": ["1 value lies beyond the anchors"],
}


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_a_shipped_index_gives_only_the_warnings_it_is_meant_to(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        aiindex_dsl.load(ROOT / "indices" / name).run()
    messages = [str(w.message) for w in caught if issubclass(w.category, AixWarning)]
    assert len(messages) == len(WARNINGS[name])
    for message, expected in zip(messages, WARNINGS[name], strict=True):
        assert expected in message
