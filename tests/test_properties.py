"""Properties of the language: printing and parsing agree, fmt is stable, and
no mangled definition makes aix fail with anything but its own error."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiindex_dsl.build import expression_text
from aiindex_dsl.checks import check
from aiindex_dsl.diagnostics import AixError
from aiindex_dsl.fmt import format_ir, format_text
from aiindex_dsl.ir import (
    FUNCTIONS,
    LAYOUTS,
    ROLLUPS,
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
    Unary,
    Unit,
    UnitsFrom,
    Variable,
    Weight,
)
from aiindex_dsl.syntax import parse

ROOT = Path(__file__).resolve().parent.parent
PATH = "generated.aix"

names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,7}", fullmatch=True)
methods = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
finite = st.floats(allow_nan=False, allow_infinity=False).map(lambda x: x + 0.0)
positive = st.floats(min_value=0, allow_infinity=False).map(lambda x: x + 0.0)
years = st.integers(min_value=0, max_value=3000)


def optional(strategy):
    return st.none() | strategy


@st.composite
def decimals(draw):
    """A number as written with a chosen count of decimals, and that count."""
    digits = draw(st.integers(min_value=-(10**8), max_value=10**8))
    places = draw(st.integers(min_value=0, max_value=4))
    text = f"{abs(digits):0{places + 1}d}"
    if places:
        text = text[:-places] + "." + text[-places:]
    return float(("-" if digits < 0 else "") + text) + 0.0, places


expressions = st.recursive(
    st.builds(Const, value=positive) | st.builds(Ref, name=names),
    lambda inner: (
        st.builds(Unary, operand=inner)
        | st.builds(
            Binary, op=st.sampled_from(["+", "-", "*", "/"]), left=inner, right=inner
        )
        | st.builds(Call, function=st.sampled_from(FUNCTIONS) | names, argument=inner)
    ),
    max_leaves=8,
)


def settings_of(strategy):
    return optional(st.builds(Setting, value=strategy))


normalizations = st.builds(
    lambda worst, best, clip, why: Normalization(
        method="anchors",
        anchors=Anchors(worst=worst, best=best, clip=clip, rationale=why),
    ),
    finite,
    finite,
    st.booleans(),
    optional(texts),
) | st.builds(Normalization, method=methods, target=optional(finite))

node_fields = st.fixed_dictionaries(
    {},
    optional={
        "description": texts,
        "weight": st.builds(Weight, value=finite, percent=st.booleans()),
        "measure": texts,
        "data_year": years,
        "data": st.builds(DataRef, source=names, selector=texts),
        "derive": expressions.map(
            lambda e: Derivation(expr=e, text=expression_text(e))
        ),
        "score_from": st.builds(DataRef, source=names, selector=texts),
        "normalization": normalizations,
        "transform": st.builds(Setting, value=methods),
        "direction": st.builds(Setting, value=methods),
        "aggregate": st.builds(Setting, value=methods),
        "impute": st.builds(Setting, value=methods, argument=optional(texts)),
        "treat": st.builds(Setting, value=methods),
        "weights": st.builds(Setting, value=methods),
        "coverage": st.builds(Coverage, share=st.floats(min_value=0, max_value=1)),
        "cites": st.lists(names, min_size=1, max_size=3).map(tuple),
    },
)


def nodes(depth: int):
    children = (
        st.lists(nodes(depth - 1), max_size=2).map(tuple) if depth else st.just(())
    )
    return st.builds(
        lambda kind, id, title, fields, kids: Node(
            kind=kind, id=id, title=title, children=kids, **fields
        ),
        st.sampled_from(["dimension", "indicator"]),
        names,
        optional(texts),
        node_fields,
        children,
    )


source_fields = st.fixed_dictionaries(
    {},
    optional={
        "title": texts,
        "publisher": texts,
        "year": years,
        "url": texts,
        "retrieved": st.dates(min_value=datetime.date(1000, 1, 1)),
        "licence": texts,
        "note": texts,
        "file": texts,
        "format": methods,
        "layout": st.sampled_from(LAYOUTS),
        "unit_column": texts,
        "year_column": texts,
        "indicator_column": texts,
        "value_column": texts,
        "missing": st.lists(texts, min_size=1, max_size=3).map(tuple),
    },
)
sources = st.builds(
    lambda id, fields: Source(id=id, origin=PATH, **fields), names, source_fields
)
groups = st.builds(
    Group,
    code=names,
    name=optional(texts),
    members=st.lists(names, max_size=3).map(tuple),
    rollup=st.sampled_from(ROLLUPS),
    by=optional(names),
)


@st.composite
def expectations(draw):
    value, places = draw(decimals())
    return Expectation(
        node=draw(names),
        unit=draw(names),
        value=value,
        decimals=places,
        points=draw(st.booleans()),
        tolerance=draw(optional(positive)),
        year=draw(optional(years)),
    )


@st.composite
def year_sets(draw):
    if draw(st.booleans()):
        first = draw(years)
        return tuple(range(first, first + draw(st.integers(1, 5))))
    return tuple(draw(st.lists(years, max_size=4)))


@st.composite
def indices(draw):
    """An index as the builder makes it from one file (no composition)."""
    header = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "version": texts,
                "authors": st.lists(texts, min_size=1, max_size=3).map(tuple),
                "licence": texts,
                "scale": st.builds(Scale, low=finite, high=finite),
                "years": year_sets(),
                "units_from": st.builds(
                    UnitsFrom,
                    source=names,
                    code_column=texts,
                    name_column=optional(texts),
                ),
            },
        )
    )
    root_fields = draw(node_fields)
    identifier, title = draw(names), draw(optional(texts))
    root = Node(
        kind="index",
        id=identifier,
        title=title,
        children=tuple(draw(st.lists(nodes(2), max_size=3))),
        **root_fields,
    )
    return Index(
        id=identifier,
        title=title,
        extends=draw(optional(texts)),
        description=root.description,
        root=root,
        path=PATH,
        units=tuple(draw(st.lists(st.builds(Unit, code=names, name=optional(texts))))),
        groups=tuple(draw(st.lists(groups, max_size=2))),
        sources=tuple(draw(st.lists(sources, max_size=3))),
        variables=tuple(
            draw(
                st.lists(
                    st.builds(
                        Variable,
                        id=names,
                        title=optional(texts),
                        source=names,
                        column=texts,
                    ),
                    max_size=2,
                )
            )
        ),
        includes=tuple(draw(st.lists(texts, max_size=2))),
        removals=tuple(
            draw(
                st.lists(
                    st.builds(
                        Removal,
                        what=st.sampled_from(["dimension", "unit", "source"]),
                        id=names,
                    ),
                    max_size=2,
                )
            )
        ),
        expectations=tuple(draw(st.lists(expectations(), max_size=3))),
        **header,
    )


def plain(value):
    """IR as plain data without spans (which differ between two layouts)."""
    if isinstance(value, dict):
        return {
            k: plain(v)
            for k, v in value.items()
            if k != "span" and not k.endswith(("_span", "_spans"))
        }
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def ir_of(text: str) -> dict:
    return plain(parse(text, PATH).model_dump(mode="json"))


# Kept small for the suite's time; AIX_EXAMPLES=1000 for a longer search.
EXAMPLES = int(os.environ.get("AIX_EXAMPLES", "40"))
FEW = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@FEW
@given(indices())
def test_printed_ir_parses_back_to_the_same_ir(index):
    text = format_ir(index)
    assert ir_of(text) == plain(index.model_dump(mode="json"))


@FEW
@given(indices(), st.data())
def test_fmt_is_idempotent_and_keeps_comments(index, data):
    lines = format_ir(index).split("\n")
    comments = []
    for _ in range(data.draw(st.integers(0, 6))):
        at = data.draw(st.integers(0, len(lines) - 1))
        comment = "# " + data.draw(st.text("abc é#{}%", max_size=8))
        comments.append(comment.rstrip())
        if data.draw(st.booleans()):
            lines.insert(at, comment)
        else:
            lines[at] += "  " + comment
    text = "\n".join(lines)
    once = format_text(text, PATH)
    assert format_text(once, PATH) == once
    assert ir_of(once) == ir_of(text)
    for comment in comments:
        assert comment in once


SHIPPED = sorted(
    str(p.relative_to(ROOT))
    for pattern in ("indices/*.aix", "examples/**/*.aix")
    for p in ROOT.glob(pattern)
)


def test_formatting_the_shipped_definitions_is_stable():
    for path in SHIPPED:
        text = (ROOT / path).read_text(encoding="utf-8")
        assert format_text(format_text(text, path), path) == format_text(text, path)


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(
    st.sampled_from(SHIPPED),
    st.lists(
        st.tuples(
            st.sampled_from(["delete", "insert", "duplicate", "swap"]),
            st.floats(0, 1),
            st.sampled_from(list('{}"#%-.0123456789 \nabzé_()*/+') + ["weight"]),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_definitions_fail_only_with_aix_errors(path, mutations):
    text = (ROOT / path).read_text(encoding="utf-8")
    for operation, where, piece in mutations:
        text = _mutate(text, operation, int(where * len(text)), piece)
    try:
        built = parse(text, path)
        if isinstance(built, Index):
            check(built)
        format_text(text, path)
    except AixError as error:
        problems = error.diagnostics
    else:
        problems = ()
    assert all(d.message and d.code.startswith("E") for d in problems)


def _mutate(text: str, operation: str, at: int, piece: str) -> str:
    if operation == "delete":
        return text[:at] + text[at + len(piece) :]
    if operation == "insert":
        return text[:at] + piece + text[at:]
    if operation == "duplicate":
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at) + 1 or len(text)
        return text[:line_end] + text[line_start:line_end] + text[line_end:]
    words = text[at:].split(" ", 2)
    if len(words) == 3:
        return text[:at] + " ".join([words[1], words[0], words[2]])
    return text
