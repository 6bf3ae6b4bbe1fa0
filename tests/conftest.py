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
