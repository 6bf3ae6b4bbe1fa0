"""Parse tree to IR: one ``.aix`` file, as written, before composition.

Each grammar rule becomes a :class:`Statement` (a field name, a value and a
span); blocks gather their statements into IR models. A statement given twice
in one block is reported, not silently overwritten.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import math
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from .diagnostics import AixError, Diagnostic
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
    Ref,
    Removal,
    Scale,
    Setting,
    Source,
    Span,
    Unary,
    Unit,
    UnitsFrom,
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
    "weights",
    "coverage",
    "cites",
}
INDEX_FIELDS = {"version", "authors", "licence", "scale", "years", "units_from"}
LIST_FIELDS = {
    "units": "units",
    "group": "groups",
    "source": "sources",
    "variable": "variables",
    "expect": "expectations",
    "include": "includes",
    "remove": "removals",
    "node": "children",
}


@dataclass
class Statement:
    """One statement of a block: the field it sets, its value, where it stands."""

    field: str
    value: Any
    span: Span


@dataclass
class Catalogue:
    """A file of shared declarations (sources, variables, units) for ``include``."""

    sources: tuple[Source, ...]
    variables: tuple[Variable, ...]
    units: tuple[Unit, ...]


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


def build(tree: Tree, path: str) -> Index | Catalogue:
    """Turn the parse tree of one file into its IR, or raise every problem found."""
    return build_with_spans(tree, path)[0]


def build_with_spans(
    tree: Tree, path: str
) -> tuple[Index | Catalogue, dict[tuple[str, ...], Span]]:
    """The IR of one file and where each of its statements stands.

    The spans are keyed by owner and field: ``("index", "version")`` for the
    index, ``(*owner(span), "description")`` for a node, source or group
    block (keyed by where it starts, as ids may repeat); the formatter uses
    them to keep comments beside their statements.
    """
    builder = Builder(path)
    result = builder.transform(tree)
    if builder.problems:
        raise AixError(sorted(builder.problems, key=_position))
    return result, builder.spans


def owner(span: Span | None) -> tuple[str, ...]:
    """The key under which the statements of a block are recorded: its start."""
    return ("block", f"{span.line}:{span.column}") if span is not None else ("",)


def _position(diagnostic: Diagnostic) -> tuple[int, int]:
    span = diagnostic.span
    return (span.line, span.column) if span is not None else (0, 0)


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
    return body.encode("latin-1", "backslashreplace").decode("unicode_escape")


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def to_number(token: Token) -> float:
    """A numeric literal as a float (``1_000`` is 1000.0)."""
    return float(str(token).replace("_", ""))


class Number(float):
    """A number that remembers how many decimals it was written with."""

    decimals: int

    def __new__(cls, value: float, text: str):
        number = super().__new__(cls, value)
        mantissa = text.lower().split("e")[0]
        number.decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return number


class Builder:
    """Builds the IR bottom-up; problems are gathered in ``self.problems``.

    Each rule of the grammar has a method of its name, called with the rule's
    position (Lark's ``meta``) and its children already built.
    """

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Diagnostic] = []
        self.spans: dict[tuple[str, ...], Span] = {}

    def transform(self, tree: Tree):
        """The IR of a parse tree, children first."""
        children = [
            self.transform(child) if isinstance(child, Tree) else child
            for child in tree.children
        ]
        return getattr(self, tree.data)(tree.meta, children)

    def span(self, meta) -> Span:
        """The span of a rule, from Lark's propagated positions."""
        return Span(
            file=self.path,
            line=getattr(meta, "line", 1),
            column=getattr(meta, "column", 1),
            end_line=getattr(meta, "end_line", 1),
            end_column=getattr(meta, "end_column", 1),
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

    def start(self, meta, children):
        return children[0]

    def catalogue(self, meta, children):
        by_field = {"source": [], "variable": [], "units": []}
        for statement in children:
            by_field[statement.field].extend(_as_list(statement.value))
        return Catalogue(
            tuple(by_field["source"]),
            tuple(by_field["variable"]),
            tuple(by_field["units"]),
        )

    def index(self, meta, children):
        name, title, extends, *statements = children
        span = self.span(meta)
        fields, lists, node_fields = self.gather(
            statements, INDEX_FIELDS | NODE_FIELDS, ("index",)
        )
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

    def gather(self, statements, allowed, owner: tuple[str, ...]):
        """Split a block's statements into single fields and lists.

        Returns ``(fields, lists, node_fields)``; a repeated single field or a
        statement not allowed here is recorded as a problem.
        """
        seen: dict[str, Statement] = {}
        lists: dict[str, list] = {}
        counts: Counter[str] = Counter()
        for statement in statements:
            if statement.field in LIST_FIELDS:
                key = owner + (statement.field, str(counts[statement.field]))
                counts[statement.field] += 1
                self.spans[key] = statement.span
                lists.setdefault(LIST_FIELDS[statement.field], []).extend(
                    _as_list(statement.value)
                )
                continue
            self.spans.setdefault(owner + (statement.field,), statement.span)
            if statement.field not in allowed:
                self.not_here(statement)
            elif statement.field in seen:
                self.repeated(statement, seen[statement.field])
            else:
                seen[statement.field] = statement
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

    def version(self, meta, children):
        return Statement("version", unquote(children[0]), self.span(meta))

    def authors(self, meta, children):
        return Statement(
            "authors", tuple(unquote(c) for c in children), self.span(meta)
        )

    def licence(self, meta, children):
        return Statement("licence", unquote(children[0]), self.span(meta))

    def description(self, meta, children):
        return Statement("description", unquote(children[0]), self.span(meta))

    def scale(self, meta, children):
        low, high = children
        return Statement("scale", Scale(low=low, high=high), self.span(meta))

    def years(self, meta, children):
        return Statement("years", children[0], self.span(meta))

    def year_span(self, meta, children):
        first, last = (int(to_number(c)) if c is not None else None for c in children)
        if last is None:
            return (first,)
        if last < first:
            self.problems.append(
                Diagnostic(
                    "E203",
                    f"the years run backwards ({first} to {last})",
                    self.span(meta),
                    (f"write `years {last} to {first}`",),
                )
            )
            return ()
        return tuple(range(first, last + 1))

    def year_list(self, meta, children):
        return tuple(int(to_number(c)) for c in children)

    # ---- units and groups ---------------------------------------------------

    def units(self, meta, children):
        return Statement("units", tuple(children), self.span(meta))

    def unit(self, meta, children):
        code, name = children
        return Unit(
            code=str(code), name=unquote(name) if name else None, span=self.span(meta)
        )

    def units_from(self, meta, children):
        source, code, name = children
        value = UnitsFrom(
            source=str(source),
            code_column=unquote(code),
            name_column=unquote(name) if name else None,
            span=self.span(meta),
        )
        return Statement("units_from", value, self.span(meta))

    def group(self, meta, children):
        code, name, *items = children
        fields = {}
        seen: dict[str, Statement] = {}
        for item in items:
            self.spans.setdefault(owner(self.span(meta)) + (item.field,), item.span)
            if item.field in seen:
                self.repeated(item, seen[item.field])
                continue
            seen[item.field] = item
            fields[item.field] = item.value
        members = fields.pop("members", ())
        rollup, by = fields.pop("rollup", ("sum", None))
        value = Group(
            code=str(code),
            name=unquote(name) if name else None,
            members=members,
            rollup=rollup,
            by=by,
            span=self.span(meta),
        )
        return Statement("group", value, self.span(meta))

    def members(self, meta, children):
        return Statement("members", tuple(str(c) for c in children), self.span(meta))

    def rollup(self, meta, children):
        first, second, by = children
        method = str(first) if second is None else f"{first}_{second}"
        value = (method.lower(), str(by) if by else None)
        return Statement("rollup", value, self.span(meta))

    # ---- sources and variables ----------------------------------------------

    def source(self, meta, children):
        name, title, *items = children
        fields: dict[str, Any] = {}
        seen: dict[str, Statement] = {}
        for item in items:
            self.spans.setdefault(owner(self.span(meta)) + (item.field,), item.span)
            if item.field in seen:
                self.repeated(item, seen[item.field])
                continue
            seen[item.field] = item
            fields[item.field] = item.value
        if title is not None:
            fields.setdefault("title", unquote(title))
        value = Source(id=str(name), span=self.span(meta), origin=self.path, **fields)
        return Statement("source", value, self.span(meta))

    def _text_field(field):  # noqa: N805 - a factory used in the class body
        def handler(self, meta, children):
            return Statement(field, unquote(children[0]), self.span(meta))

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

    def year(self, meta, children):
        return Statement("year", int(to_number(children[0])), self.span(meta))

    def retrieved(self, meta, children):
        token = children[0]
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
        return Statement("retrieved", value, self.span(meta))

    def format(self, meta, children):
        return Statement("format", str(children[0]).lower(), self.span(meta))

    def layout(self, meta, children):
        layout, by = children
        value = str(layout) if by is None else f"{layout}_by_{by}"
        value = value.lower()
        return Statement("layout", value, self.span(meta))

    def missing_markers(self, meta, children):
        return Statement(
            "missing", tuple(unquote(c) for c in children), self.span(meta)
        )

    def variable(self, meta, children):
        name, title, source, column = children
        value = Variable(
            id=str(name),
            title=unquote(title) if title else None,
            source=str(source),
            column=unquote(column),
            span=self.span(meta),
        )
        return Statement("variable", value, self.span(meta))

    def include(self, meta, children):
        return Statement("include", (unquote(children[0]),), self.span(meta))

    # ---- the tree -----------------------------------------------------------

    def node(self, meta, children):
        kind, name, title, weight, block = children
        statements = list(block or ())
        if weight is not None:
            statements.insert(0, Statement("weight", weight, weight.span))
        _, lists, node_fields = self.gather(
            statements, NODE_FIELDS, owner(self.span(meta))
        )
        for field, items in lists.items():
            if field != "children":
                self.not_here(
                    Statement(field, None, items_span(items, self.span(meta)))
                )
        value = Node(
            kind=str(kind),
            id=str(name),
            title=unquote(title) if title else None,
            children=tuple(lists.get("children", ())),
            span=self.span(meta),
            **node_fields,
        )
        return Statement("node", value, self.span(meta))

    def block(self, meta, children):
        return children

    def weight(self, meta, children):
        number, percent = children
        return Weight(value=number, percent=percent is not None, span=self.span(meta))

    def weight_setting(self, meta, children):
        return Statement("weight", children[0], self.span(meta))

    def _method_field(field):  # noqa: N805 - a factory used in the class body
        def handler(self, meta, children):
            name, *rest = children
            argument = unquote(rest[0]) if rest and rest[0] is not None else None
            value = Setting(
                value=str(name).lower(), argument=argument, span=self.span(meta)
            )
            return Statement(field, value, self.span(meta))

        return handler

    weights_mode = _method_field("weights")
    aggregate = _method_field("aggregate")
    transformation = _method_field("transform")
    direction = _method_field("direction")
    impute = _method_field("impute")
    treat = _method_field("treat")

    def normalize(self, meta, children):
        method, target = children
        value = Normalization(
            method=str(method).lower(), target=target, span=self.span(meta)
        )
        return Statement("normalization", value, self.span(meta))

    def anchors(self, meta, children):
        worst, best, clip, rationale = children
        anchors = Anchors(
            worst=worst,
            best=best,
            clip=clip is None or str(clip) == "clipped",
            rationale=unquote(rationale) if rationale else None,
        )
        value = Normalization(method="anchors", anchors=anchors, span=self.span(meta))
        return Statement("normalization", value, self.span(meta))

    def coverage(self, meta, children):
        number, percent = children
        share = number / 100 if percent is not None else number
        if not 0 <= share <= 1:
            self.problems.append(
                Diagnostic(
                    "E205",
                    f"a minimum coverage must lie between 0% and 100%, not {share:g}",
                    self.span(meta),
                    ("write it as a percent (`coverage 50%`) or a fraction (0.5)",),
                )
            )
        value = Coverage(share=min(max(share, 0.0), 1.0), span=self.span(meta))
        return Statement("coverage", value, self.span(meta))

    def from_source(self, meta, children):
        source, selector = children
        value = DataRef(
            source=str(source), selector=unquote(selector), span=self.span(meta)
        )
        return Statement("data", value, self.span(meta))

    def score_from(self, meta, children):
        source, selector = children
        value = DataRef(
            source=str(source), selector=unquote(selector), span=self.span(meta)
        )
        return Statement("score_from", value, self.span(meta))

    def cite(self, meta, children):
        return Statement("cites", tuple(str(c) for c in children), self.span(meta))

    def data_year(self, meta, children):
        return Statement("data_year", int(to_number(children[0])), self.span(meta))

    def number(self, meta, children):
        sign, token = children
        value = self.finite(token)
        return Number(-value if sign is not None else value, str(token))

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

    def derive(self, meta, children):
        span = self.span(meta)
        value = Derivation(
            expr=children[0], text=expression_text(children[0]), span=span
        )
        return Statement("derive", value, span)

    def const(self, meta, children):
        return Const(value=self.finite(children[0]))

    def ref(self, meta, children):
        return Ref(name=str(children[0]), span=self.span(meta))

    def neg(self, meta, children):
        return Unary(operand=children[-1])

    def call(self, meta, children):
        name, argument = children
        return Call(function=str(name), argument=argument, span=self.span(meta))

    def _binary(op):  # noqa: N805 - a factory used in the class body
        def handler(self, meta, children):
            left, right = children[0], children[-1]
            return Binary(op=op, left=left, right=right)

        return handler

    add = _binary("+")
    sub = _binary("-")
    mul = _binary("*")
    div = _binary("/")

    # ---- expectations and removals ------------------------------------------

    def expect(self, meta, children):
        node, unit, value_token, points, tolerance, year = children
        value = Expectation(
            node=str(node),
            unit=str(unit),
            value=value_token,
            decimals=value_token.decimals,
            points=points is not None,
            tolerance=tolerance,
            year=int(to_number(year)) if year is not None else None,
            span=self.span(meta),
        )
        return Statement("expect", value, self.span(meta))

    def remove(self, meta, children):
        what, name = children
        value = Removal(what=str(what), id=str(name), span=self.span(meta))
        return Statement("remove", value, self.span(meta))


def items_span(items, fallback: Span) -> Span:
    """The span of the first item of a list that has one."""
    for item in items:
        span = getattr(item, "span", None)
        if span is not None:
            return span
    return fallback


def _as_list(value) -> list:
    return list(value) if isinstance(value, tuple) else [value]


KEYWORDS = {
    "data": "from",
    "normalization": "anchors` or `normalize",
    "data_year": "year",
    "measure": "unit",
    "cites": "cite",
    "units_from": "units from",
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
