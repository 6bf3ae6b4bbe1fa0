"""The Pygments lexer of .aix files: the tokens a reader sees coloured."""

from __future__ import annotations

from pygments.lexers import get_lexer_for_filename
from pygments.token import Comment, Keyword, Name, Number, String

from aiindex_dsl.render.lexer import AixLexer

SAMPLE = """# a comment
index demo "Demo" {
  dimension pg "Policy" weight 10% {
    anchors worst 0 best 2.5 "a goal"
    retrieved 2026-12-03
  }
}
"""


def _tokens():
    return [
        (kind, text) for kind, text in AixLexer().get_tokens(SAMPLE) if text.strip()
    ]


def test_tokens_of_a_small_definition():
    tokens = _tokens()
    assert tokens[0] == (Comment.Single, "# a comment")
    assert (Keyword.Declaration, "index") in tokens
    assert (Name.Class, "demo") in tokens
    assert (Name.Class, "pg") in tokens
    assert (String.Double, '"Policy"') in tokens
    assert (Number.Integer, "10%") in tokens
    assert (Number.Float, "2.5") in tokens
    assert (Number.Other, "2026-12-03") in tokens
    assert (Keyword, "anchors") in tokens


def test_every_character_is_kept():
    text = "".join(text for _, text in AixLexer().get_tokens(SAMPLE))
    assert text == SAMPLE


def test_the_lexer_is_registered_for_aix_files():
    assert isinstance(get_lexer_for_filename("index.aix"), AixLexer)
