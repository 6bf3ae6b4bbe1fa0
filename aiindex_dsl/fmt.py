"""Canonical layout of ``.aix`` text: what ``aix fmt`` writes.

The text is parsed and built into the IR of the one file (before any
``extends`` or ``include`` is composed), and the IR is printed back:
two-space indentation, one statement per line, the header in a fixed order,
then includes, units, groups, sources, variables, the index-wide settings,
the tree, removals and expectations. Comments are collected by the lexer and
kept beside the statement they stand on the line of, or else the one that
follows them; so formatting twice gives the same text as formatting once.

>>> format_text('index x { units { A } dimension d { indicator i { from s "c" } } }')
'index x {\\n  units {\\n    A\\n  }\\n\\n  dimension d {\\n    indicator i {\\n ...
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from lark import Token

from .build import (
    Catalogue,
    collector_paused,
    expression_text,
    number_text,
    owner,
    unquote,
)
from .ir import (
    Expectation,
    Group,
    Index,
    Node,
    Normalization,
    Source,
    Span,
    Unit,
    Variable,
)
from .syntax import is_word, parse_with_comments, read_source

INDENT = "  "
HEADER_ORDER = (
    "version",
    "authors",
    "licence",
    "description",
    "scale",
    "years",
    "ranking",
)
SOURCE_ORDER = (
    "publisher",
    "year",
    "url",
    "retrieved",
    "licence",
    "note",
    "file",
    "format",
    "layout",
    "unit_column",
    "year_column",
    "indicator_column",
    "value_column",
    "missing",
    "unit_codes",
)
# Node settings in the order they are printed, by the builder's statement name.
NODE_ORDER = (
    "description",
    "measure",
    "data",
    "data_year",
    "derive",
    "score_from",
    "weights",
    "aggregate",
    "impute",
    "treat",
    "rollup",
    "transform",
    "direction",
    "normalization",
    "coverage",
    "cites",
)

Spans = dict[tuple[str, ...], Span]


@dataclass
class Line:
    """One printed line, with the source position comments attach to."""

    depth: int
    text: str
    anchor: tuple[int, int] | None = None
    closes: bool = False
    leading: list[str] = field(default_factory=list)
    trailing: list[str] = field(default_factory=list)


def format_text(text: str, path: str = "<text>") -> str:
    """The canonical layout of ``.aix`` text, comments kept.

    Raises :class:`~aiindex_dsl.diagnostics.AixError` if the text does not
    parse or build; the layout of a broken file is left to its author.
    """
    with collector_paused():
        built, spans, comments = parse_with_comments(text, path)
        lines = Printer(spans).file(built)
    tail = attach(lines, comments)
    return render(lines, tail)


def format_file(path: str) -> tuple[str, str]:
    """The text of a ``.aix`` file as it is, and as ``aix fmt`` would write it.

    The first is the file's exact text. A file whose first line ends with
    CRLF keeps CRLF line endings (a Windows checkout is not one to change);
    a byte-order mark is dropped.
    """
    original = read_source(path)
    with open(path, "rb") as handle:
        exact = handle.read().decode("utf-8", errors="replace")
    formatted = format_text(original, path)
    first = exact.split("\n", 1)[0]
    if first.endswith("\r") and "\n" in exact:
        formatted = formatted.replace("\n", "\r\n")
    return exact, formatted


def format_ir(built: Index | Catalogue) -> str:
    """The canonical text of an IR built from one file (no comments)."""
    return render(Printer({}).file(built), [])


# ---- comments ---------------------------------------------------------------


def attach(lines: list[Line], comments: list[Token]) -> list[str]:
    """Attach each comment to a line; return those after the last statement.

    A comment on the same line as a statement, after it, trails that
    statement; any other comment leads the statement that follows it.
    """
    anchored = sorted((line.anchor, n) for n, line in enumerate(lines) if line.anchor)
    positions = [anchor for anchor, _ in anchored]
    tail: list[str] = []
    for comment in comments:
        text = str(comment).rstrip()
        where = (comment.line, comment.column)
        before = bisect.bisect_left(positions, where) - 1
        if before >= 0 and positions[before][0] == comment.line:
            lines[anchored[before][1]].trailing.append(text)
        elif before + 1 < len(anchored):
            lines[anchored[before + 1][1]].leading.append(text)
        else:
            tail.append(text)
    return tail


def render(lines: list[Line], tail: list[str]) -> str:
    """The lines as text, comments in place, ending with one newline."""
    out: list[str] = []
    for line in lines:
        pad = INDENT * line.depth
        inner = INDENT * (line.depth + 1) if line.closes else pad
        leading = list(line.leading)
        trailing = line.trailing
        if trailing and "\n" in line.text:
            leading, trailing = leading + trailing, []
        out += [inner + comment for comment in leading]
        text = pad + line.text if line.text else ""
        if trailing:
            text += "  " + " ".join(trailing)
        out.append(text)
    out += tail
    return "\n".join(out) + "\n"


# ---- the printer ------------------------------------------------------------


def _start(span: Span | None) -> tuple[int, int] | None:
    return (span.line, span.column) if span is not None else None


def _end(span: Span | None) -> tuple[int, int] | None:
    return (span.end_line, span.end_column - 1) if span is not None else None


def _join(paragraphs: list[list[Line]]) -> list[Line]:
    lines: list[Line] = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        if lines:
            lines.append(Line(0, ""))
        lines += paragraph
    return lines


class Printer:
    """Prints the IR of one file as canonical text lines."""

    def __init__(self, spans: Spans):
        self.spans = spans

    def at(self, *key: str) -> tuple[int, int] | None:
        """The start of the statement recorded under ``key``, if any."""
        return _start(self.spans.get(key))

    def file(self, built: Index | Catalogue) -> list[Line]:
        """Every line of a file: an index or a catalogue."""
        if isinstance(built, Catalogue):
            return self.catalogue(built)
        return self.index(built)

    def catalogue(self, catalogue: Catalogue) -> list[Line]:
        """A file of shared declarations."""
        paragraphs = [self.units(catalogue.units, 0, ())]
        paragraphs += [self.source(s, 0) for s in catalogue.sources]
        paragraphs.append([self.variable(v, 0) for v in catalogue.variables])
        return _join(paragraphs)

    def index(self, index: Index) -> list[Line]:
        """An index block: header, declarations, settings, tree, expectations."""
        head = f"index {index.id}"
        if index.title is not None:
            head += f" {quote(index.title, 0)}"
        if index.extends is not None:
            head += f" extends {quote(index.extends, 0)}"
        paragraphs = [
            self.header(index),
            [
                Line(
                    1, f"include {quote(path, 1)}", self.at("index", "include", str(n))
                )
                for n, path in enumerate(index.includes)
            ],
            self.units(index.units, 1, ("index",)),
            [self.units_from(index)] if index.units_from else [],
        ]
        if index.unranked:
            paragraphs[-1].append(self.unranked(index))
        paragraphs += [self.group(group) for group in index.groups]
        paragraphs += [self.source(source, 1) for source in index.sources]
        paragraphs.append([self.variable(v, 1) for v in index.variables])
        paragraphs.append(self.settings(index.root, 1, ("index",), skip=True))
        paragraphs += self.children(index.root, 1)
        paragraphs.append([self.removal(r) for r in index.removals])
        paragraphs.append([self.expectation(e) for e in index.expectations])
        body = _join(paragraphs)
        opening = Line(0, head + " {", _start(index.span))
        return [opening, *body, Line(0, "}", _end(index.span), closes=True)]

    # ---- header, units, groups ----------------------------------------------

    def header(self, index: Index) -> list[Line]:
        """The header fields that were written, in a fixed order."""
        lines = []
        for name in HEADER_ORDER:
            text = self.header_field(index, name)
            if text is not None:
                lines.append(Line(1, text, self.at("index", name)))
        return lines

    def header_field(self, index: Index, name: str) -> str | None:
        """One header statement, or None when it was not written."""
        value = getattr(index, name)
        if name == "description":
            return None if value is None else f"description {quote(value, 1)}"
        if name not in index.model_fields_set or value in (None, ()):
            return None
        if name == "authors":
            return "authors " + " ".join(quote(a, 1) for a in value)
        if name == "scale":
            return f"scale {number_text(value.low)} to {number_text(value.high)}"
        if name == "years":
            return "years " + years_text(value)
        if name == "ranking":
            unit = "decimal" if value.decimals == 1 else "decimals"
            return f"ranks rounded to {value.decimals} {unit}"
        return f"{name} {quote(value, 1)}"

    def units(self, units: tuple[Unit, ...], depth: int, owner) -> list[Line]:
        """A ``units { ... }`` block listing each unit on its own line."""
        if not units:
            return []
        span = self.spans.get((*owner, "units", "0"))
        lines = [Line(depth, "units {", _start(span))]
        for unit in units:
            text = unit.code
            if unit.name is not None:
                text += f" {quote(unit.name, depth + 1)}"
            lines.append(Line(depth + 1, text, _start(unit.span)))
        lines.append(Line(depth, "}", _end(span), closes=True))
        return lines

    def units_from(self, index: Index) -> Line:
        """``units from SOURCE code "column" [name "column"]``."""
        spec = index.units_from
        text = f"units from {spec.source} code {quote(spec.code_column, 1)}"
        if spec.name_column is not None:
            text += f" name {quote(spec.name_column, 1)}"
        return Line(1, text, _start(spec.span))

    def unranked(self, index: Index) -> Line:
        """``unranked CODE ...``: every code listed, on one line."""
        codes = " ".join(code_text(unit.code) for unit in index.unranked)
        return Line(1, f"unranked {codes}", self.at("index", "unranked", "0"))

    def group(self, group: Group) -> list[Line]:
        """A group block: its members and how their values roll up."""
        head = f"group {group.code}"
        if group.name is not None:
            head += f" {quote(group.name, 1)}"
        body = []
        if group.members:
            text = "members " + " ".join(code_text(m) for m in group.members)
            body.append(Line(2, text, self.at(*owner(group.span), "members")))
        if group.rollup != "sum" or group.by is not None:
            text = f"rollup {group.rollup}" + (f" by {group.by}" if group.by else "")
            body.append(Line(2, text, self.at(*owner(group.span), "rollup")))
        return self.block(1, head, body, group.span)

    def block(
        self, depth: int, head: str, body: list[Line], span, empty: str = " {}"
    ) -> list[Line]:
        """``head {``, the body, ``}``; or ``head`` and ``empty`` without a body."""
        if not body:
            return [Line(depth, head + empty, _start(span))]
        closing = Line(depth, "}", _end(span), closes=True)
        return [Line(depth, head + " {", _start(span)), *body, closing]

    # ---- sources and variables ----------------------------------------------

    def source(self, source: Source, depth: int) -> list[Line]:
        """A source block: its citation, then how its file is read."""
        head = f"source {source.id}"
        if source.title is not None:
            head += f" {quote(source.title, depth)}"
        body = []
        for name in SOURCE_ORDER:
            value = getattr(source, name)
            if name in source.model_fields_set and value not in (None, ()):
                text = self.source_field(name, value, depth + 1)
                body.append(Line(depth + 1, text, self.at(*owner(source.span), name)))
        return self.block(depth, head, body, source.span)

    def source_field(self, name: str, value, depth: int) -> str:
        """One statement of a source block."""
        if name == "year":
            return f"year {value}"
        if name == "retrieved":
            return f"retrieved {value.isoformat()}"
        if name in ("format", "layout"):
            return f"{name} {value.replace('_by_', ' by ')}"
        if name == "missing":
            return "missing " + " ".join(quote(m, depth) for m in value)
        if name == "unit_codes":
            pairs = "  ".join(f"{code_text(a)} {code_text(b)}" for a, b in value)
            return f"unit codes {{ {pairs} }}"
        keyword = name.replace("_", " ")
        return f"{keyword} {quote(value, depth)}"

    def variable(self, variable: Variable, depth: int) -> Line:
        """``variable ID ["Title"] from SOURCE "column"``."""
        text = f"variable {variable.id}"
        if variable.title is not None:
            text += f" {quote(variable.title, depth)}"
        text += f" from {variable.source} {quote(variable.column, depth)}"
        if variable.rollup is not None:
            text += f" {rollup_text(variable.rollup)}"
        return Line(depth, text, _start(variable.span))

    # ---- the tree -----------------------------------------------------------

    def node(self, node: Node, depth: int) -> list[Line]:
        """A dimension or indicator: its line, settings and children."""
        head = f"{node.kind} {node.id}"
        if node.title is not None:
            head += f" {quote(node.title, depth)}"
        if node.weight is not None:
            head += f" weight {weight_text(node.weight)}"
        settings = self.settings(node, depth + 1, owner(node.span))
        body = _join([settings, *self.children(node, depth + 1)])
        return self.block(depth, head, body, node.span, empty="")

    def children(self, node: Node, depth: int) -> list[list[Line]]:
        """The children as paragraphs: each dimension alone, indicators together."""
        paragraphs: list[list[Line]] = []
        after_indicator = False
        for child in node.children:
            lines = self.node(child, depth)
            if child.kind == "indicator" and after_indicator:
                paragraphs[-1] += lines
            else:
                paragraphs.append(lines)
            after_indicator = child.kind == "indicator"
        return paragraphs

    def settings(self, node: Node, depth: int, owner, skip: bool = False) -> list[Line]:
        """The settings a node writes, in a fixed order.

        ``skip`` leaves out the description and weight of the root, which the
        index header already prints.
        """
        lines = []
        if skip and node.weight is not None:
            text = f"weight {weight_text(node.weight)}"
            lines.append(Line(depth, text, self.at(*owner, "weight")))
        for name in NODE_ORDER:
            if skip and name == "description":
                continue
            value = getattr(node, name)
            if value not in (None, ()):
                text = setting_text(name, value, depth)
                lines.append(Line(depth, text, self.at(*owner, name)))
        return lines

    # ---- removals and expectations ------------------------------------------

    def removal(self, removal) -> Line:
        """``remove KIND ID``."""
        text = f"remove {removal.what} {code_text(removal.id)}"
        return Line(1, text, _start(removal.span))

    def expectation(self, expectation: Expectation) -> Line:
        """``expect NODE UNIT VALUE [points] [within T] [in YEAR]``."""
        text = f"expect {expectation.node} {code_text(expectation.unit)} "
        text += decimal_text(expectation.value, expectation.decimals)
        if expectation.points:
            text += " points"
        if expectation.tolerance is not None:
            text += f" within {number_text(expectation.tolerance)}"
        if expectation.year is not None:
            text += f" in {expectation.year}"
        return Line(1, text, _start(expectation.span))


# ---- statements and literals ------------------------------------------------


def setting_text(name: str, value, depth: int) -> str:
    """One node setting as a statement."""
    if name == "description":
        return f"description {quote(value, depth)}"
    if name == "measure":
        return f"unit {quote(value, depth)}"
    if name == "data_year":
        return f"year {value}"
    if name in ("data", "score_from"):
        keyword = "from" if name == "data" else "score from"
        return f"{keyword} {value.source} {quote(value.selector, depth)}"
    if name == "derive":
        return f"derive {expression_text(value.expr)}"
    if name == "normalization":
        return normalization_text(value, depth)
    if name == "coverage":
        return f"coverage {share_text(value.share)}"
    if name == "cites":
        return "cite " + " ".join(value)
    if name == "rollup":
        return rollup_text(value)
    text = f"{name} {value.value}"
    if value.argument is not None:
        text += f" by {quote(value.argument, depth)}"
    return text


def rollup_text(setting) -> str:
    """``rollup METHOD [by VARIABLE]``: how a series rolls up into groups."""
    by = f" by {setting.argument}" if setting.argument is not None else ""
    return f"rollup {setting.value}{by}"


def normalization_text(norm: Normalization, depth: int) -> str:
    """``anchors worst W best B [unclipped] ["why"]`` or ``normalize METHOD [T]``."""
    if norm.anchors is None:
        text = f"normalize {norm.method}"
        if norm.target is not None:
            text += f" {number_text(norm.target)}"
        return text
    anchors = norm.anchors
    text = (
        f"anchors worst {number_text(anchors.worst)} best {number_text(anchors.best)}"
    )
    if not anchors.clip:
        text += " unclipped"
    if anchors.rationale is not None:
        text += f" {quote(anchors.rationale, depth)}"
    return text


def weight_text(weight) -> str:
    """A weight as written: ``20%`` or ``0.2``."""
    return number_text(weight.value) + ("%" if weight.percent else "")


def share_text(share: float) -> str:
    """A coverage share as a percent when that reads back exactly, else a fraction."""
    for percent in (round(share * 100, 9), share * 100):
        text = number_text(percent)
        if float(text) / 100 == share:
            return text + "%"
    return number_text(share)


def decimal_text(value: float, decimals: int) -> str:
    """A number written with exactly ``decimals`` decimals, when that is exact.

    >>> decimal_text(8.9, 1), decimal_text(45.0, 2)
    ('8.9', '45.00')
    """
    fixed = f"{value:.{decimals}f}"
    if float(fixed) == value:
        return fixed
    return number_text(value)


def years_text(years: tuple[int, ...]) -> str:
    """``2024``, ``2000 to 2024`` for a run of years, or a list of years."""
    first, last = years[0], years[-1]
    if len(years) > 1 and years == tuple(range(first, last + 1)):
        return f"{first} to {last}"
    return " ".join(str(year) for year in years)


def code_text(code: str) -> str:
    """A unit's code as written: as a name if it reads back as one, else in
    quotes (``"ZZK.WORLD"``, ``"year"``)."""
    return code if is_word(code) else quote(code, 0)


def quote(text: str, depth: int) -> str:
    """A string literal for ``text``; several lines become a triple-quoted block."""
    if "\n" in text and '"""' not in text and not _CONTROL.search(text):
        pad = INDENT * (depth + 1)
        body = "\n".join(pad + line if line else "" for line in text.split("\n"))
        literal = f'"""\n{body}\n{INDENT * depth}"""'
        if _reads_back(literal, text):
            return literal
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'


# Characters a triple-quoted block cannot show: they are written as escapes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _reads_back(literal: str, text: str) -> bool:
    return unquote(Token("STRING", literal)) == text


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}
_ESCAPES.update({chr(c): f"\\x{c:02x}" for c in range(32) if chr(c) not in _ESCAPES})
_ESCAPES["\x7f"] = "\\x7f"
