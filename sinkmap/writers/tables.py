"""Tables: the indicator CSV (UTF-8 with BOM, so Excel shows Chinese), CSV/Parquet/XLSX, survey GeoPackage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sinkmap.errors import OutputError
from sinkmap.tableparts import filled, joined
from sinkmap.writers.atomic import atomic_path
from sinkmap.writers.layerstyle import LayerStyle
from sinkmap.writers.vector import write_gpkg

UNIT_SLUGS = {"%": "pct", "km²": "km2", "ha": "ha", "亩": "mu", "m³": "m3", "万m³": "wan_m3",
              "万m³/yr": "wan_m3_per_yr", "t C": "t_c", "t CO₂e": "t_co2e", "t CO₂e/yr": "t_co2e_per_yr"}
CSV_DIGITS = 10  # significant digits of a float in a CSV table


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a table by suffix: .csv (UTF-8 with BOM), .parquet, .xlsx — atomically."""
    write_table_parts([table], path)
    return Path(path)


def write_table_parts(parts: Iterable[pd.DataFrame], path: str | Path) -> int:
    """Write the parts of one table (same columns) as one table, by suffix, atomically, holding one part at
    a time (.csv: appended; .parquet: one row group or more per part; .xlsx, at most 1,048,575 rows: joined
    first). Returns the number of rows."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".xlsx"):
        raise OutputError(f"unsupported table format '{suffix}'", path=path, fix="use .csv, .parquet or .xlsx")
    with atomic_path(path) as tmp:
        if suffix == ".xlsx":
            table = joined(parts)
            table.to_excel(tmp, index=False, engine="openpyxl")
            return len(table)
        if suffix == ".csv":
            return _write_csv_parts(parts, tmp)
        return _write_parquet_parts(parts, tmp)


def _write_csv_parts(parts: Iterable[pd.DataFrame], path: Path) -> int:
    rows = 0
    for k, part in enumerate(filled(parts)):  # a BOM and the header once, at the top
        part.to_csv(path, index=False, encoding="utf-8" if k else "utf-8-sig", float_format=f"%.{CSV_DIGITS}g",
                    mode="a" if k else "w", header=not k)
        rows += len(part)
    return rows


def _write_parquet_parts(parts: Iterable[pd.DataFrame], path: Path) -> int:
    rows, writer = 0, None
    try:
        for part in filled(parts):  # every part in the first part's schema
            batch = pa.Table.from_pandas(part, preserve_index=False, schema=writer.schema if writer else None)
            writer = writer or pq.ParquetWriter(path, batch.schema)
            writer.write_table(batch)
            rows += len(part)
    finally:
        if writer is not None:
            writer.close()
    return rows


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
