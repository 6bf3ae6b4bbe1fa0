"""The Python interface: ``load`` a definition, then ``run`` it or look at its ``plan``.

>>> import aiindex_dsl
>>> index = aiindex_dsl.load("indices/us_china.aix")   # doctest: +SKIP
>>> index.run().composite()                            # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from . import data
from .checks import check
from .compile import compile_index, plan
from .compose import load_file
from .ir import Index
from .results import Results
from .steps.aggregate import check_defined, warn_zero_means
from .validate import warn_without_spread


@dataclass(frozen=True)
class Definition:
    """A checked index definition, ready to run."""

    ir: Index

    @property
    def id(self) -> str:
        """The index's id."""
        return self.ir.id

    def inputs(self) -> set[Path]:
        """Every file the definition reads, resolved: its ``.aix`` files (its
        own, those it extends and includes) and its data files."""
        index = self.ir
        files = {index.path, *(s.origin for s in index.sources)}
        files |= {n.span.file for n in index.nodes() if n.span is not None}
        found = {Path(f).resolve() for f in files if f}
        found |= {data.path_of(s).resolve() for s in index.sources if s.file}
        return found

    def plan(self) -> pl.LazyFrame:
        """The whole computation as one Polars LazyFrame. The data files are
        read and checked first (the plan starts from their values, in
        memory); the scores are computed only when it is collected."""
        return plan(self.ir)

    def run(self) -> Results:
        """Load the data and compute every score, contribution and rank."""
        compiled = compile_index(self.ir)
        engine = data.engine(self.ir)
        parents = compiled.parents().collect(engine=engine)
        if parents["unscored"].sum() > 0:
            flat = compiled.without_spread().collect(engine=engine)
            warn_without_spread(self.ir, flat)
        check_defined(parents, self.ir, compiled.means)
        warn_zero_means(parents, self.ir, compiled.means)
        parent_rows = parents.lazy()
        return Results(
            self.ir,
            nodes=lambda ids: compiled.nodes(parent_rows, ids),
            detail=lambda ids: compiled.leaves(parent_rows, ids),
            every=lambda: compiled.long(parent_rows),
            engine=engine,
        )


def load(path: str | os.PathLike) -> Definition:
    """Parse, compose and check a ``.aix`` file; raise every problem found."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"load takes the path of a .aix file, not {path!r}")
    return Definition(check(load_file(str(path))))
