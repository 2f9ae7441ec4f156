"""The survey map in a real headless Chromium (Debian package, installed by make test)."""

import shutil

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")

CHROMIUM = shutil.which("chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
OVERLAYS = ["森林覆盖率 Forest cover", "生态保护红线 Ecological redlines", "红树林 Mangroves",
            "沿海防护林带 Coastal shelterbelts", "修复片区（近似位置） Restoration sites (approximate)"]


@pytest.fixture(scope="module")
def page(demo_survey):
    assert CHROMIUM, "chromium is not installed: run `make test` (it installs Debian's chromium)"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1200, "height": 850})
        problems, failed = [], []
        tab.on("pageerror", lambda error: problems.append(str(error)))
        tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" and
               "Failed to load resource" not in msg.text else None)
        tab.on("requestfailed", lambda request: failed.append(request.url))
        tab.goto((demo_survey / "map.html").as_uri())
        tab.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length > 4")
        yield tab, problems, failed
        browser.close()


@pytest.mark.browser
def test_map_loads_without_errors_and_only_basemap_tiles_need_the_network(page):
    tab, problems, failed = page
    assert problems == []
    # No network here: the only requests allowed to fail are the online OSM basemap tiles.
    assert all("tile.openstreetmap.org" in url for url in failed), failed
    assert tab.title().startswith("汕尾市碳汇与生态保护红线")


@pytest.mark.browser
def test_layer_control_lists_every_layer(page):
    tab, _, _ = page
    labels = [t.strip() for t in tab.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    assert labels == OVERLAYS


@pytest.mark.browser
def test_counties_are_drawn_where_they_are_on_the_ground(page):
    tab, _, _ = page
    # Leaflet projects lon/lat to pixels: the 陆河 (north) polygon must sit above the 城区 (south) one,
    # and the map's bounds must enclose the city's CGCS2000 extent (114.91–116.22°E, 22.63–23.48°N).
    bounds = tab.evaluate("""() => { for (const k in window) { if (k.startsWith('map_') && window[k].getBounds)
        { const b = window[k].getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; } } }""")
    assert bounds[0] <= 114.92 and bounds[1] <= 22.63 and bounds[2] >= 116.22 and bounds[3] >= 23.47
    tab.hover("#sinkmap-legend")
    shot = tab.screenshot()
    assert len(set(shot[1000:-1000:97])) > 50  # a non-blank picture


@pytest.mark.browser
def test_tooltip_shows_formatted_values_with_units(page):
    tab, _, _ = page
    box = tab.locator("path.leaflet-interactive").first.bounding_box()
    tab.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = tab.locator(".leaflet-tooltip").first
    tooltip.wait_for(timeout=5000)
    text = tooltip.inner_text()
    assert "%" in text and "km²" in text and "万m³" in text
