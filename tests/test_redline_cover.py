"""Land cover inside the redlines (性质不改变, 功能不降低): two maps compared inside today's redlines, by hand."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from sinkmap.crs import AREA_CRS
from sinkmap.errors import SinkmapWarning
from sinkmap.indicators.redline_cover import FUNCTION_LOWERED, NATURE_CHANGED, cover_check
from sinkmap.survey.ledger import redline_year
from sinkmap.zonal.landcover import LandCover
from tests.conftest import PIXEL_M, write_raster

CELL_HA = PIXEL_M * PIXEL_M / 1e4  # 30 m × 30 m = 0.09 ha
# WorldCover codes; row 0 is the north row. Redlines: county A land = rows 0–1, A marine = rows 2–3.
NOW = np.array([[10, 10, 50, 50],
                [10, 10, 40, 20],
                [80, 80, 95, 95],
                [80, 80, 95, 95]], dtype="uint8")
BEFORE = np.array([[10, 10, 10, 10],
                   [10, 10, 20, 20],
                   [80, 80, 95, 95],
                   [80, 80, 95, 0]], dtype="uint8")  # 0: nodata
# The same map in the sinkmap preset (forest 1, shrub 3, mangrove 4, water 8): a second product.
TO_SINKMAP = {0: 0, 10: 1, 20: 3, 95: 4, 80: 8}


def redlines() -> gpd.GeoDataFrame:
    land, sea = shapely.box(0, 60, 120, 120), shapely.box(0, 0, 120, 60)
    rows = [("R1", "A", "land", land), ("R2", "A", "land", shapely.box(0, 60, 60, 90)),  # R2 inside R1: counted once
            ("R3", "A", "marine", sea)]
    frame = pd.DataFrame(rows, columns=["redline_id", "county", "realm", "geometry"])
    return gpd.GeoDataFrame(frame.assign(function_type="biodiversity"), geometry="geometry", crs=AREA_CRS)


@pytest.fixture
def maps(tmp_path):
    before = np.vectorize(TO_SINKMAP.get)(BEFORE).astype("uint8")
    with LandCover.open(write_raster(tmp_path / "now.tif", NOW), "worldcover") as now, \
            LandCover.open(write_raster(tmp_path / "before.tif", before), "sinkmap", year=2020) as then:
        yield now, then


def test_land_cover_inside_the_redlines_then_and_now_by_hand(maps):
    # R2 (60 m × 30 m = 0.18 ha) lies inside R1: warned about, counted once
    with pytest.warns(SinkmapWarning, match=r"hx.gpkg: 1 pairs of redlines overlap by 0.18 ha in all \(R2/R1 0.18"):
        year = redline_year({"redlines": redlines()}, None, *maps, name="hx.gpkg")
    cover = year.cover.set_index(["realm", "sinkmap_class"])
    land = cover.loc["land"]
    # now: forest 4 cells, built 2, crop 1, shrub 1 of 8; before: forest 6, shrub 2
    assert land.loc["forest", ["area_ha", "previous_area_ha", "change_ha"]].tolist() == pytest.approx(
        [4 * CELL_HA, 6 * CELL_HA, -2 * CELL_HA])
    assert land.loc["built", ["area_ha", "previous_area_ha"]].tolist() == pytest.approx([2 * CELL_HA, 0.0])
    assert land.loc["shrub", "change_ha"] == pytest.approx((1 - 2) * CELL_HA)
    assert land.loc["forest", "share_pct"] == pytest.approx(100 * 4 / 8) and land.loc["forest", "name_zh"] == "乔木林"
    marine = cover.loc["marine"]  # mangrove 4 cells now, 3 before (one nodata cell); it counts as forest
    assert marine.loc["mangrove", ["area_ha", "previous_area_ha"]].tolist() == pytest.approx([4 * CELL_HA, 3 * CELL_HA])
    assert marine.loc["water", "share_pct"] == pytest.approx(100 * 4 / 8)
    check = year.cover_check.set_index("realm")
    assert check.loc["land", ["forest_ha", "forest_change_ha"]].tolist() == pytest.approx([4 * CELL_HA, -2 * CELL_HA])
    assert check.loc["land", ["human_use_ha", "human_use_change_ha"]].tolist() == pytest.approx(
        [3 * CELL_HA, 3 * CELL_HA])  # built 2 + crop 1, none before
    assert check.loc["marine", "forest_change_ha"] == pytest.approx(+1 * CELL_HA)
    assert (check["flag"] == "").all()  # 0.27 ha and 0.18 ha are below the 1 ha tolerance
    assert year.cover_year == 2020


def test_flags_at_the_tolerance_edges(maps):
    cover = redline_year({"redlines": redlines()}, None, *maps).cover
    land = lambda tolerance: cover_check(cover, tolerance).set_index("realm").at["land", "flag"]  # noqa: E731
    # human use +0.27 ha, forest −0.18 ha
    assert land(0.2) == NATURE_CHANGED
    assert land(0.1) == f"{NATURE_CHANGED}; {FUNCTION_LOWERED}"
    assert land(3 * CELL_HA) == ""  # a change equal to the tolerance is not flagged


def test_one_map_gives_the_composition_without_change_or_flags(maps):
    year = redline_year({"redlines": redlines()}, None, maps[0])
    assert year.cover["previous_area_ha"].isna().all() and year.cover_year is None
    assert year.cover_check["forest_change_ha"].isna().all() and (year.cover_check["flag"] == "").all()
    assert year.cover_check.set_index("realm").at["marine", "forest_ha"] == pytest.approx(4 * CELL_HA)


def test_reprojected_redline_footprints_are_repaired_without_losing_area(demo_survey):
    from sinkmap.crs import STORAGE_CRS
    from sinkmap.indicators.redline import county_pieces, footprints
    from sinkmap.readers.vector import read_layer
    from sinkmap.zonal.zones import reproject_zones

    zones = footprints(county_pieces(read_layer(demo_survey / "inputs" / "redlines.parquet", "redlines")))
    assert not zones.to_crs(STORAGE_CRS).is_valid.all()  # the demo has a union the reprojection pinches
    repaired = reproject_zones(zones, STORAGE_CRS)
    assert repaired.is_valid.all() and set(repaired.geom_type) <= {"Polygon", "MultiPolygon"}
    assert repaired.to_crs(AREA_CRS).area.to_numpy() == pytest.approx(zones.area.to_numpy(), rel=1e-9)


def test_a_map_that_leaves_redlines_unmapped_gives_a_note_not_a_flag(maps):
    # BEFORE has one nodata cell in the marine footprint: 7 of its 8 cells mapped = 87.5 % < 99 %
    year = redline_year({"redlines": redlines()}, None, *maps)
    notes = year.cover_check.set_index("realm")["note"]
    assert notes["marine"] == "not covered: before.tif maps 87.5 % of these redlines (< 99 %)"
    assert notes["land"] == ""
    assert redline_year({"redlines": redlines()}, None, *maps, coverage_min=0.85).cover_check["note"].eq("").all()
    # a note takes the place of a flag: land's +0.27 ha of human use flags at 0.1 ha, unless a map leaves it unmapped
    cover = year.cover
    keys = pd.MultiIndex.from_tuples([("A", "land")], names=["county", "realm"])
    unmapped = pd.Series(["not covered: before.tif maps 50.0 % of these redlines (< 99 %)"], index=keys)
    check = cover_check(cover, 0.1, notes=unmapped).set_index("realm")
    assert (check.at["land", "flag"], check.at["land", "note"]) == ("", unmapped.iloc[0])
    assert cover_check(cover, 0.1).set_index("realm").at["land", "flag"] == f"{NATURE_CHANGED}; {FUNCTION_LOWERED}"
