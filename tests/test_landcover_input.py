"""The land-cover input object (``sinkmap.zonal.landcover.LandCover``): opened and checked once, its zonal
passes by hand on a 3 × 3 raster (centre rule against fraction rule), and the files a demo survey opens."""

from __future__ import annotations

import collections
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from pyproj import CRS
from shapely.geometry import box

from sinkmap.crs import AREA_CRS, WEB_MERCATOR
from sinkmap.errors import MissingInputError, SchemaError, SinkmapWarning
from sinkmap.zonal.landcover import LandCover
from tests.conftest import PIXEL_M, write_raster

CELL_HA = PIXEL_M * PIXEL_M / 1e4  # 30 m × 30 m = 0.09 ha (equal-area CRS: true area = grid area)
# WorldCover codes, row 0 the north row (y 60–90 m), column 0 the west one (x 0–30 m); 0 = nodata.
# Forest in WorldCover: 10 tree cover, 95 mangroves.
LC3X3 = np.array([[10, 10, 30],
                  [10, 95, 30],
                  [80, 80, 0]], dtype="uint8")
# Zone a covers cell (0, 0) and 2/3 of cell (0, 1) (x 30–50 of 30–60; that cell's centre x = 45 is inside).
# Zone b covers 1/3 of cells (1, 0) and (2, 0) (x 20–30; their centres x = 15 are outside) and all of
# cells (1, 1), (1, 2), (2, 1) and (2, 2) (nodata).
ZONES = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[box(0, 60, 50, 90), box(20, 0, 90, 60)], crs=AREA_CRS)


@pytest.fixture
def lc3x3(tmp_path):
    with LandCover.open(write_raster(tmp_path / "lc3x3.tif", LC3X3), "worldcover", year=2020) as landcover:
        yield landcover


def pixels(table, zone: str) -> dict[int, float]:
    rows = table[table["id"] == zone]
    return {int(c): p for c, p in zip(rows["class"], rows["pixels"]) if p > 1e-9}  # reprojection slivers aside


def test_the_map_is_described_once_opened(lc3x3):
    assert (lc3x3.name, lc3x3.preset, lc3x3.year, lc3x3.shape, lc3x3.nodata) == ("lc3x3.tif", "worldcover", 2020,
                                                                                  (3, 3), 0.0)
    assert lc3x3.codes == (10, 30, 80, 95) and lc3x3.forest_codes == {10, 95}
    assert CRS.from_user_input(lc3x3.crs).equals(AREA_CRS) and lc3x3.transform.a == PIXEL_M
    assert not lc3x3.masked


def test_centre_rule_counts_a_cell_whole_or_not_at_all(lc3x3):
    table = lc3x3.class_areas_centre(ZONES, "id")
    assert pixels(table, "a") == {10: 2}  # (0, 0) and (0, 1), whose centre is inside: 2 cells of tree cover
    assert pixels(table, "b") == {95: 1, 30: 1, 80: 1}  # (1, 0) and (2, 0) left out; (2, 2) is nodata
    assert table.loc[table["id"] == "a", "area_ha"].sum() == pytest.approx(2 * CELL_HA)  # 0.18 ha


def test_fraction_rule_counts_the_covered_share_of_each_cell(lc3x3):
    table = lc3x3.class_areas_fraction(ZONES, "id")
    assert pixels(table, "a") == pytest.approx({10: 1 + 2 / 3})  # 0.15 ha, where the centre rule says 0.18
    assert pixels(table, "b") == pytest.approx({10: 1 / 3, 95: 1, 30: 1, 80: 1 + 1 / 3})
    assert table.loc[table["id"] == "a", "area_ha"].sum() == pytest.approx((1 + 2 / 3) * CELL_HA)


