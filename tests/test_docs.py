"""``aix docs``: the appendix of every shipped index, its escaping, its
determinism, and the comparison of a definition with the one it extends."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest
from markupsafe import escape

import aiindex_dsl
from aiindex_dsl.cli import main
from aiindex_dsl.render import docs
from aiindex_dsl.render.content import (
    extra_decimals,
    latest_year,
    percent,
    year_rows,
)
from aiindex_dsl.render.formulas import number
from aiindex_dsl.resolve import resolve
from aiindex_dsl.results import round_half_up

ROOT = Path(__file__).resolve().parent.parent
INDICES = sorted((ROOT / "indices").glob("*.aix"))
DATE = "2026-01-15"


@pytest.fixture(scope="module", params=INDICES, ids=lambda p: p.stem)
def rendered(request):
    """One shipped index with its results and its appendix in each format."""
    definition = aiindex_dsl.load(str(request.param))
    pages = {fmt: docs.appendix(definition, fmt, DATE) for fmt in docs.FORMATS}
    return definition.ir, definition.run(), pages


def _block(page: str, start: str) -> str:
    """The HTML from ``start`` to the end of its table row."""
    at = page.index(start)
    return page[at : page.index("</tr>", at)]


def test_every_indicator_appears_with_its_weights_and_anchors(rendered):
    index, _, pages = rendered
    resolved = resolve(index)
    for node in index.indicators():
        row = _block(pages["html"], f'<tr id="indicator-{node.id}">')
        assert escape(node.title or node.id) in row
        assert percent(resolved[node.id].effective_weight) in row
        anchors = resolved[node.id].anchors
        if anchors is not None:
            assert f"worst {number(anchors.worst)}" in row
            assert f"best {number(anchors.best)}" in row
        assert f"({node.id})" in pages["md"]
        assert node.id.replace("_", r"\_") in pages["tex"]


def test_every_source_appears_in_the_bibliography(rendered):
    index, _, pages = rendered
    for source in index.sources:
        entry = pages["html"][pages["html"].index(f'<li id="source-{source.id}">') :]
        entry = entry[: entry.index("</li>")]
        if source.title:
            assert escape(source.title) in entry
        if source.url:
            assert escape(source.url) in entry
        if source.retrieved:
            assert source.retrieved.isoformat() in entry


def test_every_unit_has_its_composite_and_dimension_scores(rendered):
    index, results, pages = rendered
    year = latest_year(results)
    for unit in year_rows(results, year)["unit"].unique().to_list():
        row = _block(pages["html"], f'<tr id="result-{unit}">')
        composite = results.value("composite", unit, year)
        extra = extra_decimals(index)
        # Shown as ranked: to the decimals ranks are taken at, if they say.
        decimals = index.ranking.decimals
        decimals = 2 + extra if decimals is None else decimals
        assert f"<strong>{_shown(composite, decimals)}</strong>" in row
        # Points only where they add up: under an arithmetic composite.
        arithmetic = resolve(index)[index.root.id].aggregate == "arithmetic"
        for dimension in index.root.children:
            score = results.value(dimension.id, unit, year)
            points = results.value(dimension.id, unit, year, points=True)
            assert _shown(score, 1 + extra) in row
            if points is not None and arithmetic:
                assert f"{_shown(points, 1 + extra)} pts" in row
        assert arithmetic or " pts" not in row


def test_the_results_show_each_units_coverage(cli, tmp_path):
    # A province has only R&D intensity: 1 of R&D's 5 indicators (20%), so
    # 4% of the composite; a region lacks the other 4 R&D indicators: 84%.
    target = tmp_path / "regions.md"
    outcome = cli.invoke(main, ["docs", "indices/china_regions.aix", "-o", str(target)])
    assert outcome.exit_code == 0, outcome.output
    rows = {
        line.split(" | ")[1]: line.split(" | ")[2:4]
        for line in target.read_text("utf-8").splitlines()
        if line.startswith("| – | ")
    }
    assert rows["Beijing (BJ)"] == ["n/a", "4%"]
    assert rows["East China (EAST)"] == ["45.17", "84%"]
    # A group's members by their names, read with the provinces from a file.
    assert (
        "| East China (EAST) | Shanghai, Jiangsu, Zhejiang, Anhui, Fujian, Jiangxi, "
        "Shandong | the mean of its members' values weighted by gdp, which is "
        "itself summed |"
    ) in target.read_text("utf-8").splitlines()


def test_a_derived_indicator_names_the_sources_of_what_it_reads(cli, tmp_path):
    target = tmp_path / "asem.md"
    outcome = cli.invoke(
        main, ["docs", "examples/coinr_asem/asem.aix", "-o", str(target)]
    )
    assert outcome.exit_code == 0, outcome.output
    [row] = [
        r for r in target.read_text("utf-8").splitlines() if r.startswith("| Bord |")
    ]
    assert "(derived: Bord_raw / Area)" in row
    assert " | derived from asem | " in row
    # The denominators have a table of their own, with what reads them.
    lines = target.read_text("utf-8").splitlines()
    assert '| Area | Land area (Thousand square km) | asem "Area" | Bord |' in lines
    [gdp] = [r for r in lines if r.startswith("| GDP | GDP (USD Bn) | ")]
    assert gdp.endswith(
        "| Goods, Services, FDI, PRemit, ForPort, Research, Pat, CultServ, CultGood |"
    )


def test_the_appendix_lists_the_checks_against_published_figures(cli, tmp_path):
    target = tmp_path / "tables.md"
    outcome = cli.invoke(main, ["docs", "indices/paper_tables.aix", "-o", str(target)])
    assert outcome.exit_code == 0, outcome.output
    text = target.read_text("utf-8")
    checks = text[text.index("### Checks against published figures") :]
    assert "| composite | US |  | 68.1 ± 0.1 | 68.180 | agrees |" in checks
    assert (
        "| Research & Development (points) | US |  | 11.3 | 11.300 | agrees |" in checks
    )


def test_an_appendix_whose_expectation_fails_is_not_written(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIX_ALLOW_OUTSIDE", "1")  # the data stays in the repository
    definition = tmp_path / "tables.aix"
    text = (ROOT / "indices" / "paper_tables.aix").read_text("utf-8")
    text = text.replace('"../examples/', f'"{ROOT}/examples/')
    definition.write_text(text.replace("composite US 68.1", "composite US 70.1"))
    target = tmp_path / "tables.html"
    outcome = cli.invoke(main, ["docs", str(definition), "-o", str(target)])
    assert outcome.exit_code == 1
    assert (
        "error[E601]: expected the score of `composite` for US to be 70.1"
        in outcome.stderr
    )
    assert not target.exists()


def test_the_method_says_what_becomes_of_a_missing_value(cli, tmp_path):
    said = {}
    for name in ("hdi", "us_china"):
        target = tmp_path / f"{name}.md"
        outcome = cli.invoke(main, ["docs", f"indices/{name}.aix", "-o", str(target)])
        assert outcome.exit_code == 0, outcome.output
        said[name] = [
            line
            for line in target.read_text("utf-8").splitlines()
            if line.startswith("| imputation |")
        ]
    # The HDI needs every input: a missing one leaves the dimension unscored.
    assert said["hdi"][0] == (
        "| imputation | none: a unit missing it has no health score (coverage 100%) "
        "| le |"
    )
    # The AI index renormalizes: in effect, the mean of the siblings.
    assert said["us_china"] == [
        "| imputation | none: left out of its parent's mean and the others' weights "
        "renormalized, which amounts to giving it the mean of its siblings' scores "
        "| all 19 |"
    ]


def test_flagged_values_show_their_data_year_and_the_value_imputed(cli, tmp_path):
    pages = {}
    for name, path in (
        ("us", "indices/us_china.aix"),
        ("asem", "examples/coinr_asem/asem.aix"),
    ):
        target = tmp_path / f"{name}.md"
        outcome = cli.invoke(main, ["docs", path, "-o", str(target)])
        assert outcome.exit_code == 0, outcome.output
        pages[name] = target.read_text("utf-8").splitlines()
    # Scored for 2024, the patent share is 2023's figure.
    assert "| CN | 2023 | ai_patents_granted_share | 69.7 | 100.00 |" in pages["us"]
    # COINr's pipeline A, step by step, and a value treated with what it became.
    assert (
        "The steps, in the order every run takes them: derive (denominators, "
        "expressions) → impute → treat outliers → normalize → aggregate → rank."
    ) in pages["asem"]
    [flights] = [r for r in pages["asem"] if r.startswith("| MLT | 2018 | Flights |")]
    assert flights == "| MLT | 2018 | Flights | 0.0156731 → 0.0118871 | 100.00 |"
    [elec] = [r for r in pages["asem"] if r.startswith("| LAO | 2018 | Elec | ")]
    assert re.fullmatch(
        r"\| LAO \| 2018 \| Elec \| 0\.0\d+ \(imputed\) \| [\d.]+ \|", elec
    )


def test_a_group_is_said_to_be_left_out_of_the_statistics_the_index_computes(
    cli, tmp_path
):
    (tmp_path / "d.csv").write_text("unit,x,y\nA,1,2\nB,3,4\n")
    definition = tmp_path / "g.aix"
    definition.write_text(
        'index t "T" {\n  units { A B }\n  group G "G" { members A B  rollup mean }\n'
        '  source d "D" { file "d.csv" }\n  normalize minmax\n  treat winsorize\n'
        '  indicator x "X" { from d "x" }\n  indicator y "Y" { from d "y" }\n}\n'
    )
    target = tmp_path / "g.md"
    assert cli.invoke(main, ["docs", str(definition), "-o", str(target)]).exit_code == 0
    assert (
        "rather than among them: left out of the statistics of min-max and outlier "
        "treatment (and not treated as an outlier itself), and unranked."
    ) in target.read_text("utf-8")
    # Scored on anchors, the regions are left out of no statistic.
    regions = tmp_path / "regions.md"
    outcome = cli.invoke(
        main, ["docs", "indices/china_regions.aix", "-o", str(regions)]
    )
    assert outcome.exit_code == 0
    assert "rather than among them, and unranked." in regions.read_text("utf-8")


def test_a_description_changed_past_its_first_words_shows_the_change(cli, tmp_path):
    target = tmp_path / "eu.md"
    outcome = cli.invoke(main, ["docs", "indices/eu_extension.aix", "-o", str(target)])
    assert outcome.exit_code == 0, outcome.output
    [line] = [
        r
        for r in target.read_text("utf-8").splitlines()
        if r.startswith("- nodes changed, genai_population_use:")
    ]
    assert (
        'description "... population, June 2025)" → description "... population, '
        'June 2025; EU: people aged 16-74, last ..."'
    ) in line


def test_of_many_units_the_coverage_lists_those_with_a_gap(cli, tmp_path):
    target = tmp_path / "hdi.md"
    outcome = cli.invoke(main, ["docs", "indices/hdi.aix", "-o", str(target)])
    assert outcome.exit_code == 0, outcome.output
    text = target.read_text("utf-8")
    section = text[text.index("## 6. Data coverage") : text.index("## 7. Results")]
    assert "the other 204 have every indicator observed." in section
    listed = [r.split(" | ")[0] for r in section.splitlines() if r.startswith("| ")][1:]
    assert listed == ["| Monaco (MCO)", "| Korea (Democratic People's Rep. of) (PRK)"]


def test_a_source_says_what_uses_it_or_that_nothing_does(cli, tmp_path):
    entries = {}
    for name, path in (
        ("regions", "indices/china_regions.aix"),
        ("hdi", "indices/hdi.aix"),
    ):
        target = tmp_path / f"{name}.md"
        assert cli.invoke(main, ["docs", path, "-o", str(target)]).exit_code == 0
        for line in target.read_text("utf-8").splitlines():
            found = re.match(r"\d+\. \*\*(\w+)\*\*: ", line)
            if found:
                entries[found.group(1)] = line
    # The regions take six dimensions from the paper: the national index's
    # sources for them are inherited and used by nothing here.
    assert entries["ifr_wr2024"].endswith(" Used by nothing in this index.")
    assert entries["nbs_rd_2020"].endswith(" Used by: gerd_pct_gdp, variable gdp.")
    # The HDI's one file lists its units too.
    assert entries["hdr"].endswith(" Used by: eys, gnipc, le, mys, the list of units.")


def test_a_group_covered_in_part_is_shown_so_and_its_unscored_parent_why(cli, tmp_path):
    (tmp_path / "d.csv").write_text(
        "unit,pop,a,b,c\nDE,80,1,2,3\nFR,60,2,1,2\nIT,50,3,3,\nES,40,1,1,1\n"
    )
    definition = tmp_path / "g.aix"
    definition.write_text(
        'index g "G" {\n  units { DE FR IT ES }\n'
        '  group NORTH "North" { members DE FR  rollup weighted_mean by pop }\n'
        '  group SOUTH "South" { members IT ES  rollup weighted_mean by pop }\n'
        '  source d "D" { file "d.csv" }\n'
        '  variable pop "Population" from d "pop"\n  anchors worst 0 best 5\n'
        '  dimension d1 "First" { indicator a "A" { from d "a" }'
        '  indicator b "B" { from d "b" } }\n'
        '  dimension d2 "Second" { coverage 50%  indicator c "C" { from d "c" } }\n}\n'
    )
    target = tmp_path / "g.md"
    outcome = cli.invoke(
        main, ["docs", str(definition), "--unit", "SOUTH", "-o", str(target)]
    )
    assert outcome.exit_code == 0, outcome.output
    lines = target.read_text("utf-8").splitlines()
    # C is rolled up from ES alone: 40 of the 90 people, 44.4% of the weight.
    assert "| South (SOUTH) | 2/0/0 of 2 | 1/0/0 of 1 (1 in part) |" in lines
    assert (
        "**Second** (d2), arithmetic mean: n/a (44.4% of its weight is backed by "
        "data, below its minimum coverage of 50%)"
    ) in lines


def test_the_worked_example_computes_a_distance_to_target(cli, tmp_path):
    (tmp_path / "t.csv").write_text("unit,x\nA,40\nB,120\n")
    definition = tmp_path / "t.aix"
    definition.write_text(
        'index t "T" {\n  units { A B }\n  source d "D" { file "t.csv" }\n'
        '  normalize target 100\n  indicator x "X" { from d "x" }\n}\n'
    )
    rows = {}
    for unit in ("A", "B"):
        target = tmp_path / f"{unit}.md"
        command = ["docs", str(definition), "--unit", unit, "-o", str(target)]
        assert cli.invoke(main, command).exit_code == 0
        [rows[unit]] = [
            r for r in target.read_text("utf-8").splitlines() if r.startswith("| X (x)")
        ]
    assert "`s = 100 · (40 − 0) / (100 − 0) = 40` | 40.00 |" in rows["A"]
    # Beyond the target, the share is capped at it.
    assert "`s = 100 · (120 − 0) / (100 − 0) = 120 → 100` | 100.00 |" in rows["B"]


def test_the_changes_show_a_groups_statements_not_where_they_stand(cli, tmp_path):
    (tmp_path / "d.csv").write_text("unit,x\nA,1\nB,3\nC,5\n")
    (tmp_path / "p.aix").write_text(
        'index p "P" {\n  units { A B C }\n  group G "G" { members A B C }\n'
        '  source d "D" { file "d.csv" }\n  indicator x "X" { from d "x" }\n}\n'
    )
    (tmp_path / "c.aix").write_text(
        'index c "C" extends "p.aix" {\n'
        '  group G "G" { members A B C  rollup mean }\n}\n'
    )
    target = tmp_path / "c.md"
    assert (
        cli.invoke(main, ["docs", str(tmp_path / "c.aix"), "-o", str(target)]).exit_code
        == 0
    )
    [line] = [r for r in target.read_text("utf-8").splitlines() if "units changed" in r]
    assert line == "- units changed, G: rollup: sum → mean"


def _shown(value, decimals: int) -> str:
    """A number as a published table shows it (half up, after rounding away
    the last bits of the float)."""
    if value is None:
        return "n/a"
    return f"{round_half_up(round(value, 9), decimals):,.{decimals}f}"


def test_every_dimension_is_in_the_framework_with_its_effective_weight(rendered):
    index, _, pages = rendered
    section = pages["html"].split('<section id="framework">')[1].split("</section>")[0]
    weights = [d.weight.fraction if d.weight else None for d in index.root.children]
    for dimension, weight in zip(index.root.children, weights, strict=True):
        assert escape(dimension.title or dimension.id) in section
        assert f"<code>{dimension.id}</code>" in section
        if weight is not None:
            assert f'<td class="n">{percent(weight)}</td>' in section


def test_each_section_and_the_fingerprints_are_present(rendered):
    index, _, pages = rendered
    page = pages["html"]
    for section in docs_sections(index):
        assert f'<section id="{section}">' in page
    digest = __import__("hashlib").sha256(Path(index.path).read_bytes()).hexdigest()
    assert digest in page
    assert digest in pages["md"]
    assert "<script" not in page.lower()
    assert "http://" not in _outside_links(page)
    assert f"<dd>{DATE}</dd>" in page


def docs_sections(index) -> list[str]:
    """The ids of the sections the HTML appendix of ``index`` must have."""
    sections = [
        "overview",
        "framework",
        "indicators",
        "sources",
        "method",
        "coverage",
        "results",
        "worked-example",
        "definition",
    ]
    return sections + (["changes"] if index.extends else [])


def _outside_links(page: str) -> str:
    """The page without its hyperlinks and the definition's text, which may
    name addresses; what is left must fetch nothing."""
    page = re.sub(r'href="[^"]*"', "", page)
    page = re.sub(r'xmlns(:\w+)?="[^"]*"', "", page)
    return page.split('<section id="definition">')[0]


def test_formulas_are_mathml_and_tex(rendered):
    _, _, pages = rendered
    assert '<math display="block">' in pages["html"]
    assert r"\frac{" in pages["tex"]
    assert "<svg" in pages["html"]


# ---- escaping ------------------------------------------------------------------

EVIL = "Evil <script>alert(\"x\")</script> & 'quotes' 100% $_{#}"


def _write_index(folder: Path, units: int = 2, title: str = EVIL) -> Path:
    codes = [f"U{i:02d}" for i in range(units)]
    lines = ["unit,a,b,c"] + [
        f"{code},{10 + 7 * i % 23},{(i * 13) % 17 if i % 4 else ''},{i * 2.5}"
        for i, code in enumerate(codes)
    ]
    (folder / "values.csv").write_text("\n".join(lines) + "\n", "utf-8")
    unit_lines = "\n".join(f'    {code} "Unit <{code}> & co"' for code in codes)
    quoted = title.replace('"', '\\"')
    text = f'''index evil "{quoted}" {{
  version "1 <b>"
  authors "A & B <i>"
  description "Scores <em>units</em> & nothing else"
  years 2020
  units {{
{unit_lines}
  }}
  source vals "Values <table> & more" {{
    file "values.csv"
    url "https://example.org/?a=1&b=<2>"
    publisher "P & Q"
  }}
  dimension d1 "First <dimension>" weight 60% {{
    indicator a "Alpha & <omega>" {{
      from vals "a"
      anchors worst 0 best 30 "because <30> & so"
    }}
    indicator b "Beta" {{
      from vals "b"
      anchors worst 0 best 20
    }}
  }}
  dimension d2 "Second" weight 40% {{
    indicator c "Gamma" {{
      from vals "c"
      normalize minmax
    }}
  }}
}}
'''
    path = folder / "evil.aix"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def evil(tmp_path):
    return aiindex_dsl.load(str(_write_index(tmp_path)))


def test_html_shows_user_text_as_text(evil):
    page = docs.appendix(evil, "html", DATE)
    assert "<script" not in page
    assert "<table> & more" not in page
    assert "Evil &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp;" in page
    assert "&lt;omega&gt;" in page
    assert "Unit &lt;U00&gt; &amp; co" in page
    assert "because &lt;30&gt; &amp; so" in page


def test_markdown_shows_user_text_as_text(evil):
    page = docs.appendix(evil, "md", DATE)
    prose = re.sub(r"```aix\n.*?```", "", page, flags=re.S)
    assert "<script" not in prose
    assert "<omega>" not in prose
    assert "&lt;script&gt;" in prose
    assert r"Alpha & &lt;omega&gt;" in prose
    assert '<script>alert(\\"x\\")</script>' in page.split("```aix")[1]


def test_only_a_plain_web_address_becomes_a_link(tmp_path):
    (tmp_path / "v.csv").write_text("unit,a\nA,1\nB,2\n", "utf-8")
    (tmp_path / "i.aix").write_text(
        r"""index i "I" {
  units { A B }
  normalize minmax
  source web "Web" { file "v.csv"  url "https://example.org/a?b=1#c" }
  source js "Script" { file "v.csv"  url "javascript:alert(1)" }
  source tex "TeX" { file "v.csv"  url "https://x.org/}\\input{/etc/passwd}" }
  indicator a { from web "a" }
  indicator b { from js "a" }
  indicator c { from tex "a" }
}
""",
        "utf-8",
    )
    definition = aiindex_dsl.load(str(tmp_path / "i.aix"))
    html = docs.appendix(definition, "html", DATE)
    assert '<a href="https://example.org/a?b=1#c">' in html
    assert "href" not in html.split("javascript:alert(1)")[0].rsplit("<li", 1)[1]
    assert 'href="javascript' not in html
    md = docs.appendix(definition, "md", DATE)
    assert "<https://example.org/a?b=1#c>" in md
    assert "<javascript:" not in md
    tex = docs.appendix(definition, "tex", DATE)
    assert r"\url{https://example.org/a?b=1\#c}" in tex
    assert r"\url{javascript" not in tex
    assert r"\input{/etc/passwd}" not in tex


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("ai_index_2024", "ai_index_2024"),
        ("_emphasis_ and __strong__", r"\_emphasis\_ and \_\_strong\_\_"),
        ("R&D", "R&D"),
        ("&amp; &#60; &lt;", r"&amp;amp; &amp;\#60; &amp;lt;"),
        ("a | b", r"a \| b"),
        ("[link](x)", r"\[link\](x)"),
        ("$x$ in US$", r"\$x\$ in US\$"),
    ],
)
def test_markdown_escapes_only_what_would_be_markup(text, shown):
    assert docs.escape_md(text) == shown


def test_markdown_code_spans_show_text_as_written():
    assert docs.code_md("us_china") == "`us_china`"
    assert docs.code_md("a ` b") == "``a ` b``"
    assert docs.code_md("`x`") == "`` `x` ``"
    assert docs.code_md("|x - t|", cell=True) == r"`\|x - t\|`"


def test_latex_escapes_user_text(evil):
    page = docs.appendix(evil, "tex", DATE)
    title = page[page.index(r"\title{") : page.index(r"\author{")]
    assert r"\textless{}script\textgreater{}" in title
    assert r"\&" in title
    assert r"100\%" in title
    assert r"\$\_\{\#\}" in title
    assert "<script>" not in title


def test_a_missing_field_fails_the_render():
    template = docs._environment("html").get_template("appendix.html")
    with pytest.raises(jinja2.UndefinedError):
        template.render(header={"title": "x"})


# ---- many units ----------------------------------------------------------------


def test_many_units_get_a_ranking_and_a_heat_map(tmp_path):
    definition = aiindex_dsl.load(str(_write_index(tmp_path, units=12, title="M")))
    page = docs.appendix(definition, "html", DATE)
    assert "Composite scores, units ranked." in page
    assert "Dimension scores of every unit" in page
    assert page.count("<svg") == 3
    coverage = _block(page, '<tr id="coverage-U04">')
    assert "1/2 observed, 1 missing" in coverage


# ---- the command ---------------------------------------------------------------


def test_same_inputs_give_the_same_bytes(cli, tmp_path):
    paths = [tmp_path / "one.html", tmp_path / "two.html"]
    for path in paths:
        outcome = cli.invoke(
            main, ["docs", "indices/us_china.aix", "-o", str(path), "--date", DATE]
        )
        assert outcome.exit_code == 0, outcome.output
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_a_date_that_is_not_a_day_is_refused_in_words(cli):
    outcome = cli.invoke(main, ["docs", "indices/us_china.aix", "--date", "2026-02-30"])
    assert outcome.exit_code == 2
    assert "'2026-02-30' is not a day of the calendar" in outcome.stderr
    outcome = cli.invoke(main, ["docs", "indices/us_china.aix", "--date", "4.12.2026"])
    assert "'4.12.2026' is not written YYYY-MM-DD" in outcome.stderr


def test_format_follows_the_extension(cli, tmp_path):
    for name, start in (("a.md", "# AI Index"), ("a.tex", r"\documentclass")):
        outcome = cli.invoke(
            main, ["docs", "indices/us_china.aix", "-o", str(tmp_path / name)]
        )
        assert outcome.exit_code == 0, outcome.output
        assert (tmp_path / name).read_text("utf-8").startswith(start)


def test_a_format_the_extension_contradicts_is_refused(cli, tmp_path):
    target = tmp_path / "appendix.md"
    outcome = cli.invoke(
        main, ["docs", "indices/us_china.aix", "--format", "html", "-o", str(target)]
    )
    assert outcome.exit_code == 2
    assert "E501" in outcome.stderr
    assert "names a Markdown file, but --format html asks for HTML" in outcome.stderr
    assert "or name the file appendix.html" in outcome.stderr
    assert not target.exists()
    # An extension that names no format leaves the choice to --format.
    other = tmp_path / "appendix.txt"
    outcome = cli.invoke(
        main, ["docs", "indices/us_china.aix", "--format", "md", "-o", str(other)]
    )
    assert outcome.exit_code == 0, outcome.output
    assert other.read_text("utf-8").startswith("# AI Index")


def test_the_appendix_is_not_written_over_the_definition(cli, tmp_path):
    definition = tmp_path / "index.aix"
    definition.write_bytes((ROOT / "examples" / "coinr_asem" / "asem.aix").read_bytes())
    text = definition.read_bytes()
    outcome = cli.invoke(
        main, ["docs", str(definition), "--format", "md", "-o", str(definition)]
    )
    assert outcome.exit_code == 1
    assert "E503" in outcome.stderr
    assert definition.read_bytes() == text


def test_worked_example_of_a_chosen_unit(cli):
    outcome = cli.invoke(main, ["docs", "indices/us_china.aix", "--unit", "CN"])
    assert outcome.exit_code == 0, outcome.output
    assert "Worked example: China" in outcome.output
    # China's patents share 69.7 is above the best anchor 50: clipped to 100.
    assert "69.7" in outcome.output
    assert '<span class="flag">clipped</span>' in outcome.output


def test_unknown_unit_is_an_input_error(cli):
    outcome = cli.invoke(main, ["docs", "indices/us_china.aix", "--unit", "USA"])
    assert outcome.exit_code == 1
    assert "unit `USA` is not scored" in outcome.output
    assert "did you mean `US`?" in outcome.output


def test_worked_example_reproduces_the_composite():
    definition = aiindex_dsl.load("indices/us_china.aix")
    page = docs.appendix(definition, "md", DATE)
    composite = definition.run().value("composite", "US")
    section = page.split("## 8. Worked example: United States")[1]
    assert f"≈ {_shown(composite, 2)}`" in section
    assert "s = 100 · (27 − 0) / (30 − 0) = 90" in section


# ---- extends -------------------------------------------------------------------


def test_an_extension_lists_what_it_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("AIX_ALLOW_OUTSIDE", "1")
    parent = os.path.relpath(ROOT / "indices" / "us_china.aix", tmp_path)
    (tmp_path / "child.aix").write_text(
        f'''index child "AI Index, policy weighted up" extends "{parent}" {{
  version "2"
  scale 0 to 10
  coverage 60%
  dimension pg weight 15%
  dimension si weight 5%
  dimension rd {{ coverage 50% }}
  indicator ai_laws_passed_cumulative {{
    anchors worst 0 best 40 "a wider band"
  }}
  remove indicator ai_products_excite
}}
''',
        "utf-8",
    )
    definition = aiindex_dsl.load(str(tmp_path / "child.aix"))
    page = docs.appendix(definition, "html", DATE)
    section = page.split('<section id="changes">')[1].split("</section>")[0]
    assert "removed: indicator ai_products_excite" in section
    assert (
        '<td><code>pg</code></td><td class="n">10%</td><td class="n">15%</td>'
        in section
    )
    assert "worst 0, best 30</td><td>worst 0, best 40" in section
    # Settings as the statements that write them, the index's own among them.
    assert (
        "changed <code>child</code>: version &#34;2025.1&#34; → &#34;2&#34;; "
        in section
    )
    assert "scale 0 to 100 → scale 0 to 10" in section
    assert "(none) → coverage 60%" in section
    assert "changed <code>rd</code>: (none) → coverage 50%" in section
    assert page.count("<h3><code>") == 2  # the child's text and the parent's
    markdown = docs.appendix(definition, "md", DATE)
    assert "weight of pg: 10% → 15%" in markdown


def test_a_weight_changed_as_written_or_in_effect_is_listed():
    definition = aiindex_dsl.load(str(ROOT / "indices" / "eu_extension.aix"))
    markdown = docs.appendix(definition, "md", DATE)
    assert (
        "- weight of top500_supercomputers: equal → 50% (effective 5%, unchanged)"
        in (markdown)
    )
    assert (
        "- effective weight of government_ai_readiness_index: 5% → 10% "
        "(written equal as before: its siblings changed)" in markdown
    )


def test_a_normalization_changed_for_the_whole_index_is_listed_once():
    """asem_panel normalizes over all years: one line for the index, not one
    for each of its 49 indicators."""
    definition = aiindex_dsl.load("examples/coinr_asem/asem_panel.aix")
    markdown = docs.appendix(definition, "md", DATE)
    section = markdown.split("## 9. Changes against")[1].split("## 10.")[0]
    assert "years 2018 → years 2018 to 2022" in section
    assert "normalize minmax → normalize minmax_pooled" in section
    assert "anchors of" not in section


def test_worked_example_shows_the_transform_and_the_geometric_mean(tmp_path):
    (tmp_path / "v.csv").write_text("unit,income,school\nA,1000,8\nB,100,4\n", "utf-8")
    (tmp_path / "g.aix").write_text(
        """index g "Geometric" {
  scale 0 to 1
  aggregate geometric
  units { A "Aland"  B "Bland" }
  source v "Values" { file "v.csv" }
  indicator income "Income" weight 50% {
    from v "income"
    transform log
    anchors worst 10 best 10000
  }
  indicator school "Schooling" weight 50% {
    from v "school"
    anchors worst 0 best 10
  }
}
""",
        "utf-8",
    )
    page = docs.appendix(aiindex_dsl.load(str(tmp_path / "g.aix")), "md", DATE)
    worked = page.split("## 8. Worked example: Aland")[1]
    # ln 1000 = 6.9078, ln 10 = 2.3026, ln 10000 = 9.2103: (6.9078-2.3026)/6.9078
    assert (
        "x = ln (1,000) = 6.9078 ; s = (6.9078 − 2.3026) / (9.2103 − 2.3026)" in worked
    )
    assert "= 0.6667" in worked
    # sqrt(0.6667 * 0.8) = 0.7303
    assert "s = 0.6667^0.5 · 0.8^0.5 ≈ 0.7303" in worked


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize("source", ["us_china", "evil"])
def test_latex_compiles(tmp_path, source):
    if source == "evil":
        definition = aiindex_dsl.load(str(_write_index(tmp_path)))
    else:
        definition = aiindex_dsl.load(str(ROOT / "indices" / f"{source}.aix"))
    (tmp_path / "a.tex").write_text(docs.appendix(definition, "tex", DATE), "utf-8")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "a.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "a.pdf").stat().st_size > 10_000


def test_the_appendix_lists_an_included_catalogue(tmp_path):
    (tmp_path / "v.csv").write_text("unit,a\nA,1\nB,2\n", "utf-8")
    (tmp_path / "sources.aix").write_text(
        'source vals "Values" { file "v.csv" }\n', "utf-8"
    )
    (tmp_path / "i.aix").write_text(
        'index i "I" {\n  include "sources.aix"\n  units { A B }\n'
        '  indicator a { from vals "a"  normalize minmax }\n}\n',
        "utf-8",
    )
    page = docs.appendix(aiindex_dsl.load(str(tmp_path / "i.aix")), "html", DATE)
    # The listing of the definition's files names the catalogue too.
    assert "sources.aix" in page


def test_the_worked_example_takes_a_given_score_as_published(tmp_path):
    (tmp_path / "v.csv").write_text("unit,a,s\nA,1,99\nB,2,40\n", "utf-8")
    (tmp_path / "i.aix").write_text(
        'index i "I" {\n  units { A B }\n  anchors worst 0 best 10\n'
        '  source v "V" { file "v.csv" }\n'
        '  indicator a "Alpha" { from v "a" }\n'
        '  dimension g "Given" { score from v "s" }\n}\n',
        "utf-8",
    )
    definition = aiindex_dsl.load(str(tmp_path / "i.aix"))
    page = docs.appendix(definition, "md", DATE, unit="A")
    row = next(line for line in page.splitlines() if line.startswith("| Given (g)"))
    assert [c.strip() for c in row.split("|")[1:-1]] == [
        "Given (g)",
        "99",
        "taken as published",
        "",
        "99.00",
    ]


def test_control_characters_never_reach_the_page(tmp_path):
    (tmp_path / "v.csv").write_text("unit,a\nA,1\nB,2\n", "utf-8")
    (tmp_path / "i.aix").write_text(
        'index i "Nul\\x00 and del\\x7f" {\n  units { A B }\n  normalize minmax\n'
        '  source v { file "v.csv" }\n  indicator a "A\\x01" { from v "a" }\n}\n',
        "utf-8",
    )
    definition = aiindex_dsl.load(str(tmp_path / "i.aix"))
    for fmt in ("html", "md", "tex"):
        page = docs.appendix(definition, fmt, DATE)
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", page), fmt
        shown = "Nul[U+FFFD] and del[U+FFFD]" if fmt == "tex" else "Nul\ufffd and del"
        assert shown in page, fmt


def test_reversed_anchors_are_shown_as_lower_is_better(tmp_path):
    (tmp_path / "aix.toml").write_text("")
    (tmp_path / "d.csv").write_text("unit,jobless,lives\nA,5,70\nB,10,80\n")
    (tmp_path / "t.aix").write_text(
        'index t "T" {\n  years 2024\n  units { A B }\n'
        '  source d "D" { file "d.csv" }\n'
        '  indicator jobless "Jobless" { from d "jobless"  anchors worst 25 best 0 }\n'
        '  indicator lives "Lives" { from d "lives"  anchors worst 20 best 85 }\n}\n'
    )
    page = docs.appendix(aiindex_dsl.load(str(tmp_path / "t.aix")), "md", DATE)
    listed = "lower is better (a negative direction, or the worst anchor above"
    assert f"{listed} the best): jobless\n" in page
    assert "| jobless | Jobless |" in page
    row = next(line for line in page.splitlines() if line.startswith("| jobless |"))
    assert "lower is better (the worst anchor above the best)" in row
    lives = next(line for line in page.splitlines() if line.startswith("| lives |"))
    assert "| positive |" in lives


def test_the_pages_ids_are_unique_and_every_reference_finds_its_target():
    """Each chart numbers its parts alike (axes_1): its ids carry its name."""
    page = docs.appendix(aiindex_dsl.load("indices/us_china.aix"), "html", DATE)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) > 100
    assert len(ids) == len(set(ids))
    references = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', page)
    assert {a or b for a, b in references} <= set(ids)


def test_the_method_names_each_group_its_members_and_roll_up():
    definition = aiindex_dsl.load("indices/china_regions.aix")
    markdown = docs.appendix(definition, "md", DATE)
    assert (
        "| South China (SOUTH) | Guangdong, Guangxi, Hainan | the mean of its "
        "members' values weighted by gdp, which is itself summed |"
    ) in markdown
    page = docs.appendix(definition, "html", DATE)
    assert "<h3>Unit groups</h3>" in page
    assert page.count("which is itself summed</td>") == 7


def test_worked_example_puts_the_unit_into_min_max_with_the_least_and_greatest():
    """COINr's raw ASEM build: Belgium's LPI 4.10854 between the units' least
    (2.0673) and greatest (4.226) scores 94.56."""
    definition = aiindex_dsl.load("examples/coinr_asem/asem_raw.aix")
    markdown = docs.appendix(definition, "md", DATE, unit="BEL")
    assert "`s = 100 · (4.1085 − 2.0673) / (4.226 − 2.0673) = 94.56` | 94.56 |" in (
        markdown
    )


def test_worked_example_shows_imputed_and_treated_values_in_their_formula():
    """COINr's build: Laos's connection speed is imputed (12.9154), Belgium's
    border crossings winsorized (0.00157233 to 0.0009933, the top after
    treatment, so 100)."""
    definition = aiindex_dsl.load("examples/coinr_asem/asem.aix")
    laos = docs.appendix(definition, "md", DATE, unit="LAO")
    assert (
        "| 12.9154 (imputed) | minmax | "
        "`s = 100 · (12.9154 − 5.5) / (28.6 − 5.5) = 32.1` | 32.10 |"
    ) in laos
    belgium = docs.appendix(definition, "md", DATE, unit="BEL")
    assert (
        "| 0.00157233 (treated) | minmax | "
        "`s = 100 · (0.0009933 − 0) / (0.0009933 − 0) = 100` | 100.00 |"
    ) in belgium
