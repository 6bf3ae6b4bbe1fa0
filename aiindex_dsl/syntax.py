"""Text to IR: the Lark parser, calling the builder at each rule, and its
errors in the author's words.

The grammar (``aix.lark``) is parsed by Lark's LALR parser. The parser calls
:class:`~aiindex_dsl.build.Builder` as it reduces each rule, so a file goes
from text to IR in one pass, with no parse tree made and walked again; the
tokens come from :class:`~aiindex_dsl.lexer.ContextualScanner`, Lark's
contextual lexer made cheaper. A file beyond the :data:`LIMITS` stops the
builder, and is then parsed again into a Lark tree (:func:`parse_tree`) to
find and report the exact problem.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from importlib import resources

import lark
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
)

from .build import Builder, Catalogue, LimitReached, Limits
from .diagnostics import AixError, Diagnostic, did_you_mean
from .ir import NORMALIZATIONS, ROLLUPS, Index, Span
from .lexer import ContextualScanner

MAX_BYTES = 5_000_000

# What a terminal is called when an error message says it was expected.
TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": 'a quoted text ("...")',
    "INT": "a whole number",
    "NUMBER": "a number",
    "MINUS": "`-`",
    "DATE": "a date (YYYY-MM-DD)",
    "PERCENT": "`%`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "KIND": "`dimension` or `indicator`",
    "CLIP": "`clipped` or `unclipped`",
    "POINTS": "`points`",
    "REMOVABLE": "what to remove (`dimension`, `indicator`, `unit`, ...)",
    "$END": "the end of the file",
    "<END-OF-FILE>": "the end of the file",
}

Spans = dict[tuple[str, ...], Span]


def parse(text: str, path: str = "<text>") -> Index | Catalogue:
    """Parse ``.aix`` text into its IR, or raise an :class:`AixError`.

    The error holds the first syntax error, or the first limit the file goes
    beyond (:data:`LIMITS`), or every problem the builder found.
    """
    return _parse(text, path, comments=False, spans=False)[0]


def parse_with_spans(
    text: str, path: str = "<text>"
) -> tuple[Index | Catalogue, Spans]:
    """Parse like :func:`parse`, and also return where each statement stands.

    The spans are keyed as :meth:`~aiindex_dsl.build.Builder.record` records
    them; the formatter uses them to keep comments beside their statements.
    """
    built, spans, _ = _parse(text, path, comments=False, spans=True)
    return built, spans


def parse_with_comments(
    text: str, path: str = "<text>"
) -> tuple[Index | Catalogue, Spans, list[lark.Token]]:
    """Parse like :func:`parse_with_spans`, and also return the comments, in order."""
    return _parse(text, path, comments=True, spans=True)


# One file at a time per builder: the parser and its builder are shared.
_LOCK = threading.RLock()


def _parse(text: str, path: str, comments: bool, spans: bool):
    with _LOCK:
        building, builder, found = _building_parser(comments)
        found.clear()
        builder.begin(path, _limits(), spans)
        try:
            built = building.parse(text)
        except UnexpectedInput as error:
            raise AixError([_syntax_error(error, text, path, building)]) from None
        except LimitReached:
            parse_tree(text, path)
            message = "the builder stopped at a limit the tree does not pass"
            raise RuntimeError(message) from None
        finally:
            problems, spans = builder.finish()
        kept = list(found)
        found.clear()
    if problems:
        raise AixError(sorted(problems, key=_position))
    return built, spans, kept


def _position(diagnostic: Diagnostic) -> tuple[int, int]:
    span = diagnostic.span
    return (span.line, span.column) if span is not None else (0, 0)


def _limits() -> Limits:
    return Limits(MAX_NODES, MAX_NESTING, MAX_EXPRESSION_DEPTH, MAX_YEARS)


@functools.cache
def _building_parser(comments: bool) -> tuple[lark.Lark, Builder, list[lark.Token]]:
    """The parser that builds the IR as it goes, its builder, and the comments
    it collects (with ``comments``; a list left empty otherwise)."""
    builder = Builder()
    found: list[lark.Token] = []
    callbacks = {"COMMENT": found.append} if comments else {}
    building = _lark(
        lexer=ContextualScanner,
        keep_all_tokens=True,
        transformer=builder,
        lexer_callbacks=callbacks,
    )
    return building, builder, found


@functools.cache
def parser() -> lark.Lark:
    """The LALR parser that makes a Lark tree, positions propagated.

    Slower than :func:`parse`; it gives the exact problem of a file beyond
    the limits, and the states that label syntax errors (the parse tables do
    not depend on what the parser builds).
    """
    return _lark(propagate_positions=True)


def _lark(**options) -> lark.Lark:
    grammar = resources.files("aiindex_dsl").joinpath("aix.lark").read_text("utf-8")
    kind = "tree" if options.get("propagate_positions") else "building"
    return lark.Lark(
        grammar,
        parser="lalr",
        maybe_placeholders=True,
        cache=_cache_file(kind),
        **options,
    )


def _cache_file(kind: str) -> str | bool:
    """Where Lark keeps the parse tables it computes from the grammar, so that
    the next run loads them rather than computing them again (50 ms of each
    run): ``aix/parser-KIND.lark`` in the user's cache folder
    (``$XDG_CACHE_HOME``, by default ``~/.cache``). Lark checks the file
    against the grammar, its options and its own version, and computes the
    tables again when they differ or the file cannot be read; no cache when
    the folder cannot be made."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    folder = os.path.join(base, "aix")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return False
    return os.path.join(folder, f"parser-{kind}.lark")


