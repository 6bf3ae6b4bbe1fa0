"""Groups take their raw values from their members before scoring (hand-computed)."""

from __future__ import annotations

import textwrap

import polars as pl
import pytest

import aiindex_dsl
from aiindex_dsl.diagnostics import AixError, AixWarning

DATA = """\
unit,year,rd,gdp,robots,score
A,2023,4.0,100,10,
B,2023,2.0,300,,
C,2023,1.0,,5,
D,2023,3.0,200,7,
G,2023,9.0,1,1,
"""


def index(tmp_path, units: str, groups: str, variables: str = ""):
    (tmp_path / "p.csv").write_text(DATA)
    text = f"""
    index t "Test" {{
      years 2023
      units {{ {units} }}
      {groups}
      source p "Provinces" {{ file "p.csv" year column "year" }}
      {variables}
      dimension d "D" {{
        indicator rd "R&D" {{ from p "rd" anchors worst 0 best 10 }}
        indicator robots "Robots" {{ from p "robots" anchors worst 0 best 20 }}
      }}
    }}
    """
    path = tmp_path / "t.aix"
    path.write_text(textwrap.dedent(text))
    return aiindex_dsl.load(str(path))


def raw(results, node, unit):
    rows = results.long.filter(
        (results.long["node"] == node) & (results.long["unit"] == unit)
    )
    return rows["raw"][0]


def test_weighted_mean_weights_by_the_variable(tmp_path):
    groups = "group H { members A B rollup weighted_mean by gdp }"
    results = index(tmp_path, "A B", groups, 'variable gdp from p "gdp"').run()
    # (4.0 * 100 + 2.0 * 300) / 400 = 2.5 -> score 2.5 / 10 = 25.
    assert raw(results, "rd", "H") == pytest.approx(2.5)
    assert results.value("rd", "H") == pytest.approx(25.0)


def test_weighted_mean_skips_members_without_a_weight(tmp_path):
    groups = "group H { members A C rollup weighted_mean by gdp }"
    results = index(tmp_path, "A C", groups, 'variable gdp from p "gdp"').run()
    # C has no gdp, so only A counts.
    assert raw(results, "rd", "H") == pytest.approx(4.0)


def test_mean_of_members_with_values(tmp_path):
    results = index(tmp_path, "A B C", "group H { members A B C rollup mean }").run()
    assert raw(results, "rd", "H") == pytest.approx((4 + 2 + 1) / 3)
    assert raw(results, "robots", "H") == pytest.approx((10 + 5) / 2)


def test_sum_needs_every_member(tmp_path):
    results = index(tmp_path, "A C D", "group H { members A C D rollup sum }").run()
    assert raw(results, "robots", "H") == pytest.approx(22.0)
    results = index(tmp_path, "A B", "group H { members A B rollup sum }").run()
    assert raw(results, "robots", "H") is None


def test_a_groups_own_value_wins(tmp_path):
    results = index(tmp_path, "A B", "group H { members A B rollup mean }").run()
    assert raw(results, "rd", "H") == pytest.approx(3.0)
    # The data has a row of its own for G (rd 9.0): it is kept, not rolled up.
    results = index(tmp_path, "A B", "group G { members A B rollup mean }").run()
    assert raw(results, "rd", "G") == pytest.approx(9.0)


def test_groups_of_groups_roll_up_after_their_members(tmp_path):
    groups = """
      group G1 { members A B rollup sum }
      group TOP { members G1 D rollup sum }
    """
    results = index(tmp_path, "A B D", groups).run()
    assert raw(results, "rd", "TOP") == pytest.approx(4.0 + 2.0 + 3.0)


def test_weighted_mean_without_a_variable_is_refused(tmp_path):
    groups = "group H { members A B rollup weighted_mean by gdpp }"
    with pytest.raises(AixError) as error:
        index(tmp_path, "A B", groups, 'variable gdp from p "gdp"')
    assert error.value.diagnostics[0].code == "E251"
    assert "gdp" in " ".join(error.value.diagnostics[0].hints)


