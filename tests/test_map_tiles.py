"""Layers too large for the page: grid summary inline, each feature in tile scripts beside the page
(sinkmap/writers/tiles.py), checked in Python and in a real headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from pyproj import Geod
from shapely.geometry import Point, box

from sinkmap.cli import cli
from sinkmap.crs import AREA_CRS
from sinkmap.errors import OutputError
from sinkmap.pipelines.map import layers_map, write_page
from sinkmap.writers.staging import staged_dir
from sinkmap.writers.tilecut import row_latitude, tile_x, tile_y
from sinkmap.writers.tiles import is_tile_folder, tiled_layer, tiled_layers, write_map
from sinkmap.writers.webmap import MapLayer

FIELDS = ["stand_id", "species_group", "area_ha"]
LABELS = ["小班号 Stand", "树种组 Species group", "面积 Area"]
WEST, SOUTH, DX, DY = 115.30, 22.90, 0.001, 0.0009  # °: the grid of test stands, ≈ 102 m × 100 m each


def grid_stands(nx: int = 60, ny: int = 50) -> gpd.GeoDataFrame:
    """nx × ny square stands (EPSG:4490), numbered row by row from the south-west."""
    geoms = [box(WEST + i * DX, SOUTH + j * DY, WEST + (i + 1) * DX, SOUTH + (j + 1) * DY)
             for j in range(ny) for i in range(nx)]
    n = len(geoms)
    return gpd.GeoDataFrame({"stand_id": [f"S{k:05d}" for k in range(n)],
                             "species_group": np.array(["masson_pine", "eucalyptus", "acacia"])[np.arange(n) % 3],
                             "area_ha": np.round(1.0 + (np.arange(n) % 7) / 10, 2)}, geometry=geoms, crs=4490)


def stands_layer(frame: gpd.GeoDataFrame) -> MapLayer:
    return MapLayer(frame, "森林小班 Forest stands", FIELDS, LABELS, {"area_ha": "ha"})


def hectare_squares() -> gpd.GeoDataFrame:
    """Four 100 m × 100 m squares (1 ha each, drawn in the equal-area CRS) around the centre of one zoom-17
    grid cell, and one more 0.05° east."""
    x, y = int(tile_x(115.3, 17)), int(tile_y(22.9, 17))
    lon = (x + 0.5) / 2 ** 17 * 360 - 180
    lat = float(row_latitude(y + 0.5, 17))
    centres = gpd.GeoSeries.from_xy([lon, lon + 0.05], [lat, lat], crs=4490).to_crs(AREA_CRS)
    (cx, cy), (fx, fy) = [(p.x, p.y) for p in centres]
    squares = [box(cx + dx, cy + dy, cx + dx + 100, cy + dy + 100) for dx in (-100, 0) for dy in (-100, 0)]
    squares.append(box(fx, fy, fx + 100, fy + 100))
    frame = gpd.GeoDataFrame({"stand_id": [f"H{k}" for k in range(5)], "species_group": "acacia", "area_ha": 1.0},
                             geometry=squares, crs=AREA_CRS).to_crs(4490)
    return frame, (x, y)


def test_grid_summary_of_four_one_hectare_stands_in_one_cell():
    frame, (x, y) = hectare_squares()
    spec = tiled_layer(stands_layer(frame), "stands").spec
    # 100 m squares: detail zoom 17, features shown from 15, the finest grid 15 − 1 + 3 = 17 (32 px at 14).
    assert (spec["detailZoom"], spec["showZoom"], spec["tileZoom"]) == (17, 15, 14)
    level = {lv["z"]: lv for lv in spec["summary"]["levels"]}[17]
    cells = dict(zip(zip(np.cumsum(level["x"]), np.cumsum(level["y"])), zip(level["n"], level["a"], level["v"])))
    count, area, share = cells[(x, y)]
    assert (count, area) == (4, 4.0)  # 4 stands of 1 ha each: 4 ha
    assert sorted(n for n, _, _ in cells.values()) == [1, 4]  # the fifth stand in a cell of its own
    # Share: 4 ha over the cell's ground area, from pyproj's geodesic area of its four corners (GRS80).
    west, east = x / 2 ** 17 * 360 - 180, (x + 1) / 2 ** 17 * 360 - 180
    north, south = float(row_latitude(y, 17)), float(row_latitude(y + 1, 17))
    cell_ha = abs(Geod(ellps="GRS80").polygon_area_perimeter([west, east, east, west], [south, south, north, north])[0]) / 1e4
    assert share == pytest.approx(100 * 4 / cell_ha, rel=0.005)  # ≈ 5.0 %: a 282 m × 260 m cell is ≈ 7.3 ha


def test_a_layer_within_the_budget_stays_inline(tmp_path):
    fmap = layers_map([stands_layer(grid_stands(10, 10))], basemap="none", tile_from=100)
    assert tiled_layers(fmap) == []
    assert write_map(fmap, tmp_path / "map.html") == [tmp_path / "map.html"]
    assert "S00099" in (tmp_path / "map.html").read_text(encoding="utf-8")  # each stand inline, as before
    assert not (tmp_path / "map_tiles").exists()


def decode(doc: dict, spec: dict) -> dict[int, list[list[tuple[float, float]]]]:
    """A tile document → feature number → rings of (lon, lat), as the page's decoder reads it."""
    out, c, ci, pi, ri, fid = {}, doc["c"], 0, 0, 0, 0
    for f, step_id in enumerate(doc["i"]):
        fid += step_id
        rings = []
        for _ in range(doc["p"][f]):
            for _ in range(doc["r"][pi]):
                n, gx, gy = doc["v"][ri], doc["o"][0] + c[ci], doc["o"][1] + c[ci + 1]
                ring, ci = [(gx, gy)], ci + 2
                for _ in range(n - 1):
                    gx, gy, ci = gx + c[ci], gy + c[ci + 1], ci + 2
                    ring.append((gx, gy))
                rings.append([(spec["origin"][0] + a * spec["step"], spec["origin"][1] + b * spec["step"]) for a, b in ring])
                ri += 1
            pi += 1
        out[fid] = rings
    return out


