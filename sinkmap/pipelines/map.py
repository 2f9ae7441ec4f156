"""``sinkmap map``: any vector layers on one interactive, offline-capable folium map.

Readers normalise each file (CRS required, GCJ-02 converted when declared, catalogue labels and
units looked up when the layer is a known kind); the writer (``sinkmap.writers.webmap``)
presents them with escaped popups and tooltips, a layer control and a provenance footer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
from branca.element import Element

from sinkmap.catalogue import LayerSpec, load_catalogue, load_indicator_specs
from sinkmap.crs import require_crs
from sinkmap.errors import InputError, OutputError
from sinkmap.readers.gcj02_check import warn_if_gcj02
from sinkmap.readers.vector import PARQUET_SUFFIXES, choose_layer, gcj02_to_storage, read_frame
from sinkmap.units import shown_unit
from sinkmap.writers.atomic import check_output_dir, write_text_atomic
from sinkmap.writers.classify import classes_legend_html, classify
from sinkmap.writers.controls import add_controls
from sinkmap.writers.offline import make_offline
from sinkmap.writers.staging import staged_dir
from sinkmap.writers.tables import wide_column
from sinkmap.writers.tiles import (
    TILED_FROM,
    add_layer,
    is_tile_folder,
    render_map,
    sidecar_name,
    tiled_layers,
    write_tiles,
)
from sinkmap.writers.webmap import MapLayer, add_basemap, footer, set_title, stable_ids

RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".img", ".jp2"}
MAX_DEFAULT_FIELDS = 12
PALETTE = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#4e342e", "#ad1457"]
LANGS = ("zh", "en")


def _known_kind(path: Path, layer: str | None) -> LayerSpec | None:
    catalogue = load_catalogue()
    for name in (layer, path.stem):
        if name in catalogue.layers and catalogue.layers[name].kind == "vector":
            return catalogue.layers[name]
    return None


def says_synthetic(path: Path, layer: str | None = None) -> bool:
    """True when the file's own metadata labels it SYNTHETIC (sinkmap's demo data do)."""
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            meta = pq.read_schema(path).metadata or {}
            return any(b"SYNTHETIC" in v for v in meta.values())
        info = pyogrio.read_info(path, layer=layer or choose_layer(path, None, None)[0])  # the layer mapped
        return "SYNTHETIC" in str(info.get("layer_metadata") or "")
    except Exception:  # metadata is a courtesy; the layer itself was already read
        return False


def read_map_layer(path: str | Path, *, layer: str | None = None, gcj02: bool = False,
                   popup_fields: Sequence[str] | None = None, lang: str = "zh", colour: str = PALETTE[0]
                   ) -> MapLayer:
    """Read one vector file for display: in EPSG:4490 (GCJ-02 converted if declared), with labels."""
    path = Path(path)
    if path.suffix.lower() in RASTER_SUFFIXES:
        raise InputError("is a raster; `sinkmap map` shows vector layers", path=path,
                         fix="give GeoPackage, Shapefile, GeoJSON or GeoParquet layers (raster overlays: "
                             "see the survey map)")
    frame, chosen = read_frame(path, layer=layer)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if frame.empty:
        raise InputError("layer has no features with a geometry", path=path, layer=chosen,
                         fix="choose a layer with features")
    collections = frame.geom_type == "GeometryCollection"
    if collections.any():
        raise InputError(f"{int(collections.sum())} features are GeometryCollections, which a web map cannot style",
                         path=path, layer=chosen, fix="explode them into single-type features, e.g. "
                         "`ogr2ogr -explodecollections out.gpkg in.gpkg`")
    crs = require_crs(frame.crs, path=path, layer=chosen)
    if gcj02:
        frame = gcj02_to_storage(frame, path=path, layer=chosen, crs=crs)
    else:
        warn_if_gcj02(frame, name=path.name, declare="--gcj02")
    frame = frame.to_crs(4490)
    spec = _known_kind(path, chosen)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    fields = list(popup_fields) if popup_fields else columns[:MAX_DEFAULT_FIELDS]
    specs = spec.fields if spec else {}
    labels = [_label(f, specs.get(f), lang) for f in fields]
    units = {f: specs[f].unit for f in fields if f in specs and specs[f].unit}
    known = indicator_columns()
    for i, f in enumerate(fields):  # survey.gpkg's indicator columns: names and units from layers/indicators.csv
        if f in known and f not in specs:
            zh, en, unit = known[f]
            labels[i], units[f] = f"{zh if lang == 'zh' else en} ({unit})", unit
    name = (spec.zh if lang == "zh" else spec.title) if spec else (chosen or path.stem)
    style = {"color": colour, "weight": 1.5, "fillColor": colour, "fillOpacity": 0.3, "radius": 5}
    return MapLayer(frame, name, fields, labels, units, style)


@cache
def indicator_columns() -> dict[str, tuple[str, str, str]]:
    """survey.gpkg column (indicator + unit, e.g. stock_volume_wan_m3) → (中文 name, English name, unit)."""
    specs = load_indicator_specs()
    return {wide_column(i, row.unit): (row.name_zh, row.name_en, row.unit) for i, row in specs.iterrows()}


def _label(field: str, spec, lang: str) -> str:
    unit = f" ({shown_unit(spec.unit)})" if spec is not None and shown_unit(spec.unit) not in ("", "year") else ""
    if spec is not None and lang == "zh" and spec.zh:
        return f"{spec.zh} {field}{unit}"
    return f"{field}{unit}"


def layers_map(layers: Sequence[MapLayer], *, basemap: str = "osm", synthetic: bool = False,
               title: str = "sinkmap", attributions: Sequence[str] = (), tile_from: int = TILED_FROM) -> folium.Map:
    """A self-contained folium map of ``layers`` with a layer control and a provenance footer; a layer of
    more than ``tile_from`` features is tiled (``writers/tiles.py``), its tile folder written by ``write_page``."""
    if not layers:
        raise InputError("no layers to map", fix="name at least one vector file")
    west, south, east, north = gpd.GeoSeries(
        [gpd.GeoSeries(layer.frame.geometry).to_crs(4326).union_all() for layer in layers], crs=4326).total_bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=9, tiles=None,
                      control_scale=True)
    credits = add_basemap(fmap, basemap)
    for number, layer in enumerate(layers, start=1):
        add_layer(fmap, layer, f"layer{number}", tile_from=tile_from)
    folium.LayerControl(collapsed=False).add_to(fmap)
    add_controls(fmap)
    fmap.get_root().html.add_child(footer([*attributions, *credits], synthetic, None))
    set_title(fmap, title)
    fmap.fit_bounds([[south, west], [north, east]])
    return make_offline(stable_ids(fmap))


def colour_by(layers: Sequence[MapLayer], column: str, scheme: str = "quantiles", k: int = 5
              ) -> tuple[list[MapLayer], Element]:
    """Fill the layers that have numeric ``column`` by mapclassify classes; returns them and the legend."""
    values = {i: pd.to_numeric(x.frame[column], errors="coerce") for i, x in enumerate(layers)
              if column in x.frame.columns}
    if not values:
        raise InputError(f"--color-by field '{column}' is in none of the layers", fix="name a numeric field")
    if all(v.isna().all() for v in values.values()):
        raise InputError(f"--color-by field '{column}' has no numbers", fix="name a numeric field")
    classes = classify(pd.concat(values.values()), scheme=scheme, k=k)
    coloured = [replace(x, fills=[classes.colour_of(v) for v in values[i]]) if i in values else x
                for i, x in enumerate(layers)]
    first = layers[min(values)]
    label = first.labels[list(first.fields).index(column)] if column in first.fields and first.labels else column
    legend = classes_legend_html(f"{label} · {scheme}", classes, first.units.get(column, ""))
    return coloured, Element(legend)


def run_map(paths: Sequence[str | Path], out: str | Path, *, layer: str | None = None, popup_fields: Sequence[str] | None = None,
              basemap: str = "osm", lang: str = "zh", gcj02: bool = False, synthetic: bool = False,
              title: str | None = None, color_by: str | None = None, scheme: str = "quantiles", k: int = 5,
              tile_from: int = TILED_FROM) -> Path:
    """Read ``paths``, build the map and write it to ``out`` atomically (``write_page``); returns ``out``."""
    out = check_output_dir(out)
    if lang not in LANGS:
        raise InputError(f"unknown language '{lang}'", fix=f"use one of: {', '.join(LANGS)}")
    layers = [read_map_layer(p, layer=layer, gcj02=gcj02, popup_fields=popup_fields, lang=lang,
                             colour=PALETTE[i % len(PALETTE)]) for i, p in enumerate(paths)]
    if popup_fields:
        unknown = [f for f in popup_fields if not any(f in layer.frame.columns for layer in layers)]
        if unknown:
            have = sorted({c for layer in layers for c in layer.frame.columns if c != layer.frame.geometry.name})
            raise InputError(f"--popup-fields {unknown} not in any layer", fix=f"fields present: {', '.join(have)}")
    synthetic = synthetic or any(says_synthetic(Path(p), layer) for p in paths)
    legend = None
    if color_by:
        layers, legend = colour_by(layers, color_by, scheme, k)
    fmap = layers_map(layers, basemap=basemap, synthetic=synthetic, title=title or " · ".join(x.name for x in layers),
                      tile_from=tile_from)
    if legend is not None:
        fmap.get_root().html.add_child(legend)
    return write_page(fmap, out)


def write_page(fmap: folium.Map, out: Path) -> Path:
    """Write ``fmap`` to ``out`` and its tile folder beside it (``out.stem``_tiles), the two moved in
    together; returns ``out``. A tile folder an earlier map left there and this one does not need is
    removed (only one sinkmap wrote: it holds its README)."""
    folder = out.with_name(sidecar_name(out))
    tiled, ours = bool(tiled_layers(fmap)), is_tile_folder(folder)
    if tiled and folder.exists() and not ours:
        raise OutputError(f"{folder.name} beside the map is not a tile folder sinkmap wrote; the map's tiles go there",
                          path=folder, fix="move it away, or choose another -o name")
    if not tiled and not ours:
        return write_text_atomic(out, render_map(fmap, out))
    with staged_dir(out.parent, optional=[folder.name] if ours else ()) as stage:
        (stage / out.name).write_text(render_map(fmap, out), encoding="utf-8")
        if tiled:
            write_tiles(fmap, stage / folder.name, out.name)
    return out
