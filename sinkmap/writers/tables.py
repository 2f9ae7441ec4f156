"""Tables: the indicator CSV (UTF-8 with BOM, so Excel shows Chinese), CSV/Parquet/XLSX, survey GeoPackage."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sinkmap.errors import OutputError
from sinkmap.writers.atomic import atomic_path
from sinkmap.writers.layerstyle import LayerStyle
from sinkmap.writers.vector import write_gpkg

UNIT_SLUGS = {"%": "pct", "km²": "km2", "ha": "ha", "亩": "mu", "m³": "m3", "万m³": "wan_m3",
              "万m³/yr": "wan_m3_per_yr", "t C": "t_c", "t CO₂e": "t_co2e", "t CO₂e/yr": "t_co2e_per_yr"}
CSV_DIGITS = 10  # significant digits of a float in a CSV table


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a table by suffix: .csv (UTF-8 with BOM), .parquet, .xlsx — atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            table.to_csv(tmp, index=False, encoding="utf-8-sig", float_format=f"%.{CSV_DIGITS}g")
        elif suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        elif suffix == ".xlsx":
            table.to_excel(tmp, index=False, engine="openpyxl")
        else:
            raise OutputError(f"unsupported table format '{suffix}'", path=path, fix="use .csv, .parquet or .xlsx")
    return path


def wide_column(indicator: str, unit: str) -> str:
    """Column name carrying its unit, e.g. forest_cover_landcover_pct, stock_volume_wan_m3."""
    return f"{indicator}_{UNIT_SLUGS.get(unit, unit)}"


def wide_units(units: gpd.GeoDataFrame, indicators: pd.DataFrame) -> gpd.GeoDataFrame:
    """The units (city + counties) with one column per indicator, its unit in the name (``wide_column``)."""
    columns = {ind: wide_column(ind, unit) for ind, unit in indicators.groupby("indicator")["unit"].first().items()}
    keep = ["adcode", "name_zh", "name_en", "unit_type", *columns, units.geometry.name]
    return units[[c for c in keep if c in units.columns]].rename(columns=columns)


def write_survey_gpkg(layers: Mapping[str, pd.DataFrame], styles: Mapping[str, LayerStyle], path: str | Path, *,
                      description: str) -> Path:
    """survey.gpkg: ``layers`` in order (a plain DataFrame is an attribute table), each described by
    ``description``, and the default QGIS style of each layer in ``styles`` (table ``layer_styles``)."""
    return write_gpkg(layers, path, descriptions=dict.fromkeys(layers, description), styles=styles)