def _syntax_error(
    error: UnexpectedInput, text: str, path: str, using: lark.Lark
) -> Diagnostic:
    """The diagnostic of an error ``using`` raised (its states label the error)."""
    if isinstance(error, UnexpectedCharacters):
        return _unexpected_character(error, text, path, using)
    if isinstance(error, UnexpectedToken):
        return _unexpected_token(error, text, path, using)
    return _unexpected_end(error, text, path)


def read_source(path: str) -> str:
    """The text of a ``.aix`` file: UTF-8, byte-order mark and CRLF accepted."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise _file_problem(path, "E101", "no such file", _RELATIVE) from None
    except IsADirectoryError:
        raise _file_problem(path, "E101", "this is a folder, not a .aix file") from None
    except OSError as error:
        raise _file_problem(path, "E101", f"cannot be read: {error.strerror}") from None
    except ValueError:
        raise _file_problem(path, "E101", "this is not a valid file name") from None
    if len(raw) > MAX_BYTES:
        what = f"the file is larger than {MAX_BYTES:,} bytes, the most aix reads"
        raise _file_problem(path, "E102", what, "split it with `extends` or `include`")
    return decode(raw, path)


def decode(raw: bytes, path: str) -> str:
    """Bytes to text, with a located error for bytes that are not UTF-8."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        span = Span(
            file=path, line=line, column=column, end_line=line, end_column=column + 1
        )
        raise AixError(
            [
                Diagnostic(
                    "E103",
                    f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x})",
                    span,
                    ("save the file as UTF-8",),
                )
            ]
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_tree(text: str, path: str = "<text>") -> lark.Tree:
    """Parse ``.aix`` text into a Lark tree, or raise an :class:`AixError`.

    The tree is refused when it is nested or sized beyond :data:`LIMITS`.
    """
    try:
        tree = parser().parse(text)
    except UnexpectedInput as error:
        raise AixError([_syntax_error(error, text, path, parser())]) from None
    check_limits(tree, path)
    return tree


# ---- limits -------------------------------------------------------------------

MAX_NESTING = 32
MAX_NODES = 50_000
MAX_EXPRESSION_DEPTH = 256
MAX_YEARS = 1_000
LIMITS = {
    "bytes": MAX_BYTES,
    "nesting": MAX_NESTING,
    "nodes": MAX_NODES,
    "expression depth": MAX_EXPRESSION_DEPTH,
    "years": MAX_YEARS,
}
EXPRESSION_RULES = {"add", "sub", "mul", "div", "neg", "call"}


def check_limits(tree: lark.Tree, path: str) -> None:
    """Refuse a tree nested deeper or holding more nodes than aix takes.

    The walk keeps its own stack, so a hostile file cannot exhaust Python's.
    """
    nodes = 0
    stack = [(tree, 0, 0)]
    while stack:
        subtree, nesting, depth = stack.pop()
        if subtree.data == "node":
            nodes += 1
            nesting += 1
            if nodes > MAX_NODES:
                raise _limit(subtree, path, "E111", *_too_many())
            if nesting > MAX_NESTING:
                raise _limit(subtree, path, "E109", *_too_deep())
        if subtree.data in EXPRESSION_RULES:
            depth += 1
            if depth > MAX_EXPRESSION_DEPTH:
                raise _limit(subtree, path, "E110", *_too_nested())
        if subtree.data not in ("number", "const"):
            _check_years(subtree, path)
        stack += [
            (child, nesting, depth)
            for child in reversed(subtree.children)
            if isinstance(child, lark.Tree)
        ]


