"""Text to tokens: Lark's contextual lexer, without its per-token overhead.

Lark's contextual lexer reads each token with the terminals the parser can
accept in its current state, so that a keyword is read as a name where a name
is expected. It matches whitespace and comments one run at a time, like any
other terminal, and counts lines through a helper object; on a large
definition that is most of the parse.

:class:`ContextualScanner` keeps Lark's per-state lexers (the same regular
expressions, in the same order, with the same keyword table), but skips
whitespace and comments with one expression and builds the tokens itself. It
yields exactly the tokens Lark's lexer would: same types, text and positions.
Wherever a state's lexer finds nothing to match, Lark's own lexer takes over at
that position, so errors are Lark's too. A lexer with callbacks (the
formatter's, which keeps comments) is Lark's lexer unchanged.
"""

from __future__ import annotations

import re

from lark.lexer import (
    ContextualLexer,
    Lexer,
    LexerState,
    LineCounter,
    PatternStr,
    Token,
)

# Lark calls ``lex(lexer_state, parser_state)`` on a lexer declaring this.
INTERFACE = 2


class ContextualScanner(Lexer):
    """A contextual lexer for Lark's LALR parser (``Lark(..., lexer=...)``)."""

    __future_interface__ = INTERFACE

    def __init__(self, conf):
        self.conf = conf
        self.lark_lexer: ContextualLexer | None = None
        self.tables: dict | None = None

    def lex(self, lexer_state: LexerState, parser_state):
        """The tokens of the text, each read in the parser's current state."""
        if self.lark_lexer is None:
            self._prepare(parser_state.parse_conf.states)
        if self.tables is None:
            return self.lark_lexer.lex(lexer_state, parser_state)
        return self._scan(lexer_state, parser_state)

    def _prepare(self, states) -> None:
        accepts = {state: list(actions) for state, actions in states.items()}
        self.lark_lexer = ContextualLexer(self.conf, accepts)
        if self.conf.callbacks:
            return
        tables = {}
        for state, lexer in self.lark_lexer.lexers.items():
            table = _table(lexer)
            if table is None:
                return
            tables[state] = table
        self.skip = _skipping(self.conf)
        self.tables = tables

    def _scan(self, lexer_state: LexerState, parser_state):
        text, end = _bounds(lexer_state.text)
        counter = lexer_state.line_ctr
        position, line, line_start = (
            counter.char_pos,
            counter.line,
            counter.line_start_pos,
        )
        tables, stack, skip = self.tables, parser_state.state_stack, self.skip.match
        while True:
            skipped = skip(text, position, end)
            if skipped is not None:
                stop = skipped.end()
                newlines = text.count("\n", position, stop)
                if newlines:
                    line += newlines
                    line_start = text.rfind("\n", position, stop) + 1
                position = stop
            if position >= end:
                return

            match, keywords, multiline = tables[stack[-1]]
            found = match(text, position, end)
            if found is None:
                at = _counter(position, line, line_start)
                lexer_state.line_ctr = at
                yield from self.lark_lexer.lex(lexer_state, parser_state)
                return

            value, kind, stop = found.group(), found.lastgroup, found.end()
            if kind in keywords:
                kind = keywords[kind].get(value, kind)
            token = _token(kind, value, position, line, position - line_start + 1)
            if kind in multiline and "\n" in value:
                line += value.count("\n")
                line_start = position + value.rindex("\n") + 1
            token.end_line, token.end_column, token.end_pos = (
                line,
                stop - line_start + 1,
                stop,
            )
            lexer_state.last_token = token
            position = stop
            yield token


def _table(lexer):
    """One state's lexer as (match, keywords by terminal, multiline terminals).

    None when the lexer is not of the simple shape this scanner handles: one
    compiled expression, keywords that are plain words.
    """
    expressions = getattr(lexer.scanner, "_mres", None)
    if not expressions or len(expressions) != 1:
        return None
    keywords = {}
    for kind, callback in lexer.callback.items():
        terminals = getattr(getattr(callback, "scanner", None), "terminals", None)
        if terminals is None or not all(_plain(t) for t in terminals):
            return None
        keywords[kind] = {t.pattern.value: t.name for t in terminals}
    return expressions[0].match, keywords, lexer.newline_types


def _plain(terminal) -> bool:
    return isinstance(terminal.pattern, PatternStr) and not terminal.pattern.flags


def _skipping(conf) -> re.Pattern:
    """One expression for a run of ignored terminals (whitespace, comments)."""
    ignored = [t for t in conf.terminals if t.name in conf.ignore]
    either = "|".join(f"(?:{t.pattern.to_regexp()})" for t in ignored)
    return re.compile(f"(?:{either})+", conf.g_regex_flags)


def _bounds(text) -> tuple[str, int]:
    """The text and where to stop: Lark passes a slice of it (``TextSlice``)."""
    if isinstance(text, str):
        return text, len(text)
    return text.text, text.end


def _counter(position: int, line: int, line_start: int) -> LineCounter:
    counter = LineCounter("\n")
    counter.char_pos, counter.line, counter.line_start_pos = position, line, line_start
    counter.column = position - line_start + 1
    return counter


def _token(kind: str, value: str, position: int, line: int, column: int) -> Token:
    """A Lark token, built without ``Token.__new__``'s argument handling."""
    token = str.__new__(Token, value)
    token.type, token.value, token.start_pos = kind, value, position
    token.line, token.column = line, column
    return token
