"""Centre rule in batches (zonal/centre.py): the cells of each zone, rasterized with the other zones of its
batch, are exactly the cells GDAL burns for the zone alone (geometry_mask in the zone's own window, the
engine's former way and rasterstats'), for adjacent and overlapping zones, edges through cell centres,
holes, multipolygons and zones partly off the raster; zonal_stats(coverage="center") == rasterstats."""

import contextlib
import warnings
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import rasterstats
import shapely
import shapely.ops
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rasterio.enums import MergeAlg
from rasterio.features import rasterize
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from sinkmap.crs import AREA_CRS
from sinkmap.zonal import zonal_stats
from sinkmap.zonal.centre import batch_centre, centre_mask, window_transform
from sinkmap.zonal.plan import zone_window
from tests.conftest import write_raster

CELL = 10.0
WEST, NORTH = 500_000.0, 2_600_200.0  # whole metres: GDAL's pixel coordinates of lattice points are exact
GRID = SimpleNamespace(transform=from_origin(WEST, NORTH, CELL, CELL), width=24, height=20)
OFF_GRID = SimpleNamespace(transform=from_origin(WEST + 0.37, NORTH - 0.81, CELL, CELL), width=24, height=20)


def per_zone(geoms, grid=GRID):
    """Each zone alone in its own window (the reference), and the windows (zones off the raster left out)."""
    kept = [(g, w) for g in geoms if (w := zone_window(grid, g.bounds)) is not None]
    expected = [centre_mask(g, grid.transform, w).ravel() for g, w in kept]
    return [g for g, _ in kept], [w for _, w in kept], expected


def assert_batch_equals_per_zone(geoms, grid=GRID):
    geoms, windows, expected = per_zone(geoms, grid)
    if len(geoms) < 2:
        return
    got = batch_centre(np.array(geoms, dtype=object), grid.transform, windows)
    assert got.dtype == bool
    np.testing.assert_array_equal(got, np.concatenate(expected), err_msg=str([g.wkt for g in geoms]))


def test_shared_edge_through_cell_centres_by_hand():
    # L: x 0–25 m, R: x 25–60 m, over 4 rows: their shared edge runs through the centres of column 2 (x = 25).
    # GDAL burns a cell whose centre lies on a polygon's right edge, not on its left edge: column 2 is L's.
    left, right = box(WEST, NORTH - 40, WEST + 25, NORTH), box(WEST + 25, NORTH - 40, WEST + 60, NORTH)
    # T: the triangle over the top-left half of the 6 × 4 cells; its diagonal passes through cell corners
    triangle = Polygon([(WEST, NORTH - 40), (WEST + 60, NORTH), (WEST, NORTH)])
    windows = [zone_window(GRID, g.bounds) for g in (left, right, triangle)]
    got = batch_centre(np.array([left, right, triangle], dtype=object), GRID.transform, windows)
    left_cells, right_cells, triangle_cells = np.split(got, [3 * 4, 3 * 4 + 4 * 4])
    assert left_cells.reshape(4, 3).all()  # columns 0–2
    assert right_cells.reshape(4, 4)[:, 1:].all() and not right_cells.reshape(4, 4)[:, 0].any()  # 3–5 of 2–5
    # triangle: centres with x/60 + (40 − y)/40 < 1 inside, row by row 5, 4, 2, 1 cells (12 of 24)
    np.testing.assert_array_equal(triangle_cells.reshape(4, 6).sum(axis=1), [5, 4, 2, 1])


# --- property test: zones on a lattice of half cells (corners and centres), so edges often run through centres

half = st.integers(-6, 2 * 24 + 6)  # columns ± 3 cells beyond the raster, in half cells
half_row = st.integers(-6, 2 * 20 + 6)


def to_xy(i: int, j: int) -> tuple[float, float]:
    return WEST + i * CELL / 2, NORTH - j * CELL / 2


