"""``aix docs``: the methodology appendix, written from the IR and the results.

One self-contained HTML page (styles and SVG charts inline, formulas in
MathML, no scripts, no fetches, a print stylesheet), or the same content as
Markdown or LaTeX. Templates are rendered by Jinja2 with ``StrictUndefined``,
so a field the template expects and the content lacks fails the render, and
every piece of text from a ``.aix`` or data file is escaped for the format
(HTML by autoescape; Markdown and LaTeX by a ``finalize`` hook that escapes
whatever is not marked as already formatted).

The same inputs give the same bytes: the date is passed in, charts are
written with a fixed hash salt and no timestamp.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter, LatexFormatter

from ..diagnostics import AixError, Diagnostic, did_you_mean
from ..ir import Index
from ..resolve import resolve
from ..results import Results
from . import changes, charts, content, formulas, worked
from .lexer import AixLexer

FORMATS = ("html", "md", "tex")
TEMPLATES = Path(__file__).parent / "templates"


class Raw(str):
    """Text already written in the output format (MathML, LaTeX, a chart)."""

    __slots__ = ()


def appendix(
    definition,
    fmt: str = "html",
    date: str = "",
    unit: str | None = None,
    year: int | None = None,
) -> str:
    """Run a loaded definition (and the one it extends) and write its appendix.

    >>> # appendix(aiindex_dsl.load("indices/us_china.aix"), "html", "2026-01-01")
    """
    from ..api import load

    index = definition.ir
    parent_file = changes.parent_path(index)
    parent = load(str(parent_file)).ir if parent_file is not None else None
    results = definition.run()
    # An appendix documents results that reproduce what the definition
    # expects, as `aix run` writes only those.
    failed = [o for o in results.expectations() if not o.passed]
    if failed:
        raise AixError([o.problem() for o in failed])
    return render(index, results, fmt, date, unit, year, parent)


def render(
    index: Index,
    results: Results,
    fmt: str = "html",
    date: str = "",
    unit: str | None = None,
    year: int | None = None,
    parent: Index | None = None,
) -> str:
    """The appendix as text in ``fmt`` (``html``, ``md`` or ``tex``).

    ``parent`` is the index this one extends, already loaded, when it does.
    """
    _check_unit(results, unit)
    sections = gather(index, results, date, unit, year)
    sections["changes"] = _changes(parent, index)
    sections["listings"] = _listings(index, sections.pop("files"), fmt)
    if fmt == "html":
        sections["css"] = Markup(_pygments_css())
    if fmt == "tex":
        sections["preamble"] = Raw(LatexFormatter().get_style_defs())
    env = _environment(fmt, content.extra_decimals(index), index.ranking.decimals)
    return env.get_template(f"appendix.{fmt}").render(**sections)


def gather(index: Index, results: Results, date: str, unit=None, year=None) -> dict:
    """Every section of the appendix but the comparison with a parent and the
    definition's text, as plain data for the templates."""
    resolved = resolve(index)
    year = content.latest_year(results) if year is None else year
    files = content.definition_files(index)
    return {
        "header": content.header_section(index, files, date),
        "framework": content.framework_section(index, resolved),
        "indicators": content.indicator_section(index, resolved),
        "variables": content.variable_section(index),
        "sources": content.source_section(index),
        "method": content.method_section(index, resolved, results),
        "year": "" if year is None else str(year),
        "coverage": content.coverage_section(index, results, year),
        "results": content.results_section(index, results, year),
        "checks": content.checks_section(index, results),
        "worked": worked.worked_section(index, resolved, results, year, unit),
        "files": files,
    }


def _check_unit(results: Results, unit: str | None) -> None:
    if unit is None:
        return
    known = results.long["unit"].unique(maintain_order=True).to_list()
    if unit in known:
        return
    raise AixError(
        [
            Diagnostic(
                "E505",
                f"unit `{unit}` is not scored by this index",
                None,
                did_you_mean(unit, known) or (f"units: {', '.join(known[:12])}",),
                location=results.index.path,
            )
        ]
    )


def _changes(parent: Index | None, index: Index) -> dict | None:
    if parent is None:
        return None
    found = changes.compare(parent, index)
    found["empty"] = changes.is_empty(found)
    return found


# ---- the definition's text -----------------------------------------------------


def _listings(index: Index, files: list[Path], fmt: str) -> list[dict]:
    listings = []
    for path in files:
        text = path.read_text("utf-8")
        shown = content.display_path(path, index)
        listings.append({"path": shown, "code": _highlighted(text, fmt)})
    return listings


def _highlighted(text: str, fmt: str):
    if fmt == "html":
        formatter = HtmlFormatter(cssclass="aix-source", wrapcode=True)
        return Markup(highlight(text, AixLexer(), formatter))
    if fmt == "tex":
        return Raw(highlight(text, AixLexer(), LatexFormatter()))
    return Raw(text.replace("```", "`\u200b``"))


