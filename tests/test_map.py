"""`sinkmap map`: layers, labels, units, escaping, basemaps and bad input (no browser needed)."""

import json
import re

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from sinkmap.cli import cli
from sinkmap.writers.webmap import display_text, escaped

PAYLOADS = ['<img src=x onerror="window.__pwned=1">', "</script><script>window.__pwned=2</script>",
            "`${window.__pwned=3}`", "O'Brien & \"sons\""]


@pytest.fixture
def stands_file(tmp_path):
    # Two stands in Shanwei (CGCS2000) with hand-checkable attributes, plus hostile text.
    frame = gpd.GeoDataFrame(
        {"stand_id": ["S1", "S2"], "area_ha": [0.4, 1250.0], "volume_per_ha": [35.2, 80.0],
         "canopy_closure": [0.35, 0.7], "note": PAYLOADS[:2]},
        geometry=[box(115.30, 22.80, 115.31, 22.81), box(115.32, 22.80, 115.33, 22.81)], crs=4490)
    path = tmp_path / "stands.gpkg"
    frame.to_file(path, layer="stands")
    return path


@pytest.fixture
def points_file(tmp_path):
    frame = gpd.GeoDataFrame({"name": PAYLOADS[2:]}, geometry=[Point(115.35, 22.8), Point(115.36, 22.8)],
                             crs=4326)
    path = tmp_path / "points.geojson"
    frame.to_file(path)
    return path


def js(text: str) -> str:
    """``text`` as folium writes it inside JSON (non-ASCII as \\u escapes)."""
    return json.dumps(text)[1:-1]


def run(*args):
    return CliRunner().invoke(cli, ["map", *map(str, args)])


def test_numbers_show_with_units_and_enough_decimals():
    assert display_text(0.4, "ha") == "0.40 ha"  # small: two decimals, never "0 ha"
    assert display_text(1250.0, "ha") == "1,250 ha"  # the unit's usual decimals (ha: 0)
    assert display_text(35.2, "m³/ha") == "35.20 m³/ha"
    assert display_text(0.35, "1") == "0.35"  # dimensionless closure: no unit text
    assert display_text(2019, "year") == "2019"
    assert display_text(None, "ha") == ""


def test_every_payload_is_escaped_before_it_reaches_the_page():
    frame = gpd.GeoDataFrame({"v": PAYLOADS}, geometry=[Point(0, 0)] * 4, crs=4326)
    shown = escaped(frame, ["v"])["v"].tolist()
    assert shown[0] == "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;"
    assert shown[1] == "&lt;/script&gt;&lt;script&gt;window.__pwned=2&lt;/script&gt;"
    assert shown[3] == "O&#x27;Brien &amp; &quot;sons&quot;"


def test_map_of_two_files_is_offline_with_catalogue_labels(stands_file, points_file, tmp_path):
    out = tmp_path / "map.html"
    result = run(stands_file, points_file, "--basemap", "none", "-o", out)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<script src=" not in page and "<link " not in page  # nothing from a CDN
    assert "tile.openstreetmap.org" not in page
    assert "<title>森林小班 · points</title>" in page  # catalogue's Chinese title; unknown kind: file name
    assert js("每公顷蓄积 volume_per_ha (m³/ha)") in page  # field label: Chinese name, field, unit
    assert js("35.20 m³/ha") in page and "0.40 ha" in page and "1,250 ha" in page
    assert "<img src=x" not in page and "window.__pwned=2</script>" not in page
    assert "sinkmap" in page and "SYNTHETIC" not in page  # our fixture is not demo data


