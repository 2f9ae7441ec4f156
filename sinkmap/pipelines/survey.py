"""The survey pipeline: ``run_survey`` (one survey year from its configuration) and ``run_demo``
(the seeded SYNTHETIC Shanwei dataset, then its survey) — what ``sinkmap survey`` calls.

configuration → ``survey.compute`` (readers → indicators, no files written) → ``survey.outputs``
(tables, GeoPackage, map, report), into an output folder claimed and locked for the whole run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from sinkmap.progress import Progress
from sinkmap.survey import compute_survey, write_outputs

DEMO_STEPS = 10  # progress steps of run_demo: generating the inputs, then the survey's 9


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


def run_demo(out_dir: str | Path, progress: Progress | None = None) -> list[Path]:
    """Generate the SYNTHETIC demo dataset into ``OUT/inputs`` and survey it into ``out_dir`` (the
    Python form of ``sinkmap survey --demo``); the folder stays locked from the inputs to the last output."""
    from sinkmap.demo import generate_demo
    from sinkmap.writers.staging import claimed_output_folder

    progress = progress or Progress(enabled=False)
    with claimed_output_folder(out_dir):
        with progress.step("generating the SYNTHETIC demo dataset"):
            config_path = generate_demo(Path(out_dir) / "inputs")
        return run_survey(config_path, out_dir, progress)
