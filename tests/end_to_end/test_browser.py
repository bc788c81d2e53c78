"""The reports in a real browser: Debian's chromium, headless and offline (playwright drives it; its own browser
download is never used). The province page's PDFs go to tests/artifacts/, and with SCREENSHOTS=1 (`make screenshots`)
every page opened, as a person would look at it: full-page screenshots at each width took about 10 s of the
browser's time a run, for eyes, not for an assertion."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROVINCE
from tests.end_to_end.conftest import FORMULA, SCRIPT, XSS

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCREENSHOTS = os.environ.get("SCREENSHOTS") == "1"


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def screenshot(page, name: str, full_page: bool = True) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(artifact(name)), full_page=full_page)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        # CI must test the pages in a browser: there a missing chromium fails, it is never a silent skip.
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 and Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed here (.ci/run installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run",
            "--disable-sync", "--disable-default-apps"])
        yield b
        b.close()


def visit(browser, page_path: Path, width: int = 1100):
    """Open a page offline; return the page and what it did: console errors, requests off the file, dialogs."""
    context, page, seen = tab(browser, width)
    page.goto(page_path.as_uri(), wait_until="load")
    return context, page, seen


def tab(browser, width: int = 1100):
    """An offline page that records what it does (console errors, requests off the file, dialogs) into `seen`."""
    context = browser.new_context(offline=True, viewport={"width": width, "height": 900})
    page = context.new_page()
    seen = {"errors": [], "requests": [], "dialogs": []}
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))

    def route(r):
        if r.request.url.startswith(("file://", "data:")):
            r.continue_()
        else:
            seen["requests"].append(r.request.url)
            r.abort()
    page.route("**/*", route)
    return context, page, seen


def pages(reports):
    return sorted((reports / "2024-11").glob("*.html")) + [reports / "index.html"]


def one_of_each_kind(reports):
    """A page of each kind in each language (Võ Nhai's for the districts, fibre's for the targets), the index."""
    month = reports / "2024-11"
    return [month / f"{stem}-{lang}.html" for lang in ("vi", "en")
            for stem in ("province", "district-170", "target-households_fiber", "explorer", "validation")] + [
        reports / "index.html"]


def drawn(page) -> None:
    """Wait until every chart of the page is drawn by the page's own runtime (its static image then hides)."""
    total = page.locator("figure.chart").count()
    if total:
        page.wait_for_function(f"document.querySelectorAll('figure.chart.live').length === {total}", timeout=20000)


@pytest.mark.parametrize("width", [1200, 390])
def test_every_page_loads_offline_draws_its_charts_and_never_scrolls_sideways(browser, reports, width):
    """Both languages, every kind of page, at a desktop's and a phone's width: no request, no console error, every
    chart drawn live, and nothing wider than the screen outside a table that scrolls in its own box. (Every page
    of the month is opened by the hostile-text test below.)"""
    context, page, seen = tab(browser, width)
    for path in one_of_each_kind(reports):
        for what in seen.values():
            what.clear()
        page.goto(path.as_uri(), wait_until="load")
        drawn(page)
        assert seen["errors"] == [] and seen["requests"] == [] and seen["dialogs"] == [], (path.name, seen)
        for i in range(page.locator("figure.chart").count()):
            marks = page.locator("figure.chart").nth(i).locator(".chart-live svg g[class*='mark-'] path")
            assert marks.count() > 0, (path.name, i)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, path.name
        # no word of a chart runs past its edge, where it would be cut (at 390 px four trend titles were, and the
        # map's legend in English); labels Vega hid to avoid a collision do not count
        cut = page.evaluate("""[...document.querySelectorAll('figure.chart .chart-live svg')].flatMap(svg => {
            const box = svg.getBoundingClientRect();
            const shown = [...svg.querySelectorAll('text')].filter(t => getComputedStyle(t).opacity !== '0');
            return shown.filter(t => {
                const r = t.getBoundingClientRect();
                return r.width > 0 && (r.right > box.right + 1 || r.left < box.left - 1);
            }).map(t => t.textContent); })""")
        assert cut == [], (path.name, width, cut)
        # text of the charts at least 11 px at every width
        sizes = page.evaluate("[...document.querySelectorAll('.chart-live svg text')]"
                              ".map(t => parseFloat(getComputedStyle(t).fontSize))")
        assert not sizes or min(sizes) >= 11, (path.name, min(sizes))
        screenshot(page, f"{path.stem}-{width}px.png")
    context.close()


