"""survey.gpkg for QGIS: every analysis layer in EPSG:4490 with what the survey computed on it, and each
layer's default style in ``layer_styles`` — as QML and SLD with the web map's colours, checked as XML and
by QGIS itself (Debian's python3-qgis, installed by ``make test``)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from sinkmap.catalogue import MapStyle
from sinkmap.writers.layerstyle import Fill, graduated_style, map_layer_style, qml, sld
from sinkmap.writers.map import colour_for
from sinkmap.writers.vector import write_gpkg

PYTHON_WITH_QGIS = "/usr/bin/python3"  # Debian's python3-qgis is built for it
PROBE = Path(__file__).with_name("qgis_probe.py")
STYLED = ["units", "stands", "redlines", "mangroves", "shelterbelts", "coastal_habitats", "mariculture",
          "restoration_sites"]
INPUTS = {"stands": "stands.gpkg", "redlines": "redlines.parquet", "mangroves": "mangroves.gpkg",
          "shelterbelts": "shelterbelts.shp", "coastal_habitats": "coastal_habitats.gpkg",
          "mariculture": "mariculture.gpkg"}
MANGROVES = {"existing": "#00897b", "planted": "#9ccc65", "restored": "#ffb300"}  # layers/catalogue.yaml
SE, OGC = "{http://www.opengis.net/se}", "{http://www.opengis.net/ogc}"


@pytest.fixture(scope="module")
def gpkg(demo_survey) -> Path:
    return demo_survey / "survey.gpkg"


@pytest.fixture(scope="module")
def styles(gpkg) -> pd.DataFrame:
    with sqlite3.connect(gpkg) as db:
        return pd.read_sql("SELECT * FROM layer_styles ORDER BY id", db)


def renderer(styles: pd.DataFrame, layer: str) -> ET.Element:
    return ET.fromstring(styles.set_index("f_table_name").loc[layer, "styleQML"]).find("renderer-v2")


def fills(element: ET.Element) -> list[str]:
    """Each QML symbol's SimpleFill colour, "r,g,b,a"."""
    return [s.find("layer/Option/Option[@name='color']").get("value") for s in element.findall("symbols/symbol")]


def rgba(colour: str, opacity: float) -> str:
    return f"{int(colour[1:3], 16)},{int(colour[3:5], 16)},{int(colour[5:7], 16)},{round(opacity * 255)}"


def test_survey_gpkg_holds_every_layer_in_cgcs2000(gpkg, demo_survey):
    listed = {str(name): kind for name, kind in pyogrio.list_layers(gpkg)}
    assert list(listed) == [*STYLED, "class_areas", "layer_styles"]
    assert listed["class_areas"] is None and listed["layer_styles"] is None  # attribute tables
    for layer in STYLED:
        info = pyogrio.read_info(gpkg, layer=layer)
        assert info["crs"] == "EPSG:4490", layer
        assert info["geometry_type"] in ("Polygon", "MultiPolygon"), layer
    for layer, name in INPUTS.items():  # the whole city is surveyed: every input feature is written
        given = len(gpd.read_parquet(demo_survey / "inputs" / name)) if name.endswith(".parquet") else \
            pyogrio.read_info(demo_survey / "inputs" / name)["features"]
        assert pyogrio.read_info(gpkg, layer=layer)["features"] == given, layer
    assert pyogrio.read_info(gpkg, layer="stands")["features"] == 16855
    assert pyogrio.read_info(gpkg, layer="restoration_sites")["features"] == 7
    assert pyogrio.read_dataframe(gpkg, layer="units", read_geometry=False)["adcode"].tolist()[0] == "441500"


