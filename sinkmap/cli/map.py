"""``sinkmap map``: vector layers on one interactive map (folium), offline-capable."""

from __future__ import annotations

from pathlib import Path

import click

from sinkmap.cli import cli
from sinkmap.writers.classify import SCHEMES
from sinkmap.writers.tiles import TILED_FROM
from sinkmap.writers.webmap import BASEMAPS, TIANDITU_KEY_VAR


@cli.command(name="map")
@click.argument("layers", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "-o", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML file to write (atomically).")
@click.option("--layer", help="Layer to read from multi-layer files (default: the only one with geometries).")
@click.option("--popup-fields", help="Comma-separated fields shown in popups and tooltips (default: all, up to 12).")
@click.option("--basemap", type=click.Choice(BASEMAPS), default="osm", show_default=True,
              help=f"osm or tianditu (online; Tianditu needs {TIANDITU_KEY_VAR}), or none (works with no network).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Labels of layers and fields.")
@click.option("--gcj02", is_flag=True, help="The layers' coordinates are GCJ-02 (web-map offset): convert them.")
@click.option("--synthetic", is_flag=True, help="Label the map SYNTHETIC (automatic for sinkmap demo files).")
@click.option("--title", help="Page title (default: the layer names).")
@click.option("--color-by", help="Fill polygons by classes of this numeric field (mapclassify).")
@click.option("--scheme", type=click.Choice(sorted(SCHEMES)), default="quantiles", show_default=True,
              help="Classification for --color-by.")
@click.option("-k", "k", type=click.IntRange(1, 9), default=5, show_default=True, help="Number of classes.")
@click.option("--tile-from", type=click.IntRange(1), default=TILED_FROM, show_default=True, metavar="FEATURES",
              help="A layer with more features is drawn as a grid summary, each feature on zoom-in from tile "
                   "scripts in OUT's folder STEM_tiles/ (keep it beside the page).")
def map_command(layers: tuple[Path, ...], out: Path, layer: str | None, popup_fields: str | None, basemap: str, lang: str,
                gcj02: bool, synthetic: bool, title: str | None, color_by: str | None, scheme: str, k: int,
                tile_from: int) -> None:
    """Show LAYERS (GeoPackage, Shapefile, GeoJSON, GeoParquet) on one map with popups and a layer control."""
    from sinkmap.pipelines.map import run_map

    fields = [f.strip() for f in popup_fields.split(",") if f.strip()] if popup_fields else None
    written = run_map(layers, out, layer=layer, popup_fields=fields, basemap=basemap, lang=lang, gcj02=gcj02,
                        synthetic=synthetic, title=title, color_by=color_by, scheme=scheme, k=k, tile_from=tile_from)
    click.echo(f"wrote {written}", err=True)