def test_forest_by_the_fraction_rule_in_hectares(lc3x3):
    with pytest.warns(SinkmapWarning, match="zones reprojected from EPSG:4490"):  # the zones go through 4490
        forest = lc3x3.forest_ha_fraction(ZONES.rename(columns={"id": "unit"}))
    # a: tree cover 1 + 2/3 cells; b: tree cover 1/3 + mangrove 1 (open water 30 and cropland 80 are not forest)
    assert forest.to_dict() == pytest.approx({"a": (1 + 2 / 3) * CELL_HA, "b": (1 / 3 + 1) * CELL_HA})
    assert lc3x3.forest_ha_fraction(ZONES.iloc[:0].rename(columns={"id": "unit"})).empty


def test_class_image_keeps_codes_and_nodata(lc3x3):
    image = lc3x3.image(AREA_CRS.to_wkt())
    assert image.codes.tolist() == LC3X3.tolist() and image.nodata == 0 and image.preset == "worldcover"
    assert image.bounds == pytest.approx((0.0, 0.0, 90.0, 90.0))
    assert lc3x3.image(WEB_MERCATOR).crs == WEB_MERCATOR


def test_open_checks_the_map_and_close_closes_it(tmp_path):
    with pytest.raises(MissingInputError, match=r"none.tif: raster not found"):
        LandCover.open(tmp_path / "none.tif", "worldcover")
    with pytest.raises(SchemaError, match=r"class codes \[10, 30, 80, 95\] are not in the 'clcd' preset"):
        LandCover.open(write_raster(tmp_path / "lc.tif", LC3X3), "clcd")
    landcover = LandCover.open(tmp_path / "lc.tif", "worldcover")
    landcover.close()
    assert landcover.dataset.closed


# The land-cover passes of the demo survey (survey.yaml: landcover, landcover_previous of 2020, the year
# of stands_previous, and redlines), by map: what each reads. Before the LandCover object the survey
# opened landcover.tif 16 times and landcover_2020.tif 14 (a check, then each pass and each thread of it).
PASSES = {
    "landcover.tif": ["check: codes in the preset",
                      "class_areas_centre: class areas per county",
                      "forest_ha_fraction: forest in the 2025 stands' footprint",
                      "forest_ha_fraction: forest in the 2025 stands' forest patches",
                      "class_areas_fraction: land cover inside the redlines",
                      "image: the web map's overlay (Web Mercator)",
                      "image: the report's figure 2 (equal-area)"],  # 7 passes
    "landcover_2020.tif": ["check: codes in the preset",
                           "class_areas_centre: class areas per county (the 2020 stands' map)",
                           "forest_ha_fraction: forest in the 2020 stands' footprint",
                           "forest_ha_fraction: forest in the 2020 stands' forest patches",
                           "class_areas_fraction: land cover inside the redlines, then"],  # 5 passes
}


@pytest.mark.slow
def test_a_demo_survey_opens_each_land_cover_map_once(demo_survey, monkeypatch):
    # the survey's computation alone: its writers draw ClassImages and never open a raster (the map, the
    # report and the GeoPackage add ~10 s and no opens)
    from sinkmap.config import load_config
    from sinkmap.survey import compute_survey

    opens, passes = collections.Counter(), collections.Counter()
    real_open = rasterio.open

    def counting_open(path, *args, **kwargs):
        opens[Path(str(path)).name] += 1
        return real_open(path, *args, **kwargs)

    def counting(method):
        def run(self, *args, **kwargs):
            passes[self.name] += 1
            return method(self, *args, **kwargs)
        return run

    monkeypatch.setattr(rasterio, "open", counting_open)
    for name in ("class_areas_centre", "class_areas_fraction", "forest_ha_fraction", "image"):
        monkeypatch.setattr(LandCover, name, counting(getattr(LandCover, name)))
    compute_survey(load_config(demo_survey / "inputs" / "survey.yaml"))
    for name, listed in PASSES.items():
        assert passes[name] + 1 == len(listed), name  # + the check
        assert opens[name] <= len(listed), name  # at most one open per pass …
        assert opens[name] == 1, name  # … and in fact one: opened and checked in read_inputs, held open
