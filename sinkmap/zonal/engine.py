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

import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.windows import Window

from sinkmap.errors import InputError, SinkmapWarning
from sinkmap.memory import give_back
from sinkmap.readers.raster import DEFAULT_MAX_CELLS
from sinkmap.tableparts import joined
from sinkmap.units import M2_PER_HA
from sinkmap.zonal.accumulate import ZoneTotals
from sinkmap.zonal.cellarea import CellAreas, cell_areas, check_area
from sinkmap.zonal.plan import is_large, plan_tasks, zone_window
from sinkmap.zonal.sources import RasterSource, open_source
from sinkmap.zonal.tasks import Plan, bounded_gdal_cache, run_tasks
from sinkmap.zonal.zones import ZoneLayer

COVERAGES = ("center", "all_touched", "fraction")
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)
STATS = ("count", "sum", "mean", "min", "max")
OUTSIDE_RASTER = "zones lie outside the raster"  # the warning for zones the raster does not reach


def _check_arguments(coverage: str, stats: tuple[str, ...], area: str) -> None:
    if coverage not in COVERAGES:
        raise InputError(f"unknown coverage '{coverage}'", fix=f"use one of: {', '.join(COVERAGES)}")
    check_area(area)
    unknown = sorted(set(stats) - set(STATS))
    if unknown:
        raise InputError(f"unknown statistics {unknown}", fix=f"use any of: {', '.join(STATS)}")


@dataclass(frozen=True)
class _Run:
    """What every plan of one call shares: the open raster, the rule, the budget and where tasks run."""

    source: RasterSource
    coverage: str
    categorical: bool
    areas: CellAreas | None
    max_cells: int
    use_dask: bool
    workers: int
    client: object | None
    progress: Callable[[int, int], None] | None

    def totals(self, geoms: np.ndarray, windows: list[Window | None], done: int = 0, total: int | None = None
               ) -> tuple[list[ZoneTotals], int]:
        """Each zone's totals (zones whose window is None: none) and the number of tasks run. ``done``/``total``:
        the call's tasks before this plan and in all, for ``progress`` (default: this plan's)."""
        plan = Plan(self.source, geoms, windows, self.coverage, self.categorical, self.areas)
        tasks = plan_tasks(windows, self.max_cells)
        report = None
        if self.progress is not None:
            report = lambda k, n: self.progress(done + k, n if total is None else total)  # noqa: E731
        return run_tasks(plan, tasks, use_dask=self.use_dask, workers=self.workers, client=self.client,
                         progress=report), len(tasks)

    def windows(self, frame: gpd.GeoDataFrame) -> tuple[np.ndarray, list[Window | None]]:
        geoms = frame.geometry.to_numpy()
        return geoms, [zone_window(self.source, g.bounds) for g in geoms]


def _large_first(run: _Run, zones: ZoneLayer) -> tuple[dict[int, ZoneTotals], int, int]:
    """For a layer read in several passes: the large zones' totals (by position in the layer), computed
    first in one strip pass as one plan would, and the tasks already run and in all (for progress)."""
    indices, geoms, windows, small_tasks = [], [], [], 0
    for start, frame in zones.parts():
        part_geoms, part_windows = run.windows(frame)
        large = [is_large(w, run.max_cells) for w in part_windows]
        small_tasks += len(plan_tasks([None if big else w for w, big in zip(part_windows, large)], run.max_cells))
        for i in np.flatnonzero(large).tolist():
            indices.append(start + i)
            geoms.append(part_geoms[i])
            windows.append(part_windows[i])
    give_back()  # the parts read to find the large zones
    large_tasks = len(plan_tasks(windows, run.max_cells))
    total = large_tasks + small_tasks
    totals = run.totals(np.array(geoms, dtype=object), windows, 0, total)[0] if indices else []
    return dict(zip(indices, totals)), large_tasks, total


def _tables(raster, zones, *, categorical: bool, coverage: str, zone_field: str | None, stats: tuple[str, ...],
            band: int, layer: str | None, area: str, max_cells: int, chunks: bool | int | None, workers: int,
            progress: Callable[[int, int], None] | None, scheduler: str | None, zones_per_pass: int | None
            ) -> Iterator[pd.DataFrame]:
    """The result table a pass of zones at a time (see ``zonal_stats``)."""
    from sinkmap.zonal.cluster import use_cluster

    _check_arguments(coverage, stats, area)
    if isinstance(chunks, int) and not isinstance(chunks, bool):
        max_cells = max(1, chunks)
    outside: list = []
    with use_cluster(scheduler) as client, bounded_gdal_cache(), open_source(raster, band) as source:
        name = source.name
        if categorical and not (np.issubdtype(source.dtype, np.integer) or np.issubdtype(source.dtype, np.floating)):
            raise InputError(f"categorical statistics need a raster of class codes, not {source.dtype}",
                             path=source.name, fix="classify the raster first, or drop --categorical")
        areas = cell_areas(source.transform, source.width, source.height, source.crs, area) if categorical else None
        layer_zones = ZoneLayer.open(zones, source.crs, zone_field, layer=layer, per_pass=zones_per_pass)
        run = _Run(source, coverage, categorical, areas, max_cells, bool(chunks) or source.chunked, max(1, workers),
                   client, progress)
        large, done, total = ({}, 0, None) if layer_zones.passes == 1 else _large_first(run, layer_zones)
        for start, frame in layer_zones.parts(quiet=layer_zones.passes > 1):
            geoms, windows = run.windows(frame)
            own = [None if start + i in large else w for i, w in enumerate(windows)]
            totals, tasks = run.totals(geoms, own, done, total)
            done += tasks if total is not None else 0
            totals = [large.get(start + i, t) for i, t in enumerate(totals)]
            labels = frame[zone_field].tolist() if zone_field else list(range(start, start + len(frame)))
            outside += [label for label, w in zip(labels, windows) if w is None]
            table = _table(labels, totals, layer_zones.key, categorical, stats)
            del frame, geoms, windows, own, totals
            if layer_zones.passes > 1:
                give_back()  # the part's geometries and totals: RSS stays at one part's worth
            yield table
    if outside:
        shown = ", ".join(map(str, outside[:5])) + (" …" if len(outside) > 5 else "")
        warnings.warn(f"{len(outside)} {OUTSIDE_RASTER} {name}: {shown}", SinkmapWarning, stacklevel=3)


