"""The formulas of the method, written once and shown three ways.

A formula is a small tree of :class:`Term` objects; :func:`mathml` renders it as
presentation MathML (shown by browsers without scripts), :func:`tex` as LaTeX
math and :func:`text` as plain Unicode for Markdown. Numbers put into a formula
(a worked example) go through the same renderers, so every view shows the same
figures.

>>> text(equation(sym("s"), frac(sym("x"), num(2))))
's = (x) / (2)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from ..ir import Scale
from ..results import round_half_up

# ---- the tree ------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One piece of a formula.

    ``kind`` is ``sym`` (an italic letter with an optional subscript), ``num``,
    ``word`` (an upright function name), ``op``, ``row`` (a sequence), ``frac``,
    ``sum`` (a summation over ``text``), ``pow`` or ``paren``.
    """

    kind: str
    text: str = ""
    sub: str = ""
    parts: tuple[Term, ...] = ()


def sym(name: str, sub: str = "") -> Term:
    """A variable such as ``x`` or ``s_i``."""
    return Term("sym", name, sub)


def num(value: float | str) -> Term:
    """A number, shown as given (strings) or compactly (floats)."""
    return Term("num", value if isinstance(value, str) else number(value))


def word(name: str) -> Term:
    """An upright name: ``ln``, ``exp``, ``min``."""
    return Term("word", name)


def op(symbol: str) -> Term:
    """An operator or relation: ``=``, ``+``, ``·``."""
    return Term("op", symbol)


def row(*parts: Term) -> Term:
    """Terms one after another."""
    return Term("row", parts=parts)


def frac(top: Term, bottom: Term) -> Term:
    """A fraction."""
    return Term("frac", parts=(top, bottom))


def total(over: str, body: Term) -> Term:
    """A sum of ``body`` over the set named by ``over``."""
    return Term("sum", over, parts=(body,))


def power(base: Term, exponent: Term) -> Term:
    """``base`` raised to ``exponent``."""
    return Term("pow", parts=(base, exponent))


def paren(*parts: Term) -> Term:
    """Terms in parentheses."""
    return Term("paren", parts=parts)


def equation(left: Term, *right: Term) -> Term:
    """``left = right``."""
    return row(left, op("="), *right)


def number(value: float) -> str:
    """A number as a reader writes it: 100.0 -> ``100``, 276288 -> ``276,288``,
    0.25 -> ``0.25`` (six significant digits at most)."""
    if not math.isfinite(value):
        return {math.inf: "∞", -math.inf: "−∞"}.get(value, "not a number")
    value = steady(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}"


def steady(value: float) -> float:
    """The value rounded to nine decimals, so that the last bits of a float
    (which may differ between runs when a sum is taken in another order) never
    change how it prints."""
    return round(value, 9)


def rounded(value: float, decimals: int) -> float:
    """Rounded as published tables round (half away from zero), after
    :func:`steady`: 3.65 -> 3.7 at one decimal."""
    return round_half_up(steady(value), decimals)


# ---- renderers -----------------------------------------------------------------


def mathml(term: Term) -> str:
    """Presentation MathML of a whole formula, as a block."""
    return f'<math display="block">{_mathml(term)}</math>'


def _mathml(term: Term) -> str:
    parts = "".join(_mathml(p) for p in term.parts)
    if term.kind == "sym":
        base = f"<mi>{escape(term.text)}</mi>"
        if not term.sub:
            return base
        return f"<msub>{base}<mi>{escape(term.sub)}</mi></msub>"
    if term.kind == "num":
        return f"<mn>{escape(term.text)}</mn>"
    if term.kind == "word":
        return f'<mi mathvariant="normal">{escape(term.text)}</mi>'
    if term.kind == "op":
        return f"<mo>{escape(term.text)}</mo>"
    if term.kind == "frac":
        top, bottom = (_mathml(p) for p in term.parts)
        return f"<mfrac><mrow>{top}</mrow><mrow>{bottom}</mrow></mfrac>"
    if term.kind == "pow":
        base, exponent = (_mathml(p) for p in term.parts)
        return f"<msup><mrow>{base}</mrow><mrow>{exponent}</mrow></msup>"
    if term.kind == "sum":
        under = f"<mrow>{_mathml(_subscript(term.text))}</mrow>"
        return f"<mrow><munder><mo>∑</mo>{under}</munder>{parts}</mrow>"
    if term.kind == "paren":
        return f"<mrow><mo>(</mo>{parts}<mo>)</mo></mrow>"
    return f"<mrow>{parts}</mrow>"


def _subscript(over: str) -> Term:
    return row(sym("c"), op("∈"), sym(over))


TEX_OPERATORS = {
    "·": r"\cdot",
    "∈": r"\in",
    "−": "-",
    "×": r"\times",
    "≥": r"\geq",
    "≈": r"\approx",
    "→": r"\to",
}


