"""Redline by redline (issue: the shrunk redline was listed nowhere): hand fixtures in 陆河县, written in
Gauss-Krüger EPSG:4547 and in CGCS2000 EPSG:4490, drawn in the equal-area CRS so that every area is
exact by hand (a block of 400 × 250 m is 10 ha there; the files hold its corners, moved vertex by vertex).
"""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from rasterio.transform import from_origin
from shapely.geometry import MultiPolygon, Polygon, box

import sinkmap
from sinkmap import aoi
from sinkmap.crs import AREA_CRS
from tests.conftest import write_raster

LUHE = "441523"  # 陆河县
HA = 10_000.0  # m²


def luhe_origin() -> tuple[float, float]:
    """A point well inside 陆河县's land (equal-area CRS), on a 10 m grid: the blocks' origin."""
    land = aoi.load_land().set_index("adcode").to_crs(AREA_CRS).geometry[LUHE]
    point = land.representative_point()
    return round(point.x, -1), round(point.y, -1)


def county_line_square() -> tuple[Polygon, MultiPolygon]:
    """A 400 m square across the 海丰县 / 陆河县 line, whole and re-cut at 陆河县's boundary (two parts)."""
    counties = aoi.load_counties().to_crs(AREA_CRS).set_index("adcode").geometry
    line = shapely.intersection(counties["441521"].boundary, counties[LUHE].boundary)
    centre = shapely.line_interpolate_point(shapely.line_merge(line), 0.5, normalized=True)
    square = centre.buffer(200, cap_style="square")
    inside, outside = square.intersection(counties[LUHE]), square.difference(counties[LUHE])
    parts = [p for g in (inside, outside) for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    return square, MultiPolygon(parts)


def rotated_reversed(polygon: Polygon) -> Polygon:
    """The same ring started at its third vertex, run the other way, with a repeated vertex."""
    ring = list(polygon.exterior.coords)[:-1]
    ring = ring[2:] + ring[:2]
    ring = ring[::-1]
    return Polygon([ring[0], *ring, ring[0]])  # the first vertex twice, then the closing one


def versions() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(old, new) redlines. HX-1 loses a 400 × 30.85 m strip (1.234 ha) off its 400 × 250 m block (10 ha);
    HX-2's ring is rotated and reversed; HX-3 (3 ha) is removed; HX-4 (3 ha) is new; HX-5 (2 ha) changes
    function type; HX-6 (4 ha) is unchanged; HX-8, with no county code, is re-cut at the county line."""
    x, y = luhe_origin()
    b = lambda x0, y0, w, h: box(x + x0, y + y0, x + x0 + w, y + y0 + h)  # noqa: E731
    square, recut = county_line_square()
    old = [("HX-1", b(0, 0, 400, 250), "water_conservation"), ("HX-2", b(600, 0, 200, 200), "biodiversity"),
           ("HX-3", b(1000, 0, 300, 100), "biodiversity"), ("HX-5", b(1800, 0, 200, 100), "water_conservation"),
           ("HX-6", b(2200, 0, 200, 200), "biodiversity"), ("HX-8", square, "soil_conservation")]
    new = [("HX-1", b(0, 30.85, 400, 219.15), "water_conservation"),
           ("HX-2", rotated_reversed(b(600, 0, 200, 200)), "biodiversity"),
           ("HX-4", b(1400, 0, 200, 150), "biodiversity"), ("HX-5", b(1800, 0, 200, 100), "biodiversity"),
           ("HX-6", b(2200, 0, 200, 200), "biodiversity"), ("HX-8", recut, "soil_conservation")]

    def frame(rows):
        ids, geoms, types = zip(*rows)
        county = [None if i == "HX-8" else LUHE for i in ids]
        return gpd.GeoDataFrame({"redline_id": ids, "county": county, "realm": "land", "function_type": types},
                                geometry=list(geoms), crs=AREA_CRS)

    return frame(old), frame(new)


@pytest.fixture(params=[4547, 4490], ids=["EPSG4547", "EPSG4490"])
def redline_files(request, tmp_path):
    old, new = versions()
    luhe = aoi.load_counties().to_crs(AREA_CRS).set_index("adcode").geometry[LUHE]
    assert all(luhe.contains(g) for g in new.geometry[new["county"].notna()])  # the fixture lies in 陆河县
    paths = []
    for name, frame in (("红线_2022.gpkg", old), ("红线_2025.gpkg", new)):
        frame.to_crs(request.param).to_file(tmp_path / name)
        paths.append(tmp_path / name)
    return paths


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sinkmap", *args], capture_output=True, text=True)


def test_ledger_lists_exactly_the_shrunk_removed_new_and_retyped_redlines(redline_files, tmp_path):
    old, new = redline_files
    result = run("ledger", str(new), "--previous", str(old), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    features = pd.read_csv(tmp_path / "out" / "redline_features_changed.csv", encoding="utf-8-sig",
                           dtype={"county": str}, keep_default_na=False, na_values=[""])
    assert features[["redline_id", "change"]].values.tolist() == [
        ["HX-1", "面积减少 area reduced"], ["HX-3", "移出 removed"], ["HX-4", "新增 new"],
        ["HX-5", "功能类型改变 function type changed"]]  # HX-2 (rotated), HX-6 (unchanged), HX-8 (re-cut): not listed
    areas = features.set_index("redline_id")[["area_before_ha", "area_after_ha", "area_change_ha"]]
    # HX-1: 400 × 250 m = 10 ha, less 400 × 30.85 m = 1.234 ha → 8.766 ha
    assert areas.loc["HX-1"].tolist() == pytest.approx([10.0, 8.766, -1.234], abs=5e-4)
    assert areas.loc["HX-3"].tolist() == pytest.approx([3.0, np.nan, np.nan], abs=5e-4, nan_ok=True)  # 300 × 100 m
    assert areas.loc["HX-4"].tolist() == pytest.approx([np.nan, 3.0, np.nan], abs=5e-4, nan_ok=True)  # 200 × 150 m
    assert areas.loc["HX-5"].tolist() == pytest.approx([2.0, 2.0, 0.0], abs=5e-4)  # 200 × 100 m, retyped
    retyped = features.set_index("redline_id").loc["HX-5"]
    assert (retyped["before"], retyped["after"]) == ("water_conservation", "biodiversity")
    assert "HX-1 (陆河县): 面积减少 area reduced  before 10.000 ha  after 8.766 ha  change -1.234 ha" in result.stdout
    # the county line: HX-8 is cut there in both versions, the same pieces: no county shows a change from it
    change = pd.read_csv(tmp_path / "out" / "redline_change.csv", encoding="utf-8-sig", dtype={"county": str},
                         keep_default_na=False).set_index("county")
    assert change.loc["441521", "change_ha"] == pytest.approx(0.0, abs=1e-6) and change.loc["441521", "flag"] == ""
    # 陆河县: −1.234 (HX-1) − 3 (HX-3) + 3 (HX-4) = −1.234 ha, flagged
    assert change.loc[LUHE, "change_ha"] == pytest.approx(-1.234, abs=5e-4)
    assert change.loc[LUHE, "flag"] == "面积减少 area reduced"
    sheet = pd.read_csv(tmp_path / "out" / "redline_checks.csv", encoding="utf-8-sig", keep_default_na=False)
    # by county, then id: HX-8 (no code) is located by its representative point, on 海丰县's side
    assert sheet["redline_id"].tolist() == ["HX-8", "HX-1", "HX-2", "HX-3", "HX-4", "HX-5", "HX-6"]
    assert dict(zip(sheet["redline_id"], sheet["status"])) == {
        "HX-1": "kept", "HX-2": "kept", "HX-3": "removed", "HX-4": "new", "HX-5": "kept", "HX-6": "kept", "HX-8": "kept"}
    assert (sheet.set_index("redline_id").loc[["HX-2", "HX-6", "HX-8"], "findings"] == "").all()


def test_a_tolerance_of_2_ha_lets_the_strip_pass(redline_files, tmp_path):
    old, new = redline_files
    tables = sinkmap.run_ledger(new, previous=old, tolerance_ha=2.0)
    assert tables["redline_features_changed.csv"]["redline_id"].tolist() == ["HX-3", "HX-4", "HX-5"]
    # the county nets −1.234 ha (within 2 ha) but swapped 3 ha in (HX-4) and 4.234 ha out: still for review
    assert tables["redline_change.csv"].set_index("county").loc[LUHE, "flag"] == "边界调整 boundary changed"


def landcover_pair(tmp_path) -> tuple:
    """Two 10 m land-cover maps (WorldCover codes, equal-area CRS) over HX-6 and a new block HX-7:
    in HX-6, 200 × 100 m of forest (10) became cropland (40): a 2 ha conversion; in HX-7, 200 × 150 m of
    grassland (30) became forest: 3 ha of new forest. Everything else is forest in both."""
    x, y = luhe_origin()
    west, north = x + 2100, y + 300  # the maps span x + 2100 … 2900, y − 100 … 300
    shape = (40, 80)
    before, now = np.full(shape, 10, "uint8"), np.full(shape, 10, "uint8")
    cells = lambda x0, y0, w, h: (slice(int((north - (y + y0 + h)) / 10), int((north - (y + y0)) / 10)),  # noqa: E731
                                  slice(int((x + x0 - west) / 10), int((x + x0 + w - west) / 10)))
    now[cells(2200, 0, 200, 100)] = 40  # HX-6: 2 ha forest → cropland
    before[cells(2600, 50, 200, 150)] = 30  # HX-7: 3 ha grassland → forest
    transform = from_origin(west, north, 10, 10)
    return (write_raster(tmp_path / "lc_2025.tif", now, transform=transform),
            write_raster(tmp_path / "lc_2020.tif", before, transform=transform))


@pytest.mark.parametrize("epsg", [4547, 4490])
def test_a_conversion_inside_one_redline_is_flagged_though_the_county_gained_forest(epsg, tmp_path, monkeypatch):
    """HX-6 lost 2 ha of forest to cropland; HX-7 gained 3 ha. The county × realm summary nets the
    forest to +1 ha (no 功能降低) but counts the cropland (+2 ha > 1 ha: 性质改变); redline by redline,
    HX-6 is flagged for both and HX-7 not at all. Both maps are read in one zonal pass each."""
    x, y = luhe_origin()
    frame = gpd.GeoDataFrame({"redline_id": ["HX-6", "HX-7"], "county": LUHE, "realm": "land",
                              "function_type": "biodiversity"},
                             geometry=[box(x + 2200, y, x + 2400, y + 200), box(x + 2600, y, x + 2800, y + 200)],
                             crs=AREA_CRS)
    frame.to_crs(epsg).to_file(tmp_path / "红线.gpkg")
    now, before = landcover_pair(tmp_path)
    import sinkmap.zonal.landcover as landcover_module  # the land-cover maps' zonal passes

    calls = []
    real = landcover_module.zonal_stats
    monkeypatch.setattr(landcover_module, "zonal_stats", lambda *a, **k: calls.append(len(a[1])) or real(*a, **k))
    tables = sinkmap.run_ledger(tmp_path / "红线.gpkg", landcover=now, landcover_previous=before)
    assert calls == [2, 2]  # all redline pieces as zones at once, once per map
    check = tables["redline_landcover_check.csv"]
    assert check["redline_id"].tolist() == ["", "HX-6"]  # the county × realm summary, then its flagged redline
    county, redline = check.iloc[0], check.iloc[1]
    # HX-6 forest 4 → 2 ha (200 × 200 m, less 200 × 100 m), HX-7 forest 1 → 4 ha (200 × 50 m, then all of it):
    # the county's forest 4 + 1 = 5 → 2 + 4 = 6 ha (+1), its cropland 0 → 2 ha (+2)
    assert (county["previous_forest_ha"], county["forest_ha"], county["human_use_change_ha"]) == pytest.approx(
        (5.0, 6.0, 2.0), abs=1e-6)
    assert county["flag"] == "性质改变 nature changed"
    assert (redline["forest_change_ha"], redline["human_use_change_ha"]) == pytest.approx((-2.0, 2.0), abs=1e-6)
    assert redline["flag"] == "性质改变 nature changed; 功能降低 function lowered"
    sheet = tables["redline_checks.csv"].set_index("redline_id")
    assert sheet.loc["HX-6", "findings"] == ("土地覆盖 land cover: 性质改变 nature changed; 功能降低 function lowered "
                                             "(森林 forest −2.00 ha, 耕地建设 crop + built +2.00 ha)")
    assert sheet.loc["HX-7", "findings"] == "" and sheet.loc["HX-7", "cover_forest_ha"] == pytest.approx(4.0)
