"""``sinkmap validate``: check a survey's inputs against the layer catalogue without computing."""

from __future__ import annotations

from pathlib import Path

import click

from sinkmap.cli import cli


@cli.command()
@click.argument("config_path", type=click.Path(dir_okay=False, path_type=Path))
def validate(config_path: Path) -> None:
    """Check every input of a survey configuration; exit 2 at the first problem."""
    from sinkmap.config import load_config
    from sinkmap.progress import Progress
    from sinkmap.survey import read_inputs

    config = load_config(config_path)
    inputs = read_inputs(config, Progress(enabled=False))
    inputs.close()  # the land-cover maps were opened to be checked; nothing more is read from them
    for kind, frame in inputs.layers.items():
        click.echo(f"{kind}: {len(frame)} features OK ({config.inputs[kind].path})")
    if inputs.scenario is not None:
        click.echo(f"scenario: {len(inputs.scenario)} rows OK ({config.inputs['scenario'].path})")
    for name, path in config.parameters.items():  # checked row by row when the configuration was read
        click.echo(f"parameters {name}: OK ({path})")
    for kind, landcover in inputs.landcover.items():
        click.echo(f"{kind}: OK ({landcover.path}, preset {landcover.preset})")
