"""Raster sources for the zonal engine: a path (or tiles: a folder, a pattern, a list), an open rasterio
dataset, or an xarray DataArray.

Each gives the grid (transform, CRS, shape, nodata, dtype) and ``read(window)``: the values and
where they are valid (not nodata, not NaN, not masked by a GDAL mask band or alpha band). A file is
read through one open dataset per call — the caller's, or one opened for the call from its path — by
one thread at a time (a GDAL handle is not thread-safe; the threads' other work runs in parallel).
A DataArray's mask is its nodata or NaN (open it with ``masked=True``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from affine import Affine
from pyproj import CRS
from rasterio.io import DatasetReader
from rasterio.windows import Window

from sinkmap.crs import require_crs
from sinkmap.errors import CRSError, InputError
from sinkmap.readers.raster import has_gdal_mask, open_raster, raster_name, read_valid, valid_mask


@dataclass
class RasterSource:
    """The grid of one raster band and a way to read windows of it."""

    name: str
    transform: Affine
    crs: CRS
    width: int
    height: int
    nodata: float | int | None  # int kept exact (uint64)
    dtype: np.dtype
    band: int = 1
    masked: bool = False  # valid cells also come from a GDAL mask band (per-dataset mask, alpha)
    array: object = None  # numpy, dask or xarray array (rows × cols), when not file-based
    dataset: DatasetReader | None = None  # the one open dataset of a file, read under ``_lock``
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def chunked(self) -> bool:
        """True for a dask-backed array."""
        return hasattr(self.array, "dask") or hasattr(getattr(self.array, "data", None), "dask")

    def read(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """Values of ``window`` (rows × cols) and where they are valid, as numpy arrays."""
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        if self.array is not None:
            part = self.array[r0:r1, c0:c1]
            if hasattr(part, "compute"):  # dask: this task's slice only, without nesting schedulers
                part = part.compute(scheduler="synchronous")
            data = np.asarray(part)
            return data, valid_mask(data, self.nodata)
        with self._lock:  # one GDAL handle, one reading thread at a time
            return read_valid(self.dataset, self.band, window, masked=self.masked)


def _north_up(transform: Affine, name: str) -> Affine:
    """``transform``, checked to be north-up (no rotation or shear terms)."""
    if transform.b != 0 or transform.d != 0:
        raise InputError("rotated rasters are not supported", path=name,
                         fix="warp the raster to a north-up grid first (gdalwarp)")
    return transform


def _from_dataset(dataset: DatasetReader, band: int) -> RasterSource:
    if not 1 <= band <= dataset.count:
        raise InputError(f"has no band {band} (it has {dataset.count})", path=dataset.name, fix="choose --band")
    crs = require_crs(dataset.crs, path=dataset.name)
    _north_up(dataset.transform, dataset.name)
    return RasterSource(name=raster_name(dataset), transform=dataset.transform, crs=crs, width=dataset.width,
                        height=dataset.height, nodata=dataset.nodatavals[band - 1],
                        dtype=np.dtype(dataset.dtypes[band - 1]), band=band, masked=has_gdal_mask(dataset, band),
                        dataset=dataset)


def _from_dataarray(array, band: int) -> RasterSource:
    """A (rioxarray) DataArray: 2-D (y, x) or 3-D (band, y, x)."""
    if array.rio.crs is None:
        raise CRSError("DataArray has no CRS", fix="set it with .rio.write_crs('EPSG:4490')")
    if array.ndim == 3:
        array = array.isel({array.dims[0]: band - 1})
    elif array.ndim != 2:
        raise InputError(f"DataArray must be 2-D (y, x) or 3-D (band, y, x), not {array.ndim}-D")
    nodata = array.rio.nodata if array.rio.nodata is not None else array.rio.encoded_nodata
    name = str(array.name or "DataArray")
    return RasterSource(name=name, transform=_north_up(array.rio.transform(), name),
                        crs=CRS.from_user_input(array.rio.crs), width=array.rio.width, height=array.rio.height,
                        nodata=None if nodata is None else getattr(nodata, "item", lambda: nodata)(),  # exact: uint64
                        dtype=np.dtype(array.dtype), band=band, array=array.data)


@contextlib.contextmanager
def open_source(raster, band: int = 1) -> Iterator[RasterSource]:
    """Yield a RasterSource for a path, tiles read as one raster (a folder, a glob pattern or a list of files:
    ``readers.tiles``), an open rasterio dataset or a (rioxarray) DataArray."""
    if hasattr(raster, "rio"):  # xarray DataArray with the rioxarray accessor
        yield _from_dataarray(raster, band)
        return
    if isinstance(raster, DatasetReader):
        yield _from_dataset(raster, band)
        return
    if not isinstance(raster, (str, Path, list, tuple)):
        raise InputError(f"raster must be a path, a folder or pattern of tiles, a list of tiles, a rasterio dataset "
                         f"or a DataArray, not {type(raster).__name__}")
    with open_raster(raster) as dataset:  # checks it opens and has a CRS; the call's one open of the file (or mosaic)
        yield _from_dataset(dataset, band)
