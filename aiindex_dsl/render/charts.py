"""Charts of the appendix, drawn with matplotlib and returned as inline SVG.

Output is deterministic: the SVG hash salt is fixed per chart, the date left
out of the metadata, and text kept as text (``svg.fonttype none``) so the page
stays searchable and small. Figures are built with the object interface
(:class:`matplotlib.figure.Figure`), never pyplot, so nothing global changes.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
import warnings
from dataclasses import dataclass

import matplotlib as mpl
from matplotlib.figure import Figure

from .formulas import rounded

PALETTE = (
    "#1f5fa8",
    "#d1495b",
    "#edae49",
    "#00798c",
    "#66a182",
    "#8d6cab",
    "#2e4057",
    "#c96f2c",
)
STYLE = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.titlesize": 10,
}


# Characters a page cannot show (a label may hold one, written ``\x00``).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class TreeBox:
    """One node of the framework diagram."""

    id: str
    label: str
    depth: int
    weight: str
    effective: str


def _steady(values: list) -> list:
    """Scores rounded to nine decimals: bars and colours that do not depend on
    the last bits of a float. A score that is not a finite number has no bar."""
    return [round(v, 9) if v is not None and math.isfinite(v) else None for v in values]


def to_svg(figure: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element to put inline in a page."""
    buffer = io.StringIO()
    style = {**STYLE, "svg.hashsalt": f"aix-{name}"}
    with mpl.rc_context(style), warnings.catch_warnings():
        # A control character in a label has no glyph; it is replaced below.
        warnings.filterwarnings("ignore", "Glyph .* missing", UserWarning)
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = CONTROL.sub("\ufffd", buffer.getvalue())
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    title = f"<title>{name.replace('-', ' ')}</title>"
    return _scoped(svg, name).replace(">", ">" + title, 1)


def _scoped(svg: str, name: str) -> str:
    """The figure's ids and the references to them prefixed with its name:
    every figure numbers its parts alike (``axes_1``), and the ids of one
    page must differ."""
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", svg)
    return re.sub(r'\b((?:xlink:)?href)="#([^"]+)"', rf'\1="#{name}-\2"', svg)


def _figure(width: float, height: float) -> Figure:
    with mpl.rc_context(STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def _wrap(label: str, width: int = 18) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def framework(boxes: list[TreeBox]) -> str:
    """The tree of dimensions and indicators, root at the left, with each node's
    nominal weight and effective weight in the composite."""
    leaves = [b for b in boxes if not _has_children(boxes, b)]
    depth = max(b.depth for b in boxes)
    with mpl.rc_context(STYLE):
        figure = _figure(3.4 * (depth + 1), max(2.5, 0.5 * len(leaves) + 0.6))
        axes = figure.add_subplot()
        positions = _positions(boxes)
        _edges(axes, boxes, positions)
        for box in boxes:
            _box(axes, box, positions[box.id])
        axes.set_xlim(-0.15, depth + 0.95)
        axes.set_ylim(len(leaves) - 0.4, -0.6)
        axes.axis("off")
    return to_svg(figure, "framework")


def _has_children(boxes: list[TreeBox], box: TreeBox) -> bool:
    index = boxes.index(box)
    return index + 1 < len(boxes) and boxes[index + 1].depth > box.depth


def _positions(boxes: list[TreeBox]) -> dict[str, tuple[float, float]]:
    """Leaves on successive rows; each parent centred on its children."""
    positions: dict[str, tuple[float, float]] = {}
    row = 0
    for box in boxes:
        if not _has_children(boxes, box):
            positions[box.id] = (box.depth, row)
            row += 1
    for i in range(len(boxes) - 1, -1, -1):
        box = boxes[i]
        if box.id in positions:
            continue
        rows = [positions[c.id][1] for c in _children(boxes, i)]
        positions[box.id] = (box.depth, (min(rows) + max(rows)) / 2)
    return positions


def _children(boxes: list[TreeBox], index: int) -> list[TreeBox]:
    depth = boxes[index].depth
    found = []
    for box in boxes[index + 1 :]:
        if box.depth <= depth:
            break
        if box.depth == depth + 1:
            found.append(box)
    return found


def _edges(axes, boxes, positions) -> None:
    for i, box in enumerate(boxes):
        x0, y0 = positions[box.id]
        for child in _children(boxes, i):
            x1, y1 = positions[child.id]
            middle = x1 - 0.12
            axes.plot(
                [x0 + 0.1, middle, middle, x1 - 0.04],
                [y0, y0, y1, y1],
                color="#9aa5b1",
                linewidth=0.8,
            )


def _box(axes, box: TreeBox, position) -> None:
    x, y = position
    colour = PALETTE[min(box.depth, len(PALETTE) - 1)]
    label = _wrap(box.label, 24) if box.depth == 0 else _clip(box.label, 44)
    if box.depth:
        label += f"\nw {box.weight} · eff. {box.effective}"
    axes.text(
        x,
        y,
        label,
        va="center",
        ha="left",
        fontsize=7.5 if box.depth > 1 else 8.5,
        fontweight="bold" if box.depth < 2 else "normal",
        linespacing=1.35,
        bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": colour, "lw": 1},
    )


def _clip(label: str, width: int) -> str:
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def grouped_bars(
    dimensions: list[str],
    series: dict[str, list[float | None]],
    top: float,
    decimals: int = 1,
) -> str:
    """Dimension scores side by side, one bar per unit in each dimension;
    ``top`` is the top of the index's scale."""
    with mpl.rc_context(STYLE):
        figure = _figure(max(6.0, 0.9 * len(dimensions) + 2), 3.6)
        axes = figure.add_subplot()
        width = 0.8 / max(1, len(series))
        for i, (unit, scores) in enumerate(series.items()):
            scores = _steady(scores)
            xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(scores))]
            heights = [0.0 if s is None else s for s in scores]
            bars = axes.bar(
                xs, heights, width, label=unit, color=PALETTE[i % len(PALETTE)]
            )
            axes.bar_label(
                bars,
                labels=[_label(s, decimals) for s in scores],
                fontsize=6.5,
                padding=1,
            )
        axes.set_xticks(range(len(dimensions)), [_wrap(d, 14) for d in dimensions])
        axes.set_ylabel("score")
        figure.legend(
            frameon=False, ncols=min(len(series), 4), loc="outside upper center"
        )
        axes.set_ylim(0, max(top, _top(series)))
    return to_svg(figure, "dimension-scores")


