"""Read a user's attribute table (CSV or XLSX) and check it against its catalogue spec."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sinkmap.catalogue import load_catalogue
from sinkmap.errors import InputError, MissingInputError
from sinkmap.validation import validate_frame

TABLE_SUFFIXES = (".csv", ".xlsx")


def read_rows(path: str | Path, *, what: str) -> pd.DataFrame:
    """Every cell of a CSV (UTF-8, with or without BOM) or XLSX table as text, header names stripped.

    Rows are indexed by their spreadsheet row number (the header is row 1), so messages point at them;
    ``what`` names the rows an empty table lacks.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError("table not found", path=path, fix="check the path")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"unsupported table format '{suffix}'", path=path, fix="give a .csv or .xlsx file")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            frame = pd.read_excel(path, dtype=str).fillna("")
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        detail = " ".join(str(exc).split())[:160]
        raise InputError(f"cannot be read as a table ({detail})", path=path,
                         fix="save it as UTF-8 CSV or XLSX") from None
    if frame.empty:
        raise InputError("table has no rows", path=path, fix=f"add the {what} under its header")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # spreadsheet row numbers: the header is row 1
    return frame


def read_table(path: str | Path, kind: str) -> pd.DataFrame:
    """Read table ``kind`` (e.g. carbon_pools) from a CSV or XLSX file (``read_rows``) and check it against
    its catalogue spec."""
    rows = read_rows(path, what=f"rows of the {load_catalogue().layer(kind).title}")
    return validate_frame(rows, load_catalogue().layer(kind), path=path)
