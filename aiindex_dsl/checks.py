"""Checks of a composed index: every problem of a definition, not just the first.

Each check is a function that takes the :class:`~aiindex_dsl.ir.Index` and
yields :class:`~aiindex_dsl.diagnostics.Diagnostic` records; :data:`CHECKS`
lists them in the order their findings are reported.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextvars import ContextVar

from .build import collector_paused
from .diagnostics import AixError, Diagnostic, did_you_mean
from .ir import (
    AGGREGATIONS,
    DIRECTIONS,
    FORMATS,
    FUNCTIONS,
    IMPUTATIONS,
    LAYOUTS,
    NORMALIZATIONS,
    ROLLUPS,
    TRANSFORMS,
    TREATMENTS,
    WEIGHT_MODES,
    Binary,
    Call,
    Index,
    Node,
    Ref,
    Setting,
    Span,
    Unary,
)

WEIGHT_TOLERANCE = 1e-6
# The imputations that can take the statistic over a group of units (`by`).
BY_GROUP = ("mean", "median")
METHODS = {
    "aggregate": AGGREGATIONS,
    "transform": TRANSFORMS,
    "direction": DIRECTIONS,
    "impute": IMPUTATIONS,
    "treat": TREATMENTS,
    "weights": WEIGHT_MODES,
}


def check(index: Index) -> Index:
    """Return the index unchanged if it is consistent; raise every problem if not."""
    with collector_paused():
        walked = tuple(index.root.walk())
        token = _TREE.set((index.root, walked, tuple(cascade(index.root))))
        try:
            problems = [problem for rule in CHECKS for problem in rule(index)]
        finally:
            _TREE.reset(token)
    if problems:
        problems = [_after_removal(index, problem) for problem in problems]
        raise AixError(sorted(problems, key=_place))
    return index


# The tree of the index being checked, walked once for all the rules: its
# root, every node (root first) and each with the settings in force at it.
_TREE: ContextVar[tuple | None] = ContextVar("aix_checked_tree", default=None)


def _walked(index: Index) -> tuple[Node, ...]:
    """Every node of the index, the root first (``index.root.walk()``)."""
    tree = _TREE.get()
    if tree is not None and tree[0] is index.root:
        return tree[1]
    return tuple(index.root.walk())


def _cascaded(index: Index) -> tuple[tuple[Node, dict], ...]:
    """``cascade(index.root)``, computed once per check."""
    tree = _TREE.get()
    if tree is not None and tree[0] is index.root:
        return tree[2]
    return tuple(cascade(index.root))


def _after_removal(index: Index, problem: Diagnostic) -> Diagnostic:
    """A problem in a parent that the child brings about, with a hint at the
    child's line (the parent itself is not at fault): a ``remove`` of what
    the problem names, or of a node under it; a node the child adds under
    the node it names."""
    if not index.extends:
        return problem
    elsewhere = problem.span is None or problem.span.file != index.path
    hints = []
    for removal in index.removals:
        if removal.span is None:
            continue
        # What the child removes, named by a problem anywhere (a group of the
        # child's own may still list a unit it removes from the parent).
        if f"`{removal.id}`" in problem.message:
            hints.append(
                f"{removal.span} removes {removal.what} `{removal.id}`: keep it, "
                "or remove or declare anew what names it"
            )
        elif elsewhere and removal.parent and f"`{removal.parent}`" in problem.message:
            hints.append(
                f"{removal.span} removes {removal.what} `{removal.id}` "
                f"from `{removal.parent}`"
            )
    for node in _walked(index):
        for child in node.children:
            added = child.span is not None and child.span.file == index.path
            if elsewhere and added and f"`{node.id}`" in problem.message:
                hints.append(
                    f"{child.span} adds {child.kind} `{child.id}` under `{node.id}`"
                )
    if not hints:
        return problem
    # The first few: a child that adds a whole dimension would list each node.
    return dataclasses.replace(problem, hints=(*hints[:3], *problem.hints))


def _place(problem) -> tuple:
    """Problems in the order of their files and lines (those of no line last)."""
    span = problem.span
    if span is None:
        return (1, "", 0, 0)
    return (0, span.file, span.line, span.column)


def duplicate_ids(index: Index) -> Iterator[Diagnostic]:
    """Two nodes, units, sources or variables with the same id. The index
    itself, its dimensions, indicators and variables share one set of ids:
    each names a series of the data and of the results."""
    series = [("node", n) for n in _walked(index)]
    series += [("variable", v) for v in index.variables]
    groups = [
        series,
        [("unit", u) for u in [*index.units, *index.groups]],
        [("source", s) for s in index.sources],
    ]
    for items in groups:
        first: dict[str, object] = {}
        for kind, item in items:
            key = getattr(item, "id", None) or item.code
            if key in first:
                where = _declared_at(first[key].span, item.span)
                yield Diagnostic(
                    "E210",
                    f"the {kind} id `{key}` is used twice",
                    item.span,
                    (f"it is first declared {where}; ids must be unique",),
                )
            else:
                first[key] = item


# The columns that key a row of the wide results: a node's column there
# takes the node's id.
KEY_COLUMNS = ("unit", "name", "year", "rank")


def reserved_ids(index: Index) -> Iterator[Diagnostic]:
    """A dimension or indicator whose id is that of a key column of the wide
    results, where each node has a column named by its id."""
    for node in _walked(index):
        if node.id in KEY_COLUMNS:
            yield Diagnostic(
                "E253",
                f"`{node.id}` cannot name a node: the results' wide table "
                f"has a column `{node.id}` of its own",
                node.span,
                (
                    f"choose another id, such as `{node.id}_score`; the title can "
                    "still read as you like",
                ),
            )


def _declared_at(span: Span | None, beside: Span | None) -> str:
    """Where ``span`` stands, for a hint at ``beside``: its line, and its
    file when that is another (one extended or included)."""
    if span is None:
        return "elsewhere"
    if beside is not None and beside.file == span.file:
        return f"at line {span.line}"
    return f"at {span.file}:{span.line}"


def unknown_sources(index: Index) -> Iterator[Diagnostic]:
    """A reference to a source that is not declared."""
    known = [s.id for s in index.sources]
    refs = [(n.data or n.score_from) for n in _walked(index)[1:]]
    refs += list(index.variables)
    if index.units_from is not None:
        refs.append(index.units_from)
    for node in _walked(index)[1:]:
        for cited in node.cites:
            if cited not in known:
                yield Diagnostic(
                    "E211",
                    f"`{node.id}` cites `{cited}`, which is not a source",
                    node.span,
                    did_you_mean(cited, known)
                    or ("declare it with `source NAME { ... }`",),
                )
    for ref in refs:
        if ref is not None and ref.source not in known:
            yield Diagnostic(
                "E211",
                f"no source is called `{ref.source}`",
                ref.span,
                did_you_mean(ref.source, known)
                or ("declare it with `source NAME { ... }`",),
            )


def unknown_references(index: Index) -> Iterator[Diagnostic]:
    """An expression naming something that is neither an indicator nor a variable."""
    known = [n.id for n in _walked(index) if n.kind == "indicator"]
    known += [v.id for v in index.variables]
    known_set = set(known)
    for node in _walked(index)[1:]:
        if node.derive is None:
            continue
        for ref in _refs(node.derive.expr):
            if ref.name not in known_set:
                yield Diagnostic(
                    "E212",
                    f"`{node.id}` is derived from `{ref.name}`, which is not "
                    "an indicator or a variable",
                    ref.span or node.derive.span,
                    did_you_mean(ref.name, known),
                )
            elif ref.name == node.id:
                yield Diagnostic(
                    "E213",
                    f"`{node.id}` is derived from itself",
                    ref.span,
                    ("derive it from other indicators or variables",),
                )
        yield from _unknown_functions(node)


def _refs(expr) -> Iterator[Ref]:
    if isinstance(expr, Ref):
        yield expr
    elif isinstance(expr, Unary):
        yield from _refs(expr.operand)
    elif isinstance(expr, Call):
        yield from _refs(expr.argument)
    elif isinstance(expr, Binary):
        yield from _refs(expr.left)
        yield from _refs(expr.right)


def _calls(expr) -> Iterator[Call]:
    if isinstance(expr, Call):
        yield expr
        yield from _calls(expr.argument)
    elif isinstance(expr, Unary):
        yield from _calls(expr.operand)
    elif isinstance(expr, Binary):
        yield from _calls(expr.left)
        yield from _calls(expr.right)


def _unknown_functions(node: Node) -> Iterator[Diagnostic]:
    for call in _calls(node.derive.expr):
        if call.function not in FUNCTIONS:
            yield Diagnostic(
                "E214",
                f"`{call.function}` is not a function aix knows",
                call.span,
                did_you_mean(call.function, FUNCTIONS)
                + (f"the functions are {', '.join(FUNCTIONS)}",),
            )


def unknown_units(index: Index) -> Iterator[Diagnostic]:
    """Groups, expectations and ``unranked`` that name units the index does
    not have. With ``units from`` they are checked once the file is read
    (see :func:`named_units` and :func:`.compile.units`)."""
    if index.units_from is not None:
        return
    yield from named_units(index, [u.code for u in index.units])


def named_units(index: Index, units: list[str]) -> Iterator[Diagnostic]:
    """Groups, expectations and ``unranked`` that name a unit other than
    ``units`` (the units' codes) and the groups."""
    codes = [*units, *(g.code for g in index.groups)]
    known = set(codes)
    yield from unknown_members(index, codes)
    for expectation in index.expectations:
        if expectation.unit not in known:
            yield Diagnostic(
                "E216",
                f"the expectation names unit `{expectation.unit}`, which the "
                "index does not have",
                expectation.span,
                did_you_mean(expectation.unit, codes),
            )
    yield from _unranked(index, codes)
    yield from _unit_codes(index, codes)


def _unit_codes(index: Index, codes: list[str]) -> Iterator[Diagnostic]:
    """A source's ``unit codes``: each to a unit of the index, each code of
    the file given once."""
    known = set(codes)
    # A unit the index removes from one it extends may still be read under
    # another code: its rows are then of no unit of the index.
    known |= {r.id for r in index.removals if r.what == "unit"}
    for source in index.sources:
        seen: set[str] = set()
        spans = source.unit_code_spans or (source.span,) * len(source.unit_codes)
        for (theirs, ours), span in zip(source.unit_codes, spans, strict=True):
            if theirs in seen:
                yield Diagnostic(
                    "E261",
                    f"`unit codes` of source `{source.id}` give the file's code "
                    f"`{theirs}` twice",
                    span,
                    ("keep one pair for it",),
                )
            seen.add(theirs)
            if ours not in known:
                yield Diagnostic(
                    "E260",
                    f"`unit codes` of source `{source.id}` read `{theirs}` as "
                    f"`{ours}`, which the index does not have",
                    span,
                    did_you_mean(ours, codes)
                    or ("the second code of each pair is the index's",),
                )


def _unranked(index: Index, codes: list[str]) -> Iterator[Diagnostic]:
    groups = {g.code for g in index.groups}
    seen: set[str] = set()
    for unit in index.unranked:
        if unit.code in seen:
            yield Diagnostic(
                "E254",
                f"unit `{unit.code}` is listed twice in `unranked`",
                unit.span,
                ("list each unit once",),
            )
        elif unit.code in groups:
            yield Diagnostic(
                "E254",
                f"`{unit.code}` is a group, which is never ranked",
                unit.span,
                (f'remove "{unit.code}" from `unranked`',),
            )
        elif unit.code not in codes:
            yield Diagnostic(
                "E254",
                f"`unranked` names unit `{unit.code}`, which the index does not have",
                unit.span,
                did_you_mean(unit.code, codes)
                or ("list the codes of units the index scores",),
            )
        seen.add(unit.code)


def unknown_members(index: Index, codes: list[str]) -> Iterator[Diagnostic]:
    """Groups that list a member not among the unit ``codes``."""
    known = set(codes)
    for group in index.groups:
        spans = group.member_spans or (group.span,) * len(group.members)
        for member, span in zip(group.members, spans, strict=True):
            if member not in known:
                yield Diagnostic(
                    "E215",
                    f"group `{group.code}` lists `{member}`, which is not a unit",
                    span,
                    did_you_mean(member, codes)
                    or (f"declare it in `units`, e.g. `units {{ {member} }}`",),
                )


def ungrouped(index: Index, codes: list[str]) -> Iterator[Diagnostic]:
    """Units read with ``units from`` (``codes``) that no group takes, when
    groups exist: as E219 for the units the index lists."""
    if not index.groups or index.units_from is None:
        return
    taken = {m for g in index.groups for m in g.members}
    taken |= set(index.unranked_codes())
    listed = {u.code for u in index.units}
    left = [c for c in dict.fromkeys(codes) if c not in taken and c not in listed]
    if left:
        shown = ", ".join(f"`{c}`" for c in left[:5]) + (
            " ..." if len(left) > 5 else ""
        )
        yield Diagnostic(
            "E219",
            f"{_units(len(left))} read with `units from` in no group: {shown}",
            index.units_from.span,
            (
                "add them to the `members` of one of: "
                + ", ".join(sorted(g.code for g in index.groups)),
            ),
        )


def _units(count: int) -> str:
    return "a unit" if count == 1 else f"{count} units"


def unknown_nodes(index: Index) -> Iterator[Diagnostic]:
    """Expectations about nodes the tree does not have."""
    ids = [n.id for n in _walked(index)] + ["composite"]
    known = set(ids)
    for expectation in index.expectations:
        if expectation.node not in known:
            yield Diagnostic(
                "E217",
                f"the expectation names `{expectation.node}`, which is not a node "
                "of the tree",
                expectation.span,
                did_you_mean(expectation.node, ids)
                or ("use `composite` for the index",),
            )


def expectation_years(index: Index) -> Iterator[Diagnostic]:
    """Expectations for a year the index does not cover, and tolerances
    below 0, which no value could meet."""
    for expectation in index.expectations:
        if expectation.tolerance is not None and expectation.tolerance < 0:
            yield Diagnostic(
                "E262",
                f"the tolerance of an expectation is a distance, at least 0, "
                f"not {expectation.tolerance:g}",
                expectation.span,
                (f"write `within {-expectation.tolerance:g}`",),
            )
    if not index.years:
        return
    for expectation in index.expectations:
        if expectation.year is not None and expectation.year not in index.years:
            yield Diagnostic(
                "E243",
                f"the expectation is for {expectation.year}, which is not one of "
                "the index's years",
                expectation.span,
                (f"the index covers {_years(index.years)}",),
            )


def _years(years: tuple[int, ...]) -> str:
    if len(years) > 3:
        return f"{years[0]} to {years[-1]}"
    return ", ".join(str(y) for y in years)


def derivation_cycles(index: Index) -> Iterator[Diagnostic]:
    """Indicators derived from each other in a circle (``a`` from ``b``, ``b``
    from ``a``)."""
    uses = {
        n.id: [r.name for r in _refs(n.derive.expr) if r.name != n.id]
        for n in _walked(index)[1:]
        if n.derive is not None
    }
    state: dict[str, int] = {}
    for start in uses:
        cycle = _find_cycle(start, uses, state, [])
        if cycle:
            node = index.node(cycle[0])
            yield Diagnostic(
                "E244",
                "derived values depend on each other in a circle: "
                + " -> ".join(cycle + [cycle[0]]),
                node.derive.span if node else None,
                ("derive one of them from data instead",),
            )


def _find_cycle(node_id: str, uses, state, trail) -> list[str]:
    if state.get(node_id) == 2 or node_id not in uses:
        return []
    if state.get(node_id) == 1:
        return trail[trail.index(node_id) :] if node_id in trail else []
    state[node_id] = 1
    for used in uses[node_id]:
        cycle = _find_cycle(used, uses, state, trail + [node_id])
        if cycle:
            return cycle
    state[node_id] = 2
    return []


def group_membership(index: Index) -> Iterator[Diagnostic]:
    """Groups that share members, or units that no group takes when groups exist."""
    if not index.groups:
        return
    owner: dict[str, str] = {}
    for group in index.groups:
        for member in dict.fromkeys(group.members):
            first = owner.setdefault(member, group.code)
            if first != group.code:
                yield Diagnostic(
                    "E218",
                    f"unit `{member}` belongs to `{group.code}` and to `{first}`",
                    group.span,
                    ("a unit may belong to one group only",),
                )
            elif group.members.count(member) > 1:
                yield Diagnostic(
                    "E218",
                    f"unit `{member}` is listed twice in `{group.code}`",
                    group.span,
                    ("list each member once",),
                )
    group_codes = {g.code for g in index.groups}
    # A unit shown for reference (``unranked``) need not belong to a group.
    apart = set(index.unranked_codes())
    for unit in index.units:
        if unit.code not in owner and unit.code not in apart:
            yield Diagnostic(
                "E219",
                f"unit `{unit.code}` belongs to no group",
                unit.span,
                (
                    "add it to the `members` of one of: "
                    + ", ".join(sorted(group_codes)),
                ),
            )
    yield from _group_cycles(index)
    yield from _rollups(index)


def _group_cycles(index: Index) -> Iterator[Diagnostic]:
    """Groups among their own members, directly or through other groups: no
    value of theirs can be rolled up."""
    below = {g.code: list(g.members) for g in index.groups}
    reported: set[str] = set()
    for group in index.groups:
        if group.code in reported:
            continue
        trail = _group_trail(group.code, group.code, below, [])
        if trail is None:
            continue
        reported.update(trail)
        chain = " in ".join(f"`{code}`" for code in [*trail, group.code])
        yield Diagnostic(
            "E257",
            f"group `{group.code}` is among its own members: {chain}",
            group.span,
            (
                "a group is made of units and other groups, never of itself: "
                "take one of these out of the other's `members`",
            ),
        )


def _group_trail(start: str, code: str, below: dict, seen: list) -> list | None:
    """The groups from ``start`` down through ``code`` to ``start`` again, if
    it lies below (``below``: each group's members; ``seen``: the trail so far)."""
    for member in below[code]:
        if member == start:
            return [*seen, code]
        if member in below and member not in seen and member != code:
            found = _group_trail(start, member, below, [*seen, code])
            if found is not None:
                return found
    return None


def _rollups(index: Index) -> Iterator[Diagnostic]:
    variables = [v.id for v in index.variables]
    for group in index.groups:
        owner = f"group `{group.code}`"
        span = group.rollup_span or group.span
        yield from _rollup(owner, group.rollup, group.by, span, variables)


def _rollup(
    owner: str, method: str, by: str | None, span, variables: list[str]
) -> Iterator[Diagnostic]:
    """A ``rollup`` of a group, an indicator or a variable (``owner``), with
    the variable ``by`` a weighted mean needs and no other method takes."""
    if method == "weighted_mean" and by is None:
        yield Diagnostic(
            "E250",
            f"{owner} rolls up by weighted mean but names no weight",
            span,
            ("write `rollup weighted_mean by VARIABLE`, e.g. by population",),
        )
    elif by is not None and method != "weighted_mean":
        yield Diagnostic(
            "E241",
            f"{owner} rolls up by {method}, which takes no `by`",
            span,
            ("write `rollup weighted_mean by VARIABLE`, or drop `by`",),
        )
    elif by is not None and by not in variables:
        yield Diagnostic(
            "E251",
            f"{owner} is weighted by `{by}`, which is not a variable",
            span,
            did_you_mean(by, variables)
            or ('declare it with `variable NAME from SOURCE "column"`',),
        )


def series_rollups(index: Index) -> Iterator[Diagnostic]:
    """The ``rollup`` of an indicator or a variable: only on a series read
    from data, and with the same rules as a group's."""
    variables = [v.id for v in index.variables]
    written = [(f"variable `{v.id}`", v.rollup) for v in index.variables if v.rollup]
    for node in _walked(index):
        if node.rollup is None:
            continue
        if node.data is None:
            name = "the index" if node.kind == "index" else f"`{node.id}`"
            yield Diagnostic(
                "E256",
                f"{name} has a `rollup`, but reads no data",
                node.rollup.span,
                (
                    "`rollup` says how a series read with `from` (or a variable) "
                    "rolls up into groups; a dimension or a derived value is "
                    "computed from those",
                ),
            )
        else:
            written.append((f"`{node.id}`", node.rollup))
    for owner, setting in written:
        if setting.value not in ROLLUPS:
            yield _unknown_method("rollup", setting.value, ROLLUPS, setting.span)
        else:
            yield from _rollup(
                owner, setting.value, setting.argument, setting.span, variables
            )


def weights(index: Index) -> Iterator[Diagnostic]:
    """Non-positive weights, and sibling weights that do not sum to 100%."""
    for node, in_force in _cascaded(index):
        if node.weight is not None and node.weight.value <= 0:
            yield Diagnostic(
                "E220",
                f"`{node.id}` has a weight of {_shown(node.weight)}",
                node.weight.span,
                ("weights must be positive; remove the node to leave it out",),
            )
        mode = in_force.get("weights")
        yield from _sibling_weights(node, mode.value if mode else "absolute")


def _sibling_weights(node: Node, mode: str) -> Iterator[Diagnostic]:
    weighted = [c for c in node.children if c.weight is not None]
    if not weighted:
        return
    if len(weighted) < len(node.children):
        missing = [c for c in node.children if c.weight is None]
        yield Diagnostic(
            "E221",
            f"some children of `{node.id}` have weights and some do not",
            missing[0].span,
            (f"give a weight to: {', '.join(c.id for c in missing)}",),
        )
        return
    if not math.isfinite(sum(c.weight.value for c in weighted)):
        yield Diagnostic(
            "E252",
            f"the weights under `{node.id}` sum to more than a number can hold",
            weighted[0].weight.span,
            ("write smaller weights in the same proportions, such as 1 and 2",),
        )
        return
    if mode == "relative":
        return
    total = sum(c.weight.fraction for c in weighted)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        listing = ", ".join(f"{c.id} {_shown(c.weight)}" for c in weighted)
        hints = [listing]
        # A bare number beside percentages is most likely a percentage.
        if any(c.weight.percent for c in weighted):
            hints += [
                f"`{c.id}` weighs {_shown(c.weight)}, that is "
                f"{c.weight.fraction * 100:g}%: did you mean `{c.weight.value:g}%`?"
                for c in weighted
                if not c.weight.percent and c.weight.value > 1
            ]
        hints.append("fix them, or write `weights relative` to rescale them")
        yield Diagnostic(
            "E222",
            f"the weights under `{node.id}` sum to {_percent_apart(total)}, not 100%",
            weighted[0].weight.span,
            tuple(hints),
        )


def _percent_apart(total: float) -> str:
    """A sum of weights as a percentage with the digits that tell it from
    100% (``100.0002%``, not ``100%``)."""
    for digits in range(6, 18):
        shown = f"{total * 100:.{digits}g}"
        if float(shown) != 100:
            return f"{shown}%"
    return f"{total * 100!r}%"


def _shown(weight) -> str:
    return f"{weight.value:g}%" if weight.percent else f"{weight.value:g}"


CASCADING = ("weights", "transform", "normalization", "direction")


def cascade(root: Node) -> Iterator[tuple[Node, dict]]:
    """Every node with the cascading settings in force at it, in one traversal.

    A setting written on a node holds for it and everything below it until a
    node further down writes its own (see :mod:`aiindex_dsl.resolve`).
    """
    stack = [(root, {})]
    while stack:
        node, in_force = stack.pop()
        written = {}
        for name in CASCADING:
            value = getattr(node, name)
            if value is not None:
                written[name] = value
        if written:
            in_force = {**in_force, **written}
        yield node, in_force
        stack.extend((child, in_force) for child in reversed(node.children))


def anchors(index: Index) -> Iterator[Diagnostic]:
    """Anchors that coincide, and transforms the anchors cannot take."""
    for node in _walked(index):
        norm = node.normalization
        if norm is None or norm.anchors is None:
            continue
        worst, best = norm.anchors.worst, norm.anchors.best
        if worst == best:
            yield Diagnostic(
                "E223",
                f"the anchors of `{node.id}` are equal (worst = best = {worst:g})",
                norm.span,
                ("the best anchor must differ from the worst",),
            )
        if not all(math.isfinite(v) for v in (worst, best)):
            yield Diagnostic("E224", "anchors must be finite numbers", norm.span)
        elif not math.isfinite(best - worst):
            yield Diagnostic(
                "E224",
                f"the anchors of `{node.id}` lie further apart than a number can hold",
                norm.span,
                ("bring the anchors closer together, or rescale the values",),
            )
        if node.direction is not None:
            yield Diagnostic(
                "E245",
                f"`{node.id}` has anchors and a `direction`; anchors set the direction",
                node.direction.span,
                (
                    "remove `direction`; to score lower values higher, write the "
                    f"anchors the other way: `anchors worst {best:g} best {worst:g}`",
                ),
            )
    yield from _transform_domains(index)
    yield from _direction_over_anchors(index)


def _direction_over_anchors(index: Index) -> Iterator[Diagnostic]:
    """A `direction negative` that reaches, by the cascade, indicators scored
    with anchors: the anchors set their direction, so it would do nothing.
    (Both written on one node is E245 above.)"""
    reached: dict[int, tuple[Setting, list[str]]] = {}
    for node, in_force in _cascaded(index):
        direction, norm = in_force.get("direction"), in_force.get("normalization")
        if not node.is_leaf or direction is None or direction.value != "negative":
            continue
        if norm is None or norm.anchors is None:
            continue
        if node.direction is not None and node.normalization is not None:
            continue
        reached.setdefault(id(direction), (direction, []))[1].append(node.id)
    for direction, ids in reached.values():
        shown = ", ".join(f"`{i}`" for i in ids[:5])
        more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
        yield Diagnostic(
            "E245",
            f"`direction negative` reaches {shown}{more}, scored with anchors, "
            "which set the direction themselves",
            direction.span,
            (
                "to score lower values higher, write those anchors the other way "
                "(`anchors worst B best W`); keep `direction` for nodes normalized "
                "without anchors",
            ),
        )


def _transform_domains(index: Index) -> Iterator[Diagnostic]:
    for node, in_force in _cascaded(index):
        transform = in_force.get("transform")
        norm = in_force.get("normalization")
        if transform is None or norm is None or norm.anchors is None:
            continue
        low = min(norm.anchors.worst, norm.anchors.best)
        if transform.value in ("log", "log10") and low <= 0:
            yield Diagnostic(
                "E225",
                f"`{node.id}` takes a {transform.value} transform, but its anchors "
                f"include {low:g}",
                norm.span,
                ("the logarithm of zero or less is undefined; raise the anchor",),
            )
        elif transform.value == "sqrt" and low < 0:
            yield Diagnostic(
                "E225",
                f"`{node.id}` takes a sqrt transform, but its anchors include {low:g}",
                norm.span,
                ("the square root of a negative value is undefined",),
            )


def tree_shape(index: Index) -> Iterator[Diagnostic]:
    """Empty dimensions, indicators without data, and nodes with two data sources."""
    if not index.root.children:
        yield Diagnostic(
            "E226",
            "the index has no dimensions or indicators",
            index.span,
            ('add `dimension NAME "Title" { indicator ... }`',),
        )
    for node in _walked(index)[1:]:
        yield from _node_shape(node)
        if not node.children:
            yield from _parent_settings(node)


# Settings of how a node combines its children, by their statement.
PARENT_SETTINGS = {
    "aggregate": "aggregate",
    "weights": "weights",
    "coverage": "coverage",
}


def _parent_settings(leaf: Node) -> Iterator[Diagnostic]:
    """Settings that say how a node combines its children, written on a node
    without children: they would do nothing."""
    for field, statement in PARENT_SETTINGS.items():
        written = getattr(leaf, field)
        if written is not None:
            yield Diagnostic(
                "E258",
                f"`{statement}` on `{leaf.id}`, which has no children, does "
                "nothing: it says how a node combines its children",
                written.span,
                (
                    f"write it on the dimension above `{leaf.id}`, or on the "
                    "index, where it holds for every node below",
                ),
            )


def _node_shape(node: Node) -> Iterator[Diagnostic]:
    if node.kind == "dimension" and not node.children and node.score_from is None:
        yield Diagnostic(
            "E227",
            f"dimension `{node.id}` is empty",
            node.span,
            ("add indicators to it, or take its score from data with `score from`",),
        )
    if node.kind == "dimension" and node.children and node.score_from is not None:
        yield Diagnostic(
            "E228",
            f"dimension `{node.id}` has both indicators and `score from`",
            node.score_from.span,
            ("keep one way of scoring it",),
        )
    if node.kind == "dimension":
        for written in (node.data, node.derive):
            if written is not None:
                word = "from" if written is node.data else "derive"
                yield Diagnostic(
                    "E246",
                    f"dimension `{node.id}` has `{word}`, which only an "
                    "indicator can have",
                    written.span,
                    (
                        "a dimension is scored from its children: move it to "
                        "an indicator, or give the dimension's score with "
                        "`score from`",
                    ),
                )
    impute = node.impute
    if impute is not None and impute.argument and impute.value not in BY_GROUP:
        yield Diagnostic(
            "E247",
            f"`impute {impute.value}` takes no `by`: it fills a unit's gap from "
            "its own years",
            impute.span,
            ('`by "COLUMN"` is for `impute mean` and `impute median`',),
        )
    if node.kind == "indicator":
        if node.children:
            yield Diagnostic(
                "E229",
                f"indicator `{node.id}` contains other nodes",
                node.span,
                ("make it a `dimension` to give it children",),
            )
        if node.data is None and node.derive is None and node.score_from is None:
            yield Diagnostic(
                "E230",
                f"indicator `{node.id}` has no data",
                node.span,
                ('add `from SOURCE "column"` or `derive EXPRESSION`',),
            )
        if node.data is not None and node.derive is not None:
            yield Diagnostic(
                "E231",
                f"indicator `{node.id}` has both `from` and `derive`",
                node.derive.span,
                ("keep one of them",),
            )
        if node.score_from is not None:
            yield Diagnostic(
                "E232",
                "`score from` is for dimensions",
                node.score_from.span,
                ('for an indicator, write `from SOURCE "column"`',),
            )


def method_names(index: Index) -> Iterator[Diagnostic]:
    """Names of methods, formats and layouts that aix does not know."""
    for node in _walked(index):
        for field, allowed in METHODS.items():
            setting = getattr(node, field)
            if setting is not None and setting.value not in allowed:
                yield _unknown_method(field, setting.value, allowed, setting.span)
        norm = node.normalization
        if norm is not None:
            yield from _normalization(norm)
    for source in index.sources:
        if source.format is not None and source.format not in FORMATS:
            yield _unknown_method("format", source.format, FORMATS, source.span)
        if source.layout not in LAYOUTS:
            yield _unknown_method("layout", source.layout, LAYOUTS, source.span)
    for group in index.groups:
        if group.rollup not in ROLLUPS:
            yield _unknown_method("rollup", group.rollup, ROLLUPS, group.span)


def _normalization(norm) -> Iterator[Diagnostic]:
    if norm.method not in NORMALIZATIONS:
        yield _unknown_method("normalize", norm.method, NORMALIZATIONS, norm.span)
    elif norm.method == "anchors" and norm.anchors is None:
        yield Diagnostic(
            "E233",
            "`normalize anchors` needs the anchors themselves",
            norm.span,
            ("write `anchors worst W best B` instead",),
        )
    elif norm.method == "target" and norm.target is None:
        yield Diagnostic(
            "E234",
            "`normalize target` needs the target value",
            norm.span,
            ("write for example `normalize target 100`",),
        )
    elif norm.method == "target" and norm.target <= 0:
        yield Diagnostic(
            "E242",
            f"the target of `normalize target` must be above 0, not {norm.target:g}",
            norm.span,
            (
                "a distance to target scores a value as its share of the target,"
                " so 0 and below have no meaning",
            ),
        )


def _unknown_method(field: str, value: str, allowed, span) -> Diagnostic:
    hints = did_you_mean(value, allowed) + (
        f"`{field}` takes one of: {', '.join(allowed)}",
    )
    return Diagnostic("E235", f"unknown {field} method `{value}`", span, hints)


def sources(index: Index) -> Iterator[Diagnostic]:
    """Sources whose layout needs more than they say."""
    for source in index.sources:
        if source.layout == "wide_by_year" and source.year_column is not None:
            yield Diagnostic(
                "E236",
                f"source `{source.id}` is wide by year but names a year column",
                source.span,
                ("remove `year column`: the years are in the column names",),
            )
    by_id = {s.id: s for s in index.sources}
    yield from _without_years(index, by_id)
    for node in _walked(index)[1:]:
        source = by_id.get(node.data.source) if node.data else None
        if (
            source
            and source.layout == "wide_by_year"
            and "{year}" not in node.data.selector
        ):
            yield Diagnostic(
                "E237",
                f"source `{source.id}` is wide by year, so the column of "
                f"`{node.id}` needs `{{year}}`",
                node.data.span,
                (f'for example `from {source.id} "{node.data.selector}_{{year}}"`',),
            )


def _without_years(index: Index, by_id: dict) -> Iterator[Diagnostic]:
    """A source of values without a year column, read by an index of several
    years: its rows would belong to none of them."""
    if len(index.years) < 2:
        return
    refs = [n.data or n.score_from for n in _walked(index)[1:]]
    refs += list(index.variables)
    read = dict.fromkeys(ref.source for ref in refs if ref is not None)
    shown = ", ".join(str(y) for y in index.years[:3])
    shown += ", ..." if len(index.years) > 3 else ""
    for source_id in read:
        source = by_id.get(source_id)
        if source is None or source.layout == "wide_by_year" or source.year_column:
            continue
        yield Diagnostic(
            "E248",
            f"source `{source.id}` has no year column, but the index scores "
            f"{len(index.years)} years ({shown}): its values would count for none",
            source.span,
            (
                'name the column that holds the year: `year column "year"`',
                "or score one year: `years 2024`",
            ),
        )


def header(index: Index) -> Iterator[Diagnostic]:
    """The scale, the units and removals outside of ``extends``."""
    if index.scale.low >= index.scale.high:
        yield Diagnostic(
            "E238",
            f"the scale runs from {index.scale.low:g} to {index.scale.high:g}",
            index.scale.span or index.span,
            ("the top of the scale must be above the bottom",),
        )
    elif not math.isfinite(index.scale.high - index.scale.low):
        yield Diagnostic(
            "E238",
            f"the scale from {index.scale.low:g} to {index.scale.high:g} spans "
            "more than a number can hold",
            index.scale.span or index.span,
            ("use a narrower scale, such as 0 to 100",),
        )
    decimals = index.ranking.decimals
    if decimals is not None and decimals > MAX_DECIMALS:
        yield Diagnostic(
            "E255",
            f"ranks rounded to {decimals} decimals: beyond {MAX_DECIMALS}, a "
            "score's decimals are noise",
            index.ranking.span,
            (
                "round to the decimals the published scores show, as "
                "`ranks rounded to 3 decimals`",
            ),
        )
    if not index.units and index.units_from is None:
        yield Diagnostic(
            "E239",
            "the index has no units",
            index.span,
            (
                'list them, `units { US "United States" }`,',
                'or read them, `units from SOURCE code "column"`',
            ),
        )
    if index.extends is None:
        for removal in index.removals:
            yield Diagnostic(
                "E240",
                "`remove` is only meaningful in an index that `extends` another",
                removal.span,
                ('add `extends "parent.aix"` to the index line',),
            )


# Decimals beyond these are noise in a 64-bit float.
MAX_DECIMALS = 15

CHECKS = (
    header,
    duplicate_ids,
    reserved_ids,
    unknown_sources,
    unknown_references,
    unknown_units,
    unknown_nodes,
    expectation_years,
    derivation_cycles,
    group_membership,
    series_rollups,
    weights,
    anchors,
    tree_shape,
    method_names,
    sources,
)