def test_stands_carry_their_forest_stock_and_carbon(gpkg, demo_survey):
    stands = pyogrio.read_dataframe(gpkg, layer="stands", read_geometry=False)
    assert {"forest", "in_stock", "stock_m3", "carbon_mg_c", "co2e_t", "county"} <= set(stands.columns)
    assert not (stands["in_stock"] & ~stands["forest"]).any()  # the stock counts forest stands only
    outside = stands[~stands["in_stock"]]
    assert (outside["stock_m3"] == 0).all() and (outside["carbon_mg_c"] == 0).all()
    assert stands["co2e_t"].sum() == pytest.approx(stands["carbon_mg_c"].sum() * 44 / 12)
    carbon = pd.read_csv(demo_survey / "carbon_by_group.csv", encoding="utf-8-sig")
    assert stands["carbon_mg_c"].sum() == pytest.approx(carbon["carbon_mg_c"].sum(), rel=1e-9)
    assert stands.groupby("county")["stock_m3"].sum().to_dict() == pytest.approx(
        carbon.astype({"county": str}).groupby("county")["stock_m3"].sum().to_dict(), rel=1e-9)


def test_redlines_carry_the_checks_the_map_shows(gpkg, demo_survey):
    redlines = pyogrio.read_dataframe(gpkg, layer="redlines", read_geometry=False)
    sheet = pd.read_csv(demo_survey / "redline_checks.csv", encoding="utf-8-sig", keep_default_na=False)
    assert {"status", "area_change_ha", "cover_forest_ha", "stock_change_pct", "check"} <= set(redlines.columns)
    found = sheet[sheet["findings"] != ""].set_index("redline_id")["findings"]
    assert len(found) > 0
    checked = redlines.set_index("redline_id")["check"]
    assert checked.dropna().to_dict() == found[found.index.isin(checked.index)].to_dict()


def test_every_layer_has_one_default_style(styles, gpkg):
    assert styles["f_table_name"].tolist() == STYLED
    assert (styles["f_table_schema"] == "").all() and (styles["f_table_catalog"] == "").all()  # QGIS filters on ''
    assert (styles["useAsDefault"] == 1).all()
    assert (styles["update_time"] == "2026-01-01T00:00:00Z").all()  # fixed: reruns keep their bytes
    with sqlite3.connect(gpkg) as db:
        columns = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
    assert styles.set_index("f_table_name")["f_geometry_column"].to_dict() == {t: columns[t] for t in STYLED}
    described = styles.set_index("f_table_name")["description"]
    assert described["mangroves"] == "红树林 Mangroves" and described["units"] == "森林覆盖率 Forest cover"


@pytest.mark.parametrize("layer", STYLED)
def test_each_qml_has_the_structure_qgis_writes(styles, layer):
    """The elements QGIS 3.22 writes for a polygon renderer (a QML it saved is the reference)."""
    root = ET.fromstring(styles.set_index("f_table_name").loc[layer, "styleQML"])
    assert root.tag == "qgis" and root.get("version").startswith("3.")
    element = root.find("renderer-v2")
    kind = element.get("type")
    assert kind in ("singleSymbol", "categorizedSymbol", "graduatedSymbol")
    symbols = element.findall("symbols/symbol")
    classes = element.findall({"categorizedSymbol": "categories/category", "graduatedSymbol": "ranges/range"}
                              .get(kind, "none"))
    assert len(symbols) == max(len(classes), 1)
    assert [c.get("symbol") for c in classes] == [s.get("name") for s in symbols][:len(classes)]
    for s in symbols:
        assert s.get("type") == "fill" and s.find("layer").get("class") == "SimpleFill"
        options = {o.get("name"): o.get("value") for o in s.findall("layer/Option/Option")}
        assert {"color", "outline_color", "outline_width", "outline_width_unit", "style"} <= set(options)
        assert len(options["color"].split(",")) == 4
    assert root.find("layerGeometryType").text == "2"