def test_english_labels_and_osm_credit(stands_file, tmp_path):
    out = tmp_path / "map.html"
    assert run(stands_file, "--lang", "en", "-o", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert js("volume_per_ha (m³/ha)") in page and js("每公顷蓄积") not in page
    assert "<title>Forest stands</title>" in page
    assert "© OpenStreetMap contributors (ODbL)" in page


def test_tianditu_needs_a_key_and_uses_the_cgcs2000_tile_set(stands_file, tmp_path, monkeypatch):
    out = tmp_path / "map.html"
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    result = run(stands_file, "--basemap", "tianditu", "-o", out)
    assert result.exit_code == 2 and "TIANDITU_KEY" in result.output and not out.exists()
    monkeypatch.setenv("TIANDITU_KEY", "abc123")
    assert run(stands_file, "--basemap", "tianditu", "-o", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "TILEMATRIXSET=w" in page and "tk=abc123" in page  # "w": Web Mercator on CGCS2000, not GCJ-02


def test_gcj02_layers_are_moved_back_onto_the_ground(tmp_path):
    # GCJ-02 sits ≈ 500 m east and ≈ 300 m south of the ground here, so converting moves a point west
    # by 500 m / (111.32 km · cos 22.8°) ≈ 0.0049° and north by ≈ 300 m / 110.7 km ≈ 0.0027°.
    path = tmp_path / "gcj.geojson"
    gpd.GeoDataFrame({"name": ["p"]}, geometry=[Point(115.3750, 22.7850)], crs=4326).to_file(path)
    from sinkmap.pipelines.map import read_map_layer

    plain, moved = read_map_layer(path), read_map_layer(path, gcj02=True)
    dx = plain.frame.geometry.x.iloc[0] - moved.frame.geometry.x.iloc[0]
    dy = plain.frame.geometry.y.iloc[0] - moved.frame.geometry.y.iloc[0]
    assert 0.004 < dx < 0.006 and -0.0035 < dy < -0.002


def test_demo_inputs_are_labelled_synthetic(demo_survey, tmp_path):
    out = tmp_path / "map.html"
    assert run(demo_survey / "inputs" / "mangroves.gpkg", "--basemap", "none", "-o", out).exit_code == 0
    assert "SYNTHETIC DEMO DATA" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("args, message", [
    (["landcover.tif"], "is a raster"),
    (["missing.gpkg"], "file not found"),
    (["stands.gpkg", "--popup-fields", "nope"], "--popup-fields ['nope'] not in any layer"),
    (["stands.gpkg", "-o", "no/such/dir/map.html"], "output folder does not exist"),
])
def test_bad_input_is_one_line_and_no_file(stands_file, tmp_path, args, message):
    (tmp_path / "landcover.tif").write_bytes(b"not a raster")
    args = [str(tmp_path / a) if a.endswith((".tif", ".gpkg")) else a for a in args]
    out = [] if "-o" in args else ["-o", str(tmp_path / "map.html")]
    if "-o" in args:
        args[args.index("-o") + 1] = str(tmp_path / args[args.index("-o") + 1])
    result = CliRunner().invoke(cli, ["map", *args, *out])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "map.html").exists()


def test_landcover_overlay_colours_classes_and_keeps_nodata_transparent(tmp_path):
    import io

    import numpy as np
    import rasterio
    from PIL import Image
    from rasterio.transform import from_origin

    from sinkmap.crs import WEB_MERCATOR
    from sinkmap.readers.raster import class_image
    from sinkmap.writers.overlay import landcover_overlay

    # 4×4 WorldCover codes at 0.01°: left half tree cover (10 → forest #1b7837), right half water
    # (80 → #4575b4), the bottom-right cell nodata (0).
    codes = np.array([[10, 10, 80, 80]] * 4, dtype="uint8")
    codes[3, 3] = 0
    path = tmp_path / "lc.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8", crs="EPSG:4326",
                       transform=from_origin(115.0, 23.0, 0.01, 0.01), nodata=0) as dst:
        dst.write(codes, 1)
    overlay = landcover_overlay(class_image(path, "worldcover", WEB_MERCATOR))
    (south, west), (north, east) = overlay.bounds
    assert (west, east) == pytest.approx((115.0, 115.04), abs=1e-9)
    assert (south, north) == pytest.approx((22.96, 23.0), abs=1e-4)  # Mercator round trip
    pixels = np.asarray(Image.open(io.BytesIO(overlay.png)).convert("RGBA"))
    assert tuple(pixels[0, 0]) == (0x1b, 0x78, 0x37, 255) and tuple(pixels[0, -1]) == (0x45, 0x75, 0xb4, 255)
    assert pixels[-1, -1, 3] == 0  # nodata: fully transparent
    assert [zh for _, zh, _ in overlay.legend] == ["乔木林", "水体"]
    assert overlay.data_uri().startswith("data:image/png;base64,")


def test_classes_follow_mapclassify_and_colour_each_feature(tmp_path):
    from sinkmap.writers.classify import classify

    # Equal interval over 0…100 in 4 classes: breaks 25, 50, 75, 100 (mapclassify bins are upper-inclusive).
    classes = classify([0, 10, 30, 60, 100, np.nan], scheme="equal_interval", k=4)
    assert classes.breaks == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert [classes.colour_of(v) for v in (25, 26, 100)] == [classes.colours[0], classes.colours[1],
                                                             classes.colours[3]]
    assert classes.colour_of(np.nan) == "#cccccc" and len(set(classes.colours)) == 4
    path = tmp_path / "stock.gpkg"
    gpd.GeoDataFrame({"id": ["a", "b"], "stock_m3": [10.0, 90.0]},
                     geometry=[box(115.3, 22.8, 115.31, 22.81), box(115.32, 22.8, 115.33, 22.81)],
                     crs=4490).to_file(path)
    out = tmp_path / "map.html"
    result = run(path, "--color-by", "stock_m3", "--scheme", "equal_interval", "-k", "2", "--basemap", "none",
                 "-o", out)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    two = classify([10.0, 90.0], scheme="equal_interval", k=2)  # breaks 10, 50, 90
    assert two.breaks == [10.0, 50.0, 90.0]
    assert f'"fillColor": "{two.colours[0]}"' in page and f'"fillColor": "{two.colours[1]}"' in page  # styler
    assert "10–50" in page and "50–90" in page  # legend rows
    bad = run(path, "--color-by", "id", "-o", out)
    assert bad.exit_code == 2 and "has no numbers" in bad.output


