"""End-to-end benchmark of ``aix run`` against hand-written Polars and pandas.

A seeded panel of 3,000 units x 300 indicators x 20 years (18 million values,
long layout: unit, year, indicator, value; 5% missing at random) is written
once to ``benchmarks/data/`` as Parquet and CSV, with a generated ``.aix``
file for each: 300 indicators in 30 sub-dimensions in 6 dimensions, random
relative weights, a fifth of the indicators with a negative direction,
min-max normalization per indicator and year, arithmetic means with missing
children left out and the other weights renormalized.

Each implementation runs in a subprocess of its own under ``/usr/bin/time``
(wall time and peak resident memory); the dimension and composite scores of
every implementation are compared with each other.

    python benchmarks/bench_run.py                 # generate if absent, run all
    python benchmarks/bench_run.py --runs 3        # median of three runs each
    python benchmarks/bench_run.py --only aix-parquet polars-parquet
    python benchmarks/bench_run.py --units 300     # a smaller panel (own files)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
SEED = 20261203
SCALE = 100.0
TOLERANCE = 1e-9
IMPLEMENTATIONS = (
    "aix-parquet",
    "aix-csv",
    "aix-cli-parquet",
    "polars-parquet",
    "polars-csv",
    "pandas-csv",
)


# ---- the panel and its tree --------------------------------------------------


class Panel:
    """The sizes of a generated panel and where its files live."""

    def __init__(self, units: int, indicators: int, years: int):
        self.units = units
        self.indicators = indicators
        self.years = years
        self.folder = HERE / "data" / f"panel_{units}x{indicators}x{years}"

    def path(self, name: str) -> Path:
        """A file of this panel."""
        return self.folder / name

    def year_list(self) -> list[int]:
        """The years of the panel."""
        return list(range(2025 - self.years, 2025))


def tree(panel: Panel) -> dict[str, pl.DataFrame]:
    """The index's tree as three small tables (the same as the .aix file)."""
    rng = np.random.default_rng(SEED + 1)
    n_dims, n_subs = 6, 30
    dims = pl.DataFrame(
        {
            "dim": [f"d{k + 1}" for k in range(n_dims)],
            "w_dim": rng.integers(1, 6, n_dims).astype(float),
        }
    )
    subs = pl.DataFrame(
        {
            "sub": [f"s{k + 1:02d}" for k in range(n_subs)],
            "dim": [f"d{k * n_dims // n_subs + 1}" for k in range(n_subs)],
            "w_sub": rng.integers(1, 6, n_subs).astype(float),
        }
    )
    n = panel.indicators
    indicators = pl.DataFrame(
        {
            "indicator": [f"i{k + 1:03d}" for k in range(n)],
            "sub": [f"s{k * n_subs // n + 1:02d}" for k in range(n)],
            "w_ind": rng.integers(1, 6, n).astype(float),
            "sign": np.where(rng.random(n) < 0.2, -1.0, 1.0),
        }
    )
    return {"dims": dims, "subs": subs, "indicators": indicators}


def generate(panel: Panel) -> None:
    """Write the panel (Parquet, CSV) and its two .aix files, if absent."""
    if panel.path("bench_csv.aix").is_file():
        return
    panel.folder.mkdir(parents=True, exist_ok=True)
    frame = panel_frame(panel)
    frame.write_parquet(panel.path("panel.parquet"))
    frame.write_csv(panel.path("panel.csv"))
    for fmt in ("parquet", "csv"):
        text = aix_text(panel, f"panel.{fmt}")
        panel.path(f"bench_{fmt}.aix").write_text(text, "utf-8")


def panel_frame(panel: Panel) -> pl.DataFrame:
    """The long table: unit, year, indicator, value (5% missing), seeded."""
    rng = np.random.default_rng(SEED)
    u, n, y = panel.units, panel.indicators, panel.years
    size = u * n * y
    unit = np.repeat(np.arange(u), y * n)
    year = np.tile(np.repeat(np.array(panel.year_list()), n), u)
    indicator = np.tile(np.arange(n), u * y)
    centre = rng.uniform(0, 100, n)
    spread = rng.uniform(1, 20, n)
    value = np.round(
        centre[indicator] + spread[indicator] * rng.standard_normal(size), 4
    )
    missing = rng.random(size) < 0.05
    units = pl.Series([f"U{k + 1:04d}" for k in range(u)])
    codes = pl.Series([f"i{k + 1:03d}" for k in range(n)])
    return pl.DataFrame(
        {
            "unit": units.gather(unit),
            "year": year.astype(np.int64),
            "indicator": codes.gather(indicator),
            "value": pl.Series(value).scatter(np.flatnonzero(missing), None),
        }
    )


