"""Default QGIS styles of GeoPackage layers: a style spec as QML and SLD, and the ``layer_styles`` table
QGIS reads a layer's default style from.

The table has the columns QGIS's OGR provider creates (``QgsOgrUtils::saveStyle``); on opening a layer
QGIS loads the row with ``f_table_schema = ''``, the layer's name and geometry column, ``useAsDefault``
first. The QML is the part of what QGIS 3.22 writes that these styles need: ``renderer-v2`` (single,
categorized or graduated ``SimpleFill`` symbols) and field aliases. The SLD is SE 1.1, as QGIS exports
it. Colours and labels come from the caller's specs (the catalogue's ``map:`` blocks); none is typed here.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from sinkmap.catalogue import MapStyle
from sinkmap.writers.format import class_labels, code_label

STYLES_TABLE = "layer_styles"
QML_VERSION = "3.22.0"  # the QGIS the styles are checked with (Debian 12's python3-qgis)
LEAFLET_DEFAULTS = {"color": "#3388ff", "weight": 3, "opacity": 1.0, "fillOpacity": 0.2}  # Leaflet's Path options
POLYGON = "2"  # QGIS's layerGeometryType of polygon layers
OTHER = "其他 other"  # the class of coded values the catalogue gives no colour
SLD, SE, OGC = "http://www.opengis.net/sld", "http://www.opengis.net/se", "http://www.opengis.net/ogc"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True)
class Fill:
    """A polygon symbol as QGIS's SimpleFill draws it."""

    colour: str  # #rrggbb
    opacity: float  # of the fill, 0–1
    outline: str  # #rrggbb
    outline_opacity: float
    width_px: float  # outline width in screen pixels (Leaflet's weight)
    dash: str = ""  # Leaflet's dashArray ("4 3"): a dashed outline

    @classmethod
    def from_leaflet(cls, style: Mapping[str, Any]) -> Fill:
        """The symbol of Leaflet path options (``color``, ``weight``, ``fillColor`` …), with Leaflet's
        defaults for those missing: the fill takes the outline's colour."""
        options = {**LEAFLET_DEFAULTS, **style}
        return cls(options.get("fillColor", options["color"]),
                   float(options["fillOpacity"]) if options.get("fill", True) else 0.0, options["color"],
                   float(options["opacity"]) if options.get("stroke", True) else 0.0, float(options["weight"]),
                   str(options.get("dashArray") or ""))


@dataclass(frozen=True)
class StyleClass:
    """One legend entry of a classified style: its label and fill colour, and the value it draws
    (categorized; "" for every other value) or its range [lower, upper) (graduated; the last is closed)."""

    label: str
    colour: str
    value: str | None = None
    lower: float = math.nan
    upper: float = math.nan


@dataclass(frozen=True)
class LayerStyle:
    """How QGIS draws one polygon layer: one symbol, one per coded value of ``field``, or one per range."""

    title: str  # 中文 English, the style's description
    symbol: Fill  # the single symbol; for a classified style, the classes' outline and opacity
    field: str | None = None  # the classified field
    classes: tuple[StyleClass, ...] = ()
    graduated: bool = False
    only: tuple[str, tuple[str, ...]] | None = None  # (field, values): a classified style draws only these
    aliases: tuple[tuple[str, str], ...] = ()  # (field, the name QGIS shows for it)

    @property
    def renderer(self) -> str:
        """QGIS's renderer type."""
        return "graduatedSymbol" if self.graduated else "categorizedSymbol" if self.classes else "singleSymbol"

    def symbols(self) -> list[Fill]:
        """One symbol per class (the single symbol when there are none)."""
        return [replace(self.symbol, colour=c.colour) for c in self.classes] or [self.symbol]


def map_layer_style(style: MapStyle, allowed: Mapping[str, str] | None = None,
                    aliases: Sequence[tuple[str, str]] = ()) -> LayerStyle:
    """A layer kind's style as the web map draws it: ``style.style``, or with ``style.fill`` one fill per
    coded value, in the catalogue's order and labelled "中文 code" from ``allowed`` (the field's codes)."""
    symbol = Fill.from_leaflet(style.style)
    if style.fill is None:
        return LayerStyle(style.label, symbol, aliases=tuple(aliases))
    field, colours = style.fill
    allowed = allowed or {}
    classes = [StyleClass(str(code_label(code, allowed)), colour, value=code) for code, colour in colours.items()]
    if set(allowed) - set(colours):  # the web map fills them with the style's own fill
        classes.append(StyleClass(OTHER, symbol.colour, value=""))
    return LayerStyle(style.label, symbol, field, tuple(classes), aliases=tuple(aliases))


