"""Turn the finished indicator table into display rows for the report template.

Presentation only: number formatting, row order, numbered sources. A target is read as a
minimum: a unit meets it when value ≥ target. The gap is the table's ``gap_<year>`` (the value
in that year, observed or projected, − target) when the table has one, else value − target;
``reach_<year>`` (the year the target is first met for good) is shown when present.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from sinkmap.errors import SchemaError
from sinkmap.indicators.targets import TARGET_YEARS
from sinkmap.writers.format import DASH, NOT_COVERED, format_number

REQUIRED_COLUMNS = ("county", "adcode", "indicator", "value", "unit", "target_2025", "target_2030", "source")

STATUS_MET = ("达标 met", "met")  # (text, CSS class)
STATUS_NOT_MET = ("未达标 not met", "not-met")
STATUS_NONE = (DASH, "no-target")


@dataclass(frozen=True)
class TargetCell:
    """One target year in one row: formatted target, gap and status."""

    year: int
    target: str
    gap: str
    status: str
    status_class: str
    reach: str = DASH


@dataclass(frozen=True)
class Row:
    """One spatial unit (city or county) of one indicator, ready to print."""

    county: str
    adcode: str
    is_city: bool
    value: str
    range: str  # 95 % range "low–high", or "" when the indicator has none
    targets: tuple[TargetCell, ...]
    source_no: int
    note: str = ""  # why there is no value (the inputs do not cover the unit), else ""


@dataclass(frozen=True)
class IndicatorSection:
    """One indicator: its labels, unit(s) and rows (city first, then counties by adcode)."""

    id: str
    label_zh: str
    label_en: str
    unit: str
    rows: tuple[Row, ...]
    quality: str = ""  # the city's tier shares of the factors (carbon indicators), else ""


def target_cell(value: float, target: float, unit: str, year: int, gap: float | None = None,
                reach: float | None = None, last_year: int | None = None) -> TargetCell:
    """Target, gap, status and reach year of one row for one target year.

    ``gap`` defaults to value − target; ``reach`` NaN with a ``last_year`` reads "not by <last_year>".
    """
    if pd.isna(target):
        return TargetCell(year, DASH, DASH, *STATUS_NONE)
    gap = float(value) - float(target) if gap is None else gap  # same unit as value and target
    if pd.isna(gap):
        return TargetCell(year, format_number(target, unit), DASH, *STATUS_NONE)
    status = STATUS_MET if gap >= 0 else STATUS_NOT_MET
    if reach is not None and not pd.isna(reach):
        reached = f"{int(reach)} 年 {int(reach)}"
    else:
        reached = f"{last_year} 年前未达到 not by {last_year}" if last_year and reach is not None else DASH
    return TargetCell(year, format_number(target, unit), format_number(gap, unit, signed=True), *status, reached)


def is_city(adcode: str) -> bool:
    """A prefecture-level adcode ends in ``00`` (汕尾市 441500); counties do not."""
    return len(adcode) == 6 and adcode.endswith("00")


def check_table(table: pd.DataFrame, labels: Mapping[str, tuple[str, str]]) -> None:
    """Raise SchemaError when columns, labels or sources the report needs are missing."""
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise SchemaError(
            f"indicator table lacks columns {missing}",
            layer="report",
            fix=f"pass a table with columns {list(REQUIRED_COLUMNS)}",
        )
    unlabelled = sorted({str(i) for i in table["indicator"]} - set(labels))
    if unlabelled:
        raise SchemaError(
            f"indicators {unlabelled} have no (zh, en) label",
            layer="report",
            field="indicator",
            fix="add them to ReportContext.labels",
        )
    no_source = table["source"].isna() | (table["source"].astype(str).str.strip() == "")
    if no_source.any():
        ids = sorted({str(i) for i in table.loc[no_source, "indicator"]})
        raise SchemaError(
            f"rows of indicators {ids} have no source",
            layer="report",
            field="source",
            fix="every number in the report needs a source string",
        )


def indicator_order(table: pd.DataFrame, labels: Mapping[str, tuple[str, str]]) -> list[str]:
    """Indicators in the order of ``labels``; ids present in the table only."""
    present = {str(i) for i in table["indicator"]}
    return [i for i in labels if i in present]


def sorted_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """City first, then counties by adcode."""
    key = rows["adcode"].map(lambda a: (not is_city(a), a))
    return rows.assign(_key=key).sort_values("_key", kind="stable").drop(columns="_key")


def build_sections(
    table: pd.DataFrame, labels: Mapping[str, tuple[str, str]], last_year: int | None = None
) -> tuple[list[IndicatorSection], list[str]]:
    """Display sections and the numbered source list (deduplicated, first-use order).

    Row ``source_no`` is 1-based into the returned source list; ``last_year`` is the end of the
    projection (for "not reached by").
    """
    check_table(table, labels)
    table = table.assign(adcode=table["adcode"].astype(str), source=table["source"].astype(str).str.strip())
    sources: list[str] = []
    sections = []
    for ind in indicator_order(table, labels):
        rows = sorted_rows(table[table["indicator"].astype(str) == ind])
        printed = tuple(_row(rec, sources, last_year) for rec in rows.to_dict("records"))
        units = list(dict.fromkeys(str(u) for u in rows["unit"]))
        zh, en = labels[ind]
        city = rows[rows["adcode"].map(is_city)]
        quality = str(city["quality"].iloc[0]) if "quality" in rows and len(city) and pd.notna(
            city["quality"].iloc[0]) else ""
        sections.append(IndicatorSection(ind, zh, en, " / ".join(units), printed, quality))
    return sections, sources


def _row(rec: Mapping[str, object], sources: list[str], last_year: int | None = None) -> Row:
    """One display row; appends its source to ``sources`` when new."""
    source = str(rec["source"])
    if source not in sources:
        sources.append(source)
    unit = "" if pd.isna(rec["unit"]) else str(rec["unit"])
    note = "" if pd.isna(rec.get("note", "")) else str(rec.get("note", ""))
    value = _as_float(rec["value"])
    by = _as_float(rec.get("reach_by"))  # the last year the reach year was looked for, per row
    last_year = last_year if pd.isna(by) else int(by)
    cells = tuple(target_cell(value, _as_float(rec[f"target_{y}"]), unit, y,
                              gap=_as_float(rec[f"gap_{y}"]) if f"gap_{y}" in rec else None,
                              reach=_as_float(rec[f"reach_{y}"]) if f"reach_{y}" in rec and not note else None,
                              last_year=last_year) for y in TARGET_YEARS)
    low, high = _as_float(rec.get("low")), _as_float(rec.get("high"))
    spread = "" if pd.isna(low) or pd.isna(high) else f"{format_number(low, unit)} – {format_number(high, unit)}"
    adcode = str(rec["adcode"])
    return Row(
        county=str(rec["county"]),
        adcode=adcode,
        is_city=is_city(adcode),
        value=NOT_COVERED if note else format_number(value, unit),
        range=spread,
        targets=cells,
        source_no=sources.index(source) + 1,
        note=note,
    )


def coverage_lines(table: pd.DataFrame) -> list[str]:
    """One line per unit the inputs do not cover for some indicator: "海丰县 441521: <its notes>"."""
    if "note" not in table.columns:
        return []
    noted = table[table["note"].fillna("").ne("")]
    lines = []
    for (county, adcode), rows in sorted_rows(noted).groupby(["county", "adcode"], sort=False):
        reasons = dict.fromkeys(note.removeprefix("not covered: ") for note in rows["note"])
        lines.append(f"{county} {adcode}: " + "; ".join(reasons))
    return lines


def _as_float(x: object) -> float:
    """A table cell as float; None/NA → NaN."""
    return math.nan if x is None or pd.isna(x) else float(x)
