"""Cell areas under both conventions: ground (ellipsoid) and nominal (planar), on Chinese grids."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod, Transformer
from rasterio.transform import from_origin
from rasterio.windows import Window

from sinkmap.errors import CRSError, InputError
from sinkmap.zonal import zonal_stats
from sinkmap.zonal.cellarea import cell_areas
from tests.conftest import write_raster

GEOD = Geod(ellps="GRS80")
GK = CRS("EPSG:4547")  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
# 10 m cells from the central meridian (x = 500 km) eastwards over 150 km, at Shanwei's latitude
GK_TRANSFORM = from_origin(500_000, 2_530_000, 10, 10)
GK_SHAPE = (2_000, 15_000)  # rows, cols


def geodesic_cell_m2(crs, transform, row: int, col: int) -> float:
    """The cell's area on GRS80: its four corners, each side densified, as a geodesic polygon."""
    x0, y0 = transform * (col, row)
    x1, y1 = transform * (col + 1, row + 1)
    ring = shapely.segmentize(shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), 1.0)
    lon, lat = Transformer.from_crs(crs, CRS(crs).geodetic_crs, always_xy=True).transform(
        *shapely.get_coordinates(ring).T)
    return abs(GEOD.polygon_area_perimeter(lon, lat)[0])


def area_at(areas, row: int, col: int) -> float:
    return float(np.broadcast_to(areas.window(Window(col, row, 1, 1)), (1, 1))[0, 0])


@pytest.mark.parametrize(("row", "col"), [(0, 0), (1_999, 7_500), (1_000, 14_999), (0, 14_999), (1_234, 3_210)])
def test_gauss_kruger_cells_have_their_geodesic_area(row, col):
    areas = cell_areas(GK_TRANSFORM, GK_SHAPE[1], GK_SHAPE[0], GK)
    assert area_at(areas, row, col) == pytest.approx(geodesic_cell_m2(GK, GK_TRANSFORM, row, col), rel=2e-7)


def test_gauss_kruger_scale_changes_east_west():
    # transverse Mercator's areal scale is ≈ 1 + x²/R² (x from the central meridian): 150 km east it is
    # ≈ 1 + 150²/6,371² = 1.000554, so a cell there covers ≈ 0.055 % less ground than one on the meridian,
    # in the same row. A per-row area (the middle column's) cannot see this.
    areas = cell_areas(GK_TRANSFORM, GK_SHAPE[1], GK_SHAPE[0], GK)
    west, east = area_at(areas, 1_000, 0), area_at(areas, 1_000, 14_999)
    assert west == pytest.approx(100.0, rel=1e-6)
    assert east / west == pytest.approx(1 / (1 + (150_000 / 6_371_000) ** 2), rel=2e-5)


@pytest.mark.parametrize(("crs", "transform"), [
    ("EPSG:32650", from_origin(300_000, 2_560_000, 30, 30)),  # UTM 50N, west of its CM 117°E
    ("EPSG:3857", from_origin(12_800_000, 2_610_000, 1_000, 1_000)),  # Web Mercator, 1 km cells
    ("EPSG:4526", from_origin(38_560_000, 2_540_000, 10, 10)),  # GK zone 38 with the zone prefix
])
def test_conformal_grids_match_the_geodesic_cell(crs, transform):
    areas = cell_areas(transform, 3_000, 3_000, crs)
    for row, col in [(0, 0), (2_999, 2_999), (1_500, 700)]:
        assert area_at(areas, row, col) == pytest.approx(geodesic_cell_m2(crs, transform, row, col), rel=2e-7)


def test_nominal_is_the_planar_pixel_area():
    assert cell_areas(GK_TRANSFORM, 10, 10, GK, "nominal").window(Window(0, 0, 10, 10)) == 100.0  # 10 m × 10 m
    # NAD83 / New York Long Island in US survey feet: 3 ft × 3 ft = 9 ft² = 0.8361 m²
    feet = cell_areas(from_origin(1e6, 2e5, 3, 3), 5, 5, "EPSG:2263", "nominal")
    assert feet.nominal_m2 == pytest.approx(9 * (1200 / 3937) ** 2, rel=1e-12)  # 1 US ft = 1200/3937 m


def test_nominal_area_of_a_geographic_raster_is_refused():
    with pytest.raises(CRSError, match="would be in square degrees. Use area='ground'"):
        cell_areas(from_origin(115, 23, 0.001, 0.001), 10, 10, "EPSG:4490", "nominal")
    with pytest.raises(InputError, match="unknown area convention 'planar'"):
        cell_areas(GK_TRANSFORM, 10, 10, GK, "planar")


def test_gauss_kruger_zonal_areas_both_ways(tmp_path):
    # a 100 × 100 raster of 10 m cells 120 km east of the central meridian, one class; a 1 km² square of the
    # grid, inside it: planar area 100 ha exactly (nominal), ground area 100 ha ÷ the areal scale there
    transform = from_origin(620_000, 2_530_000, 10, 10)
    path = write_raster(tmp_path / "gk.tif", np.full((100, 100), 40, dtype="uint8"), crs=GK, transform=transform)
    square = shapely.box(620_000, 2_529_000, 621_000, 2_530_000)
    zones = gpd.GeoDataFrame(geometry=[square], crs=GK)
    nominal = zonal_stats(path, zones, categorical=True, coverage="fraction", area="nominal")
    assert nominal["area_ha"].iloc[0] == pytest.approx(100.0, rel=1e-12)  # 10,000 cells × 100 m²
    ground = zonal_stats(path, zones, categorical=True, coverage="fraction")
    lon, lat = Transformer.from_crs(GK, GK.geodetic_crs, always_xy=True).transform(
        *shapely.get_coordinates(shapely.segmentize(square, 10)).T)
    geodesic_ha = abs(GEOD.polygon_area_perimeter(lon, lat)[0]) / 1e4
    assert ground["area_ha"].iloc[0] == pytest.approx(geodesic_ha, rel=1e-7)
    assert ground["area_ha"].iloc[0] < 100.0 - 0.03  # ≈ 120²/6,371² = 0.035 % smaller on the ground


def test_geographic_grid_still_exact_per_row():
    # one 0.1° cell at 115.3–115.4°E, 22.7–22.8°N: 11,374.2 ha on GRS80
    areas = cell_areas(from_origin(115.3, 22.8, 0.1, 0.1), 1, 1, "EPSG:4490")
    assert area_at(areas, 0, 0) / 1e4 == pytest.approx(11374.2, abs=0.1)
