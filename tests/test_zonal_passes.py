"""Zones a part at a time (issue 21, item 3): 10⁶ stands are read, computed and written ``zones_per_pass`` at a
time, and every number is the one a single pass gives, whatever the part size: the large zones (counties) are
computed first in one pass of strips, a small zone from its own cells only."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import box

from sinkmap.cli import cli
from sinkmap.zonal import iter_zonal_stats, iter_zonal_tables, zonal_stats
from sinkmap.zonal import zones as zones_module
from tests.conftest import write_raster

GK = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E: Shanwei's inventories
X0, Y0, PIXEL = 440_000.0, 2_530_000.0, 10.0  # a 10 m grid near Haifeng
ROWS, COLS = 240, 300
MAX_CELLS = 3_000  # counties (≥ 100 × 120 cells) are large, stands (≤ 12 × 12) small
OUTSIDE = "ignore:.*zones lie outside the raster"


@pytest.fixture(scope="module")
def rasters(tmp_path_factory):
    """A uint8 class map (nodata 0) and a float32 map with NaN gaps, on one Gauss-Krüger grid."""
    folder = tmp_path_factory.mktemp("passes")
    rng = np.random.default_rng(21)
    classes = rng.integers(0, 6, size=(ROWS, COLS), dtype=np.uint8)
    values = rng.normal(100.0, 30.0, size=(ROWS, COLS)).astype(np.float32)
    values[rng.random((ROWS, COLS)) < 0.05] = np.nan
    transform = from_origin(X0, Y0, PIXEL, PIXEL)
    masked = write_raster(folder / "masked.tif", np.maximum(classes, 1), crs=GK, transform=transform, nodata=None)
    with rasterio.open(masked, "r+") as dst:  # a GDAL mask band (.msk beside it) instead of a nodata value
        dst.write_mask(np.where(rng.random((ROWS, COLS)) < 0.1, 0, 255).astype(np.uint8))
    float_codes = np.where(classes == 0, np.nan, classes * 10.0).astype(np.float32)  # codes 10.0 … 50.0 as floats
    return (write_raster(folder / "classes.tif", classes, crs=GK, transform=transform, nodata=0),
            write_raster(folder / "values.tif", values, crs=GK, transform=transform, nodata=np.nan),
            masked, write_raster(folder / "codes.tif", float_codes, crs=GK, transform=transform, nodata=np.nan))


@pytest.fixture(scope="module")
def zones() -> gpd.GeoDataFrame:
    """Three counties (large) between 90 stands (small: rotated quads, some with holes), one stand half off the
    raster and one wholly off it, in EPSG:4490 as delivered: every run reprojects them to the raster's grid."""
    rng = np.random.default_rng(7)
    geoms, ids = [], []
    counties = [box(X0 + 50, Y0 - 1_300, X0 + 1_500, Y0 - 100), box(X0 + 1_200, Y0 - 2_350, X0 + 2_950, Y0 - 900),
                shapely.Polygon([(X0 + 100, Y0 - 2_300), (X0 + 1_100, Y0 - 1_500), (X0 + 900, Y0 - 2_390)])]
    for k in range(90):
        if k in (11, 40, 73):  # the counties sit among the stands, in input order
            geoms.append(counties[(11, 40, 73).index(k)])
            ids.append(f"县{k:02d}")
        cx, cy = X0 + rng.uniform(60, 2_940), Y0 - rng.uniform(60, 2_340)
        quad = shapely.affinity.rotate(box(cx - 45, cy - 30, cx + 45, cy + 30), rng.uniform(0, 90))
        geoms.append(quad.difference(box(cx - 8, cy - 8, cx + 8, cy + 8)) if k % 5 == 0 else quad)
        ids.append(f"小班{k:03d}")
    geoms += [box(X0 - 40, Y0 - 500, X0 + 40, Y0 - 430), box(X0 - 900, Y0 - 500, X0 - 800, Y0 - 400)]
    ids += ["半出界", "出界"]
    return gpd.GeoDataFrame({"stand_id": ids}, geometry=geoms, crs=GK).to_crs("EPSG:4490")


CASES = [(coverage, categorical) for coverage in ("center", "all_touched", "fraction") for categorical in (True, False)]
MASKED, FLOAT_CODES = 2, 3  # rasters as delivered: a GDAL mask band instead of nodata; class codes stored as floats


