"""The ``aix`` command: check, run, plan, fmt, docs and schema.

Exit codes: 0 success; 1 a problem in the user's input (definition, data, a
failed expectation, an unwritable output); 2 wrong usage of the command; 3 an
internal error of aix (with the traceback under ``-v``); 141 the reader of the
output closed it.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import re
import sys
import traceback
import warnings
from pathlib import Path

import click
from rich.console import Console

from .diagnostics import (
    AixError,
    AixWarning,
    Diagnostic,
    render_json,
    render_text,
    visible,
)

INTERNAL_ERROR = 3
# 128 + SIGPIPE, as the shell reports a program a closed pipe ends.
BROKEN_PIPE = 141


class WrongUseError(AixError):
    """Options that contradict each other: wrong use of the command (exit
    status 2, as click gives an unknown option), told as a problem with a
    code and hints."""

    exit_code = 2


# Tables written to a file or a pipe take the width they need (up to this),
# not 80 columns, so that no name or heading is cut short.
PIPE_WIDTH = 1000


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else PIPE_WIDTH
    return _Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


class _Console(Console):
    """Rich's console, but a closed pipe is left to :func:`guarded` (Rich
    would exit with status 1, which means a problem in the input)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def guarded(command):
    """Turn aix's errors into their text and exit code; anything else into a short
    request to report it (the traceback only with ``-v``). Warnings are shown
    on stderr, or, with ``--format json``, in the JSON document where one is
    printed."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        context = click.get_current_context()
        fmt = context.params.get("format", "text")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", AixWarning)
                context.meta[CAUGHT] = caught
                try:
                    return command(*args, **kwargs)
                except AixError as error:
                    _report(error, fmt)
                    context.exit(error.exit_code)
                finally:
                    _show_warnings()
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            _reader_gone(context)
        except Exception:
            click.echo(
                "aix: internal error; please report it with the file that caused it.",
                err=True,
            )
            if context.find_root().params.get("verbose"):
                click.echo(traceback.format_exc(), err=True)
            else:
                click.echo("(run again with `aix -v ...` to see the details)", err=True)
            context.exit(INTERNAL_ERROR)

    return wrapper


def _reader_gone(context) -> None:
    """The program reading the output (``aix run ... | head``) has closed it:
    stop quietly, with the status of a process that a broken pipe ends."""
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), sys.stdout.fileno())
    context.exit(BROKEN_PIPE)


# Where the command's context keeps the warnings caught, and whether they
# have been shown (as text or in a JSON document).
CAUGHT = "aix.warnings"
SHOWN = "aix.warnings_shown"


def _report(error: AixError, fmt: str) -> None:
    if fmt == "json":
        _echo_json(error.diagnostics)
        return
    # Before the problems: a warning often explains them.
    _show_warnings()
    click.echo(render_text(error.diagnostics), err=True)
    count = len(error.diagnostics)
    click.echo(f"\n{counted(count, 'problem')} found", err=True)


def _echo_json(diagnostics: list) -> None:
    """Print the problems and the warnings caught as one JSON document."""
    context = click.get_current_context()
    found = [w.message.as_diagnostic() for w in _caught(context)]
    click.echo(render_json([*diagnostics, *found]))
    context.meta[SHOWN] = True


def _show_warnings() -> None:
    """Print the warnings caught on stderr, unless they have been shown."""
    context = click.get_current_context()
    if context.meta.get(SHOWN):
        return
    for warning in _caught(context):
        click.echo(f"warning: {visible(str(warning.message))}", err=True)
    context.meta[SHOWN] = True


def _caught(context) -> list:
    caught = context.meta.get(CAUGHT, [])
    return [w for w in caught if issubclass(w.category, AixWarning)]


class Day(click.ParamType):
    """A calendar day written YYYY-MM-DD; a wrong one is told apart from a
    wrong form (``2026-02-30``: February has no 30th)."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime.date):
            return value
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            self.fail(f"{value!r} is not written YYYY-MM-DD, as 2026-12-04", param, ctx)
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as error:
            self.fail(f"{value!r} is not a day of the calendar ({error})", param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors."
)
@click.version_option(package_name="aiindex-dsl", prog_name="aix")
def main(verbose: bool) -> None:
    """aix: define a composite index in one .aix file; check, run and document it."""


