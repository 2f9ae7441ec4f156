"""Building blocks of sinkmap's folium maps: basemaps, safe popups and tooltips, provenance.

Safety: folium puts popup and tooltip HTML into the page through JavaScript (``innerHTML``),
so every attribute value is HTML-escaped here, before it reaches the GeoJSON — ``<``, ``>``,
``&``, quotes. Values travel as JSON data, never as JavaScript source, so a backtick or
``${...}`` is inert text. Field names and labels are escaped the same way.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
from branca.element import Element, Figure, MacroElement
from folium.utilities import JsCode
from jinja2 import Template

from sinkmap import __version__
from sinkmap.errors import InputError
from sinkmap.units import shown_unit
from sinkmap.writers.compact import CompactGeoJson, display_frame
from sinkmap.writers.format import format_number
from sinkmap.writers.offline import LEAFLET_NOTICE

BASEMAPS = ("osm", "tianditu", "none")
CANVAS_FROM = 2_000  # features: a layer this large is drawn on a canvas, not as SVG paths
TIANDITU_KEY_VAR = "TIANDITU_KEY"
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
TIANDITU_ATTRIBUTION = "天地图 Tianditu © 国家地理信息公共服务平台 (CGCS2000, no GCJ-02 offset)"
# Tianditu's "w" tile matrix set is spherical Mercator on CGCS2000, which lines up with WGS 84 data.
TIANDITU_URL = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                "&TILECOL={{x}}&tk={key}")


# One canvas for the page's canvas-drawn layers (the county choropleth and layers of more than CANVAS_FROM
# features). A canvas takes every pointer event over its whole box, and Leaflet stacks a pane's canvases
# under its SVG (z-index 100 < 200), so a second canvas, or an SVG choropleth, would take the clicks meant
# for the layers under or over it. On one canvas Leaflet gives a click to the topmost of its paths there
# (Canvas._onClick): a stand over its county. Smaller layers stay SVG above it; SVG lets events through
# where it has no path.
CANVAS_JS = """
function sinkmapCanvas() {
  return window.sinkmapSharedCanvas || (window.sinkmapSharedCanvas = L.canvas({padding: 0.5}));
}
"""


def add_canvas_script(figure: Figure) -> None:
    """Define ``sinkmapCanvas()``, the page's shared canvas renderer, in ``figure``'s header (once per page)."""
    figure.header.add_child(Element(f"<script>{CANVAS_JS}</script>"), name="sinkmap_canvas")


def shared_canvas(fmap: folium.Map) -> JsCode:
    """The ``renderer`` option of a layer drawn on ``fmap``'s shared canvas (``CANVAS_JS``)."""
    add_canvas_script(fmap.get_root())
    return JsCode("sinkmapCanvas()")


class _AtBack(MacroElement):
    """Puts its parent layer behind the other paths of its renderer each time the layer is switched on."""

    _template = Template("{% macro script(this, kwargs) %}"
                         "(function (layer) { layer.on('add', function () { layer.bringToBack(); });"
                         " if (layer._map) { layer.bringToBack(); } })({{ this._parent.get_name() }});"
                         "{% endmacro %}")


def keep_at_back(layer: folium.GeoJson) -> folium.GeoJson:
    """``layer``, drawn under every other layer of its canvas even when switched off and on again
    (a canvas draws its paths in the order they were added); returns ``layer``."""
    layer.add_child(_AtBack())
    return layer


@dataclass(frozen=True)
class MapLayer:
    """One vector layer to show: its features, its name, and the fields of its popups."""

    frame: gpd.GeoDataFrame
    name: str
    fields: Sequence[str]
    labels: Sequence[str] = ()  # one display label per field (default: the field names)
    units: dict[str, str] = field(default_factory=dict)  # field → unit for number formatting
    style: dict = field(default_factory=lambda: {"color": "#1565c0", "weight": 1.5, "fillOpacity": 0.3})
    fills: Sequence[str] | None = None  # one fill colour per feature (a classed field), else style's
    zoom: int | None = None  # detail zoom: exact to half a pixel up to here (default: from feature size)
    show: bool = True  # on when the page opens (else listed in the layer control, switched off)


