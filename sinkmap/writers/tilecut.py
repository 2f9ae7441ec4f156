"""Cut a large vector layer into Web Mercator tiles of compact features, and sum it up on a grid.

Both work on arrays (shapely's ragged coordinates, numpy), never feature by feature, so 10^6 stands
take seconds; PART features (or tile pairs) at a time, so that they take ~250 MiB, not 1.5 GiB. Tiles and grid cells are numbered as web maps number them (XYZ, y down
from the north): tile (x, y) at zoom z covers [x, x + 1) × [y, y + 1) in units of 1/2^z of the
world's width, which is what Leaflet's ``map.project(latlng, z) / 256`` gives in the page.

A tile holds every feature whose bounding box touches it, so a feature crossing a tile edge is in
each tile it crosses (the page keeps one copy, by feature number). Coordinates are on the layer's
grid (``compact.py``: a quarter pixel at its detail zoom): each ring's first vertex relative to the
tile's corner on that grid, then deltas.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import shapely
from pyproj import CRS

from sinkmap.units import M2_PER_HA
from sinkmap.zonal.cellarea import zone_area_m2

WGS84 = CRS.from_epsg(4326)
MAX_LATITUDE = 85.0511287798  # °: Web Mercator's limit (Leaflet's too)
PART = 100_000  # features simplified and cut, and tile pairs written, at a time (10⁶ stands at once: +1 GiB)
RAGGED_TYPES = {shapely.GeometryType.POINT: 0, shapely.GeometryType.MULTIPOINT: 1, shapely.GeometryType.LINESTRING: 2,
                shapely.GeometryType.MULTILINESTRING: 3, shapely.GeometryType.POLYGON: 4,
                shapely.GeometryType.MULTIPOLYGON: 5}  # the codes of compact.GEOMETRY_CODES


def tile_x(lon: np.ndarray, zoom: int) -> np.ndarray:
    """Longitude (°) → tile column at ``zoom``, fractional."""
    return (np.asarray(lon, dtype=float) + 180.0) / 360.0 * 2.0 ** zoom


def tile_y(lat: np.ndarray, zoom: int) -> np.ndarray:
    """Latitude (°) → tile row at ``zoom`` (0 at the north edge), fractional."""
    phi = np.radians(np.clip(np.asarray(lat, dtype=float), -MAX_LATITUDE, MAX_LATITUDE))
    return (1.0 - np.arcsinh(np.tan(phi)) / math.pi) / 2.0 * 2.0 ** zoom


def row_latitude(y: np.ndarray, zoom: int) -> np.ndarray:
    """Tile row edge ``y`` at ``zoom`` → its latitude (°)."""
    return np.degrees(np.arctan(np.sinh(math.pi * (1.0 - 2.0 * np.asarray(y, dtype=float) / 2.0 ** zoom))))


def cell_area_ha(y: np.ndarray, zoom: int) -> np.ndarray:
    """Ground area (ha) of a tile in row ``y`` at ``zoom``, on the WGS84 ellipsoid (the page's latitudes)."""
    north, south = row_latitude(y, zoom), row_latitude(np.asarray(y) + 1, zoom)
    return zone_area_m2(north, south, 360.0 / 2.0 ** zoom, WGS84) / M2_PER_HA


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The indices start, start + 1, … of each (start, count), concatenated."""
    counts = np.asarray(counts, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.repeat(np.asarray(starts, dtype=np.int64) - (ends - counts), counts) + np.arange(ends[-1] if len(ends) else 0)


@dataclass(frozen=True)
class Grid:
    """Sum of a layer on grid cells (tiles) of one zoom: the non-empty cells, with features and area."""

    zoom: int
    x: np.ndarray  # cell column
    y: np.ndarray  # cell row
    count: np.ndarray  # features whose centroid lies in the cell
    area_ha: np.ndarray  # their summed area (ha)
    share: np.ndarray  # area_ha / the cell's ground area, in %


def grid_summary(lon: np.ndarray, lat: np.ndarray, area_ha: np.ndarray, zoom: int) -> Grid:
    """Features (centroids ``lon``/``lat`` in °, areas in ha) summed on the tiles of ``zoom``."""
    x = np.floor(tile_x(lon, zoom)).astype(np.int64)
    y = np.floor(tile_y(lat, zoom)).astype(np.int64)
    keys, inverse = np.unique(x * (1 << zoom) + y, return_inverse=True)
    count = np.bincount(inverse, minlength=len(keys))
    area = np.bincount(inverse, weights=area_ha, minlength=len(keys))
    cx, cy = keys // (1 << zoom), keys % (1 << zoom)
    return Grid(zoom, cx, cy, count, area, 100.0 * area / cell_area_ha(cy, zoom))


@dataclass
class Ragged:
    """A layer's display geometry on its grid: integer vertices and the counts that nest them."""

    kind: int  # compact.GEOMETRY_CODES of the whole layer (Polygon + MultiPolygon → MultiPolygon)
    xy: np.ndarray  # (vertices, 2) on the grid: int32 (int64 for a layer over 2^30 steps wide)
    parts: np.ndarray  # per feature: its parts (polygons; 1 for other kinds)
    rings: np.ndarray  # per part: its rings (lines of a MultiLineString; 1 for points and lines)
    vertices: np.ndarray  # per ring: its vertices
    part_start: np.ndarray  # per feature: its first part
    ring_start: np.ndarray  # per part: its first ring
    vertex_start: np.ndarray  # per ring: its first vertex


def _counts(code: int, offsets: tuple[np.ndarray, ...], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(parts per feature, rings per part, vertices per ring) of ``n`` features from ``shapely.to_ragged_array``'s
    ``offsets`` for its type ``code``: a single geometry counts as a multi one with one part (one line, one point)."""
    one = np.ones(n, np.int64)
    diffs = [np.diff(np.asarray(o, dtype=np.int64)) for o in offsets]
    if code == 0:  # points: one part, one ring, one vertex each
        return one, one, one
    if code in (1, 2):  # multipoints, lines: one part, one ring
        return one, one, diffs[0]
    if code in (3, 4):  # multilines, polygons: one part, its lines or rings
        return one, diffs[1], diffs[0]
    return diffs[2], diffs[1], diffs[0]


def _layer_code(codes: set[int]) -> int:
    """The one ragged type of parts of types ``codes``: single and multi geometries of a family give the multi one
    (as ``shapely.to_ragged_array``); a ValueError when points, lines and polygons mix."""
    if len({code // 2 for code in codes}) > 1:
        raise ValueError(f"geometry types {sorted(codes)} (compact.GEOMETRY_CODES) mixed: no one ragged array")
    return max(codes)


def _starts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def display_shape(geoms: np.ndarray, tolerance: float, step: float
                  ) -> tuple[Ragged, tuple[float, float], np.ndarray, np.ndarray]:
    """``geoms`` (°, none missing or empty) as the tiles draw them: each simplified on its own to ``tolerance``
    (°, topology kept) and snapped to the grid of ``step`` (°) from ``origin``, the grid point south-west of
    them all; PART features at a time, so that no second copy of the whole layer is held.

    Returns (shape, origin, bounds, centroids): the simplified features' bounding boxes (feature × 4, °) and
    centroids (feature × 2, °). A ValueError when they mix points, lines and polygons."""
    n = len(geoms)
    bounds, centres = np.empty((n, 4)), np.empty((n, 2))
    codes, coords, counts = set(), [], []
    for k in range(0, n, PART):
        part = shapely.simplify(geoms[k:k + PART], tolerance, preserve_topology=True)
        bounds[k:k + len(part)] = shapely.bounds(part)
        centre = shapely.centroid(part)
        centres[k:k + len(part), 0], centres[k:k + len(part), 1] = shapely.get_x(centre), shapely.get_y(centre)
        kind, xy, offsets = shapely.to_ragged_array(part, include_z=False)
        codes.add(RAGGED_TYPES[kind])
        coords.append(xy)
        counts.append(_counts(RAGGED_TYPES[kind], offsets, len(part)))
        del part, centre
    code = _layer_code(codes)
    origin = (float(np.floor(bounds[:, 0].min() / step) * step), float(np.floor(bounds[:, 1].min() / step) * step))
    span = max(bounds[:, 2].max() - origin[0], bounds[:, 3].max() - origin[1]) / step if n else 0.0
    xy = np.empty((sum(len(c) for c in coords), 2), np.int32 if span < 2**30 else np.int64)  # grid steps from origin
    at = 0
    for i, part in enumerate(coords):
        xy[at:at + len(part)] = np.rint((part - np.asarray(origin)) / step).astype(xy.dtype)
        at += len(part)
        coords[i] = None  # each part's float coordinates freed once snapped
    parts, rings, vertices = (np.concatenate(c) for c in zip(*counts))
    shape = Ragged(code, xy, parts, rings, vertices, _starts(parts), _starts(rings), _starts(vertices))
    return shape, origin, bounds, centres


def tiles_of(bounds: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(feature, tile column, tile row) for each tile each feature's bounding box touches, by tile (PART
    features at a time, then sorted)."""
    pieces = [_touched(bounds[k:k + PART], zoom, k) for k in range(0, len(bounds), PART)] or [_touched(bounds, zoom, 0)]
    feature, tx, ty = (np.concatenate(piece) for piece in zip(*pieces))
    del pieces
    order = np.lexsort((feature, ty, tx))
    return feature[order], tx[order], ty[order]


def _touched(bounds: np.ndarray, zoom: int, first: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``tiles_of``'s pairs of features ``first``, ``first`` + 1, … with ``bounds``, unsorted."""
    x0 = np.floor(tile_x(bounds[:, 0], zoom)).astype(np.int64)
    x1 = np.floor(tile_x(bounds[:, 2], zoom)).astype(np.int64)
    y0 = np.floor(tile_y(bounds[:, 3], zoom)).astype(np.int64)  # north edge: the smaller row
    y1 = np.floor(tile_y(bounds[:, 1], zoom)).astype(np.int64)
    nx, ny = x1 - x0 + 1, y1 - y0 + 1
    per = nx * ny
    feature = np.repeat(np.arange(len(bounds)), per)
    within = _ranges(np.zeros(len(bounds), np.int64), per)
    return feature + first, x0[feature] + within % nx[feature], y0[feature] + within // nx[feature]


def _values(column: tuple[np.ndarray, pa.Array, bool], ids: np.ndarray) -> list:
    """The values of features ``ids`` in a tile: their codes when the page has the texts, else their texts."""
    codes, texts, in_page = column
    return codes[ids].tolist() if in_page else texts.take(codes[ids]).to_pylist()


SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def json_text(value, *, script: bool = False) -> str:
    """``value`` as compact JSON; with ``script``, also safe inside an HTML <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.translate(SCRIPT_SAFE) if script else text


def tile_documents(shape: Ragged, feature: np.ndarray, tx: np.ndarray, ty: np.ndarray,
                   columns: list[tuple[np.ndarray, pa.Array, bool]]) -> Iterator[tuple[int, int, str]]:
    """(x, y, JSON document) of each tile from ``tiles_of``'s pairs.

    ``columns``: per property field, (per-feature codes, text per code, whether the page has the texts): the
    tiles hold the codes when it has, else the texts. A document holds: ``i`` feature numbers (the first, then deltas), ``o``
    the tile's corner on the grid, ``p``/``r``/``v`` parts per feature, rings per part, vertices per
    ring, ``c`` vertex coordinates (each ring's first vertex relative to ``o``, then deltas), and ``a``
    one list per field."""
    if not len(feature):
        return
    starts = np.flatnonzero(np.r_[True, (tx[1:] != tx[:-1]) | (ty[1:] != ty[:-1])])
    ends = np.r_[starts[1:], len(feature)]
    groups = np.flatnonzero(np.r_[True, np.diff(starts // PART) > 0])  # the tiles starting in each PART of pairs
    for first, last in zip(groups.tolist(), np.r_[groups[1:], len(starts)].tolist()):
        lo, hi = int(starts[first]), int(ends[last - 1])
        yield from _documents(shape, feature[lo:hi], tx[lo:hi], ty[lo:hi], starts[first:last] - lo,
                              ends[first:last] - lo, columns)


def _documents(shape: Ragged, feature: np.ndarray, tx: np.ndarray, ty: np.ndarray, starts: np.ndarray,
               ends: np.ndarray, columns: list[tuple[np.ndarray, pa.Array, bool]]) -> Iterator[tuple[int, int, str]]:
    """``tile_documents`` of the tiles of pairs ``starts``–``ends`` (a group of whole tiles)."""
    # Per pair: its parts, rings and vertices, gathered for all tiles at once, then cut per tile.
    part_index = _ranges(shape.part_start[feature], shape.parts[feature])
    ring_index = _ranges(shape.ring_start[part_index], shape.rings[part_index])
    vertex_index = _ranges(shape.vertex_start[ring_index], shape.vertices[ring_index])
    first = np.zeros(len(vertex_index), bool)
    first[np.cumsum(shape.vertices[ring_index]) - shape.vertices[ring_index]] = True
    xy = shape.xy[vertex_index]
    delta = np.diff(xy, axis=0, prepend=xy[:1])
    part_end = np.cumsum(shape.parts[feature])
    ring_end = np.cumsum(shape.rings[part_index])
    vertex_end = np.cumsum(shape.vertices[ring_index])
    for start, end in zip(starts.tolist(), ends.tolist()):
        p0, p1 = (part_end[start - 1] if start else 0), part_end[end - 1]
        r0, r1 = (ring_end[p0 - 1] if p0 else 0), ring_end[p1 - 1]
        v0, v1 = (vertex_end[r0 - 1] if r0 else 0), vertex_end[r1 - 1]
        corner = xy[v0:v1][first[v0:v1]].min(axis=0)
        coords = np.where(first[v0:v1, None], xy[v0:v1] - corner, delta[v0:v1])
        ids = feature[start:end]
        doc = (f'{{"i":{json_text(np.diff(ids, prepend=0).tolist())},"o":{json_text(corner.tolist())},'
               f'"p":{json_text(shape.parts[ids].tolist())},"r":{json_text(shape.rings[part_index[p0:p1]].tolist())},'
               f'"v":{json_text(shape.vertices[ring_index[r0:r1]].tolist())},"c":{json_text(coords.ravel().tolist())},'
               f'"a":[{",".join(json_text(_values(column, ids)) for column in columns)}]}}')
        yield int(tx[start]), int(ty[start]), doc