def graduated_style(title: str, field: str, breaks: Sequence[float], colours: Sequence[str], unit: str,
                    style: Mapping[str, Any], *, only: tuple[str, tuple[str, ...]] | None = None,
                    aliases: Sequence[tuple[str, str]] = ()) -> LayerStyle:
    """Classes [breaks[i], breaks[i+1]) of ``field`` filled with ``colours`` and labelled with their range
    ("30–40 %"); ``style``: Leaflet options of their outline and fill opacity."""
    classes = tuple(StyleClass(label, colour, lower=float(low), upper=float(high)) for label, colour, low, high
                    in zip(class_labels(breaks, unit), colours, breaks[:-1], breaks[1:]))
    return LayerStyle(title, Fill.from_leaflet({**style, "fillColor": colours[0]}), field, classes, graduated=True,
                      only=only, aliases=tuple(aliases))


# ---------------------------------------------------------------- QML


def _rgba(colour: str, opacity: float) -> str:
    """#rrggbb and an opacity as QGIS's "r,g,b,a"."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"{red},{green},{blue},{round(opacity * 255)}"


def _number(x: float) -> str:
    return f"{x:g}"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _classified(style: LayerStyle) -> str:
    """The field a classified style reads; with ``only``, an expression that is NULL (not drawn) elsewhere."""
    if style.only is None:
        return str(style.field)
    field, values = style.only
    return (f"CASE WHEN {_quoted(field)} IN ({', '.join(map(_literal, values))}) "
            f"THEN {_quoted(str(style.field))} END")


def _qml_symbol(parent: ET.Element, name: str, symbol: Fill) -> None:
    element = ET.SubElement(parent, "symbol", name=name, type="fill", alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(element, "layer", {"class": "SimpleFill", "pass": "0", "locked": "0", "enabled": "1"})
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in (("color", _rgba(symbol.colour, symbol.opacity)), ("joinstyle", "bevel"),
                       ("outline_color", _rgba(symbol.outline, symbol.outline_opacity)),
                       ("outline_style", "dash" if symbol.dash else "solid"),
                       ("outline_width", _number(symbol.width_px)), ("outline_width_unit", "Pixel"),
                       ("style", "solid")):
        ET.SubElement(options, "Option", name=key, type="QString", value=value)


def _upper(style: LayerStyle, index: int) -> float:
    """A range's upper bound in QGIS, which draws a value with the first range holding it, both bounds
    included: just below the next class's lower bound, so that bound belongs to the next class."""
    upper = style.classes[index].upper
    return upper if index == len(style.classes) - 1 else math.nextafter(upper, -math.inf)


def qml(style: LayerStyle) -> str:
    """The style as a QGIS QML document."""
    root = ET.Element("qgis", version=QML_VERSION, styleCategories="Symbology|Fields")
    attributes = {"type": style.renderer}
    if style.field is not None:
        attributes["attr"] = _classified(style)
    if style.graduated:
        attributes["graduatedMethod"] = "GraduatedColor"
    renderer = ET.SubElement(root, "renderer-v2", attributes, symbollevels="0", forceraster="0", enableorderby="0")
    if style.graduated:
        ranges = ET.SubElement(renderer, "ranges")
        for i, c in enumerate(style.classes):
            ET.SubElement(ranges, "range", lower=repr(c.lower), upper=repr(_upper(style, i)), symbol=str(i),
                          label=c.label, render="true")
    elif style.classes:
        categories = ET.SubElement(renderer, "categories")
        for i, c in enumerate(style.classes):
            ET.SubElement(categories, "category", value=str(c.value), symbol=str(i), label=c.label, render="true")
    symbols = ET.SubElement(renderer, "symbols")
    for i, symbol in enumerate(style.symbols()):
        _qml_symbol(symbols, str(i), symbol)
    if style.aliases:
        aliases = ET.SubElement(root, "aliases")
        for field, name in style.aliases:
            ET.SubElement(aliases, "alias", field=field, name=name)
    ET.SubElement(root, "layerGeometryType").text = POLYGON
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


# ---------------------------------------------------------------- SLD


