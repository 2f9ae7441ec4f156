"""survey.gpkg's layers and their default QGIS styles: the units with every indicator, the survey's analysis
layers with what it computed on them, the plan's restoration sites, and the land-cover class areas — each
layer styled as the web map draws it (layers/catalogue.yaml ``map:``; the county classes of writers/map.py).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from sinkmap.catalogue import MapStyle, load_catalogue, load_indicator_specs
from sinkmap.columns import KINDS, column_label
from sinkmap.survey.compute import SurveyResult
from sinkmap.survey.ledger import redline_findings
from sinkmap.units import UNIT_NAMES, shown_unit
from sinkmap.writers.layerstyle import LayerStyle, graduated_style, map_layer_style
from sinkmap.writers.map import COUNTY_STYLE, COVER_BREAKS, COVER_COLOURS, overlays
from sinkmap.writers.tables import wide_column, wide_units

UNITS = "units"
NAMES = {"sites": "restoration_sites"}  # a map overlay's layer name in survey.gpkg, where it is not the kind's
CHECKS_TABLE = "redline_checks.csv"  # the redline layer's check columns are this table's


def redline_layer(result: SurveyResult) -> gpd.GeoDataFrame:
    """The redlines with what the ledger found about each: the columns of ``redline_checks.csv`` (its own
    area, which replaces the recorded one, the change since the earlier version, the land cover and the
    forest stands inside it) and ``check``, the findings the web map's popups show (empty when none)."""
    redlines, ledger = result.layers["redlines"], result.ledger
    if ledger is None:
        return redlines
    sheet = ledger.sheet.set_index("redline_id").reindex(redlines["redline_id"])
    frame = redlines.assign(**{c: sheet[c].to_numpy() for c in sheet.columns if c != "findings"})
    return frame.assign(check=frame["redline_id"].map(redline_findings(ledger)))


def _overlay(result: SurveyResult, kind: str) -> gpd.GeoDataFrame | None:
    """The frame written for map overlay ``kind`` (None when the survey has none)."""
    if kind == "stands":
        return result.stands
    if kind == "redlines" and kind in result.layers:
        return redline_layer(result)
    if kind == "sites":
        return result.config.area.sites()
    return result.layers.get(kind)


def _named(name: str, unit: str | None) -> str:
    """A column's display name with its unit, if it has a physical one the name does not give: "面积 Area (ha)"."""
    spelt = (unit, *UNIT_NAMES.get(unit, ())) if unit else ()
    given = any(f"({u})" in name or f"（{u}）" in name for u in spelt)
    return f"{name} ({unit})" if shown_unit(unit) and unit not in KINDS and not given else name


def _aliases(frame: pd.DataFrame, kind: str, drawn: MapStyle) -> list[tuple[str, str]]:
    """The name QGIS shows for each column: the web map's popup label, else the catalogue field's 中文
    name, else (a column the survey computed) its label in layers/output_columns.csv; with its unit."""
    popup = dict(drawn.tooltip)
    spec = load_catalogue().layers.get(kind)  # None for the restoration sites
    fields = spec.fields if spec else {}
    table = CHECKS_TABLE if kind == "redlines" else ""
    names = []
    for column in frame.columns:
        if column in popup:
            names.append((column, _named(popup[column], drawn.units.get(column))))
        elif column in fields and fields[column].zh:
            names.append((column, _named(f"{fields[column].zh} {column}", fields[column].unit)))
        elif column not in fields and column != frame.geometry.name:
            try:
                label = column_label(table, str(column))
            except KeyError:
                continue
            names.append((column, _named(f"{label.name_zh} {label.name_en}", label.unit)))
    return names


def _units_style(result: SurveyResult, indicator: str) -> LayerStyle:
    """The county choropleth of ``indicator`` (the survey area's own unit is not drawn, as on the web map),
    its indicator columns named from layers/indicators.csv."""
    specs = load_indicator_specs()
    aliases = [(wide_column(i, row.unit), _named(f"{row.name_zh} {row.name_en}", row.unit))
               for i, row in specs.iterrows()]
    return graduated_style(f"{specs.loc[indicator, 'name_zh']} {specs.loc[indicator, 'name_en']}",
                           wide_column(indicator, specs.loc[indicator, "unit"]), COVER_BREAKS, COVER_COLOURS,
                           specs.loc[indicator, "unit"], COUNTY_STYLE, only=("adcode", tuple(result.config.area.codes)),
                           aliases=aliases)


def survey_gpkg(result: SurveyResult, indicator: str) -> tuple[dict[str, pd.DataFrame], dict[str, LayerStyle]]:
    """survey.gpkg's layers in order — ``units`` (classed by ``indicator``), the map's overlays the survey
    has in the map's drawing order, the attribute table ``class_areas`` — and each map layer's style."""
    layers: dict[str, pd.DataFrame] = {UNITS: wide_units(result.units, result.indicators)}
    styles = {UNITS: _units_style(result, indicator)}
    catalogue = load_catalogue().layers
    for kind, drawn in overlays().items():
        frame = _overlay(result, kind)
        if frame is None or not len(frame):
            continue
        name = NAMES.get(kind, kind)
        allowed = catalogue[kind].fields[drawn.fill[0]].allowed if drawn.fill else None
        layers[name] = frame
        styles[name] = map_layer_style(drawn, allowed, _aliases(frame, kind, drawn))
    return {**layers, "class_areas": result.class_areas}, styles
