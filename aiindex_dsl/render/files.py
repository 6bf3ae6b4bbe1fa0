"""Result files (CSV, Parquet, JSON), written atomically.

A file is written next to its destination under a temporary name and renamed
over it only once complete, so a failed run never leaves a half-written file
and an earlier output stays intact. A destination that is a link is followed
(the file it points to is replaced, the link stays); one that is not a
regular file (``/dev/stdout``, a named pipe) is written directly, as there is
nothing to keep intact.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ..diagnostics import AixError, Diagnostic

WRITERS: dict[str, Callable[[pl.DataFrame, str], None]] = {
    ".csv": lambda frame, path: frame.write_csv(path),
    ".parquet": lambda frame, path: frame.write_parquet(path),
    ".json": lambda frame, path: frame.write_json(path),
    ".ndjson": lambda frame, path: frame.write_ndjson(path),
}
WRITERS[".pq"] = WRITERS[".parquet"]


SINKS: dict[str, Callable[[pl.LazyFrame, str], None]] = {
    ".csv": lambda query, path: query.sink_csv(path),
    ".parquet": lambda query, path: query.sink_parquet(path),
    ".ndjson": lambda query, path: query.sink_ndjson(path),
}
SINKS[".pq"] = SINKS[".parquet"]


def write_tables(tables: list[tuple[pl.DataFrame | pl.LazyFrame, str]]) -> None:
    """Write each frame to its path, in the format the extension names, all
    or none: each is written under a temporary name beside its destination,
    and only when every one is complete are they renamed. A lazy query is
    streamed to its file (JSON, one document, is collected first)."""
    writes = [(_writer(frame, path), path) for frame, path in tables]
    staged: list[tuple[str | None, str, Callable[[str], None]]] = []
    try:
        for write, path in writes:
            temporary = None if _special(path) else _staged(path, write)
            staged.append((temporary, path, write))
        for temporary, path, write in staged:
            _commit(temporary, path, write)
    finally:
        for temporary, _, _ in staged:
            if temporary is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)


def refuse_inputs(paths: list[str], inputs: set[Path]) -> None:
    """Refuse to write over a file the definition reads (``inputs``, resolved):
    ``-o data.csv`` would replace the data with the results."""
    problems = [
        Diagnostic(
            "E503",
            f"{path} is a file the index reads; writing it would replace it",
            None,
            ("name another file for the output",),
            location=path,
        )
        for path in paths
        if Path(path).resolve() in inputs
    ]
    if problems:
        raise AixError(problems)


def write_text(text: str, path: str) -> None:
    """Write text (UTF-8, its line endings as they are) to ``path`` atomically."""
    write_atomically(
        path, lambda temporary: Path(temporary).write_text(text, "utf-8", newline="")
    )


def write_atomically(path: str, write: Callable[[str], None]) -> None:
    """Run ``write`` on a temporary file beside ``path``, then rename it to ``path``."""
    if _special(path):
        _commit(None, path, write)
        return
    temporary = _staged(path, write)
    try:
        _commit(temporary, path, write)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def refuse_formats(paths: list[str]) -> None:
    """Refuse an output whose extension names no format aix writes, before
    anything is computed."""
    problems = [
        Diagnostic(
            "E501",
            f"cannot tell the format of {path}",
            None,
            (f"end the file name with one of: {', '.join(WRITERS)}",),
            location=path,
        )
        for path in paths
        if Path(path).suffix.lower() not in WRITERS
    ]
    if problems:
        raise AixError(problems)


def _writer(frame: pl.DataFrame | pl.LazyFrame, path: str) -> Callable[[str], None]:
    refuse_formats([path])
    suffix = Path(path).suffix.lower()
    if isinstance(frame, pl.LazyFrame) and suffix in SINKS:
        return lambda temporary: SINKS[suffix](frame, temporary)
    if isinstance(frame, pl.LazyFrame):
        return lambda temporary: WRITERS[suffix](frame.collect(), temporary)
    return lambda temporary: WRITERS[suffix](frame, temporary)


def _staged(path: str, write: Callable[[str], None]) -> str:
    """The name of a temporary file beside ``path`` that ``write`` has written.

    A destination that is a folder is refused here, before anything is
    renamed, so that no other output is replaced either.
    """
    if Path(path).is_dir():
        raise _unwritable(path, IsADirectoryError(21, "it is a folder"))
    folder = Path(path).resolve().parent
    try:
        handle, temporary = tempfile.mkstemp(
            dir=folder, prefix=".aix-", suffix=Path(path).suffix
        )
        os.close(handle)
    except OSError as error:
        raise _unwritable(path, error) from None
    try:
        write(temporary)
        os.chmod(temporary, _mode_for(path))
    except OSError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise _unwritable(path, error) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary


def _special(path: str) -> bool:
    """Whether ``path`` is something other than a regular file or a folder:
    a device or a named pipe, which a rename would replace."""
    return os.path.exists(path) and not (os.path.isfile(path) or os.path.isdir(path))


def _commit(temporary: str | None, path: str, write: Callable[[str], None]) -> None:
    """Put the staged file in place of ``path`` (the file a link points to),
    or, with nothing staged, write into ``path`` itself."""
    try:
        if temporary is None:
            write(path)
        else:
            os.replace(temporary, os.path.realpath(path))
    except OSError as error:
        raise _unwritable(path, error) from None


def _mode_for(path: str) -> int:
    """The permissions of the file being replaced, or those a new file gets.

    A temporary file is private (0600); the result should not be.
    """
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _unwritable(path: str, error: OSError) -> AixError:
    reason = error.strerror or str(error)
    if isinstance(error, IsADirectoryError):
        hint = "name a file inside the folder, or another file"
    elif error.errno == errno.ENOSPC:
        hint = "free some space on the disk, or write elsewhere"
    else:
        hint = "check that the folder exists and that you may write to it"
    return AixError(
        [
            Diagnostic(
                "E502", f"cannot write {path}: {reason}", None, (hint,), location=path
            )
        ]
    )
