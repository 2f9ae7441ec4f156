"""The survey area (aoi:): a county bureau surveys its own county and gets that county's report."""

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from sinkmap import aoi
from sinkmap.config import load_config
from sinkmap.errors import InputError, MissingInputError, SinkmapWarning
from sinkmap.survey import compute_survey, write_outputs
from sinkmap.surveyarea import survey_area
from tests.test_cli import demo_config

LUHE = "441523"  # 陆河县
LUFENG = "441581"  # 陆丰市


def test_survey_area_from_codes_names_or_the_city():
    assert survey_area().code == survey_area("city").code == survey_area("汕尾市").code == "441500"
    one = survey_area("陆河县")
    assert (one.codes, one.code, one.name_zh, one.name_en) == ((LUHE,), LUHE, "陆河县", "Luhe County")
    assert one.units()["adcode"].tolist() == [LUHE]  # one county is its own total
    two = survey_area([441581, "海丰县"])
    assert (two.code, two.name_zh) == ("441521+441581", "海丰县、陆丰市")
    assert two.units()["adcode"].tolist() == ["441521+441581", "441521", "441581"]
    with pytest.raises(ValueError, match="惠东县"):
        survey_area(["惠东县"])


def test_aoi_errors_are_one_line(demo_survey, tmp_path):
    with pytest.raises(InputError, match=r"'aoi' names no county of 汕尾市: 惠东县\. Use city, county codes or names "
                                         r"\(441502 城区, .*\), or \{path: POLYGON_FILE, name: NAME\}"):
        load_config(demo_config(demo_survey, tmp_path, aoi="惠东县"))
    with pytest.raises(InputError, match=r"'aoi' as a polygon file needs a path and takes only path, layer, name, "
                                         r"name_en, gcj02, encoding, not \['file'\]"):
        load_config(demo_config(demo_survey, tmp_path, aoi={"file": "area.gpkg"}))
    with pytest.raises(MissingInputError, match=r"the aoi file .*area\.gpkg does not exist"):
        load_config(demo_config(demo_survey, tmp_path, aoi={"path": "area.gpkg"}))
    far = tmp_path / "far.gpkg"  # a box at 100°E: not in 汕尾市
    gpd.GeoDataFrame(geometry=[box(100.0, 23.0, 100.1, 23.1)], crs=4490).to_file(far)
    with pytest.raises(InputError, match=r"far\.gpkg: its polygons lie outside 汕尾市 \(they overlap its counties by "
                                         r"0\.00 ha\)\. Give a polygon inside 汕尾市, and check its CRS"):
        load_config(demo_config(demo_survey, tmp_path, aoi={"path": str(far)}))
    lines = tmp_path / "lines.gpkg"
    gpd.GeoDataFrame(geometry=[box(115.4, 23.0, 115.5, 23.1).boundary], crs=4490).to_file(lines)
    with pytest.raises(InputError, match=r"lines\.gpkg: geometries must be polygons, found LineString"):
        load_config(demo_config(demo_survey, tmp_path, aoi={"path": str(lines)}))


def test_a_polygon_survey_area_cannot_take_county_wide_scenario_rows(demo_survey, tmp_path):
    farm = tmp_path / "farm.gpkg"
    gpd.GeoDataFrame(geometry=[box(115.40, 23.00, 115.45, 23.05)], crs=4490).to_file(farm)
    with pytest.raises(InputError, match=r"survey\.yaml: 'scenario' rows are county-wide and cannot be apportioned "
                                         r"to a polygon survey area \(林场\)\. Drop `scenario:`"):
        load_config(demo_config(demo_survey, tmp_path, aoi={"path": str(farm), "name": "林场"}))
    with pytest.raises(InputError, match=r"'mariculture_yields' rows are per county or farming area and cannot be "
                                         r"apportioned to a polygon survey area \(林场\)\. Drop `mariculture_yields:`"):
        load_config(demo_config(demo_survey, tmp_path, aoi={"path": str(farm), "name": "林场"}, scenario=None))