def test_tile_scripts_hold_every_stand_on_its_grid_and_nothing_else(tmp_path):
    frame = grid_stands(60, 50)
    fmap = layers_map([stands_layer(frame)], basemap="none", tile_from=300)
    written = write_map(fmap, tmp_path / "map.html")
    assert written == [tmp_path / "map.html", tmp_path / "map_tiles"] and is_tile_folder(tmp_path / "map_tiles")
    spec = tiled_layers(fmap)[0].spec
    seen: dict[int, list] = {}
    for path in sorted((tmp_path / "map_tiles" / "layer1" / "14").glob("*/*.js")):
        key, x, y, doc = re.fullmatch(r'sinkmapTile\("(\w+)",(\d+),(\d+),(.*)\);\n', path.read_text("utf-8")).groups()
        assert (key, int(x), int(y)) == ("layer1", int(path.parent.name), int(path.stem))
        doc = json.loads(doc)
        stand_ids = [spec["dicts"][0][k] if spec["dicts"][0] else k for k in doc["a"][0]]
        for (fid, rings), stand in zip(decode(doc, spec).items(), stand_ids):
            assert stand == f"S{fid:05d}"  # feature numbers are the layer's rows
            seen[fid] = rings
    assert sorted(seen) == list(range(3000))  # every stand in some tile (stands on a tile edge in several)
    step = spec["step"]  # a quarter pixel at zoom 17: the squares' corners come back within half a step
    for fid in (0, 1234, 2999):
        expected = np.asarray(frame.geometry.iloc[fid].exterior.coords)
        assert np.abs(np.asarray(seen[fid][0]) - expected).max() <= step / 2 + 1e-12
    page = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert "S01234" not in page and "sinkmapTiledLayer(" in page  # no stand in the page, only the summary


def test_a_classed_fill_travels_with_each_feature_but_not_into_its_popup():
    frame = grid_stands(30, 20)
    colours = np.where(frame["species_group"] == "acacia", "#ff0000", "#00ff00").tolist()
    spec = tiled_layer(replace(stands_layer(frame), fills=colours), "stands").spec
    assert spec["fields"] == [*FIELDS, "_fill"] and spec["fill"] == 3 and len(spec["labels"]) == 3
    assert sorted(spec["dicts"][3]) == ["#00ff00", "#ff0000"] and spec["style"]["fillOpacity"] == 0.75


