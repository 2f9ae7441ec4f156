"""``sinkmap carbon``: carbon stocks from a land-cover raster and an InVEST Carbon pools table."""

from __future__ import annotations

from pathlib import Path

import click

from sinkmap.cli import cli


@cli.command()
@click.argument("lulc", type=click.Path(dir_okay=False, path_type=str))  # str: keeps a URL's "//"
@click.option("--pools", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="InVEST Carbon biophysical table (CSV/XLSX): lucode, c_above, c_below, c_soil, c_dead in Mg C/ha.")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Output folder: carbon_total.tif (Mg C/ha), carbon_summary.csv (Mg C), carbon_zones.csv.")
@click.option("--zones", type=click.Path(dir_okay=False, path_type=Path), help="Polygons for per-zone totals.")
@click.option("--zone-field", help="Field naming the zones.")
@click.option("--allow-missing", is_flag=True, help="Treat land-cover codes missing from the table as nodata.")
@click.option("--area", type=click.Choice(["ground", "nominal"]), default="ground", show_default=True,
              help="Cell areas: true ground area on the ellipsoid, or the planar pixel area InVEST uses.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
def carbon(lulc: str, pools: Path, out_dir: Path, zones: Path | None, zone_field: str | None,
           allow_missing: bool, area: str, quiet: bool) -> None:
    """Carbon density map and pool totals for LULC, as InVEST's Carbon model computes them."""
    from sinkmap.pipelines.carbon import CARBON_STEPS, run_carbon
    from sinkmap.progress import Progress

    progress = Progress(enabled=not quiet, total=CARBON_STEPS - (zones is None))
    written = run_carbon(lulc, pools, out_dir, zones=zones, zone_field=zone_field, allow_missing=allow_missing,
                         area=area, progress=progress)
    if not quiet:
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}", err=True)
