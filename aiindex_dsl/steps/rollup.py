"""Roll up: a group's raw values computed from the raw values of its members.

A ``group`` is a unit made of other units (a region made of provinces). Where
the data has no value of its own for a group, each series is rolled up from
the members' raw values, before anything is derived or normalized, so a group
is scored like any other unit, against the same anchors:

- ``sum``: the members' total; only when every member has a value, since a
  partial sum would understate the group;
- ``mean``: the plain mean of the members that have a value;
- ``weighted_mean by VAR``: the mean of the members that have both a value and
  a weight, weighted by the variable ``VAR`` (GDP, population, ...).

A series may say how it rolls up itself (``rollup`` on an indicator read
from data or on a variable), whatever the groups say: a count is summed and a
rate averaged within the same group. Otherwise the weighting variable is
summed (a region's GDP is the sum of its provinces'), and a score given as
data (``score from``) is never summed: under ``sum`` it is the members' mean,
as a sum of scores is no score. A value the data gives for the group itself
is kept as it is.
Groups whose members are groups are rolled up after those members.

Example: provinces with R&D intensity 4.0 and 2.0 % of GDP and GDP 100 and 300,
``rollup weighted_mean by gdp`` -> intensity 2.5, gdp 400.

A value rolled up from some of the members only covers the group in part:
its coverage is the share of the members with a value (``mean``), or of the
members' weight (``weighted_mean``), each member counted by its own coverage
(a group of groups), and it is reported as the coverage of the group's
indicator, as an imputed value's is.
"""

from __future__ import annotations

import math

import polars as pl

from ..diagnostics import AixError, Diagnostic, did_you_mean
from ..ir import Group, Index
from . import ExactSum

KEYS = ["unit", "year", "series"]


