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


def _ring_edges(geometry: shapely.Geometry) -> np.ndarray:
    """All ring edges of a (multi)polygon as an (n, 4) array x0, y0, x1, y1."""
    parts = shapely.get_parts(geometry)
    rings = shapely.get_rings(parts[shapely.get_type_id(parts) == 3])  # polygons only: clipping may leave lines
    coords, index = shapely.get_coordinates(rings, return_index=True)
    if len(coords) < 2:
        return np.empty((0, 4))
    same_ring = index[1:] == index[:-1]
    return np.column_stack([coords[:-1][same_ring], coords[1:][same_ring]])


def _row_pieces(edges: np.ndarray, height: int) -> tuple[np.ndarray, ...]:
    """Cut edges into pieces inside single rows: (row, xa, xb, signed height d)."""
    x0, y0, x1, y1 = edges.T
    keep = y0 != y1
    x0, y0, x1, y1 = x0[keep], y0[keep], x1[keep], y1[keep]
    sign = np.sign(y1 - y0)
    ylo, yhi = np.minimum(y0, y1), np.maximum(y0, y1)
    first = np.clip(np.floor(ylo), 0, height).astype(np.int64)
    last = np.clip(np.ceil(yhi), 0, height).astype(np.int64)  # exclusive
    counts = np.maximum(last - first, 0)
    edge = np.repeat(np.arange(counts.size), counts)
    offset = np.arange(edge.size) - np.repeat(np.cumsum(counts) - counts, counts)
    row = first[edge] + offset
    ys = np.maximum(row, ylo[edge])
    ye = np.minimum(row + 1, yhi[edge])
    slope = (x1 - x0)[edge] / (y1 - y0)[edge]
    xa = x0[edge] + (ys - y0[edge]) * slope
    xb = x0[edge] + (ye - y0[edge]) * slope
    return row, xa, xb, (ye - ys) * sign[edge]


def coverage_fraction(geometry: shapely.Geometry, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Fraction (0–1, float64) of each cell of a north-up grid covered by ``geometry``.

    ``transform`` and ``shape`` (rows, cols) describe the grid window; the geometry may extend
    beyond it. Exact up to floating-point rounding.
    """
    height, width = shape
    # pixel coordinates: column = (x − c) / a, row = (y − f) / e  (e < 0 for north-up)
    pixel = shapely.transform(geometry, lambda xy: np.column_stack(
        [(xy[:, 0] - transform.c) / transform.a, (xy[:, 1] - transform.f) / transform.e]))
    # Clip to the window itself: every piece then lies inside it, and nothing outside is counted.
    pixel = shapely.clip_by_rect(pixel, 0.0, 0.0, float(width), float(height))
    # Shells and holes must wind oppositely for the signed sums; files (and clipping) do not promise it.
    pixel = shapely.orient_polygons(pixel)
    edges = _ring_edges(pixel)
    if edges.size == 0:
        return np.zeros(shape)
    row, xa, xb, d = _row_pieces(edges, height)
    xa, xb = np.clip(xa, 0.0, width), np.clip(xb, 0.0, width)  # rounding noise only
    xmin, xmax = np.minimum(xa, xb), np.maximum(xa, xb)
    first = np.floor(xmin).astype(np.int64)
    counts = np.ceil(xmax).astype(np.int64) - first + 1  # columns j with H(j+1) − H(j) ≠ 0
    # H at the counts + 1 grid lines X = first … first + counts of each piece, evaluated once
    points = counts + 1
    piece = np.repeat(np.arange(counts.size), points)
    step = np.arange(piece.size) - np.repeat(np.cumsum(points) - points, points)
    h = _mean_clamp((first[piece] + step).astype(np.float64), xa[piece], xb[piece])
    is_cell = step < counts[piece]  # H(j+1) − H(j) belongs to column j = first + step
    values = (d[piece] * (np.roll(h, -1) - h))[is_cell]
    piece, col = piece[is_cell], (first[piece] + step)[is_cell]
    stride = width + 2
    flat = np.bincount(row[piece] * stride + np.minimum(col, width + 1), weights=values,
                       minlength=height * stride)
    fractions = np.abs(np.cumsum(flat.reshape(height, stride)[:, :width], axis=1))
    fractions[fractions < NOISE] = 0.0
    return np.minimum(fractions, 1.0)
