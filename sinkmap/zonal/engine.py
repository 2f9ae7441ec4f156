"""Zonal statistics: one entry point, named operations, tidy tables, bounded memory.

``zonal_stats(raster, zones, ...)`` plans the work as tasks and adds their totals in order:

- a *small* zone (its window ≤ ``max_cells``, e.g. a forest stand) is one task: read its
  window, weigh its cells, add;
- *large* zones (e.g. counties) are done in one pass of row strips: each strip is read once
  (only the columns the large zones need, ≤ ``max_cells`` cells) and every large zone in it
  takes its part.

Coverage rules: ``"center"`` (cell centre inside — GDAL rasterize's, rasterstats' rule),
``"all_touched"`` (any covered area), ``"fraction"`` (exact covered share of each cell,
``coverage.py``: the rule exactextract uses). Areas are true ground areas by default, or the
grid's nominal (planar) areas with ``area="nominal"`` (``cellarea.py``). Nodata, NaN and cells
masked by a GDAL mask band or alpha band never count (``readers/raster.py``).

Notes
-----
At any time one task holds one window of raster values (≤ max_cells), its validity mask, its
weights (float64 for "fraction") and, for categorical runs on a non-equal-area grid, the
window's cell areas (float64). With
``chunks`` the tasks run on dask's threaded scheduler (one task per thread at a time), with a
dask.distributed cluster on its workers (``cluster.py``); both give results identical to the
serial run.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

from sinkmap.errors import InputError, SinkmapWarning
from sinkmap.readers.raster import DEFAULT_MAX_CELLS, class_codes
from sinkmap.units import M2_PER_HA
from sinkmap.zonal.accumulate import ZoneTotals
from sinkmap.zonal.cellarea import CellAreas, cell_areas, check_area
from sinkmap.zonal.centre import batch_centre, window_transform
from sinkmap.zonal.coverage import batch_coverage
from sinkmap.zonal.sources import RasterSource, open_source
from sinkmap.zonal.zones import load_zones

COVERAGES = ("center", "all_touched", "fraction")
GDAL_CACHE_MB = 64  # GDAL block cache during a run: memory stays flat as rasters grow
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)
BATCH_ZONES = 256  # small zones weighed together in one vectorised pass
BATCH_ROWS = 512  # small zones are visited in bands of rows, then by column: neighbours share reads
STATS = ("count", "sum", "mean", "min", "max")
OUTSIDE_RASTER = "zones lie outside the raster"  # the warning for zones the raster does not reach


@dataclass(frozen=True)
class _Task:
    """Read ``window`` once; weigh the cells of each zone in ``zones`` (indices) inside it.

    A batch (small zones) is weighed in one vectorised pass; a strip (large zones) zone by zone,
    so that memory stays within one window.
    """

    window: Window
    zones: tuple[int, ...]
    batch: bool = False


@dataclass(frozen=True)
class _Plan:
    source: RasterSource
    geoms: np.ndarray
    windows: list[Window | None]
    coverage: str
    categorical: bool
    areas: CellAreas | None  # categorical runs only


def zone_window(source: RasterSource, bounds) -> Window | None:
    """Whole-cell window covering ``bounds`` (floor/ceil on the inverse transform); None outside."""
    t = source.transform  # north-up: column = (x − c) / a, row = (y − f) / e
    cols = ((bounds[0] - t.c) / t.a, (bounds[2] - t.c) / t.a)
    rows = ((bounds[3] - t.f) / t.e, (bounds[1] - t.f) / t.e)
    c0, c1 = int(np.floor(min(cols))), int(np.ceil(max(cols)))
    r0, r1 = int(np.floor(min(rows))), int(np.ceil(max(rows)))
    c1, r1 = max(c1, c0 + 1), max(r1, r0 + 1)
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, source.width), min(r1, source.height)
    if c0 >= c1 or r0 >= r1:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def _overlap(a: Window, b: Window) -> Window | None:
    c0, r0 = max(a.col_off, b.col_off), max(a.row_off, b.row_off)
    c1 = min(a.col_off + a.width, b.col_off + b.width)
    r1 = min(a.row_off + a.height, b.row_off + b.height)
    return Window(c0, r0, c1 - c0, r1 - r0) if c1 > c0 and r1 > r0 else None


def _union(a: Window, b: Window) -> Window:
    c0, r0 = min(a.col_off, b.col_off), min(a.row_off, b.row_off)
    c1 = max(a.col_off + a.width, b.col_off + b.width)
    r1 = max(a.row_off + a.height, b.row_off + b.height)
    return Window(c0, r0, c1 - c0, r1 - r0)


def _batches(small: list[int], windows: list[Window | None], max_cells: int) -> list[_Task]:
    """Neighbouring small zones share one read while their union window stays ≤ max_cells."""
    tasks, members, union = [], [], None
    for i in small:
        grown = windows[i] if union is None else _union(union, windows[i])
        if members and (grown.width * grown.height > max_cells or len(members) >= BATCH_ZONES):
            tasks.append(_Task(union, tuple(members), batch=True))
            members, grown = [], windows[i]
        members.append(i)
        union = grown
    if members:
        tasks.append(_Task(union, tuple(members), batch=True))
    return tasks


def plan_tasks(windows: list[Window | None], max_cells: int) -> list[_Task]:
    """Small zones: batches of neighbours (in raster order); large zones: shared row strips."""
    small = [i for i, w in enumerate(windows) if w is not None and w.width * w.height <= max_cells]
    large = [i for i, w in enumerate(windows) if w is not None and w.width * w.height > max_cells]
    small.sort(key=lambda i: (windows[i].row_off // BATCH_ROWS, windows[i].col_off, windows[i].row_off))
    tasks = _batches(small, windows, max_cells)
    if not large:
        return tasks
    # Large zones are few (counties): strips span all their columns and skip rows none of them covers.
    c0 = min(windows[i].col_off for i in large)
    c1 = max(windows[i].col_off + windows[i].width for i in large)
    rows_per_strip = max(1, max_cells // (c1 - c0))
    row, row_stop = min(windows[i].row_off for i in large), max(windows[i].row_off + windows[i].height for i in large)
    while row < row_stop:
        strip = Window(c0, row, c1 - c0, min(rows_per_strip, row_stop - row))
        members = tuple(i for i in large if _overlap(strip, windows[i]) is not None)
        if members:
            tasks.append(_Task(strip, members))
            row += int(strip.height)
        else:  # a gap between large zones: jump to the next one
            row = min(windows[i].row_off for i in large if windows[i].row_off > row)
    return tasks


def _coverage(plan: _Plan, zones: tuple[int, ...], parts: list[Window]) -> np.ndarray:
    """Weights of each zone's cells in its part, concatenated (row-major per part): bool or fraction."""
    if plan.coverage == "center":  # GDAL's rule, as rasterstats and gdal_rasterize
        return batch_centre(plan.geoms[list(zones)], plan.source.transform, parts)
    transforms = [window_transform(p, plan.source.transform) for p in parts]
    shapes = [(int(p.height), int(p.width)) for p in parts]
    fraction = batch_coverage(plan.geoms[list(zones)], transforms, shapes)
    # all_touched: every cell the polygon covers any part of. From the exact coverage it does not
    # depend on how the raster is cut into windows (GDAL's all-touched can, by a cell).
    return fraction if plan.coverage == "fraction" else fraction > 0