@pytest.mark.filterwarnings(OUTSIDE)
@pytest.mark.filterwarnings("ignore:.*zones reprojected")
@pytest.mark.parametrize("coverage, categorical", CASES)
def test_any_part_size_gives_the_single_pass_numbers_bit_for_bit(rasters, zones, coverage, categorical):
    raster = rasters[0] if categorical else rasters[1]
    options = dict(categorical=categorical, coverage=coverage, zone_field="stand_id", max_cells=MAX_CELLS)
    whole = zonal_stats(raster, zones, **options)
    assert zones_module.ZONES_PER_PASS > len(zones)  # the default is one pass here
    counties = whole[whole["stand_id"].str.startswith("县")]
    if categorical:  # each county covers more cells than one read: a large zone, done strip by strip
        assert counties.groupby("stand_id")["pixels"].sum().min() > MAX_CELLS
    for per_pass in (1, 4, 13, 64):
        parts = zonal_stats(raster, zones, zones_per_pass=per_pass, **options)
        pd.testing.assert_frame_equal(parts, whole, check_exact=True)
    assert list(pd.unique(whole["stand_id"])) == [i for i in zones["stand_id"] if i != "出界"] or not categorical


@pytest.mark.filterwarnings(OUTSIDE)
@pytest.mark.filterwarnings("ignore:.*zones reprojected")
@pytest.mark.parametrize("coverage", ["center", "fraction"])
def test_mask_bands_and_float_codes_too(rasters, zones, coverage):
    """The same bit-for-bit parts on a raster whose invalid cells are a GDAL mask band (no nodata value) and on
    one whose class codes are floats. The mask is honoured (a masked cell counts in no class), and each float
    code is its class: the float map's table is the class map's with codes × 10."""
    options = dict(categorical=True, coverage=coverage, zone_field="stand_id", max_cells=MAX_CELLS)
    for raster in (rasters[MASKED], rasters[FLOAT_CODES]):
        whole = zonal_stats(raster, zones, **options)
        for per_pass in (1, 13):
            pd.testing.assert_frame_equal(zonal_stats(raster, zones, zones_per_pass=per_pass, **options), whole,
                                          check_exact=True)
    with rasterio.open(rasters[MASKED]) as src:
        valid = src.read_masks(1) > 0
    masked = zonal_stats(rasters[MASKED], zones, **options)
    county = zones[zones["stand_id"] == "县11"].to_crs(GK).geometry.iloc[0]  # box x 50–1,500 m, y 100–1,300 m
    assert county.bounds == pytest.approx((X0 + 50, Y0 - 1_300, X0 + 1_500, Y0 - 100), abs=1e-6)
    if coverage == "center":  # its cell centres: columns 5–149, rows 10–129 (145 × 120 cells), masked ones out
        inside = valid[10:130, 5:150]
        assert masked.loc[masked["stand_id"] == "县11", "pixels"].sum() == inside.sum() < 145 * 120
    codes = zonal_stats(rasters[FLOAT_CODES], zones, **options)
    classes = zonal_stats(rasters[0], zones, **options)
    assert codes["class"].tolist() == (classes["class"] * 10).tolist()
    pd.testing.assert_frame_equal(codes.drop(columns="class"), classes.drop(columns="class"), check_exact=True)


@pytest.mark.filterwarnings("ignore:.*zones reprojected")
def test_the_outside_warning_counts_every_part_once(rasters, zones):
    with pytest.warns(Warning, match=r"^1 zones lie outside the raster .*classes.tif: 出界$") as caught:
        zonal_stats(rasters[0], zones, categorical=True, zone_field="stand_id", zones_per_pass=5)
    assert sum("outside the raster" in str(w.message) for w in caught) == 1


@pytest.mark.filterwarnings(OUTSIDE)
def test_files_are_read_a_part_at_a_time(rasters, zones, tmp_path):
    """A GeoPackage, a GBK Shapefile with Chinese ids and a GeoParquet of 7-row groups, read 6 zones at a time
    (parts across row groups), give the in-memory table."""
    gk = zones.to_crs(GK)  # no reprojection warning per part
    gpkg, shp, parquet = tmp_path / "zones.gpkg", tmp_path / "zones.shp", tmp_path / "zones.parquet"
    gk.to_file(gpkg, layer="stands")
    gk.to_file(shp, encoding="gbk")
    gk.to_parquet(parquet, row_group_size=7)
    assert pq.ParquetFile(parquet).num_row_groups == 14  # 95 zones in groups of 7
    whole = zonal_stats(rasters[1], gk, coverage="fraction", zone_field="stand_id", max_cells=MAX_CELLS)
    for path in (gpkg, shp, parquet):
        parts = zonal_stats(rasters[1], path, coverage="fraction", zone_field="stand_id", max_cells=MAX_CELLS,
                            zones_per_pass=6)
        pd.testing.assert_frame_equal(parts, whole, check_exact=True)


