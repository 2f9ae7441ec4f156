"""survey.xlsx (调查工作簿): a first sheet 说明 About, then one sheet per survey table — 中文 and English
header rows carrying the units, frozen headers and key column, autofilter, number formats by unit.

Presents only: it gets the frames, their column labels (``sinkmap.columns``) and the provenance lines.
Written with openpyxl, atomically; the same workbook gives the same bytes (document times and the zip
entries' times are the given stamp, not the clock).
"""

from __future__ import annotations

import datetime
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import numpy as np
import pandas as pd

from sinkmap.columns import CODE, COUNT, ROW, ROW_UNIT_COLUMN, TEXT, YEAR, ColumnLabel
from sinkmap.units import DIMENSIONLESS, UNIT_NAMES
from sinkmap.writers.atomic import write_bytes_atomic

ABOUT_SHEET = "说明 About"
#: Excel number format per unit or kind of column; an indicator's value cells take the format of its row's unit.
NUMBER_FORMATS: Mapping[str, str] = {
    "ha": "0.00", "km²": "0.00", "%": "0.0", "万m³": "0.00", "万m³/yr": "0.00", "亩": "#,##0",
    "m³": "#,##0", "t": "#,##0", "t C": "#,##0", "t CO₂e": "#,##0", "t CO₂e/yr": "#,##0",
    DIMENSIONLESS: "0.0%",  # a relative half-width 0.36 shows as 36.0%
    YEAR: "0", COUNT: "#,##0", CODE: "@", TEXT: "General",
}
ROW_UNIT_NAMES = ("按本行单位", "row's unit")  # the header's unit of a ROW column
WIDTH_MIN, WIDTH_MAX = 8, 60  # column widths, in characters (a CJK character counts two)
HEADER_FILL = "DDEBF7"
BANNER_COLOUR = "C00000"


@dataclass(frozen=True)
class Sheet:
    """One survey table as a sheet."""

    name: str  # ≤ 31 characters
    table: str  # the CSV it mirrors, e.g. indicators.csv
    about: tuple[str, str]  # one line, 中文 and English
    frame: pd.DataFrame
    labels: tuple[ColumnLabel, ...]  # one per column of ``frame``, in order


@dataclass(frozen=True)
class Workbook:
    """Everything survey.xlsx shows."""

    title: str
    sheets: tuple[Sheet, ...]
    provenance: tuple[tuple[str, str], ...]  # (item 中文 English, text) lines of the About sheet
    stamp: datetime.datetime  # the workbook's created / modified time and its zip entries' time
    banner: str = ""  # shown atop every sheet when given (the SYNTHETIC note of demo data)


def headers(label: ColumnLabel) -> tuple[str, str]:
    """The 中文 and English header of a column, with its unit: 面积（公顷）, Area (ha)."""
    zh, en = ROW_UNIT_NAMES if label.unit == ROW else UNIT_NAMES.get(label.unit, ("", ""))
    return (f"{label.name_zh}（{zh}）" if zh else label.name_zh, f"{label.name_en} ({en})" if en else label.name_en)


def display_width(text: str) -> int:
    """Width of ``text`` in Excel's character units: CJK (wide and full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(value: object, number_format: str) -> str:
    """``value`` about as Excel shows it under ``number_format``, for the column widths."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value)
    decimals = len(number_format.split(".")[1].rstrip("%")) if "." in number_format else 0
    scaled = value * 100 if number_format.endswith("%") else value
    return f"{scaled:{',' if ',' in number_format else ''}.{decimals}f}"