def test_the_tile_folder_is_replaced_whole_and_removed_when_a_later_map_needs_none(tmp_path):
    out = tmp_path / "stands.html"
    write_page(layers_map([stands_layer(grid_stands(60, 50))], basemap="none", tile_from=300), out)
    old = sorted(p.relative_to(tmp_path) for p in (tmp_path / "stands_tiles").rglob("*.js"))
    assert old and (tmp_path / "stands_tiles" / "README.txt").is_file()
    write_page(layers_map([stands_layer(grid_stands(20, 10))], basemap="none", tile_from=100), out)
    new = sorted(p.relative_to(tmp_path) for p in (tmp_path / "stands_tiles").rglob("*.js"))
    assert new and set(new) < set(old)  # the smaller map's tiles only: no tile of the first map left
    write_page(layers_map([stands_layer(grid_stands(10, 10))], basemap="none", tile_from=300), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stands.html"]  # inline now: the tile folder goes
    foreign = tmp_path / "stands_tiles"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not a tile folder sinkmap wrote"):
        write_page(layers_map([stands_layer(grid_stands(60, 50))], basemap="none", tile_from=300), out)
    assert (foreign / "notes.txt").read_text() == "mine"


def test_survey_staging_moves_the_tile_folder_in_and_removes_it_when_not_written(tmp_path):
    from sinkmap.survey.outputs import SIDECARS

    fmap = layers_map([stands_layer(grid_stands(60, 50))], basemap="none", tile_from=300)
    with staged_dir(tmp_path, optional=SIDECARS) as stage:  # as survey.outputs.write_outputs
        write_map(fmap, stage / "map.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html", "map_tiles"]
    with staged_dir(tmp_path, optional=SIDECARS) as stage:
        write_map(layers_map([stands_layer(grid_stands(10, 10))], basemap="none"), stage / "map.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_survey_map_tiles_a_large_stand_layer_and_keeps_it_switched_off():
    from sinkmap import aoi
    from sinkmap.writers.map import survey_map

    counties = aoi.load_counties().assign(forest_cover=50.0, land_area=100.0, stock_volume=10.0)
    fmap = survey_map(counties, {"stands": grid_stands(60, 50)}, column="forest_cover", label=("森林覆盖率", "Forest cover"),
                      unit="%", attributions=[], synthetic=True, survey_year=2025, basemap="none", tile_from=300)
    [layer] = tiled_layers(fmap)
    assert (layer.key, layer.show, layer.layer_name) == ("stands", False, "森林小班 Forest stands")
    assert layer.spec["labels"][:2] == ["小班号 Stand", "树种组 Species group"]
    assert "马尾松 masson_pine" in layer.spec["dicts"][1]  # coded values shown as "中文 code", as inline


# --- in Chromium -------------------------------------------------------------------------------------------

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
LAYER = "Object.values(window.sinkmapTiled)[0]"


def settle(tab) -> None:
    """Wait for the page's opening zoom to the data (an animated fitBounds) to end: a view set while it runs
    is undone when it ends (Leaflet's _onZoomTransitionEnd moves to the animation's target; 4 runs in 15)."""
    tab.wait_for_function(f"() => !{LAYER}._map._animatingZoom && !{LAYER}._map._panAnim?._inProgress")


@pytest.fixture
def playwright():
    """playwright.sync_api (the browser tests only: the tests above run without it)."""
    return pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")


@pytest.fixture(scope="module")
def tiled_page(tmp_path_factory):
    """`sinkmap map` of 3,000 stands with --tile-from 300 and no basemap."""
    folder = tmp_path_factory.mktemp("tiled")
    grid_stands(60, 50).to_file(folder / "stands.gpkg", layer="stands")
    out = folder / "map.html"
    result = CliRunner().invoke(cli, ["map", str(folder / "stands.gpkg"), "--basemap", "none", "--tile-from", "300",
                                      "--popup-fields", ",".join(FIELDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.browser
def test_tiled_page_summary_then_stands_from_tile_scripts_with_popups(tiled_page, playwright):
    chromium_path = shutil.which("chromium")
    assert chromium_path, "chromium is not installed: run `make test` (it installs Debian's chromium)"
    assert tiled_page.stat().st_size < 400_000  # Leaflet and the summary; inline, the stands alone were ≈ 400 KB
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        tab = browser.new_page(viewport={"width": 1200, "height": 850})
        problems, requests = [], []
        tab.on("pageerror", lambda error: problems.append(str(error)))
        tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        tab.on("request", lambda request: requests.append(request.url))
        tab.goto(tiled_page.as_uri())
        tab.wait_for_function(f"() => {LAYER}._cellsDrawn > 0")
        zoom, show = tab.evaluate(f"() => [{LAYER}._map.getZoom(), {LAYER}._spec.showZoom]")
        assert zoom < show == 15
        counts = tab.evaluate("() => { let n = 0; " + LAYER + "._cells.eachLayer(c => { n += Number(c.getTooltip()"
                              ".getContent().match(/Features: ([0-9,]+)/)[1].replace(/,/g, '')); }); return n; }")
        assert counts == 3000  # every stand counted once in the cells drawn (all in view)
        assert "格网汇总 Grid summary" in tab.locator("#sinkmap-layer1-summary").inner_text()
        assert tab.evaluate(f"() => {LAYER}.featureCount()") == 0 and not any("map_tiles" in u for u in requests)

        settle(tab)
        tab.evaluate(f"() => {{ {LAYER}._map.setView([{SOUTH + 25 * DY}, {WEST + 30 * DX}], 15, {{animate: false}}); }}")
        tab.wait_for_function(f"() => {LAYER}.idle() && {LAYER}.featureCount() > 0")
        scripts = [u for u in requests if "/map_tiles/layer1/14/" in u]
        assert scripts and all(u.startswith("file://") for u in requests)  # tile scripts, read from disk only
        ids = tab.evaluate(f"() => {{ const ids = []; {LAYER}._detail.eachLayer(l => ids.push(l.feature.properties.stand_id)); return ids; }}")
        assert len(ids) == len(set(ids)) == tab.evaluate(f"() => {LAYER}.featureCount()")  # edge stands drawn once
        assert tab.locator("#sinkmap-layer1-summary").is_hidden()
        lon, lat = tab.evaluate(f"() => {{ const ll = {LAYER}._map.containerPointToLatLng([600, 400]); return [ll.lng, ll.lat]; }}")
        tab.mouse.click(600, 400)
        popup = tab.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        i, j = int((lon - WEST) / DX), int((lat - SOUTH) / DY)
        stand = grid_stands().iloc[j * 60 + i]  # the square under the click
        assert f"小班号 stand_id\tS{j * 60 + i:05d}" in text  # the catalogue's labels: a known layer kind
        assert f"面积 area_ha (ha)\t{stand['area_ha']:.2f} ha" in text and "优势树种组 species_group\t" in text

        tab.evaluate(f"() => {{ {LAYER}._map.setZoom(13, {{animate: false}}); }}")  # out again: stands unloaded
        tab.wait_for_function(f"() => {LAYER}._cellsDrawn > 0")
        assert tab.evaluate(f"() => [{LAYER}.featureCount(), {LAYER}._detail.getLayers().length]") == [0, 0]
        browser.close()
    assert problems == []


@pytest.mark.browser
def test_survey_map_stands_switched_on_open_their_popups_over_the_county_choropleth(tmp_path, playwright):
    from sinkmap import aoi
    from sinkmap.writers.map import survey_map

    counties = aoi.load_counties().assign(forest_cover=50.0, land_area=100.0, stock_volume=10.0)
    fmap = survey_map(counties, {"stands": grid_stands(60, 50)}, column="forest_cover", label=("森林覆盖率", "Forest cover"),
                      unit="%", attributions=[], synthetic=True, survey_year=2025, basemap="none", tile_from=300)
    write_map(fmap, tmp_path / "map.html")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        tab = browser.new_page(viewport={"width": 1200, "height": 850})
        problems = []
        tab.on("pageerror", lambda error: problems.append(str(error)))
        tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        tab.goto((tmp_path / "map.html").as_uri())
        tab.locator(".leaflet-control-layers-overlays label", has_text="森林小班").locator("input").check()
        tab.wait_for_function(f"() => {LAYER}._cellsDrawn > 0")
        settle(tab)
        tab.evaluate(f"() => {{ {LAYER}._map.setView([{SOUTH + 25.5 * DY}, {WEST + 30.5 * DX}], 16, {{animate: false}}); }}")
        tab.wait_for_function(f"() => {LAYER}.idle() && {LAYER}.featureCount() > 0")
        x, y = tab.evaluate(f"() => {{ const p = {LAYER}._map.latLngToContainerPoint([{SOUTH + 25.5 * DY}, "
                            f"{WEST + 30.5 * DX}]); return [p.x, p.y]; }}")
        tab.mouse.click(x, y)  # the middle of stand 25 × 60 + 30, inside 海丰县's polygon
        popup = tab.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        # 0.015° north of the stands, ≥ 0.002° (≈ 200 m) inside 海丰县: the county's tooltip, not the canvas's void
        assert counties.to_crs(4326).set_index("adcode").loc["441521"].geometry.buffer(-0.002).contains(
            Point(WEST + 30 * DX, SOUTH + 50 * DY + 0.015))
        tab.evaluate(f"() => {{ {LAYER}._map.setView([{SOUTH + 50 * DY + 0.015}, {WEST + 30 * DX}], 16, {{animate: false}}); }}")
        x, y = tab.evaluate(f"() => {{ const p = {LAYER}._map.latLngToContainerPoint([{SOUTH + 50 * DY + 0.015}, "
                            f"{WEST + 30 * DX}]); return [p.x, p.y]; }}")
        tab.mouse.move(x, y)
        tab.mouse.click(x, y)
        county = tab.locator(".leaflet-tooltip", has_text="海丰县")
        county.wait_for(timeout=5000)
        county_text = county.inner_text()
        popup.wait_for(state="detached", timeout=5000)  # the stand's popup closed; no other opened
        browser.close()
    assert "小班号 Stand\tS01530" in text and "面积 Area\t" in text
    assert "森林覆盖率\t50.0 %" in county_text
    assert problems == []
