"""An earlier year's survey, read back from its output folder (``sinkmap survey --previous out/2024``):
its ``indicators.csv`` (the values compared with) and ``provenance.json`` (its year, area and definitions).

Refuses, in one line naming the file and the fix, a folder that is missing or not a survey's output, a
table or record that is malformed, and a survey year not earlier than this one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sinkmap.errors import InputError, MissingInputError, SchemaError

INDICATORS_FILE = "indicators.csv"
PROVENANCE_FILE = "provenance.json"
COLUMNS = ("adcode", "county", "indicator", "value", "unit")  # of indicators.csv, the ones compared
RECORD_KEYS = ("sinkmap_version", "survey_year", "survey_area", "parameter_tables")  # of provenance.json
FIX = "give the output folder (-o) of an earlier year's `sinkmap survey` as --previous (or previous_survey:)"


@dataclass(frozen=True)
class PreviousSurvey:
    """An earlier survey's output folder, as given; its year, indicator rows and provenance record."""

    folder: Path
    survey_year: int
    indicators: pd.DataFrame = field(repr=False)  # COLUMNS; value float (NaN where it had none)
    provenance: dict = field(repr=False)  # its provenance.json

    @property
    def files(self) -> tuple[Path, Path]:
        """The two files read: indicators.csv and provenance.json."""
        return self.folder / INDICATORS_FILE, self.folder / PROVENANCE_FILE


def read_previous_survey(folder: str | Path, survey_year: int) -> PreviousSurvey:
    """The survey in output folder ``folder``, which must be of a year before ``survey_year``.

    Raises MissingInputError (no such folder, no indicators.csv or provenance.json), SchemaError (a
    malformed table or record) or InputError (its year is not earlier)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingInputError("the previous survey's output folder does not exist", path=folder, fix=FIX)
    for name, what in ((INDICATORS_FILE, "indicator table"), (PROVENANCE_FILE, "provenance record")):
        if not (folder / name).is_file():
            raise MissingInputError(f"not found: the previous survey's {what} is missing", path=folder / name,
                                    fix=f"{FIX}; a survey run by an older sinkmap, without it, must be run again")
    record = _record(folder / PROVENANCE_FILE)
    year = record["survey_year"]
    if year >= survey_year:
        raise InputError(f"its survey year {year} is not earlier than this survey's {survey_year}",
                         path=folder / PROVENANCE_FILE, fix=FIX)
    return PreviousSurvey(folder, year, _indicators(folder / INDICATORS_FILE), record)


def _record(path: Path) -> dict:
    """provenance.json: a JSON object with RECORD_KEYS, an integer survey year and the area's code."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"is not a JSON provenance record ({str(exc)[:80]})", path=path,
                          fix=f"{FIX}; do not edit it by hand") from None
    missing = [k for k in RECORD_KEYS if not isinstance(record, dict) or k not in record]
    if missing:
        raise SchemaError(f"lacks {', '.join(missing)}", path=path, fix=f"{FIX}; do not edit it by hand")
    year, area = record["survey_year"], record["survey_area"]
    if isinstance(year, bool) or not isinstance(year, int) or not isinstance(area, dict) or "code" not in area:
        raise SchemaError(f"survey_year {year!r} is not a year, or survey_area has no code", path=path,
                          fix=f"{FIX}; do not edit it by hand")
    return record


def _indicators(path: Path) -> pd.DataFrame:
    """indicators.csv's COLUMNS, as text but value (a number, or empty)."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SchemaError(f"cannot be read as a CSV table ({' '.join(str(exc).split())[:80]})", path=path,
                          fix=FIX) from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise SchemaError(f"lacks the columns {missing}", path=path, fix=FIX)
    table = table[list(COLUMNS)]
    value = pd.to_numeric(table["value"].str.strip().replace("", None), errors="coerce")
    bad = table.loc[value.isna() & table["value"].str.strip().ne(""), "value"]
    if len(bad):
        raise SchemaError(f"value {bad.iloc[0]!r} (row {bad.index[0] + 2}) is not a number", path=path,
                          field="value", fix="write plain decimal numbers, or run that survey again")
    return table.assign(value=value.astype(float))
