"""``sinkmap ledger``: the redline ledger of one redline layer, and its change since an earlier version."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sinkmap.cli import cli

EXIT_AREA_REDUCED = 1


@cli.command()
@click.argument("redlines", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--previous", "previous", type=click.Path(dir_okay=False, path_type=Path),
              help="The earlier version of the redlines, to check 面积不减少 (area not reduced).")
@click.option("--layer", help="Layer of REDLINES (for a multi-layer GeoPackage).")
@click.option("--previous-layer", help="Layer of the --previous file.")
@click.option("--gcj02", is_flag=True, help="Both files are in GCJ-02 (web-map) coordinates: convert them.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for redline_ledger.csv, redline_change.csv, redline_features_changed.csv.")
@click.option("--strict", is_flag=True, help=f"Exit with code {EXIT_AREA_REDUCED} when a county lost redline area.")
def ledger(redlines: Path, previous: Path | None, layer: str | None, previous_layer: str | None, gcj02: bool,
           out_dir: Path, strict: bool) -> None:
    """The ecological redline ledger (生态保护红线台账) per county × realm × function type; with
    --previous, the net change per county × realm (flags 面积减少 area reduced, 边界调整 boundary
    changed) and the redlines whose function type or realm changed. All three tables or none."""
    from sinkmap import aoi
    from sinkmap.config import REDLINES_PREVIOUS
    from sinkmap.indicators.redline import AREA_REDUCED
    from sinkmap.survey.compute import read_county_layer
    from sinkmap.survey.ledger import redline_tables, redline_year
    from sinkmap.writers.staging import staged_dir
    from sinkmap.writers.tables import write_table

    counties = aoi.load_counties()
    layers = {"redlines": read_county_layer(redlines, "redlines", counties, layer=layer, gcj02=gcj02)}
    if previous is not None:
        layers[REDLINES_PREVIOUS] = read_county_layer(previous, "redlines", counties, layer=previous_layer,
                                                      gcj02=gcj02)
    result = redline_year(layers, None)
    with staged_dir(out_dir) as stage:
        for name, table in redline_tables(result).items():
            write_table(table, stage / name)
    names = counties.set_index("adcode")["name_zh"].to_dict()
    for row in result.per_realm.to_dict("records"):
        if previous is None or row["flag"]:
            change = "" if previous is None else f" ({row['change_ha']:+,.2f} ha) {row['flag']}"
            click.echo(f"{names.get(row['county'], row['county'])} {row['county']} {row['realm']}: "
                       f"{row['area_ha']:,.2f} ha{change}")
    if previous is not None:
        click.echo(f"{len(result.features)} redlines changed function type or realm, or were removed or added")
    click.echo(f"wrote {', '.join(redline_tables(result))} to {out_dir}")
    if strict and (result.per_realm["flag"] == AREA_REDUCED).any():
        sys.exit(EXIT_AREA_REDUCED)
