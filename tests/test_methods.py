"""Properties of each method, checked on generated data through the whole plan."""

from __future__ import annotations

import itertools
import math

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aiindex_dsl.diagnostics import AixError

NORMALIZATIONS = ("minmax", "minmax_pooled", "zscore", "rank", "percentile")

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
VALUES = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(
    lambda v: round(v, 3)
)


def csv(columns: dict[str, list[float | None]]) -> str:
    """A wide CSV, one row per unit U0, U1, ... and a column per indicator."""
    count = len(next(iter(columns.values())))
    lines = ["unit," + ",".join(columns)]
    for row in range(count):
        cells = ["" if c[row] is None else repr(c[row]) for c in columns.values()]
        lines.append(f"U{row}," + ",".join(cells))
    return "\n".join(lines) + "\n"


def definition(indicators: str, units: int, header: str = "") -> str:
    """An index over units U0 ... of one file, with the indicators given."""
    listed = " ".join(f"U{i}" for i in range(units))
    return f"""
index t "Test" {{
  years 2020
  units {{ {listed} }}
  {header}
  source d {{ file "data.csv" }}
  {indicators}
}}
"""


def scores(results, node: str) -> list[float | None]:
    """The scores of one node, in the order of the units."""
    rows = results.long.filter(pl.col("node") == node)
    order = rows["unit"].str.slice(1).cast(pl.Int64).arg_sort()
    return rows["score"].gather(order).to_list()


# ---- normalization ----------------------------------------------------------


@SETTINGS
@given(
    values=st.lists(VALUES, min_size=2, max_size=8),
    worst=VALUES,
    best=VALUES,
)
def test_clipped_anchored_scores_stay_on_the_scale(scratch, values, worst, best):
    assume(abs(worst - best) > 1e-3)
    text = definition(
        f'indicator x {{ from d "x"  anchors worst {worst!r} best {best!r} }}',
        len(values),
    )
    got = scores(scratch.run(text, {"data.csv": csv({"x": values})}), "x")
    assert all(0 <= s <= 100 for s in got)
    for value, score in zip(values, got, strict=True):
        expected = 100 * (value - worst) / (best - worst)
        assert score == pytest.approx(min(max(expected, 0), 100), abs=1e-9)


METHODS = ["minmax", "zscore", "rank", "percentile", "anchors"]


@SETTINGS
@given(
    values=st.lists(VALUES, min_size=3, max_size=8, unique=True),
    method=st.sampled_from(METHODS),
    negative=st.booleans(),
)
def test_scores_are_monotone_in_the_declared_direction(
    scratch, values, method, negative
):
    assume(max(values) - min(values) > 1e-3)
    setting = (
        "anchors worst -1000000 best 1000000"
        if method == "anchors"
        else f"normalize {method}"
    )
    if method == "anchors" and negative:
        setting = "anchors worst 1000000 best -1000000"
    direction = "direction negative" if negative and method != "anchors" else ""
    text = definition(
        f'indicator x {{ from d "x"  {setting}  {direction} }}', len(values)
    )
    got = scores(scratch.run(text, {"data.csv": csv({"x": values})}), "x")
    pairs = sorted(zip(values, got, strict=True))
    ordered = [s for _, s in pairs]
    if negative:
        ordered.reverse()
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(ordered))


def test_minmax_pooled_uses_every_year(scratch):
    text = """
index t "Test" {
  years 2020 2021
  units { A B }
  normalize minmax_pooled
  source d { file "data.csv"  layout long  year column "year" }
  indicator x { from d "x" }
}
"""
    data = (
        "unit,year,indicator,value\nA,2020,x,0\nB,2020,x,5\nA,2021,x,10\nB,2021,x,5\n"
    )
    results = scratch.run(text, {"data.csv": data})
    rows = results.long.filter(pl.col("node") == "x").sort("year", "unit")
    assert rows["score"].to_list() == [0, 50, 100, 50]


