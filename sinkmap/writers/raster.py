"""Write a raster derived block by block from another (bounded memory, atomic)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio

from sinkmap.readers.raster import has_gdal_mask, read_valid
from sinkmap.writers.atomic import atomic_path


def write_mapped_raster(source: str | Path, target: str | Path, func: Callable[[np.ndarray], np.ndarray], *,
                        dtype: str, nodata: float, band: int = 1, tags: dict[str, str] | None = None,
                        description: str | None = None, progress: Callable[[int, int], None] | None = None
                        ) -> Path:
    """Write ``func(block)`` for every block of ``source`` band ``band`` as a tiled, compressed GeoTIFF.

    The grid (CRS, transform, size) is the source's. Cells that are nodata or masked by a GDAL
    mask band in the source are ``nodata`` in the output. Only one block is in memory at a time.
    ``progress``: called with (blocks done, blocks).
    """
    with rasterio.open(source) as src:
        profile = {"driver": "GTiff", "width": src.width, "height": src.height, "count": 1, "dtype": dtype,
                   "crs": src.crs, "transform": src.transform, "nodata": nodata, "compress": "deflate",
                   "predictor": 3 if np.dtype(dtype).kind == "f" else 2}
        if src.width >= 256 and src.height >= 256:
            profile.update(tiled=True, blockxsize=256, blockysize=256)
        with atomic_path(target) as tmp, rasterio.open(tmp, "w", **profile) as dst:
            masked = has_gdal_mask(src, band)
            windows = [window for _, window in dst.block_windows(1)]
            for done, window in enumerate(windows, start=1):
                block, valid = read_valid(src, band, window, masked=masked)
                out = func(block).astype(dtype)
                out[~valid] = nodata
                dst.write(out, 1, window=window)
                if progress is not None:
                    progress(done, len(windows))
            if tags:
                dst.update_tags(**tags)
            if description:
                dst.set_band_description(1, description)
    return Path(target)