def _label(score: float | None, decimals: int = 1) -> str:
    if score is None:
        return "n/a"
    return f"{rounded(score, decimals):.{decimals}f}"


def _top(series: dict[str, list[float | None]]) -> float:
    values = [s for scores in series.values() for s in _steady(scores) if s is not None]
    return max([*values, 1.0])


def ranked(units: list[str], scores: list[float | None]) -> str:
    """Composite scores, units from the highest to the lowest."""
    with mpl.rc_context(STYLE):
        figure = _figure(6.5, max(2.0, 0.2 * len(units) + 0.8))
        axes = figure.add_subplot()
        heights = [0.0 if s is None else s for s in _steady(scores)]
        axes.barh(range(len(units)), heights, color=PALETTE[0])
        axes.set_yticks(range(len(units)), units, fontsize=7)
        axes.invert_yaxis()
        axes.set_xlabel("composite score")
        axes.margins(y=0.01)
    return to_svg(figure, "ranking")


ANNOTATE_UP_TO = 40


def _annotate(axes, values: list[list[float]], decimals: int) -> None:
    """Write each score in its cell, dark on light cells and light on dark."""
    top = max((v for row in values for v in row if v == v), default=1.0) or 1.0
    for y, row in enumerate(values):
        for x, value in enumerate(row):
            if value != value:
                continue
            colour = "#111111" if value > 0.6 * top else "#ffffff"
            axes.text(
                x,
                y,
                _label(value),
                ha="center",
                va="center",
                fontsize=6.5,
                color=colour,
            )


def heatmap(
    units: list[str], dimensions: list[str], grid: list[list], decimals: int = 1
) -> str:
    """Dimension scores of every unit as coloured cells, units in rank order."""
    values = [[float("nan") if v is None else v for v in _steady(r)] for r in grid]
    with mpl.rc_context(STYLE):
        figure = _figure(
            max(5.0, 0.9 * len(dimensions) + 2.5), max(2.0, 0.2 * len(units) + 1.2)
        )
        axes = figure.add_subplot()
        image = axes.imshow(values, aspect="auto", cmap="viridis", vmin=0)
        if len(units) <= ANNOTATE_UP_TO:
            _annotate(axes, values, decimals)
        axes.set_xticks(range(len(dimensions)), [_wrap(d, 14) for d in dimensions])
        axes.xaxis.tick_top()
        axes.set_yticks(range(len(units)), units, fontsize=7)
        axes.spines[:].set_visible(False)
        figure.colorbar(image, ax=axes, label="score", shrink=0.6)
    return to_svg(figure, "heat-map")