def aix_text(panel: Panel, file: str) -> str:
    """The definition of the benchmark index, reading ``file``."""
    parts = tree(panel)
    first, last = panel.year_list()[0], panel.year_list()[-1]
    lines = [
        f'index bench "Benchmark: {panel.units} units, {panel.indicators} '
        f'indicators, {panel.years} years" {{',
        "  scale 0 to 100",
        f"  years {first} to {last}",
        "  weights relative",
        "  normalize minmax",
        "  aggregate arithmetic",
        "  units {",
        *[f'    U{k + 1:04d} "Unit {k + 1}"' for k in range(panel.units)],
        "  }",
        '  source panel "Generated panel" {',
        f'    file "{file}"',
        "    layout long",
        '    unit column "unit"',
        '    year column "year"',
        '    indicator column "indicator"',
        '    value column "value"',
        "  }",
    ]
    for dim in parts["dims"].iter_rows(named=True):
        lines.append(f"  dimension {dim['dim']} weight {dim['w_dim']:g} {{")
        subs = parts["subs"].filter(pl.col("dim") == dim["dim"])
        for sub in subs.iter_rows(named=True):
            lines.append(f"    dimension {sub['sub']} weight {sub['w_sub']:g} {{")
            leaves = parts["indicators"].filter(pl.col("sub") == sub["sub"])
            for leaf in leaves.iter_rows(named=True):
                code = leaf["indicator"]
                direction = "  direction negative" if leaf["sign"] < 0 else ""
                lines.append(
                    f"      indicator {code} weight {leaf['w_ind']:g} "
                    f'{{ from panel "{code}"{direction} }}'
                )
            lines.append("    }")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---- the implementations (each runs in a child process) ----------------------


def run_aix(panel: Panel, fmt: str) -> pl.DataFrame:
    """aix in-process: load the definition, run it; dimension and composite scores."""
    import aiindex_dsl

    results = aiindex_dsl.load(panel.path(f"bench_{fmt}.aix")).run()
    return results.summary_rows().select(
        pl.col("unit").cast(pl.String),
        pl.col("year").cast(pl.Int64),
        pl.col("node").cast(pl.String),
        "score",
    )


def run_polars(panel: Panel, fmt: str) -> pl.DataFrame:
    """Hand-written Polars: one lazy query from the file to the scores, run
    by the streaming engine. Each row's settings (sign, weight, parent) are
    looked up by the place of its code in an ``Enum``, a gather, rather than
    joined: the fastest way found to write it (a join takes a third longer)."""
    parts = tree(panel)
    if fmt == "parquet":
        scan = pl.scan_parquet(panel.path("panel.parquet"))
    else:
        schema = {
            "unit": pl.String,
            "year": pl.Int64,
            "indicator": pl.String,
            "value": pl.Float64,
        }
        scan = pl.scan_csv(panel.path("panel.csv"), schema=schema)
    indicators, subs, dims = parts["indicators"], parts["subs"], parts["dims"]
    sub_codes, dim_codes = pl.Enum(subs["sub"]), pl.Enum(dims["dim"])
    codes = pl.Enum(indicators["indicator"])
    x = scan.with_columns(pl.col("indicator").cast(codes)).select(
        "unit",
        "year",
        "indicator",
        (pl.col("value") * _lookup(indicators["sign"], "indicator")).alias("x"),
        _lookup(indicators["w_ind"], "indicator").alias("w_ind"),
        _lookup(indicators["sub"].cast(sub_codes), "indicator").alias("sub"),
    )
    low = pl.col("x").min().over("indicator", "year")
    high = pl.col("x").max().over("indicator", "year")
    scored = x.with_columns(score=SCALE * (pl.col("x") - low) / (high - low))
    subs_scored = _mean(scored, "sub", "w_ind").with_columns(
        _lookup(subs["dim"].cast(dim_codes), "sub").alias("dim"),
        _lookup(subs["w_sub"], "sub").alias("w_sub"),
    )
    dims_scored = _mean(subs_scored, "dim", "w_sub").with_columns(
        _lookup(dims["w_dim"], "dim").alias("w_dim")
    )
    top = _mean(dims_scored, None, "w_dim").with_columns(node=pl.lit("bench"))
    out = pl.concat(
        [
            dims_scored.select(
                "unit", "year", pl.col("dim").cast(pl.String).alias("node"), "score"
            ),
            top.select("unit", "year", "node", "score"),
        ]
    )
    return out.collect(engine="streaming")


