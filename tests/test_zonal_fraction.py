"""Exact coverage ("fraction"): hand fixtures, exactextract parity, input kinds, dask, properties."""

import hashlib
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rioxarray
import shapely
from exactextract import exact_extract
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from sinkmap.crs import AREA_CRS
from sinkmap.zonal import zonal_stats
from sinkmap.zonal.coverage import coverage_fraction
from tests.conftest import write_raster

GRID = from_origin(0, 120, 30, 30)  # the 4×4 fixture's grid: 30 m cells, origin (0, 120)


def brute_force(geom, transform, shape):
    """Coverage by shapely intersection, cell by cell (slow, obviously right)."""
    out = np.zeros(shape)
    for r in range(shape[0]):
        for c in range(shape[1]):
            cell = box(transform.c + c * transform.a, transform.f + (r + 1) * transform.e,
                       transform.c + (c + 1) * transform.a, transform.f + r * transform.e)
            out[r, c] = geom.intersection(cell).area / cell.area
    return out


def test_half_a_pixel(lc4x4):
    half = gpd.GeoDataFrame(geometry=[box(0, 90, 15, 120)], crs=AREA_CRS)  # left half of the top-left cell
    table = zonal_stats(lc4x4, half, categorical=True, coverage="fraction")
    # 0.5 cell of class 10; 0.5 × 900 m² = 450 m² = 0.045 ha
    assert table[["class", "pixels", "area_ha"]].values.tolist() == [[10, 0.5, pytest.approx(0.045)]]


def test_smaller_than_a_pixel(lc4x4):
    tiny = gpd.GeoDataFrame(geometry=[box(1, 91, 4, 94)], crs=AREA_CRS)  # 3 m × 3 m = 9 m² of a 900 m² cell
    table = zonal_stats(lc4x4, tiny, coverage="fraction")
    assert table["count"].iloc[0] == pytest.approx(9 / 900)
    assert table["mean"].iloc[0] == 10 and table["sum"].iloc[0] == pytest.approx(10 * 9 / 900)


def test_hole_multipolygon_and_partly_outside_by_hand(lc4x4):
    ring = box(0, 0, 120, 120).difference(box(45, 45, 75, 75))  # a 30 m hole centred on 4 cells, ¼ of each
    outside = box(-60, 90, 30, 150)  # only the top-left cell lies inside the raster
    parts = box(0, 0, 15, 30).union(box(60, 90, 75, 105))  # half of (3,0) and a quarter of (0,2)
    zones = gpd.GeoDataFrame({"id": ["ring", "outside", "parts"]}, geometry=[ring, outside, parts], crs=AREA_CRS)
    table = zonal_stats(lc4x4, zones, categorical=True, coverage="fraction", zone_field="id")
    got = {(r.id, r._2): r.pixels for r in table.itertuples()}
    # ring: 14 valid cells (2 nodata); the 4 inner cells (10, 20, 40, 95) each lose ¼
    assert got[("ring", 10)] == pytest.approx(4 - 0.25) and got[("ring", 20)] == pytest.approx(4 - 0.25)
    assert got[("ring", 40)] == pytest.approx(4 - 0.25) and got[("ring", 95)] == pytest.approx(2 - 0.25)
    assert got[("outside", 10)] == pytest.approx(1.0)
    assert got[("parts", 40)] == pytest.approx(0.5) and got[("parts", 20)] == pytest.approx(0.25)


def test_touching_polygons_add_up_to_whole_cells(lc4x4):
    lower = Polygon([(0, 0), (120, 0), (120, 120)])
    upper = Polygon([(0, 0), (120, 120), (0, 120)])
    shared = gpd.GeoDataFrame({"id": ["lower", "upper"]}, geometry=[lower, upper], crs=AREA_CRS)
    table = zonal_stats(lc4x4, shared, coverage="fraction", zone_field="id")
    assert table["count"].sum() == pytest.approx(14.0)  # 16 cells − 2 nodata, split between the two


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_coverage_equals_brute_force_intersection(seed):
    rng = np.random.default_rng(seed)
    points = shapely.MultiPoint(rng.uniform(0, 120, (25, 2)))
    geom = shapely.concave_hull(points, 0.3).difference(shapely.Point(rng.uniform(30, 90, 2)).buffer(12))
    np.testing.assert_allclose(coverage_fraction(geom, GRID, (4, 4)), brute_force(geom, GRID, (4, 4)), atol=1e-12)


