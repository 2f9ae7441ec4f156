"""Spotting GCJ-02 data that arrive labelled WGS 84 or CGCS2000.

A file cannot say it is GCJ-02 (its CRS reads WGS 84), but its geometry can: a layer cut along
the county lines or the coast has many vertices on those lines; in GCJ-02 they all sit ≈ 570 m
ESE of them, and land back on them once converted. ``gcj02_evidence`` counts, among the layer's
vertices near the lines, those on a line (within ``ON_LINE_M``) as read and as if GCJ-02;
``warn_if_gcj02`` warns (it never converts on a guess: declare ``gcj02`` to convert). Layers that
do not follow the reference lines (scattered patches) give no evidence either way and no warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import shapely

from sinkmap.crs import AREA_CRS, is_wgs84_like
from sinkmap.errors import SinkmapWarning
from sinkmap.readers.gcj02 import gcj02_to_wgs84

NEAR_M = 2_000.0  # vertices this close to a county line or the coast are compared with it
MAX_VERTICES = 2_500  # evenly spaced sample of those vertices
ON_LINE_M = 25.0  # "on a line": well under the ≈ 570 m GCJ-02 offset, over the sources' disagreement
MIN_ON_LINE = 20  # converted, at least this many vertices land on a line …
RATIO = 5.0  # … this many times as many as read as such …
MIN_SHARE = 0.05  # … and this share of the vertices near the lines


@dataclass(frozen=True)
class Gcj02Evidence:
    """Of a layer's vertices near the county lines and coast, how many lie on them as read and as GCJ-02."""

    vertices: int
    on_line_as_read: int
    on_line_if_gcj02: int

    @property
    def looks_gcj02(self) -> bool:
        return (self.on_line_if_gcj02 >= max(MIN_ON_LINE, RATIO * self.on_line_as_read)
                and self.on_line_if_gcj02 >= MIN_SHARE * self.vertices)


@cache
def _reference_tree() -> shapely.STRtree:
    """Segments of the county lines and the coast (Shanwei AOI), in the equal-area CRS (metres)."""
    from sinkmap import aoi

    lines = [shapely.boundary(frame.to_crs(AREA_CRS).geometry.to_numpy()) for frame in (aoi.load_counties(),
                                                                                      aoi.load_land())]
    coords = [shapely.get_coordinates(part) for part in shapely.get_parts(np.concatenate(lines))]
    segments = np.concatenate([np.stack([c[:-1], c[1:]], axis=1) for c in coords if len(c) > 1])
    return shapely.STRtree(shapely.linestrings(segments))


def _distance_m(lon: np.ndarray, lat: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """Distance (m) from each CGCS2000 lon/lat point to the nearest reference segment."""
    points = gpd.GeoSeries(shapely.points(lon, lat), crs=4490).to_crs(AREA_CRS).to_numpy()
    (index, _), distance = tree.query_nearest(points, return_distance=True, all_matches=False)
    out = np.empty(len(points))
    out[index] = distance
    return out


def gcj02_evidence(frame: gpd.GeoDataFrame) -> Gcj02Evidence:
    """Count ``frame``'s vertices on the reference lines, as read and as if converted from GCJ-02."""
    xy = shapely.get_coordinates(frame.to_crs(4490).geometry.to_numpy())
    if len(xy) > 4 * MAX_VERTICES:
        xy = xy[:: len(xy) // (4 * MAX_VERTICES)]
    tree = _reference_tree()
    as_read = _distance_m(xy[:, 0], xy[:, 1], tree)
    keep = as_read < NEAR_M
    near, as_read = xy[keep], as_read[keep]
    if len(near) > MAX_VERTICES:
        step = len(near) // MAX_VERTICES
        near, as_read = near[::step], as_read[::step]
    if len(near) == 0:
        return Gcj02Evidence(0, 0, 0)
    lon, lat = gcj02_to_wgs84(near[:, 0], near[:, 1])
    converted = _distance_m(lon, lat, tree)
    return Gcj02Evidence(len(near), int((as_read <= ON_LINE_M).sum()), int((converted <= ON_LINE_M).sum()))


def warn_if_gcj02(frame: gpd.GeoDataFrame, *, name: str, declare: str) -> Gcj02Evidence | None:
    """Warn when a layer labelled WGS 84/CGCS2000 lines up with the county lines and coast only as GCJ-02."""
    if frame.crs is None or not is_wgs84_like(frame.crs) or frame.empty:
        return None
    evidence = gcj02_evidence(frame)
    if evidence.looks_gcj02:
        warnings.warn(f"{name}: looks like GCJ-02 web-map coordinates labelled WGS 84: of its {evidence.vertices:,} "
                      f"vertices near the county lines and coast, {evidence.on_line_if_gcj02:,} lie on them "
                      f"(≤ {ON_LINE_M:g} m) if converted from GCJ-02, {evidence.on_line_as_read:,} as read; if it "
                      f"came from Amap, Tencent or another web map, declare it ({declare}) and sinkmap converts it",
                      SinkmapWarning, stacklevel=2)
    return evidence
