"""Labels and units of the survey's output tables (输出表的中英文列名与单位): ``layers/output_columns.csv``
(one row per column: 中文 and English name, unit) and ``layers/output_tables.csv`` (one row per table:
its workbook sheet and a one-line description). The one place these facts live; the workbook reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from sinkmap.resources import layers_dir
from sinkmap.units import DIMENSIONLESS, UNIT_NAMES

TEXT, CODE, YEAR, COUNT = "", "code", "year", "count"  # kinds of column that carry no physical unit
ROW = "row"  # the unit is the row's own, in its ROW_UNIT_COLUMN (indicators.csv: value, low, high, targets)
ROW_UNIT_COLUMN = "unit"
KINDS = (TEXT, CODE, YEAR, COUNT, ROW, DIMENSIONLESS)
SHEET_NAME_MAX = 31  # Excel's limit, in characters
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")  # target_{year}: one row for target_2025, target_2030 …


@dataclass(frozen=True)
class ColumnLabel:
    """One output column's 中文 and English name and its unit (a unit of ``units.UNIT_NAMES`` or a KIND)."""

    column: str
    name_zh: str
    name_en: str
    unit: str


def _read(name: str, columns: list[str]) -> pd.DataFrame:
    path = layers_dir() / name
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if list(table.columns) != columns:
        raise ValueError(f"{path}: the columns must be {columns}, not {list(table.columns)}")
    return table


@cache
def load_output_columns() -> pd.DataFrame:
    """``layers/output_columns.csv``: column, table (empty: any table), name_zh, name_en, unit."""
    table = _read("output_columns.csv", ["column", "table", "name_zh", "name_en", "unit"])
    bad = table[~table["unit"].isin([*UNIT_NAMES, *KINDS])]
    if len(bad):
        raise ValueError(f"layers/output_columns.csv: unknown unit {bad['unit'].iloc[0]!r} of column "
                         f"{bad['column'].iloc[0]!r}; use one of {[*UNIT_NAMES, *KINDS]}")
    twice = table[table.duplicated(["column", "table"])]
    if len(twice):
        raise ValueError(f"layers/output_columns.csv: column {twice['column'].iloc[0]!r} is listed twice")
    return table


@cache
def load_output_tables() -> pd.DataFrame:
    """``layers/output_tables.csv``: table (its CSV name), sheet (≤ 31 characters), about_zh, about_en."""
    table = _read("output_tables.csv", ["table", "sheet", "about_zh", "about_en"])
    for sheet in table["sheet"]:
        if len(sheet) > SHEET_NAME_MAX or set(sheet) & SHEET_NAME_FORBIDDEN:
            raise ValueError(f"layers/output_tables.csv: sheet name {sheet!r} is longer than {SHEET_NAME_MAX} "
                             f"characters or has one of {''.join(sorted(SHEET_NAME_FORBIDDEN))}")
    if table["sheet"].duplicated().any() or table["table"].duplicated().any():
        raise ValueError("layers/output_tables.csv: a table or a sheet name is listed twice")
    return table.set_index("table")


def _matched(pattern: str, column: str) -> dict[str, str] | None:
    """The placeholders' values when ``column`` matches ``pattern`` (tier_{factor} ~ tier_BEF), else None."""
    if "{" not in pattern:
        return None
    regex = "".join(f"(?P<{part}>.+)" if i % 2 else re.escape(part)
                    for i, part in enumerate(_PLACEHOLDER.split(pattern)))
    found = re.fullmatch(regex, column)
    return found.groupdict() if found else None


def column_label(table: str, column: str) -> ColumnLabel:
    """The label of ``column`` in output ``table`` (e.g. "indicators.csv"): a row of this table before one
    of any table, a row naming the column before a pattern row (target_{year}). KeyError when none."""
    rows = load_output_columns()
    for scope in (table, ""):
        for row in rows[rows["table"] == scope].itertuples(index=False):
            if row.column == column:
                return ColumnLabel(column, row.name_zh, row.name_en, row.unit)
    for scope in (table, ""):
        for row in rows[rows["table"] == scope].itertuples(index=False):
            if (values := _matched(row.column, column)) is not None:
                return ColumnLabel(column, row.name_zh.format(**values), row.name_en.format(**values), row.unit)
    raise KeyError(f"column {column!r} of {table} has no label: add a row (column, table, name_zh, name_en, unit) "
                   "to layers/output_columns.csv")
