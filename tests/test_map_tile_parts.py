"""Tiled layers built part by part (tilecut.PART features at a time) are byte-identical to one part."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, box

from sinkmap.writers import tilecut
from sinkmap.writers.tiles import tiled_layer
from sinkmap.writers.webmap import MapLayer

WEST, SOUTH, DX, DY = 115.30, 22.90, 0.001, 0.0009  # °: ≈ 102 m × 100 m cells


def mixed_stands(n: int = 60) -> gpd.GeoDataFrame:
    """``n`` stands in rows of 10 (EPSG:4490): squares, every 5th a MultiPolygon of two halves, every 7th
    with a hole; stand 3 missing and stand 11 empty (left out of the tiles)."""
    geoms = []
    for k in range(n):
        x, y = WEST + (k % 10) * DX, SOUTH + (k // 10) * DY
        if k % 5 == 0:
            geoms.append(MultiPolygon([box(x, y, x + DX / 2, y + DY), box(x + DX / 2, y, x + DX, y + DY)]))
        elif k % 7 == 0:
            geoms.append(Polygon(box(x, y, x + DX, y + DY).exterior.coords,
                                 [box(x + DX / 4, y + DY / 4, x + DX / 2, y + DY / 2).exterior.coords]))
        else:
            geoms.append(box(x, y, x + DX, y + DY))
    geoms[3], geoms[11] = None, Polygon()
    return gpd.GeoDataFrame({"stand_id": [f"S{k:03d}" for k in range(n)],
                             "group": np.array(["pine", "acacia", "eucalyptus"])[np.arange(n) % 3],
                             "area_ha": np.round(1.0 + np.arange(n) / 100, 2)}, geometry=geoms, crs=4490)


def built(layer: MapLayer, part: int, monkeypatch, tmp_path) -> tuple[str, dict[str, bytes]]:
    """(the page's spec, every tile file's bytes by path) of ``layer`` tiled ``part`` features at a time."""
    monkeypatch.setattr(tilecut, "PART", part)
    tiled = tiled_layer(layer, "stands")
    folder = tmp_path / f"part{part}"
    assert tiled.write(folder) == len(tiled.spec["tiles"]) // 2
    return tiled.spec_json(), {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.js")}


@pytest.mark.parametrize(("zoom", "tiles_written", "pairs"), [(14, 1, 58), (19, 6, 81)])
def test_parts_of_7_features_give_the_bytes_of_one_part(monkeypatch, tmp_path, zoom, tiles_written, pairs):
    """At zoom 19 the 58 stands drawn (60, one missing, one empty) are cut into 6 tiles of zoom 16 (0.0055°
    wide), 81 (stand, tile) pairs: those crossing a tile edge are in each tile they touch; 7 pairs at a time
    groups each tile alone or with others."""
    frame = mixed_stands()
    layer = MapLayer(frame, "Stands", ["stand_id", "group", "area_ha"], units={"area_ha": "ha"}, zoom=zoom,
                     fills=["#00897b" if k % 2 else "#ffb300" for k in range(len(frame))])
    spec, tiles = built(layer, 10**9, monkeypatch, tmp_path)
    spec7, tiles7 = built(layer, 7, monkeypatch, tmp_path)
    assert spec7 == spec
    assert tiles7 == tiles
    assert '"kind":5' in spec  # MultiPolygon: the parts of Polygons only (7–9) and of both agree
    assert len(tiles) == tiles_written
    assert sum(len(json.loads(t[t.index(b"{"):t.rindex(b"}") + 1])["i"]) for t in tiles.values()) == pairs


def test_lines_and_multilines_in_different_parts_give_one_multiline_layer(monkeypatch, tmp_path):
    lines = [LineString([(WEST + k * DX, SOUTH), (WEST + k * DX, SOUTH + DY)]) for k in range(8)]
    lines[7] = MultiLineString([lines[7].coords, [(WEST, SOUTH + 2 * DY), (WEST + DX, SOUTH + 2 * DY)]])
    layer = MapLayer(gpd.GeoDataFrame({"n": range(8)}, geometry=lines, crs=4326), "Belts", ["n"], zoom=16)
    spec, tiles = built(layer, 10**9, monkeypatch, tmp_path)
    assert built(layer, 7, monkeypatch, tmp_path) == (spec, tiles)  # 0–6 LineStrings, 7 a MultiLineString
    assert '"kind":3' in spec


def test_points_and_polygons_in_different_parts_are_refused_as_in_one(monkeypatch):
    geoms = [Point(WEST + k * DX, SOUTH) for k in range(7)] + [box(WEST, SOUTH, WEST + DX, SOUTH + DY)]
    layer = MapLayer(gpd.GeoDataFrame({"n": range(8)}, geometry=geoms, crs=4326), "Mixed", ["n"], zoom=16)
    for part in (10**9, 7):  # one part: shapely refuses; two: each part is one family, the layer is not
        monkeypatch.setattr(tilecut, "PART", part)
        with pytest.raises(ValueError):
            tiled_layer(layer, "mixed")