@pytest.fixture(scope="module")
def random_case(tmp_path_factory):
    """A 200×240 random class raster with nodata, and polygons of every awkward kind."""
    folder = tmp_path_factory.mktemp("exact")
    rng = np.random.default_rng(11)
    data = rng.choice(np.array([0, 10, 20, 40, 95], dtype="uint8"), size=(200, 240), p=[0.1, 0.4, 0.2, 0.2, 0.1])
    path = write_raster(folder / "random.tif", data, transform=from_origin(500_000, 2_600_000, 10, 10))
    geoms = [
        shapely.concave_hull(shapely.MultiPoint(rng.uniform([500_100, 2_598_300], [502_300, 2_599_900], (40, 2))), 0.2),
        box(500_000, 2_598_000, 502_400, 2_600_000).difference(shapely.Point(501_200, 2_599_000).buffer(500)),
        shapely.Point(501_000, 2_599_500).buffer(300).union(shapely.Point(502_000, 2_598_500).buffer(150)),
        box(499_500, 2_599_500, 500_033.3, 2_600_500),  # partly outside
        box(501_001, 2_599_001, 501_004, 2_599_004),  # smaller than a cell
    ]
    zones = gpd.GeoDataFrame({"id": [f"z{i}" for i in range(len(geoms))]}, geometry=geoms, crs=AREA_CRS)
    zones.to_file(folder / "zones.gpkg")
    return path, folder / "zones.gpkg", zones


def test_continuous_stats_equal_exactextract(random_case):
    path, zones_path, zones = random_case
    ours = zonal_stats(path, zones, coverage="fraction", zone_field="id").set_index("id")
    theirs = exact_extract(str(path), zones, ["count", "sum", "mean", "min", "max"], output="pandas")
    for column in ("count", "sum", "mean", "min", "max"):
        np.testing.assert_allclose(ours[column].to_numpy(), theirs[column].to_numpy(), rtol=1e-6)


def test_class_coverage_equals_exactextract(random_case):
    path, _, zones = random_case
    ours = zonal_stats(path, zones, categorical=True, coverage="fraction", zone_field="id")
    theirs = exact_extract(str(path), zones, ["unique", "frac", "count"], output="pandas")
    for zone_id, row in zip(zones["id"], theirs.itertuples()):
        expected = dict(zip(np.asarray(row.unique).tolist(), (np.asarray(row.frac) * row.count).tolist()))
        got = ours[ours["id"] == zone_id].set_index("class")["pixels"].to_dict()
        assert got.keys() == expected.keys()
        for code, pixels in expected.items():
            assert got[code] == pytest.approx(pixels, rel=1e-6)


@pytest.mark.parametrize("coverage", ["center", "all_touched", "fraction"])
def test_path_dataset_dataarray_dask_and_parallel_give_identical_tables(random_case, coverage):
    path, zones_path, zones = random_case
    kwargs = {"categorical": True, "coverage": coverage, "zone_field": "id"}
    reference = zonal_stats(path, zones_path, **kwargs)
    with rasterio.open(path) as dataset:
        pd.testing.assert_frame_equal(zonal_stats(dataset, zones, **kwargs), reference)
    array = rioxarray.open_rasterio(path, masked=False)
    pd.testing.assert_frame_equal(zonal_stats(array, zones, **kwargs), reference)
    chunked = rioxarray.open_rasterio(path, chunks={"x": 64, "y": 50})
    pd.testing.assert_frame_equal(zonal_stats(chunked, zones, **kwargs), reference)
    pd.testing.assert_frame_equal(zonal_stats(path, zones, chunks=2_000, **kwargs), reference)
    pd.testing.assert_frame_equal(zonal_stats(path, zones, max_cells=500, **kwargs), reference)


def test_inputs_are_not_modified(random_case):
    path, zones_path, _ = random_case
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (path, zones_path)]
    zonal_stats(path, zones_path, categorical=True, coverage="fraction")
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in (path, zones_path)] == before