@main.command(name="check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="How to print problems and warnings.",
)
@click.option(
    "--data/--no-data",
    default=True,
    help="Also read and check the data files each definition reads, as run "
    "does, without scoring (the default), or check the definitions alone.",
)
@guarded
def check_command(files: tuple[str, ...], format: str, data: bool) -> None:
    """Report every problem of each FILE, at its line, with hints."""
    from .api import load

    problems = []
    for file in files:
        try:
            definition = load(file)
        except AixError as error:
            problems.extend(_catalogue_problems(file, error))
            continue
        if data:
            # As a run would: the data read and checked, and the scores
            # computed, which some problems show only once they are (a
            # geometric mean of negative z-scores, a column to impute by
            # that no file has). The results are not shown.
            try:
                definition.run()
            except AixError as error:
                problems.extend(error.diagnostics)
    if problems:
        raise AixError(problems)
    if format == "json":
        _echo_json([])
    else:
        click.echo(f"{counted(len(files), 'file')} checked: no problems")


def _catalogue_problems(file: str, error: AixError) -> list:
    """The problems of ``file``: those of ``error``, unless it only says the
    file holds no index, when the file is checked as a catalogue of sources
    (the files ``include`` reads)."""
    from .compose import load_catalogue

    about_itself = [d.code for d in error.diagnostics if d.span is None] == ["E303"]
    if len(error.diagnostics) != 1 or not about_itself:
        return error.diagnostics
    try:
        load_catalogue(file)
    except AixError as inner:
        return inner.diagnostics
    return []


@main.command(name="run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    help="Write results to a .csv, .parquet, .json or .ndjson file (repeatable).",
)
@click.option(
    "--wide", is_flag=True, help="Write one row per unit and year instead of long."
)
@click.option("--year", type=int, help="Show and write only this year.")
@click.option(
    "--format",
    "format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="How to print problems.",
)
@guarded
def run_command(file: str, outputs, wide: bool, year: int | None, format: str) -> None:
    """Compute every score of FILE, print a summary and check its expectations."""
    from .api import load
    from .render.files import refuse_formats, refuse_inputs, write_tables
    from .render.table import outcomes, summary

    refuse_formats(list(outputs))
    if wide and not outputs:
        raise WrongUseError(
            [
                Diagnostic(
                    "E506",
                    "--wide shapes the files -o writes, and none is named",
                    None,
                    ("add `-o results.csv`, or leave out --wide",),
                )
            ]
        )
    definition = load(file)
    refuse_inputs(list(outputs), definition.inputs())
    results = definition.run()
    years = results.years()
    # Checked on every year, whichever one the table shows.
    checked = results.expectations()
    if year is not None:
        _require_year(year, years)
        results = results.for_year(year)
        years = [year]
    failed = [o for o in checked if not o.passed]
    if not failed:
        # Written before the table is printed, which a closed pipe may stop
        # (`aix run ... -o out.csv | head`); a run that fails writes nothing.
        # The long table is streamed to each file, not held in memory.
        table = results.wide() if wide else results.query()
        write_tables([(table, output) for output in outputs])
    # With JSON for the problems, stdout holds only it: the tables go to stderr.
    console = _console(stderr=format == "json")
    if len(years) > 1:
        console.print(
            f"{len(years)} years scored; the table shows {years[-1]} "
            "(choose another with --year; -o writes them all)"
        )
    if years:
        console.print(summary(results, years[-1]))
    if checked:
        console.print(outcomes(checked, results.index.path))
    if failed:
        raise AixError([o.problem() for o in failed])
    for output in outputs:
        console.print(f"wrote {output}", markup=False)
    if format == "json":
        # No problem: the document lists the warnings, if any.
        _echo_json([])


def _require_year(year: int, years: list) -> None:
    """Refuse a ``--year`` the results do not have, naming those they have."""
    if year in years:
        return
    scored = [str(y) for y in years if y is not None]
    shown = ", ".join(scored) if len(scored) <= 12 else f"{scored[0]} to {scored[-1]}"
    raise AixError(
        [
            Diagnostic(
                "E504",
                f"the index has no results for {year}",
                None,
                (
                    f"the years scored are: {shown}"
                    if shown
                    else "the index scores one period without a year: leave --year out",
                ),
                location="--year",
            )
        ]
    )


