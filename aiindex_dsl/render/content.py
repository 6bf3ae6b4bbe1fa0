"""What the methodology appendix says, gathered from the IR and the results.

Each ``*_section`` function returns plain data (dicts, lists, numbers and
text) for one section (the worked example is in :mod:`.worked`); the
templates of :mod:`.docs` only lay it out. The
settings in force at each node come from :mod:`aiindex_dsl.resolve`, the
numbers from the run's long table, so the appendix shows what was computed.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from pathlib import Path

import polars as pl

from .. import data
from ..ir import Index, Node
from ..resolve import Resolved, resolve
from ..results import Results
from ..steps.derive import references
from . import charts, formulas

FEW_UNITS = 8


# ---- helpers -------------------------------------------------------------------


def fingerprint(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def percent(fraction: float | None) -> str:
    """A share as a percentage with at most one decimal: 0.2 -> ``20%``."""
    if fraction is None:
        return "n/a"
    text = f"{formulas.rounded(fraction * 100, 1):.1f}".removesuffix(".0")
    return f"{text}%"


def written_weight(node: Node) -> str:
    """The weight as the definition writes it (``20%``, ``2``), or ``equal``."""
    if node.weight is None:
        return "equal"
    value = formulas.number(node.weight.value)
    return f"{value}%" if node.weight.percent else value


def extra_decimals(index: Index) -> int:
    """Decimals to add to scores on a narrow scale: none on 0-100, two on 0-1
    (an HDI of 0.921 shows as published)."""
    span = index.scale.high - index.scale.low
    if span <= 0:
        return 0
    return max(0, round(math.log10(100 / span)))


def label(node: Node) -> str:
    """The title of a node, or its id."""
    return node.title or node.id


def year_rows(results: Results, year: int | None) -> pl.DataFrame:
    """The long table restricted to one year."""
    long = results.long
    if year is None:
        return long.filter(pl.col("year").is_null())
    return long.filter(pl.col("year") == year)


def latest_year(results: Results) -> int | None:
    """The last year of the results (None when the data carries no years)."""
    years = results.long["year"].drop_nulls()
    return None if years.is_empty() else int(years.max())


def top_dimensions(index: Index) -> list[Node]:
    """The children of the root: the dimensions the composite is made of."""
    return list(index.root.children)


def leaves_under(node: Node) -> list[Node]:
    """The nodes that take their score from data, at or below ``node``."""
    return [n for n in node.walk() if n.is_leaf]


# ---- 1. title and fingerprints -------------------------------------------------


def header_section(index: Index, files: list[Path], date: str) -> dict:
    """Title, version, authors, licence, description, date and fingerprints."""
    return {
        "id": index.id,
        "title": index.title or index.id,
        "version": index.version or "not stated",
        "authors": ", ".join(index.authors) or "not stated",
        "licence": index.licence or "not stated",
        "description": _paragraphs(index.description),
        "date": date,
        "scale": f"{formulas.number(index.scale.low)} to "
        f"{formulas.number(index.scale.high)}",
        "years": _years(index),
        "files": _fingerprints(index, files),
    }


def _paragraphs(text: str | None) -> list[str]:
    if not text:
        return []
    blocks = [" ".join(block.split()) for block in text.strip().split("\n\n")]
    return [block for block in blocks if block]


def _years(index: Index) -> str:
    """``2024``, ``1990 to 2022`` for a run of years, else the years listed."""
    years = sorted(index.years)
    if not years:
        return "every year in the data"
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]} to {years[-1]}"
    return ", ".join(str(y) for y in years)


def _fingerprints(index: Index, files: list[Path]) -> list[dict]:
    rows = [
        {"role": "definition", "path": display_path(p, index), "sha256": fingerprint(p)}
        for p in files
    ]
    for source in index.sources:
        if source.file is None:
            continue
        path = data.path_of(source)
        digest = fingerprint(path) if path.is_file() else "file not found"
        rows.append(
            {
                "role": f"data ({source.id})",
                "path": display_path(path, index),
                "sha256": digest,
            }
        )
    return rows


def display_path(path: Path, index: Index) -> str:
    """A path relative to the definition's folder, as written there."""
    base = Path(index.path).resolve().parent if index.path else Path.cwd()
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return os.path.relpath(path.resolve(), base)