def _cells(grid: np.ndarray, blocks: list[tuple[slice, slice]], selected: np.ndarray | None = None) -> np.ndarray:
    """The cells of ``grid`` in each block, concatenated (row-major per block); only the ``selected``
    ones (a flat mask over those cells) when given. One block (a strip's zone) is read in one gather."""
    if len(blocks) == 1:
        block = grid[blocks[0]]
        return block.ravel() if selected is None else block[selected.reshape(block.shape)]
    cells = np.concatenate([grid[b].ravel() for b in blocks])
    return cells if selected is None else cells[selected]


def _process(plan: _Plan, data: np.ndarray, valid: np.ndarray, cell_m2: np.ndarray | float, window: Window,
             zones: tuple[int, ...]) -> dict[int, ZoneTotals]:
    """Totals of ``zones`` over the cells of ``data`` (which covers ``window``), in one vectorised pass.

    ``cell_m2``: the window's cell areas, a number or an array broadcastable to ``data`` (categorical).
    """
    parts = [_overlap(window, plan.windows[i]) for i in zones]
    blocks = [(slice(r, r + int(p.height)), slice(c, c + int(p.width)))
              for p, r, c in ((p, int(p.row_off - window.row_off), int(p.col_off - window.col_off)) for p in parts)]
    weight = _coverage(plan, zones, parts)
    selected = _cells(valid, blocks) & (weight > 0)
    values = _cells(data, blocks, selected)
    sizes = np.array([int(p.height * p.width) for p in parts])
    owner = np.repeat(np.arange(len(zones)), sizes)[selected] if len(zones) > 1 else None
    weights = weight[selected] if weight.dtype != bool else None
    totals = [ZoneTotals() for _ in zones]
    if plan.categorical:
        if not np.isscalar(cell_m2):  # ground areas that vary over the grid
            cell_m2 = _cells(np.broadcast_to(cell_m2, data.shape), blocks, selected)
        codes = class_codes(values, path=plan.source.name)
        ZoneTotals.add_classes_by_zone(totals, owner, codes, weights, cell_m2)
    else:
        ZoneTotals.add_values_by_zone(totals, owner, values, weights)
    return dict(zip(zones, totals))


