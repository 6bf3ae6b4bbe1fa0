"""The HTML appendix in a real browser: headless Chromium opens it, logs no
error, requests nothing that fails, shows every section, and draws a page
that is not blank."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from test_docs import INDICES, docs_sections

from aiindex_dsl.cli import main

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.mark.parametrize("path", INDICES, ids=lambda p: p.stem)
def test_appendix_renders_in_chromium(browser, cli, tmp_path, path):
    import aiindex_dsl

    page_file = tmp_path / f"{path.stem}.html"
    outcome = cli.invoke(
        main, ["docs", str(path), "-o", str(page_file), "--date", "2026-01-15"]
    )
    assert outcome.exit_code == 0, outcome.output

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(request.url))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")

    assert problems == []
    assert requested == [page_file.as_uri()]
    index = aiindex_dsl.load(str(path)).ir
    for section in docs_sections(index):
        heading = page.locator(f"section#{section} h2")
        assert heading.is_visible(), section
    assert page.locator("math").count() >= 2
    assert page.locator("svg").count() >= 2
    box = page.locator("#framework svg").bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 150

    shot = tmp_path / f"{path.stem}.png"
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    _assert_not_blank(shot.read_bytes())


def _assert_not_blank(png: bytes) -> None:
    image_module = pytest.importorskip("PIL.Image")
    stat_module = pytest.importorskip("PIL.ImageStat")
    image = image_module.open(io.BytesIO(png)).convert("L")
    assert image.height > 3000  # a long document, not an error page
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 16
    assert stat_module.Stat(image).stddev[0] > 10
