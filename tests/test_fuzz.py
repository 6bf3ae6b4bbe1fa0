"""Fuzzing: mutated definitions and random data tables raise nothing but aix's
own errors.

Every shipped ``.aix`` file (``indices/*.aix``, ``examples/**/*.aix``) is
mutated at random (bytes deleted, inserted, swapped or repeated; numbers and
words replaced by others of the language) and loaded; random data tables (good
numbers, missing markers, text, infinities, bad years, duplicated rows, broken
quoting) are run through small indices of every layout. Whatever happens must
be a success or an :class:`AixError`, never another exception.

The number of cases comes from a profile chosen by ``HYPOTHESIS_PROFILE``:
``dev`` (250 cases in all, the default on a workstation), ``ci`` (10,000, the
default when ``CI`` is set, as ``.ci/run`` is run, drawn from a fixed seed) or
``long`` (100,000). ``seeded`` draws the CI profile's 10,000 cases from the seed
given to pytest, so a long run can be made of runs that each report when done::

    HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py
    for s in $(seq 1 10); do
        HYPOTHESIS_PROFILE=seeded pytest tests/test_fuzz.py --hypothesis-seed=$s
    done
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import aiindex_dsl
from aiindex_dsl import compose, syntax
from aiindex_dsl.diagnostics import AixError, AixWarning

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(
    str(p.relative_to(ROOT))
    for p in [*ROOT.glob("indices/*.aix"), *ROOT.glob("examples/**/*.aix")]
)

# Cases per test, by profile: the definitions get most, as each is cheaper.
CASES = {
    "dev": (150, 100),
    "ci": (7_000, 3_000),
    "seeded": (7_000, 3_000),
    "long": (70_000, 30_000),
}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI") else "dev"
)
DEFINITION_CASES, DATA_CASES = CASES[PROFILE]
# One in this many definitions that still load is also run on its data.
RUN_EVERY = 8

# In CI the cases are drawn from a fixed seed, so that a run on the same code
# tests the same cases: a new crash is found by a run of the `long` profile,
# not by chance in CI.
FUZZ = settings(
    deadline=None,
    database=None,
    derandomize=PROFILE == "ci",
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)

# ---- mutated definitions --------------------------------------------------------

WORDS = [
    b"index",
    b"dimension",
    b"indicator",
    b"weight",
    b"anchors",
    b"worst",
    b"best",
    b"source",
    b"file",
    b"units",
    b"extends",
    b"include",
    b"derive",
    b"transform log",
    b"normalize zscore",
    b"impute mean",
    b"treat winsorize",
    b"aggregate geometric",
    b"weights relative",
    b"coverage 50%",
    b"expect",
    b"remove indicator",
    b"years 2020 to 2024",
    b"scale 0 to 100",
    b"{",
    b"}",
    b"(",
    b")",
    b'"',
    b'"""',
    b"%",
    b"-",
    b"+",
    b"*",
    b"/",
    b"#",
    b"\t",
    b"\r\n",
    b"\r",
    b"\n",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xe9",
    b"\x00",
    b"0",
    b"-1",
    b"1e309",
    b"1.2.3",
    b"2x",
    b"99999999999999999999",
    b'__import__("os")',
    b"exec(x)",
    b'file "../../../etc/passwd"',
    b'extends "us_china.aix"',
    b'include "../indices/us_china.aix"',
    b"log(0)",
    b"x / 0",
    "Ω".encode(),
]
NUMBERS = [b"0", b"-0", b"1", b"-5", b"0.0001", b"1e308", b"100", b"2024", b"1_0"]
NUMBER = re.compile(rb"(?<![\w.])\d+(\.\d+)?(?![\w.])")
TEXTS = {path: (ROOT / path).read_bytes() for path in SHIPPED}


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """A shipped file and its bytes after one to four random mutations."""
    path = draw(st.sampled_from(SHIPPED))
    raw = TEXTS[path]
    for _ in range(draw(st.integers(1, 4))):
        raw = draw(st.sampled_from(MUTATIONS))(draw, raw)
    return path, raw


def _position(draw, raw: bytes) -> int:
    return draw(st.integers(0, len(raw)))


def _insert(draw, raw: bytes) -> bytes:
    at = _position(draw, raw)
    word = draw(st.sampled_from(WORDS) | st.binary(max_size=6))
    return raw[:at] + b" " * draw(st.booleans()) + word + b" " + raw[at:]


def _delete(draw, raw: bytes) -> bytes:
    at = _position(draw, raw)
    return raw[:at] + raw[at + draw(st.integers(1, 40)) :]


def _repeat(draw, raw: bytes) -> bytes:
    at = _position(draw, raw)
    piece = raw[at : at + draw(st.integers(1, 200))]
    return raw[:at] + piece + raw[at:]


def _swap(draw, raw: bytes) -> bytes:
    a, b = sorted((_position(draw, raw), _position(draw, raw)))
    return raw[:a] + raw[b:] + raw[a:b]


def _truncate(draw, raw: bytes) -> bytes:
    return raw[: _position(draw, raw)]


def _renumber(draw, raw: bytes) -> bytes:
    matches = list(NUMBER.finditer(raw))
    if not matches:
        return raw
    match = draw(st.sampled_from(matches))
    number = draw(st.sampled_from(NUMBERS))
    return raw[: match.start()] + number + raw[match.end() :]


