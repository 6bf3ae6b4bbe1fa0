"""Time COINr's ASEM example build (pipeline A) in aix, in-process.

COINr 1.1.14 builds this coin (denominate, impute by group mean, treat
outliers, min-max, arithmetic means) in about 0.18 s; the goal is ten times
faster, under 18 ms. Timed, each as the median of ``--runs`` runs after one
warm-up:

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
from aiindex_dsl.results import Results

HERE = Path(__file__).resolve().parent
ASEM = HERE.parent / "examples" / "coinr_asem" / "asem.aix"
COINR_SECONDS = 0.18


def median_ms(action, runs: int) -> float:
    """The median wall time of ``action`` over ``runs`` runs, in milliseconds."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    """Time each stage and print a table with the ratio to COINr."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs

    definition = aiindex_dsl.load(ASEM)
    top = definition.run().composite().sort("rank")["unit"][0]
    timings = {
        "parse": median_ms(lambda: aiindex_dsl.load(ASEM), runs),
        "run": median_ms(definition.run, runs),
        "plan + collect": median_ms(lambda: definition.plan().collect(), runs),
        "plan + collect (in-memory)": median_ms(
            lambda: definition.plan().collect(engine="in-memory"), runs
        ),
    }
    Results(definition.ir, definition.plan().collect())

    print(f"ASEM pipeline A: 51 units x 49 indicators; top unit {top}")
    print(f"polars {pl.__version__}, {os.cpu_count()} cores, median of {runs} runs")
    print(f"{'stage':30s} {'ms':>8s} {'vs COINr 180 ms':>16s}")
    for stage, ms in timings.items():
        print(f"{stage:30s} {ms:8.1f} {COINR_SECONDS * 1000 / ms:15.1f}x")


if __name__ == "__main__":
    main()