def test_distance_to_target_is_capped(scratch):
    text = definition('indicator x { from d "x"  normalize target 50 }', 3)
    got = scores(scratch.run(text, {"data.csv": csv({"x": [25.0, 50.0, 80.0]})}), "x")
    assert got == [50, 100, 100]


def test_distance_to_target_of_a_missing_value_is_missing(scratch):
    text = definition('indicator x { from d "x"  normalize target 50 }', 3)
    got = scores(scratch.run(text, {"data.csv": csv({"x": [25.0, None, 80.0]})}), "x")
    assert got == [50, None, 100]


def test_rank_and_percentile_share_ties(scratch):
    data = {"data.csv": csv({"x": [3.0, 1.0, 3.0, 2.0]})}
    ranks = scores(
        scratch.run(definition('indicator x { from d "x"  normalize rank }', 4), data),
        "x",
    )
    assert ranks == [3, 1, 3, 2]
    shares = scores(
        scratch.run(
            definition('indicator x { from d "x"  normalize percentile }', 4), data
        ),
        "x",
    )
    assert shares == pytest.approx([200 / 3, 0, 200 / 3, 100 / 3])


# ---- aggregation ------------------------------------------------------------


CHILDREN = st.lists(
    st.lists(st.floats(min_value=0, max_value=100), min_size=2, max_size=5),
    min_size=2,
    max_size=4,
)


def tree_of(count: int, method: str, weights: list[float] | None = None) -> str:
    weights = weights or [1.0] * count
    lines = [f"dimension top {{ aggregate {method}  weights relative"]
    lines += [
        f'  indicator x{i} weight {w!r} {{ from d "x{i}"  normalize none }}'
        for i, w in enumerate(weights)
    ]
    return "\n".join(lines + ["}"])


@SETTINGS
@given(rows=CHILDREN)
def test_arithmetic_mean_lies_between_its_children(scratch, rows):
    count = len(rows[0])
    rows = [row[:count] + [50.0] * (count - len(row)) for row in rows]
    columns = {f"x{i}": [row[i] for row in rows] for i in range(count)}
    results = scratch.run(
        definition(tree_of(count, "arithmetic"), len(rows)),
        {"data.csv": csv(columns)},
    )
    for unit, score in enumerate(scores(results, "top")):
        children = rows[unit]
        assert min(children) - 1e-9 <= score <= max(children) + 1e-9


@SETTINGS
@given(
    values=st.lists(st.floats(min_value=0.5, max_value=100), min_size=2, max_size=5),
    weights=st.lists(st.floats(min_value=0.1, max_value=10), min_size=5, max_size=5),
    factor=st.floats(min_value=0.01, max_value=100),
    method=st.sampled_from(["arithmetic", "geometric", "harmonic"]),
)
def test_scaling_sibling_weights_changes_nothing(
    scratch, values, weights, factor, method
):
    weights = weights[: len(values)]
    columns = {f"x{i}": [v] for i, v in enumerate(values)}
    data = {"data.csv": csv(columns)}
    base = scratch.run(definition(tree_of(len(values), method, weights), 1), data)
    scaled_weights = [w * factor for w in weights]
    scaled = scratch.run(
        definition(tree_of(len(values), method, scaled_weights), 1), data
    )
    assert scores(scaled, "top")[0] == pytest.approx(scores(base, "top")[0], rel=1e-9)


@SETTINGS
@given(values=st.lists(st.floats(min_value=0.5, max_value=100), min_size=2, max_size=5))
def test_means_are_ordered_harmonic_geometric_arithmetic(scratch, values):
    columns = {f"x{i}": [v] for i, v in enumerate(values)}
    data = {"data.csv": csv(columns)}
    means = {
        method: scores(
            scratch.run(definition(tree_of(len(values), method), 1), data), "top"
        )[0]
        for method in ("arithmetic", "geometric", "harmonic")
    }
    assert means["arithmetic"] == pytest.approx(sum(values) / len(values))
    assert means["geometric"] == pytest.approx(
        math.exp(sum(math.log(v) for v in values) / len(values))
    )
    assert means["harmonic"] <= means["geometric"] + 1e-9
    assert means["geometric"] <= means["arithmetic"] + 1e-9


