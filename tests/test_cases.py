"""The case files: every ``.aix`` under ``tests/cases`` against its expected output.

- ``valid/NAME.aix``: parsed, composed and checked without a problem; the IR
  must equal ``NAME.json`` and ``aix fmt`` must print ``NAME.fmt``, which
  reads back to the same IR and formats to itself.
- ``invalid/NAME.aix``: must fail; the rendered problems must equal
  ``NAME.txt``.

Files whose name starts with ``_`` are parents and catalogues used by other
cases. ``AIX_UPDATE_SNAPSHOTS=1 pytest tests/test_cases.py`` rewrites the
expected files from the current output (review the diff before committing).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aiindex_dsl.build import Catalogue
from aiindex_dsl.checks import check
from aiindex_dsl.compose import load_file
from aiindex_dsl.diagnostics import AixError, render_text
from aiindex_dsl.fmt import format_text
from aiindex_dsl.syntax import parse, read_source

ROOT = Path(__file__).resolve().parent.parent
CASES = Path("tests/cases")
UPDATE = os.environ.get("AIX_UPDATE_SNAPSHOTS") == "1"


def _cases(kind: str) -> list[str]:
    folder = ROOT / CASES / kind
    return sorted(
        str((CASES / kind / p.name).as_posix())
        for p in folder.glob("*.aix")
        if not p.name.startswith("_")
    )


def _compare(expected_path: Path, actual: str) -> None:
    if UPDATE:
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.exists(), (
        f"no {expected_path}; run with AIX_UPDATE_SNAPSHOTS=1"
    )
    assert actual == expected_path.read_text(encoding="utf-8")


def without_spans(value):
    """IR as plain data with every span, origin and path removed."""
    if isinstance(value, dict):
        return {
            k: without_spans(v)
            for k, v in value.items()
            if k not in ("span", "origin", "path")
            and not k.endswith(("_span", "_spans"))
        }
    if isinstance(value, list):
        return [without_spans(v) for v in value]
    return value


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_there_are_enough_cases():
    assert len(_cases("valid")) >= 12
    assert len(_cases("invalid")) >= 40


@pytest.mark.parametrize("path", _cases("valid"))
def test_valid_case(path):
    index = check(load_file(path))
    snapshot = json.dumps(index.model_dump(mode="json"), indent=1, ensure_ascii=False)
    assert str(ROOT) not in snapshot
    _compare(ROOT / path.replace(".aix", ".json"), snapshot + "\n")

    text = read_source(path)
    formatted = format_text(text, path)
    _compare(ROOT / path.replace(".aix", ".fmt"), formatted)
    assert format_text(formatted, path) == formatted
    own = parse(text, path).model_dump(mode="json")
    again = parse(formatted, path).model_dump(mode="json")
    assert without_spans(again) == without_spans(own)


@pytest.mark.parametrize("path", _cases("invalid"))
def test_invalid_case(path):
    with pytest.raises(AixError) as caught:
        check(load_file(path))
    text = render_text(caught.value.diagnostics)
    assert str(ROOT) not in text
    _compare(ROOT / path.replace(".aix", ".txt"), text + "\n")


@pytest.mark.parametrize(
    "path",
    sorted(str(p.relative_to(ROOT)) for p in (ROOT / CASES / "valid").glob("_*.aix")),
)
def test_parents_and_catalogues_format_stably(path):
    text = read_source(path)
    formatted = format_text(text, path)
    assert format_text(formatted, path) == formatted
    own = _plain(parse(text, path))
    assert _plain(parse(formatted, path)) == own


def _plain(built) -> dict:
    if isinstance(built, Catalogue):
        return {
            kind: [
                without_spans(m.model_dump(mode="json")) for m in getattr(built, kind)
            ]
            for kind in ("sources", "variables", "units")
        }
    return without_spans(built.model_dump(mode="json"))
