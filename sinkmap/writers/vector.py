"""Write vector layers atomically and reproducibly: GeoPackage, Shapefile, GeoParquet, GeoJSON.

The same frames give the same bytes: GeoPackage timestamps are pinned (GDAL's
``OGR_CURRENT_DATE``) and Shapefiles get a UTF-8 ``.cpg``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio

from sinkmap.catalogue import SHAPEFILE_FIELD_LENGTH
from sinkmap.errors import OutputError
from sinkmap.writers.atomic import atomic_path, check_output_dir
from sinkmap.writers.debris import owner_tag, remove_stale
from sinkmap.writers.gpkglayer import arrow_writable, write_layer
from sinkmap.writers.layerstyle import STYLES_TABLE, LayerStyle, layer_styles_table

FIXED_TIMESTAMP = "2026-01-01T00:00:00Z"  # stored as every GeoPackage's last_change
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@contextlib.contextmanager
def gdal_config(**options: str) -> Iterator[None]:
    """Set GDAL configuration options for the duration of a block, then restore them."""
    old = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def write_gpkg(layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame], path: str | Path, *,
               descriptions: Mapping[str, str] | None = None, geometry_type: str | None = None,
               styles: Mapping[str, LayerStyle] | None = None) -> Path:
    """Write several layers into one GeoPackage, atomically, with a pinned timestamp.

    A plain DataFrame becomes an attribute (non-spatial) table. ``geometry_type`` (e.g.
    "MultiPolygon") declares the layers' type instead of letting GDAL infer it. ``styles``: the default
    QGIS style of some layers, written to the ``layer_styles`` table (dated FIXED_TIMESTAMP).
    """
    descriptions = descriptions or {}
    with atomic_path(path) as tmp, gdal_config(OGR_CURRENT_DATE=FIXED_TIMESTAMP):
        for name, frame in layers.items():
            options = {"DESCRIPTION": descriptions[name]} if name in descriptions else {}
            extra = {"geometry_type": geometry_type} if geometry_type and hasattr(frame, "geometry") else {}
            if arrow_writable(frame):  # the same bytes, without a Python object per value
                write_layer(frame, tmp, layer=name, layer_options=options, **extra)
            else:
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", layer_options=options, **extra)
        if styles:
            geometry = {name: pyogrio.read_info(tmp, layer=name)["geometry_name"] for name in styles}
            pyogrio.write_dataframe(layer_styles_table(styles, geometry, updated=FIXED_TIMESTAMP), tmp,
                                    layer=STYLES_TABLE, driver="GPKG", layer_options={"FID": "id"})  # as QGIS does
    return Path(path)


def shapefile_names(columns) -> dict[str, str]:
    """Field names cut to the dBase limit; refuses names that would collide."""
    names = {c: c[:SHAPEFILE_FIELD_LENGTH] for c in columns}
    cut = list(names.values())
    clashes = sorted({n for n in cut if cut.count(n) > 1})
    if clashes:
        raise OutputError(f"field names collide when cut to {SHAPEFILE_FIELD_LENGTH} characters: {clashes}",
                          fix="rename the fields or write a GeoPackage")
    return names


def write_shapefile(frame: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write a Shapefile (UTF-8 attributes, names cut to 10 characters), all parts replaced together."""
    path = check_output_dir(path)
    frame = frame.rename(columns=shapefile_names(c for c in frame.columns if c != frame.geometry.name))
    remove_stale(path.parent, stem=path.stem)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.stem}.{owner_tag()}-", suffix=".tmp") as tmp:
        staged = Path(tmp) / path.name
        pyogrio.write_dataframe(frame, staged, driver="ESRI Shapefile", encoding="UTF-8")
        for suffix in SHAPEFILE_PARTS:
            part = staged.with_suffix(suffix)
            if part.exists():
                os.replace(part, path.with_suffix(suffix))
    return path


def write_parquet(frame: gpd.GeoDataFrame, path: str | Path, *, metadata: Mapping[str, str] | None = None) -> Path:
    """Write GeoParquet, optionally with extra key/value schema metadata beside the ``geo`` key."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
        if metadata:
            table = pq.read_table(tmp)
            merged = dict(table.schema.metadata or {})
            merged.update({k.encode(): v.encode() for k, v in metadata.items()})
            pq.write_table(table.replace_schema_metadata(merged), tmp)
    return Path(path)


def write_vector(frame: gpd.GeoDataFrame, path: str | Path, *, layer: str | None = None,
                 description: str | None = None) -> Path:
    """Write one layer, choosing the format from the file suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        name = layer or path.stem
        return write_gpkg({name: frame}, path, descriptions={name: description} if description else None)
    if suffix == ".shp":
        return write_shapefile(frame, path)
    if suffix in (".parquet", ".geoparquet"):
        return write_parquet(frame, path, metadata={"description": description} if description else None)
    if suffix in (".geojson", ".json"):
        with atomic_path(path) as tmp:
            pyogrio.write_dataframe(frame, tmp, driver="GeoJSON")
        return path
    raise OutputError(f"unsupported vector format '{suffix}'", path=path,
                      fix="use .gpkg, .shp, .parquet or .geojson")
