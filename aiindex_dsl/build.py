"""The grammar's rules as IR: one ``.aix`` file, as written, before composition.

The parser (:mod:`.syntax`) calls the :class:`Builder` each time it reduces a
rule, so no parse tree is made. Each rule becomes a :class:`Statement` (a
field name, a value and a span); blocks gather their statements into IR
models. A statement given twice in one block is reported, not silently
overwritten.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import math
import re
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from lark import Token

from .diagnostics import Diagnostic
from .ir import (
    Anchors,
    Binary,
    Call,
    Const,
    Coverage,
    DataRef,
    Derivation,
    Expectation,
    Group,
    Index,
    Node,
    Normalization,
    Ranking,
    Ref,
    Removal,
    Scale,
    Setting,
    Source,
    Span,
    Unary,
    Unit,
    UnitsFrom,
    Unranked,
    Variable,
    Weight,
)

# Statements that may appear once per block, by the IR field they set.
NODE_FIELDS = {
    "description",
    "weight",
    "measure",
    "data_year",
    "data",
    "derive",
    "score_from",
    "normalization",
    "transform",
    "direction",
    "aggregate",
    "impute",
    "treat",
    "rollup",
    "weights",
    "coverage",
    "cites",
}
INDEX_FIELDS = {
    "version",
    "authors",
    "licence",
    "scale",
    "years",
    "ranking",
    "units_from",
}
LIST_FIELDS = {
    "units": "units",
    "unranked": "unranked",
    "group": "groups",
    "source": "sources",
    "variable": "variables",
    "expect": "expectations",
    "include": "includes",
    "remove": "removals",
    "node": "children",
}


@dataclass(slots=True)
class Statement:
    """One statement of a block: the field it sets, its value, where it stands.

    ``height`` counts the dimensions and indicators nested in a ``node``
    statement, itself included (0 for any other statement).
    """

    field: str
    value: Any
    span: Span
    height: int = 0


@dataclass
class Catalogue:
    """A file of shared declarations (sources, variables, units) for ``include``."""

    sources: tuple[Source, ...]
    variables: tuple[Variable, ...]
    units: tuple[Unit, ...]


# Spans are made by the ten thousand; the model's own validator, called with
# their fields, spares the handling of keyword arguments.
_span = Span.__pydantic_validator__.validate_python


class Limits(NamedTuple):
    """The most a file may hold; :mod:`.syntax` reports a file beyond them."""

    nodes: int
    nesting: int
    expression_depth: int
    years: int
    year_digits: int = 6


class LimitReached(Exception):  # noqa: N818 - a signal to the parser, not an error
    """Raised from a rule when the file goes beyond its :class:`Limits`.

    The parse stops there; :mod:`.syntax` finds and reports the exact problem.
    """


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while a file is parsed and built.

    A large definition makes millions of small objects, none of them in
    cycles; the collector's repeated passes over them would cost more than
    the parse itself. Memory is still freed by reference counting, and the
    collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def owner(span: Span | None) -> tuple[str, ...]:
    """The key under which the statements of a block are recorded: its start."""
    return ("block", f"{span.line}:{span.column}") if span is not None else ("",)


def unquote(token: Token) -> str:
    """The text of a string literal: quotes removed, escapes resolved.

    Triple-quoted text loses its common indentation and surrounding blank lines.
    """
    text = str(token)
    if text.startswith('"""'):
        return _dedent(text[3:-3])
    body = text[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE.sub(_unescaped, body)


# The escapes of a one-line string; any other backslash stands for itself
# (``"C:\\data"`` and ``"C:\data"`` are the same text).
_ESCAPE = re.compile(r'\\(["\\nt]|x[0-9a-fA-F]{2})')
_ESCAPED = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def _unescaped(match: re.Match) -> str:
    escape = match.group(1)
    return _ESCAPED.get(escape) or chr(int(escape[1:], 16))


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def to_number(token: Token) -> float:
    """A numeric literal as a float (``1_000`` is 1000.0)."""
    if "_" in token:
        token = token.replace("_", "")
    return float(token)


class Number(float):
    """A number that remembers how many decimals it was written with, and where.

    ``first`` and ``last`` are its tokens (the sign, if any, and the digits).
    """

    __slots__ = ("column", "decimals", "end_column", "end_line", "line")

    def __new__(cls, value: float, text: str, first: Token, last: Token):
        number = super().__new__(cls, value)
        number.decimals = 0
        if "." in text:
            mantissa = text.lower().split("e")[0]
            number.decimals = len(mantissa.split(".")[1])
        number.line, number.column = first.line, first.column
        number.end_line, number.end_column = last.end_line, last.end_column
        return number


class Located:
    """A value on its way up to a statement, with where its text stands.

    Expressions, blocks, weights and year lists travel as these between
    rules, so that the rule holding them knows where it ends; ``height`` is
    the depth of an expression.
    """

    __slots__ = ("column", "end_column", "end_line", "height", "line", "value")

    def __init__(self, value: Any, first, last, height: int = 0):
        self.value = value
        self.line, self.column = first.line, first.column
        self.end_line, self.end_column = last.end_line, last.end_column
        self.height = height


class Builder:
    """Builds the IR bottom-up, called by the parser as it reduces each rule.

    Each rule of the grammar has a method of its name, called with the rule's
    children: every token, keywords and braces included (the parser keeps
    them all), values already built for sub-rules, and None for an optional
    part left out. A rule's span runs from its first child to the end of its
    last. Problems are gathered in ``self.problems``.
    """

    def __init__(self, path: str = "<text>", limits: Limits | None = None):
        self.begin(path, limits or Limits(10**9, 10**9, 10**9, 10**9))

    def begin(self, path: str, limits: Limits, spans: bool = True) -> None:
        """Start on a new file; with ``spans``, note where each statement stands."""
        self.path = path
        self.limits = limits
        self.problems: list[Diagnostic] = []
        self.spans: dict[tuple[str, ...], Span] = {}
        self.recording = spans
        self.nodes = 0

    def finish(self) -> tuple[list[Diagnostic], dict[tuple[str, ...], Span]]:
        """The problems and spans of the file just built, which the builder drops."""
        problems, spans = self.problems, self.spans
        self.begin("<text>", self.limits)
        return problems, spans

    def span(self, children) -> Span:
        """The span of a rule: from its first child to the end of its last."""
        first, last = children[0], children[-1]
        if first is None:
            first = next(child for child in children if child is not None)
        if last is None:
            last = next(child for child in reversed(children) if child is not None)
        return _span(
            {
                "file": self.path,
                "line": first.line,
                "column": first.column,
                "end_line": last.end_line,
                "end_column": last.end_column,
            }
        )

    def token_span(self, token: Token) -> Span:
        """The span of one token."""
        return Span(
            file=self.path,
            line=token.line,
            column=token.column,
            end_line=token.end_line,
            end_column=token.end_column,
        )

    # ---- files --------------------------------------------------------------

    def start(self, children):
        return children[0]

    def catalogue(self, children):
        by_field = {"source": [], "variable": [], "units": []}
        for statement in children:
            by_field[statement.field].extend(_as_list(statement.value))
        return Catalogue(
            tuple(by_field["source"]),
            tuple(by_field["variable"]),
            tuple(by_field["units"]),
        )

    def index(self, children):
        _, name, title, _, extends, _, *statements, _ = children
        span = self.span(children)
        self.record(statements, ("index",))
        fields, lists, node_fields = self.gather(statements, INDEX_FIELDS | NODE_FIELDS)
        root_fields = {
            k: node_fields.pop(k) for k in list(node_fields) if k in NODE_FIELDS
        }
        fields.update(node_fields)
        root = Node(
            kind="index",
            id=str(name),
            title=unquote(title) if title else None,
            children=tuple(lists.pop("children", ())),
            span=span,
            **root_fields,
        )
        return Index(
            id=str(name),
            title=root.title,
            extends=unquote(extends) if extends else None,
            description=root.description,
            root=root,
            path=self.path,
            span=span,
            **fields,
            **lists,
        )

    def record(self, statements, owner: tuple[str, ...]) -> None:
        """Note where each statement of a block stands (when asked to, in
        :meth:`begin`), keyed by ``owner``, the field and, in a list, its place.
        """
        if not self.recording:
            return
        counts: Counter[str] = Counter()
        for statement in statements:
            field = statement.field
            if field in LIST_FIELDS:
                self.spans[(*owner, field, str(counts[field]))] = statement.span
                counts[field] += 1
            else:
                self.spans.setdefault((*owner, field), statement.span)

    def gather(self, statements, allowed):
        """Split a block's statements into single fields and lists.

        Returns ``(fields, lists, node_fields)``; a repeated single field or a
        statement not allowed here is recorded as a problem.
        """
        seen: dict[str, Statement] = {}
        lists: dict[str, list] = {}
        for statement in statements:
            field = statement.field
            if field in LIST_FIELDS:
                items = lists.setdefault(LIST_FIELDS[field], [])
                _extend(items, statement.value)
            elif field not in allowed:
                self.not_here(statement)
            elif field in seen:
                self.repeated(statement, seen[field])
            else:
                seen[field] = statement
        fields = {k: s.value for k, s in seen.items() if k not in NODE_FIELDS}
        node_fields = {k: s.value for k, s in seen.items() if k in NODE_FIELDS}
        return fields, lists, node_fields

    def repeated(self, statement: Statement, first: Statement) -> None:
        """Record a statement given twice in one block."""
        self.problems.append(
            Diagnostic(
                "E201",
                f"`{_keyword(statement.field)}` is given twice in this block",
                statement.span,
                (f"the first is at line {first.span.line}; keep one of them",),
            )
        )

    def not_here(self, statement: Statement) -> None:
        """Record a statement that is valid only elsewhere."""
        self.problems.append(
            Diagnostic(
                "E202",
                f"`{_keyword(statement.field)}` cannot be used here",
                statement.span,
                (_where_allowed(statement.field),),
            )
        )

    # ---- header -------------------------------------------------------------

    def version(self, children):
        return Statement("version", unquote(children[1]), self.span(children))

    def authors(self, children):
        _, *names = children
        return Statement(
            "authors", tuple(unquote(c) for c in names), self.span(children)
        )

    def licence(self, children):
        return Statement("licence", unquote(children[1]), self.span(children))

    def description(self, children):
        return Statement("description", unquote(children[1]), self.span(children))

    def scale(self, children):
        _, low, _, high = children
        span = self.span(children)
        return Statement("scale", Scale(low=low, high=high, span=span), span)

    def years(self, children):
        return Statement("years", children[1].value, self.span(children))

    def ranking(self, children):
        _, _, _, decimals, _ = children
        span = self.span(children)
        value = Ranking(decimals=int(to_number(decimals)), span=span)
        return Statement("ranking", value, span)

    def year_span(self, children):
        first_token, _, last_token = children
        self.check_years(first_token, last_token)
        located = Located((), first_token, last_token or first_token)
        first = int(to_number(first_token))
        if last_token is None:
            located.value = (first,)
            return located
        last = int(to_number(last_token))
        if last - first > self.limits.years:
            raise LimitReached
        if last < first:
            self.problems.append(
                Diagnostic(
                    "E203",
                    f"the years run backwards ({first} to {last})",
                    self.span(children),
                    (f"write `years {last} to {first}`",),
                )
            )
            return located
        located.value = tuple(range(first, last + 1))
        return located

    def year_list(self, children):
        self.check_years(*children)
        years = tuple(int(to_number(c)) for c in children)
        return Located(years, children[0], children[-1])

    def check_years(self, *tokens: Token | None) -> None:
        """Stop at a whole number too long to be a year (see :class:`Limits`)."""
        for token in tokens:
            digits = self.limits.year_digits
            if token is not None and len(token.replace("_", "")) > digits:
                raise LimitReached

    # ---- units and groups ---------------------------------------------------

    def units(self, children):
        _, _, *units, _ = children
        return Statement("units", tuple(units), self.span(children))

    def unit(self, children):
        code, name = children
        return Unit(
            code=str(code),
            name=unquote(name) if name else None,
            span=self.span(children),
        )

    def unranked(self, children):
        _, *codes = children
        units = tuple(
            Unranked(code=_code(code), span=self.span([code])) for code in codes
        )
        return Statement("unranked", units, self.span(children))

    def units_from(self, children):
        _, _, source, _, code, _, name = children
        span = self.span(children)
        value = UnitsFrom(
            source=str(source),
            code_column=unquote(code),
            name_column=unquote(name) if name else None,
            span=span,
        )
        return Statement("units_from", value, span)

    def group(self, children):
        _, code, name, _, *items, _ = children
        span = self.span(children)
        fields = self.block_fields(items, owner(span))
        members, member_spans = fields.pop("members", ((), ()))
        rollup, by, rollup_span = fields.pop("rollup", ("sum", None, None))
        value = Group(
            code=str(code),
            name=unquote(name) if name else None,
            members=members,
            rollup=rollup,
            by=by,
            span=span,
            member_spans=member_spans,
            rollup_span=rollup_span,
        )
        return Statement("group", value, span)

    def block_fields(self, items, key: tuple[str, ...]) -> dict[str, Any]:
        """The values of a group's or source's items by field; repeats reported."""
        fields: dict[str, Any] = {}
        seen: dict[str, Statement] = {}
        self.record(items, key)
        for item in items:
            if item.field in seen:
                self.repeated(item, seen[item.field])
                continue
            seen[item.field] = item
            fields[item.field] = item.value
        return fields

    def members(self, children):
        _, *names = children
        codes = tuple(_code(c) for c in names)
        spans = tuple(self.span([c]) for c in names)
        return Statement("members", (codes, spans), self.span(children))

    def rollup(self, children):
        _, first, second, _, by = children
        method = str(first) if second is None else f"{first}_{second}"
        span = self.span(children)
        value = (method.lower(), str(by) if by else None, span)
        return Statement("rollup", value, span)

    # ---- sources and variables ----------------------------------------------

    def source(self, children):
        _, name, title, _, *items, _ = children
        span = self.span(children)
        fields = self.block_fields(items, owner(span))
        if title is not None:
            fields.setdefault("title", unquote(title))
        pairs, spans = fields.pop("unit_codes", ((), ()))
        if pairs:
            fields.update(unit_codes=pairs, unit_code_spans=spans)
        value = Source(id=str(name), span=span, origin=self.path, **fields)
        return Statement("source", value, span)

    def _text_field(field):  # noqa: N805 - a factory used in the class body
        def handler(self, children):
            return Statement(field, unquote(children[-1]), self.span(children))

        return handler

    title = _text_field("title")
    publisher = _text_field("publisher")
    url = _text_field("url")
    note = _text_field("note")
    file = _text_field("file")
    unit_column = _text_field("unit_column")
    year_column = _text_field("year_column")
    indicator_column = _text_field("indicator_column")
    value_column = _text_field("value_column")
    measure = _text_field("measure")

    def year(self, children):
        self.check_years(children[1])
        return Statement("year", int(to_number(children[1])), self.span(children))

    def retrieved(self, children):
        token = children[1]
        try:
            value = datetime.date.fromisoformat(str(token))
        except ValueError:
            self.problems.append(
                Diagnostic(
                    "E204",
                    f"`{token}` is not a date",
                    self.token_span(token),
                    ("write the date as YYYY-MM-DD, for example 2025-05-01",),
                )
            )
            value = None
        return Statement("retrieved", value, self.span(children))

    def format(self, children):
        return Statement("format", str(children[1]).lower(), self.span(children))

    def layout(self, children):
        _, layout, _, by = children
        value = str(layout) if by is None else f"{layout}_by_{by}"
        return Statement("layout", value.lower(), self.span(children))

    def unit_codes(self, children):
        _, _, _, *codes, _ = children
        span = self.span(children)
        if len(codes) % 2:
            self.problems.append(
                Diagnostic(
                    "E259",
                    f"`unit codes` pairs each code of the file with one of the "
                    f"index: `{_code(codes[-1])}` has no pair",
                    self.span([codes[-1]]),
                    (
                        "write the file's code, then the index's: "
                        "`unit codes { USA US }`",
                    ),
                )
            )
            codes = codes[:-1]
        pairs = tuple(
            (_code(codes[i]), _code(codes[i + 1])) for i in range(0, len(codes), 2)
        )
        spans = tuple(
            self.span([codes[i], codes[i + 1]]) for i in range(0, len(codes), 2)
        )
        return Statement("unit_codes", (pairs, spans), span)

    def missing_markers(self, children):
        _, *texts = children
        return Statement(
            "missing", tuple(unquote(c) for c in texts), self.span(children)
        )

    def variable(self, children):
        _, name, title, _, source, column, rollup = children
        span = self.span(children[:6])
        value = Variable(
            id=str(name),
            title=unquote(title) if title else None,
            source=str(source),
            column=unquote(column),
            rollup=rollup,
            span=span,
        )
        return Statement("variable", value, span)

    def include(self, children):
        return Statement("include", (unquote(children[1]),), self.span(children))

    # ---- the tree -----------------------------------------------------------

    def node(self, children):
        kind, name, title, _, weight, block = children
        span = self.span(children)
        statements = list(block.value) if block is not None else []
        if weight is not None:
            statements.insert(0, Statement("weight", weight.value, weight.value.span))
        if self.recording:
            self.record(statements, owner(span))
        _, lists, node_fields = self.gather(statements, NODE_FIELDS)
        for field, items in lists.items():
            if field != "children":
                self.not_here(Statement(field, None, items_span(items, span)))
        value = Node(
            kind=str(kind),
            id=str(name),
            title=unquote(title) if title else None,
            children=tuple(lists.get("children", ())),
            span=span,
            **node_fields,
        )
        return Statement("node", value, span, self.height(statements))

    def height(self, statements) -> int:
        """How deep a new node nests, counting its children; stops at the limits."""
        self.nodes += 1
        below = [s.height for s in statements if s.field == "node"]
        height = 1 + max(below, default=0)
        if self.nodes > self.limits.nodes or height > self.limits.nesting:
            raise LimitReached
        return height

    def block(self, children):
        return Located(children[1:-1], children[0], children[-1])

    def weight(self, children):
        number, percent = children
        value = Weight(
            value=number, percent=percent is not None, span=self.span(children)
        )
        return Located(value, number, percent or number)

    def weight_setting(self, children):
        return Statement("weight", children[1].value, self.span(children))

    def _method_field(field):  # noqa: N805 - a factory used in the class body
        def handler(self, children):
            _, name, *rest = children
            argument = unquote(rest[-1]) if rest and rest[-1] is not None else None
            span = self.span(children)
            value = Setting(value=str(name).lower(), argument=argument, span=span)
            return Statement(field, value, span)

        return handler

    def own_rollup(self, children):
        _, method, _, by = children
        span = self.span(children)
        return Setting(
            value=str(method).lower(), argument=str(by) if by else None, span=span
        )

    def rollup_setting(self, children):
        (setting,) = children
        return Statement("rollup", setting, setting.span)

    weights_mode = _method_field("weights")
    aggregate = _method_field("aggregate")
    transformation = _method_field("transform")
    direction = _method_field("direction")
    impute = _method_field("impute")
    treat = _method_field("treat")

    def normalize(self, children):
        _, method, target = children
        span = self.span(children)
        value = Normalization(method=str(method).lower(), target=target, span=span)
        return Statement("normalization", value, span)

    def anchors(self, children):
        _, _, worst, _, best, clip, rationale = children
        span = self.span(children)
        anchors = Anchors(
            worst=worst,
            best=best,
            clip=clip is None or str(clip) == "clipped",
            rationale=unquote(rationale) if rationale else None,
        )
        value = Normalization(method="anchors", anchors=anchors, span=span)
        return Statement("normalization", value, span)

    def coverage(self, children):
        _, number, percent = children
        span = self.span(children)
        share = number / 100 if percent is not None else number
        if not 0 <= share <= 1:
            self.problems.append(
                Diagnostic(
                    "E205",
                    f"a minimum coverage must lie between 0% and 100%, not {share:g}",
                    span,
                    ("write it as a percent (`coverage 50%`) or a fraction (0.5)",),
                )
            )
        value = Coverage(share=min(max(share, 0.0), 1.0), span=span)
        return Statement("coverage", value, span)

    def from_source(self, children):
        _, source, selector = children
        span = self.span(children)
        value = DataRef(source=str(source), selector=unquote(selector), span=span)
        return Statement("data", value, span)

    def score_from(self, children):
        _, _, source, selector = children
        span = self.span(children)
        value = DataRef(source=str(source), selector=unquote(selector), span=span)
        return Statement("score_from", value, span)

    def cite(self, children):
        _, *names = children
        return Statement("cites", tuple(str(c) for c in names), self.span(children))

    def data_year(self, children):
        self.check_years(children[1])
        year = int(to_number(children[1]))
        return Statement("data_year", year, self.span(children))

    def number(self, children):
        sign, token = children
        value = self.finite(token)
        if sign is None:
            return Number(value, token, token, token)
        return Number(-value, token, sign, token)

    def finite(self, token: Token) -> float:
        """The value of a numeric literal; one too large for a float is a problem."""
        value = to_number(token)
        if math.isfinite(value):
            return value
        self.problems.append(
            Diagnostic(
                "E113",
                f"`{token}` is too large to be a number",
                self.token_span(token),
                ("numbers must lie within about ±1.8e308",),
            )
        )
        return 0.0

    # ---- expressions --------------------------------------------------------
    # Each rule returns a Located expression whose height is its depth.

    def derive(self, children):
        expr = children[1].value
        span = self.span(children)
        value = Derivation(expr=expr, text=expression_text(expr), span=span)
        return Statement("derive", value, span)

    def const(self, children):
        token = children[0]
        return Located(Const(value=self.finite(token)), token, token)

    def ref(self, children):
        name = children[0]
        return Located(Ref(name=str(name), span=self.span(children)), name, name)

    def atom(self, children):
        _, inner, _ = children
        return Located(inner.value, children[0], children[-1], inner.height)

    def neg(self, children):
        _, operand = children
        return self.nested(Unary(operand=operand.value), children, operand)

    def call(self, children):
        name, _, argument, _ = children
        value = Call(
            function=str(name), argument=argument.value, span=self.span(children)
        )
        return self.nested(value, children, argument)

    def nested(self, value, children, *operands: Located) -> Located:
        """An expression one deeper than its deepest operand; stops at the limit."""
        height = 1 + max(operand.height for operand in operands)
        if height > self.limits.expression_depth:
            raise LimitReached
        return Located(value, children[0], children[-1], height)

    def _binary(op):  # noqa: N805 - a factory used in the class body
        def handler(self, children):
            left, _, right = children
            value = Binary(op=op, left=left.value, right=right.value)
            return self.nested(value, children, left, right)

        return handler

    add = _binary("+")
    sub = _binary("-")
    mul = _binary("*")
    div = _binary("/")

    # ---- expectations and removals ------------------------------------------

    def expect(self, children):
        _, node, unit, value_number, points, _, tolerance, _, year = children
        self.check_years(year)
        span = self.span(children)
        if (unit.end_line, unit.end_column) == (value_number.line, value_number.column):
            # `expect composite P1.0`: a code with a dot, not P1 expected at 0.
            self.problems.append(
                Diagnostic(
                    "E114",
                    f"the unit `{unit}` runs straight into the expected value, "
                    "which is read from the dot on",
                    span,
                    (
                        "if the unit's code holds a dot, write it in quotes, as "
                        f'`expect {node} "{unit}.1" 50`; else put a space before '
                        "the value",
                    ),
                )
            )
        value = Expectation(
            node=str(node),
            unit=_code(unit),
            value=value_number,
            decimals=value_number.decimals,
            points=points is not None,
            tolerance=tolerance,
            year=int(to_number(year)) if year is not None else None,
            span=span,
        )
        return Statement("expect", value, span)

    def remove(self, children):
        _, what, name = children
        span = self.span(children)
        return Statement(
            "remove", Removal(what=str(what), id=_code(name), span=span), span
        )


def _code(token: Token) -> str:
    """A unit's code, written as a name or in quotes."""
    return unquote(token) if token.type == "STRING" else str(token)


def items_span(items, fallback: Span) -> Span:
    """The span of the first item of a list that has one."""
    for item in items:
        span = getattr(item, "span", None)
        if span is not None:
            return span
    return fallback


def _as_list(value) -> list:
    return list(value) if isinstance(value, tuple) else [value]


def _extend(items: list, value) -> None:
    """Add a list statement's value: one item, or a tuple of them."""
    if isinstance(value, tuple):
        items.extend(value)
    else:
        items.append(value)


KEYWORDS = {
    "data": "from",
    "normalization": "anchors` or `normalize",
    "data_year": "year",
    "measure": "unit",
    "cites": "cite",
    "units_from": "units from",
    "ranking": "ranks rounded to",
    "children": "dimension",
    "expectations": "expect",
    "removals": "remove",
    "sources": "source",
    "variables": "variable",
    "groups": "group",
    "includes": "include",
}


def _keyword(field: str) -> str:
    return KEYWORDS.get(field, field)


def _where_allowed(field: str) -> str:
    if field in INDEX_FIELDS or field in LIST_FIELDS.values() or field in LIST_FIELDS:
        return "write it at the top level of the index, not inside a dimension"
    return "write it inside a dimension or an indicator"


PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def number_text(value: float) -> str:
    """A number as the shortest literal that reads back as the same value.

    >>> number_text(30.0), number_text(0.25), number_text(1e-7)
    ('30', '0.25', '1e-07')
    """
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def expression_text(expr) -> str:
    """An expression in canonical form: it parses back to the same tree.

    >>> expression_text(Binary(op="/", left=Ref(name="a"), right=Const(value=2)))
    'a / 2'
    """
    if isinstance(expr, Const):
        return number_text(expr.value)
    if isinstance(expr, Ref):
        return expr.name
    if isinstance(expr, Unary):
        operand = expression_text(expr.operand)
        if isinstance(expr.operand, Binary | Unary) or operand.startswith("-"):
            operand = f"({operand})"
        return f"-{operand}"
    if isinstance(expr, Call):
        return f"{expr.function}({expression_text(expr.argument)})"
    return _binary_text(expr)


def _binary_text(expr: Binary) -> str:
    left, right = expression_text(expr.left), expression_text(expr.right)
    rank = PRECEDENCE[expr.op]
    if isinstance(expr.left, Binary) and PRECEDENCE[expr.left.op] < rank:
        left = f"({left})"
    if isinstance(expr.right, Binary) and PRECEDENCE[expr.right.op] <= rank:
        right = f"({right})"
    return f"{left} {expr.op} {right}"