def definition_files(index: Index) -> list[Path]:
    """The ``.aix`` file and every file it extends or includes, the file first."""
    if index.path is None:
        return []
    from ..syntax import parse, read_source

    found: list[Path] = []
    queue = [Path(index.path)]
    while queue:
        path = queue.pop(0)
        if path.resolve() in [f.resolve() for f in found] or not path.is_file():
            continue
        found.append(path)
        queue += _referenced(parse(read_source(str(path)), str(path)), path)
    return found


def _referenced(built, path: Path) -> list[Path]:
    """The files one parsed file (an index or a catalogue) names."""
    named = list(getattr(built, "includes", ()))
    if getattr(built, "extends", None):
        named.append(built.extends)
    return [path.parent / name for name in named]


# ---- 2. the framework ----------------------------------------------------------


def framework_section(index: Index, resolved: dict[str, Resolved]) -> dict:
    """The tree with nominal and effective weights, as a table and a diagram."""
    rows = [_tree_row(resolved[node.id]) for node in index.nodes()]
    boxes = [
        charts.TreeBox(index.root.id, index.title or index.id, 0, "", percent(1.0))
    ] + [
        charts.TreeBox(r["id"], r["title"], r["depth"], r["weight"], r["effective"])
        for r in rows
    ]
    return {"rows": rows, "svg": charts.framework(boxes)}


def _tree_row(r: Resolved) -> dict:
    return {
        "id": r.id,
        "title": label(r.node),
        "kind": r.node.kind,
        "depth": r.depth,
        "written": written_weight(r.node),
        "weight": percent(r.weight),
        "effective": percent(r.effective_weight),
        "aggregate": r.aggregate if not r.node.is_leaf else "",
    }


# ---- 3. indicators -------------------------------------------------------------


def indicator_section(index: Index, resolved: dict[str, Resolved]) -> list[dict]:
    """One row per indicator (and per node scored from published data)."""
    return [_indicator_row(index, resolved[n.id]) for n in index.nodes() if n.is_leaf]


def _indicator_row(index: Index, r: Resolved) -> dict:
    node = r.node
    ref = node.data or node.score_from
    return {
        "id": node.id,
        "title": label(node),
        "description": node.description or "",
        "measure": node.measure or "",
        "source": _source_of(index, ref.source) if ref else "",
        "selector": ref.selector if ref else "",
        "derive": node.derive.text if node.derive else "",
        "inputs": [_source_of(index, s) for s in _derived_sources(index, node)],
        "cites": [_source_of(index, s) for s in node.cites],
        "data_year": str(node.data_year) if node.data_year else "each year scored",
        # A score taken as published has no direction or transform of its own.
        "direction": "" if node.score_from else _direction(r),
        "transform": "" if node.score_from else r.transform,
        "normalization": (normalization_text(r)),
        "rationale": (r.anchors.rationale or "") if r.anchors else "",
        "weight": percent(r.weight),
        "effective": percent(r.effective_weight),
    }


def variable_section(index: Index) -> list[dict]:
    """The series read but not scored: each with its source and column, and
    what uses it (the derived indicators that read it, the groups weighted
    by it)."""
    readers: dict[str, list[str]] = {}
    for node in index.nodes():
        if node.derive is not None:
            for name in references(node.derive.expr):
                readers.setdefault(name, []).append(node.id)
    for group in index.groups:
        if group.by:
            readers.setdefault(group.by, []).append(f"group {group.code}")
    return [
        {
            "id": v.id,
            "title": v.title or "",
            "source": _source_of(index, v.source),
            "column": v.column,
            "used_by": readers.get(v.id, []),
        }
        for v in index.variables
    ]


