"""The Python interface: misuse is refused in words, not by a Polars error."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import aiindex_dsl
from aiindex_dsl.diagnostics import AixError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def results():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aiindex_dsl.load(ROOT / "indices" / "us_china.aix").run()


def test_an_error_says_where_when_printed():
    with pytest.raises(AixError) as raised:
        aiindex_dsl.load(ROOT / "indices" / "us_chna.aix")
    assert str(raised.value).endswith("indices/us_chna.aix: [E101] no such file")


def test_a_value_of_what_the_index_does_not_have_is_refused(results):
    assert results.value("composite", "US") == pytest.approx(59.4, abs=0.05)
    with pytest.raises(ValueError, match="no node 'nope'"):
        results.value("nope", "US")
    with pytest.raises(ValueError, match="no unit 'us': did you mean `US`"):
        results.value("rd", "us")
    with pytest.raises(TypeError, match="a year is a whole number"):
        results.value("rd", "US", "2024")
    with pytest.raises(ValueError, match="no year 2020: the years are: 2024"):
        results.value("rd", "US", 2020)


def test_a_year_or_a_view_the_results_lack_is_refused(results):
    with pytest.raises(ValueError, match="no year 2020"):
        results.for_year(2020)
    with pytest.raises(ValueError, match="no value 'bogus'"):
        results.wide("bogus")
    assert results.wide("coverage").height == 2


def test_one_node_may_be_named_without_a_list(results):
    assert results.node_rows("rd").equals(results.node_rows(["rd"]))
    assert results.leaf_rows("gerd_pct_gdp").height == 2


def test_a_warning_points_at_the_callers_line_not_inside_aix():
    definition = aiindex_dsl.load(ROOT / "indices" / "us_china.aix")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        definition.run()
    clipped = [w for w in caught if "clipped to the scale" in str(w.message)]
    assert len(clipped) == 1
    assert clipped[0].filename == __file__
