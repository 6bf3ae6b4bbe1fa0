"""Shared fixtures: the repository's folders and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    """The repository's top folder."""
    return ROOT


@pytest.fixture
def cli() -> CliRunner:
    """A runner for the ``aix`` command, in-process."""
    return CliRunner()


class Scratch:
    """Writes small definitions and their data into a folder of their own, and
    runs them: one numbered subfolder per definition."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def write(self, text: str, files: dict[str, str | bytes]) -> Path:
        """Write ``index.aix`` and the data files; return the .aix path."""
        self.count += 1
        folder = self.folder / f"case{self.count}"
        folder.mkdir()
        for name, content in files.items():
            mode = "wb" if isinstance(content, bytes) else "w"
            with open(folder / name, mode) as file:
                file.write(content)
        path = folder / "index.aix"
        path.write_text(text, encoding="utf-8")
        return path

    def run(self, text: str, files: dict[str, str | bytes]):
        """Load, check and run a definition; return its results."""
        import aiindex_dsl

        return aiindex_dsl.load(self.write(text, files)).run()


@pytest.fixture(scope="session")
def scratch(tmp_path_factory) -> Scratch:
    """Small definitions written to a temporary folder and run."""
    return Scratch(tmp_path_factory.mktemp("scratch"))
