"""Ranks: on scores as computed or as printed (``ranks rounded to``), and the
units shown beside the others without a rank (``unranked``)."""

from __future__ import annotations

import pytest

from aiindex_dsl.diagnostics import AixError

DATA = "unit,x,y\nDE,10,4\nFR,30,2\nIT,20,6\nEU27,50,3\n"


def index(units: str, header: str = "", extra: str = "") -> str:
    return f"""
index t "Test" {{
  units {{ {units} }}
  {header}
  source d {{ file "data.csv" }}
  normalize minmax
  {extra}
  indicator x {{ from d "x" }}
  indicator y {{ from d "y" }}
}}
"""


def composite(results) -> dict[str, tuple[float | None, int | None]]:
    rows = results.composite()
    return {
        unit: (score, rank)
        for unit, score, rank in rows.select("unit", "score", "rank").iter_rows()
    }


def test_an_unranked_unit_is_scored_but_moves_no_one_else(scratch):
    alone = composite(scratch.run(index("DE FR IT"), {"data.csv": DATA}))
    shown = composite(
        scratch.run(index("DE FR IT EU27", 'unranked "EU27"'), {"data.csv": DATA})
    )
    # Min-max over DE, FR and IT alone: x 10-30, y 2-6.
    assert alone == {"DE": (25.0, 3), "FR": (50.0, 2), "IT": (75.0, 1)}
    assert {unit: shown[unit] for unit in alone} == alone
    # EU27 is placed on their scale (x 50 lies beyond it) but has no rank.
    assert shown["EU27"] == (pytest.approx((200 + 25) / 2), None)


def test_listed_with_the_others_it_would_move_them(scratch):
    ranked = composite(scratch.run(index("DE FR IT EU27"), {"data.csv": DATA}))
    # x now runs 10-50: Italy falls from 75 to a tie with EU27.
    assert ranked["IT"] == (62.5, 1)
    assert ranked["EU27"] == (62.5, 1)


def test_ranks_on_rounded_scores_share_the_better_rank(scratch):
    data = "unit,x\nA,94.6007\nB,94.6041\nC,94.5\nD,95\n"
    text = """
index t "Test" {
  scale 0 to 1
  units { A B C D }
  %s
  source d { file "data.csv" }
  indicator x { from d "x"  anchors worst 0 best 100 }
}
"""
    exact = composite(scratch.run(text % "", {"data.csv": data}))
    assert {u: r for u, (_, r) in exact.items()} == {"D": 1, "B": 2, "A": 3, "C": 4}
    printed = composite(
        scratch.run(text % "ranks rounded to 3 decimals", {"data.csv": data})
    )
    assert {u: r for u, (_, r) in printed.items()} == {"D": 1, "B": 2, "A": 2, "C": 4}
    # The scores themselves are not rounded.
    assert printed["A"][0] == pytest.approx(0.946007)


def test_ranks_round_half_away_from_zero(scratch):
    text = """
index t "Test" {
  ranks rounded to 0 decimals
  units { A B }
  source d { file "data.csv" }
  indicator x { from d "x"  anchors worst 0 best 100 }
}
"""
    found = composite(scratch.run(text, {"data.csv": "unit,x\nA,12.5\nB,13.4\n"}))
    # 12.5 rounds to 13, as 13.4 does (to even, it would round to 12).
    assert {unit: rank for unit, (_, rank) in found.items()} == {"A": 1, "B": 1}


def test_an_unranked_unit_need_not_belong_to_a_group(scratch):
    groups = "group SOUTH { members IT }\n  group NORTH { members DE FR }"
    results = scratch.run(
        index("DE FR IT EU27", 'unranked "EU27"', groups), {"data.csv": DATA}
    )
    found = composite(results)
    assert found["EU27"][1] is None
    assert found["SOUTH"][1] is None
    assert {u: r for u, (_, r) in found.items() if r is not None} == {
        "DE": 3,
        "FR": 2,
        "IT": 1,
    }


