"""`aix check`, `aix fmt` and `aix schema` through the real command, in-process."""

from __future__ import annotations

import json

from aiindex_dsl.cli import main

CLEAN = "tests/cases/valid/tree.aix"
BROKEN = "tests/cases/invalid/many_problems.aix"
MESSY = """# kept
index m "M" {   units { A }  # trailing
source s "S" { file "s.csv" }
indicator x "X" { from s "x"  weight 100% }
}
"""


def test_check_of_a_clean_file_exits_0(cli, root, monkeypatch):
    monkeypatch.chdir(root)
    outcome = cli.invoke(main, ["check", "--no-data", CLEAN])
    assert outcome.exit_code == 0
    assert "1 file checked: no problems" in outcome.output


def test_check_shows_each_problem_at_its_line_with_source_underline_and_hints(
    cli, root, monkeypatch
):
    monkeypatch.chdir(root)
    outcome = cli.invoke(main, ["check", "--no-data", BROKEN, CLEAN])
    assert outcome.exit_code == 1
    text = outcome.output
    assert f"{BROKEN}:6:23: error[E211]: no source is called `t`" in text
    assert '6 |     indicator x "X" { from t "x"  anchors worst 1 best 1 }' in text
    assert "  |                       ^^^^^^^^^^" in text
    assert "= hint: did you mean `geometric`?" in text
    assert "5 problems found" in text


def test_check_as_json(cli, root, monkeypatch):
    monkeypatch.chdir(root)
    outcome = cli.invoke(main, ["check", "--format", "json", BROKEN])
    assert outcome.exit_code == 1
    report = json.loads(outcome.stdout)
    codes = [d["code"] for d in report["diagnostics"]]
    assert codes == ["E222", "E211", "E223", "E235", "E217"]  # by line
    first = report["diagnostics"][0]
    assert (first["span"]["file"], first["span"]["line"]) == (BROKEN, 5)


def test_check_of_a_clean_file_as_json_has_no_diagnostics(cli, root, monkeypatch):
    monkeypatch.chdir(root)
    outcome = cli.invoke(main, ["check", "--no-data", "--format", "json", CLEAN])
    assert outcome.exit_code == 0
    assert json.loads(outcome.stdout)["diagnostics"] == []


def test_check_in_json_gives_the_warnings_as_records(cli, root, monkeypatch):
    monkeypatch.chdir(root)
    outcome = cli.invoke(main, ["check", "--format", "json", "indices/us_china.aix"])
    assert outcome.exit_code == 0, outcome.output
    (record,) = json.loads(outcome.stdout)["diagnostics"]
    assert record["code"] == "W405"
    assert record["severity"] == "warning"
    assert record["location"] == "indices/us_china.aix"
    assert record["message"].startswith("1 value lies beyond the anchors")
    assert "warning:" not in outcome.stderr


def test_usage_errors_exit_2(cli):
    assert cli.invoke(main, ["check"]).exit_code == 2
    assert cli.invoke(main, ["check", "--format", "xml", CLEAN]).exit_code == 2


def test_check_reads_the_data_unless_told_not_to(cli, root, monkeypatch):
    monkeypatch.chdir(root)
    clean = cli.invoke(main, ["check", "indices/us_china.aix"])
    assert clean.exit_code == 0, clean.output
    # A definition whose data lacks a column: only the data shows it.
    broken = "tests/bad_inputs/data_missing_column.aix"
    found = cli.invoke(main, ["check", broken])
    assert found.exit_code == 1
    assert "error[E404]" in found.stderr
    alone = cli.invoke(main, ["check", "--no-data", broken])
    assert alone.exit_code == 0
    assert cli.invoke(main, ["fmt"]).exit_code == 2


def test_fmt_check_lists_files_that_would_change_and_changes_none(cli, tmp_path):
    messy = tmp_path / "m.aix"
    messy.write_text(MESSY, encoding="utf-8")
    outcome = cli.invoke(main, ["fmt", "--check", str(messy)])
    assert outcome.exit_code == 1
    assert f"would reformat {messy}" in outcome.output
    assert messy.read_text(encoding="utf-8") == MESSY


def test_fmt_rewrites_canonically_and_keeps_comments(cli, tmp_path):
    messy = tmp_path / "m.aix"
    messy.write_text(MESSY, encoding="utf-8")
    outcome = cli.invoke(main, ["fmt", str(messy)])
    assert outcome.exit_code == 0
    assert messy.read_text(encoding="utf-8") == (
        "# kept\n"
        'index m "M" {\n'
        "  units {\n"
        "    A\n"
        "  }  # trailing\n"
        "\n"
        '  source s "S" {\n'
        '    file "s.csv"\n'
        "  }\n"
        "\n"
        '  indicator x "X" weight 100% {\n'
        '    from s "x"\n'
        "  }\n"
        "}\n"
    )
    again = cli.invoke(main, ["fmt", "--check", str(messy)])
    assert again.exit_code == 0
    assert "1 file already formatted" in again.output


def test_fmt_keeps_crlf_line_endings_and_drops_a_byte_order_mark(cli, tmp_path):
    messy = tmp_path / "m.aix"
    messy.write_bytes(MESSY.replace("\n", "\r\n").encode())
    assert cli.invoke(main, ["fmt", str(messy)]).exit_code == 0
    written = messy.read_bytes()
    assert written.startswith(b'# kept\r\nindex m "M" {\r\n  units {\r\n')
    assert written.count(b"\n") == written.count(b"\r\n")
    assert cli.invoke(main, ["fmt", "--check", str(messy)]).exit_code == 0
    messy.write_bytes(b"\xef\xbb\xbf" + written)
    assert cli.invoke(main, ["fmt", "--check", str(messy)]).exit_code == 1
    assert cli.invoke(main, ["fmt", str(messy)]).exit_code == 0
    assert messy.read_bytes() == written


