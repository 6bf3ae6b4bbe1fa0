"""Parse and check time of a large definition: 10,000 indicators by default.

A definition is generated in memory: one source, 100 dimensions of 100
indicators each (every indicator with a description, a `from`, anchors and a
weight, every tenth one derived from two others), and an expectation per
dimension. The stages are timed separately, each the median of several runs:

- parse: text to IR (``syntax.parse``: the parser calls the builder at each
  rule, so parsing and building are one pass; limits included);
- check: every check of ``checks.CHECKS``;
- load: ``compose.load_file`` on the file written out (read, parse, as
  ``aix check`` does before checking);
- fmt: ``fmt.format_text`` (parse with comments, print), for reference.

Until the parse and the build became one pass, ``build`` was a stage of its
own (tree to IR); the figures in ``benchmarks/README.md`` from before say so.
The parse runs with the garbage collector paused, as the library runs it
(see ``build.collector_paused``).

    python benchmarks/bench_parse.py                  # 10,000 indicators, 5 runs
    python benchmarks/bench_parse.py --indicators 2000 --runs 9
    python benchmarks/bench_parse.py --profile        # cProfile of one parse+check
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from aiindex_dsl.build import collector_paused
from aiindex_dsl.checks import check
from aiindex_dsl.compose import load_file
from aiindex_dsl.fmt import format_text
from aiindex_dsl.syntax import parse

PATH = "bench.aix"
CLOCK = time.process_time


def definition(indicators: int, per_dimension: int = 100) -> str:
    """The text of an index with ``indicators`` indicators."""
    dimensions = max(1, indicators // per_dimension)
    lines = [
        'index bench "Benchmark index" {',
        '  version "1"',
        "  years 2020 to 2024",
        '  units { A "Unit A"  B "Unit B"  C "Unit C" }',
        '  source s "Source" { file "s.parquet"  layout long  year column "year" }',
        "  weights relative",
    ]
    count = 0
    for d in range(dimensions):
        lines.append(f'  dimension d{d} "Dimension {d}" weight {d % 7 + 1} {{')
        for _ in range(per_dimension if d < dimensions - 1 else indicators - count):
            lines += _indicator(count)
            count += 1
        lines.append("  }")
    lines += [f"  expect d{d} A 50.0 within 50" for d in range(dimensions)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _indicator(n: int) -> list[str]:
    head = f'    indicator i{n} "Indicator {n}" weight {n % 5 + 1} {{'
    if n % 10 == 9:
        data = f"      derive i{n - 1} / (i{n - 2} + 1) * 1_000"
    else:
        data = f'      from s "code_{n}"'
    return [
        head,
        f'      description "What indicator {n} measures, in a sentence."',
        data,
        f"      anchors worst 0 best {n % 90 + 10}",
        "    }",
    ]


def timed(function, *args) -> tuple[float, object]:
    """Seconds one call takes, and what it returns.

    The clock is the process's CPU time, so that other programs competing for
    the machine's cores do not inflate it; ``--wall`` uses wall time instead.
    """
    start = CLOCK()
    result = function(*args)
    return CLOCK() - start, result


def measure(text: str, runs: int) -> dict[str, float]:
    """Median seconds of each stage over ``runs`` runs."""
    parse(text, PATH)  # builds the cached parser outside the timing
    stages: dict[str, list[float]] = {
        "parse": [],
        "check": [],
        "load": [],
        "fmt": [],
    }
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / PATH)
        Path(path).write_text(text, encoding="utf-8")
        for _ in range(runs):
            with collector_paused():
                seconds, index = timed(parse, text, PATH)
                stages["parse"].append(seconds)
            stages["check"].append(timed(check, index)[0])
            stages["load"].append(timed(load_file, path)[0])
            stages["fmt"].append(timed(format_text, text, PATH)[0])
    return {stage: statistics.median(times) for stage, times in stages.items()}


def main() -> None:
    """Generate the definition, time it, print the medians."""
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--indicators", type=int, default=10_000)
    arguments.add_argument("--runs", type=int, default=5)
    arguments.add_argument("--profile", action="store_true")
    arguments.add_argument("--wall", action="store_true", help="time by the wall")
    options = arguments.parse_args()
    global CLOCK
    if options.wall:
        CLOCK = time.perf_counter

    text = definition(options.indicators)
    lines = text.count("\n")
    print(f"{options.indicators:,} indicators, {lines:,} lines, {len(text):,} bytes")
    if options.profile:
        parse(text, PATH)
        profiler = cProfile.Profile()
        profiler.runcall(lambda: check(parse(text, PATH)))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        return

    medians = measure(text, options.runs)
    clock = "wall" if options.wall else "CPU"
    for stage, seconds in medians.items():
        print(
            f"{stage:>6}: {seconds * 1000:8.1f} ms ({clock}, median of {options.runs})"
        )
    total = medians["parse"] + medians["check"]
    print(f"parse + check: {total * 1000:.1f} ms (goal: under 1,000 ms)")
    total = medians["load"] + medians["check"]
    print(f"load + check (aix check --no-data): {total * 1000:.1f} ms")


if __name__ == "__main__":
    main()
