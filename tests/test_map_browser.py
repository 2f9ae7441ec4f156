"""The survey map in a real headless Chromium (Debian package, installed by make test)."""

import shutil

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")

CHROMIUM = shutil.which("chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
OVERLAYS = ["森林覆盖率 Forest cover", "土地覆盖 Land cover", "森林小班 Forest stands", "生态保护红线 Ecological redlines", "红树林 Mangroves",
            "沿海防护林带 Coastal shelterbelts",
            "盐沼、海草床与珊瑚礁 Salt marsh, seagrass, coral reef", "海水养殖 Mariculture",
            "修复片区（近似位置） Restoration sites (approximate)"]


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "chromium is not installed: run `make test` (it installs Debian's chromium)"
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(demo_survey, browser):
    tab = browser.new_page(viewport={"width": 1200, "height": 850})
    problems, failed = [], []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" and
           "Failed to load resource" not in msg.text else None)
    tab.on("requestfailed", lambda request: failed.append(request.url))
    tab.goto((demo_survey / "map.html").as_uri())
    tab.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length > 4")
    yield tab, problems, failed
    tab.close()


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


PAYLOADS = ['<img src=x onerror="window.__pwned=1">', "</script><script>window.__pwned=2</script>",
            "`${window.__pwned=3}`", "${alert(1)} & 'quotes'"]