def _se(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{SE}}}{tag}", attributes)
    element.text = text
    return element


def _comparison(parent: ET.Element, operator: str, field: str, value: str) -> None:
    element = ET.SubElement(parent, f"{{{OGC}}}PropertyIs{operator}")
    ET.SubElement(element, f"{{{OGC}}}PropertyName").text = field
    ET.SubElement(element, f"{{{OGC}}}Literal").text = value


def _any_of(parent: ET.Element, field: str, values: Sequence[str]) -> None:
    """``field`` equal to one of ``values``."""
    into = ET.SubElement(parent, f"{{{OGC}}}Or") if len(values) > 1 else parent
    for value in values:
        _comparison(into, "EqualTo", field, value)


def _sld_filter(rule: ET.Element, style: LayerStyle, index: int) -> None:
    c = style.classes[index]
    if not style.graduated and c.value == "":
        _se(rule, "ElseFilter")
        return
    where = ET.SubElement(rule, f"{{{OGC}}}Filter")
    if not style.graduated:
        _comparison(where, "EqualTo", str(style.field), str(c.value))
        return
    both = ET.SubElement(where, f"{{{OGC}}}And")
    _comparison(both, "GreaterThanOrEqualTo", str(style.field), _number(c.lower))
    closed = index == len(style.classes) - 1
    _comparison(both, "LessThanOrEqualTo" if closed else "LessThan", str(style.field), _number(c.upper))
    if style.only is not None:
        _any_of(both, *style.only)


def _sld_symbol(rule: ET.Element, symbol: Fill) -> None:
    polygon = _se(rule, "PolygonSymbolizer")
    fill = _se(polygon, "Fill")
    _se(fill, "SvgParameter", symbol.colour, name="fill")
    _se(fill, "SvgParameter", _number(symbol.opacity), name="fill-opacity")
    stroke = _se(polygon, "Stroke")
    for name, value in (("stroke", symbol.outline), ("stroke-opacity", _number(symbol.outline_opacity)),
                        ("stroke-width", _number(symbol.width_px)), ("stroke-linejoin", "bevel"),
                        ("stroke-dasharray", symbol.dash)):
        if value:
            _se(stroke, "SvgParameter", value, name=name)


def sld(style: LayerStyle, layer: str) -> str:
    """The style as an SLD 1.1 document (SE symbolizers, OGC filters) for ``layer``."""
    root = ET.Element(f"{{{SLD}}}StyledLayerDescriptor", {
        "version": "1.1.0", f"{{{XSI}}}schemaLocation":
            f"{SLD} http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"})
    named = ET.SubElement(root, f"{{{SLD}}}NamedLayer")
    _se(named, "Name", layer)
    user = ET.SubElement(named, f"{{{SLD}}}UserStyle")
    _se(user, "Name", layer)
    _se(_se(user, "Description"), "Title", style.title)
    types = _se(user, "FeatureTypeStyle")
    labels = [c.label for c in style.classes] or [style.title]
    for i, (label, symbol) in enumerate(zip(labels, style.symbols())):
        rule = _se(types, "Rule")
        _se(rule, "Name", label)
        _se(_se(rule, "Description"), "Title", label)
        if style.classes:
            _sld_filter(rule, style, i)
        _sld_symbol(rule, symbol)
    ET.indent(root)
    for prefix, uri in (("sld", SLD), ("se", SE), ("ogc", OGC), ("xsi", XSI)):
        ET.register_namespace(prefix, uri)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# ---------------------------------------------------------------- the layer_styles table


def layer_styles_table(styles: Mapping[str, LayerStyle], geometry_columns: Mapping[str, str], *,
                       updated: str) -> pd.DataFrame:
    """The ``layer_styles`` rows: each layer's style (QML and SLD) as its default, dated ``updated``
    (ISO 8601), for the layer's geometry column in ``geometry_columns``."""
    names = list(styles)
    return pd.DataFrame({
        "f_table_catalog": "", "f_table_schema": "", "f_table_name": names,
        "f_geometry_column": [geometry_columns[n] for n in names], "styleName": names,
        "styleQML": [qml(styles[n]) for n in names], "styleSLD": [sld(styles[n], n) for n in names],
        "useAsDefault": True, "description": [styles[n].title for n in names], "owner": "",
        "ui": pd.Series([None] * len(names), dtype="string"),
        "update_time": pd.to_datetime([updated] * len(names), utc=True),
    })
