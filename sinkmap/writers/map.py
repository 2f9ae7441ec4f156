"""The interactive survey map (folium): county choropleth, input layers, legend, provenance.

Display geometry is simplified and snapped for each layer's detail zoom, counties as one
coverage so shared borders stay shared (``sinkmap.writers.compact``); data outputs keep full
precision. Attribute values are escaped before they reach the page.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element

from sinkmap.catalogue import MapStyle, load_catalogue
from sinkmap.writers.classify import Classes, classes_legend_html
from sinkmap.writers.compact import CompactGeoJson, display_frame
from sinkmap.writers.controls import add_controls
from sinkmap.writers.format import NOT_COVERED, NOT_COVERED_COLOUR, code_label, format_number
from sinkmap.writers.offline import make_offline
from sinkmap.writers.overlay import RasterOverlay, categorical_legend_html
from sinkmap.writers.tiles import TILED_FROM, add_layer
from sinkmap.writers.webmap import (
    MapLayer,
    add_basemap,
    escaped,
    footer,
    keep_at_back,
    legend_box,
    set_title,
    shared_canvas,
    stable_ids,
    stacked_legends,
)

COVER_BREAKS = [0, 30, 40, 50, 53, 60, 100]  # %; 50 and 53 are the plan's 2025/2030 targets
COVER_COLOURS = ["#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#31a354", "#006837"]
COUNTY_STYLE = {"color": "#333333", "weight": 1.2, "fillOpacity": 0.75}  # the choropleth's outline and fill opacity
SITES = MapStyle(  # the plan's restoration sites (aoi/shanwei.gpkg), drawn over the catalogue's kinds
    order=99, label="修复片区（近似位置） Restoration sites (approximate)",
    style={"color": "#e65100", "weight": 2, "dashArray": "4 3", "fillOpacity": 0.1},
    tooltip=(("name_zh", "片区"), ("name_en", "Site"), ("kind", "类型 Kind"), ("placement", "位置说明 Placement")))


def overlays() -> dict[str, MapStyle]:
    """Layer kind → how it is drawn (layers/catalogue.yaml ``map:``, then the sites), in drawing order."""
    kinds = {name: spec.map for name, spec in load_catalogue().layers.items() if spec.map is not None}
    return dict(sorted({**kinds, "sites": SITES}.items(), key=lambda item: item[1].order))


FILL_LEGENDS_AT = "bottom:calc(var(--sinkmap-footer-height, 84px) + 44px);left:10px"


def coded_labels(frame: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """``frame`` with each coded field of catalogue layer ``kind`` shown as "中文 code" (现有 existing)."""
    spec = load_catalogue().layers.get(kind)
    coded = {f: s.allowed for f, s in (spec.fields.items() if spec else ()) if s.allowed and f in frame.columns}
    return frame.assign(**{f: _each_distinct(frame[f], lambda c, a=a: code_label(c, a)) for f, a in coded.items()})


def _each_distinct(values: pd.Series, label) -> pd.Categorical:
    """``label`` of each value, as a categorical: called once per distinct value, and no string per feature
    (10^6 stands, a few codes: a string column of their labels would take ~40 MiB)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    label_codes, labels = pd.factorize(np.asarray([label(u) for u in uniques], dtype=object))  # labels may repeat
    return pd.Categorical.from_codes(label_codes[codes], labels)


def colour_for(value: float, breaks: Sequence[float] = COVER_BREAKS, colours: Sequence[str] = COVER_COLOURS) -> str:
    """Colour of the class [breaks[i], breaks[i+1]) holding ``value`` (the last class is closed).

    Lower bounds are inclusive, unlike mapclassify's bins (``Classes.colour_of``): the breaks are
    the plan's targets ("≥ 50 %"), so a county at exactly 50 % shows in the class that meets it.
    """
    if value is None or np.isnan(value):
        return NOT_COVERED_COLOUR
    index = int(np.searchsorted(breaks, value, side="right")) - 1
    return colours[min(max(index, 0), len(colours) - 1)]


def legend_html(title: str, unit: str, breaks: Sequence[float] = COVER_BREAKS,
                colours: Sequence[str] = COVER_COLOURS, not_covered: bool = False) -> str:
    """A plain HTML legend (no d3), one swatch per class with its range and unit; with ``not_covered``,
    a grey swatch for the units without a value."""
    extra = [(NOT_COVERED_COLOUR, NOT_COVERED)] if not_covered else []
    return classes_legend_html(title, Classes(list(breaks), list(colours)), unit, extra=extra)


