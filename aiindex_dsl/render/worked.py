"""Section 8 of the appendix: one unit from raw values to its composite.

Each indicator's raw value is put into its normalization formula (after the
transform, when there is one) and each parent's score into its mean, with the
unit's own numbers, so a reader can redo the computation by hand.
"""

from __future__ import annotations

import math

import polars as pl

from ..ir import Index, Node
from ..resolve import Resolved
from ..results import Results
from . import formulas
from .content import (
    extra_decimals,
    forms,
    label,
    normalization_text,
    percent,
    unit_order,
    year_rows,
)


def worked_section(
    index: Index,
    resolved: dict[str, Resolved],
    results: Results,
    year,
    unit: str | None,
) -> dict:
    """One unit from raw values through scores to the composite."""
    rows = year_rows(results, year)
    order = unit_order(rows)
    code = unit or (order[0][0] if order else "")
    names = dict(order)
    mine = rows.filter(pl.col("unit") == code)
    peers = _peers(index, results, rows)
    return {
        "unit": code,
        "name": names.get(code, code),
        "indicators": [
            _worked_leaf(index, resolved[n.id], mine, peers)
            for n in index.nodes()
            if n.is_leaf
        ],
        "parents": [
            _worked_parent(index, resolved, node, mine)
            for node in _children_first(index.root)
        ],
    }


def _children_first(node: Node) -> list[Node]:
    """Nodes with children, each after everything below it, in written order."""
    if node.is_leaf:
        return []
    found = [n for child in node.children for n in _children_first(child)]
    return [*found, node]


def _peers(index: Index, results: Results, rows: pl.DataFrame) -> dict:
    """The rows min-max scores against: the units' (not the groups' nor the
    unranked units') of the year (``minmax``) or of every year
    (``minmax_pooled``)."""
    units = ~pl.col("unit").is_in(index.unranked_codes())
    return {
        "minmax": rows.filter(units),
        "minmax_pooled": results.long.filter(units),
    }


def _worked_leaf(index: Index, r: Resolved, rows: pl.DataFrame, peers) -> dict:
    row = _row(rows, r.id)
    step = _substituted(index, r, row, peers)
    raw = row["raw"] if row else None
    return {
        "id": r.id,
        "title": label(r.node),
        # An imputed cell shows the value imputed (marked so).
        "raw": row["imputed_value"] if row and raw is None else raw,
        "score": row["score"] if row else None,
        "imputed": bool(row and row["imputed"]),
        "treated": bool(row and row["treated"]),
        "clipped": bool(row and row["clipped"]),
        "method": normalization_text(r),
        "transform": r.transform,
        "step": step,
    }


def _row(rows: pl.DataFrame, node_id: str) -> dict | None:
    found = rows.filter(pl.col("node") == node_id)
    return found.row(0, named=True) if found.height else None


TRANSFORMS = {"none": None, "log": math.log, "log10": math.log10, "sqrt": math.sqrt}


def _substituted(index: Index, r: Resolved, row: dict | None, peers) -> dict | None:
    """The anchor or min-max formula with this unit's numbers: its value after
    imputation and outlier treatment (``treated_value``) and the transform,
    if any."""
    if row is None or row["treated_value"] is None or row["score"] is None:
        return None
    method = r.normalization.method
    if method not in ("anchors", "minmax", "minmax_pooled", "target"):
        return None
    if r.node.score_from or r.transform not in TRANSFORMS:
        return None
    # A distance to target is the share x / target: as anchors 0 and the
    # target, above a negative direction's target / x, which has no such form.
    target = method == "target"
    if target and (r.direction == "negative" or r.transform != "none"):
        return None
    function = TRANSFORMS[r.transform] or (lambda v: v)
    value = row["treated_value"]
    try:
        if target:
            x, worst, best = value, 0.0, r.normalization.target
        elif method == "anchors":
            x, worst, best = (function(v) for v in (value, *_ends(r)))
        else:
            x, worst, best = _against_peers(r, function, row, peers[method])
    except ValueError:
        return None
    digits = 2 + extra_decimals(index)
    shown = [formulas.num(_figure(v)) for v in (x, worst, best)]
    ratio = formulas.frac(
        formulas.row(shown[0], formulas.op("−"), shown[1]),
        formulas.row(shown[2], formulas.op("−"), shown[1]),
    )
    scale = index.scale
    unclipped = scale.low + (scale.high - scale.low) * (x - worst) / (best - worst)
    right = [*formulas.scaled(ratio, scale), formulas.op("=")]
    right.append(formulas.num(formulas.rounded(unclipped, digits)))
    # A share beyond the target is capped at it, as a clipped anchor is.
    if row["clipped"] or (target and unclipped > scale.high):
        right += [
            formulas.op("→"),
            formulas.num(formulas.rounded(row["score"], digits)),
        ]
    score = formulas.equation(formulas.sym("s"), *right)
    if r.transform == "none":
        return forms(score)
    applied = formulas.transformation(r.transform)
    step = formulas.row(
        *applied.parts[:2],
        applied.parts[2],
        formulas.paren(formulas.num(value)),
        formulas.op("="),
        shown[0],
        formulas.op(";"),
    )
    return forms(formulas.row(step, score))


