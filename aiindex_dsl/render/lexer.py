"""A Pygments lexer for ``.aix`` files, used by ``aix docs`` and by any tool
that highlights code with Pygments (registered as the ``aix`` lexer).

It follows the grammar's terminals: ``#`` comments, triple- and double-quoted
strings, dates, numbers with an optional ``%``, the statement keywords, and
names. It colours text only; nothing in it parses or checks a definition.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

DECLARATIONS = (
    "index",
    "extends",
    "dimension",
    "indicator",
    "source",
    "variable",
    "group",
    "units",
    "include",
    "expect",
    "remove",
)
STATEMENTS = (
    "version",
    "authors",
    "licence",
    "scale",
    "to",
    "years",
    "ranks",
    "rounded",
    "decimals",
    "decimal",
    "unranked",
    "members",
    "rollup",
    "by",
    "title",
    "publisher",
    "year",
    "url",
    "retrieved",
    "note",
    "file",
    "format",
    "layout",
    "column",
    "value",
    "missing",
    "from",
    "code",
    "name",
    "weight",
    "weights",
    "aggregate",
    "normalize",
    "anchors",
    "worst",
    "best",
    "transform",
    "direction",
    "impute",
    "treat",
    "coverage",
    "score",
    "derive",
    "unit",
    "description",
    "cite",
    "within",
    "in",
    "points",
    "clipped",
    "unclipped",
)


class AixLexer(RegexLexer):
    """Highlight the text of a ``.aix`` index definition."""

    name = "aix"
    aliases = ("aix",)
    filenames = ("*.aix",)
    mimetypes = ("text/x-aix",)

    tokens = {  # noqa: RUF012 - the form Pygments expects
        "root": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"""[\s\S]*?"""', String.Doc),
            (r'"(?:[^"\\\n]|\\.)*"', String.Double),
            (r"\d{4}-\d{2}-\d{2}", Number.Other),
            (r"(\d[\d_]*)?\.\d[\d_]*([eE][+-]?\d+)?%?", Number.Float),
            (r"\d[\d_]*([eE][+-]?\d+)?%?", Number.Integer),
            (
                r"\b(index|dimension|indicator|source|variable|group)(\s+)([^\W\d]\w*)",
                bygroups(Keyword.Declaration, Whitespace, Name.Class),
            ),
            (words(DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (words(STATEMENTS, suffix=r"\b"), Keyword),
            (r"[^\W\d]\w*", Name),
            (r"[+\-*/]", Operator),
            (r"[{}()]", Punctuation),
            (r".", Text),
        ]
    }