def _choropleth(fmap: folium.Map, units: gpd.GeoDataFrame, column: str, label: tuple[str, str], unit: str
                ) -> folium.GeoJson:
    """The county choropleth on ``fmap``'s shared canvas, under the other layers there (a click on a stand
    reaches the stand): ``webmap.CANVAS_JS``."""
    shown, step = display_frame(units)
    shown["value_text"] = [NOT_COVERED if pd.isna(v) else format_number(v, unit) for v in shown[column]]
    shown["land_text"] = [format_number(v, "km²") for v in shown["land_area"]]
    shown["stock_text"] = [format_number(v, "万m³") for v in shown["stock_volume"]]
    colours = {a: colour_for(v) for a, v in zip(shown["adcode"], shown[column])}
    tooltip_fields = ["name_zh", "name_en", "value_text", "land_text", "stock_text"]
    data = escaped(shown.assign(value=shown[column]), [*tooltip_fields, "adcode"])
    layer = CompactGeoJson(
        data, step,
        name=f"{label[0]} {label[1]}",
        style_function=lambda f: {"fillColor": colours[f["properties"]["adcode"]], **COUNTY_STYLE},
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(tooltip_fields, aliases=["县区", "Unit", label[0], "土地面积 Land area",
                                                               "蓄积量 Stock"], sticky=True),
        renderer=shared_canvas(fmap),
    )
    return keep_at_back(layer.add_to(fmap))


LANDCOVER_LABEL = "土地覆盖 Land cover"
MAP_TITLE = "{zh}碳汇与生态保护红线 {en} carbon sinks and redlines"  # the survey area's names


def survey_map(counties: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame], *, column: str,
               label: tuple[str, str], unit: str, attributions: Sequence[str], synthetic: bool,
               survey_year: int, basemap: str = "osm", landcover: RasterOverlay | None = None,
               area_names: tuple[str, str] = ("汕尾市", "Shanwei"), tile_from: int = TILED_FROM) -> folium.Map:
    """The survey map: choropleth of ``column`` over the counties, the land-cover image (off at first,
    a layer to switch on) and the vector overlays in ``layers``; a layer of more than ``tile_from``
    features is tiled (``tiles.py``: write the map with ``tiles.write_map``)."""
    west, south, east, north = counties.to_crs(4326).total_bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=9, tiles=None,
                      control_scale=True, prefer_canvas=False)
    basemap_credits = add_basemap(fmap, basemap)
    _choropleth(fmap, counties, column, label, unit)
    fmap.get_root().html.add_child(Element(legend_html(f"{label[0]} {label[1]}", unit,
                                                       not_covered=bool(counties[column].isna().any()))))
    if landcover is not None:
        folium.raster_layers.ImageOverlay(landcover.data_uri(), landcover.bounds, name=LANDCOVER_LABEL,
                                          opacity=0.8, show=False).add_to(fmap)
        fmap.get_root().html.add_child(Element(categorical_legend_html(LANDCOVER_LABEL, landcover.legend)))
    legends = []
    for kind, drawn in overlays().items():
        if kind in layers:
            fields, labels = zip(*drawn.tooltip)
            fills = None
            if drawn.fill is not None:  # one fill per coded value, with its own legend
                field, colours = drawn.fill
                fills = [colours.get(code, drawn.style["fillColor"]) for code in layers[kind][field]]
                allowed, present = load_catalogue().layers[kind].fields[field].allowed, set(layers[kind][field])
                legends.append(legend_box(drawn.label, [(colours[c], code_label(c, allowed)) for c in colours
                                                        if c in present], element_id=f"sinkmap-{kind}", position=None))
            add_layer(fmap, MapLayer(coded_labels(layers[kind], kind), drawn.label, fields, labels, drawn.units,
                                     drawn.style, fills, show=not drawn.hidden), kind, tile_from=tile_from)
    if legends:
        fmap.get_root().html.add_child(Element(stacked_legends(legends, element_id="sinkmap-fills",
                                                               position=FILL_LEGENDS_AT)))
    folium.LayerControl(collapsed=False).add_to(fmap)
    add_controls(fmap)
    fmap.get_root().html.add_child(footer([*attributions, *basemap_credits], synthetic, survey_year))
    set_title(fmap, f"{MAP_TITLE.format(zh=area_names[0], en=area_names[1])} {survey_year}")
    fmap.fit_bounds([[south, west], [north, east]])
    return make_offline(stable_ids(fmap))