def rollup(raw: pl.LazyFrame, index: Index) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The long raw table (unit, year, series, value) with the groups' rows
    added, and those rows apart (unit, year, series, value, and the share of
    the group they cover, ``covered``)."""
    _validate(index)
    scores = [n.id for n in index.nodes() if n.score_from is not None]
    own = _own_rollups(index)
    raw = raw.with_columns(covered=pl.lit(1.0), rolled=pl.lit(False))
    for level in _levels(index.groups):
        raw = _roll(raw, level, scores, own)
    raw = raw.cache()
    rolled = raw.filter(pl.col("rolled")).select(*KEYS, "value", "covered")
    return raw.drop("covered", "rolled"), rolled


def _own_rollups(index: Index) -> dict[str, tuple[str, str | None]]:
    """The series that say how they roll up: their method and weight."""
    written = [(v.id, v.rollup) for v in index.variables]
    written += [(n.id, n.rollup) for n in index.nodes()]
    return {
        series: (setting.value, setting.argument)
        for series, setting in written
        if setting is not None
    }


def _validate(index: Index) -> None:
    variables = [v.id for v in index.variables]
    problems = []
    for group in index.groups:
        if group.rollup == "weighted_mean" and group.by is None:
            problems.append(
                Diagnostic(
                    "E250",
                    f"group `{group.code}` rolls up by weighted mean without a weight",
                    group.span,
                    ("write `rollup weighted_mean by VARIABLE`",),
                )
            )
        elif group.by is not None and group.by not in variables:
            problems.append(
                Diagnostic(
                    "E251",
                    f"group `{group.code}` is weighted by `{group.by}`, "
                    "which is not a variable",
                    group.span,
                    did_you_mean(group.by, variables)
                    or (f'declare it: `variable {group.by} from SOURCE "column"`',),
                )
            )
    if problems:
        raise AixError(problems)


def _levels(groups: tuple[Group, ...]) -> list[list[Group]]:
    """Groups in the order they can be rolled up: members before their groups."""
    pending = {g.code: g for g in groups}
    levels = []
    while pending:
        ready = [
            g
            for g in pending.values()
            if not any(m in pending and m != g.code for m in g.members)
        ]
        if not ready:
            break
        levels.append(ready)
        for g in ready:
            del pending[g.code]
    return levels


def _roll(
    raw: pl.LazyFrame, groups: list[Group], scores: list[str], own: dict
) -> pl.LazyFrame:
    raw = raw.cache()
    schema = raw.collect_schema()
    membership = _membership(groups).with_columns(
        pl.col("by").cast(schema["series"]),
        pl.col("member", "group").cast(schema["unit"]),
    )
    weights = raw.select(
        "unit",
        "year",
        pl.col("series").alias("by"),
        pl.col("value").alias("member_weight"),
    )
    series = pl.col("series")
    method = (
        pl.when(series == pl.col("by"))
        .then(pl.lit("sum"))
        .when(series.is_in(scores) & (pl.col("method") == "sum"))
        .then(pl.lit("mean"))
        .otherwise(pl.col("method"))
    )
    by = pl.col("by")
    if own:
        # A series' own rollup, where it has one, instead of the group's.
        written = series.cast(pl.String)
        own_method = written.replace_strict(
            {s: m for s, (m, _) in own.items()}, default=None, return_dtype=pl.String
        )
        own_by = written.replace_strict(
            {s: b for s, (_, b) in own.items()}, default=None, return_dtype=pl.String
        ).cast(schema["series"])
        method = pl.when(own_method.is_not_null()).then(own_method).otherwise(method)
        by = pl.when(own_method.is_not_null()).then(own_by).otherwise(by)
    rows = (
        raw.join(membership, left_on="unit", right_on="member", how="inner")
        .with_columns(method.alias("method"), by.alias("by"))
        .join(weights, on=["unit", "year", "by"], how="left", nulls_equal=True)
    )
    members = max(len(g.members) for g in groups)
    _refuse_weights(rows, groups)
    totals = _member_weights(weights, membership, members)

    rolled = _rolled(rows, members).join(
        totals, on=["group", "year", "by"], how="left", nulls_equal=True
    )
    rolled = rolled.select(
        pl.col("group").alias("unit"),
        "year",
        "series",
        _value().alias("value"),
        _coverage().alias("covered"),
        pl.lit(True).alias("rolled"),
    ).filter(pl.col("value").is_not_null())
    # A group's own value in the data is kept; an empty cell of its own is
    # not a value, and gives way to the members' roll-up.
    given = raw.filter(pl.col("value").is_not_null())
    fresh = rolled.join(given, on=KEYS, how="anti", nulls_equal=True)
    kept = raw.join(fresh, on=KEYS, how="anti", nulls_equal=True)
    return pl.concat([kept, fresh.select(raw.collect_schema().names())])


def _membership(groups: list[Group]) -> pl.LazyFrame:
    rows = [
        (member, g.code, g.rollup, g.by, len(g.members))
        for g in groups
        for member in g.members
    ]
    return pl.LazyFrame(
        rows,
        schema={
            "member": pl.String,
            "group": pl.String,
            "method": pl.String,
            "by": pl.String,
            "members": pl.Int64,
        },
        orient="row",
    )


def _rolled(rows: pl.LazyFrame, members: int) -> pl.LazyFrame:
    """The sums each group's value of each series and year is made of, from
    its members' rows (``members``: the most members a group has), with the
    group's method and weighting variable. The sums are exact (see
    :class:`~aiindex_dsl.steps.ExactSum`), so a group's value does not
    depend on the order its members' rows come in."""
    value = pl.col("value")
    present = value.is_not_null()
    weight = pl.col("member_weight")
    weighted = present & weight.is_not_null()
    summed = {
        "total": pl.when(present).then(value).otherwise(0.0),
        "weighted_sum": pl.when(weighted).then(value * weight),
        "weight": pl.when(weighted).then(weight),
        "covered_count": pl.when(present).then(pl.col("covered")),
        "covered_weight": pl.when(weighted).then(pl.col("covered") * weight),
    }
    exact = ExactSum.of(math.inf, members)
    terms = rows.select(
        "group",
        "year",
        "series",
        "method",
        "by",
        "members",
        present.alias("present"),
        *(
            part
            for name, term in summed.items()
            for part in exact.parts(name, term.fill_null(0.0))
        ),
    )
    first = ["method", "by", "members"]
    sums = terms.group_by(["group", "year", "series"]).agg(
        pl.col(first).first(),
        pl.col("present").sum(),
        pl.exclude("group", "year", "series", *first, "present").sum(),
    )
    return sums.with_columns(exact.total(name) for name in summed)


