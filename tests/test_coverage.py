"""Inputs that do not cover a county give it no value, only a note; the city only when all are covered."""

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml
from rasterio.windows import from_bounds

from sinkmap import aoi
from sinkmap.config import load_config
from sinkmap.crs import AREA_CRS
from sinkmap.errors import SinkmapWarning
from sinkmap.indicators.coverage import Coverage, layer_share, mask_uncovered, raster_share
from sinkmap.indicators.projection import reach_year
from sinkmap.survey.compute import compute_survey
from tests.test_cli import demo_config

LUHE = "441523"  # 陆河县
CITY = "441500"


def test_raster_and_layer_shares_by_hand():
    land = pd.Series({"A": 100.0, "B": 200.0})
    classes = pd.DataFrame({"adcode": ["A", "A", "B"], "class": [10, 20, 10], "area_ha": [60.0, 39.5, 50.0]})
    # A: (60 + 39.5) / 100 = 0.995; B: 50 / 200 = 0.25
    assert raster_share(classes, land).to_dict() == {"A": pytest.approx(0.995), "B": pytest.approx(0.25)}
    stands = pd.DataFrame({"county": ["A", "A", None]})
    assert layer_share(stands, land.index).to_dict() == {"A": 1.0, "B": 0.0}


def test_notes_name_the_file_the_share_and_the_counties():
    coverage = Coverage(pd.DataFrame({"landcover": {"A": 0.995, "B": 0.25}, "stands": {"A": 1.0, "B": 0.0}}),
                        {"landcover": "lc.tif", "stands": "小班.shp"})
    notes = coverage.notes({"cover": ("landcover", "stands"), "from_map": ("landcover",), "area": ()}, "C",
                           {"B": "陆河县"})
    assert notes.loc["A"].tolist() == ["", "", ""]  # 99.5 % ≥ 99 %
    assert notes.loc["B", "cover"] == ("not covered: lc.tif covers 25.0 % of its land (< 99 %); "
                                       "no data of 小班.shp in it")
    assert notes.loc["C", "cover"] == ("not covered: lc.tif does not cover 陆河县; 小班.shp does not cover 陆河县")
    assert notes.loc["C", "area"] == ""  # land area rests on the AOI only
    values = pd.DataFrame({"cover": [50.0, 40.0, 10.0], "area": [3.0, 1.0, 2.0]}, index=["C", "A", "B"])
    masked = mask_uncovered(values, notes)
    assert masked["cover"].isna().tolist() == [True, False, True]
    assert masked["area"].tolist() == [3.0, 1.0, 2.0]
    assert coverage.summary("landcover", {"B": "陆河县"}) == (
        "lc.tif covers less than 99 % of the land of 陆河县 25.0 %: the indicators resting on it have no value "
        "there, only a note")
    assert coverage.summary("stands", {}) == "小班.shp covers less than 99 % of the land of B 0.0 %: the " \
        "indicators resting on it have no value there, only a note"
    # a stricter threshold leaves A uncovered too
    assert Coverage(coverage.shares, coverage.files, 0.999).uncovered("landcover") == ["A", "B"]


def test_a_unit_without_values_reaches_no_target():
    path = pd.DataFrame({"adcode": ["A"] * 3, "year": [2025, 2026, 2027], "cover": [np.nan, np.nan, np.nan]})
    assert np.isnan(reach_year(path, "A", "cover", 50.0))  # before: every NaN year counted as reached