def run_task(plan: _Plan, task: _Task, block: tuple[np.ndarray, np.ndarray] | None = None) -> dict[int, ZoneTotals]:
    """Totals of each zone of ``task`` over its window (``block``: its values and validity, when already read)."""
    data, valid = plan.source.read(task.window) if block is None else block
    cell_m2 = plan.areas.window(task.window) if plan.categorical else 1.0
    if task.batch:
        return _process(plan, data, valid, cell_m2, task.window, task.zones)
    out = {}
    for index in task.zones:  # large zones one at a time: memory stays within the strip
        out.update(_process(plan, data, valid, cell_m2, task.window, (index,)))
    return out


def _partials(plan: _Plan, tasks: list[_Task], use_dask: bool, workers: int, client
              ) -> Iterator[dict[int, ZoneTotals]]:
    """Each task's totals, in task order, however the tasks are run (``client``: on a dask.distributed cluster)."""
    # rasterio's in-memory rasterize dataset warns NotGeoreferenced before its transform is set and
    # silences that with catch_warnings, which is not thread-safe: ignore it for the whole run instead
    # (every mask here is given the window's real transform)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        if client is not None:
            from sinkmap.zonal.cluster import cluster_partials

            yield from cluster_partials(client, plan, tasks)
        elif use_dask:
            import dask

            shared = dask.delayed(plan, traverse=False)  # one node: not walked through for every task
            yield from dask.compute(*[dask.delayed(run_task)(shared, task) for task in tasks], scheduler="threads",
                                    num_workers=workers)
        elif workers > 1 and len(tasks) > 1:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sinkmap-zonal") as pool:
                yield from pool.map(run_task, repeat(plan), tasks)
        else:
            for task in tasks:
                yield run_task(plan, task)


def _run(plan: _Plan, tasks: list[_Task], *, use_dask: bool, workers: int, client,
         progress: Callable[[int, int], None] | None) -> list[ZoneTotals]:
    """Run the tasks and add their totals in task order: the same sums whichever way they ran."""
    totals = [ZoneTotals() for _ in plan.windows]
    for done, partial in enumerate(_partials(plan, tasks, use_dask, workers, client), start=1):
        for index, part in partial.items():
            totals[index].merge(part)
        if progress is not None:
            progress(done, len(tasks))
    return totals


