"""``sinkmap survey``: one survey year from a configuration file, or the synthetic demo."""

from __future__ import annotations

from pathlib import Path

import click

from sinkmap.cli import SCHEDULER_HELP, cli
from sinkmap.errors import InputError
from sinkmap.progress import Progress


@cli.command()
@click.option("--config", "-c", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Survey configuration (YAML): survey_year, landcover, stands, mangroves, shelterbelts, redlines, "
                   "coastal_habitats, mariculture, mariculture_yields.")
@click.option("--demo", is_flag=True, help="Generate the seeded SYNTHETIC Shanwei dataset into OUT/inputs and survey it.")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Output folder (created if missing): indicators.csv, survey.gpkg, map.html, report.html, report.pdf, "
                   "provenance.json.")
@click.option("--previous", "previous", type=click.Path(path_type=Path),
              help="Output folder of an earlier year's survey (its indicators.csv and provenance.json): each "
                   "indicator row gets its value then (previous) and the change; overrides survey.yaml's "
                   "previous_survey.")
@click.option("--stamp", is_flag=True, help="Write the run's date and step timings into provenance.json (the "
                                            "outputs then differ from run to run).")
@click.option("--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP + " The rest of the survey runs here.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
def survey(config_path: Path | None, demo: bool, out_dir: Path, previous: Path | None, stamp: bool,
           scheduler: str | None, quiet: bool) -> None:
    """Compute the survey indicators against the plan targets and write tables, map, report and provenance."""
    from sinkmap.pipelines.survey import DEMO_STEPS, run_demo, run_survey

    if demo == (config_path is not None):
        raise InputError("give exactly one of --config FILE or --demo", fix="see `sinkmap survey --help`")
    progress = Progress(enabled=not quiet, total=DEMO_STEPS if demo else DEMO_STEPS - 1)
    if demo:
        written = run_demo(out_dir, progress, previous=previous, stamp=stamp, scheduler=scheduler)
    else:
        written = run_survey(config_path, out_dir, progress, previous=previous, stamp=stamp, scheduler=scheduler)
    if not quiet:
        click.echo(f"wrote {', '.join(path.name for path in written)} to {out_dir}", err=True)