def _figure(value: float) -> float:
    """A number of the formula as shown: four decimals, or four significant
    digits below 1 (a share of 0.0010122 is not shown as 0.001)."""
    if value == 0 or abs(value) >= 1:
        return formulas.rounded(value, 4)
    return float(f"{value:.4g}")


def _ends(r: Resolved) -> tuple[float, float]:
    return r.anchors.worst, r.anchors.best


def _against_peers(r: Resolved, function, row: dict, peers: pl.DataFrame):
    """A min-max score's value and goalposts: the (transformed) value times
    the direction's sign, and the least and greatest of those of the units
    the indicator is scored against."""
    sign = -1.0 if r.direction == "negative" else 1.0
    values = peers.filter(pl.col("node") == r.id)["treated_value"].drop_nulls()
    if values.is_empty():
        raise ValueError("no values")
    signed = [sign * function(v) for v in values.to_list()]
    return sign * function(row["treated_value"]), min(signed), max(signed)


def _worked_parent(index: Index, resolved: dict[str, Resolved], node: Node, rows):
    r = resolved[node.id]
    parent_row = _row(rows, node.id)
    children = []
    for child in node.children:
        row = _row(rows, child.id)
        children.append(
            {
                "id": child.id,
                "title": label(child),
                "weight": resolved[child.id].weight,
                "share": row["share"] if row else None,
                "score": row["score"] if row else None,
                "points": row["points"] if row else None,
            }
        )
    return {
        "id": node.id,
        "title": label(node) if node.kind != "index" else "Composite",
        "aggregate": r.aggregate,
        "score": parent_row["score"] if parent_row else None,
        "points": parent_row["points"] if parent_row else None,
        "why": _unscored(r, parent_row, children),
        "children": children,
        "sum": _weighted_sum(
            r.aggregate, children, parent_row, 2 + extra_decimals(index)
        ),
    }


def _unscored(r: Resolved, row, children: list[dict]) -> str:
    """Why a parent has no score for the unit (empty when it has one)."""
    if row is not None and row["score"] is not None:
        return ""
    if not any(c["score"] is not None for c in children):
        return "none of its parts has a score"
    coverage = row["coverage"] if row is not None else None
    if coverage is not None and coverage < r.min_coverage:
        return (
            f"{percent(coverage)} of its weight is backed by data, below its "
            f"minimum coverage of {percent(r.min_coverage)}"
        )
    return ""


def _weighted_sum(method: str, children: list[dict], parent, digits: int):
    """``s = 0.5 · 80 + 0.5 · 60 ≈ 70`` (arithmetic) or ``s = 80^0.5 · 60^0.5``
    (geometric), with the shares renormalized for the unit's missing data."""
    present = [c for c in children if c["score"] is not None and c["share"]]
    if method not in MEANS or len(present) < 2 or parent is None:
        return None
    if parent["score"] is None:
        return None
    terms = []
    for i, child in enumerate(present):
        share = formulas.num(formulas.rounded(child["share"], 4))
        score = formulas.num(formulas.rounded(child["score"], digits))
        if i:
            terms.append(formulas.op(MEANS[method]))
        if method == "geometric":
            terms.append(formulas.power(score, share))
        else:
            terms += [share, formulas.op("·"), score]
    terms += [
        formulas.op("≈"),
        formulas.num(formulas.rounded(parent["score"], digits)),
    ]
    return forms(formulas.equation(formulas.sym("s"), *terms))


MEANS = {"arithmetic": "+", "geometric": "·"}