# The demo's harvest table (mariculture_yields) has no rows of 陆河县 (inland), which would then carry notes, and
# a polygon survey area cannot take it: the surveys of part of the city below go without it.
NO_YIELDS = {"mariculture_yields": None}


def test_a_county_survey_takes_its_rows_of_the_citys_harvest_table(demo_survey, tmp_path):
    config = load_config(demo_config(demo_survey, tmp_path, aoi="陆丰市", stands_previous=None, landcover_previous=None,
                                     redlines_previous=None, scenario=None))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compute_survey(config)
    left_out = [str(w.message) for w in caught if "rows of counties outside the survey area (陆丰市)" in str(w.message)]
    assert len(left_out) == 1 and "'441502'" in left_out[0]  # 城区's rows, told apart by their farming areas
    assert set(result.mariculture["county"]) == {LUFENG} and set(result.layers["mariculture"]["county"]) == {LUFENG}
    full = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    ours = result.indicators.set_index("indicator")
    for indicator in ("mariculture_dry_mass", "mariculture_removal_organic", "mariculture_removal_shell"):
        city_run = full.loc[(full["indicator"] == indicator) & (full["adcode"] == LUFENG), "value"].iloc[0]
        assert ours.loc[indicator, "value"] == pytest.approx(city_run, rel=1e-9) and city_run > 0, indicator  # CSV: 7 digits


def test_a_county_survey_leaves_out_other_counties_scenario_rows(demo_survey, tmp_path):
    config = load_config(demo_config(demo_survey, tmp_path, aoi="陆河县"))
    scenario = pd.read_csv(config.inputs["scenario"].path, dtype={"county": str})
    others = int((scenario["county"] != LUHE).sum())
    assert others > 0 and (scenario["county"] == LUHE).any()
    with pytest.warns(SinkmapWarning, match=rf"scenario\.csv: {others} rows are for counties outside the survey area "
                                           r"\(陆河县\) and are left out"):
        result = compute_survey(config)
    assert set(result.trajectory["adcode"]) == {LUHE}