def test_hovering_a_point_shows_its_value_date_and_interval(browser, reports):
    context, page, _ = visit(browser, reports / "2024-11" / "target-households_fiber-vi.html")
    drawn(page)
    chart = page.locator("figure.chart.live").first   # the trend (the map comes after it)
    points = chart.locator(".chart-live g.mark-symbol path")
    assert points.count() > 0
    points.last.hover(force=True)   # the last point of the chart's last symbol layer: the target's diamond
    tip = page.locator("#vg-tooltip-element")
    tip.wait_for(state="visible", timeout=5000)
    assert "Mục tiêu" in tip.inner_text() and "85,0 %" in tip.inner_text()   # Plan 171: 85% of households
    # a projected month: its value and the 80% interval, written the Vietnamese way
    page.mouse.move(0, 0)
    projected = chart.locator(".chart-live g.mark-symbol").nth(1).locator("path")
    projected.first.hover(force=True)
    text = tip.inner_text()
    assert "Dự báo" in text and "Khoảng dự báo 80%" in text and " – " in text, text
    context.close()


def test_the_map_draws_a_mark_for_each_area_judged(browser, reports):
    """The interactive map: as many dots as the status table has areas for the target shown, at each geography."""
    import polars as pl
    status = pl.read_parquet(reports.parent / "processed" / "status.parquet")
    context, page, seen = visit(browser, reports / "2024-11" / "province-vi.html")
    drawn(page)
    live = page.locator("figure.map .chart-live")
    target = live.locator("select").nth(0).input_value()
    expected = lambda level: status.filter((pl.col("indicator_id") == target) & (pl.col("area_level") == level)).height
    dots = live.locator("g.mark-symbol.role-mark").nth(1).locator("path")  # the first layer is the faint base
    assert dots.count() == expected("district") > 0
    live.locator("select").nth(1).select_option("commune")
    page.wait_for_timeout(300)
    assert live.locator("g.mark-symbol.role-mark").nth(1).locator("path").count() == expected("commune") > 100
    live.locator("select").nth(1).select_option("commune_2025")
    page.wait_for_timeout(300)
    assert live.locator("g.mark-symbol.role-mark").nth(1).locator("path").count() == expected("commune_2025")
    assert seen["requests"] == [] and seen["errors"] == []
    context.close()


def test_the_province_report_prints_on_at_most_ten_a4_pages(browser, reports):
    """Chromium's print to PDF, as a leader would print it: A4, at most ten pages, no blank first page."""
    import re
    for lang in ("vi", "en"):
        context, page, _ = visit(browser, reports / "2024-11" / f"province-{lang}.html")
        drawn(page)
        pdf = page.pdf(prefer_css_page_size=True)
        artifact(f"province-{lang}.pdf").write_bytes(pdf)
        count = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert 1 <= count <= 10, (lang, count)
        assert re.search(rb"/MediaBox\s*\[\s*0\s+0\s+59[45](\.\d+)?\s+84[12]", pdf)   # A4: 595 x 842 points
        context.close()


def test_a_hostile_hamlet_name_shows_as_text_and_runs_nothing(browser, reports):
    """The browser opens the pages whose bytes hold a planted text: a page loads nothing but itself, so one without
    them can neither show nor run them. Each is found by a core no escaping changes (HTML's and JSON's escape only
    <, >, &, quotes), so every form a page may carry it in is found (10 of the month's 46 pages; all of them took
    29 s of the browser's time)."""
    cores = ("onerror=alert(1)", "alert(2)", "evil.example")
    assert all(c in XSS + SCRIPT + FORMULA for c in cores)
    holding = [p for p in pages(reports) if any(c in p.read_text(encoding="utf-8") for c in cores)]
    shown, scripts, formulas = [], [], []
    # One tab goes from page to page (a tab per page cost a renderer process each); `seen` is emptied per page.
    context, page, seen = tab(browser)
    for path in holding:
        for what in seen.values():
            what.clear()
        page.goto(path.as_uri(), wait_until="load")
        # the page's text, folded parts included, scripts' contents (the charts' data) left out
        body = page.evaluate("(() => { const b = document.body.cloneNode(true);"
                             " b.querySelectorAll('script').forEach(s => s.remove()); return b.textContent; })()")
        if XSS in body:
            shown.append(path.name)
        if SCRIPT in body:
            scripts.append(path.name)
        if FORMULA in body:
            formulas.append(path.name)
        assert page.locator("img[src='x']").count() == 0, path.name
        assert page.evaluate("[...document.scripts].some(s => s.textContent.includes('alert(2)'))") is False
        assert seen["dialogs"] == [] and seen["errors"] == [], (path.name, seen)
    context.close()
    # the commune named as a script was quarantined: the province's data-quality section quotes it, as text
    assert "province-vi.html" in scripts
    assert "province-vi.html" in formulas  # shown as the text it is on the page ...
    # the hamlet no operator names is listed as uncovered wherever uncovered hamlets are
    assert {"province-vi.html", "district-164-vi.html", "target-hamlets_ftth_coverage-vi.html",
            "target-hamlets_mbb_coverage-vi.html"} <= set(shown)