@SETTINGS
@given(
    values=st.lists(
        st.tuples(VALUES, st.none() | VALUES),
        min_size=3,
        max_size=7,
        unique_by=lambda t: t[0],
    ),
    seed=st.randoms(use_true_random=False),
)
def test_permuting_units_permutes_the_results(scratch, values, seed):
    text = definition(
        """
  normalize minmax
  indicator a { from d "a" }
  indicator b { from d "b"  direction negative }
""",
        len(values),
    )
    base = scratch.run(
        text,
        {"data.csv": csv({"a": [v[0] for v in values], "b": [v[1] for v in values]})},
    )
    order = list(range(len(values)))
    seed.shuffle(order)
    shuffled = [values[i] for i in order]
    moved = scratch.run(
        text,
        {
            "data.csv": csv(
                {"a": [v[0] for v in shuffled], "b": [v[1] for v in shuffled]}
            )
        },
    )
    for node in ("a", "b", "t"):
        before = scores(base, node)
        after = scores(moved, node)
        assert after == pytest.approx([before[i] for i in order], nan_ok=True)


def test_missing_children_are_left_out_and_weights_renormalized(scratch):
    text = definition(tree_of(3, "arithmetic", [1.0, 2.0, 1.0]), 2)
    data = csv({"x0": [10.0, 10.0], "x1": [40.0, None], "x2": [70.0, 70.0]})
    results = scratch.run(text, {"data.csv": data})
    assert scores(results, "top") == pytest.approx([40, 40])
    second = results.long.filter((pl.col("unit") == "U1") & (pl.col("node") == "top"))
    assert second["coverage"][0] == pytest.approx(0.5)


def test_below_minimum_coverage_a_unit_is_unscored_and_unranked(scratch):
    text = definition(tree_of(2, "arithmetic"), 2, header="coverage 75%")
    data = csv({"x0": [10.0, 10.0], "x1": [40.0, None]})
    results = scratch.run(text, {"data.csv": data})
    top = results.long.filter(pl.col("node") == "top").sort("unit")
    assert top["score"].to_list()[0] == pytest.approx(25)
    assert top["score"].to_list()[1] is None
    assert top["rank"].to_list() == [1, None]


def test_a_child_left_unscored_backs_nothing_above_it(scratch):
    # d1 needs all its data; U1 lacks half, so d1 has no score for U1 and the
    # composite stands on d2 alone: U1's composite is covered only by d2.
    text = """
index t "Test" {
  years 2020
  units { U0 U1 }
  source d { file "data.csv" }
  normalize none
  dimension d1 { coverage 100%
    indicator a { from d "a" }
    indicator b { from d "b" }
  }
  dimension d2 { indicator c { from d "c" } }
}
"""
    data = csv({"a": [1.0, 1.0], "b": [1.0, None], "c": [1.0, None]})
    results = scratch.run(text, {"data.csv": data})
    rows = results.long.filter(pl.col("unit") == "U1")
    coverage = dict(zip(rows["node"], rows["coverage"], strict=True))
    score = dict(zip(rows["node"], rows["score"], strict=True))
    assert (score["d1"], coverage["d1"]) == (None, 0.5)
    assert (score["t"], coverage["t"]) == (None, 0.0)
    data = csv({"a": [1.0, 1.0], "b": [1.0, None], "c": [1.0, 2.0]})
    rows = scratch.run(text, {"data.csv": data}).long.filter(pl.col("unit") == "U1")
    coverage = dict(zip(rows["node"], rows["coverage"], strict=True))
    assert coverage["t"] == 0.5  # d2's half; d1's data backs nothing