def _table(labels: list, totals: list[ZoneTotals], key: str, categorical: bool, stats: tuple[str, ...]
           ) -> pd.DataFrame:
    """One pass's rows: per (zone, class) pixels and area_ha, or per zone the continuous ``stats``."""
    if categorical:
        rows = [(label, code, pixels, m2 / M2_PER_HA) for label, zone in zip(labels, totals)
                for code, pixels, m2 in zone.classes()]
        return pd.DataFrame(rows or None, columns=[key, "class", "pixels", "area_ha"])
    count = np.array([zone.count for zone in totals], dtype=np.float64)
    empty = count == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        sums = np.array([zone.total for zone in totals], dtype=np.float64)
        columns = {"count": count, "sum": sums, "mean": np.where(empty, np.nan, sums / count),
                   "min": np.where(empty, np.nan, [z.low for z in totals]),
                   "max": np.where(empty, np.nan, [z.high for z in totals])}
    return pd.DataFrame({key: labels, **{s: columns[s] for s in STATS if s in stats}})


def iter_zonal_tables(raster, zones, *, categorical: bool = False, coverage: str = "center",
                      zone_field: str | None = None, stats: Iterable[str] = STATS, band: int = 1,
                      layer: str | None = None, area: str = "ground", max_cells: int = DEFAULT_MAX_CELLS,
                      chunks: bool | int | None = None, workers: int = DEFAULT_WORKERS,
                      progress: Callable[[int, int], None] | None = None, scheduler: str | None = None,
                      zones_per_pass: int | None = None) -> Iterator[pd.DataFrame]:
    """The table of ``zonal_stats`` in parts of ``zones_per_pass`` zones, in the zones' order (each part the
    rows of those zones; same arguments). Memory stays bounded by the part, not by the layer: 10⁶ stands
    are read, computed and written a part at a time (``sinkmap zonal``). The numbers do not depend on
    ``zones_per_pass``: the large zones (counties) are computed first in one pass of strips, and a small
    zone's totals come from its own cells only."""
    yield from _tables(raster, zones, categorical=categorical, coverage=coverage, zone_field=zone_field,
                       stats=tuple(stats), band=band, layer=layer, area=area, max_cells=max_cells, chunks=chunks,
                       workers=workers, progress=progress, scheduler=scheduler, zones_per_pass=zones_per_pass)


def iter_zonal_stats(raster, zones, **options) -> Iterator[dict]:
    """Yield result rows zone by zone (see ``zonal_stats``; as rasterstats' ``gen_zonal_stats``)."""
    for table in iter_zonal_tables(raster, zones, **options):
        yield from table.to_dict("records")


def zonal_stats(raster, zones, *, categorical: bool = False, coverage: str = "center",
                zone_field: str | None = None, stats: Iterable[str] = STATS, band: int = 1,
                layer: str | None = None, area: str = "ground", max_cells: int = DEFAULT_MAX_CELLS,
                chunks: bool | int | None = None, workers: int = DEFAULT_WORKERS,
                progress: Callable[[int, int], None] | None = None, scheduler: str | None = None,
                zones_per_pass: int | None = None) -> pd.DataFrame:
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
    zones_per_pass : zones read and computed at a time (default ``zones.ZONES_PER_PASS``, 100,000;
        ``iter_zonal_tables``).
        Results do not depend on it.

    Nodata, NaN and cells masked by a GDAL mask band (per-dataset mask, alpha band) never count. Zones outside the raster get zero counts (continuous) or no
    rows (categorical) and a SinkmapWarning.
    """
    return joined(iter_zonal_tables(raster, zones, categorical=categorical, coverage=coverage, zone_field=zone_field,
                                    stats=stats, band=band, layer=layer, area=area, max_cells=max_cells,
                                    chunks=chunks, workers=workers, progress=progress, scheduler=scheduler,
                                    zones_per_pass=zones_per_pass))


def class_areas(raster, *, band: int = 1, area: str = "ground", max_cells: int = DEFAULT_MAX_CELLS,
                progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Pixels and area (ha; ground or nominal, see ``zonal_stats``) of every class over the whole raster:
    class, pixels, area_ha. ``progress``: as ``zonal_stats``'s."""
    with open_source(raster, band) as source:
        t = source.transform
        bounds = (t.c, t.f + source.height * t.e, t.c + source.width * t.a, t.f)
        crs = source.crs
    whole = gpd.GeoDataFrame(geometry=[shapely.box(*bounds)], crs=crs)
    table = zonal_stats(raster, whole, categorical=True, band=band, area=area, max_cells=max_cells, progress=progress)
    return table.drop(columns="zone")