def _derived_sources(index: Index, node: Node, seen=frozenset()) -> list[str]:
    """The sources a derived indicator's values come from, through the
    variables and indicators its expression reads, each once."""
    if node.derive is None or node.id in seen:
        return []
    found: list[str] = []
    for name in references(node.derive.expr):
        variable = index.variable(name)
        other = index.node(name)
        if variable is not None:
            found.append(variable.source)
        elif other is not None and other.data is not None:
            found.append(other.data.source)
        elif other is not None:
            found += _derived_sources(index, other, seen | {node.id})
    return list(dict.fromkeys(found))


def _lower_is_better(r: Resolved) -> bool:
    """A negative direction, or anchors whose worst lies above their best."""
    anchors = r.anchors if r.normalization.method == "anchors" else None
    return r.direction == "negative" or (
        anchors is not None and anchors.worst > anchors.best
    )


def _direction(r: Resolved) -> str:
    if r.direction != "negative" and _lower_is_better(r):
        return "lower is better (the worst anchor above the best)"
    return r.direction


def _source_of(index: Index, source_id: str) -> dict:
    source = index.source(source_id)
    title = source.title if source and source.title else source_id
    return {"id": source_id, "title": title}


def normalization_text(r: Resolved) -> str:
    """How a leaf is scored, in words (a score given as data is not)."""
    if r.node.score_from is not None:
        return "taken as published"
    method = r.normalization.method
    if method == "anchors" and r.anchors is not None:
        a = r.anchors
        clip = "" if a.clip else ", unclipped"
        return (
            f"anchors: worst {formulas.number(a.worst)}, "
            f"best {formulas.number(a.best)}{clip}"
        )
    if method == "target" and r.normalization.target is not None:
        return f"distance to target {formulas.number(r.normalization.target)}"
    return method.replace("_", " ")


# ---- 4. sources ----------------------------------------------------------------


# A source's url is a link only if it is a web address of plain characters:
# any other (``javascript:``, or with quotes, braces, backslashes or blanks)
# is shown as text, so it can neither run nor break out of a LaTeX \url.
LINKABLE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def source_section(index: Index) -> list[dict]:
    """Every source as a bibliography entry, in the order declared."""
    cited: dict[str, list[str]] = {}
    for node in index.nodes():
        ids = list(node.cites)
        for ref in (node.data, node.score_from):
            if ref is not None:
                ids.append(ref.source)
        for source_id in ids:
            cited.setdefault(source_id, []).append(node.id)
    for variable in index.variables:
        cited.setdefault(variable.source, []).append(f"variable {variable.id}")
    if index.units_from is not None:
        cited.setdefault(index.units_from.source, []).append("the list of units")
    return [
        {
            "id": s.id,
            "title": s.title or s.id,
            "publisher": s.publisher or "",
            "year": str(s.year) if s.year else "",
            "url": s.url or "",
            "link": s.url if s.url and LINKABLE.fullmatch(s.url) else "",
            "retrieved": s.retrieved.isoformat() if s.retrieved else "",
            "licence": s.licence or "",
            "note": _sentence(s.note or ""),
            "file": s.file or "",
            "codes": ", ".join(f"{theirs} as {ours}" for theirs, ours in s.unit_codes),
            "used_by": sorted(set(cited.get(s.id, []))),
        }
        for s in index.sources
    ]


# ---- 5. method -----------------------------------------------------------------


