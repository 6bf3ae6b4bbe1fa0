"""aix: composite indices defined in one readable file.

A ``.aix`` file is parsed (:mod:`.syntax`), built into the IR (:mod:`.build`),
composed with what it extends or includes (:mod:`.compose`), checked
(:mod:`.checks`), compiled into one Polars plan (:mod:`.compile`, with the
methodological steps in :mod:`.steps`) and rendered (:mod:`.render`).
"""

from .api import Definition, load
from .diagnostics import AixError, AixWarning, Diagnostic
from .results import Results

__all__ = ["AixError", "AixWarning", "Definition", "Diagnostic", "Results", "load"]
__version__ = "0.1.0"
