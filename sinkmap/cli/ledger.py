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
@click.option("--landcover", type=click.Path(dir_okay=False, path_type=Path),
              help="Land-cover raster of this year: the land cover inside the redlines.")
@click.option("--landcover-previous", type=click.Path(dir_okay=False, path_type=Path),
              help="An earlier land-cover raster, to check 性质不改变 / 功能不降低 inside the redlines.")
@click.option("--preset", default="worldcover", show_default=True, help="Class preset of the land-cover rasters.")
@click.option("--previous-preset", help="Class preset of --landcover-previous, if not --preset.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Output folder for the redline_*.csv tables.")
@click.option("--strict", is_flag=True, help=f"Exit with code {EXIT_AREA_REDUCED} when a county lost redline area.")
def ledger(redlines: Path, previous: Path | None, layer: str | None, previous_layer: str | None, gcj02: bool,
           landcover: Path | None, landcover_previous: Path | None, preset: str, previous_preset: str | None,
           out_dir: Path, strict: bool) -> None:
    """The ecological redline ledger (生态保护红线台账) per county × realm × function type; with
    --previous, the net change per county × realm (flags 面积减少 area reduced, 边界调整 boundary
    changed) and the redlines whose function type or realm changed; with --landcover, the land cover
    inside the redlines, and with --landcover-previous its change (flags 性质改变 nature changed,
    功能降低 function lowered). All tables or none."""
    from sinkmap import aoi
    from sinkmap.config import REDLINES_PREVIOUS, LayerInput
    from sinkmap.errors import InputError
    from sinkmap.indicators.redline import AREA_REDUCED
    from sinkmap.readers.raster import check_landcover
    from sinkmap.survey.compute import read_county_layer
    from sinkmap.survey.ledger import redline_tables, redline_year
    from sinkmap.writers.staging import claimed_output_folder, staged_dir
    from sinkmap.writers.tables import write_table

    with claimed_output_folder(out_dir):  # before the work, not after it; locked until the tables are in
        counties = aoi.load_counties()
        layers = {"redlines": read_county_layer(redlines, "redlines", counties, layer=layer, gcj02=gcj02)}
        if previous is not None:
            layers[REDLINES_PREVIOUS] = read_county_layer(previous, "redlines", counties, layer=previous_layer,
                                                          gcj02=gcj02)
        if landcover_previous is not None and landcover is None:
            raise InputError("--landcover-previous is given without --landcover", path=landcover_previous,
                             fix="give this year's land-cover raster too")
        rasters = [LayerInput(path, preset=name) if path else None
                   for path, name in ((landcover, preset), (landcover_previous, previous_preset or preset))]
        for item in filter(None, rasters):
            check_landcover(item.path, item.preset)
        result = redline_year(layers, None, *rasters, name=redlines.name, counties=counties)
        with staged_dir(out_dir) as stage:
            for name, table in redline_tables(result).items():
                write_table(table, stage / name)
    names = counties.set_index("adcode")["name_zh"].to_dict()
    for row in result.per_realm.to_dict("records"):
        if previous is None or row["flag"]:
            change = "" if previous is None else f" ({row['change_ha']:+,.2f} ha) {row['flag']}"
            click.echo(f"{names.get(row['county'], row['county'])} {row['county']} {row['realm']}: "
                       f"{row['area_ha']:,.2f} ha{change}")
    for row in result.cover_check.to_dict("records"):
        if row["note"]:
            click.echo(f"{names.get(row['county'], row['county'])} {row['county']} {row['realm']}: land cover inside "
                       f"the redlines not checked, {row['note']}")
        elif row["flag"]:
            click.echo(f"{names.get(row['county'], row['county'])} {row['county']} {row['realm']}: land cover inside "
                       f"the redlines: forest {row['forest_change_ha']:+,.2f} ha, cropland and built-up "
                       f"{row['human_use_change_ha']:+,.2f} ha {row['flag']}")
    if previous is not None:
        click.echo(f"{len(result.features)} redlines changed function type or realm, or were removed or added")
    click.echo(f"wrote {', '.join(redline_tables(result))} to {out_dir}")
    if strict and (result.per_realm["flag"] == AREA_REDUCED).any():
        sys.exit(EXIT_AREA_REDUCED)
