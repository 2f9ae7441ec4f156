"""Large vector layers on an offline map: a grid summary inside the page, every feature in tile scripts beside it.

A layer of more than ``tile_from`` features (default TILED_FROM), or of more than
VERTICES_PER_FEATURE times as many vertices, would make the page too heavy to write or to open
(10^6 stands: 128 MB inline). Such a layer is drawn as a grid summary below its *show zoom* (cells
of 32 px with their features, area in ha and the share of the cell they cover, in %) and, from the
show zoom on, feature by feature from tile scripts in a folder beside the page
(``map_tiles/{layer}/{z}/{x}/{y}.js`` beside map.html; the page side is ``tiledjs.py``), each
feature with its tooltip and popup. Smaller layers are drawn inline as before
(``webmap.add_vector_layer``).

The show zoom is SHOW_BELOW_DETAIL levels above the layer's detail zoom (``compact.py``; the
median feature is then 16 px wide, a few thousand in view); tiles are one zoom coarser than that.
Tiled features are simplified each on its own (``shapely.simplify`` to half a pixel at the detail
zoom, topology kept), not as one coverage: for 10^6 stands coverage simplification takes 50 s,
and a shared border simplified twice differs by under half a pixel at the detail zoom.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from sinkmap.crs import area_m2, is_wgs84_like
from sinkmap.writers.atomic import write_text_atomic
from sinkmap.writers.compact import detail_zoom, display_step
from sinkmap.writers.format import class_labels
from sinkmap.writers.tilecut import (
    cell_area_ha,
    display_shape,
    grid_summary,
    json_text,
    tile_documents,
    tiles_of,
)
from sinkmap.writers.tiledjs import TILED_JS
from sinkmap.writers.webmap import MapLayer, add_canvas_script, add_vector_layer, display_text, legend_box

TILED_FROM = 20_000  # features: a larger layer is tiled (the demo's 16,855 stands stay inline)
VERTICES_PER_FEATURE = 50  # … as is one with more than this many vertices per feature of tile_from
SHOW_BELOW_DETAIL = 2  # zoom levels: features are shown from detail zoom − 2 (the median one 16 px wide)
CELL_ZOOMS = 3  # zoom levels: a summary cell is the tile 3 levels deeper than the map's zoom (32 px)
SUMMARY_LEVELS = 6  # grid levels in the page, the finest with at most MAX_CELLS cells
MAX_CELLS = 65_536  # non-empty cells of the finest summary level (≈ 1.5 MB of page; those in view are drawn)
DICTIONARY_MAX = 4096  # distinct values: a field with no more is sent once, in the page
DISTINCT_SAMPLE = 65_536  # values: a string field with more than DICTIONARY_MAX distinct among its first is not
SHARE_BREAKS = [0, 10, 25, 50, 75, 100]  # % of a cell's ground covered by the layer's features
SUMMARY_COLOURS = ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"]
README = "README.txt"  # in every tile folder: says what it is, and marks the folder as sinkmap's
README_TEXT = ("Tile scripts of {page}'s large layers, written by sinkmap: keep this folder beside {page}.\n"
               "The page reads them when you zoom in; it works from disk, no server or network needed.\n")


def is_large(frame: gpd.GeoDataFrame, tile_from: int = TILED_FROM) -> bool:
    """True when ``frame`` is drawn tiled: more than ``tile_from`` features, or more than
    VERTICES_PER_FEATURE × ``tile_from`` vertices."""
    if len(frame) > tile_from:
        return True
    return int(shapely.get_num_coordinates(frame.geometry.to_numpy()).sum()) > VERTICES_PER_FEATURE * tile_from


def sidecar_name(page: str | os.PathLike) -> str:
    """The tile folder beside ``page``: map.html → map_tiles."""
    return f"{Path(page).stem}_tiles"


def _display_texts(values: pd.Series, unit: str | None) -> tuple[np.ndarray, pa.Array]:
    """(code per value, escaped display text per distinct value): each distinct value is formatted once, and
    strings are escaped in Arrow (10^6 distinct stand numbers: no Python string each). Strings with more than
    DICTIONARY_MAX distinct values among their first DISTINCT_SAMPLE are not sent once in the page whatever the
    rest: they are escaped as they come, with no search for repeats (hashing 10^6 stand numbers: +250 MiB)."""
    if isinstance(values.dtype, pd.StringDtype) and len(pd.unique(values.iloc[:DISTINCT_SAMPLE])) > DICTIONARY_MAX:
        texts = escape_html(values.fillna("").reset_index(drop=True))
        return np.arange(len(texts)), pa.array(texts, type=pa.large_string())
    codes, uniques = pd.factorize(values)
    if pd.api.types.is_string_dtype(uniques) and not pd.api.types.is_object_dtype(uniques):  # str only: escape all at once
        texts = pa.array(escape_html(pd.Series(uniques)), type=pa.large_string())
    else:
        texts = pa.array([display_text(v, unit) for v in uniques], type=pa.large_string())
    if (codes < 0).any():  # missing values show as ""
        codes = np.where(codes < 0, len(texts), codes)
        texts = pa.concat_arrays([texts, pa.array([""], type=pa.large_string())])
    return codes, texts


def escape_html(texts: pd.Series) -> pd.Series:
    """``html.escape(text, quote=True)`` of each string, vectorised (a character in none is not replaced: no
    copy of 10^6 stand numbers per character)."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")):
        if texts.str.contains(char, regex=False).any():
            texts = texts.str.replace(char, entity, regex=False)
    return texts