@contextlib.contextmanager
def bounded_gdal_cache() -> Iterator[None]:
    """Cap GDAL's block cache (default: 5 % of RAM) at GDAL_CACHE_MB, unless the user set GDAL_CACHEMAX."""
    user_set = "GDAL_CACHEMAX" in os.environ or (rasterio.env.hasenv() and "GDAL_CACHEMAX" in rasterio.env.getenv())
    if user_set:
        yield
        return
    # rasterio hands an integer GDAL_CACHEMAX to GDALSetCacheMax64, in bytes (a bare 64 was 64 bytes: every
    # read decoded its tiles anew and rasterize went one row at a time)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 2**20):
        yield


def _check_arguments(coverage: str, stats: tuple[str, ...], area: str) -> None:
    if coverage not in COVERAGES:
        raise InputError(f"unknown coverage '{coverage}'", fix=f"use one of: {', '.join(COVERAGES)}")
    check_area(area)
    unknown = sorted(set(stats) - set(STATS))
    if unknown:
        raise InputError(f"unknown statistics {unknown}", fix=f"use any of: {', '.join(STATS)}")


def iter_zonal_stats(raster, zones, *, categorical: bool = False, coverage: str = "center",
                     zone_field: str | None = None, stats: Iterable[str] = STATS, band: int = 1,
                     layer: str | None = None, area: str = "ground", max_cells: int = DEFAULT_MAX_CELLS,
                     chunks: bool | int | None = None, workers: int = DEFAULT_WORKERS,
                     progress: Callable[[int, int], None] | None = None, scheduler: str | None = None
                     ) -> Iterator[dict]:
    """Yield result rows zone by zone (see ``zonal_stats``)."""
    from sinkmap.zonal.cluster import use_cluster

    stats = tuple(stats)
    _check_arguments(coverage, stats, area)
    if isinstance(chunks, int) and not isinstance(chunks, bool):
        max_cells = max(1, chunks)
    with use_cluster(scheduler) as client, bounded_gdal_cache(), open_source(raster, band) as source:
        if categorical and not (np.issubdtype(source.dtype, np.integer) or np.issubdtype(source.dtype, np.floating)):
            raise InputError(f"categorical statistics need a raster of class codes, not {source.dtype}",
                             path=source.name, fix="classify the raster first, or drop --categorical")
        areas = cell_areas(source.transform, source.width, source.height, source.crs, area) if categorical else None
        frame, key = load_zones(zones, source.crs, zone_field, layer=layer)
        geoms = frame.geometry.to_numpy()
        windows = [zone_window(source, g.bounds) for g in geoms]
        plan = _Plan(source, geoms, windows, coverage, categorical, areas)
        tasks = plan_tasks(windows, max_cells)
        totals = _run(plan, tasks, use_dask=bool(chunks) or source.chunked, workers=max(1, workers), client=client,
                      progress=progress)
    labels = frame[zone_field].tolist() if zone_field else list(range(len(frame)))
    outside = [label for label, w in zip(labels, windows) if w is None]
    if outside:
        shown = ", ".join(map(str, outside[:5])) + (" …" if len(outside) > 5 else "")
        warnings.warn(f"{len(outside)} {OUTSIDE_RASTER} {source.name}: {shown}", SinkmapWarning,
                      stacklevel=2)
    for label, zone in zip(labels, totals):
        if categorical:
            for code, pixels, m2 in zone.classes():
                yield {key: label, "class": code, "pixels": pixels, "area_ha": m2 / M2_PER_HA}
        else:
            empty = zone.count == 0
            row = {key: label, "count": zone.count, "sum": zone.total,
                   "mean": np.nan if empty else zone.total / zone.count,
                   "min": np.nan if empty else zone.low, "max": np.nan if empty else zone.high}
            yield {k: v for k, v in row.items() if k == key or k in stats}


