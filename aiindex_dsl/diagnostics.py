"""Problems as records: a code, a message, where, and hints.

The library raises :class:`AixError` holding one or more :class:`Diagnostic`;
only the command line turns them into text (:func:`render_text`) or JSON
(:func:`render_json`). Codes are stable so that tools can key on them:

- ``E1xx`` the text does not parse;
- ``E2xx`` the definition is inconsistent (names, weights, anchors, methods);
- ``E3xx`` composition (``extends``, ``include``) failed;
- ``E4xx`` a data file is missing, unreadable or does not fit the definition;
- ``E5xx`` an output could not be written;
- ``E6xx`` a published result (an ``expect`` line) was not reproduced;
- ``W4xx`` a warning about the data (:class:`AixWarning`): the run goes on.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .ir import Span

MAX_SHOWN = 50


@dataclass(frozen=True)
class Diagnostic:
    """One problem: what is wrong, where, and how to fix it."""

    code: str
    message: str
    span: Span | None = None
    hints: tuple[str, ...] = ()
    severity: str = "error"
    location: str | None = field(default=None)

    def where(self) -> str:
        """``file:line:col``, a data file location, or an empty string."""
        if self.span is not None:
            return str(self.span)
        return self.location or ""

    def as_dict(self) -> dict:
        """The record as plain data, for JSON output."""
        span = self.span.model_dump() if self.span else None
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "span": span,
            "location": self.location,
            "hints": list(self.hints),
        }


class AixError(Exception):
    """Raised by the library for anything a user's input caused."""

    exit_code = 1

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("; ".join(_located(d) for d in self.diagnostics))


def _located(diagnostic: Diagnostic) -> str:
    """``file:line:col: [CODE] message``, as a traceback shows an error."""
    where = diagnostic.where()
    text = f"[{diagnostic.code}] {diagnostic.message}"
    return f"{where}: {text}" if where else text


class AixWarning(UserWarning):
    """A methodological caveat: the result is computed but deserves a look.

    Its text starts with where it applies (``file:line:col: ``, or a file's
    path); ``code`` is stable as the errors' are (``W4xx``: the data).
    """

    def __init__(self, message: str, code: str = "W400"):
        super().__init__(message)
        self.code = code

    def as_diagnostic(self) -> Diagnostic:
        """The warning as a record of severity ``warning``, for JSON output."""
        where, _, what = str(self).partition(": ")
        at = POSITION.fullmatch(where)
        if at is None:
            return Diagnostic(self.code, what, severity="warning", location=where)
        line, column = int(at["line"]), int(at["column"])
        span = Span(
            file=at["file"], line=line, column=column, end_line=line, end_column=column
        )
        return Diagnostic(self.code, what, span, severity="warning", location=where)


# A warning's place in a .aix file, as its text starts: ``file:line:col``.
POSITION = re.compile(r"(?P<file>.+):(?P<line>\d+):(?P<column>\d+)")


def warn(code: str, message: str) -> None:
    """Give an :class:`AixWarning`; ``message`` starts with where it applies.
    Python shows it at the first line outside aix that led to it (the user's
    call of ``run``), not inside the package."""
    warnings.warn(AixWarning(message, code), stacklevel=_outside_level())


def _outside_level() -> int:
    """The ``stacklevel`` of the nearest caller outside this package, as seen
    from :func:`warn`'s call of ``warnings.warn``."""
    package = __name__.rpartition(".")[0]
    frame, level = sys._getframe(2), 2
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != package and not module.startswith(package + "."):
            break
        frame, level = frame.f_back, level + 1
    return level


def problem(code: str, message: str, span: Span | None = None, *hints: str) -> AixError:
    """An :class:`AixError` holding a single diagnostic."""
    return AixError([Diagnostic(code, message, span, tuple(hints))])


def did_you_mean(name: str, candidates: Iterable[str]) -> tuple[str, ...]:
    """A hint naming the closest candidates to ``name``, if any are close.

    >>> did_you_mean("patnets", ["patents", "papers"])
    ('did you mean `patents`?',)
    """
    candidates = list(candidates)
    # Codes differ in case more often than in letters (`u3` for `U3`).
    matches = [c for c in candidates if c.lower() == name.lower() and c != name]
    matches += difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    # And those close but for case (`US` for `usa`).
    lowered = {c.lower(): c for c in reversed(candidates)}
    near = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    matches += [lowered[m] for m in near]
    matches = list(dict.fromkeys(matches))[:3]
    if not matches:
        return ()
    names = " or ".join(f"`{m}`" for m in matches)
    return (f"did you mean {names}?",)


# ---- rendering --------------------------------------------------------------


def render_text(diagnostics: Iterable[Diagnostic], limit: int = MAX_SHOWN) -> str:
    """Diagnostics as ``file:line:col``, the source line, an underline, hints."""
    diagnostics = list(diagnostics)
    blocks = [_render_one(d) for d in diagnostics[:limit]]
    hidden = len(diagnostics) - limit
    if hidden > 0:
        blocks.append(f"... and {hidden} more problems not shown")
    return "\n\n".join(blocks)


def _render_one(diagnostic: Diagnostic) -> str:
    where = diagnostic.where()
    head = f"{diagnostic.severity}[{diagnostic.code}]: {diagnostic.message}"
    lines = [f"{where}: {head}" if where else head]
    lines += _excerpt(diagnostic.span)
    lines += [f"  = hint: {hint}" for hint in diagnostic.hints]
    return "\n".join(visible(line) for line in lines)


# Control characters (a file's text may hold them: a header's escape codes
# would drive the terminal) as escapes, ``\x1b``.
_ESCAPED = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}


def visible(text: str) -> str:
    """``text`` with its control characters written as escapes, ``\\x1b``."""
    return text.translate(_ESCAPED)


def _excerpt(span: Span | None) -> list[str]:
    if span is None:
        return []
    source_line = _read_line(span.file, span.line)
    if source_line is None:
        return []
    width = len(str(span.line))
    end = span.end_column if span.end_line == span.line else len(source_line) + 1
    start, end = span.column - 1, max(end - 1, span.column)
    source_line, start, end = _window(source_line, start, end)
    # One character for one, so that the underline stays in place.
    source_line = source_line.translate(_REPLACED)
    underline = " " * start + "^" * (end - start)
    return [
        f"{' ' * width} |",
        f"{span.line} | {source_line}",
        f"{' ' * width} | {underline}",
    ]


_REPLACED = dict.fromkeys(_ESCAPED, "\ufffd")

# The most characters of a source line an excerpt shows.
EXCERPT = 120


def _window(line: str, start: int, end: int) -> tuple[str, int, int]:
    """At most :data:`EXCERPT` characters of ``line`` around the part from
    ``start`` to ``end`` (0-based, end excluded), cut lines marked with
    ``...``; the part's new place."""
    if len(line) <= EXCERPT:
        return line, start, end
    end = min(end, start + EXCERPT // 2)
    left = max(0, min(start - EXCERPT // 4, len(line) - EXCERPT))
    shown = line[left : left + EXCERPT]
    head = "..." if left > 0 else ""
    tail = "..." if left + EXCERPT < len(line) else ""
    shift = len(head) - left
    return head + shown + tail, start + shift, end + shift


def _read_line(file: str, number: int) -> str | None:
    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    if 1 <= number <= len(lines):
        return lines[number - 1].replace("\t", " ")
    return None


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    """Diagnostics as a JSON document, for editors and CI."""
    records = [d.as_dict() for d in diagnostics]
    return json.dumps({"version": 1, "diagnostics": records}, indent=2)
