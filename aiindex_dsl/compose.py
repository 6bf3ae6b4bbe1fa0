"""Composition: ``include`` of shared catalogues and ``extends`` of a parent index.

The rules, written out in ``docs/language.md`` and tested one by one:

- Header fields (title, version, licence, description, scale, years, ranks,
  authors) given in the child replace the parent's; those not given are
  inherited.
- Units, groups, sources and variables merge by their code or id: a new one is
  added, one with an existing id replaces the parent's whole declaration. The
  units listed as ``unranked`` add up.
- A node (dimension or indicator) whose id exists anywhere in the parent's
  tree amends it in place: each setting the child writes replaces the parent's,
  the others stay, and new children are appended. A node with a new id is
  added under the node it is written in (the index itself at the top level).
- ``remove KIND ID`` drops a part of the parent (a node with its subtree).
- Expectations are inherited; the child's own are added, and one for the same
  node, unit, year and view replaces the parent's. Expectations about removed
  nodes or units are dropped.
- An ``include`` adds the catalogue's declarations as if they were written where
  the ``include`` stands.

Paths are relative to the file that writes them. Cycles and chains deeper than
:data:`MAX_DEPTH` are refused.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections import Counter
from pathlib import Path

from . import data, paths
from .build import Catalogue, collector_paused
from .checks import duplicate_ids
from .diagnostics import AixError, Diagnostic, did_you_mean
from .ir import Expectation, Index, Node, Span, Unit
from .syntax import parse, read_source

MAX_DEPTH = 16
HEADER_FIELDS = (
    "title",
    "version",
    "licence",
    "description",
    "scale",
    "years",
    "ranking",
    "authors",
)
KEYED_LISTS = {"units": "code", "groups": "code", "sources": "id", "variables": "id"}
STRUCTURAL = {"kind", "id", "children", "span"}


def load_file(path: str, chain: tuple[str, ...] = ()) -> Index:
    """Parse one ``.aix`` file and everything it extends or includes."""
    resolved = str(Path(path).resolve())
    if resolved in chain:
        raise _cycle(path, chain, "extends")
    if len(chain) >= MAX_DEPTH:
        raise AixError(
            [
                Diagnostic(
                    "E302",
                    f"extends/include nest deeper than {MAX_DEPTH} files",
                    None,
                    ("flatten the chain of definitions",),
                    location=path,
                )
            ]
        )
    with collector_paused():
        built = parse(read_source(path), path)
    if isinstance(built, Catalogue):
        raise AixError(
            [
                Diagnostic(
                    "E303",
                    f"{path} holds no `index` block",
                    None,
                    ("a file of sources alone is meant for `include`",),
                    location=path,
                )
            ]
        )
    chain = chain + (resolved,)
    index = _with_includes(built, chain)
    if index.extends is not None:
        own_duplicates = list(duplicate_ids(index))
        if own_duplicates:
            raise AixError(own_duplicates)
        parent_path = _relative(index.extends, path)
        root = paths.project_root(chain[0])
        where = f"the parent index {parent_path}"
        written = _written_at(path, "extends", index.extends)
        paths.confine(parent_path, root, where, "E307", written, location=path)
        _require_definition(parent_path, where, written, path)
        with _named_at(parent_path, written):
            parent = load_file(parent_path, chain)
        index = extend(parent, index)
    if len(chain) == 1:
        _confine_data(index, paths.project_root(path))
    return index


def _confine_data(index: Index, root: Path) -> None:
    for source in index.sources:
        if source.file is not None:
            path = data.path_of(source)
            where = f"the data file {path} of source `{source.id}`"
            paths.confine(path, root, where, "E408", source.span)


def _relative(target: str, base: str) -> str:
    return str(Path(base).parent / target)


def _cycle(path: str, chain: tuple[str, ...], keyword: str) -> AixError:
    names = " -> ".join(Path(p).name for p in chain + (path,))
    naming = _shown(chain[-1])
    return AixError(
        [
            Diagnostic(
                "E301",
                f"definitions extend or include each other in a cycle: {names}",
                _written_at(naming, keyword, _named(path, naming)),
                ("break the cycle by removing one `extends` or `include`",),
                location=path,
            )
        ]
    )


def _shown(resolved: str) -> str:
    """A resolved path as the user would write it: relative to the working
    folder when it lies inside it."""
    relative = os.path.relpath(resolved)
    return resolved if relative.startswith("..") else relative


def _named(path: str, naming: str) -> str:
    """``path`` as the file ``naming`` it may have written it: relative to it."""
    try:
        return os.path.relpath(Path(path).resolve(), Path(naming).parent)
    except ValueError:
        return path


def _written_at(path: str, keyword: str, target: str, nth: int = 0) -> Span | None:
    """Where the file ``path`` writes ``extends "target"`` or ``include
    "target"`` (the ``nth`` time, from 0), read again for a message; None if
    it is not found as written."""
    pattern = re.compile(rf'\b{keyword}\s+("{re.escape(target)}")')
    try:
        lines = read_source(path).split("\n")
    except AixError:
        return None
    for number, line in enumerate(lines, start=1):
        for found in pattern.finditer(line):
            if nth > 0:
                nth -= 1
                continue
            start, end = found.span(1)
            return Span(
                file=path,
                line=number,
                column=start + 1,
                end_line=number,
                end_column=end + 1,
            )
    return None


def _require_definition(target: str, what: str, written, naming: str) -> None:
    """Refuse a parent or included file that is not a ``.aix`` file (a data
    file named by mistake), at the statement naming it."""
    if Path(target).suffix.lower() == ".aix":
        return
    raise AixError(
        [
            Diagnostic(
                "E309",
                f"{what} is not a .aix file",
                written,
                (
                    "`extends` and `include` name definitions; data files belong "
                    "in a source's `file`",
                ),
                location=naming,
            )
        ]
    )


def _naming(target: str, message: str) -> str:
    return message if target in message else f"{target}: {message}"


@contextlib.contextmanager
def _named_at(target: str, written: Span | None):
    """Show a problem with the file ``target`` itself (missing, a folder,
    unreadable: no place inside it) at the statement that names it."""
    try:
        yield
    except AixError as error:
        if written is None:
            raise
        moved = [
            dataclasses.replace(d, message=_naming(target, d.message), span=written)
            if d.span is None and d.location == target
            else d
            for d in error.diagnostics
        ]
        raise AixError(moved) from None


def _with_includes(index: Index, chain: tuple[str, ...]) -> Index:
    if not index.includes:
        return index
    update = {
        "sources": list(index.sources),
        "variables": list(index.variables),
        "units": list(index.units),
    }
    root = paths.project_root(chain[0])
    seen: dict[Path, Span | None] = {}
    spelled: Counter[str] = Counter()
    for included in index.includes:
        target = _relative(included, index.path)
        where = f"the included file {target}"
        written = _written_at(index.path, "include", included, spelled[included])
        spelled[included] += 1
        resolved = Path(target).resolve()
        if resolved in seen:
            raise AixError([_included_twice(included, written, seen[resolved])])
        seen[resolved] = written
        paths.confine(target, root, where, "E307", written, location=index.path)
        _require_definition(target, where, written, index.path)
        with _named_at(target, written):
            catalogue = _load_catalogue(target, chain)
        update["sources"] = list(catalogue.sources) + update["sources"]
        update["variables"] = list(catalogue.variables) + update["variables"]
        update["units"] = list(catalogue.units) + update["units"]
    return index.model_copy(update={k: tuple(v) for k, v in update.items()})


def _included_twice(included: str, written: Span | None, first: Span | None):
    """The second ``include`` of one file, at the statement that writes it."""
    where = f" (first at line {first.line})" if first is not None else ""
    return Diagnostic(
        "E310",
        f"`{included}` is included twice{where}",
        written,
        ("remove this `include`: the file's declarations are already in",),
    )


def load_catalogue(path: str) -> Catalogue:
    """Parse a catalogue of sources (a file for ``include``) on its own."""
    return _load_catalogue(path, ())


def _load_catalogue(path: str, chain: tuple[str, ...]) -> Catalogue:
    resolved = str(Path(path).resolve())
    if resolved in chain:
        raise _cycle(path, chain, "include")
    with collector_paused():
        built = parse(read_source(path), path)
    if isinstance(built, Index):
        raise AixError(
            [
                Diagnostic(
                    "E304",
                    f"{path} is an index, not a catalogue of sources",
                    None,
                    ("use `extends` to build on another index",),
                    location=path,
                )
            ]
        )
    return built


# ---- extends ----------------------------------------------------------------


def extend(parent: Index, child: Index) -> Index:
    """The child index with everything it inherits from the parent.

    >>> # parent: dimension a { indicator x ... }; child: indicator x { weight 2 }
    >>> # result: dimension a { indicator x ... weight 2 }
    """
    problems: list[Diagnostic] = []
    removed = {(r.what, r.id) for r in child.removals}
    update = {field: getattr(parent, field) for field in HEADER_FIELDS}
    update.update(_given(child, HEADER_FIELDS))
    update["units_from"] = _units_read(parent, child)
    for field, key in KEYED_LISTS.items():
        kind = field[:-1]
        update[field] = _merge_keyed(
            getattr(parent, field), getattr(child, field), key, kind, removed
        )
    # The child's list as written (so that its own mistakes are found),
    # after the parent's.
    written = {u.code for u in child.unranked}
    inherited = [
        u
        for u in parent.unranked
        if ("unit", u.code) not in removed and u.code not in written
    ]
    update["unranked"] = (*inherited, *child.unranked)
    update["root"] = _merge_tree(parent.root, child.root, child.removals, problems)
    update["removals"] = _placed(child.removals, parent.root, child.root.id)
    update["expectations"] = _merge_expectations(parent, child, update)
    _check_removals(parent, child, problems)
    if problems:
        raise AixError(problems)
    return child.model_copy(update=update)


def _units_read(parent: Index, child: Index):
    """The child's ``units from``, else the parent's; the units the child
    removes that the parent reads rather than lists are left out of it
    (whether the file holds them is known only when it is read)."""
    spec = child.units_from or parent.units_from
    if spec is None or parent.units_from is None:
        return spec
    listed = {u.code for u in parent.units}
    removed = [
        Unit(code=r.id, span=r.span)
        for r in child.removals
        if r.what == "unit" and r.id not in listed
    ]
    if not removed:
        return spec
    return spec.model_copy(update={"removed": (*spec.removed, *removed)})


def _placed(removals, parent_root: Node, root_id: str) -> tuple:
    """The removals, each node's with the id of the node it stood under
    (the root by the child's id), so that a problem that removal causes
    can point at it."""
    above = {
        child.id: root_id if node is parent_root else node.id
        for node in parent_root.walk()
        for child in node.children
    }
    return tuple(
        r.model_copy(update={"parent": above.get(r.id)})
        if r.what in ("dimension", "indicator")
        else r
        for r in removals
    )


def _given(model, fields) -> dict:
    return {
        f: getattr(model, f)
        for f in model.model_fields_set & set(fields)
        if getattr(model, f) is not None
    }


def _merge_keyed(inherited, own, key: str, kind: str, removed) -> tuple:
    """The parent's items (those the child removes aside), the child's
    replacing those of the same id or added: a child may remove an item and
    declare it anew."""
    merged = {
        getattr(item, key): item
        for item in inherited
        if (kind, getattr(item, key)) not in removed
    }
    for item in own:
        merged[getattr(item, key)] = item
    return tuple(merged.values())


def _merge_tree(parent_root: Node, child_root: Node, removals, problems) -> Node:
    nodes: dict[str, Node] = {}
    children: dict[str, list[str]] = {}
    _flatten(parent_root, nodes, children)
    root_id = parent_root.id
    # Removed first, so that a node the child declares again is new.
    for removal in removals:
        if removal.what in ("dimension", "indicator") and removal.id in nodes:
            _drop(removal.id, children)
            _forget(removal.id, nodes, children)
    nodes[root_id] = _amend(nodes[root_id], child_root)
    for node, written_in in _patches(child_root, root_id):
        _apply(node, written_in, nodes, children, problems)
    return _rebuild(root_id, nodes, children).model_copy(
        update={"id": child_root.id, "span": child_root.span or nodes[root_id].span}
    )


def _flatten(node: Node, nodes: dict, children: dict) -> None:
    nodes[node.id] = node
    children[node.id] = [child.id for child in node.children]
    for child in node.children:
        _flatten(child, nodes, children)


def _patches(node: Node, written_in: str):
    for child in node.children:
        yield child, written_in
        yield from _patches(child, child.id)


def _apply(patch: Node, written_in: str, nodes, children, problems) -> None:
    existing = nodes.get(patch.id)
    if existing is None:
        nodes[patch.id] = patch
        children[patch.id] = []
        children[written_in].append(patch.id)
    elif existing.kind != patch.kind:
        problems.append(
            Diagnostic(
                "E305",
                f"`{patch.id}` is a {existing.kind} in the parent, "
                f"not {_article(patch.kind)} {patch.kind}",
                patch.span,
                (f"write `{existing.kind} {patch.id}` to amend it, or pick a new id",),
            )
        )
    else:
        nodes[patch.id] = _amend(existing, patch)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _amend(base: Node, patch: Node) -> Node:
    fields = {
        f: getattr(patch, f)
        for f in patch.model_fields_set - STRUCTURAL
        if getattr(patch, f) is not None
    }
    return base.model_copy(update=fields)


def _drop(node_id: str, children: dict) -> None:
    for ids in children.values():
        if node_id in ids:
            ids.remove(node_id)


def _forget(node_id: str, nodes: dict, children: dict) -> None:
    """Drop a node and everything below it."""
    for child in children.pop(node_id, []):
        _forget(child, nodes, children)
    del nodes[node_id]


def _rebuild(node_id: str, nodes: dict, children: dict) -> Node:
    kids = tuple(_rebuild(c, nodes, children) for c in children[node_id])
    return nodes[node_id].model_copy(update={"children": kids})


def _merge_expectations(
    parent: Index, child: Index, update: dict
) -> tuple[Expectation, ...]:
    def key(e: Expectation):
        return (e.node, e.unit, e.year, e.points)

    # A parent's expectation about what the child removes goes, even if the
    # child declares it anew: that is another node or unit.
    nodes = {r.id for r in child.removals if r.what in ("dimension", "indicator")}
    units = {r.id for r in child.removals if r.what in ("unit", "group")}
    merged = {
        key(e): e
        for e in parent.expectations
        if e.node not in nodes and e.unit not in units
    }
    merged.update({key(e): e for e in child.expectations})
    node_ids = {n.id for n in update["root"].walk()} | {"composite"}
    unit_codes = {u.code for u in update["units"]} | {g.code for g in update["groups"]}
    own = {key(e) for e in child.expectations}
    return tuple(
        e
        for k, e in merged.items()
        if k in own
        or (e.node in node_ids and (e.unit in unit_codes or update["units_from"]))
    )


def _check_removals(parent: Index, child: Index, problems: list[Diagnostic]) -> None:
    known = {
        "dimension": [n.id for n in parent.nodes() if n.kind == "dimension"],
        "indicator": [n.id for n in parent.nodes() if n.kind == "indicator"],
        "unit": [u.code for u in parent.units],
        "group": [g.code for g in parent.groups],
        "source": [s.id for s in parent.sources],
        "variable": [v.id for v in parent.variables],
    }
    for removal in child.removals:
        # A unit the parent reads from a file is looked for when it is read.
        read = removal.what == "unit" and parent.units_from is not None
        if removal.id not in known[removal.what] and not read:
            hints = did_you_mean(removal.id, known[removal.what])
            # A unit and a group are removed by different words.
            other = {"unit": "group", "group": "unit"}.get(removal.what)
            if other and removal.id in known[other]:
                hints = (
                    f"`{removal.id}` is a {other}: write `remove {other} {removal.id}`",
                )
            problems.append(
                Diagnostic(
                    "E306",
                    f"the parent has no {removal.what} `{removal.id}` to remove",
                    removal.span,
                    hints,
                )
            )


def span_of(item) -> Span | None:
    """The span of an IR item, if it has one."""
    return getattr(item, "span", None)
