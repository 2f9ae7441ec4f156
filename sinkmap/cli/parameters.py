"""``sinkmap parameters``: the shipped parameter tables, written out as templates for a survey's own."""

from __future__ import annotations

from pathlib import Path

import click

from sinkmap.cli import cli


@cli.group()
def parameters() -> None:
    """The parameter tables (biomass factors, blue-carbon soil factors, growth rates, forest definition)."""


@parameters.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite tables already in OUT_DIR.")
def export(out_dir: Path, force: bool) -> None:
    """Write the shipped tables to OUT_DIR (created if missing) as editable templates.

    Edit the rows to replace (or keep only those) and name the files in survey.yaml:
    `parameters: {biomass_factors: OUT_DIR/biomass_factors.csv}`.
    """
    from sinkmap.pipelines.parameters import export_tables

    for path in export_tables(out_dir, force=force):
        click.echo(f"wrote {path}")