@pytest.mark.filterwarnings(OUTSIDE)
@pytest.mark.filterwarnings("ignore:.*zones reprojected")
def test_progress_counts_the_tasks_of_every_pass(rasters, zones):
    seen = []
    zonal_stats(rasters[0], zones, categorical=True, max_cells=MAX_CELLS, zones_per_pass=10, workers=1,
                progress=lambda done, total: seen.append((done, total)))
    totals = {total for _, total in seen}
    done = [d for d, _ in seen]
    assert len(totals) == 1 and done == list(range(1, len(seen) + 1)) and seen[-1] == (len(seen), len(seen))
    # 10 parts of small zones, each at least one batch, and strips for the 3 counties
    assert len(seen) > 10


def test_parts_and_rows_are_the_same_table():
    """Two 2 × 2-cell squares on a 4 × 4 grid of 1…16 (row by row), one zone per pass: the parts are the zones'
    rows in order; square A (top left) = 1 + 2 + 5 + 6 = 14, square B (bottom right) = 11 + 12 + 15 + 16 = 54."""
    from rasterio.io import MemoryFile

    data = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
    squares = gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[box(0, 20, 20, 40), box(20, 0, 40, 20)],
                               crs="EPSG:3857")
    with MemoryFile() as memory:
        with memory.open(driver="GTiff", width=4, height=4, count=1, dtype="float32", crs="EPSG:3857",
                         transform=from_origin(0, 40, 10, 10)) as dataset:
            dataset.write(data, 1)
        with memory.open() as dataset:
            parts = list(iter_zonal_tables(dataset, squares, zone_field="name", stats=["sum", "count"],
                                           zones_per_pass=1))
            rows = list(iter_zonal_stats(dataset, squares, zone_field="name", stats=["sum", "count"]))
    assert [part.to_dict("records") for part in parts] == [[rows[0]], [rows[1]]]
    assert rows == [{"name": "A", "count": 4.0, "sum": 14.0}, {"name": "B", "count": 4.0, "sum": 54.0}]


@pytest.mark.filterwarnings(OUTSIDE)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_command_writes_the_parts_as_one_table(rasters, zones, tmp_path, monkeypatch, suffix):
    """``sinkmap zonal`` streams 4-zone parts into one table, identical to the table of one pass."""
    path = tmp_path / "zones.gpkg"
    zones.to_crs(GK).to_file(path)
    args = ["zonal", str(rasters[0]), str(path), "--categorical", "--zone-field", "stand_id", "--class-names",
            "worldcover", "-q"]
    assert CliRunner().invoke(cli, [*args, "-o", str(tmp_path / f"one{suffix}")]).exit_code == 0
    monkeypatch.setattr(zones_module, "ZONES_PER_PASS", 4)
    result = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / f"parts{suffix}")])
    assert result.exit_code == 0, result.output
    one, parts = ((tmp_path / f"{name}{suffix}").read_bytes() for name in ("one", "parts"))
    if suffix == ".csv":
        assert parts == one and one.startswith("\ufeffstand_id,class,class_name,pixels,area_ha\n".encode())
    else:
        a, b = (pd.read_parquet(tmp_path / f"{name}{suffix}") for name in ("one", "parts"))
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert pq.ParquetFile(tmp_path / f"parts{suffix}").num_row_groups > 1


def test_the_thread_pool_runs_a_few_tasks_ahead_not_all(monkeypatch):
    """Tasks go to the threads a few at a time, their totals in task order (``Executor.map`` made a future for
    every task at once: 6,535 for the strips of 6.4 Gpx, ≈ 10 MiB held to the end)."""
    from sinkmap.zonal import tasks as tasks_module

    started = []
    monkeypatch.setattr(tasks_module, "run_task", lambda plan, task: started.append(task) or {task: task})
    ahead = tasks_module.AHEAD_PER_THREAD * 2
    for k, partial in enumerate(tasks_module._pooled(None, list(range(500)), workers=2)):
        assert partial == {k: k} and len(started) <= k + ahead
    assert sorted(started) == list(range(500))