def test_static_report_map_draws_overlays_in_their_colours():
    import io

    from PIL import Image

    from sinkmap.aoi import load_counties
    from sinkmap.writers.charts import choropleth_png

    counties = load_counties().assign(cover=[30.0, 45.0, 64.0, 38.0])
    square = gpd.GeoDataFrame(geometry=[box(115.50, 23.05, 115.60, 23.15)], crs=4490)  # ≈ 10 km, inland
    style = {"color": "#ff00ff", "fillColor": "#ff00ff", "fillOpacity": 0.8}
    plain = choropleth_png(counties, "cover", [0, 50, 100], ["#eeeeee", "#006837"], title="t", unit="%")
    drawn = choropleth_png(counties, "cover", [0, 50, 100], ["#eeeeee", "#006837"], title="t", unit="%",
                           overlays=[("magenta test", square, style)])

    def magenta(png):
        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
        return int(((pixels[:, 0] > 240) & (pixels[:, 1] < 30) & (pixels[:, 2] > 240)).sum())

    assert magenta(plain) == 0 and magenta(drawn) > 500  # the square (and its legend swatch) in magenta


def test_labels_stay_with_their_fields_when_a_layer_lacks_one(tmp_path):
    # --popup-fields applies to every layer; a layer without `b` must label `c` as "C", not as "B".
    import folium

    from sinkmap.writers.webmap import MapLayer, add_vector_layer

    frame = gpd.GeoDataFrame({"a": ["x"], "c": ["z"]}, geometry=[box(115.3, 22.8, 115.31, 22.81)], crs=4490)
    fmap = folium.Map(tiles=None)
    add_vector_layer(fmap, MapLayer(frame, "t", ["a", "b", "c"], ["A", "B", "C"]))
    page = fmap.get_root().render()
    assert 'aliases = ["A", "C"]' in page and '"B"' not in page


@pytest.mark.parametrize("as_paths", [True, False], ids=["paths", "burnt"])
def test_static_landcover_map_colours_classes_and_draws_stands(tmp_path, monkeypatch, as_paths):
    """Also with the outlines burnt into one image, as for more than OUTLINES_AS_PATHS stands (10⁶ paths would
    take ~1.4 GB): the same pixels change."""
    import io

    import rasterio
    from PIL import Image
    from rasterio.transform import from_bounds

    from sinkmap.aoi import load_counties
    from sinkmap.crs import AREA_CRS
    from sinkmap.readers.raster import class_image
    from sinkmap.writers import charts
    from sinkmap.writers.charts import landcover_png
    from sinkmap.writers.overlay import class_colours

    counties = load_counties()
    west, south, east, north = counties.total_bounds
    codes = np.full((100, 200), 10, dtype="uint8")  # WorldCover 10 tree cover in the west half …
    codes[:, 100:] = 50  # … 50 built-up in the east half
    path = tmp_path / "lc.tif"
    with rasterio.open(path, "w", driver="GTiff", width=200, height=100, count=1, dtype="uint8", crs="EPSG:4490",
                       transform=from_bounds(west, south, east, north, 200, 100), nodata=0) as dst:
        dst.write(codes, 1)
    colours = class_colours("worldcover")

    def count(png, hex_colour):
        rgb = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
        return int((np.abs(pixels.astype(int) - rgb).sum(axis=1) <= 6).sum())

    image = class_image(path, "worldcover", AREA_CRS.to_wkt())
    plain = landcover_png(counties, image, title="t")
    assert count(plain, colours[10][0]) > 50_000 and count(plain, colours[50][0]) > 50_000  # both halves
    stand = gpd.GeoDataFrame(geometry=[box(115.50, 23.05, 115.60, 23.15).buffer(0.02)], crs=4490)
    if not as_paths:
        monkeypatch.setattr(charts, "OUTLINES_AS_PATHS", 0)
    with_stands = landcover_png(counties, image, title="t", stands=stand)
    a, b = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int) for png in (plain, with_stands))
    changed = np.abs(a - b).max(axis=2) > 10
    width = changed.shape[1]
    # The ≈ 14 km square stand sits at 45–55 % of the map's width, clear of the legend (upper left):
    # its outline changes a few hundred pixels there (≈ 56 km of line at ≈ 7 px/km).
    assert changed[:, int(0.40 * width):int(0.60 * width)].sum() > 150
    assert count(with_stands, "#1b5e20") > 0 == count(plain, "#1b5e20")  # and its legend swatch