def test_members_may_come_from_a_units_file(tmp_path):
    """With `units from`, a group's members are checked once the file is read."""
    (tmp_path / "p.csv").write_text(DATA)
    (tmp_path / "u.csv").write_text("code,name\nA,Alpha\nB,Beta\n")

    def load(members: str):
        (tmp_path / "t.aix").write_text(
            'index t {\n  years 2023\n  units from u code "code" name "name"\n'
            f"  group H {{ members {members} rollup mean }}\n"
            '  source u { file "u.csv" }\n'
            '  source p { file "p.csv" year column "year" }\n'
            '  indicator rd { from p "rd" anchors worst 0 best 10 }\n}\n'
        )
        return aiindex_dsl.load(str(tmp_path / "t.aix"))

    assert raw(load("A B").run(), "rd", "H") == pytest.approx(3.0)
    with pytest.raises(AixError) as raised:
        load("A X").run()
    unknown, ungrouped = raised.value.diagnostics
    assert (unknown.code, unknown.message) == (
        "E215",
        "group `H` lists `X`, which is not a unit",
    )
    # B, read from the file, is then in no group (as a listed unit would be).
    assert (ungrouped.code, ungrouped.message) == (
        "E219",
        "a unit read with `units from` in no group: `B`",
    )


def test_a_score_given_as_data_is_averaged_not_summed(tmp_path):
    """Under `rollup sum` the members' robots are added up, but the scores a
    dimension takes from data are averaged: a sum of scores is no score."""
    (tmp_path / "p.csv").write_text(DATA)
    (tmp_path / "s.csv").write_text("unit,year,given\nA,2023,60\nB,2023,80\n")
    (tmp_path / "t.aix").write_text(
        "index t {\n  years 2023\n  units { A B }\n"
        "  group H { members A B rollup sum }\n"
        '  source p { file "p.csv" year column "year" }\n'
        '  source s { file "s.csv" year column "year" }\n'
        "  dimension d {\n"
        '    indicator robots { from p "robots" anchors worst 0 best 20 }\n  }\n'
        '  dimension g { score from s "given" }\n}\n'
    )
    results = aiindex_dsl.load(str(tmp_path / "t.aix")).run()
    assert raw(results, "robots", "H") is None  # B has no robots: no full sum
    assert results.value("g", "H") == pytest.approx(70.0)


def one_indicator(tmp_path, rows: str, units: str, groups: str, settings: str):
    """Run an index of one indicator `x` over a file of ``rows`` (unit, year,
    x) of 2023."""
    (tmp_path / "p.csv").write_text("unit,year,x\n" + rows)
    (tmp_path / "t.aix").write_text(
        f"index t {{\n  years 2023\n  units {{ {units} }}\n  {groups}\n"
        '  source p { file "p.csv" year column "year" }\n'
        f'  indicator x {{ from p "x"  {settings} }}\n}}\n'
    )
    return aiindex_dsl.load(str(tmp_path / "t.aix")).run()


def test_a_group_is_not_among_the_units_a_mean_imputes_from(tmp_path):
    """C's missing value is the mean of A and B (2 and 4), not of A, B and
    their group H (whose sum, 6, would pull it to 4)."""
    groups = "group H { members A B rollup sum }  group K { members C rollup sum }"
    results = one_indicator(
        tmp_path,
        "A,2023,2\nB,2023,4\nC,2023,\n",
        "A B C",
        groups,
        "impute mean  anchors worst 0 best 10",
    )
    rows = results.long.filter(results.long["node"] == "x")
    imputed = dict(zip(rows["unit"], rows["imputed_value"], strict=True))
    assert imputed["C"] == pytest.approx(3.0)
    assert imputed["H"] == pytest.approx(6.0)


def test_an_empty_cell_of_the_group_itself_gives_way_to_its_members(tmp_path):
    results = one_indicator(
        tmp_path,
        "A,2023,2\nB,2023,4\nH,2023,\n",
        "A B",
        "group H { members A B rollup mean }",
        "anchors worst 0 best 10",
    )
    assert raw(results, "x", "H") == pytest.approx(3.0)


