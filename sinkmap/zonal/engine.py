"""Zonal statistics: one entry point, named operations, tidy tables.

``zonal_stats(raster, zones, ...)`` reads the raster in full-width row strips inside each
zone's bounding window, so memory is bounded by ``max_cells`` whatever the zone's size.
Coverage: ``"center"`` (pixel centre inside the polygon — GDAL rasterize's and rasterstats'
rule) or ``"all_touched"``. Areas are true ground areas (``cellarea``).

Notes
-----
One call holds: one strip of raster values (≤ max_cells), its mask, and the per-row
cell areas of the raster (one float64 per row).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from rasterio.features import geometry_mask
from rasterio.io import DatasetReader
from rasterio.windows import Window

from sinkmap.errors import InputError, SinkmapWarning
from sinkmap.readers.crs import require_crs
from sinkmap.readers.raster import DEFAULT_MAX_CELLS, open_raster, strips, valid_mask
from sinkmap.readers.vector import check_polygons, read_frame
from sinkmap.units import M2_PER_HA
from sinkmap.zonal.cellarea import row_areas_m2

COVERAGES = ("center", "all_touched")
STATS = ("count", "sum", "mean", "min", "max")


@dataclass
class _Accumulator:
    """Running per-zone totals (continuous) or per-class totals (categorical)."""

    count: float = 0.0
    total: float = 0.0
    low: float = np.inf
    high: float = -np.inf
    classes: dict | None = None

    def add_values(self, values: np.ndarray) -> None:
        if values.size:
            self.count += values.size
            self.total += float(values.sum(dtype="float64"))
            self.low = min(self.low, float(values.min()))
            self.high = max(self.high, float(values.max()))

    def add_classes(self, codes: np.ndarray, cell_m2: np.ndarray) -> None:
        if not codes.size:
            return
        self.classes = self.classes if self.classes is not None else {}
        uniq, inverse = np.unique(codes, return_inverse=True)
        pixels = np.bincount(inverse, minlength=uniq.size)
        area = np.bincount(inverse, weights=cell_m2, minlength=uniq.size)
        for code, n, m2 in zip(uniq.tolist(), pixels, area):
            old_n, old_m2 = self.classes.get(code, (0.0, 0.0))
            self.classes[code] = (old_n + n, old_m2 + m2)


def _zone_window(dataset: DatasetReader, bounds: Sequence[float]) -> Window | None:
    """The whole-cell raster window covering ``bounds``; None when it misses the raster.

    Computed with floor/ceil on the inverse transform: a zone smaller than a cell still gets
    the cell(s) it lies in.
    """
    t = dataset.transform  # north-up: column = (x − c) / a, row = (y − f) / e
    cols = ((bounds[0] - t.c) / t.a, (bounds[2] - t.c) / t.a)
    rows = ((bounds[3] - t.f) / t.e, (bounds[1] - t.f) / t.e)
    col_start, col_stop = int(np.floor(min(cols))), int(np.ceil(max(cols)))
    row_start, row_stop = int(np.floor(min(rows))), int(np.ceil(max(rows)))
    col_stop, row_stop = max(col_stop, col_start + 1), max(row_stop, row_start + 1)
    col_start, row_start = max(col_start, 0), max(row_start, 0)
    col_stop, row_stop = min(col_stop, dataset.width), min(row_stop, dataset.height)
    if col_start >= col_stop or row_start >= row_stop:
        return None
    return Window(col_start, row_start, col_stop - col_start, row_stop - row_start)


def _accumulate_zone(dataset, geom, band, coverage, categorical, row_m2, max_cells) -> _Accumulator | None:
    acc = _Accumulator()
    window = _zone_window(dataset, geom.bounds)
    if window is None:
        return None
    for strip in strips(dataset, window, max_cells):
        data = dataset.read(band, window=strip)
        inside = geometry_mask([geom], out_shape=data.shape, transform=dataset.window_transform(strip),
                               all_touched=coverage == "all_touched", invert=True)
        selected = inside & valid_mask(data, dataset.nodata)
        if categorical:
            rows = np.nonzero(selected)[0] + int(strip.row_off)
            acc.add_classes(data[selected], row_m2[rows])
        else:
            acc.add_values(data[selected])
    return acc


def _load_zones(zones, dataset: DatasetReader, zone_field: str | None) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(zones, (str, Path)):
        frame, layer = read_frame(zones)
        path = zones
    elif isinstance(zones, gpd.GeoDataFrame):
        frame, layer, path = zones, None, "zones"
    else:
        raise InputError(f"zones must be a path or a GeoDataFrame, not {type(zones).__name__}")
    if frame.empty:
        raise InputError("zone layer has no features", path=path, layer=layer)
    crs = require_crs(frame.crs, path=path, layer=layer)
    if zone_field is not None and zone_field not in frame.columns:
        raise InputError(f"has no field '{zone_field}'", path=path, layer=layer,
                         fix=f"use one of: {', '.join(c for c in frame.columns if c != frame.geometry.name)}")
    frame = check_polygons(frame, path=path, layer=layer, id_field=zone_field)
    raster_crs = require_crs(dataset.crs, path=dataset.name)
    if not crs.equals(raster_crs, ignore_axis_order=True):
        warnings.warn(f"{path}: zones reprojected from {crs.to_string()} to the raster's {raster_crs.to_string()}",
                      SinkmapWarning, stacklevel=3)
        frame = frame.to_crs(raster_crs)
    return frame, zone_field or "zone"


def iter_zonal_stats(raster, zones, *, categorical: bool = False, coverage: str = "center",
                     zone_field: str | None = None, stats: Iterable[str] = STATS, band: int = 1,
                     max_cells: int = DEFAULT_MAX_CELLS) -> Iterator[dict]:
    """Yield result rows one zone at a time (see ``zonal_stats``)."""
    if coverage not in COVERAGES:
        raise InputError(f"unknown coverage '{coverage}'", fix=f"use one of: {', '.join(COVERAGES)}")
    stats = tuple(stats)
    unknown = sorted(set(stats) - set(STATS))
    if unknown:
        raise InputError(f"unknown statistics {unknown}", fix=f"use any of: {', '.join(STATS)}")
    with open_raster(raster) as dataset:
        frame, key = _load_zones(zones, dataset, zone_field)
        row_m2 = row_areas_m2(dataset.transform, dataset.width, dataset.height, dataset.crs) if categorical else None
        labels = frame[zone_field] if zone_field else pd.Series(range(len(frame)), index=frame.index)
        outside = []
        for label, geom in zip(labels.tolist(), frame.geometry.to_numpy()):
            acc = _accumulate_zone(dataset, geom, band, coverage, categorical, row_m2, max_cells)
            if acc is None:
                outside.append(label)
                acc = _Accumulator()
            if categorical:
                for code, (pixels, m2) in sorted((acc.classes or {}).items()):
                    yield {key: label, "class": code, "pixels": float(pixels), "area_ha": m2 / M2_PER_HA}
            else:
                row = {key: label, "count": acc.count, "sum": acc.total,
                       "mean": acc.total / acc.count if acc.count else np.nan,
                       "min": acc.low if acc.count else np.nan, "max": acc.high if acc.count else np.nan}
                yield {k: v for k, v in row.items() if k == key or k in stats}
        if outside:
            shown = ", ".join(map(str, outside[:5])) + (" …" if len(outside) > 5 else "")
            warnings.warn(f"{len(outside)} zones lie outside the raster {dataset.name}: {shown}",
                          SinkmapWarning, stacklevel=2)


def zonal_stats(raster, zones, *, categorical: bool = False, coverage: str = "center",
                zone_field: str | None = None, stats: Iterable[str] = STATS, band: int = 1,
                max_cells: int = DEFAULT_MAX_CELLS) -> pd.DataFrame:
    """Statistics of ``raster`` inside each polygon of ``zones``, as a tidy table.

    Parameters
    ----------
    raster : path to a GDAL raster, or an open rasterio dataset.
    zones : path to a vector file or a GeoDataFrame; reprojected to the raster's CRS.
    categorical : one row per (zone, class) with ``pixels`` and true ground ``area_ha``.
    coverage : "center" (pixel centre inside) or "all_touched".
    zone_field : column naming the zones; default the row number as ``zone``.
    stats : continuous statistics among count, sum, mean, min, max.
    max_cells : cells read at once (memory budget).
    """
    key = zone_field or "zone"
    rows = list(iter_zonal_stats(raster, zones, categorical=categorical, coverage=coverage,
                                 zone_field=zone_field, stats=stats, band=band, max_cells=max_cells))
    columns = [key, "class", "pixels", "area_ha"] if categorical else [key, *[s for s in STATS if s in tuple(stats)]]
    return pd.DataFrame(rows, columns=columns)
