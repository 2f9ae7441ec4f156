"""``sinkmap zonal``: zonal statistics of a raster over polygons, written as a table."""

from __future__ import annotations

from pathlib import Path

import click

from sinkmap.cli import SCHEDULER_HELP, cli


@cli.command()
@click.argument("raster", type=click.Path(path_type=str))  # str: a /vsicurl/ or https:// path keeps its "//"
@click.argument("zones", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--categorical", is_flag=True, help="One row per zone and class: pixels and area_ha.")
@click.option("--coverage", type=click.Choice(["center", "all_touched", "fraction"]), default="center",
              show_default=True, help="Which cells count: centre inside, all touched, or exact covered fraction.")
@click.option("--zone-field", help="Field naming the zones (default: row number as 'zone').")
@click.option("--layer", help="Layer of a multi-layer zones file.")
@click.option("--band", type=int, default=1, show_default=True, help="Raster band.")
@click.option("--area", type=click.Choice(["ground", "nominal"]), default="ground", show_default=True,
              help="Cell areas: true ground area on the ellipsoid, or the grid's planar pixel area "
                   "(as exactextract, QGIS and InVEST).")
@click.option("--stats", default="count,sum,mean,min,max", show_default=True,
              help="Continuous statistics, comma-separated.")
@click.option("--class-names", "preset", help="Add class_name (中文 and English) from a preset, e.g. worldcover, clcd.")
@click.option("--out", "-o", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output table: .csv, .parquet or .xlsx (its folder must exist).")
@click.option("--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP)
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
def zonal(raster: str, zones: Path, categorical: bool, coverage: str, zone_field: str | None, layer: str | None,
          band: int, area: str, stats: str, preset: str | None, out: Path, scheduler: str | None, quiet: bool) -> None:
    """Statistics of RASTER inside each polygon of ZONES (areas in hectares, true ground area by default).

    RASTER is a GeoTIFF, a .vrt or any GDAL raster, or tiles read as one raster: a folder of GeoTIFFs or a
    quoted glob pattern ("tiles/*.tif")."""
    from sinkmap.pipelines.zonal import run_zonal
    from sinkmap.progress import Progress

    progress = Progress(enabled=not quiet)
    # lazy: the line appears once tasks are shown (after 2 s), so that a refused input stays one line
    with progress.step("zonal statistics", lazy=True):
        rows = run_zonal(raster, zones, out, categorical=categorical, coverage=coverage, zone_field=zone_field,
                          layer=layer, band=band, area=area, class_names=preset, progress=progress.tasks,
                          scheduler=scheduler,
                          stats=[s.strip() for s in stats.split(",") if s.strip()])
    if not quiet:
        click.echo(f"wrote {rows:,} rows to {out}", err=True)