def test_fmt_reports_a_file_that_does_not_parse(cli, tmp_path):
    broken = tmp_path / "b.aix"
    broken.write_text('index b "B" {\n  units { A\n', encoding="utf-8")
    outcome = cli.invoke(main, ["fmt", str(broken)])
    assert outcome.exit_code == 1
    assert f"{broken}:" in outcome.output
    assert broken.read_text(encoding="utf-8") == 'index b "B" {\n  units { A\n'


def test_schema_is_the_json_schema_of_the_index(cli):
    outcome = cli.invoke(main, ["schema"])
    assert outcome.exit_code == 0
    schema = json.loads(outcome.output)
    assert schema["title"] == "Index"
    assert {"Node", "Source", "Expectation"} <= set(schema["$defs"])
    assert "root" in schema["required"]


def test_shipped_definitions_are_in_canonical_layout(cli, root, monkeypatch):
    monkeypatch.chdir(root)
    shipped = sorted(
        str(p.relative_to(root))
        for p in [*root.glob("indices/*.aix"), *root.glob("examples/*/*.aix")]
    )
    result = cli.invoke(main, ["fmt", "--check", *shipped])
    assert result.exit_code == 0, result.output


def test_check_of_a_catalogue_checks_it_as_a_catalogue(cli, tmp_path):
    catalogue = tmp_path / "sources.aix"
    catalogue.write_text('source s "S" { file "s.csv" }\n', encoding="utf-8")
    clean = cli.invoke(main, ["check", str(catalogue)])
    assert clean.exit_code == 0
    assert "1 file checked: no problems" in clean.output
    catalogue.write_text('source s "S" { file "s.csv" \n', encoding="utf-8")
    broken = cli.invoke(main, ["check", str(catalogue)])
    assert broken.exit_code == 1
    assert "error[E1" in broken.stderr


def test_an_unknown_unit_is_matched_whatever_its_case(cli, tmp_path):
    (tmp_path / "g.aix").write_text(
        "index g {\n  units { U1 U2 U3 }\n  group G { members U1 u3 }\n"
        '  source s { file "s.csv" }\n  indicator x { from s "x" }\n}\n',
        encoding="utf-8",
    )
    outcome = cli.invoke(main, ["check", str(tmp_path / "g.aix")])
    assert outcome.exit_code == 1
    assert "did you mean `U3`?" in outcome.stderr


def test_fmt_writes_control_characters_as_escapes():
    from aiindex_dsl.fmt import format_text
    from aiindex_dsl.syntax import parse

    text = 'index c {\n  description "one\\ntwo\\x00three\\x7f"\n  units { A }\n}\n'
    formatted = format_text(text)
    assert "\x00" not in formatted
    assert "\x7f" not in formatted
    assert "\\x00" in formatted
    assert parse(formatted).description == "one\ntwo\x00three\x7f"


def test_run_in_json_keeps_stdout_for_the_json(cli, root, monkeypatch):
    """An expectation not met: stdout is one JSON document, the tables on stderr."""
    monkeypatch.chdir(root)
    outcome = cli.invoke(
        main, ["run", "--format", "json", "examples/hdi/hdi_arithmetic.aix"]
    )
    assert outcome.exit_code == 1
    codes = {d["code"] for d in json.loads(outcome.stdout)["diagnostics"]}
    assert "E601" in codes
    assert "Expectations" in outcome.stderr


def test_a_run_in_json_that_succeeds_prints_its_warnings_as_json(
    cli, root, monkeypatch
):
    monkeypatch.chdir(root)
    outcome = cli.invoke(main, ["run", "--format", "json", "indices/us_china.aix"])
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.stdout)
    assert [d["code"] for d in document["diagnostics"]] == ["W405"]
    assert "warning" not in outcome.stderr  # shown once, in the document


def test_run_refuses_an_output_it_cannot_write_before_computing(cli, root, monkeypatch):
    monkeypatch.chdir(root)
    outcome = cli.invoke(main, ["run", "indices/us_china.aix", "-o", "r.xlsx"])
    assert outcome.exit_code == 1
    assert "E501" in outcome.stderr
    assert "Composite" not in outcome.output  # no table: nothing was computed
    outcome = cli.invoke(main, ["run", "indices/us_china.aix", "--wide"])
    assert outcome.exit_code == 2
    assert "E506" in outcome.stderr


def test_check_finds_what_only_computing_the_scores_shows(cli, tmp_path):
    (tmp_path / "d.csv").write_text("unit,x\nA,1\nB,3\n")
    definition = tmp_path / "t.aix"
    definition.write_text(
        'index t "T" {\n  units { A B }\n  source d "D" { file "d.csv" }\n'
        '  impute mean by "region"\n  indicator x "X" { from d "x" }\n}\n'
    )
    outcome = cli.invoke(main, ["check", str(definition)])
    assert outcome.exit_code == 1
    assert 'error[E415]: no data file of the index has the column "region"' in (
        outcome.stderr
    )
    # The definition alone has no problem.
    assert cli.invoke(main, ["check", "--no-data", str(definition)]).exit_code == 0
