"""Raster sources for the zonal engine: a path (or tiles: a folder, a pattern, a list), an open rasterio
dataset, or an xarray DataArray.

Each gives the grid (transform, CRS, shape, nodata, dtype) and ``read(window)``: the values and
where they are valid (not nodata, not NaN, not masked by a GDAL mask band or alpha band). A file is
read through one open dataset per call — the caller's, or one opened for the call from its path — by
one thread at a time (a GDAL handle is not thread-safe; the threads' other work runs in parallel).
A DataArray's mask is its nodata or NaN (open it with ``masked=True``).

A source travels to another process (a dask worker) as its grid and ``location``, the string
``rasterio.open`` accepts (an absolute file path, a ``/vsicurl/`` URL, a VRT's XML): there each
thread opens the location itself once and keeps it for the next tasks (``opened``). A dask-backed
DataArray read straight from a file (``rioxarray.open_rasterio(path, chunks=…)``, at most indexed)
is read from that file, locally and on workers, rather than through dask.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.io import DatasetReader
from rasterio.windows import Window

from sinkmap.crs import require_crs
from sinkmap.errors import CRSError, InputError
from sinkmap.readers.raster import has_gdal_mask, open_raster, raster_name, read_valid, valid_mask

HANDLES_PER_THREAD = 4  # open datasets a worker thread keeps for its next tasks
DASK_FILE_LAYERS = ("open_rasterio-", "original-open_rasterio-", "getitem-")  # a file read, at most indexed
_handles = threading.local()


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
    location: str | None = None  # what rasterio.open accepts (file path, /vsicurl/ URL, VRT XML); None: in memory
    array: object = None  # numpy, dask or xarray array (rows × cols), when not file-based
    dataset: DatasetReader | None = None  # the one open dataset of a file, read under ``_lock``
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __getstate__(self) -> dict:
        """Pickled (for another process): without the open dataset and its lock, which stay here."""
        return {**self.__dict__, "dataset": None, "_lock": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    @property
    def chunked(self) -> bool:
        """True for a dask-backed array."""
        return hasattr(self.array, "dask") or hasattr(getattr(self.array, "data", None), "dask")

    def read(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """Values of ``window`` (rows × cols) and where they are valid, as numpy arrays."""
        if self.array is not None:
            part = self.array[window.toslices()]
            if hasattr(part, "compute"):  # dask: this task's slice only, without nesting schedulers
                part = part.compute(scheduler="synchronous")
            data = np.asarray(part)
            return data, valid_mask(data, self.nodata)
        if self.dataset is None:  # in another process: this thread's own handle on the location
            return read_valid(opened(self), self.band, window, masked=self.masked)
        with self._lock:  # one GDAL handle, one reading thread at a time
            return read_valid(self.dataset, self.band, window, masked=self.masked)


def _signature(location: str) -> tuple[int, int] | None:
    """A local file's modification time and size (a handle on a file rewritten since is not reused)."""
    try:
        stat = os.stat(location)
    except (OSError, ValueError):  # a URL, a VRT's XML
        return None
    return stat.st_mtime_ns, stat.st_size


def opened(source: RasterSource) -> DatasetReader:
    """This thread's open dataset of ``source.location``, opened on first use and kept for the thread's next
    tasks (the last HANDLES_PER_THREAD locations). An InputError when it cannot be opened here or is not the
    grid the source describes."""
    if source.location is None:
        raise InputError("an in-memory raster cannot be read in another process", path=source.name,
                         fix="write it to a file every worker can read")
    key = (source.location, _signature(source.location))
    handles = _handles.__dict__.setdefault("open", OrderedDict())
    if key in handles:
        handles.move_to_end(key)
        return handles[key]
    fix = "put the raster on storage every worker can read: a shared path, or a COG over HTTP (/vsicurl/…)"
    try:
        dataset = rasterio.open(source.location)
    except rasterio.errors.RasterioIOError:
        raise InputError(f"cannot be opened on {socket.gethostname()}", path=source.name, fix=fix) from None
    if (dataset.width, dataset.height, dataset.transform) != (source.width, source.height, source.transform):
        dataset.close()
        raise InputError(f"is another raster on {socket.gethostname()} ({dataset.width} × {dataset.height})",
                         path=source.name, fix=fix)
    handles[key] = dataset
    while len(handles) > HANDLES_PER_THREAD:
        handles.popitem(last=False)[1].close()
    return dataset