def _check_years(subtree: lark.Tree, path: str) -> None:
    """Whole numbers outside ``number`` are years: four digits or so, and a
    span of them no longer than :data:`MAX_YEARS`."""
    years = [
        t for t in subtree.children if isinstance(t, lark.Token) and t.type == "INT"
    ]
    for token in years:
        if len(token.replace("_", "")) > 6:
            span = _span(path, token.line, token.column, len(token))
            hint = "a year is written with four digits, as 2024"
            raise AixError(
                [Diagnostic("E112", f"`{token[:12]}` is not a year", span, (hint,))]
            )
    if subtree.data == "year_span" and len(years) == 2:
        first, last = (int(t.replace("_", "")) for t in years)
        if last - first > MAX_YEARS:
            hint = "list the years the index scores, as `years 2015 to 2024`"
            message = f"the years span more than {MAX_YEARS:,} years"
            span = _span(path, years[0].line, years[0].column, len(years[0]))
            raise AixError([Diagnostic("E112", message, span, (hint,))])


def _too_many() -> tuple[str, str]:
    return (
        f"the definition has more than {MAX_NODES:,} dimensions and indicators",
        "split the index, or compute part of it elsewhere",
    )


def _too_deep() -> tuple[str, str]:
    return (
        f"dimensions are nested more than {MAX_NESTING} deep",
        "flatten the tree: few indices need more than four levels",
    )


def _too_nested() -> tuple[str, str]:
    return (
        f"the expression is more than {MAX_EXPRESSION_DEPTH} operations deep"
        " (each operator of a sum or product, and each function, counts one)",
        "split it into derived indicators of their own",
    )


def _limit(subtree: lark.Tree, path: str, code: str, message: str, hint: str):
    line = getattr(subtree.meta, "line", 1)
    column = getattr(subtree.meta, "column", 1)
    return AixError([Diagnostic(code, message, _span(path, line, column), (hint,))])


# ---- parse errors ---------------------------------------------------------------


_RELATIVE = (
    "check the path; in `extends` and `include` it is relative to the file naming it"
)


def _file_problem(path: str, code: str, what: str, *hints: str) -> AixError:
    return AixError([Diagnostic(code, what, None, hints, location=path)])


def _span(path: str, line: int, column: int, width: int = 1) -> Span:
    return Span(
        file=path, line=line, column=column, end_line=line, end_column=column + width
    )


def expected_sentence(names) -> str:
    """What the parser expected, as a person would say it.

    >>> expected_sentence({"NUMBER", "INT", "MINUS"})
    'expected a number'
    """
    names = set(names) - {"COMMENT"}
    words = []
    if names & {"NUMBER", "MINUS"}:
        names -= {"NUMBER", "INT", "MINUS"}
        words.append("a number")
    keywords = sorted(n for n in names if _is_keyword(n))
    others = sorted({_word(n) for n in names if not _is_keyword(n)})
    if len(keywords) > MAX_KEYWORDS:
        words = ["a statement such as `dimension`, `indicator` or `weight`"]
        return "expected " + _either(words + ["`}`"] * ("RBRACE" in names))
    words += [f"`{_keyword(k)}`" for k in keywords]
    words += others
    return "expected " + _either(words) if words else ""


MAX_KEYWORDS = 6