def test_a_group_is_scored_against_its_members_not_among_them(tmp_path):
    """Min-max over P1, P2 and P3 (1, 2, 3) gives 0, 50 and 100 whatever the
    group S (their sum, 6) holds; S is placed on that scale (250) and is not
    ranked among the units."""
    results = one_indicator(
        tmp_path,
        "P1,2023,1\nP2,2023,2\nP3,2023,3\n",
        "P1 P2 P3",
        "group S { members P1 P2 P3 rollup sum }",
        "normalize minmax",
    )
    rows = results.long.filter(results.long["node"] == "x").sort("unit")
    assert dict(zip(rows["unit"], rows["score"], strict=True)) == {
        "P1": 0.0,
        "P2": 50.0,
        "P3": 100.0,
        "S": 250.0,
    }
    ranks = dict(zip(rows["unit"], rows["rank"], strict=True))
    assert ranks == {"P1": 3, "P2": 2, "P3": 1, "S": None}


def test_a_groups_sum_does_not_depend_on_the_order_of_its_members(tmp_path):
    """Added as floats in the members' order, 0.1 + 1e13 - 1e13 gives 0.0996
    and -1e13 + 1e13 + 0.1 gives 0.1; the roll-up's sums are exact."""
    (tmp_path / "m.csv").write_text(
        "unit,x\nA,0.1\nB,1e13\nC,-1e13\nD,-1e13\nE,1e13\nF,0.1\n"
    )
    (tmp_path / "t.aix").write_text(
        textwrap.dedent(
            """
            index t "Test" {
              units { A B C D E F }
              group G { members A B C  rollup sum }
              group H { members D E F  rollup sum }
              normalize none
              source m "Members" { file "m.csv" }
              indicator x "X" { from m "x" }
            }
            """
        )
    )
    results = aiindex_dsl.load(str(tmp_path / "t.aix")).run()
    assert raw(results, "x", "G") == 0.1
    assert raw(results, "x", "H") == 0.1


def test_a_series_rolls_up_by_its_own_rollup(tmp_path):
    """A count is summed and a rate averaged within the same group: each
    indicator or variable may say how it rolls up, whatever the group says."""
    (tmp_path / "p.csv").write_text(DATA)
    (tmp_path / "t.aix").write_text(
        "index t {\n  years 2023\n  units { A B D }\n"
        "  group H { members A B D rollup mean }\n"
        '  source p { file "p.csv" year column "year" }\n'
        '  variable gdp from p "gdp" rollup sum\n'
        '  indicator rd { from p "rd" rollup weighted_mean by gdp'
        "  anchors worst 0 best 10 }\n"
        '  indicator robots { from p "robots" rollup sum anchors worst 0 best 40 }\n'
        "  indicator gdp_share { derive gdp / 1000  anchors worst 0 best 1 }\n}\n"
    )
    results = aiindex_dsl.load(str(tmp_path / "t.aix")).run()
    # rd: (4 * 100 + 2 * 300 + 3 * 200) / 600; robots: B has none, so no sum.
    assert raw(results, "rd", "H") == pytest.approx(1600 / 600)
    assert raw(results, "robots", "H") is None
    # gdp is summed (600), not averaged (200), before it is derived from.
    assert raw(results, "gdp_share", "H") == pytest.approx(0.6)
    # The members themselves are untouched.
    assert raw(results, "rd", "A") == pytest.approx(4.0)


def test_the_weighting_variable_may_say_how_it_rolls_up(tmp_path):
    (tmp_path / "p.csv").write_text(DATA)

    def gdp_of_h(variable: str) -> float:
        (tmp_path / "t.aix").write_text(
            "index t {\n  years 2023\n  units { A B }\n"
            "  group H { members A B rollup weighted_mean by gdp }\n"
            '  source p { file "p.csv" year column "year" }\n'
            f"  {variable}\n"
            '  indicator rd { from p "rd" anchors worst 0 best 10 }\n'
            "  indicator size { derive gdp  anchors worst 0 best 1000 }\n}\n"
        )
        results = aiindex_dsl.load(str(tmp_path / "t.aix")).run()
        assert raw(results, "rd", "H") == pytest.approx(2.5)  # weighted either way
        return raw(results, "size", "H")

    # A group's weight is summed (100 + 300), unless it says otherwise.
    assert gdp_of_h('variable gdp from p "gdp"') == pytest.approx(400)
    assert gdp_of_h('variable gdp from p "gdp" rollup mean') == pytest.approx(200)