@pytest.fixture(scope="module")
def hostile_map(tmp_path_factory):
    """`sinkmap map` of four features whose text fields carry script payloads, with no basemap."""
    import geopandas as gpd
    from click.testing import CliRunner
    from shapely.geometry import box

    from sinkmap.cli import cli

    folder = tmp_path_factory.mktemp("hostile")
    frame = gpd.GeoDataFrame({"patch_id": [f"M{i}" for i in range(4)], "species": PAYLOADS,
                              "status": ["existing"] * 4, "year": [2019, 2020, 2021, 2022]},
                             geometry=[box(115.30 + 0.02 * i, 22.80, 115.31 + 0.02 * i, 22.81) for i in range(4)],
                             crs=4490)
    frame.to_file(folder / "mangroves.gpkg", layer="mangroves")
    out = folder / "map.html"
    result = CliRunner().invoke(cli, ["map", str(folder / "mangroves.gpkg"), "--basemap", "none",
                                      "--title", "hostile test", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.browser
def test_payloads_in_popups_and_tooltips_show_as_text_and_never_run(hostile_map, browser):
    tab = browser.new_page(viewport={"width": 1000, "height": 700})
    problems, requests = [], []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    tab.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    tab.on("request", lambda request: requests.append(request.url) if not request.url.startswith(
        ("file:", "data:")) else None)
    tab.goto(hostile_map.as_uri())
    tab.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length == 4")
    shapes = tab.locator("path.leaflet-interactive")
    shown_popups, shown_tooltips = [], []
    for i in range(4):
        box = shapes.nth(i).bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        tab.mouse.move(x, y)  # wait for this feature's own tooltip and popup, not the previous one's
        tooltip = tab.locator(".leaflet-tooltip", has_text=f"M{i}").last
        tooltip.wait_for(timeout=5000)
        shown_tooltips.append(tooltip.inner_text())
        tab.mouse.click(x, y)
        popup = tab.locator(".leaflet-popup-content", has_text=f"M{i}")
        popup.wait_for(timeout=5000)
        shown_popups.append(popup.inner_text())
        tab.locator(".leaflet-popup-close-button").click()  # an open popup may cover the next shape's centre
        popup.wait_for(state="detached", timeout=5000)
    pwned = tab.evaluate("() => window.__pwned")
    title = tab.title()
    layers = tab.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    tab.close()
    assert problems == [] and requests == []  # no errors, no alert, and no network at all (--basemap none)
    assert pwned is None and title == "hostile test"
    for payload in PAYLOADS:  # each payload is displayed verbatim, as text, in some popup and tooltip
        assert any(payload in text for text in shown_popups), (payload, shown_popups)
        assert any(payload in text for text in shown_tooltips), (payload, shown_tooltips)
    assert any("营造或修复年份" in text and "2019" in text for text in shown_popups)  # catalogue label, plain year
    assert [t.strip() for t in layers] == ["红树林"]


@pytest.mark.browser
def test_landcover_layer_switches_on_with_its_class_legend(page):
    tab, problems, _ = page
    legend = tab.locator("#sinkmap-classes").inner_text()
    assert "土地覆盖 Land cover" in legend and "乔木林 Arbor forest" in legend and "红树林 Mangrove" in legend
    assert tab.locator("img.leaflet-image-layer").count() == 0  # off at first: the choropleth reads alone
    tab.locator(".leaflet-control-layers-overlays label", has_text="土地覆盖").locator("input").check()
    image = tab.locator("img.leaflet-image-layer")
    image.wait_for(timeout=5000)
    assert tab.evaluate("() => document.querySelector('img.leaflet-image-layer').naturalWidth") > 1000
    tab.locator(".leaflet-control-layers-overlays label", has_text="土地覆盖").locator("input").uncheck()
    assert problems == []


@pytest.mark.browser
def test_search_fullscreen_and_measure_controls_work_offline(hostile_map, browser):
    tab = browser.new_page(viewport={"width": 1000, "height": 700})
    problems = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.goto(hostile_map.as_uri())
    tab.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length == 4")
    assert tab.locator("a[title='全屏 Fullscreen']").count() == 1
    search = tab.locator(".sinkmap-search input")
    search.fill("m2")  # an id, any letter case: the popup of patch M2 opens
    search.press("Enter")
    tab.locator(".leaflet-popup-content").wait_for(timeout=5000)
    popup = tab.locator(".leaflet-popup-content").inner_text()
    assert "M2" in popup and "`${window.__pwned=3}`" in popup  # M2 carries the third payload, as text
    search.fill("no such stand")
    search.press("Enter")
    assert "rgb(255, 205, 210)" in search.evaluate("e => getComputedStyle(e).backgroundColor")
    # Measure: 0.1° of longitude at 22.8°N is 111.32 km · cos 22.8° ≈ 10.26 km on Leaflet's sphere.
    tab.locator("a[title^='测距']").click()
    tab.evaluate("""() => { for (const k in window) { if (k.startsWith('map_') && window[k].fire) {
        const m = window[k]; m.fire('click', {latlng: L.latLng(22.8, 115.3)});
        m.fire('click', {latlng: L.latLng(22.8, 115.4)}); } } }""")
    text = tab.locator(".sinkmap-measure").inner_text()
    assert text.startswith("≈ 10.2") and text.endswith("km"), text
    tab.close()
    assert problems == []


@pytest.mark.browser
def test_compact_features_decode_onto_the_input_coordinates(hostile_map, browser):
    from sinkmap.writers.compact import pixel_degrees

    tab = browser.new_page()
    tab.goto(hostile_map.as_uri())
    tab.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length == 4")
    features = tab.evaluate("""() => { const out = []; for (const k in window) {
        if (k.startsWith('geo_json_') && window[k].toGeoJSON) { out.push(...window[k].toGeoJSON().features); } }
        return out.map(f => [f.properties.patch_id, f.geometry.coordinates[0]]); }""")
    tab.close()
    assert sorted(p for p, _ in features) == ["M0", "M1", "M2", "M3"]
    # 0.01° boxes: detail zoom ⌈log2(360 · 64 / (256 · 0.01))⌉ = 14; grid step a quarter pixel there
    step = pixel_degrees(14, 22.81) / 4  # ≈ 1.98e-5° ≈ 2 m
    for patch, ring in features:
        i = int(patch[1])
        west, south, east, north = 115.30 + 0.02 * i, 22.80, 115.31 + 0.02 * i, 22.81
        assert len(ring) == 5
        for x, y in ring:
            assert min(abs(x - west), abs(x - east)) <= step / 2 + 1e-9
            assert min(abs(y - south), abs(y - north)) <= step / 2 + 1e-9


@pytest.mark.browser
def test_fill_legends_stack_without_overlapping_each_other_or_the_footer(page):
    tab, _, _ = page
    boxes = [tab.locator(f"#sinkmap-{kind}").bounding_box() for kind in ("mangroves", "coastal_habitats")]
    footer = tab.locator("#sinkmap-footer").bounding_box()
    assert "新造 planted" in tab.locator("#sinkmap-mangroves").inner_text()
    upper, lower = sorted(boxes, key=lambda b: b["y"])
    assert upper["y"] + upper["height"] <= lower["y"]  # stacked, not on top of each other
    assert lower["y"] + lower["height"] <= footer["y"]  # and clear of the footer


@pytest.mark.browser
def test_leaflet_attribution_and_scale_sit_above_the_footer(page):
    tab, _, _ = page
    footer = tab.locator("#sinkmap-footer").bounding_box()
    for selector in (".leaflet-control-attribution", ".leaflet-control-scale"):
        box = tab.locator(selector).bounding_box()
        assert box["y"] + box["height"] <= footer["y"] + 0.5, selector  # not hidden under the footer


# --- clicks reach the layer drawn on top ------------------------------------------------------------------

MAP = "window[Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map)]"
CLEAR = 0.0003  # °: ≈ 31 m (lon) to 33 m (lat) at 23°N, over the 17 m the counties' display outline may move
SHOWN = ("redlines", "mangroves", "shelterbelts", "coastal_habitats", "restoration_sites")  # on at opening


def clear_points(area, others, candidates):
    """``candidates`` ((lon, lat) pairs) inside ``area`` by at least CLEAR and at least CLEAR from every
    geometry of ``others`` (a GeoSeries), in the order given."""
    import shapely

    points = shapely.points(candidates)
    inside = shapely.contains(shapely.buffer(area, -CLEAR), points)
    near = set(others.sindex.query(shapely.buffer(points, CLEAR), predicate="intersects")[0])
    return [p for i, p in enumerate(points) if inside[i] and i not in near]


@pytest.fixture(scope="module")
def demo_layers(demo_survey):
    """The demo's stands, 海丰县 (441521) and the overlays shown at opening, in EPSG:4326 as the map draws them."""
    import geopandas as gpd
    import pandas as pd

    read = lambda layer: gpd.read_file(demo_survey / "survey.gpkg", layer=layer).to_crs(4326)  # noqa: E731
    county = read("units").set_index("adcode").loc["441521"]
    shown = pd.concat([read(layer).geometry for layer in SHOWN], ignore_index=True)
    return read("stands"), county, shown


def click_at(tab, lon: float, lat: float, zoom: int):
    """Centre the map on (lon, lat) at ``zoom`` once its opening fitBounds has ended; click there."""
    tab.wait_for_function(f"() => !{MAP}._animatingZoom && !{MAP}._panAnim?._inProgress")
    tab.evaluate(f"() => {MAP}.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    x, y = tab.evaluate(f"() => {{ const p = {MAP}.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }}")
    tab.mouse.move(x, y)
    tab.mouse.click(x, y)


@pytest.fixture(scope="module")
def stands_on(demo_survey, browser):
    """A tab of the demo map with the stands layer switched on (the page fixture's tab keeps it off)."""
    tab = browser.new_page(viewport={"width": 1200, "height": 850})
    problems = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.goto((demo_survey / "map.html").as_uri())
    tab.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length > 4")
    tab.locator(".leaflet-control-layers-overlays label", has_text="森林小班").locator("input").check()
    yield tab
    tab.close()
    assert problems == []


@pytest.mark.browser
def test_a_click_inside_a_stand_opens_its_popup_not_the_county_under_it(stands_on, demo_layers):
    stands, county, shown = demo_layers
    tab = stands_on
    # The first 海丰县 stand whose point_on_surface is well inside it and clear of the overlays drawn over it.
    haifeng = stands[stands["stand_id"].str.startswith("441521-")].sort_values("stand_id")
    stand, point = next((s, p) for s in haifeng.itertuples()
                        for p in clear_points(s.geometry, shown, [s.geometry.point_on_surface().coords[0]]))
    choropleth = tab.locator(".leaflet-control-layers-overlays label", has_text="森林覆盖率").locator("input")
    for switched in ("on at opening", "off and on again"):  # on again, it is drawn under the stands still
        if switched != "on at opening":
            tab.evaluate(f"() => {MAP}.closePopup()")  # its close button is under the layer control
            choropleth.uncheck()
            choropleth.check()
        click_at(tab, point.x, point.y, 15)  # 1 px ≈ 4.4 m at zoom 15: CLEAR is ≥ 7 px, the stand tens of px wide
        popup = tab.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        assert f"小班号 Stand\t{stand.stand_id}" in text and "海丰县" not in text, switched
        tooltips = tab.locator(".leaflet-tooltip").all_inner_texts()
        assert len(tooltips) == 1 and stand.stand_id in tooltips[0] and "海丰县" not in tooltips[0], switched


@pytest.mark.browser
def test_a_click_on_a_county_outside_every_stand_and_overlay_shows_its_formatted_values(stands_on, demo_layers):
    import numpy as np
    import pandas as pd

    from sinkmap.writers.format import format_number

    stands, county, shown = demo_layers
    tab = stands_on
    west, south, east, north = county.geometry.bounds
    grid = np.stack(np.meshgrid(np.linspace(west, east, 60), np.linspace(south, north, 60)), -1).reshape(-1, 2)
    point = clear_points(county.geometry, pd.concat([stands.geometry, shown], ignore_index=True), grid)[0]
    click_at(tab, point.x, point.y, 15)
    tooltip = tab.locator(".leaflet-tooltip", has_text="海丰县")
    tooltip.wait_for(timeout=5000)
    text = tooltip.inner_text()  # the survey's own numbers, formatted with their units: 45.0 %, 1,772.2 km², 267.4 万m³
    assert f"森林覆盖率\t{format_number(county['forest_cover_pct'], '%')}" in text
    assert f"土地面积 Land area\t{format_number(county['land_area_km2'], 'km²')}" in text
    assert f"蓄积量 Stock\t{format_number(county['stock_volume_wan_m3'], '万m³')}" in text
    tab.locator(".leaflet-popup-content").wait_for(state="detached", timeout=5000)  # no popup: no stand is there