def test_points_are_effective_share_times_score(scratch):
    text = definition(tree_of(2, "arithmetic", [3.0, 1.0]), 1)
    results = scratch.run(text, {"data.csv": csv({"x0": [80.0], "x1": [40.0]})})
    long = results.long
    x0 = long.filter(pl.col("node") == "x0")
    assert x0["points"][0] == pytest.approx(0.75 * 80)
    assert long.filter(pl.col("node") == "t")["score"][0] == pytest.approx(70)


# ---- imputation -------------------------------------------------------------


def test_mean_median_and_group_mean_imputation(scratch):
    data = csv({"x": [1.0, 2.0, 9.0, None, 30.0, None]})
    data = data.replace("unit,x", "unit,x,region")
    regions = ["a", "a", "a", "a", "b", "b"]
    lines = data.strip().split("\n")
    data = "\n".join(
        [lines[0]] + [f"{line},{r}" for line, r in zip(lines[1:], regions, strict=True)]
    )
    values = {}
    for method in ("mean", "median", 'mean by "region"'):
        text = definition(
            f'indicator x {{ from d "x"  normalize none  impute {method} }}', 6
        )
        results = scratch.run(text, {"data.csv": data + "\n"})
        values[method] = scores(results, "x")
    assert values["mean"][3] == pytest.approx(10.5)
    assert values["median"][3] == pytest.approx(5.5)
    assert values['mean by "region"'][3] == pytest.approx(4)
    assert values['mean by "region"'][5] == pytest.approx(30)


def test_locf_and_interpolation_over_years(scratch):
    data = "unit,year,x\nA,2020,1\nA,2021,\nA,2022,5\nA,2023,\n"
    rows = {}
    for method in ("locf", "interpolate"):
        text = f"""
index t "Test" {{
  years 2020 to 2023
  units {{ A }}
  source d {{ file "data.csv"  year column "year" }}
  indicator x {{ from d "x"  normalize none  impute {method} }}
}}
"""
        results = scratch.run(text, {"data.csv": data})
        x = results.long.filter(pl.col("node") == "x").sort("year")
        rows[method] = x["score"].to_list()
        assert x["imputed"].to_list() == [False, True, False, True]
    assert rows["locf"] == [1, 1, 5, 5]
    assert rows["interpolate"] == [1, 3, 5, 5]


# ---- outlier treatment ------------------------------------------------------


def test_winsorize_replaces_the_extreme_value_by_the_next(scratch):
    values = [float(v) for v in range(1, 10)] + [100.0]
    text = definition('indicator x { from d "x"  normalize none  treat winsorize }', 10)
    results = scratch.run(text, {"data.csv": csv({"x": values})})
    x = results.long.filter(pl.col("node") == "x")
    assert sorted(x["treated_value"].to_list())[-2:] == [9, 9]
    assert x["treated"].sum() == 1


def test_winsorizing_values_into_one_leaves_them_one(scratch):
    # Six ones and a two fail the test (skewness 2.6, kurtosis 7); the two
    # becomes a one, and values that no longer differ fail nothing.
    for treatment in ("winsorize", "coinr"):
        text = definition(
            f'indicator x {{ from d "x"  normalize none  treat {treatment} }}', 7
        )
        results = scratch.run(text, {"data.csv": csv({"x": [1.0] * 6 + [2.0]})})
        x = results.long.filter(pl.col("node") == "x")
        assert x["treated_value"].to_list() == [1.0] * 7
        assert x["treated"].to_list() == [False] * 6 + [True]


