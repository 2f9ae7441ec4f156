"""The survey pipeline: ``run_survey`` (one survey year from its configuration) and ``run_demo``
(the seeded SYNTHETIC Shanwei dataset, then its survey) — what ``sinkmap survey`` calls.

configuration → ``survey.compute`` (readers → indicators, no files written) → ``survey.provenance`` (what
it was made from) and, with an earlier survey, ``survey.compare`` → ``survey.outputs`` (tables, GeoPackage,
map, report, provenance.json), into an output folder claimed and locked for the whole run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from sinkmap.progress import Progress
from sinkmap.survey import compute_survey, write_outputs

DEMO_STEPS = 11  # progress steps of run_demo: generating the inputs, then the survey's 10


def run_survey(config_path: str | Path, out_dir: str | Path, progress: Progress | None = None,
               parameters: Mapping[str, str | Path] | None = None, *, previous: str | Path | None = None,
               stamp: bool = False, scheduler: str | None = None) -> list[Path]:
    """Read, compute and write one survey: the Python form of ``sinkmap survey``.

    ``parameters``: the survey's own parameter tables (``{"biomass_factors": "省清单因子.xlsx"}``, paths
    relative to the working folder), over those of the configuration's ``parameters:`` block; their rows
    replace the shipped rows with the same key. ``previous``: an earlier year's output folder (else the
    configuration's ``previous_survey:``), read and checked before the work; each indicator row gets its
    value then and the change. ``stamp``: provenance.json also holds the run's date and step timings (the
    outputs then differ from run to run). ``out_dir`` is claimed before the work
    (``claimed_output_folder``): checked, locked against a second run into it, and cleared of what runs
    that died left there. ``scheduler``: the zonal statistics run on that dask.distributed cluster
    (``tcp://HOST:8786``; one client for the whole run, connected first), or "local"; by default an active
    ``distributed.Client``, else $SINKMAP_SCHEDULER, else this machine (``zonal.cluster.use_cluster``). The
    outputs do not depend on it.
    """
    from sinkmap.zonal.cluster import use_cluster

    with use_cluster(scheduler):  # an unreachable scheduler is named before any work
        return _survey(config_path, out_dir, progress, parameters, previous, stamp)


def _survey(config_path: str | Path, out_dir: str | Path, progress: Progress | None,
            parameters: Mapping[str, str | Path] | None, previous: str | Path | None, stamp: bool) -> list[Path]:
    """``run_survey`` once its cluster (or none) is settled."""
    from sinkmap.config import load_config
    from sinkmap.readers.parameters import checked_parameters, user_paths
    from sinkmap.readers.previous import read_previous_survey
    from sinkmap.survey.compare import compared
    from sinkmap.survey.provenance import Command, survey_provenance
    from sinkmap.writers.staging import claimed_output_folder

    config = load_config(config_path)
    given = checked_parameters(user_paths(parameters, Path.cwd(), Path(config_path))) if parameters else {}
    config = replace(config, parameters={**config.parameters, **given})
    folder = Path(previous) if previous is not None else config.previous_survey
    earlier = None if folder is None else read_previous_survey(folder, config.survey_year)
    command = Command(config.source, None if previous is None else Path(previous), given, stamp)
    progress = progress or Progress(enabled=False)
    with claimed_output_folder(out_dir):
        result = compute_survey(config, progress)
        with progress.step("provenance: input checksums" + ("" if earlier is None else
                                                           f"; comparison with {earlier.survey_year}")):
            record = survey_provenance(config, command, out_dir, earlier)
            if earlier is not None:
                result, record = compared(result, earlier, record, out_dir)
        return write_outputs(result, out_dir, progress, record=record, stamp=stamp)


def run_demo(out_dir: str | Path, progress: Progress | None = None, *, previous: str | Path | None = None,
             stamp: bool = False, scheduler: str | None = None) -> list[Path]:
    """Generate the SYNTHETIC demo dataset into ``OUT/inputs`` and survey it into ``out_dir`` (the
    Python form of ``sinkmap survey --demo``); the folder stays locked from the inputs to the last output.
    ``previous``, ``stamp``, ``scheduler``: as ``run_survey``."""
    from sinkmap.demo import generate_demo
    from sinkmap.writers.staging import claimed_output_folder
    from sinkmap.zonal.cluster import use_cluster

    progress = progress or Progress(enabled=False)
    with use_cluster(scheduler), claimed_output_folder(out_dir):
        with progress.step("generating the SYNTHETIC demo dataset"):
            config_path = generate_demo(Path(out_dir) / "inputs")
        return run_survey(config_path, out_dir, progress, previous=previous, stamp=stamp)
