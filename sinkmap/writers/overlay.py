"""A land-cover raster as a light image overlay for the web map, with a categorical legend.

Leaflet stretches an image overlay linearly between its corners in Web Mercator, so the
raster is first warped to EPSG:3857 (nearest neighbour: class codes are never blended) at a
display resolution of at most ``MAX_SIDE`` pixels, coloured by sinkmap class, and embedded as
a PNG data URI (no tile server, works offline). The data outputs keep the full raster.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from rasterio.transform import from_bounds
from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

from sinkmap.catalogue import load_preset, sinkmap_classes
from sinkmap.readers.raster import open_raster
from sinkmap.writers.webmap import legend_box

MAX_SIDE = 1600  # px: ≈ 80 m per pixel over Shanwei, a few hundred KB of PNG
WEB_MERCATOR = "EPSG:3857"


@dataclass(frozen=True)
class RasterOverlay:
    """A coloured PNG and where it goes: bounds as [[south, west], [north, east]] degrees."""

    png: bytes
    bounds: list[list[float]]
    legend: list[tuple[str, str, str]]  # (colour, 中文 name, English name) of the classes shown

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def class_colours(preset: str) -> dict[int, tuple[str, str, str]]:
    """Source class code → (colour, 中文, English) of its sinkmap class."""
    classes = sinkmap_classes().set_index("class")
    table = load_preset(preset)
    return {int(code): (classes.loc[cls, "color"], classes.loc[cls, "name_zh"], classes.loc[cls, "name_en"])
            for code, cls in zip(table["code"], table["sinkmap_class"])}


def classes_image(source: str | Path, preset: str, dst_crs: str, *, max_side: int = MAX_SIDE, band: int = 1
                  ) -> tuple[np.ndarray, tuple[float, float, float, float], list[tuple[str, str, str]]]:
    """The land-cover raster ``source`` (read through ``preset``) warped to ``dst_crs`` (nearest
    neighbour, at most ``max_side`` px) and coloured by sinkmap class: RGBA array (nodata
    transparent), its bounds (left, bottom, right, top in ``dst_crs``) and the classes shown."""
    colours = class_colours(preset)
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
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    shown = []
    for code in np.unique(codes):
        if not np.isfinite(code) or code == nodata or int(code) not in colours:  # NaN: a float map's nodata
            continue
        colour, zh, en = colours[int(code)]
        rgba[codes == code] = [*(int(colour[i:i + 2], 16) for i in (1, 3, 5)), 255]
        if (colour, zh, en) not in shown:
            shown.append((colour, zh, en))
    return rgba, (left, bottom, right, top), shown


def landcover_overlay(source: str | Path, preset: str, *, max_side: int = MAX_SIDE, band: int = 1
                      ) -> RasterOverlay:
    """Warp, downsample and colour the land-cover raster ``source`` for Leaflet (Web Mercator)."""
    rgba, (left, bottom, right, top), shown = classes_image(source, preset, WEB_MERCATOR, max_side=max_side,
                                                            band=band)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", optimize=True)
    w, s, e, n = transform_bounds(WEB_MERCATOR, "EPSG:4326", left, bottom, right, top)
    return RasterOverlay(buffer.getvalue(), [[s, w], [n, e]], shown)


def categorical_legend_html(title: str, rows: list[tuple[str, str, str]], element_id: str = "sinkmap-classes"
                            ) -> str:
    """A legend with one swatch per class (colour, 中文 name, English name)."""
    return legend_box(title, [(c, f"{zh} {en}") for c, zh, en in rows], element_id=element_id,
                      position="top:10px;left:230px")