def _lookup(values: pl.Series, code: str) -> pl.Expr:
    """``values`` (one per category of the ``Enum`` column ``code``, in its
    order) for each row."""
    return pl.lit(values).gather(pl.col(code).to_physical())


def _mean(frame: pl.LazyFrame, by: str | None, weight: str) -> pl.LazyFrame:
    keys = ["unit", "year"] + ([by] if by else [])
    w = pl.when(pl.col("score").is_not_null()).then(pl.col(weight))
    return frame.group_by(keys).agg(
        score=(w * pl.col("score")).sum() / w.sum(),
    )


def run_pandas(panel: Panel, fmt: str) -> pl.DataFrame:
    """Straightforward pandas: read, merge the tree, groupby at each level."""
    import pandas as pd

    parts = {
        k: pd.DataFrame(v.to_dict(as_series=False)) for k, v in tree(panel).items()
    }
    frame = pd.read_csv(panel.path("panel.csv"))
    frame = frame.merge(parts["indicators"], on="indicator", how="inner")
    frame["x"] = frame["value"] * frame["sign"]
    grouped = frame.groupby(["indicator", "year"])["x"]
    low, high = grouped.transform("min"), grouped.transform("max")
    frame["score"] = SCALE * (frame["x"] - low) / (high - low)

    subs = _pandas_mean(frame, ["unit", "year", "sub"], "w_ind")
    subs = subs.merge(parts["subs"], on="sub", how="left")
    dims = _pandas_mean(subs, ["unit", "year", "dim"], "w_sub")
    dims = dims.merge(parts["dims"], on="dim", how="left")
    top = _pandas_mean(dims, ["unit", "year"], "w_dim")
    top["node"] = "bench"
    out = pd.concat([dims.rename(columns={"dim": "node"}), top])
    out = out[["unit", "year", "node", "score"]]
    return pl.DataFrame(
        {
            "unit": out["unit"].astype(str).tolist(),
            "year": out["year"].to_numpy(),
            "node": out["node"].astype(str).tolist(),
            "score": out["score"].to_numpy(),
        }
    )


def _pandas_mean(frame, keys: list[str], weight: str):
    present = frame["score"].notna()
    frame = frame.assign(
        w=frame[weight].where(present, 0.0),
        ws=(frame[weight] * frame["score"]).where(present, 0.0),
    )
    sums = frame.groupby(keys, as_index=False)[["w", "ws"]].sum()
    sums["score"] = (sums["ws"] / sums["w"]).where(sums["w"] > 0)
    return sums[[*keys, "score"]]


def child(panel: Panel, name: str, output: Path) -> None:
    """Run one implementation and write its scores (the time is measured outside)."""
    kind, fmt = name.split("-", 1)
    runner = {"aix": run_aix, "polars": run_polars, "pandas": run_pandas}[kind]
    started = time.perf_counter()
    scores = runner(panel, fmt)
    elapsed = time.perf_counter() - started
    scores.write_parquet(output)
    print(json.dumps({"seconds": elapsed}))


# ---- measuring -----------------------------------------------------------------