def test_units_read_from_a_file_are_checked_once_it_is_read(scratch):
    text = """
index t "Test" {
  units from d code "unit"
  unranked "EU72"
  source d { file "data.csv" }
  indicator x { from d "x" }
}
"""
    with pytest.raises(AixError) as raised:
        scratch.run(text, {"data.csv": DATA})
    (problem,) = raised.value.diagnostics
    assert problem.code == "E254"
    assert "`EU72`" in problem.message
    assert problem.hints == ("did you mean `EU27`?",)


def test_a_child_adds_unranked_units_and_drops_removed_ones(scratch, tmp_path):
    import aiindex_dsl

    parent = scratch.write(
        index("DE FR IT EU27", 'unranked "EU27" "IT"'), {"data.csv": DATA}
    )
    child = parent.with_name("child.aix")
    child.write_text(
        'index c "Child" extends "index.aix" {\n'
        '  units { EA "Euro area" }\n  unranked "EA"\n  remove unit IT\n}\n'
    )
    loaded = aiindex_dsl.load(child).ir
    assert [u.code for u in loaded.unranked] == ["EU27", "EA"]


def test_the_appendix_says_how_units_are_ranked(scratch):
    import aiindex_dsl
    from aiindex_dsl.render.docs import appendix

    path = scratch.write(
        index(
            'DE "Germany" FR "France" IT "Italy" EU27 "European Union"',
            'unranked "EU27"\n  ranks rounded to 1 decimal',
        ),
        {"data.csv": DATA},
    )
    text = appendix(aiindex_dsl.load(path), "md")
    assert "units are ranked on their scores rounded to 1 decimal, as published" in text
    assert "Scored but not ranked" in text
    assert "European Union (EU27)" in text


def test_an_unranked_unit_is_left_out_of_the_outlier_test(scratch):
    # U0 ... U11 hold 1 ... 11 and 25: the test fails, and 25 becomes 11.
    values = [*range(1, 12), 25]
    rows = "".join(f"U{i},{v}\n" for i, v in enumerate(values))
    units = " ".join(f"U{i}" for i in range(12))
    text = """
index t "Test" {
  units { %s }
  %s
  source d { file "data.csv" }
  indicator x { from d "x"  treat winsorize  normalize minmax }
}
"""

    def scores(extra: str, data: str) -> dict:
        results = scratch.run(text % (units, extra), {"data.csv": data})
        rows = results.long.filter(results.long["node"] == "x")
        return dict(zip(rows["unit"], rows["score"], strict=True))

    alone = scores("", "unit,x\n" + rows)
    assert alone["U11"] == alone["U10"] == 100.0
    shown = scores('units { W }  unranked "W"', "unit,x\n" + rows + "W,1000\n")
    assert {unit: shown[unit] for unit in alone} == alone
    # W itself is not winsorized: scored against the units, far above them.
    assert shown["W"] == pytest.approx(100 * (1000 - 1) / (11 - 1))


def test_without_spread_among_the_units_no_one_has_a_min_max_score(scratch):
    # A and B tie on a: min-max gives them no score, nor W (not infinity).
    data = "unit,a,b\nA,5,1\nB,5,2\nW,7,3\n"
    for method in ("minmax", "zscore"):
        text = f"""
index t "Test" {{
  units {{ A B W }}
  unranked "W"
  source d {{ file "data.csv" }}
  normalize {method}
  indicator a {{ from d "a" }}
  indicator b {{ from d "b" }}
}}
"""
        results = scratch.run(text, {"data.csv": data})
        a = results.long.filter(results.long["node"] == "a")
        assert a["score"].null_count() == 3
        scores = results.composite()["score"]
        assert scores.is_finite().all()


def test_a_child_lists_its_own_unranked_units_as_written(scratch):
    import aiindex_dsl

    parent = scratch.write(
        index("DE FR IT EU27", 'unranked "EU27"'), {"data.csv": DATA}
    )
    child = parent.with_name("child.aix")
    child.write_text(
        'index c "Child" extends "index.aix" {\n'
        '  remove unit IT\n  unranked "IT" "FR" "FR"\n}\n'
    )
    with pytest.raises(AixError) as raised:
        aiindex_dsl.load(child)
    found = [(p.code, p.message) for p in raised.value.diagnostics]
    assert found == [
        ("E254", "`unranked` names unit `IT`, which the index does not have"),
        ("E254", "unit `FR` is listed twice in `unranked`"),
    ]