@st.composite
def zone_group(draw) -> list:
    """One zone or two adjacent ones: a lattice polygon (convex hull), a box with a hole, two boxes as one
    multipolygon, or a polygon cut in two along a lattice line (a shared edge through cell centres)."""
    kind = draw(st.sampled_from(["hull", "holed", "multi", "split"]))
    if kind == "multi":
        a, b = (box(*to_xy(draw(half), draw(half_row)), *to_xy(draw(half), draw(half_row))) for _ in range(2))
        return [shapely.union_all([a, b])]  # a multipolygon when the boxes are apart or meet at a corner
    points = [to_xy(draw(half), draw(half_row)) for _ in range(draw(st.integers(3, 6)))]
    hull = shapely.MultiPoint(points).convex_hull
    if kind == "holed":
        hull = hull.difference(shapely.box(*to_xy(draw(half), draw(half_row)), *to_xy(draw(half), draw(half_row))))
    if kind == "split":
        cut = shapely.LineString([to_xy(draw(half), -20), to_xy(draw(half), 80)])
        return list(shapely.get_parts(shapely.ops.split(hull, cut))) if hull.geom_type == "Polygon" else [hull]
    return [hull]


def polygons(groups: list[list]) -> list:
    out = []
    for geom in (g for group in groups for g in group):
        geom = shapely.make_valid(geom)
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
        if parts:
            out.append(shapely.union_all(parts) if len(parts) > 1 else parts[0])
    return out


# found by this test: in MergeAlg.add GDAL left out the cell at the end of the second zone's edge along the
# row of centres (y = 2,600,195), which it burns in the default mode
HORIZONTAL_EDGE_ON_CENTRES = [[box(WEST, NORTH - 5, WEST + 5, NORTH)],
                              [Polygon([(WEST + 100, NORTH - 10), (WEST + 95, NORTH - 10), (WEST + 95, NORTH - 5),
                                        (WEST, NORTH - 5), (WEST, NORTH), (WEST + 105, NORTH), (WEST + 105, NORTH - 5),
                                        (WEST + 100, NORTH - 5)])]]


@settings(max_examples=150, deadline=None)
@given(st.lists(zone_group(), min_size=2, max_size=14))
@example(HORIZONTAL_EDGE_ON_CENTRES)
def test_batch_equals_each_zone_alone_on_a_lattice(groups):
    assert_batch_equals_per_zone(polygons(groups))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-30, 270), st.floats(-30, 230), st.floats(2, 90), st.floats(0.3, 3)),
                min_size=2, max_size=20))
def test_batch_equals_each_zone_alone_in_general_position(circles):
    """Ellipses anywhere (many overlapping, some three or more deep), on a grid with an origin of no whole metre."""
    geoms = [shapely.affinity.scale(shapely.Point(WEST + x, NORTH - y).buffer(r, quad_segs=5), s, 1)
             for x, y, r, s in circles]
    assert_batch_equals_per_zone(geoms, OFF_GRID)


# --- a dense fixture: a tiling, overlaps three deep, holes, multipolygons, zones partly off the raster

def dense_zones() -> list:
    rng = np.random.default_rng(21)
    # a jittered 8 × 7 Voronoi tiling (shared edges) reaching 2 cells beyond the raster on every side
    points = [(WEST - 20 + (i + 0.5 + rng.uniform(-0.4, 0.4)) * 35, NORTH + 20 - (j + 0.5 + rng.uniform(-0.4, 0.4)) * 34)
              for i in range(8) for j in range(7)]
    frame = box(WEST - 20, NORTH - 220, WEST + 260, NORTH + 20)
    tiles = [cell.intersection(frame) for cell in shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(points),
                                                                                             extend_to=frame))]
    # three shifted copies of one disc (every cell of their common part burned by three zones), a ring
    # around a centre with a hole, a multipolygon of two squares meeting at a corner, a lattice square split
    # along the centres of column 12
    discs = [shapely.Point(WEST + 120 + dx, NORTH - 100).buffer(30) for dx in (0, 7, 14)]
    ring = shapely.Point(WEST + 60, NORTH - 150).buffer(35).difference(box(WEST + 45, NORTH - 165, WEST + 75, NORTH - 135))
    multi = shapely.MultiPolygon([box(WEST + 180, NORTH - 60, WEST + 200, NORTH - 40),
                                  box(WEST + 200, NORTH - 80, WEST + 230, NORTH - 60)])
    square = [box(WEST + 90, NORTH - 200, WEST + 125, NORTH - 160), box(WEST + 125, NORTH - 200, WEST + 160, NORTH - 160)]
    return tiles + discs + [ring, multi] + square


