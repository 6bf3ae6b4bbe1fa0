"""Time COINr's ASEM example build (pipeline A) in aix, in-process.

COINr 1.1.14 builds this coin (denominate, impute by group mean, treat
outliers, min-max, arithmetic means) in about 0.18 s; the goal is ten times
faster, under 18 ms. Timed over ``--runs`` runs after one warm-up (median and
fastest):

- ``parse``: read, parse, compose and check ``asem.aix``;
- ``run``: what ``Definition.run()`` does: validate the data, build the plan,
  collect it (Polars' default engine);
- ``plan + collect``: the same without the data validation;
- ``plan + collect (in-memory)``: the same with Polars' in-memory engine.

    python benchmarks/bench_asem.py            # 30 runs
    python benchmarks/bench_asem.py --runs 100
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import polars as pl

import aiindex_dsl

HERE = Path(__file__).resolve().parent
ASEM = HERE.parent / "examples" / "coinr_asem" / "asem.aix"
COINR_SECONDS = 0.18


def timed_ms(action, runs: int) -> tuple[float, float]:
    """The median and the fastest wall time of ``action`` over ``runs`` runs,
    in milliseconds (the fastest shows what a machine free of other load
    gives)."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def main() -> None:
    """Time each stage and print a table with the ratio to COINr."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs

    definition = aiindex_dsl.load(ASEM)
    top = definition.run().composite().sort("rank")["unit"][0]
    timings = {
        "parse": timed_ms(lambda: aiindex_dsl.load(ASEM), runs),
        "run": timed_ms(definition.run, runs),
        "plan + collect": timed_ms(lambda: definition.plan().collect(), runs),
        "plan + collect (in-memory)": timed_ms(
            lambda: definition.plan().collect(engine="in-memory"), runs
        ),
    }

    print(f"ASEM pipeline A: 51 units x 49 indicators; top unit {top}")
    load = os.getloadavg()[0]
    print(f"polars {pl.__version__}, {os.cpu_count()} cores, load average {load:.1f}")
    print(
        f"{'stage':30s} {'median ms':>10s} {'fastest ms':>11s} {'COINr / median':>15s}"
    )
    for stage, (median, fastest) in timings.items():
        ratio = COINR_SECONDS * 1000 / median
        print(f"{stage:30s} {median:10.1f} {fastest:11.1f} {ratio:14.1f}x")


if __name__ == "__main__":
    main()
