"""Each rule of `extends` and `include`, as docs/language.md states it."""

from __future__ import annotations

import textwrap

import pytest

from aiindex_dsl import load
from aiindex_dsl.checks import check
from aiindex_dsl.compose import load_file
from aiindex_dsl.diagnostics import AixError

PARENT = """
index parent "Parent" {
  version "1"
  licence "CC-BY-4.0"
  years 2023 to 2024
  units { US "United States"  CN "China" }
  group G { members US CN }
  source s "Source" { file "s.csv"  layout long }
  source old "Old source" { file "old.csv" }
  variable pop "Population" from s "pop"
  aggregate geometric
  dimension a "A" weight 50% {
    indicator x "X" { from s "x"  anchors worst 0 best 10  cite s }
    indicator gone "Gone" { from old "g" }
  }
  dimension b "B" weight 50% {
    indicator y "Y" { from s "y" }
  }
  expect a US 50
  expect b CN 10
  expect b US 20 points
}
"""


def child(tmp_path, body: str, parent: str = PARENT):
    """Load a child index that extends the parent above."""
    (tmp_path / "parent.aix").write_text(textwrap.dedent(parent), encoding="utf-8")
    text = f'index child "Child" extends "parent.aix" {{\n{body}\n}}\n'
    (tmp_path / "child.aix").write_text(text, encoding="utf-8")
    return load_file(str(tmp_path / "child.aix"))


def tree(index) -> dict[str, list[str]]:
    return {n.id: [c.id for c in n.children] for n in index.root.walk()}


def test_header_fields_given_replace_and_the_others_are_inherited(tmp_path):
    index = child(tmp_path, '  version "2"')
    assert index.version == "2"
    assert index.licence == "CC-BY-4.0"
    assert index.years == (2023, 2024)
    assert index.title == "Child"


def test_declarations_merge_by_id_new_added_existing_replaced_whole(tmp_path):
    index = child(
        tmp_path,
        '  units { EU "European Union"  CN "People\'s Republic of China" }\n'
        '  source s "Replaced" { file "t.csv" }',
    )
    assert [(u.code, u.name) for u in index.units] == [
        ("US", "United States"),
        ("CN", "People's Republic of China"),
        ("EU", "European Union"),
    ]
    replaced = index.source("s")
    assert (replaced.title, replaced.file, replaced.layout) == (
        "Replaced",
        "t.csv",
        "wide",
    )
    assert [v.id for v in index.variables] == ["pop"]


def test_a_node_with_an_existing_id_is_amended_in_place(tmp_path):
    index = child(tmp_path, "  indicator x { anchors worst 0 best 20 }")
    x = index.node("x")
    assert x.normalization.anchors.best == 20
    assert x.data.selector == "x"
    assert x.cites == ("s",)
    assert x.title == "X"
    assert tree(index)["a"] == ["x", "gone"]


def test_a_new_node_is_added_under_the_node_it_is_written_in(tmp_path):
    index = child(
        tmp_path,
        '  dimension b { indicator z "Z" { from s "z" } }\n'
        '  dimension c "C" { indicator w "W" { from s "w" } }',
    )
    assert tree(index)["b"] == ["y", "z"]
    assert tree(index)["child"] == ["a", "b", "c"]


def test_index_wide_settings_of_the_child_replace_the_parents(tmp_path):
    assert child(tmp_path, "").root.aggregate.value == "geometric"
    assert child(tmp_path, "  aggregate harmonic").root.aggregate.value == "harmonic"


def test_remove_drops_a_node_with_its_subtree_and_declarations(tmp_path):
    index = child(
        tmp_path, "  remove dimension b\n  remove source old\n  remove unit CN"
    )
    assert tree(index)["child"] == ["a"]
    assert index.node("y") is None
    assert [s.id for s in index.sources] == ["s"]
    assert [u.code for u in index.units] == ["US"]