def test_mangroves_are_categorized_on_status_with_the_web_map_colours(styles):
    element = renderer(styles, "mangroves")
    assert element.get("type") == "categorizedSymbol" and element.get("attr") == "status"
    categories = [(c.get("value"), c.get("label")) for c in element.findall("categories/category")]
    assert categories == [("existing", "现有 existing"), ("planted", "新造 planted"), ("restored", "修复 restored")]
    assert fills(element) == [rgba(colour, 0.7) for colour in MANGROVES.values()]
    habitats = renderer(styles, "coastal_habitats")
    assert habitats.get("attr") == "habitat" and fills(habitats)[2] == rgba("#f06292", 0.7)  # coral reef
    farms = renderer(styles, "mariculture")  # farming areas (养殖区) and ranches (海洋牧场), by type
    assert [(c.get("value"), c.get("label")) for c in farms.findall("categories/category")] == [
        ("farm", "养殖区 farm"), ("ranch", "海洋牧场 ranch")]
    assert fills(farms) == [rgba("#42a5f5", 0.5), rgba("#ff7043", 0.5)]


def test_units_are_graduated_by_forest_cover_counties_only(styles):
    element = renderer(styles, "units")
    assert element.get("type") == "graduatedSymbol"
    assert element.get("attr") == ("CASE WHEN \"adcode\" IN ('441502', '441521', '441523', '441581') "
                                   "THEN \"forest_cover_pct\" END")  # the city's own polygon is not drawn
    ranges = element.findall("ranges/range")
    assert [float(r.get("lower")) for r in ranges] == [0, 30, 40, 50, 53, 60]
    assert [r.get("label") for r in ranges][3] == "50–53 %"
    assert 49.999 < float(ranges[2].get("upper")) < 50 and float(ranges[-1].get("upper")) == 100  # 50 % meets 50
    assert fills(element) == [rgba(c, 0.75) for c in ("#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#31a354",
                                                      "#006837")]


def test_single_symbols_take_the_catalogue_style(styles):
    stands = renderer(styles, "stands")
    options = {o.get("name"): o.get("value") for o in stands.findall("symbols/symbol/layer/Option/Option")}
    assert stands.get("type") == "singleSymbol"
    assert options["color"] == rgba("#a5d6a7", 0.35) and options["outline_color"] == rgba("#1b5e20", 1)
    assert (options["outline_width"], options["outline_width_unit"]) == ("0.6", "Pixel")
    assert fills(renderer(styles, "redlines")) == [rgba("#d7301f", 0.08)]  # no fillColor: Leaflet fills with color
    sites = {o.get("name"): o.get("value") for o in renderer(styles, "restoration_sites").iter("Option")}
    assert sites["outline_style"] == "dash"


def test_sld_rules_filter_and_fill_as_the_qml(styles):
    root = ET.fromstring(styles.set_index("f_table_name").loc["mangroves", "styleSLD"].encode())
    rules = root.findall(f".//{SE}Rule")
    assert [r.find(f"{OGC}Filter/{OGC}PropertyIsEqualTo/{OGC}Literal").text for r in rules] == list(MANGROVES)
    assert [r.find(f".//{SE}Fill/{SE}SvgParameter[@name='fill']").text for r in rules] == list(MANGROVES.values())
    units = ET.fromstring(styles.set_index("f_table_name").loc["units", "styleSLD"].encode())
    first = units.find(f".//{SE}Rule/{OGC}Filter/{OGC}And")
    assert [e.tag.removeprefix(OGC) for e in first] == ["PropertyIsGreaterThanOrEqualTo", "PropertyIsLessThan", "Or"]