def _columns(frame: pd.DataFrame, units: dict[str, str], fields: list[str]) -> tuple[list, list]:
    """Per field: (code per feature, display text per code, whether the texts are sent once in the page), and
    the page's dictionaries: a field's texts when it has at most DICTIONARY_MAX distinct values and each comes
    twice on average (the tiles then hold codes), else None (the tiles hold texts). Fills are texts as well."""
    columns, dicts = [], []
    for f in fields:
        codes, texts = _display_texts(frame[f], units.get(f))
        in_page = len(texts) <= min(DICTIONARY_MAX, len(frame) // 2)  # repeated values: each sent once
        if in_page:  # codes of a few thousand texts at most: uint8 or uint16, not int64
            codes = codes.astype(np.min_scalar_type(len(texts)))
        columns.append((codes, texts, in_page))
        dicts.append(texts.to_pylist() if in_page else None)
    return columns, dicts


def _deltas(values: np.ndarray) -> list[int]:
    return np.diff(np.asarray(values, dtype=np.int64), prepend=0).tolist()


def summary_spec(lon: np.ndarray, lat: np.ndarray, area_ha: np.ndarray, show_zoom: int, label: str,
                 polygons: bool, key: str) -> dict:
    """The page's grid summary of features at ``lon``/``lat`` (°) with ``area_ha``: its levels (the finest
    the tiles CELL_ZOOMS below the show zoom, coarser while it has more than MAX_CELLS cells), colour
    classes (share of the cell in % for polygons, else features per km²), legend (#sinkmap-``key``-summary)
    and tooltip."""
    finest = show_zoom - 1 + CELL_ZOOMS
    grids = {finest: grid_summary(lon, lat, area_ha, finest)}
    while len(grids[finest].x) > MAX_CELLS and finest > 0:
        finest -= 1
        grids[finest] = grid_summary(lon, lat, area_ha, finest)
    grids = {z: grids[z] if z in grids else grid_summary(lon, lat, area_ha, z)
             for z in range(max(finest - SUMMARY_LEVELS + 1, 0), finest + 1)}
    if polygons:
        values = {z: g.share for z, g in grids.items()}
        breaks, unit, what = SHARE_BREAKS, "%", "面积占格网比例 Share of the cell"
    else:
        values = {z: g.count / (cell_area_ha(g.y, z) / 100) for z, g in grids.items()}
        cuts = np.unique(np.quantile(values[finest], [0.2, 0.4, 0.6, 0.8]).round(2))
        breaks, unit, what = [0.0, *cuts[cuts > 0].tolist(), float(values[finest].max())], "/km²", "密度 Density"
    colours = SUMMARY_COLOURS[-(len(breaks) - 1):]
    legend = legend_box(f"{label} · 格网汇总 Grid summary: {what}", list(zip(colours, class_labels(breaks, unit))),
                        element_id=f"sinkmap-{key}-summary", position=None)
    legend = f"{legend[:-len('</div>')]}<div>放大至 {show_zoom} 级显示每个图斑 Zoom to {show_zoom} for each feature</div></div>"
    area = "<br>面积 Area: {a} ha" if polygons else ""
    tooltip = f"<b>{label}</b><br>图斑 Features: {{n}}{area}<br>{what}: {{v}} {unit}"
    return {"cellZoom": CELL_ZOOMS, "breaks": list(breaks), "colours": colours, "legend": legend, "tooltip": tooltip,
            "levels": [{"z": z, "x": _deltas(g.x), "y": _deltas(g.y), "n": g.count.tolist(),
                        "a": np.round(g.area_ha, 2).tolist(), "v": np.round(values[z], 1).tolist()}
                       for z, g in grids.items()]}


class TiledLayer(folium.map.Layer):
    """A large layer on the page: the grid summary and tile index inline, its features in tile scripts.

    Build it with ``tiled_layer``; ``render_map`` names its tile folder, ``write_tiles`` writes it."""

    _template = Template("{% macro script(this, kwargs) %}"
                         "var {{ this.get_name() }} = sinkmapTiledLayer({{ this.spec_json() }});"
                         "{% endmacro %}")

    def __init__(self, key: str, name: str, spec: dict, shape, pairs, columns, show: bool = True):
        super().__init__(name=name, overlay=True, show=show)
        self._name = "TiledLayer"
        self.key, self.spec, self.shape, self.pairs, self.columns = key, spec, shape, pairs, columns
        self.folder = "map_tiles"

    def spec_json(self) -> str:
        """The page's part, as JSON safe inside <script> (no <, >, & unescaped)."""
        return json_text({**self.spec, "key": self.key, "folder": self.folder}, script=True)

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if isinstance(figure, Figure):
            add_canvas_script(figure)  # the summary and the features are drawn on the page's shared canvas
            figure.header.add_child(Element(f"<script>{TILED_JS}</script>"), name="sinkmap_tiled")
        super().render(**kwargs)

    def write(self, folder: Path) -> int:
        """Write this layer's tile scripts under ``folder``/key/zoom/; returns how many."""
        zoom = self.spec["tileZoom"]
        count = 0
        made = set()
        for x, y, doc in tile_documents(self.shape, *self.pairs, self.columns):
            column = folder / self.key / str(zoom) / str(x)
            if x not in made:
                column.mkdir(parents=True, exist_ok=True)
                made.add(x)
            (column / f"{y}.js").write_text(f'sinkmapTile("{self.key}",{x},{y},{doc});\n', encoding="utf-8")
            count += 1
        return count


def _to_4326(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """``geoms`` in EPSG:4326; CGCS2000 and WGS 84 are relabelled, not transformed (as ``crs.to_storage_crs``)."""
    if is_wgs84_like(geoms.crs):
        return geoms.set_crs(4326, allow_override=True)
    return geoms.to_crs(4326)


def _kept(layer: MapLayer) -> gpd.GeoDataFrame:
    """``layer``'s popup fields and geometry, without its missing and empty geometries, and its fills as ``_fill``.

    Columns are shared with ``layer.frame`` (copy on write), copied only when a geometry is left out."""
    frame = layer.frame
    keep = ~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()
    frame = frame[list(dict.fromkeys([*(f for f in layer.fields if f in frame.columns), frame.geometry.name]))]
    if not keep.all():
        frame = frame[keep]
    frame = frame.reset_index(drop=True)
    if layer.fills is not None:
        frame = frame.assign(_fill=np.asarray(list(layer.fills), dtype=object)[keep])
    return frame


def tiled_layer(layer: MapLayer, key: str, *, popup: bool = True) -> TiledLayer:
    """``layer`` as a TiledLayer under the name ``key`` (a folder name: letters, digits, _ and -)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", key):
        raise ValueError(f"tile layer key {key!r}: letters, digits, _ and - only")
    frame = _kept(layer)
    shown = _to_4326(frame.geometry)
    zoom = detail_zoom(shown) if layer.zoom is None else layer.zoom
    step = display_step(shown, zoom)
    shape, origin, bounds, centres = display_shape(shown.to_numpy(), 2 * step, step)
    del shown  # a reprojected copy (a layer not in WGS 84 or CGCS2000) is not kept
    show_zoom = max(zoom - SHOW_BELOW_DETAIL, 1)
    tile_zoom = show_zoom - 1
    pairs = tiles_of(bounds, tile_zoom)
    del bounds
    fields = [f for f in layer.fields if f in frame.columns] + (["_fill"] if layer.fills is not None else [])
    labels = dict(zip(layer.fields, layer.labels or layer.fields))
    columns, dicts = _columns(frame, layer.units, fields)
    area_ha = area_m2(frame.geometry) / 1e4 if shape.kind >= 4 else np.zeros(len(frame))
    _, tx, ty = pairs
    first = np.r_[True, (tx[1:] != tx[:-1]) | (ty[1:] != ty[:-1])]  # pairs come by tile
    tiles = np.stack([tx[first], ty[first]], axis=1)
    spec = {"kind": shape.kind, "origin": list(origin), "step": step, "detailZoom": zoom,
            "showZoom": show_zoom, "tileZoom": tile_zoom, "fields": fields,
            "labels": [display_text(labels.get(f, f)) for f in fields if f != "_fill"], "dicts": dicts,
            "style": layer.style if layer.fills is None else {**layer.style, "fillOpacity": 0.75},
            "fill": fields.index("_fill") if "_fill" in fields else -1, "popup": popup and bool(layer.fields),
            "tiles": np.diff(tiles, axis=0, prepend=0).ravel().tolist(),
            "summary": summary_spec(centres[:, 0], centres[:, 1], area_ha, show_zoom,
                                    display_text(layer.name), shape.kind >= 4, key)}
    return TiledLayer(key, display_text(layer.name), spec, shape, pairs, columns, show=layer.show)


def add_layer(fmap: folium.Map, layer: MapLayer, key: str, *, tile_from: int = TILED_FROM) -> MacroElement:
    """Add ``layer`` to ``fmap``: inline (``add_vector_layer``), or tiled as ``key`` when ``is_large``."""
    if not is_large(layer.frame, tile_from):
        return add_vector_layer(fmap, layer)
    try:
        tiled = tiled_layer(layer, key)
    except ValueError:  # points, lines and polygons mixed: no one ragged array; inline as before
        return add_vector_layer(fmap, layer)
    tiled.add_to(fmap)
    return tiled


def tiled_layers(fmap: folium.Map) -> list[TiledLayer]:
    """The tiled layers of ``fmap``, in page order."""
    return [child for child in fmap._children.values() if isinstance(child, TiledLayer)]


def render_map(fmap: folium.Map, page: str | os.PathLike) -> str:
    """``fmap``'s HTML for a page written as ``page``: its tiled layers read the folder beside it."""
    for layer in tiled_layers(fmap):
        layer.folder = sidecar_name(page)
    return fmap.get_root().render()


def write_tiles(fmap: folium.Map, folder: Path, page: str) -> int:
    """Write the tile scripts of ``fmap``'s tiled layers into ``folder`` (created), with its README;
    returns how many."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / README).write_text(README_TEXT.format(page=page), encoding="utf-8")
    return sum(layer.write(folder) for layer in tiled_layers(fmap))


def write_map(fmap: folium.Map, page: str | os.PathLike) -> list[Path]:
    """Write ``fmap`` to ``page`` (atomically) and, when it has tiled layers, their tile folder beside
    it; returns the paths written. For a fresh folder, such as a staging folder: a tile folder
    already there is added to, not replaced."""
    page = Path(page)
    write_text_atomic(page, render_map(fmap, page))
    if not tiled_layers(fmap):
        return [page]
    folder = page.with_name(sidecar_name(page))
    write_tiles(fmap, folder, page.name)
    return [page, folder]


def is_tile_folder(folder: Path) -> bool:
    """True when ``folder`` is a tile folder sinkmap wrote (it holds the README)."""
    return (folder / README).is_file()


def remove_tile_folder(folder: Path) -> None:
    """Remove ``folder`` when it is a tile folder sinkmap wrote; anything else is left alone."""
    if folder.is_dir() and is_tile_folder(folder):
        shutil.rmtree(folder)