def _location(name: str) -> str | None:
    """What another process passes to rasterio.open for the dataset named ``name``: an existing file's
    absolute path, a URL or VRT XML as it is; None for GDAL's in-memory files."""
    if os.path.exists(name):
        return os.path.abspath(name)
    return None if name.startswith("/vsimem/") else name


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
                        location=_location(dataset.name), dataset=dataset)


def _from_dataarray(array, band: int) -> RasterSource:
    """A (rioxarray) DataArray: 2-D (y, x) or 3-D (band, y, x). One read unchanged from a file has that file's
    ``location`` and band (checked when the file is opened, ``_file_backed``)."""
    if array.rio.crs is None:
        raise CRSError("DataArray has no CRS", fix="set it with .rio.write_crs('EPSG:4490')")
    if array.ndim == 3:
        array = array.isel({array.dims[0]: band - 1})
    elif array.ndim != 2:
        raise InputError(f"DataArray must be 2-D (y, x) or 3-D (band, y, x), not {array.ndim}-D")
    nodata = array.rio.nodata if array.rio.nodata is not None else array.rio.encoded_nodata
    name = str(array.name or "DataArray")
    location = _file_of(array)
    return RasterSource(name=name, transform=_north_up(array.rio.transform(), name),
                        crs=CRS.from_user_input(array.rio.crs), width=array.rio.width, height=array.rio.height,
                        nodata=None if nodata is None else getattr(nodata, "item", lambda: nodata)(),  # exact: uint64
                        dtype=np.dtype(array.dtype), band=int(array.coords["band"].item()) if location else band,
                        array=array.data, location=location)


def _file_of(array) -> str | None:
    """The file a dask-backed DataArray of one band is read from unchanged (``rioxarray.open_rasterio``, at
    most indexed: its dask graph has no other layers; the band a coordinate), else None."""
    source, graph = array.encoding.get("source"), getattr(array.data, "dask", None)
    if not isinstance(source, str) or not hasattr(graph, "layers") or array.coords.get("band") is None:
        return None
    if array.coords["band"].size != 1 or not all(name.startswith(DASK_FILE_LAYERS) for name in graph.layers):
        return None
    return _location(source)


def _holds(dataset: DatasetReader, source: RasterSource) -> bool:
    """True when band ``source.band`` of ``dataset`` has ``source``'s grid, dtype and nodata."""
    if source.band > dataset.count:
        return False
    nodata = dataset.nodatavals[source.band - 1]
    return (dataset.width, dataset.height, dataset.transform, np.dtype(dataset.dtypes[source.band - 1])) == \
        (source.width, source.height, source.transform, source.dtype) and \
        (nodata == source.nodata or (nodata != nodata and source.nodata != source.nodata))  # NaN ≠ NaN


@contextlib.contextmanager
def _file_backed(source: RasterSource) -> Iterator[RasterSource]:
    """``source`` (a DataArray with a ``location``) read from that file when it ``_holds`` the array's band,
    else through dask. Either way its mask is the array's: nodata and NaN only."""
    try:
        dataset = rasterio.open(source.location)
    except rasterio.errors.RasterioIOError:
        yield replace(source, location=None)
        return
    with dataset:
        yield replace(source, array=None, dataset=dataset) if _holds(dataset, source) else \
            replace(source, location=None)


@contextlib.contextmanager
def open_source(raster, band: int = 1) -> Iterator[RasterSource]:
    """Yield a RasterSource for a path, tiles read as one raster (a folder, a glob pattern or a list of files:
    ``readers.tiles``), an open rasterio dataset or a (rioxarray) DataArray."""
    if hasattr(raster, "rio"):  # xarray DataArray with the rioxarray accessor
        source = _from_dataarray(raster, band)
        with _file_backed(source) if source.location else contextlib.nullcontext(source) as source:
            yield source
        return
    if isinstance(raster, DatasetReader):
        yield _from_dataset(raster, band)
        return
    if not isinstance(raster, (str, Path, list, tuple)):
        raise InputError(f"raster must be a path, a folder or pattern of tiles, a list of tiles, a rasterio dataset "
                         f"or a DataArray, not {type(raster).__name__}")
    with open_raster(raster) as dataset:  # checks it opens and has a CRS; the call's one open of the file (or mosaic)
        yield _from_dataset(dataset, band)
