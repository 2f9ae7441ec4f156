"""Zonal statistics on a dask.distributed cluster: the serial run's tables, byte for byte, computed on the
workers of a LocalCluster (2 processes × 1 thread); an unreachable scheduler is one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import distributed
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rioxarray
import shapely
from rasterio.transform import from_origin
from rasterio.windows import Window

from sinkmap.errors import InputError, SchedulerError
from sinkmap.zonal import zonal_stats
from sinkmap.zonal.cellarea import cell_areas
from sinkmap.zonal.cluster import CONNECT_TIMEOUT_S, SCHEDULER_ENV, use_cluster
from sinkmap.zonal.landcover import LandCover
from sinkmap.zonal.plan import plan_tasks, zone_window
from sinkmap.zonal.sources import RasterSource, open_source, opened
from tests.conftest import write_raster

pytestmark = pytest.mark.filterwarnings("ignore:.*zones lie outside the raster")  # a few zones do, on purpose

SHAPE = (240, 300)  # rows, columns
MAX_CELLS = 4_000  # small zones (≤ 16 × 16 cells) are batched; the two large ones go in row strips
# geographic: each row's cells have their own ground area; Gauss-Krüger: the area varies across the grid
GRIDS = {"geographic": ("EPSG:4490", from_origin(115.30, 22.85, 1 / 3600, 1 / 3600)),
         "gauss_kruger": ("EPSG:4547", from_origin(640_000.0, 2_530_000.0, 10.0, 10.0))}
CLASSES = np.array([0, 10, 20, 30, 40, 95], dtype="uint8")  # WorldCover codes, 0 = nodata
UNREACHABLE = "tcp://127.0.0.1:1"


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster, distributed.Client(cluster, set_as_default=False) as client:
        yield client


def pixel_zones() -> list:
    """200 small zones (1–8 cells across, a few over the raster's edge) and 2 large ones (one with a hole), in
    pixel coordinates (column, row)."""
    rng = np.random.default_rng(21)
    centres = rng.uniform([-4, -4], [SHAPE[1] + 4, SHAPE[0] + 4], (200, 2))
    small = [shapely.affinity.scale(shapely.Point(c).buffer(r, quad_segs=3), *rng.uniform(0.5, 1.5, 2))
             for c, r in zip(centres, rng.uniform(0.4, 8.0, 200))]
    large = [shapely.Polygon([(10.3, 5.7), (190.2, 20.1), (170.8, 230.4), (30.1, 200.9)]),
             shapely.box(120.5, 40.2, 290.7, 180.3).difference(shapely.Point(200, 110).buffer(30))]
    return small + large


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """Per grid: a class raster (blocks of 6 × 6 cells, 1 cell in 10 random, nodata 0) and the zones."""
    folder = tmp_path_factory.mktemp("cluster")
    rng = np.random.default_rng(5)
    blocks = rng.choice(CLASSES, size=(SHAPE[0] // 6 + 1, SHAPE[1] // 6 + 1))
    data = np.repeat(np.repeat(blocks, 6, axis=0), 6, axis=1)[:SHAPE[0], :SHAPE[1]]
    noise = rng.random(SHAPE) < 0.1
    data[noise] = rng.choice(CLASSES, size=int(noise.sum()))
    out = {}
    for name, (crs, transform) in GRIDS.items():
        path = write_raster(folder / f"{name}.tif", data, crs=crs, transform=transform)
        t = transform
        geoms = [shapely.affinity.affine_transform(g, [t.a, t.b, t.d, t.e, t.c, t.f]) for g in pixel_zones()]
        zones = gpd.GeoDataFrame({"id": [f"z{i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs)
        out[name] = path, zones
    return out


_serial = {}


def serial(path, zones, coverage: str, categorical: bool) -> pd.DataFrame:
    """The reference: the serial run on this machine (one thread), each once."""
    key = (str(path), coverage, categorical)
    if key not in _serial:
        _serial[key] = zonal_stats(path, zones, coverage=coverage, categorical=categorical, zone_field="id",
                                   max_cells=MAX_CELLS, workers=1, scheduler="local")
    return _serial[key]


def assert_identical(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.to_csv().encode() == want.to_csv().encode()


def on_cluster(client, raster, zones, **kwargs) -> tuple[pd.DataFrame, int, list[dict]]:
    """The table computed with ``client`` active, the number of tasks, and the task stream of the run."""
    totals = []
    with distributed.get_task_stream(client) as stream, client.as_current():
        table = zonal_stats(raster, zones, zone_field="id", max_cells=MAX_CELLS,
                            progress=lambda done, total: totals.append(total), **kwargs)
    return table, totals[-1], stream.data


def assert_ran_on_workers(client, stream: list[dict], tasks: int) -> list[dict]:
    """Every task of the run (and no other of ours) ran on one of the cluster's workers; returns them."""
    ours = [t for t in stream if str(t["key"]).startswith("sinkmap-zonal-")]
    assert len(ours) == len({str(t["key"]) for t in ours}) == tasks
    assert {t["worker"] for t in ours} <= set(client.scheduler_info()["workers"])
    return ours


def test_the_zones_make_both_kinds_of_task(case):
    for path, zones in case.values():
        with open_source(path) as source:
            tasks = plan_tasks([zone_window(source, g.bounds) for g in zones.geometry], MAX_CELLS)
        assert sum(t.batch for t in tasks) > 8 and sum(not t.batch for t in tasks) > 8


@pytest.mark.parametrize("grid", list(GRIDS))
@pytest.mark.parametrize("kind", ["path", "dask"])
@pytest.mark.parametrize("coverage", ["center", "all_touched", "fraction"])
@pytest.mark.parametrize("categorical", [True, False])
def test_cluster_tables_equal_the_serial_ones(client, case, grid, kind, coverage, categorical):
    path, zones = case[grid]
    # a dask array read straight from a file: its workers read the file, nothing of the array goes through dask
    raster = path if kind == "path" else rioxarray.open_rasterio(path, chunks={"x": 128, "y": 100})
    got, tasks, stream = on_cluster(client, raster, zones, coverage=coverage, categorical=categorical)
    assert_identical(got, serial(path, zones, coverage, categorical))
    assert len(assert_ran_on_workers(client, stream, tasks)) == len(stream)


def test_a_strip_names_its_large_zones_whose_geometries_go_once_per_call(client, case, monkeypatch):
    """Strips carry no geometry: the large zones' go to the workers once per call. (Sent with every strip, 50
    counties' came to ≈ 200 kB a strip, and dask.distributed keeps each stream's last 1,000 messages: the
    caller's memory grew with the raster, benchmarks/README.md, scale.py.)"""
    path, zones = case["gauss_kruger"]
    submitted, scattered = [], []
    submit, scatter = client.submit, client.scatter
    monkeypatch.setattr(client, "submit", lambda fn, *args, **kw: submitted.append(args) or submit(fn, *args, **kw))
    monkeypatch.setattr(client, "scatter", lambda data, **kw: scattered.append(data) or scatter(data, **kw))
    got, tasks, _ = on_cluster(client, path, zones, coverage="fraction", categorical=True)
    assert_identical(got, serial(path, zones, "fraction", True))
    strips = [args for args in submitted if not args[1].batch]
    batches = [args for args in submitted if args[1].batch]
    assert len(strips) > 8 and len(batches) > 8 and len(submitted) == tasks
    assert all(args[0].geoms is None and len(args[5]) == len(args[1].zones) for args in strips)
    assert all(len(args[0].geoms) == len(args[1].zones) for args in batches)  # a batch's own stands, as before
    geometries = [data for data in scattered if isinstance(data, list) and isinstance(data[0], np.ndarray)]
    assert len(geometries) == 1 and list(geometries[0][0]) == list(zones.geometry[-2:])  # the two large zones


def test_in_memory_rasters_are_computed_on_the_workers(client, case):
    path, zones = case["gauss_kruger"]
    want = serial(path, zones, "fraction", True)
    array = rioxarray.open_rasterio(path, chunks={"x": 128, "y": 100})
    # a dask array without a file: each task's slice is computed on the cluster, as the task's input
    got, tasks, stream = on_cluster(client, array + 0, zones, coverage="fraction", categorical=True)
    assert_identical(got, want)
    assert len(assert_ran_on_workers(client, stream, tasks)) < len(stream)  # the slices' blocks ran there too
    # a numpy array and an open dataset of GDAL's memory: read here, each window sent once
    with rasterio.MemoryFile(path.read_bytes()) as memory, memory.open() as dataset:
        for raster in (array.load(), dataset):
            got, tasks, stream = on_cluster(client, raster, zones, coverage="fraction", categorical=True)
            assert_identical(got, want)
            assert_ran_on_workers(client, stream, tasks)


def test_tiles_read_as_one_raster_are_read_by_the_workers(client, case, tmp_path):
    """A folder of tiles is a VRT document in memory (``readers.tiles``): the workers open that XML."""
    path, zones = case["gauss_kruger"]
    with rasterio.open(path) as src:
        for row in (0, 100):
            for col in (0, 170):
                window = Window(col, row, SHAPE[1] - col if col else 170, SHAPE[0] - row if row else 100)
                write_raster(tmp_path / f"tile_{row}_{col}.tif", src.read(1, window=window), crs=src.crs,
                             transform=src.window_transform(window))
    got, tasks, stream = on_cluster(client, tmp_path, zones, coverage="fraction", categorical=True)
    assert_identical(got, serial(path, zones, "fraction", True))
    assert len(assert_ran_on_workers(client, stream, tasks)) == len(stream)


def test_a_gbk_shapefile_read_a_part_at_a_time_runs_on_the_workers(client, case, tmp_path):
    """小班 delivered as a GBK Shapefile with Chinese ids, read 50 zones a pass (5 parts, the 2 large zones first):
    the table is the serial one of the same zones in memory, and every task of every pass ran on a worker."""
    path, zones = case["gauss_kruger"]
    chinese = zones.assign(id=[f"小班{i:03d}" for i in range(len(zones))])
    chinese.to_file(tmp_path / "xiaoban.shp", encoding="gbk")
    assert (tmp_path / "xiaoban.cpg").read_text().strip().upper() in ("GBK", "936", "CP936")
    want = zonal_stats(path, chinese, coverage="fraction", categorical=True, zone_field="id", max_cells=MAX_CELLS,
                       workers=1, scheduler="local")
    got, tasks, stream = on_cluster(client, path, tmp_path / "xiaoban.shp", coverage="fraction", categorical=True,
                                    zones_per_pass=50)
    assert_identical(got, want)
    assert got["id"].iloc[0].startswith("小班") and len(assert_ran_on_workers(client, stream, tasks)) == len(stream)


def test_an_address_or_the_environment_connects_and_local_stays_here(client, case, monkeypatch):
    path, zones = case["geographic"]
    want = serial(path, zones, "fraction", False)
    address = client.scheduler.address
    for kwargs, environ in (({"scheduler": address}, None), ({}, address)):
        if environ:
            monkeypatch.setenv(SCHEDULER_ENV, environ)
        with distributed.get_task_stream(client) as stream:
            got = zonal_stats(path, zones, coverage="fraction", zone_field="id", max_cells=MAX_CELLS, **kwargs)
        assert_identical(got, want)
        assert stream.data and all(str(t["key"]).startswith("sinkmap-zonal-") for t in stream.data)
    with distributed.get_task_stream(client) as stream, client.as_current(), use_cluster("local"):
        got = zonal_stats(path, zones, coverage="fraction", zone_field="id", max_cells=MAX_CELLS)  # found no client
    assert_identical(got, want)
    assert stream.data == []


def test_landcover_passes_inside_a_survey_block_run_on_the_cluster(client, case):
    """What ``sinkmap survey --scheduler`` does: one block, and the land-cover passes in it find the client."""
    path, zones = case["geographic"]
    with LandCover.open(path, "worldcover") as landcover:
        want = landcover.class_areas_fraction(zones, "id")
        with distributed.get_task_stream(client) as stream, use_cluster(client.scheduler.address):
            got = landcover.class_areas_fraction(zones, "id")
    assert_identical(got, want)
    assert stream.data and all(str(t["key"]).startswith("sinkmap-zonal-") for t in stream.data)


def test_an_unreachable_scheduler_is_one_clear_error_within_seconds(case):
    path, zones = case["geographic"]
    start = time.perf_counter()
    with pytest.raises(SchedulerError, match=f"no dask scheduler answers at {UNREACHABLE}.*dask scheduler"):
        zonal_stats(path, zones, scheduler=UNREACHABLE)
    assert time.perf_counter() - start < CONNECT_TIMEOUT_S + 3


def test_the_commands_print_one_line_and_exit_quickly(case, tmp_path):
    path, zones = case["geographic"]
    zones.to_file(tmp_path / "zones.gpkg")
    commands = [["zonal", path, tmp_path / "zones.gpkg", "-o", tmp_path / "out.csv"],
                ["survey", "--demo", "-o", tmp_path / "survey"]]
    runs = [subprocess.Popen([sys.executable, "-m", "sinkmap", *map(str, args), "--scheduler", UNREACHABLE],
                             stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) for args in commands]
    for run in runs:
        _, stderr = run.communicate(timeout=60)  # the half-made client does not hold up the exit
        assert run.returncode == 2
        assert len(stderr.splitlines()) == 1 and stderr.startswith(f"sinkmap: error: no dask scheduler answers at "
                                                                    f"{UNREACHABLE}"), stderr
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "survey").exists()