def _polygon_survey(demo_survey, tmp_path, name: str, frame: gpd.GeoDataFrame, file: str):
    path = tmp_path / file
    frame.to_file(path)
    config = load_config(demo_config(demo_survey, tmp_path / name, aoi={"path": str(path), "name": name},
                                     scenario=None, **NO_YIELDS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SinkmapWarning)
        return compute_survey(config)


def test_two_polygon_survey_areas_that_tile_the_city_add_up_to_it(demo_survey, tmp_path):
    """A box across 海丰, 陆河 and 陆丰 (in Gauss-Krüger EPSG:4547) and the rest of a larger box, sea
    included (a Shapefile in EPSG:4490), tile the demo's city. Every extensive figure of the two adds up
    to the city-wide run's: stands cut by the edge count with their parts inside, land-cover cells with
    the part of each cell inside (fraction coverage), blue carbon from the sea in the larger box."""
    a = box(115.35, 22.95, 115.65, 23.25)
    (tmp_path / "A").mkdir(), (tmp_path / "B").mkdir()
    first = _polygon_survey(demo_survey, tmp_path, "A", gpd.GeoDataFrame(geometry=[a], crs=4490).to_crs(4547),
                            "a.gpkg")
    second = _polygon_survey(demo_survey, tmp_path, "B", gpd.GeoDataFrame(
        geometry=[box(114.5, 22.0, 116.5, 24.0).difference(a)], crs=4490), "b.shp")
    assert first.units[["adcode", "name_zh"]].values.tolist() == [
        ["AOI", "A"], ["441521", "海丰县（范围内）"], ["441523", "陆河县（范围内）"], ["441581", "陆丰市（范围内）"]]
    assert second.units["adcode"].tolist() == ["AOI", "441502", "441521", "441523", "441581"]
    # the land inside A, measured here with shapely alone: A's four GK corners (straight edges in EPSG:4547
    # are not straight in degrees, so the polygon is taken as the file holds it, vertex by vertex in
    # EPSG:4490), cut from each county's land, the pieces' area in the equal-area CRS
    a_file = gpd.read_file(tmp_path / "a.gpkg").to_crs(4490).geometry.iloc[0]
    land = aoi.load_land().set_index("adcode").geometry
    own = first.indicators[first.indicators["indicator"] == "land_area"].set_index("adcode")["value"]
    for code in ("441521", "441523", "441581"):
        piece = gpd.GeoSeries([land[code].intersection(a_file)], crs=4490).to_crs(aoi.EQUAL_AREA_CRS)
        assert own[code] == pytest.approx(piece.area.iloc[0] / 1e6, rel=1e-9)
    source = first.indicators.loc[first.indicators["indicator"] == "land_area", "source"].iloc[0]
    assert "∩ OSM land, ODbL) ∩ survey area a.gpkg; Albers" in source
    full = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    city = full[full["adcode"] == "441500"].set_index("indicator")["value"]

    def total(result):
        rows = result.indicators
        return rows[rows["adcode"] == "AOI"].set_index("indicator")["value"]

    both = total(first) + total(second)
    for indicator in ("land_area", "forest_area", "forest_area_stands", "forest_area_landcover", "stock_volume",
                      "biomass_carbon", "carbon_sink", "mangrove_area", "seagrass_area", "blue_carbon_soil",
                      "redline_area_marine", "redline_area_change", "shelterbelt_area"):
        assert both[indicator] == pytest.approx(city[indicator], rel=1e-6), indicator
    assert total(first)["forest_area"] > 60_000 and total(first)["mangrove_area"] == 0  # A is inland
    # the city-wide run counts the land redlines' overlaps once, with the first id; cut at A's edge the two
    # halves resolve an overlap that straddles it apart, so the sum differs by well under 0.1 ha of 117,831
    assert both["redline_area_land"] == pytest.approx(city["redline_area_land"], abs=0.1)


def test_a_county_survey_reports_that_county_alone(demo_survey, tmp_path):
    """The demo's city-wide inputs surveyed with aoi: 陆河县: the features elsewhere are left out (with a
    warning), every table holds 陆河县 only, and its figures are those of the city-wide run."""
    config = load_config(demo_config(demo_survey, tmp_path, aoi="陆河县", stands_previous=None,
                                     landcover_previous=None, redlines_previous=None, scenario=None, **NO_YIELDS))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compute_survey(config)
    assert any(issubclass(w.category, SinkmapWarning) and "outside the survey area (陆河县) and are left out"
               in str(w.message) for w in caught)
    ours = result.indicators
    assert set(ours["adcode"]) == {LUHE} and (ours["note"] == "").all()
    assert result.units["adcode"].tolist() == [LUHE]
    assert set(result.trajectory["adcode"]) == {LUHE}
    full = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")

    def both(indicator):
        mine = ours.loc[ours["indicator"] == indicator, "value"].iloc[0]
        return mine, full.loc[(full["indicator"] == indicator) & (full["adcode"] == LUHE), "value"].iloc[0]

    for indicator in ("land_area", "forest_cover", "stock_volume", "biomass_carbon", "mangrove_area"):
        mine, city_run = both(indicator)
        assert mine == pytest.approx(city_run, rel=1e-9), indicator
    # one exception: the city-wide run counts the 2.64 ha where 陆河's HX-441523-L016 overlaps 海丰's
    # HX-441521-L012 once, with the first id (海丰's); surveyed alone, 陆河 keeps its redline whole
    mine, city_run = both("redline_area_land")
    assert mine - city_run == pytest.approx(2.64, abs=0.005)
    # the county's own report and map, titled for it
    write_outputs(result, tmp_path / "out")
    assert "<title>陆河县森林与蓝碳碳汇本底调查 Luhe County forest" in (tmp_path / "out" / "report.html").read_text()
    assert "陆河县碳汇与生态保护红线 Luhe County carbon sinks and redlines 2025" in (
        tmp_path / "out" / "map.html").read_text()
    written = pd.read_csv(tmp_path / "out" / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    assert set(written["adcode"]) == {LUHE}
