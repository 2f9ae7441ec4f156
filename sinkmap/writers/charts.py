"""Static figures for the report (matplotlib): maps in the equal-area CRS — the county choropleth with
overlays, and land cover with the stands; each with a legend, north arrow and true scale bar — and the
factor-sensitivity bars of the method section."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from pyproj import CRS  # noqa: E402

from sinkmap.crs import AREA_CRS  # noqa: E402
from sinkmap.readers.raster import ClassImage  # noqa: E402
from sinkmap.writers.figures import png_bytes, use_font  # noqa: E402
from sinkmap.writers.format import format_number  # noqa: E402

SCALE_KM = 20
STAND_COLOUR = "#1b5e20"
OUTLINES_AS_PATHS = 50_000  # stands drawn as paths; more are burnt into one image (``_outline_raster``)
OUTLINE_COLUMNS = 2_250  # that image's columns: twice the figure's 1,125 pixels
OUTLINE_PART = 100_000  # stands reprojected and burnt at a time


def choropleth_png(counties: gpd.GeoDataFrame, column: str, breaks: Sequence[float], colours: Sequence[str],
                   *, title: str, unit: str, label_field: str = "name_zh", font_path: Path | None = None,
                   overlays: Sequence[tuple[str, gpd.GeoDataFrame, dict]] = ()) -> bytes:
    """PNG bytes of a county choropleth in the equal-area CRS (metres, so the scale bar is true).

    ``font_path``: a CJK font file for the Chinese labels (registered with matplotlib).
    ``overlays``: (label, layer, Leaflet-style dict) drawn over the counties, each in the legend.
    """
    use_font(font_path)
    frame = counties.to_crs(AREA_CRS)
    fig, ax = plt.subplots(figsize=(7.5, 5.2), dpi=150)
    cmap, norm = ListedColormap(list(colours)), BoundaryNorm(list(breaks), len(colours))
    frame.plot(column=column, cmap=cmap, norm=norm, edgecolor="#333333", linewidth=0.6, ax=ax,
               missing_kwds={"color": "#cccccc", "edgecolor": "#333333", "hatch": "///"})  # not covered: grey
    for point, name, value in zip(frame.representative_point(), frame[label_field], frame[column]):
        ax.annotate(f"{name}\n{format_number(value, unit)}", (point.x, point.y), ha="center", va="center",
                    fontsize=8, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.7, "lw": 0})
    handles = [Patch(facecolor=c, edgecolor="#333333", label=f"{lo:g}–{hi:g} {unit}")
               for c, lo, hi in zip(colours, breaks[:-1], breaks[1:])]
    if frame[column].isna().any():
        handles.append(Patch(facecolor="#cccccc", edgecolor="#333333", hatch="///", label="未覆盖 not covered"))
    for label, layer, style in overlays:
        face = style.get("fillColor", "none") if style.get("fillOpacity", 0) >= 0.3 else "none"
        edge = style.get("color", "#000000")
        layer.to_crs(AREA_CRS).plot(ax=ax, facecolor=face, edgecolor=edge, linewidth=0.6)
        handles.append(Patch(facecolor=face, edgecolor=edge, label=label))
    ax.legend(handles=handles, title=title, loc="upper left", fontsize=7, title_fontsize=8, frameon=True)
    return _finish(fig, ax, frame.total_bounds)


def landcover_png(counties: gpd.GeoDataFrame, image: ClassImage, *, title: str,
                  stands: gpd.GeoDataFrame | None = None, stands_label: str = "森林小班 Forest stands",
                  font_path: Path | None = None) -> bytes:
    """PNG bytes of the land-cover ``image`` (warped to the equal-area CRS; classes coloured) under the
    county lines and, if given, the stand outlines; legend, north arrow and scale bar."""
    from sinkmap.writers.overlay import classes_image

    if not CRS.from_user_input(image.crs).equals(AREA_CRS):
        raise ValueError("the report's land-cover image must be in the equal-area CRS (crs.AREA_CRS)")
    use_font(font_path)
    frame = counties.to_crs(AREA_CRS)
    rgba, (left, bottom, right, top), shown = classes_image(image)
    fig, ax = plt.subplots(figsize=(7.5, 5.2), dpi=150)
    ax.imshow(rgba, extent=(left, right, bottom, top), interpolation="nearest", zorder=0)
    handles = [Patch(facecolor=colour, edgecolor="#333333", label=f"{zh} {en}") for colour, zh, en in shown]
    xmin, ymin, xmax, ymax = frame.total_bounds  # the raster's margin is cut to the counties
    limits = (xmin - 0.02 * (xmax - xmin), ymin - 0.02 * (ymax - ymin), xmax + 0.02 * (xmax - xmin),
              ymax + 0.02 * (ymax - ymin))
    if stands is not None and len(stands):
        if len(stands) <= OUTLINES_AS_PATHS:
            stands.to_crs(AREA_CRS).boundary.plot(ax=ax, color=STAND_COLOUR, linewidth=0.15, zorder=1)
        else:
            _outline_raster(ax, stands, limits)
        handles.append(Patch(facecolor="none", edgecolor=STAND_COLOUR, label=stands_label))
    frame.boundary.plot(ax=ax, color="#212121", linewidth=0.8, zorder=2)
    ax.legend(handles=handles, title=title, loc="upper left", fontsize=7, title_fontsize=8, frameon=True)
    ax.set_xlim(limits[0], limits[2])
    ax.set_ylim(limits[1], limits[3])
    return _finish(fig, ax, frame.total_bounds)


def _outline_raster(ax, stands: gpd.GeoDataFrame, limits: Sequence[float]) -> None:
    """The stands' outlines burnt into one image of OUTLINE_COLUMNS columns over ``limits`` (equal-area CRS), a
    part of the stands at a time: 10⁶ outlines drawn as paths take ~1.4 KB each, finer than the figure shows."""
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    left, bottom, right, top = limits
    cell = (right - left) / OUTLINE_COLUMNS
    shape = (max(1, math.ceil((top - bottom) / cell)), OUTLINE_COLUMNS)
    burnt = np.zeros(shape, dtype=np.uint8)
    transform = from_origin(left, top, cell, cell)
    for start in range(0, len(stands), OUTLINE_PART):
        lines = stands.geometry.iloc[start:start + OUTLINE_PART].to_crs(AREA_CRS).boundary
        rasterize(((line, 1) for line in lines if line is not None and not line.is_empty), out=burnt,
                  transform=transform, all_touched=True)
    rgba = np.zeros((*shape, 4), dtype=np.float32)
    rgba[..., :3] = matplotlib.colors.to_rgb(STAND_COLOUR)
    rgba[..., 3] = burnt  # lines opaque, the rest clear; smoothed as the figure shrinks it (no broken lines)
    ax.imshow(rgba, extent=(left, left + shape[1] * cell, top - shape[0] * cell, top), interpolation="antialiased",
              zorder=1)


def _finish(fig, ax, bounds: Sequence[float]) -> bytes:
    """Scale bar (true: the axes are in metres), north arrow, tidy axes; the figure as PNG bytes."""
    xmin, ymin, xmax, ymax = bounds
    x0, y0 = xmin + 0.03 * (xmax - xmin), ymin + 0.05 * (ymax - ymin)
    ax.plot([x0, x0 + SCALE_KM * 1000], [y0, y0], color="black", lw=3)
    ax.text(x0 + SCALE_KM * 500, y0 + 0.015 * (ymax - ymin), f"{SCALE_KM} km", ha="center", fontsize=8)
    arrow_x = xmax - 0.03 * (xmax - xmin)
    ax.annotate("", xy=(arrow_x, ymax - 0.06 * (ymax - ymin)), xytext=(arrow_x, ymax - 0.16 * (ymax - ymin)),
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})
    ax.text(arrow_x, ymax - 0.05 * (ymax - ymin), "N", ha="center", va="bottom", fontsize=10, fontweight="bold")
    ax.set_axis_off()
    ax.set_aspect("equal")
    return png_bytes(fig)


def sensitivity_png(shares: pd.DataFrame, *, title: str, font_path: Path | None = None) -> bytes:
    """PNG bytes of each factor's share of the variance of a carbon total (a horizontal bar per factor,
    split by species group, its total share written at the end): the factor to replace first is the longest.

    ``shares``: index species group, one column per factor, fractions adding to 1 (``variance_shares``).
    """
    use_font(font_path)
    shares = shares.fillna(0.0)
    order = shares.sum().sort_values().index  # the largest on top
    groups = shares.sum(axis=1).sort_values(ascending=False).index
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(order) + 1.2), dpi=150)
    left = pd.Series(0.0, index=order)
    colours = plt.get_cmap("tab20").colors
    for colour, group in zip(colours, groups):
        width = shares.loc[group, order] * 100.0
        if width.sum() > 0:
            ax.barh(list(order), width, left=left, color=colour, edgecolor="white", linewidth=0.5, label=group)
            left += width
    for factor, total in left.items():
        ax.text(total + 1, factor, f"{total:.0f} %", va="center", fontsize=8)
    ax.set_xlim(0, 110)
    ax.set_xlabel("方差占比 share of the variance (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(title="树种组 species group", fontsize=7, title_fontsize=7, loc="lower right", frameon=True)
    ax.spines[["top", "right"]].set_visible(False)
    return png_bytes(fig)