def method_section(
    index: Index, resolved: dict[str, Resolved], results: Results
) -> dict:
    """The formulas in force, grouped by the nodes that use each, and the
    missing-data and outlier rules with what they did in this run."""
    leaves = [resolved[n.id] for n in index.nodes() if n.is_leaf and not n.score_from]
    parents = [r for r in resolved.values() if not r.node.is_leaf]
    return {
        "steps": _steps(index, leaves),
        "normalizations": _grouped(
            leaves,
            lambda r: r.normalization.method,
            lambda m: formulas.normalization(m, index.scale),
        ),
        "transforms": _grouped(
            [r for r in leaves if r.transform != "none"],
            lambda r: r.transform,
            formulas.transformation,
        ),
        "aggregations": _grouped(parents, lambda r: r.aggregate, formulas.aggregation),
        "points": forms(formulas.points()),
        # Points add up to the parent's points only under arithmetic means.
        "not_additive": sorted(
            {r.aggregate for r in parents} - {"arithmetic"}, key=str
        ),
        "negative": [r.id for r in leaves if _lower_is_better(r)],
        "published": [n.id for n in index.nodes() if n.score_from is not None],
        "imputation": _rules(leaves, lambda r: _impute_text(r, resolved)),
        "treatment": [
            {**rule, "note": TREATMENT_NOTES.get(rule["rule"], "")}
            for rule in _rules(leaves, lambda r: r.treat)
        ],
        "coverage": _rules(parents, lambda r: percent(r.min_coverage)),
        "groups": _groups(index, results),
        "apart": _statistics_apart(leaves),
        "own_rollups": _own_rollups(index) if index.groups else [],
        "ranking": _ranking(index, results),
        "applied": _applied(index, results),
    }


# The statistics over units that groups and unranked units are left out of,
# by the setting that computes them.
STATISTICS = {
    "minmax": "min-max",
    "minmax_pooled": "min-max",
    "zscore": "z-scores",
    "rank": "ranks",
    "percentile": "percentile ranks",
    "mean": "imputation",
    "median": "imputation",
    "winsorize": "outlier treatment",
    "coinr": "outlier treatment",
}


def _statistics_apart(leaves: list[Resolved]) -> str:
    """The statistics over units this index computes, which groups and
    unranked units are left out of (empty when it computes none: anchors
    and targets score each unit alone)."""
    settings = [r.normalization.method for r in leaves]
    settings += [r.impute for r in leaves] + [r.treat for r in leaves]
    named = dict.fromkeys(STATISTICS[s] for s in settings if s in STATISTICS)
    words = list(named)
    if len(words) > 1:
        return ", ".join(words[:-1]) + " and " + words[-1]
    return words[0] if words else ""


def _steps(index: Index, leaves: list[Resolved]) -> str:
    """The steps this index takes, in the order every run takes them."""
    steps = []
    if index.groups:
        steps.append("roll up the groups' values from their members")
    if any(n.derive is not None for n in index.nodes()):
        steps.append("derive (denominators, expressions)")
    if any(r.impute != "none" for r in leaves):
        steps.append("impute")
    if any(r.treat != "none" for r in leaves):
        steps.append("treat outliers")
    if any(r.transform != "none" for r in leaves):
        steps.append("transform")
    steps += ["normalize", "aggregate", "rank"]
    return " → ".join(steps)


def _ranking(index: Index, results: Results) -> dict:
    """How units are ranked, and those that are not (``unranked``, by name)."""
    decimals = index.ranking.decimals
    if decimals is None:
        scores = "their scores as computed, unrounded"
    else:
        unit = "decimal" if decimals == 1 else "decimals"
        scores = f"their scores rounded to {decimals} {unit}, as published"
    codes = [u.code for u in index.unranked]
    names = dict(
        results.node_rows([index.id])
        .filter(pl.col("unit").is_in(codes))
        .select("unit", "name")
        .unique("unit")
        .iter_rows()
    )
    return {
        "text": f"In each year and at each node, units are ranked on {scores}: "
        "1 for the highest, tied scores sharing the better rank.",
        "unranked": ", ".join(f"{names.get(c, c)} ({c})" for c in codes),
    }


ROLLUPS = {
    "sum": "the sum of its members' values (only when every member has one)",
    "mean": "the mean of its members' values",
    "weighted_mean": "the mean of its members' values weighted by",
}


def _own_rollups(index: Index) -> list[dict]:
    """The series that roll up into every group their own way (``rollup`` on
    an indicator or a variable), with the value a group takes."""
    written = [(v.id, v.rollup) for v in index.variables]
    written += [(n.id, n.rollup) for n in index.nodes()]
    return [
        {
            "series": series,
            "rollup": ROLLUPS[setting.value]
            + (f" {setting.argument}" if setting.argument else ""),
        }
        for series, setting in written
        if setting is not None
    ]


