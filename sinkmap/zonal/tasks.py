"""Running a zonal plan's tasks: read each task's window, weigh its zones' cells, add their totals.

A task's totals depend only on its window and zones; they are added in task order, so a run gives the
same numbers on one thread, a thread pool, dask's threaded scheduler or a dask.distributed cluster
(``cluster.py``).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

from sinkmap.readers.raster import class_codes
from sinkmap.zonal.accumulate import ZoneTotals
from sinkmap.zonal.cellarea import CellAreas
from sinkmap.zonal.centre import batch_centre, window_transform
from sinkmap.zonal.coverage import batch_coverage
from sinkmap.zonal.plan import Task, overlap
from sinkmap.zonal.sources import RasterSource

GDAL_CACHE_MB = 64  # GDAL block cache during a run: memory stays flat as rasters grow
AHEAD_PER_THREAD = 4  # tasks submitted to the thread pool ahead of the one being added, per thread


@dataclass(frozen=True)
class Plan:
    source: RasterSource
    geoms: np.ndarray
    windows: list[Window | None]
    coverage: str
    categorical: bool
    areas: CellAreas | None  # categorical runs only


def _coverage(plan: Plan, zones: tuple[int, ...], parts: list[Window]) -> np.ndarray:
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


def _process(plan: Plan, data: np.ndarray, valid: np.ndarray, cell_m2: np.ndarray | float, window: Window,
             zones: tuple[int, ...], batch: bool) -> dict[int, ZoneTotals]:
    """Totals of ``zones`` over the cells of ``data`` (which covers ``window``), in one vectorised pass.

    ``cell_m2``: the window's cell areas, a number or an array broadcastable to ``data`` (categorical).
    ``batch``: small zones, added by one bincount whether the batch holds one zone or 256, so that a zone's
    sums do not depend on its batch mates (a strip's zone, alone, is summed pairwise by numpy).
    """
    parts = [overlap(window, plan.windows[i]) for i in zones]
    blocks = [(slice(r, r + int(p.height)), slice(c, c + int(p.width)))
              for p, r, c in ((p, int(p.row_off - window.row_off), int(p.col_off - window.col_off)) for p in parts)]
    weight = _coverage(plan, zones, parts)
    selected = _cells(valid, blocks) & (weight > 0)
    values = _cells(data, blocks, selected)
    sizes = np.array([int(p.height * p.width) for p in parts])
    owner = np.repeat(np.arange(len(zones)), sizes)[selected] if batch else None
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


def run_task(plan: Plan, task: Task, block: tuple[np.ndarray, np.ndarray] | None = None) -> dict[int, ZoneTotals]:
    """Totals of each zone of ``task`` over its window (``block``: its values and validity, when already read)."""
    data, valid = plan.source.read(task.window) if block is None else block
    cell_m2 = plan.areas.window(task.window) if plan.categorical else 1.0
    if task.batch:
        return _process(plan, data, valid, cell_m2, task.window, task.zones, batch=True)
    out = {}
    for index in task.zones:  # large zones one at a time: memory stays within the strip
        out.update(_process(plan, data, valid, cell_m2, task.window, (index,), batch=False))
    return out


def _partials(plan: Plan, tasks: list[Task], use_dask: bool, workers: int, client
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
            yield from _pooled(plan, tasks, workers)
        else:
            for task in tasks:
                yield run_task(plan, task)


def _pooled(plan: Plan, tasks: list[Task], workers: int) -> Iterator[dict[int, ZoneTotals]]:
    """Each task's totals, in task order, from ``workers`` threads, at most AHEAD_PER_THREAD tasks per thread
    submitted ahead of the one being added. (``Executor.map`` submits every task at once: 6,535 futures for the
    strips of a 6.4 Gpx raster, ≈ 10 MiB held until the end; benchmarks/README.md, scale.py.)"""
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sinkmap-zonal") as pool:
        try:
            for task in tasks:
                pending.append(pool.submit(run_task, plan, task))
                if len(pending) >= AHEAD_PER_THREAD * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # an error, or the caller stopped: the tasks not yet started are dropped
            for future in pending:
                future.cancel()


def run_tasks(plan: Plan, tasks: list[Task], *, use_dask: bool, workers: int, client,
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