def test_a_rollup_on_what_reads_no_data_is_refused(tmp_path):
    (tmp_path / "p.csv").write_text(DATA)
    (tmp_path / "t.aix").write_text(
        "index t {\n  units { A }\n"
        '  source p { file "p.csv" }\n'
        '  dimension d { rollup sum indicator x { from p "rd" } }\n}\n'
    )
    with pytest.raises(AixError) as raised:
        aiindex_dsl.load(str(tmp_path / "t.aix"))
    (problem,) = raised.value.diagnostics
    assert (problem.code, problem.message) == (
        "E256",
        "`d` has a `rollup`, but reads no data",
    )


def test_a_value_rolled_up_from_some_members_covers_the_group_in_part(tmp_path):
    """B has no robots: the group's mean is A's and D's, covering 2 of 3
    members; weighted by gdp, C (no gdp) aside, rd covers all the weight."""
    (tmp_path / "p.csv").write_text(DATA)
    (tmp_path / "t.aix").write_text(
        "index t {\n  years 2023\n  units { A B D }\n"
        "  group H { members A B D rollup mean }\n"
        '  source p { file "p.csv" year column "year" }\n'
        '  variable gdp from p "gdp"\n'
        '  indicator rd { from p "rd" rollup weighted_mean by gdp'
        "  anchors worst 0 best 10 }\n"
        '  indicator robots { from p "robots" anchors worst 0 best 20 }\n'
        "  indicator per_gdp { derive robots / gdp * 100  anchors worst 0 best 10 }\n"
        "}\n"
    )
    results = aiindex_dsl.load(str(tmp_path / "t.aix")).run()
    rows = results.long.filter(pl.col("unit") == "H")
    coverage = dict(zip(rows["node"], rows["coverage"], strict=True))
    assert raw(results, "robots", "H") == pytest.approx((10 + 7) / 2)
    assert coverage["robots"] == pytest.approx(2 / 3)
    assert coverage["rd"] == 1.0
    # Derived from robots (2/3) and gdp (summed, H's members all have one).
    assert coverage["per_gdp"] == pytest.approx(2 / 3)
    assert coverage["t"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    # A unit's own coverage is untouched.
    a = results.long.filter(pl.col("unit") == "A")
    assert a.filter(pl.col("node") == "robots")["coverage"][0] == 1.0


def test_coverage_of_a_weighted_mean_is_the_share_of_the_weight(tmp_path):
    (tmp_path / "p.csv").write_text(DATA)
    groups = "group H { members A B D rollup weighted_mean by gdp }"
    results = index(tmp_path, "A B D", groups, 'variable gdp from p "gdp"').run()
    rows = results.long.filter((pl.col("unit") == "H") & (pl.col("node") == "robots"))
    # B (gdp 300 of 600) has no robots: (10 * 100 + 7 * 200) / 300.
    assert rows["raw"][0] == pytest.approx(2400 / 300)
    assert rows["coverage"][0] == pytest.approx(300 / 600)


def test_a_rolled_up_value_beyond_the_anchors_is_warned_of(tmp_path):
    # A's and B's robots (10 and 3) lie within 0-12; their sum, 13, does not.
    (tmp_path / "p.csv").write_text(
        DATA.replace("B,2023,2.0,300,,", "B,2023,2.0,300,3,")
    )
    (tmp_path / "t.aix").write_text(
        "index t {\n  years 2023\n  units { A B }\n"
        "  group H { members A B rollup sum }\n"
        '  source p { file "p.csv" year column "year" }\n'
        '  indicator robots { from p "robots" anchors worst 0 best 12 }\n}\n'
    )
    with pytest.warns(AixWarning) as caught:
        results = aiindex_dsl.load(str(tmp_path / "t.aix")).run()
    messages = [str(w.message) for w in caught]
    assert any(
        "1 value rolled up for groups lies beyond the anchors" in m
        and "(`robots`: 1)" in m
        for m in messages
    ), messages
    assert results.value("robots", "H") == 100.0


def test_the_rows_come_in_the_same_order_every_run(tmp_path):
    """Each run of an index with groups (of groups, with values that cover
    them in part) gives its rows in the same order: a file written is the
    same bytes."""
    (tmp_path / "d.csv").write_text(
        "unit,gdp,rd,patents,pop\n"
        "P1,100,2,10,5\nP2,300,4,30,10\nP3,200,1,,20\nP4,400,3,40,\n"
    )
    (tmp_path / "t.aix").write_text(
        "index t {\n  units { P1 P2 P3 P4 }\n"
        "  group R1 { members P1 P2 rollup mean }\n"
        "  group R2 { members P3 P4 rollup sum }\n"
        "  group ALL { members R1 R2 rollup weighted_mean by gdp }\n"
        '  source s { file "d.csv" }\n'
        '  variable gdp from s "gdp" rollup sum\n  variable pop from s "pop"\n'
        '  indicator rd { from s "rd" }\n  indicator pat { from s "patents" }\n'
        "  indicator ppc { derive pat / pop }\n}\n"
    )
    written = set()
    for run in range(4):
        path = tmp_path / f"out{run}.csv"
        aiindex_dsl.load(str(tmp_path / "t.aix")).run().query().sink_csv(path)
        written.add(path.read_bytes())
    assert len(written) == 1


def test_a_weight_of_zero_or_below_is_refused(tmp_path):
    groups = "group H { members A D rollup weighted_mean by gdp }"
    definition = index(tmp_path, "A D", groups, 'variable gdp from p "gdp"')
    (tmp_path / "p.csv").write_text(DATA.replace("D,2023,3.0,200", "D,2023,3.0,-2"))
    with pytest.raises(AixError) as raised:
        definition.run()
    (problem,) = raised.value.diagnostics
    assert problem.code == "E419"
    assert problem.message.endswith("needs weights above 0: D in 2023: `gdp` = -2")
    assert problem.span.line == 5


def test_a_member_without_a_weight_leaves_the_group_covered_in_part(tmp_path):
    # C has rd but no gdp: H's rd is A's alone, covering one member of two.
    (tmp_path / "p.csv").write_text(DATA)
    groups = "group H { members A C rollup weighted_mean by gdp }"
    results = index(tmp_path, "A C", groups, 'variable gdp from p "gdp"').run()
    rows = results.long.filter((pl.col("unit") == "H") & (pl.col("node") == "rd"))
    assert rows["raw"][0] == pytest.approx(4.0)
    assert rows["coverage"][0] == pytest.approx(0.5)


def test_a_group_is_not_filled_with_its_members_mean(tmp_path):
    # B has no robots, so H (a sum) has none; the units' mean is no region's
    # total: H stays missing, while B itself is imputed.
    (tmp_path / "p.csv").write_text(DATA)
    (tmp_path / "t.aix").write_text(
        "index t {\n  years 2023\n  units { A B }\n"
        "  group H { members A B rollup sum }\n"
        '  source p { file "p.csv" year column "year" }\n'
        "  impute mean\n"
        '  indicator robots { from p "robots" anchors worst 0 best 20 }\n}\n'
    )
    results = aiindex_dsl.load(str(tmp_path / "t.aix")).run()
    robots = results.long.filter(pl.col("node") == "robots")
    found = dict(zip(robots["unit"], robots["imputed_value"], strict=True))
    assert found == {"A": 10.0, "B": 10.0, "H": None}


def test_the_appendix_says_how_groups_roll_up(tmp_path):
    from aiindex_dsl.render.docs import appendix

    (tmp_path / "p.csv").write_text(DATA)
    groups = "group H { members A B rollup weighted_mean by gdp }"
    summed = index(tmp_path, "A B", groups, 'variable gdp from p "gdp"')
    meaned = index(tmp_path, "A B", groups, 'variable gdp from p "gdp" rollup mean')
    text = appendix(summed, "md")
    assert "weighted by gdp, which is itself summed" in text
    assert "only covers the group in part" in text
    text = appendix(meaned, "md")
    assert "weighted by gdp |" in text
    assert "a group's value of gdp is the mean of its members' values." in text
