"""One survey year: configuration → readers (normalise) → indicators (pure) → writers (present).

``compute.py`` reads and computes (no files written); ``outputs.py`` writes tables, map and report;
``sinkmap.pipelines.survey.run_survey`` runs both into a claimed output folder.
"""

from __future__ import annotations

from sinkmap.survey.compute import CITY, INDICATOR_COLUMNS, SurveyResult, compute_survey, read_inputs
from sinkmap.survey.outputs import OUTPUTS, write_outputs

__all__ = ["compute_survey", "read_inputs", "write_outputs", "SurveyResult", "OUTPUTS", "CITY",
           "INDICATOR_COLUMNS"]
