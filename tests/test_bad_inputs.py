"""The catalogue of bad inputs: every case answers with its expected message.

Each ``tests/bad_inputs/**/NAME.aix`` (files under ``parts/`` and ``data/`` are
their helpers) is run with ``aix run``; the exit code and everything printed to
stderr must equal ``NAME.out``. A case's first lines may hold directives:
``# args: -o out.csv`` adds options, ``# env: NAME=VALUE`` sets a variable.
The repository's folder is written ``<root>`` in the expected files.

To write the expected files after a deliberate change of wording, run
``AIX_UPDATE_CATALOGUE=1 pytest tests/test_bad_inputs.py`` and read the diff.
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

import polars as pl
import pytest

from aiindex_dsl import syntax
from aiindex_dsl.cli import main
from aiindex_dsl.diagnostics import AixError

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "tests" / "bad_inputs"
HELPERS = ("parts", "data")
CASES = sorted(
    path
    for path in CATALOGUE.rglob("*.aix")
    if not set(path.relative_to(CATALOGUE).parts) & set(HELPERS)
)


def directives(path: Path) -> tuple[list[str], dict[str, str]]:
    """The options and environment a case asks for in its first lines."""
    args: list[str] = []
    env: dict[str, str] = {}
    for line in path.read_bytes().splitlines()[:3]:
        text = line.decode("utf-8", "replace")
        if text.startswith("# args:"):
            args += shlex.split(text.removeprefix("# args:"))
        elif text.startswith("# env:"):
            name, value = text.removeprefix("# env:").strip().split("=", 1)
            env[name] = value
    return args, env


def outcome(cli, path: Path) -> str:
    """Exit code and stderr of ``aix run`` on one case, as the .out file has it."""
    args, env = directives(path)
    relative = str(path.relative_to(ROOT))
    result = cli.invoke(main, ["run", relative, *args], env=env)
    stderr = result.stderr.replace(str(ROOT), "<root>")
    return f"exit {result.exit_code}\n{stderr}"


def test_the_catalogue_has_a_case_for_each_item():
    assert len(CASES) >= 60
    kinds = {path.stem.split("_")[0] for path in CASES}
    assert kinds >= {"syntax", "data", "compose", "output", "hostile"}


@pytest.mark.parametrize(
    "path", CASES, ids=[str(p.relative_to(CATALOGUE)) for p in CASES]
)
def test_case(cli, path, monkeypatch):
    monkeypatch.chdir(ROOT)
    got = outcome(cli, path)
    expected_file = path.with_suffix(".out")
    if os.environ.get("AIX_UPDATE_CATALOGUE"):
        expected_file.write_text(got, encoding="utf-8")
    assert got == expected_file.read_text(encoding="utf-8")
    assert "Traceback" not in got
    assert got.splitlines()[0] in ("exit 0", "exit 1")


def test_accepted_layouts_parse_to_the_same_tree():
    plain = (CATALOGUE / "syntax_tabs_accepted.aix").read_text().replace("\t", "  ")
    for name in ("crlf", "bom", "cr", "tabs"):
        text = syntax.read_source(str(CATALOGUE / f"syntax_{name}_accepted.aix"))
        body = text.split("\n", 1)[1].replace("\t", "  ")
        assert body == plain.split("\n", 1)[1]
        assert syntax.parse_tree(text).data == "start"


# ---- outputs ------------------------------------------------------------------


def test_a_failed_run_leaves_the_earlier_output_intact(cli, tmp_path, monkeypatch):
    good = _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    output = tmp_path / "results.csv"
    assert cli.invoke(main, ["run", str(good), "-o", str(output)]).exit_code == 0
    before = output.read_bytes()
    assert b"US" in before

    (tmp_path / "data.csv").write_text("unit,year,gdp\nUS,2024,80\nCN,2024,1%\n")
    failed = cli.invoke(main, ["run", str(good), "-o", str(output)])
    assert failed.exit_code == 1
    assert "`1%` is not a number" in failed.stderr
    assert output.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".aix-")] == []


def test_a_failure_while_writing_leaves_no_partial_file(cli, tmp_path, monkeypatch):
    good = _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    output = tmp_path / "results.parquet"
    output.write_bytes(b"earlier results")

    def broken(frame, path, *args, **kwargs):
        Path(path).write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", broken)
    # The long table is streamed to the file (sink_parquet), not written whole.
    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", broken)
    result = cli.invoke(main, ["run", str(good), "-o", str(output)])
    assert result.exit_code == 1
    assert "cannot write" in result.stderr
    assert "No space left on device" in result.stderr
    assert output.read_bytes() == b"earlier results"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data.csv",
        "index.aix",
        "results.parquet",
    ]


# ---- internal errors ------------------------------------------------------------


def test_an_internal_error_asks_to_be_reported(cli, monkeypatch, root):
    def explode(*args, **kwargs):
        raise ZeroDivisionError("a bug in aix")

    monkeypatch.setattr("aiindex_dsl.compile.normalize", explode)
    path = str(root / "indices" / "us_china.aix")
    quiet = cli.invoke(main, ["run", path])
    assert quiet.exit_code == 3
    assert "internal error; please report it" in quiet.stderr
    assert "aix -v" in quiet.stderr
    assert "Traceback" not in quiet.stderr

    loud = cli.invoke(main, ["-v", "run", path])
    assert loud.exit_code == 3
    assert "Traceback" in loud.stderr
    assert "ZeroDivisionError: a bug in aix" in loud.stderr


def test_wrong_usage_exits_with_2(cli):
    assert cli.invoke(main, ["run"]).exit_code == 2
    assert cli.invoke(main, ["run", "--no-such-option", "x.aix"]).exit_code == 2


# ---- limits ------------------------------------------------------------------------


def test_a_file_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(syntax, "MAX_BYTES", 100)
    path = tmp_path / "big.aix"
    path.write_text("# " + "x" * 200 + "\nindex t { }\n")
    with pytest.raises(AixError) as raised:
        syntax.read_source(str(path))
    assert raised.value.diagnostics[0].code == "E102"
    assert "larger than 100 bytes" in raised.value.diagnostics[0].message


def test_more_nodes_than_the_limit_are_refused(monkeypatch):
    monkeypatch.setattr(syntax, "MAX_NODES", 50)
    text = "index t {\n" + "".join(f"  indicator x{i}\n" for i in range(51)) + "}\n"
    with pytest.raises(AixError) as raised:
        syntax.parse(text, "many.aix")
    diagnostic = raised.value.diagnostics[0]
    assert diagnostic.code == "E111"
    assert diagnostic.span.line == 52


def test_a_hostile_expression_stays_data(tmp_path):
    from aiindex_dsl.api import load
    from aiindex_dsl.steps.derive import FUNCTIONS

    path = tmp_path / "hostile.aix"
    path.write_text(
        "index t {\n  units { US }\n"
        "  indicator x { derive __import__(os) + exec(1) }\n}\n"
    )
    with pytest.raises(AixError) as raised:
        load(str(path))
    codes = [d.code for d in raised.value.diagnostics]
    messages = " ".join(d.message for d in raised.value.diagnostics)
    assert codes.count("E214") == 2
    assert "`__import__`" in messages
    assert "`exec`" in messages
    assert set(FUNCTIONS) == {"log", "log10", "sqrt", "abs", "exp"}


def _index(folder: Path, csv: str) -> Path:
    (folder / "data.csv").write_text(csv)
    path = folder / "index.aix"
    path.write_text(
        "index t {\n  years 2024\n  units { US CN }\n"
        '  source s { file "data.csv"  year column "year" }\n'
        '  indicator gdp { from s "gdp"  anchors worst 0 best 100 }\n}\n'
    )
    return path


@pytest.mark.parametrize("label", list(syntax.EXAMPLES))
def test_each_labelled_example_gets_its_label(label):
    messages = []
    for snippet in syntax.EXAMPLES[label]:
        with pytest.raises(AixError) as raised:
            syntax.parse(snippet, "example.aix")
        diagnostic = raised.value.diagnostics[0]
        assert diagnostic.span.file == "example.aix"
        messages.append(diagnostic.message)
    assert all(message.endswith(label) for message in messages), messages


# ---- confinement -------------------------------------------------------------------


def test_a_link_leading_out_of_the_project_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("AIX_ALLOW_OUTSIDE", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    (project / "aix.toml").write_text("")
    _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    (project / "data.csv").symlink_to(tmp_path / "data.csv")
    (project / "index.aix").write_text((tmp_path / "index.aix").read_text())

    from aiindex_dsl.api import load

    with pytest.raises(AixError) as raised:
        load(str(project / "index.aix")).run()
    diagnostic = raised.value.diagnostics[0]
    assert diagnostic.code == "E408"
    assert f"lies outside the project {project}" in diagnostic.message

    monkeypatch.setenv("AIX_ALLOW_OUTSIDE", "1")
    assert load(str(project / "index.aix")).run().value("gdp", "US") == 80


def test_the_project_is_the_nearest_folder_with_a_marker(tmp_path):
    from aiindex_dsl.paths import project_root

    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    assert project_root(inner / "x.aix") == inner.resolve()
    (tmp_path / "a" / "pyproject.toml").write_text("")
    assert project_root(inner / "x.aix") == (tmp_path / "a").resolve()


def test_a_file_that_does_not_exist(cli, tmp_path):
    result = cli.invoke(main, ["run", str(tmp_path / "no_such.aix")])
    assert result.exit_code == 1
    assert "error[E101]: no such file" in result.stderr
    assert "Traceback" not in result.output


def _json_record(cli, command: str, path: str, exit_code: int) -> dict:
    """The one record ``aix COMMAND PATH --format json`` prints."""
    import json

    result = cli.invoke(main, [command, path, "--format", "json"])
    assert result.exit_code == exit_code
    [record] = json.loads(result.stdout)["diagnostics"]
    return record


def test_problems_as_json_carry_code_span_and_hints(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = "tests/bad_inputs/data_thousands_separator.aix"
    record = _json_record(cli, "run", path, 1)
    assert record["code"] == "E410"
    assert record["location"] == "tests/bad_inputs/data/thousands.csv:2"
    assert record["span"]["file"] == path
    assert record["span"]["line"] == 12
    assert record["hints"] == ["write the number without separators, as 1234"]


def test_a_warning_at_a_line_carries_its_span_in_json(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = "tests/bad_inputs/data_unit_without_data.aix"
    record = _json_record(cli, "check", path, 0)
    assert (record["code"], record["severity"]) == ("W401", "warning")
    assert record["location"] == f"{path}:5:11"
    assert (record["span"]["file"], record["span"]["line"]) == (path, 5)
    assert record["span"]["column"] == 11


def test_a_path_with_a_null_character_is_refused(tmp_path, monkeypatch):
    from aiindex_dsl.api import load

    path = tmp_path / "child.aix"
    path.write_text('index t extends "a\x00b.aix" {\n}\n')
    for allowed in ("", "1"):
        monkeypatch.setenv("AIX_ALLOW_OUTSIDE", allowed)
        with pytest.raises(AixError) as raised:
            load(str(path))
        assert "holds a null character" in raised.value.diagnostics[0].message


def test_outputs_get_ordinary_permissions(cli, tmp_path):
    good = _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    fresh, kept = tmp_path / "fresh.csv", tmp_path / "kept.csv"
    kept.write_text("earlier")
    kept.chmod(0o640)
    umask = os.umask(0o022)
    try:
        args = ["run", str(good), "-o", str(fresh), "-o", str(kept)]
        assert cli.invoke(main, args).exit_code == 0
    finally:
        os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o644
    assert kept.stat().st_mode & 0o777 == 0o640


def test_a_year_the_index_does_not_score_is_refused(cli, tmp_path):
    good = _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    output = tmp_path / "results.csv"
    for command in (["run", str(good), "-o", str(output)], ["docs", str(good)]):
        result = cli.invoke(main, [*command, "--year", "2023"])
        assert result.exit_code == 1
        assert "E504" in result.stderr
        assert "the years scored are: 2024" in result.stderr
    assert not output.exists()


def test_a_year_asked_of_an_index_without_years_is_refused(cli, tmp_path):
    good = _index(tmp_path, "unit,gdp\nUS,80\nCN,60\n")
    good.write_text(
        good.read_text()
        .replace("  years 2024\n", "")
        .replace('  year column "year" ', " ")
    )
    result = cli.invoke(main, ["run", str(good), "--year", "2023"])
    assert result.exit_code == 1
    assert "E504" in result.stderr
    assert "one period without a year: leave --year out" in result.stderr


def test_an_appendix_of_unknown_format_is_refused_before_any_work(cli, tmp_path):
    good = _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    output = tmp_path / "appendix.docx"
    result = cli.invoke(main, ["docs", str(good), "-o", str(output)])
    assert result.exit_code == 1
    assert "E501" in result.stderr
    assert "cannot tell the format of" in result.stderr
    assert not output.exists()
    named = cli.invoke(main, ["docs", str(good), "-o", str(output), "--format", "md"])
    assert named.exit_code == 0
    assert output.read_text(encoding="utf-8").startswith("#")


def test_warnings_are_shown_when_the_run_then_fails(cli, tmp_path):
    (tmp_path / "data.csv").write_text("unit,year,gdp\nUS,2024,80\n")
    path = tmp_path / "index.aix"
    path.write_text(
        "index t {\n  years 2024\n  units { US CN }\n"
        '  source s { file "data.csv"  year column "year" }\n'
        '  indicator gdp { from s "gdp"  anchors worst 0 best 100 }\n'
        "  expect composite CN 50\n}\n"
    )
    result = cli.invoke(main, ["run", str(path)])
    assert result.exit_code == 1
    assert "E601" in result.stderr
    assert "warning:" in result.stderr
    assert "CN" in result.stderr.split("E601")[0]


def test_outputs_are_written_all_or_none(cli, tmp_path):
    """One output that cannot be written: none of the others is written, and
    an earlier file stays as it was."""
    good = _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    fresh, kept = tmp_path / "fresh.parquet", tmp_path / "kept.csv"
    kept.write_text("earlier")
    outputs = ["-o", str(fresh), "-o", str(kept), "-o", str(tmp_path / "no" / "x.csv")]
    result = cli.invoke(main, ["run", str(good), *outputs])
    assert result.exit_code == 1
    assert "E502" in result.stderr
    assert not fresh.exists()
    assert kept.read_text() == "earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data.csv",
        "index.aix",
        "kept.csv",
    ]


def test_a_run_whose_expectation_fails_writes_nothing(cli, tmp_path):
    good = _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    text = good.read_text().replace("\n}\n", "\n  expect composite US 10\n}\n")
    good.write_text(text)
    output = tmp_path / "results.csv"
    result = cli.invoke(main, ["run", str(good), "-o", str(output)])
    assert result.exit_code == 1
    assert "E601" in result.stderr
    assert not output.exists()


def test_an_output_that_is_a_folder_replaces_no_other(cli, tmp_path):
    good = _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    kept, folder = tmp_path / "kept.json", tmp_path / "out.csv"
    kept.write_text("earlier")
    folder.mkdir()
    result = cli.invoke(main, ["run", str(good), "-o", str(kept), "-o", str(folder)])
    assert result.exit_code == 1
    assert "it is a folder" in result.stderr
    assert kept.read_text() == "earlier"


def test_an_output_through_a_link_replaces_the_file_it_points_to(cli, tmp_path):
    good = _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    target, link = tmp_path / "target.csv", tmp_path / "link.csv"
    target.write_text("earlier")
    link.symlink_to(target.name)
    result = cli.invoke(main, ["run", str(good), "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert target.read_text().startswith("unit,name,year,node,")


def test_an_output_that_is_a_named_pipe_is_written_into_not_replaced(cli, tmp_path):
    import threading

    good = _index(tmp_path, "unit,year,gdp\nUS,2024,80\nCN,2024,60\n")
    pipe = tmp_path / "out.csv"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()))
    reader.start()
    result = cli.invoke(main, ["run", str(good), "-o", str(pipe)])
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert received[0].startswith("unit,name,year,node,")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data.csv",
        "index.aix",
        "out.csv",
    ]


def test_a_reader_that_closes_the_pipe_ends_the_run_quietly(tmp_path):
    """`aix run ... -o out.csv | head`: the file is written, and the run ends
    as a closed pipe ends a program (128 + SIGPIPE), without an error."""
    import subprocess
    import sys

    output = tmp_path / "out.csv"
    command = "from aiindex_dsl.cli import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", command, "run", "indices/us_china.aix", "-o", output],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "error" not in stderr
    assert output.read_text().startswith("unit,name,year,node,")


def test_check_of_an_index_extending_a_catalogue_names_the_catalogue(cli):
    path = "tests/bad_inputs/compose_extends_catalogue.aix"
    result = cli.invoke(main, ["check", path])
    assert result.exit_code == 1
    assert f"{path}:2:17: error[E303]" in result.stderr
    assert "parts/catalogue.aix holds no `index` block" in result.stderr


def test_the_run_table_shows_markup_and_control_characters_as_written(cli, tmp_path):
    """Names that look like Rich's markup stay text (no style, no link), and a
    control character cannot drive the terminal."""
    (tmp_path / "data.csv").write_text("unit,x\nA,1\nB,2\n")
    path = tmp_path / "index.aix"
    path.write_text(
        'index t "[bold red]Title[/]" {\n'
        '  units { A "[blink]Alpha[/blink]"  B "Beta\\x1b[2J" }\n'
        '  source s { file "data.csv" }\n'
        '  indicator x "[link=https://example.org]X[/link]" { from s "x" }\n}\n'
    )
    result = cli.invoke(main, ["run", str(path)])
    assert result.exit_code == 0, result.output
    for written in (
        "[bold red]Title[/]",
        "[blink]Alpha[/blink]",
        "[link=https://example.org]X[/link]",
        "Beta\\x1b[2J",
    ):
        assert written in result.stdout
    assert "\x1b" not in result.stdout


def test_a_header_with_control_characters_is_shown_escaped(cli, tmp_path):
    path = _index(tmp_path, "unused")
    (tmp_path / "data.csv").write_text("unit,year,g\x1b[2Jdp\nUS,2024,80\n")
    result = cli.invoke(main, ["run", str(path)])
    assert result.exit_code == 1
    assert "E404" in result.stderr
    assert "g\\x1b[2Jdp" in result.stderr
    assert "\x1b" not in result.stderr
