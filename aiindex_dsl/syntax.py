"""Text to parse tree: the Lark parser and its errors in the author's words."""

from __future__ import annotations

import functools
from importlib import resources

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from .diagnostics import AixError, Diagnostic
from .ir import Span

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
}


@functools.cache
def parser() -> lark.Lark:
    """The LALR parser built from the grammar shipped with the package."""
    grammar = resources.files("aiindex_dsl").joinpath("aix.lark").read_text("utf-8")
    return lark.Lark(
        grammar,
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
    )


def read_source(path: str) -> str:
    """The text of a ``.aix`` file: UTF-8, byte-order mark and CRLF accepted."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise _file_problem(path, "E101", "file not found") from None
    except IsADirectoryError:
        raise _file_problem(path, "E101", "is a folder, not a .aix file") from None
    except OSError as error:
        raise _file_problem(
            path, "E101", f"cannot be read ({error.strerror})"
        ) from None
    if len(raw) > MAX_BYTES:
        raise _file_problem(path, "E102", f"is larger than {MAX_BYTES:,} bytes")
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


def parse(text: str, path: str = "<text>") -> lark.Tree:
    """Parse ``.aix`` text into a Lark tree, or raise an :class:`AixError`."""
    try:
        return parser().parse(text)
    except UnexpectedCharacters as error:
        raise AixError([_unexpected_character(error, text, path)]) from None
    except UnexpectedToken as error:
        raise AixError([_unexpected_token(error, path)]) from None
    except UnexpectedEOF as error:
        raise AixError([_unexpected_end(error, text, path)]) from None


def _file_problem(path: str, code: str, what: str) -> AixError:
    return AixError([Diagnostic(code, f"{path} {what}", None, (), location=path)])


def _span(path: str, line: int, column: int, width: int = 1) -> Span:
    return Span(
        file=path, line=line, column=column, end_line=line, end_column=column + width
    )


def _expected(names) -> tuple[str, ...]:
    words = sorted({_word(name) for name in names})
    if not words:
        return ()
    if len(words) > 8:
        words = words[:8] + ["..."]
    return ("expected " + ", ".join(words),)


def _word(name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    pattern = parser().get_terminal(name).pattern
    return f"`{pattern.value}`" if pattern.type == "str" else name.lower()


def _unexpected_character(
    error: UnexpectedCharacters, text: str, path: str
) -> Diagnostic:
    char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
    span = _span(path, error.line, error.column)
    if char == '"':
        return Diagnostic(
            "E104",
            "this text is never closed",
            span,
            ('close it with `"` on the same line',),
        )
    hints = _expected(error.allowed or ())
    return Diagnostic("E105", f"unexpected character `{char}`", span, hints)


def _unexpected_token(error: UnexpectedToken, path: str) -> Diagnostic:
    token = error.token
    if token.type == "$END":
        return _unclosed(error, path)
    width = max(1, len(str(token)))
    span = _span(path, token.line, token.column, width)
    return Diagnostic("E106", f"unexpected `{token}`", span, _expected(error.expected))


def _unclosed(error: UnexpectedToken | UnexpectedEOF, path: str) -> Diagnostic:
    line = getattr(error.token, "line", 1) or 1
    column = getattr(error.token, "column", 1) or 1
    span = _span(path, line, column)
    hints = ("a block opened with `{` is not closed: add `}`",) + _expected(
        error.expected
    )
    return Diagnostic(
        "E107", "the file ends before the definition is complete", span, hints
    )


def _unexpected_end(error: UnexpectedEOF, text: str, path: str) -> Diagnostic:
    line = text.count("\n") + 1
    span = _span(path, line, len(text.rsplit("\n", 1)[-1]) + 1)
    hints = _expected(error.expected)
    return Diagnostic(
        "E107", "the file ends before the definition is complete", span, hints
    )