def test_what_is_removed_may_be_declared_anew(tmp_path):
    index = child(
        tmp_path,
        '  remove unit CN\n  units { CN "China, anew" }\n'
        "  remove indicator x\n"
        '  dimension a { indicator x "X anew" { from s "x2" } }',
    )
    assert [(u.code, u.name) for u in index.units] == [
        ("US", "United States"),
        ("CN", "China, anew"),
    ]
    # A new node: none of the parent's settings (anchors, cite) carry over.
    x = index.node("x")
    assert (x.title, x.data.selector, x.normalization, x.cites) == (
        "X anew",
        "x2",
        None,
        (),
    )
    assert tree(index)["a"] == ["gone", "x"]


def test_expectations_about_what_is_removed_and_declared_anew_are_dropped(tmp_path):
    index = child(
        tmp_path,
        '  remove unit CN\n  units { CN "China, anew" }\n'
        '  remove dimension a\n  dimension a "A anew" { indicator z { from s "z" } }',
    )
    assert [(e.node, e.unit) for e in index.expectations] == [("b", "US")]


def test_a_problem_a_removal_makes_in_the_parent_points_at_the_removal(tmp_path):
    with pytest.raises(AixError) as caught:
        check(child(tmp_path, "  remove unit CN"))
    (problem,) = [p for p in caught.value.diagnostics if p.code == "E215"]
    assert problem.code == "E215"
    assert problem.span.file.endswith("parent.aix")
    assert "child.aix:2:3 removes unit `CN`: keep it" in problem.hints[0]


def test_a_problem_the_child_makes_in_the_parent_points_at_the_child(tmp_path):
    body = '  indicator w "W" weight 10% { from s "w" }\n  remove indicator y'
    with pytest.raises(AixError) as caught:
        check(child(tmp_path, body))
    found = {d.code: d.hints[0] for d in caught.value.diagnostics}
    assert found["E222"].endswith("child.aix:2:3 adds indicator `w` under `child`")
    assert found["E227"].endswith("child.aix:3:3 removes indicator `y` from `b`")


def test_a_unit_removed_and_still_named_by_the_child_points_at_the_removal(
    tmp_path,
):
    body = "  remove unit CN\n  remove group G\n  group H { members US CN }"
    with pytest.raises(AixError) as caught:
        check(child(tmp_path, body))
    [problem] = [d for d in caught.value.diagnostics if d.code == "E215"]
    assert problem.span.file.endswith("child.aix")
    assert problem.hints[0].endswith(
        "child.aix:2:3 removes unit `CN`: keep it, "
        "or remove or declare anew what names it"
    )


def test_a_child_index_named_as_a_node_of_the_parent_is_refused_at_its_line(
    tmp_path,
):
    (tmp_path / "parent.aix").write_text(textwrap.dedent(PARENT), encoding="utf-8")
    text = 'index x "Child" extends "parent.aix" {\n  version "9"\n}\n'
    (tmp_path / "child.aix").write_text(text, encoding="utf-8")
    with pytest.raises(AixError) as caught:
        check(load_file(str(tmp_path / "child.aix")))
    [problem] = [d for d in caught.value.diagnostics if d.code == "E210"]
    assert problem.message == "the node id `x` is used twice"
    assert problem.hints[0].startswith(
        f"it is first declared at {tmp_path}/child.aix:1"
    )


def test_removing_what_the_parent_lacks_is_an_error(tmp_path):
    with pytest.raises(AixError) as caught:
        child(tmp_path, "  remove indicator gonne")
    assert caught.value.diagnostics[0].code == "E306"
    assert "`gone`" in caught.value.diagnostics[0].hints[0]


READ_UNITS = """
index parent "Parent" {
  source d "Data" { file "d.csv"  unit column "code" }
  units from d code "code"
  normalize minmax
  dimension one "One" {
    indicator x "X" { from d "x" }
  }
  expect composite C 100
}
"""


def test_a_unit_the_parent_reads_from_a_file_may_be_removed(tmp_path):
    (tmp_path / "d.csv").write_text("code,x\nA,1\nB,3\nC,5\n", encoding="utf-8")
    child(tmp_path, "  remove unit C", READ_UNITS)
    results = load(tmp_path / "child.aix").run()
    scores = dict(results.composite().select("unit", "score").iter_rows())
    assert scores == {"A": 0.0, "B": 100.0}
    assert load(tmp_path / "parent.aix").run().value("composite", "B") == 50.0


