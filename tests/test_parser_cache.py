"""The parse tables Lark computes from the grammar are kept in the user's
cache folder; a cache that is damaged or cannot be written changes nothing."""

from __future__ import annotations

import pytest

from aiindex_dsl import syntax
from aiindex_dsl.diagnostics import AixError

TEXT = """index t "T" {
  units { A "A" }
  indicator x "X" { from d "x"  anchors worst 0 best 10 }
}
"""


@pytest.fixture
def fresh_parsers(monkeypatch, tmp_path):
    """Parsers built again, with the cache folder in ``tmp_path``."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    syntax._building_parser.cache_clear()
    syntax.parser.cache_clear()
    yield tmp_path / "aix"
    syntax._building_parser.cache_clear()
    syntax.parser.cache_clear()


def test_the_tables_are_kept_and_read_back(fresh_parsers):
    first = syntax.parse(TEXT, "t.aix")
    kept = fresh_parsers / "parser-building.lark"
    assert kept.stat().st_size > 10_000
    syntax._building_parser.cache_clear()
    assert syntax.parse(TEXT, "t.aix") == first


def test_a_damaged_cache_is_computed_again(fresh_parsers, capfd):
    fresh_parsers.mkdir()
    (fresh_parsers / "parser-building.lark").write_bytes(b"not a cache\n\x80\x04junk")
    ir = syntax.parse(TEXT, "t.aix")
    assert (ir.id, [n.id for n in ir.nodes()]) == ("t", ["x"])
    assert capfd.readouterr().err == ""


def test_no_cache_where_the_folder_cannot_be_made(fresh_parsers, capfd):
    fresh_parsers.parent.joinpath("aix").write_text("a file, not a folder")
    with pytest.raises(AixError) as raised:
        syntax.parse(TEXT.replace("best 10", "best"), "t.aix")
    problem = raised.value.diagnostics[0]
    assert (problem.code, problem.span.line, problem.span.column) == ("E106", 3, 54)
    assert capfd.readouterr().err == ""