def test_coinr_rule_falls_back_to_a_log_when_winsorizing_is_not_enough(scratch):
    # After five winsorizations, 60 ones and seven values 1e2 ... 1e8 are 60
    # ones, 100 and six times 1,000: still skewed (2.9) and peaked (6.7).
    values = [1.0] * 60 + [10.0**k for k in range(2, 9)]
    text = definition('indicator x { from d "x"  normalize none  treat coinr }', 67)
    results = scratch.run(text, {"data.csv": csv({"x": values})})
    x = scores(results, "x")
    low, high = min(values), max(values)
    expected = [math.log(v - low + 0.01 * (high - low)) for v in values]
    assert x == pytest.approx(expected)
    flags = results.long.filter(pl.col("node") == "x")["treated"]
    assert flags.all()


def test_values_that_pass_the_test_are_left_alone(scratch):
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    text = definition('indicator x { from d "x"  normalize none  treat coinr }', 6)
    results = scratch.run(text, {"data.csv": csv({"x": values})})
    assert scores(results, "x") == values
    assert not results.long["treated"].any()


# ---- derivation -------------------------------------------------------------


def test_derived_from_derived_in_dependency_order(scratch):
    text = definition(
        """
  variable pop from d "pop"
  variable gdp from d "gdp"
  indicator per_capita { derive gdp_pc * 1000  normalize none }
  indicator gdp_pc { derive gdp / pop  normalize none }
""",
        2,
    )
    data = csv({"pop": [10.0, 20.0], "gdp": [50.0, 50.0]})
    results = scratch.run(text, {"data.csv": data})
    assert scores(results, "gdp_pc") == pytest.approx([5, 2.5])
    assert scores(results, "per_capita") == pytest.approx([5000, 2500])


def test_zscore_values(scratch):
    text = definition('indicator x { from d "x"  normalize zscore }', 3)
    got = scores(scratch.run(text, {"data.csv": csv({"x": [1.0, 2.0, 6.0]})}), "x")
    sd = math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + (6 - 3) ** 2) / 2)  # sample
    assert got == pytest.approx([(1 - 3) / sd, (2 - 3) / sd, (6 - 3) / sd])


def test_a_constant_indicator_has_no_minmax_score_and_is_left_out(scratch):
    text = definition(
        'dimension top { indicator a { from d "a" } indicator b { from d "b" } }', 2
    )
    results = scratch.run(text, {"data.csv": csv({"a": [5.0, 5.0], "b": [1.0, 3.0]})})
    assert scores(results, "a") == [None, None]
    assert scores(results, "top") == [0, 100]
    # Its values are read but back no score: they do not count as covered.
    top = results.long.filter(pl.col("node") == "top")
    assert top["coverage"].to_list() == [0.5, 0.5]


def test_imputing_by_a_column_no_file_has_is_reported(scratch):
    from aiindex_dsl.diagnostics import AixError

    text = definition('indicator x { from d "x"  impute mean by "regoin" }', 2)
    data = "unit,x,region\nU0,1,a\nU1,,a\n"
    with pytest.raises(AixError) as raised:
        scratch.run(text, {"data.csv": data})
    problem = raised.value.diagnostics[0]
    assert problem.code == "E415"
    assert "regoin" in problem.message
    assert any("region" in hint for hint in problem.hints)
    assert problem.span is not None


def test_children_with_the_same_scores_in_another_order_tie_exactly(scratch):
    """Added as floats in the order of the children, 0.1 + 1e13 - 1e13 gives
    0.0996 and -1e13 + 1e13 + 0.1 gives 0.1; the sums are exact, so both
    units have the mean 0.1 / 3 and share the first rank."""
    columns = {"x0": [0.1, -1e13], "x1": [1e13, 1e13], "x2": [-1e13, 0.1]}
    results = scratch.run(
        definition(tree_of(3, "arithmetic"), 2), {"data.csv": csv(columns)}
    )
    top = results.long.filter(pl.col("node") == "top").sort("unit")
    assert top["score"][0] == top["score"][1]
    assert top["score"][0] == pytest.approx(0.1 / 3, rel=1e-12)
    assert top["rank"].to_list() == [1, 1]