def test_removing_a_unit_the_parents_file_lacks_is_an_error(tmp_path):
    (tmp_path / "d.csv").write_text("code,x\nA,1\nB,3\nC,5\n", encoding="utf-8")
    child(tmp_path, "  remove unit CC", READ_UNITS)
    with pytest.raises(AixError) as caught:
        load(tmp_path / "child.aix").run()
    [problem] = caught.value.diagnostics
    assert problem.code == "E306"
    assert "does not list it in column `code`" in problem.message
    assert (problem.span.line, problem.hints) == (2, ("did you mean `C`?",))


def test_a_group_removed_as_a_unit_is_told_its_word(tmp_path):
    with pytest.raises(AixError) as caught:
        child(tmp_path, "  remove unit G")
    [problem] = caught.value.diagnostics
    assert problem.code == "E306"
    assert problem.hints == ("`G` is a group: write `remove group G`",)


def test_a_unit_read_under_another_code_is_removed_by_the_indexs_code(tmp_path):
    parent = READ_UNITS.replace(
        'unit column "code" }', 'unit column "code"  unit codes { Cee C } }'
    )
    (tmp_path / "d.csv").write_text("code,x\nA,1\nB,3\nCee,5\n", encoding="utf-8")
    child(tmp_path, "  remove unit C", parent)
    scores = dict(
        load(tmp_path / "child.aix")
        .run()
        .composite()
        .select("unit", "score")
        .iter_rows()
    )
    assert scores == {"A": 0.0, "B": 100.0}
    child(tmp_path, "  remove unit Cee", parent)
    with pytest.raises(AixError) as caught:
        load(tmp_path / "child.aix").run()
    [problem] = caught.value.diagnostics
    assert problem.hints == ("the file's `Cee` is read as `C`: remove unit C",)


def test_expectations_are_inherited_added_and_replaced_by_key(tmp_path):
    index = child(tmp_path, "  expect a US 55\n  expect a CN 40 in 2024")
    found = {(e.node, e.unit, e.year, e.points): e.value for e in index.expectations}
    assert found == {
        ("a", "US", None, False): 55,
        ("b", "CN", None, False): 10,
        ("b", "US", None, True): 20,
        ("a", "CN", 2024, False): 40,
    }


def test_expectations_about_removed_nodes_or_units_are_dropped(tmp_path):
    index = child(tmp_path, "  remove dimension b\n  remove unit CN")
    assert [(e.node, e.unit) for e in index.expectations] == [("a", "US")]


def test_an_include_adds_a_catalogue_as_if_written_in_place(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "sources.aix").write_text(
        'source wb "World Bank" { file "wb.csv" }\n'
        'variable gdp "GDP" from wb "gdp"\n'
        "units { FR }\n",
        encoding="utf-8",
    )
    (tmp_path / "i.aix").write_text(
        'index i "I" {\n  include "shared/sources.aix"\n  units { DE }\n'
        '  indicator x "X" { derive gdp }\n}\n',
        encoding="utf-8",
    )
    index = load_file(str(tmp_path / "i.aix"))
    assert [s.id for s in index.sources] == ["wb"]
    assert [v.id for v in index.variables] == ["gdp"]
    assert [u.code for u in index.units] == ["FR", "DE"]
    assert index.source("wb").origin.endswith("shared/sources.aix")


def test_paths_are_relative_to_the_file_that_writes_them(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "parent.aix").write_text(
        textwrap.dedent(PARENT), encoding="utf-8"
    )
    (tmp_path / "child.aix").write_text(
        'index child "Child" extends "base/parent.aix" {\n'
        '  source t "T" { file "t.csv" }\n}\n',
        encoding="utf-8",
    )
    index = load_file(str(tmp_path / "child.aix"))
    assert index.source("s").origin.endswith("base/parent.aix")
    assert index.source("t").origin.endswith("child.aix")
