"""The centre rule for many zones at once: a cell counts for a zone when GDAL's rasterizer burns it for that
zone (its centre inside — rasterstats' and gdal_rasterize's rule), in two ``rasterize`` calls a batch when
its zones do not overlap.

GDAL burns each polygon (each part of a multipolygon) on its own: the cells it burns for a polygon do not
depend on the other polygons of the call, only the value left in a cell does. So a batch's zones are burned
into their common window with their ids (position + 1) twice, in order and in reverse order: each cell then
holds the last and the first zone that burned it. Where the two agree on every cell, no cell belongs to two
zones, and a zone's cells are the cells holding its id. Where they differ, that cell's first and last zones
overlap: the zones are split into layers of zones not known to overlap (greedy colouring) and each layer is
checked the same way, until every layer passes (a layer can reveal more overlaps, as of a zone that lay
between two others; after ``MAX_PASSES`` layers, zones left are rasterized alone). Zones that merely touch, edges through cell centres included, burn disjoint cells
(GDAL's rule is half-open: a centre on a polygon's left or top edge is out, on its right or bottom edge in)
and cost nothing extra.

Not ``MergeAlg.add`` (one pass counting the zones of each cell): in add mode GDAL avoids burning a cell twice
for one polygon and so leaves out some cells on horizontal edges through cell centres that it burns alone.

One difference from rasterizing each zone in its own window: GDAL turns coordinates into pixel coordinates
with the window's origin, so a cell centre within about 1e-12 cells of an edge may fall the other way when
the origin is not a whole number of cells in coordinate units. On grids whose origin is (the usual case:
whole metres, cell sizes that divide them) the result is the same cell for cell, edges through cell centres
included (``tests/test_zonal_centre.py``).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

import numpy as np
import shapely
from affine import Affine
from rasterio.features import geometry_mask, rasterize
from rasterio.windows import Window, union

POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon; other zones are rasterized alone
MAX_PASSES = 16  # layers burned (twice each) in one batch; zones left after them are rasterized alone


def window_transform(window: Window, transform: Affine) -> Affine:
    """The transform of ``window`` of a north-up grid, origin ``c + col·a``, ``f + row·e`` — rounded as
    rasterstats rounds it (``rasterio.windows.transform`` goes through ``(c + col·a) − c`` and can differ)."""
    t = transform
    return Affine(t.a, t.b, t.c + window.col_off * t.a, t.d, t.e, t.f + window.row_off * t.e)


def centre_mask(geom, transform: Affine, window: Window) -> np.ndarray:
    """Cells of ``window`` (rows × cols, bool) whose centre is inside ``geom``, by GDAL's rule."""
    return geometry_mask([geom], out_shape=(int(window.height), int(window.width)),
                         transform=window_transform(window, transform), invert=True)


def _polygons(geoms) -> tuple[list[dict], np.ndarray]:
    """Every polygon (part) of ``geoms`` as GeoJSON, and the index of its geometry: what rasterio makes of a
    geometry (it burns a multipolygon part by part), built from the coordinate arrays in one go."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    ring_coords = np.split(coords, np.cumsum(np.bincount(coord_ring, minlength=len(rings)))[:-1])
    polygons: list[list] = [[] for _ in range(len(parts))]
    with _collector_paused():
        for ring, part in zip(ring_coords, ring_part.tolist()):
            polygons[part].append(ring.tolist())
    return [{"type": "Polygon", "coordinates": p} for p in polygons], owner


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused: a batch's coordinate lists (a list per vertex, no cycles)
    otherwise set it off hundreds of times, ≈ 85 % of the time spent building them. Threads that overlap may
    bring it back early for one another (only slower); it is on when they are done, unless it was off before."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _layers(zones: list[int], conflicts: dict[int, set[int]]) -> list[list[int]]:
    """``zones`` split so that no two zones of a layer conflict (greedy colouring, in order)."""
    colour: dict[int, int] = {}
    for zone in zones:
        taken = {colour[other] for other in conflicts.get(zone, ()) if other in colour}
        colour[zone] = next(c for c in range(len(zones)) if c not in taken)
    layers: list[list[int]] = [[] for _ in range(max(colour.values()) + 1)]
    for zone in zones:
        layers[colour[zone]].append(zone)
    return layers


def batch_centre(geoms, transform: Affine, parts: list[Window]) -> np.ndarray:
    """Centre-rule weights of many zones, each over its own ``part`` (a window of the grid of ``transform``).

    Returns one flat bool array: zone k's cells (rows × cols of ``parts[k]``, row-major) one after the
    other, as ``centre_mask`` of each zone in its part gives them.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(parts) == 1 or not np.isin(shapely.get_type_id(geoms), POLYGONAL).all():
        return np.concatenate([centre_mask(g, transform, p).ravel() for g, p in zip(geoms, parts)])
    whole = union(*parts)  # the batch's common window
    shape = (int(whole.height), int(whole.width))
    at = window_transform(whole, transform)
    polygons, owner = _polygons(geoms)
    of_zone: list[list[int]] = [[] for _ in parts]  # each zone's polygons
    for index, zone in enumerate(owner.tolist()):
        of_zone[zone].append(index)
    blocks = [(slice(int(p.row_off - whole.row_off), int(p.row_off - whole.row_off + p.height)),
               slice(int(p.col_off - whole.col_off), int(p.col_off - whole.col_off + p.width))) for p in parts]

    dtype = "uint16" if len(parts) < 2**16 else "int32"  # GDAL burns uint16 ≈ 2.5× faster than int32

    every = list(zip(polygons, (owner + 1).tolist()))  # (polygon, id) of every zone, in order

    def burn(zones: list[int], reverse: bool = False) -> np.ndarray:  # each cell: the last id burned, or 0
        shapes = every if len(zones) == len(parts) else [(polygons[i], z + 1) for z in zones for i in of_zone[z]]
        return rasterize(shapes[::-1] if reverse else shapes, out_shape=shape, transform=at, fill=0, dtype=dtype)

    weights: list[np.ndarray | None] = [None] * len(parts)
    conflicts: dict[int, set[int]] = {}
    todo, passes = [list(range(len(parts)))], 0
    while todo:
        layer = todo.pop()
        if passes >= MAX_PASSES:  # zones stacked many deep reveal one overlap a pass: the rest one by one
            for zone in layer:
                weights[zone] = centre_mask(geoms[zone], transform, parts[zone]).ravel()
            continue
        last = burn(layer)
        first = burn(layer, reverse=True) if len(layer) > 1 else last
        passes += 1
        shared = last != first  # the first and the last of the layer's zones to burn a cell differ
        if not shared.any():  # no cell of two zones: each zone's cells are the cells it holds
            for zone in layer:
                weights[zone] = (last[blocks[zone]] == zone + 1).ravel()
            continue
        for a, b in set(zip(first[shared].tolist(), last[shared].tolist())):
            conflicts.setdefault(a - 1, set()).add(b - 1)
            conflicts.setdefault(b - 1, set()).add(a - 1)
        todo.extend(_layers(layer, conflicts))
    return np.concatenate(weights)