def _reword(draw, raw: bytes) -> bytes:
    words = list(re.finditer(rb"\b[a-z_]+\b", raw))
    if not words:
        return raw
    match = draw(st.sampled_from(words))
    word = draw(st.sampled_from(WORDS))
    return raw[: match.start()] + word + raw[match.end() :]


MUTATIONS = [_insert, _delete, _repeat, _swap, _truncate, _renumber, _reword]


def test_every_shipped_definition_is_fuzzed():
    assert "indices/us_china.aix" in SHIPPED
    assert len(SHIPPED) >= 4


@settings(FUZZ, max_examples=DEFINITION_CASES)
@given(case=mutated(), run=st.integers(1, RUN_EVERY))
def test_mutated_definitions_raise_only_aix_errors(case, run):
    path, raw = case
    real = compose.read_source

    def read(name: str) -> str:
        if Path(name).resolve() == (ROOT / path).resolve():
            return syntax.decode(raw, name)
        return real(name)

    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        patch.chdir(ROOT)
        patch.setattr(compose, "read_source", read)
        patch.setattr(compose, "parse", _parse_once)
        warnings.simplefilter("ignore", AixWarning)
        problems = _problems(lambda: _load_and_run(path, run == 1))
    assert problems is None or problems, "an AixError without a diagnostic"


# IR of the files a case leaves unmutated (the parents it extends).
UNMUTATED: dict[tuple[str, str], object] = {}


def _parse_once(text: str, path: str):
    """Parse, reusing the IR of a file that was not mutated."""
    if text.encode() not in TEXTS.values():
        return syntax.parse(text, path)
    if (text, path) not in UNMUTATED:
        UNMUTATED[text, path] = syntax.parse(text, path)
    return UNMUTATED[text, path]


def _load_and_run(path: str, run: bool) -> None:
    definition = aiindex_dsl.load(path)
    if run:
        definition.run().expectations()


def _problems(action):
    """None when ``action`` succeeds, the diagnostics of its AixError if not."""
    try:
        action()
    except AixError as error:
        return error.diagnostics
    return None


# ---- random data tables -----------------------------------------------------------

CELLS = [
    "",
    "0",
    "-0",
    "1",
    "80",
    "60.5",
    "-3",
    "1e308",
    "1e-320",
    "-1e308",
    "n/a",
    "..",
    "NA",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1,234",
    "6,5",
    "12%",
    "-",
    "x",
    "twelve",
    " 7 ",
    "2024",
    "20x4",
    "2024.5",
    "é",
    '"',
    "a,b",
    "line\nbreak",
    "US",
    "CN",
]
UNITS = ["US", "CN", "DE", "", "us", "USA", "1"]
YEARS = ["2024", "2023", "", "20x4", "2024.5", "1e30", "-1", "2024.0"]
INDEX = """index t "Fuzzed" {{
  scale 0 to 100
  years 2024
  units {{ US "United States"  CN "China" }}
  source s {{
    file "data.csv"
    {layout}
    missing "-"
  }}
  dimension d weight 60% {{
    indicator gdp {{ from s "{gdp}"  anchors worst 1 best 100  transform log }}
    indicator pop {{ from s "{pop}"  anchors worst 0 best 50 }}
  }}
  indicator ratio weight 40% {{ derive gdp / pop  normalize minmax }}
  expect composite US 50 within 50
}}
"""
LAYOUTS = {
    "wide": ('year column "year"', "gdp", "pop", ["unit", "year", "gdp", "pop"]),
    "long": (
        'layout long\n    year column "year"',
        "gdp",
        "pop",
        ["unit", "year", "indicator", "value"],
    ),
    "by_year": (
        "layout wide_by_year",
        "gdp_{year}",
        "pop_{year}",
        ["unit", "gdp_2024", "pop_2024", "gdp_2023"],
    ),
}


@st.composite
def tables(draw) -> tuple[str, str]:
    """An index of some layout and the text of a random data file for it."""
    layout = draw(st.sampled_from(sorted(LAYOUTS)))
    header = list(LAYOUTS[layout][3])
    if draw(st.integers(0, 9)) == 0:
        choices = st.sampled_from([*header, "gpd", "Unit", ""])
        header = draw(st.lists(choices, max_size=5))
    rows = draw(st.lists(_row(header), max_size=8))
    return layout, _csv(draw, header, rows)


def _row(header: list[str]):
    values = {
        "unit": st.sampled_from(UNITS),
        "year": st.sampled_from(YEARS),
        "indicator": st.sampled_from(["gdp", "pop", "other", ""]),
    }
    return st.tuples(*(values.get(c, st.sampled_from(CELLS)) for c in header))


def _csv(draw, header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(['"', ",", "\n", "\x00"])) + text[at:]
    return text


def _definition(folder: Path, layout: str):
    index = folder / f"{layout}.aix"
    if not index.exists():
        options, gdp, pop, _ = LAYOUTS[layout]
        index.write_text(INDEX.format(layout=options, gdp=gdp, pop=pop))
    return aiindex_dsl.load(str(index))


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@settings(FUZZ, max_examples=DATA_CASES)
@given(case=tables())
def test_random_data_raises_only_aix_errors(folder, case):
    layout, text = case
    (folder / "data.csv").write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AixWarning)
        outcome = []
        problems = _problems(lambda: outcome.append(_definition(folder, layout).run()))
    assert problems is None or problems, "an AixError without a diagnostic"
    if outcome:
        assert set(outcome[0].long["unit"]) == {"US", "CN"}
        assert outcome[0].expectations()