@SETTINGS
@given(
    values=st.lists(
        st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=4, max_size=4),
        min_size=3,
        max_size=6,
    ),
    shift=st.integers(min_value=1, max_value=5),
)
def test_the_order_of_the_data_rows_changes_no_score_to_the_last_digit(
    scratch, values, shift
):
    """The same data in another row order gives the same scores, bit for bit."""
    columns = {f"x{i}": [row[i] for row in values] for i in range(4)}
    text = definition(tree_of(4, "arithmetic"), len(values))
    lines = csv(columns).splitlines()
    shift %= len(values)
    moved = [lines[0], *lines[1 + shift :], *lines[1 : 1 + shift]]
    first = scratch.run(text, {"data.csv": csv(columns)})
    second = scratch.run(text, {"data.csv": "\n".join(moved) + "\n"})
    assert scores(first, "top") == scores(second, "top")


def test_scores_too_large_for_an_exact_sum_are_still_added(scratch):
    """Terms of 2**46 or more are added as floats, apart from the others."""
    columns = {"x0": [1e20, 2.0], "x1": [3e20, 4.0], "x2": [2.0, 6.0]}
    results = scratch.run(
        definition(tree_of(3, "arithmetic"), 2), {"data.csv": csv(columns)}
    )
    assert scores(results, "top") == pytest.approx([(4e20 + 2.0) / 3, 4.0])


def test_a_geometric_mean_with_a_child_scored_0_is_0(scratch):
    columns = {"x0": [0.0, 4.0], "x1": [9.0, 9.0]}
    results = scratch.run(
        definition(tree_of(2, "geometric"), 2), {"data.csv": csv(columns)}
    )
    assert scores(results, "top") == pytest.approx([0.0, 6.0])


def test_scores_on_a_wide_scale_tie_exactly_too(scratch):
    """On a scale of 0 to 1e9 the sums are held in 128-bit integers."""
    columns = {"x0": [0.1, 0.3], "x1": [0.5, 0.5], "x2": [0.3, 0.1]}
    anchored = "anchors worst 0 best 1"
    indicators = tree_of(3, "arithmetic").replace("normalize none", anchored)
    text = definition(indicators, 2, "scale 0 to 1e9")
    results = scratch.run(text, {"data.csv": csv(columns)})
    top = results.long.filter(pl.col("node") == "top").sort("unit")
    assert top["score"][0] == top["score"][1]
    assert top["score"][0] == pytest.approx(0.9e9 / 3, rel=1e-12)


def test_z_scores_do_not_depend_on_the_order_of_the_units(scratch):
    """The same values met in another order of units give the same z-scores:
    the mean and standard deviation add them exactly."""
    columns = {"x": [0.1, 1e13, -1e13], "y": [-1e13, 1e13, 0.1]}
    text = definition(
        'indicator x { from d "x"  normalize zscore }\n'
        'indicator y { from d "y"  normalize zscore }',
        3,
    )
    results = scratch.run(text, {"data.csv": csv(columns)})
    x, y = scores(results, "x"), scores(results, "y")
    assert x == [y[2], y[1], y[0]]
    assert x[0] == pytest.approx((0.1 - 0.1 / 3) / 1e13, rel=1e-6)


def test_a_harmonic_mean_of_a_score_below_0_is_refused(scratch):
    """As a geometric one: a z-score below 0 has no harmonic mean (E520)."""
    columns = {"x0": [1.0, 2.0, 3.0], "x1": [5.0, 6.0, 7.0]}
    text = definition(
        "dimension top { aggregate harmonic\n"
        '  indicator x0 { from d "x0"  normalize zscore }\n'
        '  indicator x1 { from d "x1"  anchors worst 0 best 10 }\n}',
        3,
    )
    with pytest.raises(AixError) as raised:
        scratch.run(text, {"data.csv": csv(columns)})
    (problem,) = raised.value.diagnostics
    assert problem.code == "E520"
    assert "U0" in problem.message
    assert "harmonic" in problem.message