def test_geographic_fraction_areas_sum_to_the_geodesic_area(tmp_path):
    res = 1 / 3600
    data = np.where(np.add.outer(np.arange(180), np.arange(180)) % 5 == 0, 20, 10).astype("uint8")
    path = write_raster(tmp_path / "geo.tif", data, crs="EPSG:4490", transform=from_origin(115.30, 22.85, res, res))
    polygon = Polygon([(115.305, 22.805), (115.345, 22.81), (115.34, 22.845), (115.31, 22.84)])
    table = zonal_stats(path, gpd.GeoDataFrame(geometry=[polygon], crs=4490), categorical=True, coverage="fraction")
    lon, lat = polygon.exterior.xy
    geodesic_ha = abs(Geod(ellps="GRS80").polygon_area_perimeter(lon, lat)[0]) / 1e4
    assert table["area_ha"].sum() == pytest.approx(geodesic_ha, rel=0.005)
    assert table["area_ha"].sum() == pytest.approx(geodesic_ha, rel=1e-4)  # exact coverage: far inside 0.5 %


# ---------------------------------------------------------------- properties (hypothesis)

coordinates = st.floats(min_value=-20, max_value=140, allow_nan=False)
polygons = st.lists(st.tuples(coordinates, coordinates), min_size=3, max_size=12).map(
    lambda pts: shapely.convex_hull(shapely.MultiPoint(pts))).filter(lambda g: g.geom_type == "Polygon" and g.area > 1)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def class_area(lc4x4, geoms) -> float:
    frame = gpd.GeoDataFrame(geometry=list(geoms), crs=AREA_CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zonal_stats(lc4x4, frame, categorical=True, coverage="fraction")["area_ha"].sum()


# found by hypothesis: a 1 m sliver along the bottom row whose vertex 1e-190 m from another crosses itself in
# pixel units; GEOS's rectangle clip gave the window minus the sliver (0.26 ha for a 59.5 m² polygon)
SELF_CROSSING_SLIVER = shapely.convex_hull(shapely.MultiPoint([(0.0, 0.0), (2.0, 1.0), (121.0, 1.0),
                                                               (9.81172456739107e-190, 9.81172456739107e-190)]))


@PROPERTY
@example(polygon=SELF_CROSSING_SLIVER)
@given(polygon=polygons)
def test_class_areas_never_exceed_the_polygon(lc4x4, polygon):
    assert class_area(lc4x4, [polygon]) * 1e4 <= polygon.area + 1e-6


def test_a_sliver_crossing_itself_in_pixel_units_keeps_its_area(lc4x4):
    """The sliver above: 59.5 m² (½ · 119 m · 1 m, a triangle between y = 0 and 1), in the bottom row of the
    4 × 4 raster of 30 m cells (40, 40, 95, nodata): what lies over x 0–90 m counts, 55.529 m² (the cells from
    x = 90 m on are nodata or off the raster)."""
    assert SELF_CROSSING_SLIVER.area == pytest.approx(59.5)
    inside = SELF_CROSSING_SLIVER.intersection(shapely.box(0, 0, 90, 120)).area
    assert inside == pytest.approx(55.529, abs=1e-3)
    assert class_area(lc4x4, [SELF_CROSSING_SLIVER]) * 1e4 == pytest.approx(inside, rel=1e-9)


@PROPERTY
@given(polygon=polygons, cut=st.floats(min_value=1, max_value=119))
def test_splitting_a_polygon_keeps_the_sums(lc4x4, polygon, cut):
    left = polygon.intersection(box(-100, -100, cut, 300))
    right = polygon.intersection(box(cut, -100, 300, 300))
    parts = [g for g in (left, right) if not g.is_empty and g.area > 0]
    assert sum(class_area(lc4x4, [g]) for g in parts) == pytest.approx(class_area(lc4x4, [polygon]), abs=1e-9)


@PROPERTY
@given(polygon=polygons)
def test_vertex_order_does_not_matter(lc4x4, polygon):
    reversed_ring = Polygon(list(polygon.exterior.coords)[::-1])
    assert class_area(lc4x4, [reversed_ring]) == pytest.approx(class_area(lc4x4, [polygon]), abs=1e-12)


def test_a_sliver_grazing_the_raster_edge_is_clipped_not_an_error(lc4x4):
    # found by hypothesis: a triangle west of the raster whose tip touches x = 0 at 8.4e-307 m. GEOS's
    # rectangle clip builds a 3-point ring there and raises; the sliver covers nothing of the raster
    sliver = shapely.Polygon([(-1.0, 0.0), (-1.0, 3.0), (8.396013538303174e-307, 1.0)])
    assert class_area(lc4x4, [sliver]) == 0.0
    # the same shape moved 1 m east covers 1.5 m² of the bottom-left crop cell (40)
    inside = shapely.affinity.translate(sliver, 1.0, 0.0)
    assert class_area(lc4x4, [inside]) == pytest.approx(1.5 / 1e4)