def measure(panel: Panel, name: str, run: int) -> dict:
    """One run of one implementation: wall time and peak RSS of its process."""
    out = panel.path(f"scores_{name}.parquet")
    if name == "aix-cli-parquet":
        aix = Path(sys.executable).with_name("aix")
        command = [str(aix), "run", str(panel.path("bench_parquet.aix"))]
        command += ["-o", str(panel.path("cli_results.parquet"))]
    else:
        command = [sys.executable, __file__, "--child", name, "--output", str(out)]
        command += _size_args(panel)
    timed = ["/usr/bin/time", "-f", "TIME %e %M %U %S", *command]
    load = os.getloadavg()[0]
    # As a user runs it: Python keeps the modules it compiles (a machine may
    # have set PYTHONDONTWRITEBYTECODE, which makes each run compile aix again).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(timed, capture_output=True, text=True, check=False, env=env)
    last = [ln for ln in done.stderr.splitlines() if ln.startswith("TIME ")][-1]
    wall, rss_kib, user, system = last.split()[1:]
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    inner = (
        json.loads(done.stdout.strip().splitlines()[-1]) if "--child" in command else {}
    )
    row = {
        "implementation": name,
        "run": run,
        "process_seconds": float(wall),
        "compute_seconds": inner.get("seconds"),
        "cpu_seconds": float(user) + float(system),
        "peak_rss_gib": int(rss_kib) / 2**20,
        "load_before": load,
    }
    print(json.dumps(row), flush=True)
    return row


def _size_args(panel: Panel) -> list[str]:
    return [
        "--units",
        str(panel.units),
        "--indicators",
        str(panel.indicators),
        "--years",
        str(panel.years),
    ]


def compare(panel: Panel, names: list[str]) -> list[str]:
    """Max abs difference of every implementation's scores to the first one's."""
    lines = []
    frames = {
        n: pl.read_parquet(panel.path(f"scores_{n}.parquet"))
        for n in names
        if panel.path(f"scores_{n}.parquet").is_file()
    }
    if len(frames) < 2:
        return lines
    base_name, base = next(iter(frames.items()))
    for name, frame in frames.items():
        joined = base.join(frame, on=["unit", "year", "node"], how="full")
        if joined.height != base.height or base.height != frame.height:
            raise SystemExit(f"{name} and {base_name} score different rows")
        both_null = joined["score"].is_null() & joined["score_right"].is_null()
        diff = (joined["score"] - joined["score_right"]).abs()
        if (joined["score"].is_null() != joined["score_right"].is_null()).any():
            raise SystemExit(f"{name} and {base_name} differ in missing scores")
        worst = diff.filter(~both_null).max()
        lines.append(
            f"{name} vs {base_name}: max |diff| = {worst:.3g} on {base.height} scores"
        )
        if worst >= TOLERANCE:
            raise SystemExit(lines[-1] + f" (>= {TOLERANCE})")
    return lines


def input_size(panel: Panel) -> float:
    """The long table's in-memory size (estimated_size), in GiB."""
    return pl.read_parquet(panel.path("panel.parquet")).estimated_size() / 2**30


def main(argv: list[str] | None = None) -> None:
    """Generate the panel if needed, run the implementations, print the figures."""
    args = _arguments(argv)
    panel = Panel(args.units, args.indicators, args.years)
    if args.child:
        child(panel, args.child, Path(args.output))
        return
    generate(panel)
    print(f"uptime: {_uptime()}")
    print(f"input: {panel.folder}, in memory {input_size(panel):.3f} GiB")
    rows = [measure(panel, name, run) for run in range(args.runs) for name in args.only]
    print(f"uptime: {_uptime()}")
    _table(rows)
    for line in compare(panel, [n for n in args.only if n != "aix-cli-parquet"]):
        print(line)


def _table(rows: list[dict]) -> None:
    header = f"{'implementation':<18}{'median s':>10}{'compute s':>11}{'cpu s':>9}"
    print(header + f"{'peak GiB':>10}  runs")
    for name in dict.fromkeys(r["implementation"] for r in rows):
        mine = [r for r in rows if r["implementation"] == name]
        wall = statistics.median(r["process_seconds"] for r in mine)
        inner = [r["compute_seconds"] for r in mine if r["compute_seconds"] is not None]
        compute = f"{statistics.median(inner):.2f}" if inner else "-"
        cpu = statistics.median(r["cpu_seconds"] for r in mine)
        rss = max(r["peak_rss_gib"] for r in mine)
        print(
            f"{name:<18}{wall:>10.2f}{compute:>11}{cpu:>9.2f}{rss:>10.2f}  {len(mine)}"
        )


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--indicators", type=int, default=300)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", nargs="+", default=list(IMPLEMENTATIONS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
