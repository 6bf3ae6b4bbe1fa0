"""Write COINr's ASEM index as two .aix files, from its structure table iMeta.

    python examples/coinr_asem/make_asem_aix.py

- ``asem_raw.aix`` (COINr's pipeline B): raw data, min-max to 0-100, arithmetic
  mean at every level;
- ``asem.aix`` (COINr's example build, pipeline A): indicators divided by their
  denominators, missing values imputed by the mean of their EurAsia group,
  outliers treated by COINr's rule, then min-max and arithmetic means.

The files are committed; this script shows where they came from and rebuilds
them if iMeta changes.
"""

from __future__ import annotations

import csv
from pathlib import Path

from aiindex_dsl.fmt import format_text

HERE = Path(__file__).resolve().parent

HEADER = """\
# {comment}
# Written by make_asem_aix.py from ASEM_iMeta.csv (COINr's ASEM example).
index {id} "{title}" {{
  version "COINr 1.1.14 example"
  scale 0 to 100
  years 2018
  units from asem code "uCode" name "uName"
  weights relative
  normalize minmax
  aggregate arithmetic
{settings}
  source asem "ASEM Sustainable Connectivity Portal data, as shipped with COINr" {{
    publisher "European Commission, Joint Research Centre (COINr package)"
    licence "MIT (COINr)"
    file "ASEM_iData.csv"
    layout wide
    unit column "uCode"
    year column "Time"
  }}
"""


def read_meta() -> list[dict[str, str]]:
    """The rows of iMeta, as text."""
    with open(HERE / "ASEM_iMeta.csv", newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def children_of(meta: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """The rows of the tree (indicators and aggregates), by parent code."""
    tree: dict[str, list[dict[str, str]]] = {}
    for row in meta:
        if row["Type"] in ("Indicator", "Aggregate") and row["Parent"]:
            tree.setdefault(row["Parent"], []).append(row)
    return tree


# What a value divided by each denominator is per, in the unit of that
# denominator as COINr's metadata gives it.
PER = {
    "Population": "per thousand people",
    "GDP": "per USD bn of GDP",
    "Area": "per thousand km² of land",
    "Energy": "per unit of energy consumption",
}


def node_lines(row, tree, denominate: bool, depth: int) -> list[str]:
    """The lines of one node of the tree and everything below it."""
    pad = "  " * depth
    kind = "indicator" if row["Type"] == "Indicator" else "dimension"
    head = f'{pad}{kind} {row["iCode"]} "{row["iName"]}" weight {row["Weight"]} {{'
    if kind == "dimension":
        body = [
            line
            for child in tree[row["iCode"]]
            for line in node_lines(child, tree, denominate, depth + 1)
        ]
        return [head, *body, f"{pad}}}"]
    unit = row["Unit"]
    if denominate and row["Denominator"] and " per " not in unit:
        unit = f"{unit} {PER[row['Denominator']]}"
    body = [f'{pad}  unit "{unit}"']
    if denominate and row["Denominator"]:
        body.append(f"{pad}  derive {row['iCode']}_raw / {row['Denominator']}")
    else:
        body.append(f'{pad}  from asem "{row["iCode"]}"')
    if row["Direction"] == "-1":
        body.append(f"{pad}  direction negative")
    return [head, *body, f"{pad}}}"]


def variable_lines(meta) -> list[str]:
    """Denominators, and the numerators of the indicators divided by them."""
    lines = [
        f'  variable {row["iCode"]} "{row["iName"]} ({row["Unit"]})" '
        f'from asem "{row["iCode"]}"'
        for row in meta
        if row["Type"] == "Denominator"
    ]
    lines += [
        f'  variable {row["iCode"]}_raw "{row["iName"]}, before division by '
        f'{row["Denominator"]}" from asem "{row["iCode"]}"'
        for row in meta
        if row["Type"] == "Indicator" and row["Denominator"]
    ]
    return lines


def definition(denominate: bool) -> str:
    """The text of one of the two .aix files."""
    meta = read_meta()
    tree = children_of(meta)
    settings = '  impute mean by "EurAsia_group"\n  treat coinr\n' if denominate else ""
    header = HEADER.format(
        comment=(
            "COINr's example build of the ASEM index (pipeline A)"
            if denominate
            else "COINr's ASEM index on raw data (pipeline B)"
        ),
        id="asem" if denominate else "asem_raw",
        title="ASEM Sustainable Connectivity Index",
        settings=settings,
    )
    lines = [header]
    if denominate:
        lines += [*variable_lines(meta), ""]
    for row in tree["Index"]:
        lines += node_lines(row, tree, denominate, 1)
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write both files beside this script, in the layout of ``aix fmt``."""
    for name, denominate in (("asem_raw.aix", False), ("asem.aix", True)):
        path = HERE / name
        path.write_text(format_text(definition(denominate), str(path)), "utf-8")


if __name__ == "__main__":
    main()
