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
@click.option("--tolerance", "tolerance_ha", type=float, default=0.01, show_default=True,
              help="Area change (ha) below which a county or a redline is not flagged.")
@click.option("--strict", is_flag=True, help=f"Exit with code {EXIT_AREA_REDUCED} when a county lost redline area.")
def ledger(redlines: Path, previous: Path | None, layer: str | None, previous_layer: str | None, gcj02: bool,
           landcover: Path | None, landcover_previous: Path | None, preset: str, previous_preset: str | None,
           out_dir: Path, tolerance_ha: float, strict: bool) -> None:
    """The ecological redline ledger (生态保护红线台账) per county × realm × function type; with
    --previous, the net change per county × realm (flags 面积减少 area reduced, 边界调整 boundary
    changed) and, redline by redline, the redlines that shrank, grew, moved, changed function type or
    realm, were removed or added; with --landcover, the land cover inside the redlines, and with
    --landcover-previous its change per county and per redline (flags 性质改变 nature changed,
    功能降低 function lowered). redline_checks.csv holds one row per redline with all its findings.
    All tables or none."""
    from sinkmap import aoi
    from sinkmap.indicators.redline import AREA_REDUCED
    from sinkmap.pipelines.ledger import run_ledger

    tables = run_ledger(redlines, out_dir=out_dir, previous=previous, landcover=landcover,
                        landcover_previous=landcover_previous, layer=layer, previous_layer=previous_layer,
                        gcj02=gcj02, preset=preset, previous_preset=previous_preset, tolerance_ha=tolerance_ha)
    names = aoi.load_counties().set_index("adcode")["name_zh"].to_dict()
    unit = lambda row: f"{names.get(row['county'], row['county'])} {row['county']} {row['realm']}"  # noqa: E731
    per_realm = tables["redline_change.csv"]
    for row in per_realm.to_dict("records"):
        if previous is None or row["flag"]:
            change = "" if previous is None else f" ({row['change_ha']:+,.2f} ha) {row['flag']}"
            click.echo(f"{unit(row)}: {row['area_ha']:,.2f} ha{change}")
    for row in tables["redline_landcover_check.csv"].to_dict("records"):
        where = f"redline {row['redline_id']}" if row["redline_id"] else "the redlines"
        if row["note"]:
            click.echo(f"{unit(row)}: land cover inside {where} not checked, {row['note']}")
        elif row["flag"]:
            click.echo(f"{unit(row)}: land cover inside {where}: forest {row['forest_change_ha']:+,.2f} ha, "
                       f"cropland and built-up {row['human_use_change_ha']:+,.2f} ha {row['flag']}")
    if previous is not None:
        features = tables["redline_features_changed.csv"]
        click.echo(f"{features['redline_id'].nunique()} redlines changed (shrank, grew, moved, changed function type "
                   "or realm, were removed or added):")
        for row in features.to_dict("records"):
            areas = "  ".join(f"{label} {row[column]:,.3f} ha" for label, column in
                              (("before", "area_before_ha"), ("after", "area_after_ha"), ("change", "area_change_ha"))
                              if row[column] == row[column])  # NaN: the redline is not in that version
            click.echo(f"{row['redline_id']} ({names.get(row['county'], row['county'])}): {row['change']}  {areas}")
    click.echo(f"wrote {', '.join(tables)} to {out_dir}")
    if strict and (per_realm["flag"] == AREA_REDUCED).any():
        sys.exit(EXIT_AREA_REDUCED)
