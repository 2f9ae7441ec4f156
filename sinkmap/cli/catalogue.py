"""``sinkmap catalogue``: the layer catalogue as Markdown (the docs in layers/README.md)."""

from __future__ import annotations

import click

from sinkmap.cli import cli


@cli.command()
@click.option("--markdown", is_flag=True, default=True, help="Print Markdown (the default).")
def catalogue(markdown: bool) -> None:
    """Print the input layer catalogue: fields, types, units, allowed values."""
    from sinkmap.docs import catalogue_markdown

    click.echo(catalogue_markdown(), nl=False)