def test_with_the_department_s_boundaries_the_map_draws_areas(browser, reports, tmp_path):
    """Boundaries given (here each old commune's box from the package, as a GeoJSON): a target page's map draws an
    area for each commune judged, and no dot for them."""
    import json

    import polars as pl

    from analysis.areas import legacy_units
    from analysis.run.notebooks import execute, to_html
    processed = reports.parent / "processed"
    units = legacy_units(PROVINCE).select("wardCode", "wardBounds").drop_nulls()
    features = []
    for code, bounds in units.iter_rows():
        (la0, lo0), (la1, lo1) = (map(float, c.strip().split(",")) for c in bounds.split("–"))
        ring = [[lo0, la0], [lo1, la0], [lo1, la1], [lo0, la1], [lo0, la0]]
        features.append({"type": "Feature", "properties": {"ma_xa": code},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    shapes = tmp_path / "xa.geojson"
    shapes.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    nb = execute("12-target-report.ipynb", tmp_path / "t.ipynb", {
        "processed": str(processed), "lang": "vi", "as_of": "2024-11", "indicator": "households_fiber",
        "boundaries": {"commune": {"path": str(shapes), "code": "ma_xa"}}})
    page_path = to_html(nb, tmp_path / "t.html", "t", "vi")
    context, page, seen = visit(browser, page_path)
    drawn(page)
    live = page.locator("figure.map .chart-live")
    live.locator("select").nth(0).select_option("commune")
    page.wait_for_timeout(300)
    status = pl.read_parquet(processed / "status.parquet")
    judged = status.filter((pl.col("indicator_id") == "households_fiber") & (pl.col("area_level") == "commune"))
    assert live.locator("g.mark-shape path").count() == judged.height > 100
    assert seen["requests"] == [] and seen["errors"] == []
    screenshot(page, "target-map-boundaries.png", full_page=False)
    context.close()


def test_the_explorer_shows_any_area_s_series_status_and_peers(browser, reports):
    """Pick Võ Nhai, then one of its communes: the series is drawn, the status line is the status table's, and
    the peers are the other districts, then the communes of Võ Nhai."""
    import polars as pl

    from analysis import geography
    from analysis.text import catalogue
    processed = reports.parent / "processed"
    geo = geography.load(processed)
    status = pl.read_parquet(processed / "status.parquet")
    context, page, seen = visit(browser, reports / "2024-11" / "explorer-vi.html", 390)
    drawn(page)
    live = page.locator("figure.explorer .chart-live")
    area, indicator = live.locator("select").nth(0), live.locator("select").nth(1)
    indicator.select_option(label="Tỷ lệ hộ gia đình có truy nhập Internet băng rộng cáp quang")
    commune = geo.codes("commune", "170")[0]
    fibre = status.filter((pl.col("indicator_id") == "households_fiber") & pl.col("latest_value").is_not_null())
    judged = lambda level, parent: fibre.filter((pl.col("area_level") == level)
                                                & pl.col("area_code").is_in(geo.codes(level, parent))).height
    for level, code, peers in (("district", "170", judged("district", PROVINCE)),
                               ("commune", commune, judged("commune", "170"))):
        name = geo.name(code, "vi", level)
        label = next(o for o in area.locator("option").all_inner_texts() if o.startswith(name))
        area.select_option(label=label)
        page.wait_for_timeout(400)
        row = status.filter((pl.col("indicator_id") == "households_fiber") & (pl.col("area_level") == level)
                            & (pl.col("area_code") == code)).row(0, named=True)
        word = catalogue("vi")["status"][row["status"]]
        texts = live.locator("svg text").all_text_contents()
        assert any(word in t for t in texts), (name, word)
        assert live.locator("g.mark-line path").count() >= 1                       # its series
        bars = live.locator("g.mark-rect path")
        assert bars.count() == peers, (name, bars.count(), peers)                   # its peers, one bar each
        assert any(t.startswith("▶ " + name) for t in texts)                       # itself among them
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert seen["errors"] == [] and seen["requests"] == []
    screenshot(page, "explorer-vi-390px.png")
    context.close()