def display_text(value, unit: str | None = None) -> str:
    """A value as escaped display text: numbers formatted with their unit, the rest as strings."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if unit and isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if unit == "year":
            return str(int(value))
        small = abs(float(value)) < 100  # a 0.4 ha stand must not show as "0 ha"
        return html.escape(format_number(float(value), shown_unit(unit), digits=2 if small else None), quote=True)
    return html.escape(str(value), quote=True)


def escaped(frame: gpd.GeoDataFrame, fields: Sequence[str], units: dict[str, str] | None = None
            ) -> gpd.GeoDataFrame:
    """``fields`` of ``frame`` as escaped display strings, plus the geometry."""
    units = units or {}
    present = [f for f in fields if f in frame.columns]
    out = frame[present + [frame.geometry.name]].copy()
    for f in present:
        out[f] = [display_text(v, units.get(f)) for v in frame[f].astype(object)]
    return out


def add_vector_layer(fmap: folium.Map, layer: MapLayer, *, popup: bool = True) -> folium.GeoJson:
    """Add ``layer`` with a tooltip (and, by default, a popup) showing its fields with labels."""
    pairs = [(f, a) for f, a in zip(layer.fields, layer.labels or layer.fields) if f in layer.frame.columns]
    fields = [f for f, _ in pairs]  # each label stays with its field when some fields are absent
    labels = [html.escape(str(a)) for _, a in pairs]
    shown, step = display_frame(layer.frame, layer.zoom)
    data = escaped(shown, fields, layer.units)
    style = layer.style
    if layer.fills is not None:
        data["_fill"] = list(layer.fills)
        style = {**layer.style, "fillOpacity": 0.75}
    extra = {"popup": folium.GeoJsonPopup(fields, aliases=labels, max_width=360)} if popup and fields else {}
    if layer.frame.geom_type.isin(["Point", "MultiPoint"]).any():
        extra["marker"] = folium.CircleMarker(radius=layer.style.get("radius", 5))
    elif len(data) > CANVAS_FROM:  # thousands of SVG paths are slow to draw and pan; one canvas is not
        extra["renderer"] = shared_canvas(fmap)
    geojson = CompactGeoJson(
        data, step, name=html.escape(layer.name),
        show=layer.show,
        style_function=lambda f, s=style: {**s, "fillColor": f["properties"]["_fill"]} if "_fill" in
        f["properties"] else s,
        tooltip=folium.GeoJsonTooltip(fields, aliases=labels, sticky=True) if fields else None, **extra)
    geojson.add_to(fmap)
    return geojson


def add_basemap(fmap: folium.Map, basemap: str) -> list[str]:
    """Add the basemap; returns the attributions to show in the footer."""
    if basemap == "none":
        return []
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr=OSM_ATTRIBUTION).add_to(fmap)
        return [f"Basemap {OSM_ATTRIBUTION}"]
    if basemap == "tianditu":
        key = os.environ.get(TIANDITU_KEY_VAR, "").strip()
        if not key:
            raise InputError(f"--basemap tianditu needs a Tianditu key in the {TIANDITU_KEY_VAR} environment variable",
                             fix="get a browser key at console.tianditu.gov.cn and `export TIANDITU_KEY=...`, "
                                 "or use --basemap osm or none")
        for layer, name in (("vec", "天地图 矢量 Tianditu"), ("cva", "天地图 注记 Tianditu labels")):
            folium.TileLayer(TIANDITU_URL.format(layer=layer, key=key), name=name, attr=TIANDITU_ATTRIBUTION,
                             subdomains="01234567", overlay=layer == "cva").add_to(fmap)
        return [f"Basemap {TIANDITU_ATTRIBUTION}"]
    raise InputError(f"unknown basemap '{basemap}'", fix=f"use one of: {', '.join(BASEMAPS)}")


def footer(attributions: Sequence[str], synthetic: bool, survey_year: int | None) -> Element:
    """A fixed footer with data sources and licences, the SYNTHETIC label, version and year."""
    lines = [html.escape(a) for a in attributions]
    year = f" · survey year {survey_year} · 调查年度 {survey_year}" if survey_year else ""
    lines.append(html.escape(f"sinkmap {__version__}{year} · {LEAFLET_NOTICE}"))
    banner = ('<div style="font-weight:bold;color:#b71c1c">SYNTHETIC DEMO DATA — 合成演示数据，不代表真实情况</div>'
              if synthetic else "")
    return Element(
        "<style>.leaflet-bottom{bottom:var(--sinkmap-footer-height,84px)}</style>"
        '<div id="sinkmap-footer" style="position:fixed;bottom:0;left:0;right:0;z-index:9999;'
        'background:rgba(255,255,255,0.9);font:11px sans-serif;padding:4px 8px;border-top:1px solid #999">'
        f'{banner}{"<br>".join(lines)}</div>'
        "<script>(function () {"  # keep Leaflet's bottom controls and the legends above the footer's real height
        "var f = document.getElementById('sinkmap-footer');"
        "function fit() { document.documentElement.style.setProperty('--sinkmap-footer-height', f.offsetHeight + 'px'); }"
        "fit(); if (window.ResizeObserver) { new ResizeObserver(fit).observe(f); } else { addEventListener('resize', fit); }"
        "})();</script>"
    )


def _elements(element: Element) -> Iterator[Element]:
    """``element`` and all its descendants, depth first in page order."""
    yield element
    for child in element._children.values():
        yield from _elements(child)


def stable_ids(fmap: folium.Map) -> folium.Map:
    """Number the elements of ``fmap``'s page in tree order (``map_2``, ``geo_json_5`` …) in place of
    branca's random ids, so the same map renders to the same bytes; returns ``fmap``.

    Call it once the map is built, before it is rendered: folium takes the names it links
    (layer control, add-to calls, styles) when it renders.
    """
    for number, element in enumerate(_elements(fmap.get_root()), start=1):
        element._id = str(number)
    return fmap


def set_title(fmap: folium.Map, title: str) -> None:
    """The page's <title>, escaped."""
    fmap.get_root().header.add_child(Element(f"<title>{html.escape(title)}</title>"))


def legend_box(title: str, items: Sequence[tuple[str, str]], *, element_id: str, position: str | None) -> str:
    """An HTML legend (no d3): ``items`` are (colour, label) swatches; ``position`` is CSS for a fixed
    box, or None for a box that flows inside a container (``stacked_legends``)."""
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;background:{html.escape(colour)};'
        f'border:1px solid #555;margin-right:4px"></span>{html.escape(label)}</div>' for colour, label in items)
    place = f"position:fixed;{position};z-index:9999;" if position else ""
    return (f'<div id="{element_id}" style="{place}'
            f'background:rgba(255,255,255,0.92);padding:6px 8px;font:12px sans-serif;border:1px solid #999;'
            f'border-radius:4px;max-height:50vh;overflow:auto"><b>{html.escape(title)}</b>{rows}</div>')


def stacked_legends(boxes: Sequence[str], *, element_id: str, position: str) -> str:
    """Legend boxes (``legend_box(..., position=None)``) stacked in one fixed column, so they never overlap."""
    return (f'<div id="{element_id}" style="position:fixed;{position};z-index:9999;display:flex;'
            f'flex-direction:column;align-items:flex-start;gap:4px">{"".join(boxes)}</div>')