def test_qgis_opens_every_layer_with_its_default_style(gpkg):
    """QGIS itself (headless) loads each layer's default style: renderer, colours, aliases, what it draws."""
    has_qgis = subprocess.run([PYTHON_WITH_QGIS, "-c", "import qgis.core"], capture_output=True).returncode == 0
    assert has_qgis, "QGIS's Python bindings are missing: run `make test` (it installs Debian's python3-qgis)"
    done = subprocess.run([PYTHON_WITH_QGIS, str(PROBE), str(gpkg), *STYLED], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    layers = json.loads(done.stdout)["layers"]
    assert {name: (found["valid"], found["crs"], found["renderer"]) for name, found in layers.items()} == {
        "units": (True, "EPSG:4490", "graduatedSymbol"), "stands": (True, "EPSG:4490", "singleSymbol"),
        "redlines": (True, "EPSG:4490", "singleSymbol"), "mangroves": (True, "EPSG:4490", "categorizedSymbol"),
        "shelterbelts": (True, "EPSG:4490", "singleSymbol"),
        "coastal_habitats": (True, "EPSG:4490", "categorizedSymbol"),
        "mariculture": (True, "EPSG:4490", "categorizedSymbol"),
        "restoration_sites": (True, "EPSG:4490", "singleSymbol")}
    assert layers["stands"]["features"] == 16855
    mangroves = layers["mangroves"]
    assert [(c["value"], s["fill"], s["alpha"]) for c, s in zip(mangroves["classes"], mangroves["symbols"])] == [
        ("existing", "#00897b", 178), ("planted", "#9ccc65", 178), ("restored", "#ffb300", 178)]
    status = pyogrio.read_dataframe(gpkg, layer="mangroves", read_geometry=False, fid_as_index=True)["status"]
    assert mangroves["drawn"] == {str(fid): MANGROVES[s] for fid, s in status.items()}  # each patch by its status
    units = pyogrio.read_dataframe(gpkg, layer="units", read_geometry=False, fid_as_index=True)
    expected = {str(fid): None if code == "441500" else colour_for(value)  # the web map's class of each county
                for fid, code, value in zip(units.index, units["adcode"], units["forest_cover_pct"])}
    assert layers["units"]["drawn"] == expected
    stands = layers["stands"]["symbols"][0]
    assert (stands["fill"], stands["alpha"], stands["outline"], stands["width"]) == ("#a5d6a7", 89, "#1b5e20", 0.6)
    assert set(layers["stands"]["drawn"].values()) == {"#a5d6a7"}
    assert layers["redlines"]["aliases"]["check"] == "核查 Check"
    assert layers["units"]["aliases"]["forest_cover_pct"] == "森林覆盖率 Forest cover (%)"


def test_styles_are_written_the_same_twice(tmp_path):
    frame = gpd.GeoDataFrame({"status": ["existing", "planted"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
                             crs=4490)
    style = MapStyle(1, "红树林 Mangroves", {"color": "#00695c"}, (("status", "状态 Status"),),
                     fill=("status", {"existing": "#00897b"}))
    styles = {"patches": map_layer_style(style, {"existing": "现有", "planted": "新造"})}
    first, second = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    write_gpkg({"patches": frame}, first, styles=styles)
    write_gpkg({"patches": frame}, second, styles=styles)
    assert first.read_bytes() == second.read_bytes()
    classes = styles["patches"].classes  # planted has no colour: drawn with the style's own fill, as on the map
    assert [(c.value, c.label, c.colour) for c in classes] == [("existing", "现有 existing", "#00897b"),
                                                               ("", "其他 other", "#00695c")]


def test_leaflet_defaults_and_graduated_bounds():
    assert Fill.from_leaflet({}) == Fill("#3388ff", 0.2, "#3388ff", 1.0, 3.0)  # Leaflet's own defaults
    style = graduated_style("t", "v", [0, 10, 20], ["#000000", "#ffffff"], "ha", {"weight": 1})
    assert [c.label for c in style.classes] == ["0–10 ha", "10–20 ha"]
    document = ET.fromstring(qml(style))
    assert [r.get("upper") for r in document.findall("renderer-v2/ranges/range")] == ["9.999999999999998", "20.0"]
    rules = ET.fromstring(sld(style, "t").encode()).findall(f".//{SE}Rule")
    assert [r.find(f"{OGC}Filter/{OGC}And")[1].tag.removeprefix(OGC) for r in rules] == [
        "PropertyIsLessThan", "PropertyIsLessThanOrEqualTo"]  # the last class is closed