def county_package(demo_survey, tmp_path):
    """陆河县's own package cut from the demo: its stands, and the land cover clipped to its bounding box
    (which takes in slivers of the neighbours); no earlier survey. Returns its SurveyResult."""
    inputs = demo_survey / "inputs"
    luhe = aoi.load_counties().set_index("adcode").loc[[LUHE]]
    stands = gpd.read_file(inputs / "stands.gpkg", layer="stands")
    luhe_stands = stands[stands.representative_point().within(luhe.to_crs(stands.crs).geometry.iloc[0])]
    luhe_stands.to_file(tmp_path / "stands_luhe.gpkg", layer="stands")
    with rasterio.open(inputs / "landcover.tif") as src:
        window = from_bounds(*luhe.to_crs(src.crs).total_bounds, transform=src.transform).round_offsets().round_lengths()
        profile = src.profile | {"width": window.width, "height": window.height,
                                 "transform": src.window_transform(window)}
        with rasterio.open(tmp_path / "lc_luhe.tif", "w", **profile) as dst:
            dst.write(src.read(window=window))
    config = {"survey_year": 2025, "synthetic": True, "landcover": {"path": "lc_luhe.tif", "preset": "worldcover"},
              "stands": {"path": "stands_luhe.gpkg", "layer": "stands"}}
    (tmp_path / "survey.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compute_survey(load_config(tmp_path / "survey.yaml"))
    said = [str(w.message) for w in caught if issubclass(w.category, SinkmapWarning)]
    # the map's reach is said once, per county with its share, not again by each zonal pass
    assert sum("lc_luhe.tif covers less than 99 % of the land of " in line for line in said) == 1
    assert not any("zones lie outside the raster" in line for line in said)
    return result


def test_one_countys_package_reports_that_county_and_no_city(demo_survey, tmp_path):
    result = county_package(demo_survey, tmp_path)
    ours, path = result.indicators, result.trajectory
    full = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")

    def get(table, indicator, adcode, column="value"):
        return table.loc[(table["indicator"] == indicator) & (table["adcode"] == adcode), column].iloc[0]

    # 陆河县 is covered: its figures are the full demo's, to the rounding of the CSV
    for indicator in ("forest_cover", "forest_area", "stock_volume", "biomass_carbon", "forest_cover_landcover"):
        assert get(ours, indicator, LUHE) == pytest.approx(get(full, indicator, LUHE), rel=1e-9)
        assert get(ours, indicator, LUHE, "note") == ""
    # the neighbours hold only slivers of the clipped map (城区 none) and none of the stands: no value, a note
    # 海丰县: the share of its land inside the clipped map's bounding box, computed independently with shapely
    land = aoi.load_land().set_index("adcode").to_crs(AREA_CRS).geometry
    with rasterio.open(tmp_path / "lc_luhe.tif") as src:
        frame = gpd.GeoSeries([shapely.box(*src.bounds)], crs=src.crs).to_crs(AREA_CRS).iloc[0]
    share = land["441521"].intersection(frame).area / land["441521"].area
    note = get(ours, "forest_cover_landcover", "441521", "note")
    shown = float(note.removeprefix("not covered: lc_luhe.tif covers ").split(" %")[0])
    assert shown == pytest.approx(100 * share, abs=0.15)  # 0.1 % shown, plus the centre rule along the frame
    for adcode in ("441502", "441521", "441581"):
        assert np.isnan(get(ours, "forest_cover", adcode))
        assert get(ours, "forest_cover", adcode, "note").startswith(("not covered: lc_luhe.tif covers ",
                                                                     "not covered: no data of lc_luhe.tif"))
        assert "no data of stands_luhe.gpkg in it" in get(ours, "stock_volume", adcode, "note")
        assert path.loc[path["adcode"] == adcode, "forest_cover_pct"].isna().all()
    # the city: no value, no gap, no reach year, and the note names the uncovered counties
    assert np.isnan(get(ours, "forest_cover", CITY)) and pd.isna(get(ours, "forest_cover", CITY, "reach_2025"))
    assert "lc_luhe.tif does not cover 城区, 海丰县, 陆丰市" in get(ours, "forest_cover", CITY, "note")
    assert path.loc[path["adcode"] == CITY, "stock_wan_m3"].isna().all()
    # the report's land-cover composition shows 陆河县 alone: the slivers of the neighbours are not their cover
    from sinkmap.survey.figures import composition_chart
    chart = composition_chart(result, None)
    assert chart.caption.endswith("Left out, the map does not cover them: 汕尾市、城区、海丰县、陆丰市.")
    # what rests on the AOI alone is still there (城区, with no data at all, had a land area of 0 before)
    assert get(ours, "land_area", CITY) == pytest.approx(get(full, "land_area", CITY), rel=1e-9)


def test_one_countys_map_as_tiles_gives_the_same_survey(demo_survey, tmp_path):
    """陆河县's package with its clipped land cover delivered as 2 × 2 tiles of unequal size (a folder): every
    indicator value is the single file's, bit for bit, and the notes say the same shares, naming the folder."""
    whole = county_package(demo_survey, tmp_path)
    tiles = tmp_path / "lc_luhe_tiles"
    tiles.mkdir()
    with rasterio.open(tmp_path / "lc_luhe.tif") as src:
        rows, cols = (0, src.height // 3, src.height), (0, src.width * 2 // 3, src.width)
        for i in range(2):
            for j in range(2):
                window = rasterio.windows.Window(cols[j], rows[i], cols[j + 1] - cols[j], rows[i + 1] - rows[i])
                profile = src.profile | {"width": window.width, "height": window.height,
                                         "transform": src.window_transform(window)}
                with rasterio.open(tiles / f"tile_{i}{j}.tif", "w", **profile) as dst:
                    dst.write(src.read(window=window))
    config = yaml.safe_load((tmp_path / "survey.yaml").read_text(encoding="utf-8"))
    config["landcover"]["path"] = "lc_luhe_tiles"
    (tmp_path / "survey.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SinkmapWarning)
        tiled = compute_survey(load_config(tmp_path / "survey.yaml"))
    a, b = whole.indicators, tiled.indicators
    pd.testing.assert_series_equal(a["value"], b["value"], check_exact=True)
    assert (a["note"].str.replace("lc_luhe.tif", "lc_luhe_tiles") == b["note"]).all()
    assert b["note"].str.contains("lc_luhe_tiles covers").any()


def test_the_report_prints_not_covered_without_a_reach_year():
    from sinkmap.writers.format import DASH
    from sinkmap.writers.report.tables import NOT_COVERED, Sources, coverage_lines, target_rows, unit_tables

    table = pd.DataFrame({
        "county": ["汕尾市", "陆河县"], "adcode": [CITY, LUHE], "indicator": ["forest_cover"] * 2,
        "value": [np.nan, 63.7], "unit": ["%", "%"], "target_2025": [50.0, np.nan], "target_2030": [53.0, np.nan],
        "gap_2025": [np.nan, np.nan], "gap_2030": [np.nan, np.nan], "reach_2025": [np.nan, np.nan],
        "reach_2030": [np.nan, np.nan], "reach_by": [2030, np.nan], "source": ["s", "s"],
        "note": ["not covered: lc.tif does not cover 城区", ""]})
    labels = {"forest_cover": ("森林覆盖率", "Forest cover")}
    (unit_table,) = unit_tables(table, labels, {"森林 Forest": ["forest_cover"]}, Sources())
    city, county = unit_table.lines[0].cells
    assert (city.value, county.value) == (NOT_COVERED, "63.7")
    # no gap, no status and no "not by 2030" for a unit without a value: its reach is unknown, not missed
    rows = target_rows(table, labels, ["forest_cover"], Sources(), 2030)
    assert [(r.value, r.gap, r.status, r.reach) for r in rows] == [(NOT_COVERED, DASH, DASH, DASH)] * 2
    assert coverage_lines(table) == ["汕尾市 441500: lc.tif does not cover 城区"]


def test_an_earlier_map_that_misses_a_county_blanks_that_years_forest_cover_only(demo_survey, tmp_path):
    """landcover_previous serves the 2020 stand survey for its forest outside the inventory. A copy with
    every cell east of 115.83°E set to nodata leaves 陆丰市 (115.47–116.22°E) uncovered: its 2020 forest
    cover is blanked in the trajectory (its 2025 figures and its 2020 stock, which rests on the stands
    alone, stay), and a warning names the map and the county."""
    source = demo_survey / "inputs" / "landcover_2020.tif"
    with rasterio.open(source) as src:
        profile, cells = src.profile, src.read(1)
        east = int((115.83 - src.transform.c) / src.transform.a)  # first column east of 115.83°E
    cells[:, east:] = profile["nodata"]
    with rasterio.open(tmp_path / "lc_2020_west.tif", "w", **profile) as dst:
        dst.write(cells, 1)
    config = load_config(demo_config(demo_survey, tmp_path, landcover_previous={
        "path": str(tmp_path / "lc_2020_west.tif"), "preset": "worldcover", "year": 2020}))
    with pytest.warns(SinkmapWarning, match=r"lc_2020_west\.tif covers less than 99 % of the land of .*陆丰市"):
        result = compute_survey(config)
    path = result.trajectory.set_index(["adcode", "year"])
    lufeng, luhe = "441581", LUHE
    assert np.isnan(path.loc[(lufeng, 2020), "forest_cover_pct"]) and np.isnan(path.loc[(CITY, 2020), "forest_area_ha"])
    assert path.loc[(lufeng, 2025), "forest_cover_pct"] > 0 and path.loc[(lufeng, 2020), "stock_wan_m3"] > 0
    full = pd.read_csv(demo_survey / "trajectory.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    full = full.set_index(["adcode", "year"])
    assert path.loc[(luhe, 2020), "forest_cover_pct"] == pytest.approx(full.loc[(luhe, 2020), "forest_cover_pct"],
                                                                        rel=1e-9)  # 陆河县 lies west of 115.83°E


def test_shares_of_the_land_outside_0_to_100_percent_are_found():
    from sinkmap.indicators.coverage import impossible_shares

    values = pd.DataFrame({"forest_cover": [45.0, 9558.0, 100.0000001], "forest_area": [1e9, 2.0, 3.0],
                           "redline_share_land": [-0.5, 20.0, 30.0]}, index=[CITY, "441581", LUHE])
    names = {CITY: "汕尾市", "441581": "陆丰市", LUHE: "陆河县"}
    # 100.0000001 % is within the 1e-6 slack; forest_area (ha) is no share and is not checked
    assert impossible_shares(values, names) == {"forest_cover": "陆丰市 9,558.0 %", "redline_share_land": "汕尾市 -0.5 %"}
    assert impossible_shares(values.iloc[2:], names) == {}