@cache
def _pygments_css() -> str:
    return HtmlFormatter(style="default").get_style_defs(".aix-source")


# ---- the templates -------------------------------------------------------------


def _environment(
    fmt: str, extra: int = 0, ranked: int | None = None
) -> jinja2.Environment:
    """The templates' environment: ``extra`` decimals for a narrow scale;
    ``ranked``, the decimals ranks are taken at, which scores are shown with
    by default (so that tied ranks show tied scores)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "html":
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            finalize=_visible,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    else:
        escape = escape_md if fmt == "md" else escape_tex
        options = TEX_DELIMITERS if fmt == "tex" else {}
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            finalize=lambda value: _finalized(value, escape),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            **options,
        )
    env.filters.update(
        score=lambda value, decimals=None: format_score(
            value,
            ranked
            if decimals is None and ranked is not None
            else (2 if decimals is None else decimals) + extra,
        ),
        raw=format_raw,
        rank=format_rank,
        share=content.percent,
    )
    env.filters["raw_text"] = Raw
    # A link (see content.LINKABLE: no braces or backslashes) inside \url.
    env.filters["tex_url"] = lambda url: Raw(
        url.replace("%", r"\%").replace("#", r"\#")
    )
    env.filters["code"] = code_md
    return env


TEX_DELIMITERS = {
    "block_start_string": "<%",
    "block_end_string": "%>",
    "variable_start_string": "<<",
    "variable_end_string": ">>",
    "comment_start_string": "<#",
    "comment_end_string": "#>",
}


def _finalized(value, escape) -> str:
    if isinstance(value, Raw):
        return value
    return escape(_visible(str(value)))


def _visible(value):
    """``value`` with any control character (a definition may write one as
    ``\x00``) shown as the replacement character; markup left alone."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return charts.CONTROL.sub("\ufffd", value)
    return value


# Characters that Markdown would read as markup (a dollar sign opens
# mathematics on GitHub and in pandoc). An underscore inside a word
# (`ai_index`) is literal, and so is an ampersand that starts no entity (`R&D`),
# so those are left as written.
MD_SPECIAL = re.compile(
    r"[\\`*\[\]#|<>~$]"
    r"|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])"
    r"|&(?=#?[0-9A-Za-z]+;)"
)
MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def escape_md(text: str) -> str:
    """Text for Markdown: markup characters backslash-escaped, ``<``, ``>`` (and
    an ``&`` that would start an entity) as entities so no HTML passes through,
    newlines as spaces (table cells stay on one line).

    >>> escape_md("a <b> | c_d _e_ R&D &amp;")
    'a &lt;b&gt; \\\\| c_d \\\\_e\\\\_ R&D &amp;amp;'
    """
    text = " ".join(text.split("\n"))
    return MD_SPECIAL.sub(lambda m: MD_ENTITIES.get(m.group(), "\\" + m.group()), text)


def code_md(text: str, cell: bool = False) -> Raw:
    """Text as a Markdown code span: shown as written (no escapes work inside
    one), fenced by more backticks than any run of them in the text. In a table
    ``cell`` a ``|`` is still escaped, as tables split on it first.

    >>> print(code_md("us_china"), code_md("a`b"))
    `us_china` ``a`b``
    """
    text = " ".join(str(text).split("\n"))
    if cell:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return Raw(f"{fence}{padding}{text}{padding}{fence}")


TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def escape_tex(text: str) -> str:
    """Text for LaTeX, every special character escaped; characters beyond
    Latin (and common typography) shown as their code point.

    >>> escape_tex("50% of R&D_x")
    '50\\\\% of R\\\\&D\\\\_x'
    """
    return "".join(TEX_SPECIAL.get(c) or _tex_character(c) for c in text)


TEX_TYPOGRAPHY = "–—‘’“”…·•→≈−×€£°§©®™"


def _tex_character(c: str) -> str:
    """A character pdfLaTeX sets with the preamble's fonts, or its code point
    in brackets (a CJK character, say) so the document still compiles."""
    if ord(c) <= 0x17F or c in TEX_TYPOGRAPHY:
        return c
    return f"[U+{ord(c):04X}]"


# ---- number filters ------------------------------------------------------------


def format_score(value, decimals: int = 2) -> str:
    """A score or points with fixed decimals, rounded half up as published
    tables are; ``n/a`` when missing."""
    if value is None:
        return "n/a"
    return f"{formulas.rounded(value, decimals):,.{decimals}f}"


def format_raw(value) -> str:
    """A raw value as a table would print it: 276,288; 13.03; 109.08."""
    return "n/a" if value is None else formulas.number(value)


def format_rank(value) -> str:
    """A rank, or a dash when the unit has no score."""
    return "–" if value is None else str(value)