def tex(term: Term) -> str:
    """LaTeX math of a whole formula (without the surrounding ``$``)."""
    parts = " ".join(tex(p) for p in term.parts)
    if term.kind == "sym":
        sub = f"_{{{_tex_text(term.sub)}}}" if term.sub else ""
        return _tex_text(term.text) + sub
    if term.kind == "num":
        return term.text.replace(",", "{,}")
    if term.kind == "word":
        if term.text == "√":
            return r"\surd"
        return rf"\operatorname{{{_tex_text(term.text)}}}"
    if term.kind == "op":
        return TEX_OPERATORS.get(term.text, term.text)
    if term.kind == "frac":
        top, bottom = (tex(p) for p in term.parts)
        return rf"\frac{{{top}}}{{{bottom}}}"
    if term.kind == "pow":
        base, exponent = (tex(p) for p in term.parts)
        return f"{{{base}}}^{{{exponent}}}"
    if term.kind == "sum":
        return rf"\sum_{{c \in {_tex_text(term.text)}}} {parts}"
    if term.kind == "paren":
        return rf"\left( {parts} \right)"
    return parts


TEX_NAMES = {"μ": r"\mu", "σ": r"\sigma", "ω": r"\omega", "log₁₀": "log_{10}"}


def _tex_text(name: str) -> str:
    if name in TEX_NAMES:
        return TEX_NAMES[name]
    if len(name) == 1 and name.isascii() and name.isalpha():
        return name
    return r"\mathrm{" + "".join(f"\\{c}" if c in "_%$#&" else c for c in name) + "}"


def text(term: Term) -> str:
    """The formula in plain Unicode: ``s = 100 · (x − w) / (b − w)``."""
    parts = " ".join(text(p) for p in term.parts)
    if term.kind == "sym":
        return term.text + (f"_{term.sub}" if term.sub else "")
    if term.kind in ("num", "word", "op"):
        return term.text
    if term.kind == "frac":
        top, bottom = (text(p) for p in term.parts)
        return f"({top}) / ({bottom})"
    if term.kind == "pow":
        base, exponent = (text(p) for p in term.parts)
        return f"{base}^{exponent}"
    if term.kind == "sum":
        return f"Σ_(c ∈ {term.text}) {parts}"
    if term.kind == "paren":
        return f"({parts})"
    return parts


# ---- the method's formulas -----------------------------------------------------


def scaled(ratio: Term, scale: Scale) -> list[Term]:
    """``L + (H − L) · ratio`` with the scale's numbers, simplified for 0 to 1 or
    0 to H."""
    span = scale.high - scale.low
    terms = [] if span == 1 else [num(span), op("·")]
    terms.append(ratio)
    if scale.low != 0:
        terms = [num(scale.low), op("+"), *terms]
    return terms


def normalization(method: str, scale: Scale) -> Term:
    """The score ``s`` of an indicator from its (transformed, oriented) value ``x``."""
    s, x = sym("s"), sym("x")
    linear = {
        "anchors": (sym("a", "worst"), sym("a", "best")),
        "minmax": (sym("min", "t"), sym("max", "t")),
        "minmax_pooled": (sym("min"), sym("max")),
    }
    if method in linear:
        low, high = linear[method]
        ratio = frac(row(x, op("−"), low), row(high, op("−"), low))
        return equation(s, *scaled(ratio, scale))
    if method == "zscore":
        return equation(s, frac(row(x, op("−"), sym("μ", "t")), sym("σ", "t")))
    if method == "rank":
        return equation(s, word("rank"), paren(x))
    if method == "percentile":
        ratio = frac(row(sym("r"), op("−"), num(1)), row(sym("n"), op("−"), num(1)))
        return equation(s, *scaled(ratio, scale))
    if method == "target":
        ratio = row(word("min"), paren(frac(x, sym("T")), op(","), num(1)))
        return equation(s, *scaled(ratio, scale))
    return equation(s, x)


def transformation(method: str) -> Term | None:
    """``x = ln v`` and the like, or None when values are used as they are."""
    functions = {"log": "ln", "log10": "log₁₀", "sqrt": "√"}
    if method not in functions:
        return None
    return equation(sym("x"), word(functions[method]), paren(sym("v")))


def aggregation(method: str) -> Term:
    """A parent's score from its children's scores ``s_c`` and weights ``w_c``."""
    w, s = sym("w", "c"), sym("s", "c")
    left = sym("s", "p")
    weights = total("C", w)
    if method == "geometric":
        inner = frac(total("C", row(w, word("ln"), s)), weights)
        return equation(left, word("exp"), paren(inner))
    if method == "harmonic":
        return equation(left, frac(weights, total("C", frac(w, s))))
    return equation(left, frac(total("C", row(w, s)), weights))


def points() -> Term:
    """A node's contribution to the composite: its score times its effective
    share."""
    return equation(sym("p", "n"), sym("s", "n"), op("·"), sym("ω", "n"))