def test_survey_gpkg_maps_any_indicator_with_its_name_and_unit(demo_survey, tmp_path):
    from sinkmap.writers.format import class_bound

    assert (class_bound(22722.4), class_bound(48.7512), class_bound(0.123456)) == ("22,722", "48.75", "0.1235")  # never 2.272e+04
    out = tmp_path / "sink.html"
    # survey.gpkg holds every analysis layer: the county indicators are layer `units`
    result = run(demo_survey / "survey.gpkg", "--layer", "units", "--color-by", "carbon_sink_t_co2e_per_yr",
                 "--scheme", "equal_interval", "-k", "2", "--basemap", "none", "-o", out)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    legend = re.search(r'<div id="sinkmap-legend".*?</div></div>', page).group(0)
    assert "年碳汇量（蓄积差法） (t CO₂e/yr) · equal_interval" in legend and "e+0" not in legend
    assert "SYNTHETIC DEMO DATA" in page
    bad = run(demo_survey / "survey.gpkg", "--layer", "nope", "-o", out)
    assert bad.exit_code == 2 and "has no layer 'nope'" in bad.output and "units, stands, redlines" in bad.output
    unnamed = run(demo_survey / "survey.gpkg", "-o", out)  # several layers with geometries: say which
    assert unnamed.exit_code == 2 and "--layer" in unnamed.output


def test_geometry_collections_are_refused_with_the_fix(tmp_path):
    from shapely.geometry import GeometryCollection

    path = tmp_path / "mixed.geojson"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[GeometryCollection([Point(115.3, 22.8), box(115.3, 22.8, 115.31, 22.81)])],
                     crs=4326).to_file(path)
    out = tmp_path / "map.html"
    result = run(path, "-o", out)
    assert result.exit_code == 2 and "1 features are GeometryCollections" in result.output
    assert "-explodecollections" in result.output and not out.exists()


def test_land_cover_image_leaves_masked_and_nan_cells_transparent(tmp_path):
    """The map's land-cover layer of a raster delivered with a GDAL mask band, and of a float32 class
    raster with NaN nodata (which crashed: int(NaN)); 30 m cells, drawn at their own size."""
    import rasterio as rio

    from sinkmap.crs import AREA_CRS
    from sinkmap.readers.raster import class_image
    from sinkmap.writers.overlay import classes_image
    from tests.conftest import LC4X4
    from tests.test_zonal_masks import PROFILE, internal_mask

    masked = internal_mask(tmp_path / "masked.tif")  # top-right 2 × 2 (class 20) masked
    alpha = classes_image(class_image(masked, "worldcover", AREA_CRS.to_wkt()))[0][..., 3]
    # masked block and the two undeclared 0-cells (no WorldCover class) transparent, the rest opaque
    assert (alpha == 0).tolist() == [[False, False, True, True], [False, False, True, True],
                                     [False, False, False, True], [False, False, False, True]]
    codes = LC4X4.astype("float32")
    codes[3, 3] = np.nan
    with rio.open(tmp_path / "float.tif", "w", **{**PROFILE, "dtype": "float32", "nodata": np.nan}) as dst:
        dst.write(codes, 1)
    alpha = classes_image(class_image(tmp_path / "float.tif", "worldcover", AREA_CRS.to_wkt()))[0][..., 3]
    assert int((alpha == 0).sum()) == 2  # the NaN cell and the 0-cell above it


def test_units_without_a_value_are_grey_with_a_legend_entry():
    from sinkmap.writers.map import legend_html, survey_map

    units = gpd.GeoDataFrame({"adcode": ["441523", "441581"], "name_zh": ["陆河县", "陆丰市"],
                              "name_en": ["Luhe", "Lufeng"], "forest_cover": [63.7, np.nan],
                              "land_area": [1000.0, 1700.0], "stock_volume": [120.0, np.nan]},
                             geometry=[box(115.4, 23.1, 115.8, 23.4), box(115.5, 22.8, 116.2, 23.1)], crs=4490)
    assert "未覆盖 not covered" not in legend_html("森林覆盖率 Forest cover", "%")
    fmap = survey_map(units, {}, column="forest_cover", label=("森林覆盖率", "Forest cover"), unit="%",
                      attributions=[], synthetic=True, survey_year=2025)
    page = fmap.get_root().render()
    assert "#cccccc" in page and "未覆盖 not covered" in page  # the grey fill and its legend swatch
    assert page.count("not covered") == 2  # … and 陆丰市's tooltip value (in the GeoJSON, its 中文 \\u-escaped)