def _groups(index: Index, results: Results) -> list[dict]:
    """The unit groups, their members named as the results name them (listed
    or read from a file)."""
    if not index.groups:
        return []
    rows = results.node_rows([index.id]).select("unit", "name").unique("unit")
    names = dict(rows.iter_rows())
    return [_group(index, group, names) for group in index.groups]


def _group(index: Index, group, names: dict[str, str]) -> dict:
    """A unit group: its members (by name) and how its raw values roll up
    from theirs."""
    rollup = ROLLUPS[group.rollup]
    if group.by is not None:
        own = next((v.rollup for v in index.variables if v.id == group.by), None)
        summed = own is None or own.value == "sum"
        rollup += f" {group.by}" + (", which is itself summed" if summed else "")
    return {
        "code": group.code,
        "name": group.name or group.code,
        "members": ", ".join(names.get(m, m) for m in group.members),
        "rollup": rollup,
    }


# What each normalization's symbols mean and the rules its formula leaves
# unsaid, as the appendix states them.
NORMALIZATION_NOTES = {
    "anchors": "a value at the worst anchor scores the bottom of the scale, at "
    "the best the top, linear in between; clipped to the scale unless the "
    "anchors are written unclipped",
    "minmax": "min and max of the indicator over the units of year t, after "
    "multiplying by −1 under a negative direction",
    "minmax_pooled": "min and max of the indicator over all units and years, "
    "after multiplying by −1 under a negative direction",
    "zscore": "mean and sample standard deviation over the units of year t; "
    "times −1 under a negative direction",
    "rank": "rank among the units of the year, 1 for the lowest value after "
    "orientation; tied values share the lower rank",
    "percentile": "r: the value's rank among the n units of the year with a "
    "value (tied values share the lower rank)",
    "target": "T: the target; under a negative direction the ratio is min(T / x, 1)",
}

# The outlier rules, as the appendix states them.
WINSORIZING = (
    "while the indicator's skewness is 2 or more in absolute value and its "
    "excess kurtosis 3.5 or more, its most extreme value on the side of the "
    "skew is replaced by the next most extreme, at most 5 times"
)
TREATMENT_NOTES = {
    "winsorize": WINSORIZING,
    "coinr": f"{WINSORIZING}; if the indicator still fails the test, "
    "ln(x − min + 0.01 (max − min)) of its original values is used instead, "
    "as COINr does",
}


def forms(term) -> dict:
    return {
        "mathml": formulas.mathml(term),
        "tex": formulas.tex(term),
        "text": formulas.text(term),
    }


def _grouped(nodes: list[Resolved], key, formula) -> list[dict]:
    return [
        {
            "method": rule["rule"],
            "note": NORMALIZATION_NOTES.get(rule["rule"], ""),
            **rule,
            **forms(formula(rule["rule"])),
        }
        for rule in _rules(nodes, key)
    ]


def _rules(nodes: list[Resolved], describe) -> list[dict]:
    """Nodes grouped by a rule; ``applies`` names them, or says "all" when one
    rule covers them all."""
    groups: dict[str, list[str]] = {}
    for r in nodes:
        groups.setdefault(describe(r), []).append(r.id)
    everyone = len(groups) == 1 and len(nodes) > 1
    return [
        {
            "rule": rule,
            "nodes": ids,
            "applies": f"all {len(ids)}" if everyone else ", ".join(ids),
        }
        for rule, ids in groups.items()
    ]


def _impute_text(r: Resolved, resolved: dict[str, Resolved]) -> str:
    """What becomes of a leaf's missing value. Left out of its parent's mean,
    the others' weights renormalized, it is in effect given the (weighted)
    mean of its siblings that have a score; a parent that needs all its
    weight covered has no score instead."""
    if r.impute != "none":
        by = f' within groups of "{r.impute_by}"' if r.impute_by else ""
        return f"{r.impute}{by}"
    parent = resolved.get(r.parent) if r.parent else None
    if parent is not None and parent.min_coverage >= 1:
        return f"none: a unit missing it has no {parent.id} score (coverage 100%)"
    return (
        "none: left out of its parent's mean and the others' weights "
        "renormalized, which amounts to giving it the mean of its siblings' scores"
    )