def test_dense_fixture_batch_equals_each_zone_alone():
    geoms = dense_zones()
    _, windows, _ = per_zone(geoms)
    shapes = [(g, 1) for g in geoms]
    burns = rasterize(shapes, out_shape=(20, 24), transform=GRID.transform, merge_alg=MergeAlg.add, dtype="int32")
    assert burns.max() >= 3  # the fixture reaches the path of cells burned by three zones
    assert_batch_equals_per_zone(geoms)


def test_zones_stacked_deep_cost_a_bounded_number_of_passes(monkeypatch):
    """40 discs over one another: each pass reveals one more overlap (the first and last zone of the shared
    cells), so after MAX_PASSES layers the zones left are rasterized alone; the cells stay the same."""
    from sinkmap.zonal import centre

    discs = [shapely.Point(WEST + 100 + k, NORTH - 100).buffer(40 + k % 3) for k in range(40)]
    calls = []
    counted = centre.rasterize
    monkeypatch.setattr(centre, "rasterize", lambda *a, **k: calls.append(1) or counted(*a, **k))
    assert_batch_equals_per_zone(discs)
    capped = len(calls)  # at most two burns a pass (one for a layer of one zone); geometry_mask's are not counted
    calls.clear()
    monkeypatch.setattr(centre, "MAX_PASSES", 10**6)
    assert_batch_equals_per_zone(discs)
    assert capped <= 2 * 16 < len(calls)


def test_window_transform_rounds_as_rasterstats():
    # rasterstats: c, f = affine * (col_off, row_off) → c + col·a; rasterio.windows.transform rounds (c + col·a) − c + c
    transform = from_origin(123_456.789, 2_345_678.9, 0.3, 0.3)
    window = SimpleNamespace(col_off=7, row_off=11)
    t = window_transform(window, transform)
    assert (t.c, t.f) == transform @ (7, 11)


def test_zonal_stats_centre_equals_rasterstats_on_the_dense_fixture(tmp_path):
    rng = np.random.default_rng(3)
    data = rng.choice(np.array([0, 10, 20, 30, 40, 95], dtype="uint8"), size=(GRID.height, GRID.width))
    path = write_raster(tmp_path / "dense.tif", data, transform=GRID.transform)
    zones = gpd.GeoDataFrame(geometry=dense_zones(), crs=AREA_CRS)
    ours = zonal_stats(path, zones, categorical=True, coverage="center", workers=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = rasterstats.zonal_stats(zones, str(path), categorical=True, nodata=0)
    got = [{int(c): int(p) for c, p in zip(rows["class"], rows["pixels"])} for _, rows in ours.groupby("zone")]
    expected = [{int(k): v for k, v in counts.items()} for counts in theirs if counts]
    assert sum(map(len, expected)) > 100 and got == expected


@pytest.mark.parametrize("max_cells", [60, 1_000_000])
def test_zonal_stats_centre_does_not_depend_on_the_batches(tmp_path, max_cells):
    """Batches of a few zones (max_cells 60) or all zones in one give the per-zone counts of rasterstats."""
    data = np.arange(GRID.height * GRID.width, dtype="int32").reshape(GRID.height, GRID.width) % 7 + 1
    path = write_raster(tmp_path / "codes.tif", data, transform=GRID.transform)
    zones = gpd.GeoDataFrame(geometry=dense_zones(), crs=AREA_CRS)
    ours = zonal_stats(path, zones, coverage="center", max_cells=max_cells, stats=("count", "sum"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = rasterstats.zonal_stats(zones, str(path), stats=["count", "sum"], nodata=0)
    assert ours["count"].tolist() == [r["count"] for r in theirs]
    assert ours["sum"].tolist() == [r["sum"] or 0 for r in theirs]


def test_the_bounded_gdal_cache_is_64_mib(monkeypatch):
    """rasterio passes an integer GDAL_CACHEMAX to GDALSetCacheMax64 in bytes: 64 (before) meant 64 bytes,
    and GDAL's rasterize, which works in chunks of rows that fit in the cache, then went one row at a time
    through every polygon of a batch (6× slower on 256 stands)."""
    import rasterio

    from sinkmap.zonal import engine

    seen = []
    monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    monkeypatch.setattr(rasterio, "Env", lambda **options: seen.append(options) or contextlib.nullcontext())
    with engine.bounded_gdal_cache():
        pass
    assert seen == [{"GDAL_CACHEMAX": 64 * 1024 * 1024}]

