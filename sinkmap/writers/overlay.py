"""A land-cover raster as a light image overlay for the web map, with a categorical legend.

Leaflet stretches an image overlay linearly between its corners in Web Mercator, so it draws a
``ClassImage`` warped to EPSG:3857 at display size (read once by the survey, ``readers.raster.class_image``),
coloured by sinkmap class and embedded as a PNG data URI (no tile server, works offline). The data
outputs keep the full raster.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from rasterio.warp import transform_bounds

from sinkmap.catalogue import load_preset, sinkmap_classes
from sinkmap.crs import WEB_MERCATOR
from sinkmap.readers.raster import ClassImage
from sinkmap.writers.webmap import legend_box


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


def classes_image(image: ClassImage) -> tuple[np.ndarray, tuple[float, float, float, float],
                                           list[tuple[str, str, str]]]:
    """``image`` coloured by sinkmap class (its preset's colours): RGBA array (nodata and codes outside the
    preset transparent), its bounds (left, bottom, right, top in ``image.crs``) and the classes shown."""
    colours = class_colours(image.preset)
    codes, nodata = image.codes, image.nodata
    rgba = np.zeros((*codes.shape, 4), dtype=np.uint8)
    shown = []
    for code in np.unique(codes):
        if not np.isfinite(code) or code == nodata or int(code) not in colours:  # NaN: a float map's nodata
            continue
        colour, zh, en = colours[int(code)]
        rgba[codes == code] = [*(int(colour[i:i + 2], 16) for i in (1, 3, 5)), 255]
        if (colour, zh, en) not in shown:
            shown.append((colour, zh, en))
    return rgba, image.bounds, shown


def landcover_overlay(image: ClassImage) -> RasterOverlay:
    """The land-cover ``image`` (in Web Mercator) coloured for Leaflet."""
    if image.crs != WEB_MERCATOR:
        raise ValueError(f"the web map's land-cover image must be in {WEB_MERCATOR}, not {image.crs}")
    rgba, (left, bottom, right, top), shown = classes_image(image)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", optimize=True)
    w, s, e, n = transform_bounds(WEB_MERCATOR, "EPSG:4326", left, bottom, right, top)
    return RasterOverlay(buffer.getvalue(), [[s, w], [n, e]], shown)


def categorical_legend_html(title: str, rows: list[tuple[str, str, str]], element_id: str = "sinkmap-classes"
                            ) -> str:
    """A legend with one swatch per class (colour, 中文 name, English name)."""
    return legend_box(title, [(c, f"{zh} {en}") for c, zh, en in rows], element_id=element_id,
                      position="top:10px;left:230px")