def _refuse_weights(rows: pl.LazyFrame, groups: list[Group]) -> None:
    """Raise if a member's weight in a weighted mean is zero or below: the
    mean would lie outside the members' values, or have no weight at all."""
    weight = pl.col("member_weight")
    bad = (
        rows.filter((pl.col("method") == "weighted_mean") & (weight <= 0))
        .select(pl.col("unit", "by", "group").cast(pl.String), "year", weight)
        .unique(maintain_order=True)
        .head(LISTED + 1)
        .collect()
    )
    if bad.height == 0:
        return
    shown = [
        f"{unit}{'' if year is None else f' in {year}'}: `{by}` = {w:g}"
        for unit, by, _, year, w in bad.head(LISTED).iter_rows()
    ]
    more = ", ..." if bad.height > LISTED else ""
    first = bad["group"][0]
    span = next((g.span for g in groups if g.code == first), None)
    raise AixError(
        [
            Diagnostic(
                "E419",
                "a weighted mean of a group's members needs weights above 0: "
                + ", ".join(shown)
                + more,
                span,
                (
                    "correct the weights in the data, or roll these values up "
                    "by `mean` or `sum`",
                ),
            )
        ]
    )


# The most weights an error lists.
LISTED = 5


def _member_weights(
    weights: pl.LazyFrame, membership: pl.LazyFrame, members: int
) -> pl.LazyFrame:
    """The weight of all the members of each group (``all_weight``), by year
    and weighting variable (``by``), whether or not they have a value, and
    how many members have one (``weighted``)."""
    exact = ExactSum.of(math.inf, members)
    rows = weights.filter(pl.col("member_weight").is_not_null()).join(
        membership.select("member", "group").unique(),
        left_on="unit",
        right_on="member",
        how="inner",
    )
    terms = rows.select(
        "group", "year", "by", *exact.parts("all_weight", pl.col("member_weight"))
    )
    sums = terms.group_by(["group", "year", "by"]).agg(
        pl.exclude("group", "year", "by").sum(), pl.len().alias("weighted")
    )
    return sums.select("group", "year", "by", "weighted", exact.total("all_weight"))


def _coverage() -> pl.Expr:
    """The share of a group a value rolled up covers: that of its members
    with a value (``sum``, ``mean``) or of their weight (``weighted_mean``,
    times the share of the members whose weight is known), each member
    counted by its own coverage."""
    members = pl.col("members").cast(pl.Float64)
    weighted = pl.col("covered_weight") / pl.col("all_weight")
    return (
        pl.when(pl.col("method") == "weighted_mean")
        .then(weighted * pl.col("weighted") / members)
        .otherwise(pl.col("covered_count") / members)
        .clip(upper_bound=1.0)
    )


def _value() -> pl.Expr:
    """A group's value from the sums of its members' rows, by its method:
    ``sum`` only when every member has a value, ``mean`` of those that have
    one, ``weighted_mean`` of those that have a value and a weight."""
    present, total = pl.col("present"), pl.col("total")
    weight = pl.col("weight")
    method = pl.col("method")
    return (
        pl.when(method == "sum")
        .then(pl.when(present == pl.col("members")).then(total))
        .when(method == "mean")
        .then(pl.when(present > 0).then(total / present))
        .otherwise(pl.when(weight > 0).then(pl.col("weighted_sum") / weight))
    )
