"""Open a user's raster and check it before any computation.

Accepts a path (GeoTIFF/COG, VRT, any GDAL raster), tiles read as one raster (a folder, a glob pattern
or a list of files: ``readers/tiles.py``) or an open rasterio dataset. Land-cover
rasters are checked against a class preset: every code present must be in the preset.

Which cells hold a value: not the band's nodata, not NaN, and not masked by a GDAL mask
(an internal or ``.msk`` per-dataset mask, or an alpha band). ``read_valid`` reads both.
Class rasters may be float (ArcGIS/QGIS exports) as long as every value is a whole number.
``class_image`` reads a class raster as a map draws it: warped to a display CRS, at display size.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import MaskFlags
from rasterio.io import DatasetReader
from rasterio.transform import from_bounds
from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds
from rasterio.windows import Window

from sinkmap.catalogue import load_preset
from sinkmap.crs import check_coordinates, require_crs
from sinkmap.errors import InputError, SchemaError

DEFAULT_MAX_CELLS = 1_000_000  # cells read at once: ≈ 1 MB of uint8 values, ≈ 40 MB working set with fractions
IMAGE_MAX_SIDE = 1600  # px: a class image's longer side at most (≈ 80 m per pixel over Shanwei)
MOSAIC_LABEL = "SINKMAP_TILES"  # metadata item of a tile mosaic's VRT: its name in messages (readers/tiles.py)


@contextlib.contextmanager
def open_raster(source: str | Path | Sequence[str | Path] | DatasetReader, *, area_of_use: bool = False
                ) -> Iterator[DatasetReader]:
    """Yield an open dataset for ``source``; close it afterwards only if we opened it. Its coordinates
    are checked against its CRS (``sinkmap.crs.check_coordinates``, ``area_of_use`` for survey inputs).

    ``source``: a raster file, an open dataset, a GDAL virtual path or URL (``/vsicurl/https://…``), or tiles
    read as one raster: a folder of GeoTIFFs, a glob pattern or a list of files (``readers.tiles.locate``;
    its dataset's ``name`` is the mosaic's VRT text)."""
    if isinstance(source, DatasetReader):
        yield source
        return
    from sinkmap.readers.tiles import Mosaic, locate  # here: tiles reads its tiles through this module

    location = locate(source)
    path = location.label if isinstance(location, Mosaic) else location
    try:
        dataset = rasterio.open(location.xml if isinstance(location, Mosaic) else location)
    except rasterio.errors.RasterioIOError as exc:
        detail = " ".join(str(exc).split())[:200]
        raise InputError(f"cannot be read as a raster ({detail})", path=path,
                         fix="check that it is a GeoTIFF or another GDAL raster") from None
    with dataset:
        check_coordinates(tuple(dataset.bounds), require_crs(dataset.crs, path=path), path=path,
                          area_of_use=area_of_use)
        yield dataset


def raster_name(dataset: DatasetReader) -> str:
    """``dataset``'s name in messages: its path, or a tile mosaic's folder or pattern and tile count."""
    return dataset.tags().get(MOSAIC_LABEL) or dataset.name


def strips(dataset: DatasetReader, window: Window | None = None, max_cells: int = DEFAULT_MAX_CELLS
           ) -> Iterator[Window]:
    """Split ``window`` (default: the whole raster) into full-width row strips of ≤ max_cells."""
    window = window or Window(0, 0, dataset.width, dataset.height)
    rows = max(1, max_cells // max(1, int(window.width)))
    row_stop = int(window.row_off + window.height)
    for row in range(int(window.row_off), row_stop, rows):
        yield Window(window.col_off, row, window.width, min(rows, row_stop - row))


def valid_mask(data: np.ndarray, nodata: float | None) -> np.ndarray:
    """True where ``data`` holds a value (not nodata, not NaN)."""
    mask = np.ones(data.shape, dtype=bool) if nodata is None else data != nodata
    if np.issubdtype(data.dtype, np.floating):
        mask &= ~np.isnan(data)
    return mask


def has_gdal_mask(dataset: DatasetReader, band: int = 1) -> bool:
    """True when ``band``'s valid cells come from a GDAL mask band (per-dataset mask or alpha)."""
    flags = dataset.mask_flag_enums[band - 1]
    return MaskFlags.per_dataset in flags or MaskFlags.alpha in flags


def read_valid(dataset: DatasetReader, band: int, window: Window | None = None, *,
               masked: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``window`` and where they are valid: not nodata, not NaN, not masked by GDAL.

    ``masked``: whether to read the GDAL mask band (default: ask the dataset).
    """
    try:
        data = dataset.read(band, window=window)
        valid = valid_mask(data, dataset.nodatavals[band - 1])
        if has_gdal_mask(dataset, band) if masked is None else masked:
            valid &= dataset.read_masks(band, window=window) != 0  # GDAL: 0 masked, > 0 valid
    except rasterio.errors.RasterioIOError as exc:
        detail = " ".join(str(exc).split())[:160]
        where = "" if window is None else f" at rows {int(window.row_off)}–{int(window.row_off + window.height) - 1}"
        raise InputError(f"cannot be read{where} ({detail})", path=raster_name(dataset),
                         fix="the file is damaged or truncated: copy or export it again") from None
    return data, valid


def class_codes(values: np.ndarray, *, path: str | Path | None = None) -> np.ndarray:
    """Valid cells' class codes as integers; a float value that is not a whole number is an error.

    Codes that all lie in 0–255 become uint8 (the engine counts those with one bincount),
    others int64.
    """
    if values.dtype == np.uint8:
        return values
    if np.issubdtype(values.dtype, np.floating):
        fractional = ~np.isfinite(values) | (values != np.round(values))
        if fractional.any():
            first = values[np.argmax(fractional)].item()
            raise SchemaError(f"class raster holds {first!r}, which is not a whole class code ({values.dtype})",
                              path=path, fix="round it (np.round) or reclassify it to integer class codes, "
                                             "or compute continuous statistics instead")
    if values.size and values.min() >= 0 and values.max() <= 255:
        return values.astype(np.uint8)
    return values.astype(np.int64)


def class_codes_present(dataset: DatasetReader, band: int = 1,
                        progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Sorted class codes present in a class raster (nodata and masked cells excluded), read in strips.
    ``progress``: called with (strips done, strips)."""
    seen: set[int] = set()
    name = raster_name(dataset)
    windows = list(strips(dataset))
    for done, window in enumerate(windows, start=1):
        data, valid = read_valid(dataset, band, window)
        seen.update(np.unique(class_codes(data[valid], path=name)).tolist())
        if progress is not None:
            progress(done, len(windows))
    return np.array(sorted(seen), dtype=np.int64)


def check_landcover(source: str | Path | DatasetReader, preset: str, band: int = 1) -> np.ndarray:
    """Check every code in the raster is in ``preset``; return the codes present."""
    table = load_preset(preset)
    with open_raster(source, area_of_use=True) as dataset:
        codes = class_codes_present(dataset, band)
        unknown = sorted(set(codes.tolist()) - set(table["code"]))
        if unknown:
            raise SchemaError(
                f"class codes {unknown[:10]} are not in the '{preset}' preset "
                f"(it has {', '.join(map(str, table['code']))})",
                path=raster_name(dataset),
                fix="choose the preset that matches the raster (--preset), or set those pixels to nodata",
            )
    return codes


@dataclass(frozen=True)
class ClassImage:
    """A class raster as a map draws it: its codes warped to ``crs`` (nearest neighbour, so codes are
    never blended) at display size, ``nodata`` where it has no value."""

    codes: np.ndarray  # rows × cols, the raster's dtype
    bounds: tuple[float, float, float, float]  # left, bottom, right, top, in ``crs``
    crs: str
    nodata: float | int  # the raster's nodata, or 0 when it declares none
    preset: str  # the class preset its codes follow


def class_image(source: str | Path | DatasetReader, preset: str, dst_crs: str, *, max_side: int = IMAGE_MAX_SIDE,
                band: int = 1) -> ClassImage:
    """The class raster ``source`` warped to ``dst_crs`` (nearest neighbour) at most ``max_side`` px on its
    longer side: one read of the raster, at display resolution."""
    with open_raster(source) as src:
        left, bottom, right, top = transform_bounds(src.crs, dst_crs, *src.bounds, densify_pts=21)
        _, full_width, full_height = calculate_default_transform(src.crs, dst_crs, src.width, src.height,
                                                                 *src.bounds)
        scale = max(1.0, max(full_width, full_height) / max_side)
        width, height = max(1, round(full_width / scale)), max(1, round(full_height / scale))
        transform = from_bounds(left, bottom, right, top, width, height)
        nodata = src.nodata if src.nodata is not None else 0
        codes = np.full((height, width), nodata, dtype=src.dtypes[band - 1])
        reproject(rasterio.band(src, band), codes, dst_transform=transform, dst_crs=dst_crs,
                  dst_nodata=nodata, resampling=Resampling.nearest)
    return ClassImage(codes, (left, bottom, right, top), dst_crs, nodata, preset)