def zonal_stats(raster, zones, *, categorical: bool = False, coverage: str = "center",
                zone_field: str | None = None, stats: Iterable[str] = STATS, band: int = 1,
                layer: str | None = None, area: str = "ground", max_cells: int = DEFAULT_MAX_CELLS,
                chunks: bool | int | None = None, workers: int = DEFAULT_WORKERS,
                progress: Callable[[int, int], None] | None = None, scheduler: str | None = None) -> pd.DataFrame:
    """Statistics of ``raster`` inside each polygon of ``zones``, as a tidy table.

    Parameters
    ----------
    raster : path to a GDAL raster (GeoTIFF/COG, VRT …), an open rasterio dataset, or an
        xarray DataArray with a CRS (rioxarray; dask-backed arrays run in parallel); or tiles
        read as one raster: a folder of GeoTIFFs, a glob pattern ("tiles/*.tif") or a list of
        paths, on one grid (``readers/tiles.py``: a zone across tile edges is counted once).
    zones : path to a vector file (GeoPackage, Shapefile, GeoJSON, GeoParquet) or a
        GeoDataFrame; reprojected to the raster's CRS (with a SinkmapWarning) when needed.
    categorical : one row per (zone, class): ``pixels`` (coverage-weighted cell count) and
        ``area_ha`` (ha, see ``area``). Classes with no pixels are omitted. The raster holds
        class codes: integers, or floats that are all whole numbers (reported as integers).
    coverage : "center" (cell centre inside), "all_touched", or "fraction" (exact share).
    zone_field : column naming the zones; default the row number, as ``zone``.
    stats : continuous statistics among count, sum, mean, min, max (coverage-weighted
        count, sum and mean in fraction mode).
    band : raster band (1-based).  layer : layer of a multi-layer zones file.
    area : "ground" (default): each cell's true area on the ellipsoid (exact per row for
        geographic grids, nominal for equal-area projections, corrected by the projection's
        areal scale for Gauss-Krüger, UTM, Mercator …); "nominal": the planar pixel area of
        the grid, as exactextract, QGIS and InVEST report it (refused for geographic grids).
    max_cells : memory budget, raster cells per read.
    chunks : run the tasks with dask's threaded scheduler (True), optionally with ``chunks``
        cells per read; a dask-backed DataArray always does.
    workers : threads (default: up to 4 cores); 1 runs serially. Results do not depend on it.
    progress : called with (tasks done, tasks) after each task.
    scheduler : run the tasks on a dask.distributed cluster: its scheduler's address
        (``tcp://HOST:8786``); by default the active ``distributed.Client``, else the address in
        SINKMAP_SCHEDULER, else local threads (also with "local"). The raster must be readable
        by every worker (``docs/cluster.md``). Results do not depend on it.

    Nodata, NaN and cells masked by a GDAL mask band (per-dataset mask, alpha band) never count. Zones outside the raster get zero counts (continuous) or no
    rows (categorical) and a SinkmapWarning.
    """
    key = zone_field or "zone"
    columns = [key, "class", "pixels", "area_ha"] if categorical else [key, *[s for s in STATS if s in tuple(stats)]]
    values: dict[str, list] = {column: [] for column in columns}  # by column: 10⁶ rows as lists, not dicts
    for row in iter_zonal_stats(raster, zones, categorical=categorical, coverage=coverage, zone_field=zone_field,
                                stats=stats, band=band, layer=layer, area=area, max_cells=max_cells, chunks=chunks,
                                workers=workers, progress=progress, scheduler=scheduler):
        for column in columns:
            values[column].append(row[column])
    return pd.DataFrame(values, columns=columns)


def class_areas(raster, *, band: int = 1, area: str = "ground", max_cells: int = DEFAULT_MAX_CELLS
                ) -> pd.DataFrame:
    """Pixels and area (ha; ground or nominal, see ``zonal_stats``) of every class over the whole raster:
    class, pixels, area_ha."""
    with open_source(raster, band) as source:
        t = source.transform
        bounds = (t.c, t.f + source.height * t.e, t.c + source.width * t.a, t.f)
        crs = source.crs
    whole = gpd.GeoDataFrame(geometry=[shapely.box(*bounds)], crs=crs)
    table = zonal_stats(raster, whole, categorical=True, band=band, area=area, max_cells=max_cells)
    return table.drop(columns="zone")