def _either(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _is_keyword(name: str) -> bool:
    if name in TERMINAL_WORDS:
        return False
    terminal = _terminal(name)
    return (
        terminal is not None
        and terminal.pattern.type == "str"
        and terminal.pattern.value.isalpha()
    )


def _keyword(name: str) -> str:
    return _terminal(name).pattern.value


def is_word(code: str) -> bool:
    """Whether ``code`` reads back as a name wherever one is written: a name
    that no keyword or other terminal of the grammar also matches (``year``,
    ``members`` and ``dimension`` do)."""
    return bool(_NAME.fullmatch(code)) and not any(
        pattern.fullmatch(code) for pattern in _others()
    )


_NAME = re.compile(r"[^\W\d]\w*")


@functools.cache
def _others() -> tuple[re.Pattern, ...]:
    """The patterns of the grammar's terminals other than names and texts."""
    return tuple(
        re.compile(terminal.pattern.to_regexp())
        for terminal in parser().terminals
        if terminal.name not in ("NAME", "STRING")
    )


def _terminal(name: str):
    try:
        return parser().get_terminal(name)
    except KeyError:
        return None


def _expected(names) -> tuple[str, ...]:
    sentence = expected_sentence(names)
    return (sentence,) if sentence else ()


def _word(name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    terminal = _terminal(name)
    if terminal is not None and terminal.pattern.type == "str":
        return f"`{terminal.pattern.value}`"
    return name.lower()


def _unexpected_character(
    error: UnexpectedCharacters, text: str, path: str, using: lark.Lark
) -> Diagnostic:
    char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
    span = _span(path, error.line, error.column)
    if char == '"':
        return Diagnostic(
            "E104",
            "this text is never closed",
            span,
            ('close it with `"` on the same line, or use """ for several lines',),
        )
    malformed = _malformed_number(text, error.pos_in_stream, path, error.line)
    if malformed is not None:
        return malformed
    label = _labelled(error, using)
    hints = _expected(error.allowed or ())
    shown = char if char.isprintable() else repr(char)
    if label is not None:
        return Diagnostic("E105", f"unexpected `{shown}`: {label}", span, hints)
    return Diagnostic("E105", f"unexpected character `{shown}`", span, hints)


def _unexpected_token(
    error: UnexpectedToken, text: str, path: str, using: lark.Lark
) -> Diagnostic:
    token = error.token
    if token.type == "$END":
        return _unexpected_end(error, text, path)
    malformed = _malformed_number(text, token.start_pos, path, token.line)
    if malformed is not None:
        return malformed
    width = max(1, len(str(token).split("\n")[0]))
    span = _span(path, token.line, token.column, width)
    shown = _shown(token)
    label = _labelled(error, using)
    message = f"unexpected {shown}: {label}" if label else f"unexpected {shown}"
    glued = _glued(text, token, path)
    if glued is not None:
        return Diagnostic("E106", *glued)
    hints = _run_together(text, token) + _misspelt(token, error.expected)
    return Diagnostic("E106", message, span, hints + _expected(error.expected))


def _glued(text: str, token, path: str) -> tuple | None:
    """A word that starts with a keyword (``scales``, ``normalizes``) is
    read as the keyword and the rest: the message names the whole word,
    whether the parser stopped inside it or at the next word of the
    statement it begins."""
    start = token.start_pos
    if start is None or not str(token)[:1].isalnum():
        return None
    line_start = text.rfind("\n", 0, start) + 1
    inside = re.search(r"[^\W\d]\w*$", text[line_start:start])
    if inside is not None:
        at = line_start + inside.start()
    else:
        first = re.fullmatch(r"[\s{]*([^\W\d]\w*)\s+", text[line_start:start])
        if first is None:
            return None
        at = line_start + first.start(1)
    word = re.match(r"\w+", text[at:]).group()
    keyword = max(
        (k for k in _keywords() if word.startswith(k) and len(word) - len(k) <= 2),
        key=len,
        default=None,
    )
    if keyword is None or word in _keywords() or not word[len(keyword) :].isalpha():
        return None
    column = at - line_start + 1
    line = text.count("\n", 0, at) + 1
    return (
        f"unexpected `{word}`",
        _span(path, line, column, len(word)),
        (f"did you mean `{keyword}`?",),
    )


@functools.cache
def _keywords() -> frozenset[str]:
    """The grammar's keywords (``scale``, ``normalize``, ...)."""
    return frozenset(
        terminal.pattern.value
        for terminal in parser().terminals
        if terminal.pattern.type == "str" and terminal.pattern.value.isalpha()
    )


# The names of methods that are one word joined by `_`.
JOINED = frozenset(n for n in (*NORMALIZATIONS, *ROLLUPS) if "_" in n)


def _run_together(text: str, token) -> tuple[str, ...]:
    """`minmax pooled`, written for `minmax_pooled`."""
    if token.start_pos is None:
        return ()
    previous = re.search(r"[A-Za-z]+$", text[: token.start_pos].rstrip())
    joined = f"{previous.group()}_{token}" if previous else ""
    return (f"write `{joined}`, one word",) if joined in JOINED else ()


def _misspelt(token, expected) -> tuple[str, ...]:
    if token.type != "NAME":
        return ()
    words = {_keyword(n) for n in expected if _is_keyword(n)}
    if expected and ("KIND" in expected or len(words) > MAX_KEYWORDS):
        words |= {"dimension", "indicator"}
    return did_you_mean(str(token), sorted(words))


def _shown(token) -> str:
    if token.type in ("$END", "<END-OF-FILE>"):
        return "end of the file"
    text = str(token).split("\n")[0]
    return f"`{text[:40]}`"


def _malformed_number(text: str, position: int, path: str, line: int):
    """A number run together with more characters, like ``1.2.3`` or ``20x``."""
    if position is None or not 0 <= position < len(text):
        return None
    if not (text[position].isalnum() or text[position] in "._,"):
        return None
    start = position
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "{}()":
        start -= 1
    end = position
    while end < len(text) and not text[end].isspace() and text[end] not in "{}()":
        end += 1
    word = text[start:end].rstrip("%")
    if not word[:1].isdigit() or start == position or _is_number(word):
        return None
    if '"' in word:
        # The end of a quoted text (`"EU 27",`), not a number.
        return None
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    span = _span(path, line, column, len(word))
    hint = "write numbers as 12, 12.5, -3, 1_000 or 1e6"
    return Diagnostic("E108", f"`{word}` is not a number", span, (hint,))


def _is_number(word: str) -> bool:
    try:
        float(word.replace("_", ""))
    except ValueError:
        return word.count("-") == 2 and word.replace("-", "").isdigit()
    return True


def _unexpected_end(error, text: str, path: str) -> Diagnostic:
    line = text.count("\n") + 1
    span = _span(path, line, len(text.rsplit("\n", 1)[-1]) + 1)
    if not _CODE.sub("", text).strip():
        hint = "a definition starts with `index NAME {` and ends with `}`"
        return Diagnostic("E100", "the file is empty", span, (hint,))
    hints = _expected(error.expected)
    if "RBRACE" in (error.expected or ()):
        hints = (_open_block(text),) + hints
    return Diagnostic(
        "E107", "the file ends before the definition is complete", span, hints
    )


# Strings and comments, which may hold braces that open nothing.
_CODE = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*')


def _open_block(text: str) -> str:
    """Which block is still open at the end of ``text``: its line and opening.

    Braces pair up from the inside, so the block left open is always the
    outermost one. The indentation tells where the ``}`` was really missed: the
    first ``}`` that starts a line less indented than the line of its
    ``{`` closes an outer block, so the block it pairs with is the one left open.
    """
    blanked = _CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    opened: list[int] = []
    pairs: list[tuple[int, int]] = []
    for position, char in enumerate(blanked):
        if char == "{":
            opened.append(position)
        elif char == "}" and opened:
            pairs.append((opened.pop(), position))
    if not opened:
        return "a block opened with `{` is not closed: add `}`"
    for start, close in pairs:
        if _starts_line(blanked, close) and _indent(text, close) < _indent(text, start):
            line = text.count("\n", 0, start) + 1
            closed = text.count("\n", 0, close) + 1
            return (
                f"the block `{_head(text, start)}` opened on line {line} seems not "
                f"closed: the `}}` on line {closed} is indented as for an outer block; "
                "add `}`"
            )
    start = opened[-1]
    line = text.count("\n", 0, start) + 1
    head = _head(text, start)
    return f"the block `{head}` opened on line {line} is not closed: add `}}`"


def _head(text: str, brace: int) -> str:
    return text[text.rfind("\n", 0, brace) + 1 : brace + 1].strip()[:60]


def _starts_line(text: str, position: int) -> bool:
    return not text[text.rfind("\n", 0, position) + 1 : position].strip()


def _indent(text: str, position: int) -> int:
    line = text[text.rfind("\n", 0, position) + 1 :]
    return len(line) - len(line.lstrip(" \t"))


# ---- labelled examples ------------------------------------------------------------

# Bad snippets, each labelled with what its author most likely meant. An error
# that leaves the parser in the state one of these leaves it in gets its label.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "a file starts with `index NAME {` (or holds only sources, units and "
    "variables, to be included)": ("scale 0 to 100", "indicator x { }", "{ }"),
    "after `index` comes the index's name, as `index my_index`": (
        "index { }",
        'index "AI index" { }',
    ),
    "the index's title, if any, is quoted text after its name": (
        "index t AI { }",
        "index t 12 { }",
    ),
    "`scale` takes two numbers, as `scale 0 to 100`": (
        "index t { scale to 100 }",
        "index t { scale 0 to }",
        "index t { scale 0 to x }",
    ),
    "`weight` takes a number, as `weight 20%` or `weight 2`": (
        "index t { indicator x weight { } }",
        "index t { indicator x { weight } }",
        "index t { indicator x weight x }",
    ),
    "`anchors` takes two numbers, as `anchors worst 0 best 100`": (
        "index t { indicator x { anchors 0 100 } }",
        "index t { indicator x { anchors worst 0 best } }",
        "index t { indicator x { anchors worst best 1 } }",
    ),
    "`ranks rounded to` takes a whole number of decimals, as "
    "`ranks rounded to 3 decimals`": (
        "index t { ranks rounded to 2.5 decimals }",
        "index t { ranks rounded to decimals }",
        "index t { ranks rounded 3 decimals }",
        "index t { ranks rounded to 3 }",
    ),
    'a unit\'s code that holds a dot is written in quotes, as `"P2.5"`': (
        "index t { group G { members P1 P2.5 } }",
        "index t { expect composite P3.1 1 }",
    ),
    "`unranked` lists units' codes separated by spaces, as "
    '`unranked EU27 "ZZK.WORLD"`': (
        'index t { unranked "A", "B" }',
        'index t { unranked "A"; "B" }',
        "index t { unranked A, B }",
    ),
    "a unit is a code and an optional quoted name; list them with spaces, not commas": (
        "index t { units { US, CN } }",
        "index t { units { US; CN } }",
    ),
    'units are listed in a block: `units { US "United States" }`': (
        "index t { units US }",
    ),
    'a path is quoted text, as `file "data/values.csv"`': (
        "index t { source s { file data.csv } }",
        "index t { include base.aix }",
    ),
    "an operator needs a value on each side": (
        "index t { indicator x { derive a + * b } }",
        "index t { indicator x { derive a * } }",
        "index t { indicator x { derive } }",
    ),
    "a function takes one value, as `log(gdp)`; quoted text is not a value": (
        'index t { indicator x { derive f("os") } }',
        "index t { indicator x { derive f() } }",
    ),
    "a dimension or indicator needs its name, as `dimension rd`": (
        "index t { dimension { } }",
        'index t { indicator "x" { } }',
    ),
    "there is one `}` too many here, or the index was already closed": (
        "index t { } }",
        "index t { units { US } }\n}",
        "index t { dimension d { } } }",
    ),
    "the index is already closed: statements go inside its `{ }`": (
        "index t { } x",
        "index t { } scale 0 to 1",
        "index t { } dimension d { }",
        "index t { } weight 1",
    ),
    "`years` takes a year, a span (`2020 to 2024`) or a list of years": (
        "index t { years }",
        "index t { years x }",
        "index t { years 2020 to }",
        "index t { years scale 0 to 1 }",
        "index t { years units { } }",
    ),
    '`from` names a source and then the column, in quotes: `from values "gdp"`': (
        "index t { indicator x { from values gdp } }",
        'index t { indicator x { from "gdp" } }',
    ),
}


@functools.cache
def _label_table(using: lark.Lark) -> dict[tuple[int, str], str]:
    """The labels by the state ``using`` stops in on each example.

    Each parser numbers its states its own way, so each has its own table.
    The examples run through the parser's builder, if it has one, at a time
    when whatever it holds is being thrown away: the parse that failed.
    """
    table: dict[tuple[int, str], str] = {}
    for label, snippets in EXAMPLES.items():
        for snippet in snippets:
            try:
                using.parse(snippet)
            except (UnexpectedToken, UnexpectedCharacters) as error:
                key = _state_key(error)
                if key is not None:
                    table.setdefault(key, label)
    return table


def _state_key(error) -> tuple[int, str] | None:
    state = getattr(error, "state", None)
    if state is None:
        return None
    token = getattr(error, "token", None)
    return (state.position, token.type if token is not None else "<char>")


def _labelled(error, using: lark.Lark) -> str | None:
    key = _state_key(error)
    if key is None:
        return None
    return _label_table(using).get(key)
