"""Where a ``.aix`` file may reach: its project, and nothing outside it.

A ``.aix`` file is shared like any document, so the paths it names (data files,
``extends``, ``include``) are confined to the *project* of the file given to aix:
the nearest folder above it that holds one of :data:`MARKERS`, or else the
file's own folder. Paths are resolved with symbolic links followed, so a link
inside the project that points outside is refused too.

Setting the environment variable ``AIX_ALLOW_OUTSIDE=1`` lifts the confinement
for a file one trusts.

>>> # project /p (holds pyproject.toml), file /p/indices/a.aix
>>> # file "../data/x.csv" -> /p/data/x.csv: allowed
>>> # file "../../etc/passwd" -> /etc/passwd: refused
"""

from __future__ import annotations

import os
from pathlib import Path

from .diagnostics import AixError, Diagnostic
from .ir import Span

MARKERS = (".git", "pyproject.toml", "aix.toml")
ALLOW_OUTSIDE = "AIX_ALLOW_OUTSIDE"


def project_root(path: str | Path) -> Path:
    """The project a ``.aix`` file belongs to (see the module's docstring)."""
    folder = Path(path).resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in MARKERS):
            return candidate
    return folder


def outside_allowed() -> bool:
    """Whether the user lifted the confinement with ``AIX_ALLOW_OUTSIDE``."""
    return os.environ.get(ALLOW_OUTSIDE, "").strip().lower() not in ("", "0", "no")


def confine(
    target: str | Path,
    root: Path,
    what: str,
    code: str,
    span: Span | None = None,
    location: str | None = None,
) -> None:
    """Refuse ``target`` when it lies outside ``root``; ``what`` names it."""
    if "\x00" in str(target):
        message = f"{what} is not a valid path: it holds a null character"
        hint = "write the path as plain text"
        raise AixError([Diagnostic(code, message, span, (hint,), location=location)])
    if outside_allowed() or Path(target).resolve().is_relative_to(root):
        return
    message = f"{what} lies outside the project {root}"
    hints = (
        "keep the files an index reads inside its project (the folder holding "
        ".git, pyproject.toml or aix.toml, else the .aix file's own folder)",
        f"if you trust this file, run with {ALLOW_OUTSIDE}=1",
    )
    raise AixError([Diagnostic(code, message, span, hints, location=location)])