def _cell(value: object, unit: str) -> object:
    """A frame value as a cell value: None for missing or empty, text for a code, Python numbers."""
    if isinstance(value, str):
        return value or None
    if value is None or pd.isna(value):
        return None
    if unit == CODE:
        return str(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else str(value)  # Excel has no infinity: "inf" as in the CSV
    return str(value)


def _put(ws, row: int, column: int, value: object, unit: str = TEXT, **style) -> int:
    """Write one cell in the number format of ``unit`` (text never read as a formula, characters Excel
    refuses dropped); return its shown width."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # "=…" stays text
    cell.number_format = NUMBER_FORMATS.get(unit, "General")
    for name, given in style.items():
        setattr(cell, name, given)
    return display_width(_shown(value, cell.number_format)) if value is not None else 0


def _banner(ws, text: str) -> int:
    """The banner line atop a sheet when ``text`` is given; the next free row."""
    from openpyxl.styles import Font

    if not text:
        return 1
    _put(ws, 1, 1, f"⚠ {text}", font=Font(bold=True, color=BANNER_COLOUR))
    return 2


def _set_widths(ws, widths: dict[int, int]) -> None:
    from openpyxl.utils import get_column_letter

    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(WIDTH_MAX, max(WIDTH_MIN, width + 2))


def _table_sheet(ws, sheet: Sheet, banner: str) -> None:
    """Banner, two header rows (中文, English), the rows; frozen below the headers and right of the first
    column; autofilter on the English header row."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    top = _banner(ws, banner)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    widths: dict[int, int] = {}
    for j, label in enumerate(sheet.labels, start=1):
        zh, en = headers(label)
        widths[j] = max(_put(ws, top, j, zh, font=Font(bold=True), fill=fill),
                        _put(ws, top + 1, j, en, font=Font(bold=True), fill=fill))
    row_units = (sheet.frame[ROW_UNIT_COLUMN].tolist() if ROW_UNIT_COLUMN in sheet.frame
                 else [TEXT] * len(sheet.frame))
    for i, (values, row_unit) in enumerate(zip(sheet.frame.itertuples(index=False), row_units), start=top + 2):
        for j, (value, label) in enumerate(zip(values, sheet.labels), start=1):
            unit = row_unit if label.unit == ROW else label.unit
            widths[j] = max(widths[j], _put(ws, i, j, _cell(value, unit), unit))
    last = top + 1 + len(sheet.frame)
    ws.freeze_panes = ws.cell(row=top + 2, column=2)
    ws.auto_filter.ref = f"A{top + 1}:{get_column_letter(len(sheet.labels))}{last}"
    _set_widths(ws, widths)


def _about_sheet(ws, book: Workbook) -> None:
    """Title, banner, one line per sheet (name, CSV, rows, 说明, description), then the provenance lines."""
    from openpyxl.styles import Font, PatternFill

    bold, fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    row = _banner(ws, book.banner)
    _put(ws, row, 1, book.title, font=Font(bold=True, size=14))
    row += 2
    widths: dict[int, int] = {}
    lines = [("工作表 Sheet", "文件 File", "行数 Rows", "说明", "Description")]
    lines += [(s.name, s.table, len(s.frame), *s.about) for s in book.sheets]
    for i, line in enumerate(lines):
        for j, value in enumerate(line, start=1):
            style = {"font": bold, "fill": fill} if i == 0 else {}
            width = _put(ws, row + i, j, value, COUNT if isinstance(value, int) else TEXT, **style)
            widths[j] = max(widths.get(j, 0), width)
    row += len(lines) + 1
    _put(ws, row, 1, "来源 Provenance", font=bold, fill=fill)
    for i, (item, text) in enumerate(book.provenance, start=row + 1):
        _put(ws, i, 1, item, font=bold)
        _put(ws, i, 2, text)  # long lines run on over the empty cells to their right
        widths[1] = max(widths[1], display_width(item))
    _set_widths(ws, widths)


def workbook_bytes(book: Workbook) -> bytes:
    """The .xlsx file of ``book``: the same bytes for the same workbook."""
    from openpyxl import Workbook as OpenpyxlWorkbook
    from openpyxl.writer.excel import ExcelWriter

    wb = OpenpyxlWorkbook()
    _about_sheet(wb.active, book)
    wb.active.title = ABOUT_SHEET
    for sheet in book.sheets:
        _table_sheet(wb.create_sheet(sheet.name), sheet, book.banner)
    wb.properties.creator = "sinkmap"
    wb.properties.title = book.title
    wb.properties.created = wb.properties.modified = book.stamp  # save_workbook would stamp the clock
    buffer = io.BytesIO()
    ExcelWriter(wb, ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return _restamped(buffer.getvalue(), book.stamp)


def _restamped(data: bytes, stamp: datetime.datetime) -> bytes:
    """The zip ``data`` with every entry's time set to ``stamp`` (zip times start in 1980)."""
    when = (max(1980, stamp.year), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with ZipFile(io.BytesIO(data)) as source, ZipFile(out, "w", ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = ZipInfo(info.filename, date_time=when)
            entry.compress_type = ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write_workbook(book: Workbook, path: str | Path) -> Path:
    """Write ``book`` to ``path`` (.xlsx) atomically."""
    return write_bytes_atomic(path, workbook_bytes(book))
