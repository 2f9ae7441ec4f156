"""Exact coverage fractions: the share of each raster cell covered by a polygon.

Signed-area accumulation, as exact anti-aliasing rasterizers do it. In pixel coordinates
(column x, row y), every polygon edge is cut into pieces, one per row it crosses. A piece
of height d (signed by the edge's direction) with x running linearly from xa to xb covers,
in column j, the area to its right::

    C(j) = d · H(j + 1),   H(X) = mean over the piece of clamp(X − x, 0, 1)

(computed in closed form, ``_mean_clamp``).

Summing C over every piece of every ring gives, in each cell, the winding-weighted area of
polygon ∩ cell; exterior rings and holes wind oppositely, so the result is exact for polygons
with holes and for multipolygons. The pieces go into a row difference buffer
(``H(j+1) − H(j)``) with one ``bincount``; a cumulative sum along the rows yields the fractions.
Work is proportional to the boundary cells, memory to the window.
"""

from __future__ import annotations

import numpy as np
import shapely
from affine import Affine

NOISE = 1e-10  # fractions below this are round-off of the running sums, not coverage


def _mean_clamp(x_right: np.ndarray, xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
    """H(X): mean of clamp(X − x, 0, 1) for x running linearly from xa to xb.

    With u = X − x on [lo, hi]: ∫ clamp(u) du = (b² − a²)/2 over [a, b] = [lo, hi] ∩ [0, 1], plus
    the length of [lo, hi] beyond 1. Every difference here is between nearby numbers and so is
    exact in floating point (Sterbenz), which keeps near-vertical edges accurate.
    """
    lo = x_right - np.maximum(xa, xb)
    hi = x_right - np.minimum(xa, xb)
    length = hi - lo
    a, b = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
    beyond = np.maximum(hi - np.maximum(lo, 1.0), 0.0)
    flat = length <= 0.0
    safe = np.where(flat, 1.0, length)
    mean = (b - a) / safe * (b + a) / 2.0 + beyond / safe
    return np.where(flat, np.clip(lo, 0.0, 1.0), np.minimum(mean, 1.0))


def _edges(pixel_geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All ring edges of an array of (multi)polygons: (n, 4) array x0, y0, x1, y1 and each edge's geometry."""
    parts, part_geom = shapely.get_parts(pixel_geoms, return_index=True)
    polygons = shapely.get_type_id(parts) == 3  # clipping may leave lines or points: no area
    parts, part_geom = parts[polygons], part_geom[polygons]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    if len(coords) < 2:
        return np.empty((0, 4)), np.empty(0, dtype=np.int64)
    same_ring = coord_ring[1:] == coord_ring[:-1]
    edges = np.column_stack([coords[:-1][same_ring], coords[1:][same_ring]])
    return edges, part_geom[ring_part[coord_ring[:-1][same_ring]]]


def _row_pieces(edges: np.ndarray, heights: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cut edges into pieces inside single rows: (edge index, row, xa, xb, signed height d)."""
    x0, y0, x1, y1 = edges.T
    sign = np.sign(y1 - y0)
    ylo, yhi = np.minimum(y0, y1), np.maximum(y0, y1)
    first = np.clip(np.floor(ylo), 0, heights).astype(np.int64)
    last = np.clip(np.ceil(yhi), 0, heights).astype(np.int64)  # exclusive
    counts = np.where(y0 == y1, 0, np.maximum(last - first, 0))  # horizontal edges add nothing
    edge = np.repeat(np.arange(counts.size), counts)
    row = first[edge] + (np.arange(edge.size) - np.repeat(np.cumsum(counts) - counts, counts))
    ys = np.maximum(row, ylo[edge])
    ye = np.minimum(row + 1, yhi[edge])
    slope = (x1 - x0)[edge] / (y1 - y0)[edge]
    xa = x0[edge] + (ys - y0[edge]) * slope
    xb = x0[edge] + (ye - y0[edge]) * slope
    return edge, row, xa, xb, (ye - ys) * sign[edge]


def _to_pixels(geoms: np.ndarray, transforms: list[Affine]) -> np.ndarray:
    """Each geometry in the pixel coordinates (column, row) of its own window."""
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    a = np.array([t.a for t in transforms])[owner]
    c = np.array([t.c for t in transforms])[owner]
    e = np.array([t.e for t in transforms])[owner]
    f = np.array([t.f for t in transforms])[owner]
    pixel = np.column_stack([(coords[:, 0] - c) / a, (coords[:, 1] - f) / e])
    return shapely.set_coordinates(np.array(geoms, dtype=object, copy=True), pixel)


def _clip(geom, width: float, height: float):
    """``geom`` cut to the window [0, width] × [0, height] (pixel units).

    GEOS's fast rectangle clip can fail on a sliver that only grazes the window (it builds a
    three-point ring); the general intersection handles that case. It also expects a valid polygon: one
    whose sliver the rounding to pixel units made cross itself (a vertex 1e-190 from another) came back
    as the window minus the polygon, so such a polygon is repaired first.
    """
    if not shapely.is_valid(geom):  # a sliver the move to pixel units pinched: GEOS's clip would invert it
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    try:
        return shapely.clip_by_rect(geom, 0.0, 0.0, width, height)
    except shapely.errors.GEOSException:
        return shapely.intersection(geom, shapely.box(0.0, 0.0, width, height))


def batch_coverage(geoms, transforms: list[Affine], shapes: list[tuple[int, int]]) -> np.ndarray:
    """Coverage fractions of many geometries, each on its own window, in one vectorised pass.

    Returns one flat float64 array: the fractions of geometry k's window (rows × cols, row-major)
    at ``offsets[k]:offsets[k+1]`` with offsets the running sum of rows·cols.
    """
    geoms = np.asarray(geoms, dtype=object)
    heights = np.array([s[0] for s in shapes], dtype=np.int64)
    widths = np.array([s[1] for s in shapes], dtype=np.int64)
    pixel = _to_pixels(geoms, transforms)
    bounds = shapely.bounds(pixel)
    overhang = (bounds[:, 0] < 0) | (bounds[:, 1] < 0) | (bounds[:, 2] > widths) | (bounds[:, 3] > heights)
    for k in np.flatnonzero(overhang):  # only geometries cut by their window's edge
        pixel[k] = _clip(pixel[k], float(widths[k]), float(heights[k]))
    # Shells and holes must wind oppositely for the signed sums; files (and clipping) do not promise it.
    edges, owner = _edges(shapely.orient_polygons(pixel))
    stride = widths + 2  # two spare columns per row take contributions at and past the right edge
    starts = np.concatenate([[0], np.cumsum(heights * stride)])
    flat = np.zeros(starts[-1])
    if edges.size:
        edge, row, xa, xb, d = _row_pieces(edges, heights[owner])
        k = owner[edge]
        xa, xb = np.clip(xa, 0.0, widths[k]), np.clip(xb, 0.0, widths[k])  # rounding noise only
        first = np.floor(np.minimum(xa, xb)).astype(np.int64)
        counts = np.ceil(np.maximum(xa, xb)).astype(np.int64) - first + 1  # columns with H(j+1) − H(j) ≠ 0
        # H at the counts + 1 grid lines X = first … first + counts of each piece, evaluated once
        points = counts + 1
        piece = np.repeat(np.arange(counts.size), points)
        step = np.arange(piece.size) - np.repeat(np.cumsum(points) - points, points)
        col = first[piece] + step
        h = _mean_clamp(col.astype(np.float64), xa[piece], xb[piece])
        is_cell = step < counts[piece]  # H(j+1) − H(j) belongs to column j = first + step
        values = (d[piece] * (np.roll(h, -1) - h))[is_cell]
        piece, col = piece[is_cell], col[is_cell]
        kp = k[piece]
        index = starts[kp] + row[piece] * stride[kp] + np.minimum(col, widths[kp] + 1)
        flat = np.bincount(index, weights=values, minlength=starts[-1])
    # a running sum along each row of each window, from that row alone: a zone's fractions do not depend on
    # the windows batched with it (one cumsum over the whole batch would carry the rows before in its rounding)
    fractions = np.concatenate([np.cumsum(flat[starts[k]:starts[k + 1]].reshape(heights[k], stride[k]), axis=1)
                                [:, :widths[k]].ravel() for k in range(len(geoms))])
    np.abs(fractions, out=fractions)
    fractions[fractions < NOISE] = 0.0
    return np.minimum(fractions, 1.0, out=fractions)


def coverage_fraction(geometry: shapely.Geometry, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Fraction (0–1, float64) of each cell of a north-up grid window covered by ``geometry``.

    ``transform`` and ``shape`` (rows, cols) describe the window; the geometry may extend
    beyond it. Exact up to floating-point rounding.
    """
    return batch_coverage([geometry], [transform], [shape]).reshape(shape)
