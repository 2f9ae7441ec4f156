"""Turn the finished indicator table into display rows for the report template.

Presentation only: number formatting, column and row order, numbered sources. The plan's targets
come as the table has them: ``target_<year>``, ``gap_<year>`` (the value in that year, observed or
projected, − target), ``status_<year>`` (``targets.STATUS_LABELS``) and ``reach_<year>`` (the year
the target is first met for good); the other indicators are shown as compact tables, one row per
indicator and one column per unit, the unit in the row's header.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from sinkmap.errors import SchemaError
from sinkmap.indicators.targets import STATUS_LABELS, TARGET_YEARS
from sinkmap.writers.format import DASH, DECIMALS, DEFAULT_DECIMALS, NO_DATA, NOT_COVERED, format_number

REQUIRED_COLUMNS = ("county", "adcode", "indicator", "value", "unit", "target_2025", "target_2030", "source")

@dataclass(frozen=True)
class Cell:
    """One unit's value of one indicator: the number without its unit (the unit is in the row's header)."""

    value: str
    range: str = ""  # 95 % range "low–high", or ""
    note: str = ""  # why there is no value (the inputs do not cover the unit), else ""


@dataclass(frozen=True)
class Line:
    """One indicator across the units: its labels, unit, cells (one per column of its table) and source."""

    id: str
    label_zh: str
    label_en: str
    unit: str
    cells: tuple[Cell, ...]
    source_no: int
    quality: str = ""  # the survey area's tier shares of the factors (carbon indicators), else ""


@dataclass(frozen=True)
class UnitTable:
    """Indicators as rows, units (the survey area's total first, then counties by adcode) as columns."""

    title: str
    units: tuple[tuple[str, str], ...]  # (name, adcode)
    lines: tuple[Line, ...]

    @property
    def qualities(self) -> list[tuple[str, str]]:
        """(the labels sharing it, joined; tier shares) for each distinct quality line, in row order."""
        shared: dict[str, list[str]] = {}
        for line in self.lines:
            if line.quality:
                shared.setdefault(line.quality, []).append(line.label_zh)
        return [("、".join(labels), quality) for quality, labels in shared.items()]


@dataclass(frozen=True)
class TargetRow:
    """One plan target of the survey area: its indicator, year, target, value now, gap, status and reach year."""

    label_zh: str
    label_en: str
    year: int
    target: str
    value: str
    range: str
    gap: str
    status: str
    status_class: str
    reach: str
    source_no: int


class Sources(list):
    """The numbered source list, in first-use order; ``number`` gives a source's 1-based number."""

    def number(self, source: str) -> int:
        if source not in self:
            self.append(source)
        return self.index(source) + 1


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


def sorted_rows(rows: pd.DataFrame, total: str | None = None) -> pd.DataFrame:
    """The survey area's ``total`` (else the city) first, then counties by adcode."""
    key = rows["adcode"].map(lambda a: (not (a == total or is_city(a)), a))
    return rows.assign(_key=key).sort_values("_key", kind="stable").drop(columns="_key")


def _cell(rec: Mapping[str, object] | None, unit: str) -> Cell:
    """A unit's value and 95 % range, numbers only, with the decimals of ``unit``."""
    if rec is None:
        return Cell(DASH)
    note = "" if pd.isna(rec.get("note", "")) else str(rec.get("note", ""))
    if note:  # coverage notes begin "not covered:"; others (no harvest rows) say there is no data
        return Cell(NOT_COVERED if note.startswith("not covered") else NO_DATA, note=note)
    digits = DECIMALS.get(unit, DEFAULT_DECIMALS)
    low, high = _as_float(rec.get("low")), _as_float(rec.get("high"))
    spread = ("" if pd.isna(low) or pd.isna(high) else
              f"{format_number(low, '', digits=digits)}–{format_number(high, '', digits=digits)}")
    return Cell(format_number(_as_float(rec["value"]), "", digits=digits), spread)


def unit_tables(table: pd.DataFrame, labels: Mapping[str, tuple[str, str]], groups: Mapping[str, Sequence[str]],
                sources: Sources, total: str | None = None) -> list[UnitTable]:
    """One table per group (title → indicator ids, in order), units as columns (``total`` first); indicators
    the table lacks are skipped, and so is a group left empty. Sources are numbered into ``sources``."""
    check_table(table, labels)
    table = table.assign(adcode=table["adcode"].astype(str), source=table["source"].astype(str).str.strip())
    units = sorted_rows(table.drop_duplicates("adcode"), total)
    columns = tuple(zip(units["county"].astype(str), units["adcode"]))
    out = []
    for title, ids in groups.items():
        lines = []
        for ind in (i for i in ids if i in set(table["indicator"])):
            rows = table[table["indicator"] == ind]
            by_unit = {r["adcode"]: r for r in rows.to_dict("records")}
            unit = str(rows["unit"].iloc[0])
            first = by_unit.get(columns[0][1], {})
            quality = "" if pd.isna(first.get("quality", "")) else str(first.get("quality", ""))
            number = sources.number(str(rows["source"].iloc[0]))
            zh, en = labels[ind]
            zh = zh if zh.endswith(f"（{unit}）") else f"{zh}（{unit}）"  # 森林面积（亩） already says it
            lines.append(Line(ind, zh, en, unit, tuple(_cell(by_unit.get(a), unit) for _, a in columns), number,
                              quality))
        if lines:
            out.append(UnitTable(title, columns, tuple(lines)))
    return out


def target_rows(table: pd.DataFrame, labels: Mapping[str, tuple[str, str]], headline: Sequence[str],
                sources: Sources, last_year: int | None = None, total: str | None = None) -> list[TargetRow]:
    """The plan's targets for the survey area's ``total`` (else the city): one row per headline indicator and
    target year (value now with its range, target, gap in the target year, status and the year it is reached)."""
    table = table.assign(adcode=table["adcode"].astype(str))
    total = sorted_rows(table.drop_duplicates("adcode"), total)["adcode"].iloc[0]
    out = []
    for ind in headline:
        rows = table[(table["indicator"] == ind) & (table["adcode"] == total)]
        if rows.empty:
            continue
        rec = rows.iloc[0].to_dict()
        unit = str(rec["unit"])
        cell = _cell(rec, unit)
        by = _as_float(rec.get("reach_by"))
        looked = last_year if pd.isna(by) else int(by)
        for year in TARGET_YEARS:
            target = _as_float(rec.get(f"target_{year}"))
            if pd.isna(target):
                continue
            status = str(rec.get(f"status_{year}") or "")
            zh_en = STATUS_LABELS.get(status)
            reach = _as_float(rec.get(f"reach_{year}"))
            reached = (DASH if cell.note else f"{int(reach)}" if not pd.isna(reach)
                       else f"{looked} 前未达 not by {looked}" if looked else DASH)
            out.append(TargetRow(*labels[ind], year, format_number(target, unit), f"{cell.value} {unit}"
                                 if not cell.note else cell.value, cell.range,
                                 format_number(_as_float(rec.get(f"gap_{year}")), unit, signed=True),
                                 " ".join(zh_en) if zh_en else DASH, status.replace("_", "-") or "no-target",
                                 reached, sources.number(str(rec["source"]).strip())))
    return out


@dataclass(frozen=True)
class CompareRow:
    """One indicator of the survey area's total then and now: its labels and the three numbers with units."""

    label_zh: str
    label_en: str
    previous: str
    value: str
    change: str


def comparison_rows(table: pd.DataFrame, labels: Mapping[str, tuple[str, str]], total: str | None = None
                    ) -> list[CompareRow]:
    """The survey area's ``total`` (else the city) against an earlier survey: one row per indicator with a
    previous value (the table's ``previous`` and ``change`` columns), in ``labels`` order; [] without them."""
    if "previous" not in table.columns or table["previous"].isna().all():
        return []
    table = table.assign(adcode=table["adcode"].astype(str))
    total = sorted_rows(table.drop_duplicates("adcode"), total)["adcode"].iloc[0]
    rows = table[(table["adcode"] == total) & table["previous"].notna()].set_index("indicator")
    return [CompareRow(*labels[ind], *(format_number(_as_float(rows.at[ind, column]), str(rows.at[ind, "unit"]),
                                                     signed=column == "change")
                                       for column in ("previous", "value", "change")))
            for ind in labels if ind in rows.index]


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