@main.command(name="plan")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--unoptimized", is_flag=True, help="Show the plan before optimization.")
@guarded
def plan_command(file: str, unoptimized: bool) -> None:
    """Print the Polars plan that computes FILE."""
    from .api import load

    lazy = load(file).plan()
    click.echo(lazy.explain(optimized=not unoptimized))


@main.command(name="fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Change nothing; list the files that would change and exit 1 if any.",
)
@guarded
def fmt_command(files: tuple[str, ...], check_only: bool) -> None:
    """Lay out each FILE canonically, keeping its comments."""
    from .fmt import format_file
    from .render.files import write_text

    problems, changed = [], []
    for file in files:
        try:
            original, formatted = format_file(file)
        except AixError as error:
            problems.extend(error.diagnostics)
            continue
        if formatted != original:
            changed.append(file)
            if not check_only:
                write_text(formatted, file)
    for file in changed:
        click.echo(f"{'would reformat' if check_only else 'reformatted'} {file}")
    if problems:
        raise AixError(problems)
    if check_only and changed:
        click.get_current_context().exit(1)
    if not changed:
        click.echo(f"{counted(len(files), 'file')} already formatted")


@main.command(name="docs")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    help="Write the appendix to this file (default: print it).",
)
@click.option(
    "--format",
    "format",
    type=click.Choice(["html", "md", "tex"]),
    default=None,
    help="Output format (default: from the output's extension, else html).",
)
@click.option(
    "--date",
    type=Day(),
    help="The date printed on the appendix, YYYY-MM-DD (default: today).",
)
@click.option("--unit", help="The unit of the worked example (default: the top).")
@click.option("--year", type=int, help="The year of the results (default: the last).")
@guarded
def docs_command(file: str, output, format, date, unit, year) -> None:
    """Write the methodology appendix of FILE (HTML, Markdown or LaTeX)."""
    from .api import load
    from .render.docs import appendix
    from .render.files import refuse_inputs, write_text

    fmt = format or _format_of(output)
    if format is not None and output is not None:
        _same_format(output, format)
    day = (date or datetime.date.today()).isoformat()
    definition = load(file)
    refuse_inputs([output] if output else [], definition.inputs())
    if year is not None and definition.ir.years:
        _require_year(year, list(definition.ir.years))
    text = appendix(definition, fmt, day, unit=unit, year=year)
    if output is None:
        click.echo(text, nl=False)
        return
    write_text(text, output)
    _console(stderr=True).print(f"wrote {output}", markup=False)


APPENDIX_SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".tex": "tex",
}


def _format_of(output: str | None) -> str:
    """The appendix format an output's extension names (HTML when printing)."""
    if output is None:
        return "html"
    suffix = Path(output).suffix.lower()
    if suffix in APPENDIX_SUFFIXES:
        return APPENDIX_SUFFIXES[suffix]
    raise AixError(
        [
            Diagnostic(
                "E501",
                f"cannot tell the format of {output}",
                None,
                (
                    "end the file name with one of: " + ", ".join(APPENDIX_SUFFIXES),
                    "or name the format with --format html|md|tex",
                ),
                location=output,
            )
        ]
    )


FORMAT_NAMES = {"html": "HTML", "md": "Markdown", "tex": "LaTeX"}


def _same_format(output: str, fmt: str) -> None:
    """Refuse an output whose extension names another format than ``--format``."""
    path = Path(output)
    named = APPENDIX_SUFFIXES.get(path.suffix.lower())
    if named is None or named == fmt:
        return
    fitting = next(s for s, f in APPENDIX_SUFFIXES.items() if f == fmt)
    message = (
        f"{output} names a {FORMAT_NAMES[named]} file, but --format {fmt} asks "
        f"for {FORMAT_NAMES[fmt]}"
    )
    hints = (
        f"drop --format to write {FORMAT_NAMES[named]}",
        f"or name the file {path.with_suffix(fitting).name}",
    )
    raise WrongUseError([Diagnostic("E501", message, None, hints, location=output)])


@main.command(name="schema")
def schema_command() -> None:
    """Print the JSON Schema of the IR (what a parsed definition holds)."""
    from .ir import Index

    click.echo(json.dumps(Index.model_json_schema(), indent=2))


def counted(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless one: ``3 files``, ``1 problem``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
