"""One survey year: configuration → readers (normalise) → indicators (pure) → writers (present).

``compute.py`` reads and computes (no files written); ``outputs.py`` writes tables, map and report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from sinkmap.progress import Progress
from sinkmap.survey.compute import CITY, INDICATOR_COLUMNS, SurveyResult, compute_survey, read_inputs
from sinkmap.survey.outputs import OUTPUTS, write_outputs

__all__ = ["run_survey", "compute_survey", "read_inputs", "write_outputs", "SurveyResult", "OUTPUTS", "CITY",
           "INDICATOR_COLUMNS"]


def run_survey(config_path: str | Path, out_dir: str | Path, progress: Progress | None = None,
               parameters: Mapping[str, str | Path] | None = None) -> list[Path]:
    """Read, compute and write one survey: the Python form of ``sinkmap survey``.

    ``parameters``: the survey's own parameter tables (``{"biomass_factors": "省清单因子.xlsx"}``, paths
    relative to the working folder), over those of the configuration's ``parameters:`` block; their rows
    replace the shipped rows with the same key. ``out_dir`` is claimed before the work
    (``claimed_output_folder``): checked, locked against a second run into it, and cleared of what runs
    that died left there.
    """
    from sinkmap.config import load_config
    from sinkmap.readers.parameters import checked_parameters, user_paths
    from sinkmap.writers.staging import claimed_output_folder

    config = load_config(config_path)
    if parameters:
        given = checked_parameters(user_paths(parameters, Path.cwd(), Path(config_path)))
        config = replace(config, parameters={**config.parameters, **given})
    with claimed_output_folder(out_dir):
        result = compute_survey(config, progress)
        return write_outputs(result, out_dir, progress)
