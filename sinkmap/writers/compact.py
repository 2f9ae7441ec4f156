"""Display geometry for web maps: simplified and quantised for a zoom level, shipped compactly.

A layer is drawn exactly (to half a screen pixel) up to its *detail zoom*: the display tolerance
is half a pixel there and coordinates are snapped to a grid of a quarter pixel, so a map stays
light without visible loss where the layer is meant to be read. Polygon coverages (counties,
stands) are simplified as a whole, so shared borders stay shared; snapping to one grid keeps
shared vertices identical.

The features travel as a compact JSON document — integer deltas on the grid, columnar
properties with repeated strings stored once — that a few inlined lines of JavaScript
(``DECODER_JS``) turn back into the GeoJSON FeatureCollection folium's layer expects. Values
are data, never code: the document is JSON, not JavaScript source.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, Figure
from folium.features import GeoJsonStyleMapper
from folium.utilities import get_obj_in_upper_tree

TILE_PX = 256  # Web Mercator tile width
MIN_DETAIL_ZOOM, MAX_DETAIL_ZOOM = 12, 18
FEATURE_PX = 64  # the median feature is this many pixels wide at its layer's detail zoom
GEOMETRY_CODES = {"Point": 0, "MultiPoint": 1, "LineString": 2, "MultiLineString": 3, "Polygon": 4,
                  "MultiPolygon": 5}


def pixel_degrees(zoom: float, latitude: float) -> float:
    """Ground size of one screen pixel at ``zoom``, in degrees (of latitude: the smaller axis)."""
    return 360.0 / (TILE_PX * 2.0 ** zoom) * math.cos(math.radians(latitude))


def detail_zoom(frame: gpd.GeoDataFrame) -> int:
    """The zoom at which the median feature of ``frame`` (EPSG:4326) is FEATURE_PX pixels wide,
    within MIN_DETAIL_ZOOM–MAX_DETAIL_ZOOM (points and tiny features: MAX_DETAIL_ZOOM)."""
    bounds = shapely.bounds(frame.geometry.to_numpy())
    extent = float(np.nanmedian(np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])))
    if not extent > 0:
        return MAX_DETAIL_ZOOM
    zoom = math.ceil(math.log2(360.0 * FEATURE_PX / (TILE_PX * extent)))
    return min(max(zoom, MIN_DETAIL_ZOOM), MAX_DETAIL_ZOOM)


def display_step(frame: gpd.GeoDataFrame, zoom: int) -> float:
    """The grid step (degrees) of ``frame`` (EPSG:4326) drawn at ``zoom``: a quarter pixel where its
    pixels are smallest (the latitude farthest from the equator)."""
    south, north = frame.total_bounds[[1, 3]]
    return pixel_degrees(zoom, max(abs(south), abs(north))) / 4


def display_frame(frame: gpd.GeoDataFrame, zoom: int | None = None) -> tuple[gpd.GeoDataFrame, float]:
    """``frame`` in EPSG:4326, simplified to half a pixel at ``zoom`` (default: its detail zoom)
    and snapped to a quarter-pixel grid; returns the frame and the grid step (degrees)."""
    frame = frame.to_crs(4326).reset_index(drop=True)
    zoom = detail_zoom(frame) if zoom is None else zoom
    step = display_step(frame, zoom)
    geoms = frame.geometry.to_numpy()
    polygons = np.isin(shapely.get_type_id(geoms), (3, 6))
    if polygons.all() and bool(shapely.coverage_is_valid(geoms)):
        geoms = shapely.coverage_simplify(geoms, 2 * step)  # each shared border simplified once
    else:  # overlapping polygons, lines, points: each geometry on its own, topology kept
        geoms = shapely.simplify(geoms, 2 * step, preserve_topology=True)
    return frame.set_geometry(geoms), step  # snapped to the grid by ``encode``


def _deltas(coords: np.ndarray, origin: np.ndarray, step: float) -> list[int]:
    grid = np.rint((np.asarray(coords, dtype=float)[:, :2] - origin) / step).astype(np.int64)
    return np.diff(grid, axis=0, prepend=0).ravel().tolist()


def _encode_geometry(geom, origin: np.ndarray, step: float):
    if geom is None or geom.is_empty:
        return None
    kind = geom.geom_type
    code = GEOMETRY_CODES[kind]
    if kind in ("Point", "MultiPoint", "LineString"):
        return [code, _deltas(shapely.get_coordinates(geom), origin, step)]
    if kind == "MultiLineString":
        return [code, [_deltas(shapely.get_coordinates(part), origin, step) for part in geom.geoms]]
    polygons = [geom] if kind == "Polygon" else list(geom.geoms)
    rings = [[_deltas(shapely.get_coordinates(ring), origin, step)
              for ring in (p.exterior, *p.interiors)] for p in polygons]
    return [code, rings[0] if kind == "Polygon" else rings]


def _encode_column(values: Sequence) -> dict:
    values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]
    uniques = list(dict.fromkeys(values))
    if len(uniques) <= max(1, len(values) // 2):  # repeated values: store each once
        index = {v: i for i, v in enumerate(uniques)}
        return {"dict": uniques, "codes": [index[v] for v in values]}
    return {"values": values}


def encode(frame: gpd.GeoDataFrame, fields: Sequence[str], step: float) -> dict:
    """The compact document of ``frame`` (EPSG:4326, index 0…n−1) with the property ``fields``."""
    geoms = frame.geometry.to_numpy()
    west, south = frame.total_bounds[:2]
    origin = np.array([np.floor(west / step) * step, np.floor(south / step) * step])
    return {
        "origin": origin.tolist(), "step": step,
        "fields": list(fields), "columns": [_encode_column(frame[f].tolist()) for f in fields],
        "geometries": [_encode_geometry(g, origin, step) for g in geoms],
    }


DECODER_JS = """
function sinkmapDecode(doc) {
  var x0 = doc.origin[0], y0 = doc.origin[1], step = doc.step;
  function line(d) {
    var out = [], x = 0, y = 0;
    for (var i = 0; i < d.length; i += 2) { x += d[i]; y += d[i + 1]; out.push([x0 + x * step, y0 + y * step]); }
    return out;
  }
  var types = ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"];
  function geometry(g) {
    if (g === null) { return null; }
    var t = g[0], c = g[1], coords;
    if (t === 0) { coords = line(c)[0]; }
    else if (t === 1 || t === 2) { coords = line(c); }
    else if (t === 3 || t === 4) { coords = c.map(line); }
    else { coords = c.map(function (p) { return p.map(line); }); }
    return {type: types[t], coordinates: coords};
  }
  function column(col, i) { return col.dict ? col.dict[col.codes[i]] : col.values[i]; }
  var features = doc.geometries.map(function (g, i) {
    var props = {};
    doc.fields.forEach(function (f, k) { props[f] = column(doc.columns[k], i); });
    return {type: "Feature", id: String(i), properties: props, geometry: geometry(g)};
  });
  return {type: "FeatureCollection", features: features};
}
(function () {
  var addData = L.GeoJSON.prototype.addData;
  L.GeoJSON.prototype.addData = function (data) {
    return addData.call(this, data && data.sinkmapCompact ? sinkmapDecode(data.sinkmapCompact) : data);
  };
})();
"""

class CompactGeoJson(folium.GeoJson):
    """folium.GeoJson whose features reach the page as a compact document (see ``encode``).

    Styles, highlights, tooltips and popups work as for folium.GeoJson: in Python, folium sees
    the full FeatureCollection (style maps, field checks); the page receives
    ``{"sinkmapCompact": document, "features": [first feature's properties]}`` and the inlined
    ``DECODER_JS`` rebuilds the FeatureCollection inside ``L.GeoJSON.addData``.
    """

    def __init__(self, frame: gpd.GeoDataFrame, step: float, **kwargs):
        """``frame``: display geometry (``display_frame``) and its property columns, all shipped."""
        self.compact = encode(frame, [c for c in frame.columns if c != frame.geometry.name], step)
        super().__init__(frame.to_json(drop_id=False), **kwargs)

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if isinstance(figure, Figure):  # once per page, whatever the number of layers
            figure.header.add_child(Element(f"<script>{DECODER_JS}</script>"), name="sinkmap_decoder")
        self.parent_map = get_obj_in_upper_tree(self, folium.Map)
        if (self.style or self.highlight) and self.data["features"]:  # as folium.GeoJson.render
            mapper = GeoJsonStyleMapper(self.data, self.feature_identifier, self)
            if self.style:
                self.style_map = mapper.get_style_map(self.style_function)
            if self.highlight:
                self.highlight_map = mapper.get_highlight_map(self.highlight_function)
        first = [{"type": "Feature", "properties": f["properties"], "geometry": None} for f in self.data["features"][:1]]
        full, self.data = self.data, {"sinkmapCompact": self.compact, "features": first}
        try:  # the script embeds the compact document; tooltips and popups check fields on ``first``
            super(folium.GeoJson, self).render(**kwargs)
        finally:
            self.data = full