def _applied(index: Index, results: Results) -> dict:
    leaves = [n.id for n in index.nodes() if n.is_leaf]
    cells = results.long.filter(pl.col("node").is_in(leaves))
    return {
        "cells": cells.height,
        "observed": int(cells["raw"].is_not_null().sum()),
        "imputed": _flagged(results, "imputed"),
        "clipped": _flagged(results, "clipped"),
        "treated": _flagged(results, "treated"),
        "missing": int(
            cells.filter(pl.col("raw").is_null() & ~pl.col("imputed")).height
        ),
    }


LISTED_CELLS = 20


def _flagged(results: Results, flag: str) -> dict:
    """The cells with ``flag`` set: how many per indicator, and the first few,
    each with the year of its data (an indicator's own data year, when it
    has one, rather than the year it is scored for)."""
    rows = results.long.filter(pl.col(flag)).sort("year", "order", "unit")
    counts = rows.group_by("node", maintain_order=True).len()
    dated = {n.id: n.data_year for n in results.index.nodes() if n.data_year}
    cells = [
        {
            "unit": row["unit"],
            "year": str(dated.get(row["node"]) or row["year"] or ""),
            "node": row["node"],
            # An imputed cell has no raw value: the value imputed, marked so.
            "raw": row["imputed_value"] if row["raw"] is None else row["raw"],
            "imputed": row["raw"] is None and row["imputed_value"] is not None,
            # A treated one: the value it was treated to.
            "treated": row["treated_value"] if flag == "treated" else None,
            "score": row["score"],
        }
        for row in rows.head(LISTED_CELLS).iter_rows(named=True)
    ]
    return {
        "count": rows.height,
        "by_node": [
            {"node": node, "count": count} for node, count in counts.iter_rows()
        ],
        "cells": cells,
        "more": max(0, rows.height - LISTED_CELLS),
    }


# ---- 6. coverage ---------------------------------------------------------------


def coverage_section(index: Index, results: Results, year) -> dict:
    """Per unit and dimension: how many indicators were observed, imputed or
    missing. Of many units, only those with a gap are listed (``rows``), and
    the others counted (``complete``)."""
    rows = year_rows(results, year)
    units = unit_order(rows)
    table = []
    for unit, name in units:
        mine = rows.filter(pl.col("unit") == unit)
        cells = [_coverage_cell(mine, d) for d in top_dimensions(index)]
        table.append({"unit": unit, "name": name, "cells": cells})
    if len(table) <= MANY_UNITS:
        return {"rows": table, "complete": 0}
    gaps = [
        row for row in table if any(c["observed"] < c["total"] for c in row["cells"])
    ]
    return {"rows": gaps, "complete": len(table) - len(gaps)}


# Beyond this many units, the coverage table lists only those with a gap.
MANY_UNITS = 40


def _coverage_cell(rows: pl.DataFrame, dimension: Node) -> dict:
    ids = [n.id for n in leaves_under(dimension)]
    cells = rows.filter(pl.col("node").is_in(ids))
    imputed = int(cells["imputed"].sum())
    observed = int((cells["raw"].is_not_null() & ~cells["imputed"]).sum())
    # A group's value rolled up from some of its members covers it in part.
    coverage = cells["coverage"]
    partial = int(((coverage > 0) & (coverage < 1) & ~cells["imputed"]).sum())
    total = len(ids)
    missing = total - observed - imputed
    return {
        "dimension": dimension.id,
        "total": total,
        "observed": observed,
        "partial": partial,
        "imputed": imputed,
        "missing": missing,
        "observed_share": percent(observed / total if total else None),
        "imputed_share": percent(imputed / total if total else None),
        "missing_share": percent(missing / total if total else None),
    }