def test_without_distributed_runs_here_and_an_address_says_what_to_install(case, monkeypatch):
    path, zones = case["gauss_kruger"]
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed: `import distributed` fails
    assert_identical(zonal_stats(path, zones, coverage="fraction", zone_field="id", max_cells=MAX_CELLS,
                                 workers=1), serial(path, zones, "fraction", False))
    with pytest.raises(InputError, match=r"pip install 'sinkmap\[cluster\]'"):
        zonal_stats(path, zones, scheduler="tcp://127.0.0.1:8786")


@pytest.mark.parametrize("grid", list(GRIDS))
def test_cropped_cell_areas_are_the_same_to_the_bit(grid):
    crs, transform = GRIDS[grid]
    areas = cell_areas(transform, 6_000, 4_800, crs)  # 60 × 48 km: several rows and columns of area samples
    rng = np.random.default_rng(3)
    for _ in range(50):
        c0, r0 = rng.integers(0, 5_000), rng.integers(0, 4_700)
        outer = Window(c0, r0, rng.integers(1, 1_000), rng.integers(1, 4_800 - r0))
        dc, dr = rng.integers(0, outer.width), rng.integers(0, outer.height)
        inner = Window(c0 + dc, r0 + dr, rng.integers(1, outer.width - dc + 1), rng.integers(1, outer.height - dr + 1))
        cropped = areas.crop(outer)
        for window in (outer, inner):
            assert np.array_equal(np.asarray(cropped.window(window)), np.asarray(areas.window(window)))
        assert cropped.rows is None or cropped.rows.size == outer.height


def test_a_worker_opens_a_location_once_and_again_when_the_file_changes(tmp_path):
    path = write_raster(tmp_path / "a.tif", np.full((4, 5), 7, dtype="uint8"))
    with rasterio.open(path) as dataset:
        source = RasterSource(name="a.tif", transform=dataset.transform, crs=dataset.crs, width=5, height=4,
                              nodata=0, dtype=np.dtype("uint8"), location=str(path))
    first = opened(source)
    assert opened(source) is first and first.read(1)[0, 0] == 7
    os.utime(path, ns=(0, 0))  # "rewritten": its modification time changed
    write_raster(path, np.full((4, 5), 9, dtype="uint8"))
    assert opened(source).read(1)[0, 0] == 9
    with pytest.raises(InputError, match=r"missing\.tif: cannot be opened on .*every worker can read"):
        opened(RasterSource(name="missing.tif", transform=source.transform, crs=source.crs, width=5, height=4,
                            nodata=0, dtype=np.dtype("uint8"), location=str(tmp_path / "missing.tif")))
