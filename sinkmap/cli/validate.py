"""``sinkmap validate``: check a survey's inputs against the layer catalogue without computing."""

from __future__ import annotations

from pathlib import Path

import click

from sinkmap.cli import cli


@cli.command()
@click.argument("config_path", type=click.Path(dir_okay=False, path_type=Path))
def validate(config_path: Path) -> None:
    """Check every input of a survey configuration; exit 2 at the first problem."""
    from sinkmap import aoi
    from sinkmap.config import EARLIER_VECTORS, VECTOR_LAYERS, load_config
    from sinkmap.memory import give_back
    from sinkmap.progress import Progress
    from sinkmap.survey.compute import STAND_LAYERS, read_input_layer, read_inputs

    config = load_config(config_path)
    inputs = read_inputs(config, Progress(enabled=False), stands=False)
    inputs.close()  # the land-cover maps were opened to be checked; nothing more is read from them
    counts = {kind: len(frame) for kind, frame in inputs.layers.items()}
    for kind in STAND_LAYERS:  # one stand layer in memory at a time, as in the survey
        if kind in config.inputs:
            counts[kind] = len(read_input_layer(config, kind, aoi.load_counties()))
            give_back()
    for kind in (k for k in (*VECTOR_LAYERS, *EARLIER_VECTORS) if k in counts):
        click.echo(f"{kind}: {counts[kind]} features OK ({config.inputs[kind].path})")
    if inputs.scenario is not None:
        click.echo(f"scenario: {len(inputs.scenario)} rows OK ({config.inputs['scenario'].path})")
    if inputs.mariculture_yields is not None:
        click.echo(f"mariculture_yields: {len(inputs.mariculture_yields)} rows OK "
                   f"({config.inputs['mariculture_yields'].path})")
    for name, path in config.parameters.items():  # checked row by row when the configuration was read
        click.echo(f"parameters {name}: OK ({path})")
    for kind, landcover in inputs.landcover.items():
        click.echo(f"{kind}: OK ({landcover.path}, preset {landcover.preset})")