def unit_order(rows: pl.DataFrame) -> list[tuple[str, str]]:
    """The units by rank; those without one (groups, unranked units) after,
    by composite score, then those without a score."""
    composite = rows.filter(pl.col("depth") == 0).sort(
        ["rank", "score", "unit"], descending=[False, True, False], nulls_last=True
    )
    return list(zip(composite["unit"], composite["name"], strict=True))


# ---- 7. results ----------------------------------------------------------------


def results_section(index: Index, results: Results, year) -> dict:
    """Composite, dimension scores, points and ranks of every unit, with charts."""
    rows = year_rows(results, year)
    dimensions = top_dimensions(index)
    table = []
    for unit, name in unit_order(rows):
        mine = rows.filter(pl.col("unit") == unit)
        table.append(
            {
                "unit": unit,
                "name": name,
                "composite": _numbers(mine, index.root.id),
                "dimensions": [_numbers(mine, d.id) for d in dimensions],
            }
        )
    return {
        "dimensions": [{"id": d.id, "title": label(d)} for d in dimensions],
        "rows": table,
        "charts": _result_charts(index, table),
        # Under a geometric or harmonic composite, the weights act as
        # exponents: a dimension's points are no share of it, and not shown.
        "points": resolve(index)[index.root.id].aggregate == "arithmetic",
    }


def checks_section(index: Index, results: Results) -> list[dict]:
    """Each ``expect`` line: the published figure, the value computed, and
    whether they agree (to the figure's decimals, or within its tolerance)."""
    rows = []
    for outcome in results.expectations():
        e = outcome.expectation
        node = index.node(e.node)
        rows.append(
            {
                "node": "composite" if e.node == "composite" else label(node),
                "view": "points" if e.points else "score",
                "unit": e.unit,
                "year": "" if outcome.year is None else str(outcome.year),
                "expected": f"{e.value:.{e.decimals}f}",
                "tolerance": "" if e.tolerance is None else f"{e.tolerance:g}",
                "computed": (
                    "n/a"
                    if outcome.actual is None
                    else f"{outcome.actual:.{e.decimals + 2}f}"
                ),
                "passed": outcome.passed,
            }
        )
    return rows


def _numbers(rows: pl.DataFrame, node_id: str) -> dict:
    row = rows.filter(pl.col("node") == node_id)
    if row.height == 0:
        return {"score": None, "points": None, "rank": None, "coverage": None}
    first = row.row(0, named=True)
    return {
        "score": first["score"],
        "points": first["points"],
        "rank": first["rank"],
        "coverage": first["coverage"],
    }


def _ranked_name(row: dict) -> str:
    rank = row["composite"]["rank"]
    return f"{rank}. {row['name']}" if rank is not None else row["name"]


def _result_charts(index: Index, table: list[dict]) -> list[dict]:
    dimensions = top_dimensions(index)
    titles = [label(d) for d in dimensions]
    if len(table) <= FEW_UNITS:
        series = {row["name"]: [d["score"] for d in row["dimensions"]] for row in table}
        return [
            {
                "caption": "Dimension scores of each unit, side by side.",
                "svg": charts.grouped_bars(
                    titles, series, index.scale.high, 1 + extra_decimals(index)
                ),
            }
        ]
    scored = [row for row in table if row["composite"]["score"] is not None]
    names = [_ranked_name(row) for row in table]
    grid = [[d["score"] for d in row["dimensions"]] for row in table]
    left_out = len(table) - len(scored)
    note = f" {left_out} units without a composite are left out." if left_out else ""
    return [
        {
            "caption": f"Composite scores, units ranked.{note}",
            "svg": charts.ranked(
                [_ranked_name(row) for row in scored],
                [row["composite"]["score"] for row in scored],
            ),
        },
        {
            "caption": "Dimension scores of every unit (units in rank order; "
            "a blank cell has no score).",
            "svg": charts.heatmap(names, titles, grid, 1 + extra_decimals(index)),
        },
    ]


def _sentence(text: str) -> str:
    """Text ended as a sentence, so that what follows it starts anew."""
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."
