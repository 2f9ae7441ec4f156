"""Year over year: this survey's indicator rows against an earlier survey's (``--previous``).

Each row gets ``previous`` and ``change`` (``indicators.comparison.attach_previous``); what makes the two
surveys incomparable — another survey area, sinkmap version, parameter tables or CRS definitions, a
unit's land area moved by more than 0.1 %, an indicator in another unit — is a warning naming both folders,
and a line in provenance.json and in the report under the comparison.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

from sinkmap.errors import SinkmapWarning
from sinkmap.indicators.comparison import attach_previous, boundary_changes, definition_changes, unit_changes
from sinkmap.readers.previous import PreviousSurvey
from sinkmap.survey.compute import SurveyResult
from sinkmap.writers.tables import CSV_DIGITS


def compared(result: SurveyResult, previous: PreviousSurvey, record: dict, out_dir: str | Path
             ) -> tuple[SurveyResult, dict]:
    """``result`` with each indicator row's previous value and change, and ``record`` (provenance, with its
    ``previous_survey``) with the mismatches found; each mismatch is also a SinkmapWarning."""
    table, units = attach_previous(result.indicators, previous.indicators, digits=CSV_DIGITS)
    lines = [*definition_changes(previous.provenance, record),
             *boundary_changes(result.indicators, previous.indicators), *unit_changes(units)]
    for line in lines:
        warnings.warn(f"{out_dir} compared with {previous.folder}: {line}", SinkmapWarning, stacklevel=2)
    record = {**record, "previous_survey": {**record["previous_survey"], "mismatches": lines}}
    return replace(result, indicators=table), record
