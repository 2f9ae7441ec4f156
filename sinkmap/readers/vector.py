"""Read a user's vector layer, check it against its catalogue spec, normalise it.

Everything a layer goes through before any computation: the file opens, the layer is
chosen, it has rows, a CRS and polygon geometries, its fields match the spec; GCJ-02 input
is converted when declared; the result is in CGCS2000 (EPSG:4490). The file is never modified.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely

from sinkmap.catalogue import MAX_LISTED, LayerSpec, load_catalogue
from sinkmap.crs import AREA_CRS, area_m2, check_coordinates, is_wgs84_like, require_crs, to_storage_crs
from sinkmap.errors import CRSError, InputError, MissingInputError, SchemaError, SinkmapWarning
from sinkmap.mappings import ValueMap, read_mappings, shipped_mappings
from sinkmap.readers import ALL_LAYERS
from sinkmap.readers.encoding import BYTES, recoded, shapefile_encoding
from sinkmap.readers.gcj02_check import warn_if_gcj02
from sinkmap.validation import validate_frame

PARQUET_SUFFIXES = (".parquet", ".geoparquet")
SOURCE_LAYER = "source_layer"  # column of a multi-layer read_layer: the layer each feature came from
_POLYGONAL = {"Polygon", "MultiPolygon"}


def choose_layer(path: Path, layer: str | None, preferred: str | None) -> tuple[str | None, bool]:
    """The layer to read (the one asked for, the only one, the one named like the kind, or the only
    one with geometries), and whether messages should name it (not for a single-layer file)."""
    listed = pyogrio.list_layers(path)
    names = [str(n) for n, _ in listed]
    if layer is not None:
        if layer not in names:
            raise InputError(f"has no layer '{layer}'", path=path, fix=f"layers in this file: {', '.join(names)}")
        return layer, True
    if len(names) <= 1:
        return (names[0] if names else None), False
    if preferred in names:
        return preferred, True
    spatial = [str(n) for n, geometry_type in listed if geometry_type is not None]
    if len(spatial) == 1:  # the others are plain tables (e.g. survey.gpkg's class_areas)
        return spatial[0], True
    raise InputError(
        f"has {len(names)} layers ({', '.join(names)})", path=path, fix="say which one to read (layer: / --layer)"
    )


READ_PART = 100_000  # features a GDAL format is read at a time: a whole read's buffers (each text value a Python
# string, each geometry a WKB copy) took 1.26 GB beside 10⁶ stands; parts take 0.6 GB, and the time falls 9 → 6 s


def read_frame(path: str | Path, *, layer: str | None = None, preferred_layer: str | None = None,
               encoding: str | None = None, rows: tuple[int, int] | None = None) -> tuple[gpd.GeoDataFrame, str | None]:
    """Open any vector file (GeoPackage, Shapefile, GeoJSON, GeoParquet …) as a GeoDataFrame.

    ``encoding``: the text encoding of the attributes; for a Shapefile it is checked against the .dbf,
    and without it the .cpg's, UTF-8 or GB18030 is used (``readers.encoding.shapefile_encoding``).
    ``rows``: (start, stop), only those features (in file order; not for GeoParquet: ``read_parts``). A GDAL
    format with more than READ_PART features is read READ_PART at a time (the same frame). Returns the frame
    and the layer name to show in messages (None for a single-layer file).
    """
    path = Path(path)
    with _readable(path):
        if path.suffix.lower() in PARQUET_SUFFIXES:
            if encoding:
                raise InputError(f"is GeoParquet, always UTF-8; an encoding ({encoding}) cannot apply", path=path,
                                 fix="drop `encoding:` for this layer")
            return gpd.read_parquet(path), None
        chosen, named = choose_layer(path, layer, preferred_layer)
        shown = chosen if named else None
        if rows is None:
            text = BYTES if path.suffix.lower() == ".shp" else encoding  # names undecoded: the count only
            count = int(pyogrio.read_info(path, layer=chosen, encoding=text)["features"])  # -1: unknown without a scan
            if count > READ_PART:
                parts = [_read_gdal(path, chosen, encoding, (start, min(start + READ_PART, count)))
                         for start in range(0, count, READ_PART)]
                return joined_parts(parts), shown
        return _read_gdal(path, chosen, encoding, rows), shown


def _read_gdal(path: Path, layer: str | None, encoding: str | None, rows: tuple[int, int] | None
               ) -> gpd.GeoDataFrame:
    """Features ``rows`` (all: None) of a GDAL format's layer, attributes decoded (``read_frame``)."""
    part = {} if rows is None else {"skip_features": rows[0], "max_features": rows[1] - rows[0]}
    if path.suffix.lower() == ".shp":
        text = shapefile_encoding(path, encoding)
        return recoded(gpd.read_file(path, layer=layer, engine="pyogrio", encoding=BYTES, **part), text)
    return gpd.read_file(path, layer=layer, engine="pyogrio", encoding=encoding, **part)


def joined_parts(parts: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Parts read from one layer as the frame one read gives: a GDAL integer or boolean field with an empty
    value anywhere is read as float (NaN), so a field that is float in some parts is float in all."""
    floated = {column for column in parts[0].columns
               if any(p[column].dtype == "float64" for p in parts) and any(p[column].dtype != "float64" for p in parts)}
    if floated:
        parts = [p.astype(dict.fromkeys(floated, "float64")) for p in parts]
    return pd.concat(parts, ignore_index=True)


def feature_count(path: str | Path, *, layer: str | None = None) -> int:
    """Number of features of a vector file's layer (chosen as ``read_frame`` does), without reading them."""
    path = Path(path)
    with _readable(path):
        if path.suffix.lower() in PARQUET_SUFFIXES:
            return pq.ParquetFile(path).metadata.num_rows
        chosen, _ = choose_layer(path, layer, None)
        return int(pyogrio.read_info(path, layer=chosen, force_feature_count=True)["features"])


def read_parts(path: str | Path, size: int, *, layer: str | None = None
               ) -> Iterator[tuple[gpd.GeoDataFrame, str | None]]:
    """The features of a vector file's layer (chosen as ``read_frame`` does), ``size`` at a time, in file
    order, each part with the layer name to show (as ``read_frame``): GeoParquet streamed batch by batch
    (each row group read once), other formats by feature ranges."""
    path = Path(path)
    if path.suffix.lower() not in PARQUET_SUFFIXES:
        count = feature_count(path, layer=layer)
        for start in range(0, count, size):
            yield read_frame(path, layer=layer, rows=(start, min(start + size, count)))
        return
    from geopandas.io.arrow import _arrow_to_geopandas

    with _readable(path):
        parquet = pq.ParquetFile(path, pre_buffer=False)
        batches = parquet.iter_batches(batch_size=size)
    while True:
        with _readable(path):
            batch = next(batches, None)
            frame = None if batch is None else _arrow_to_geopandas(pa.Table.from_batches([batch],
                                                                                         schema=parquet.schema_arrow))
        if frame is None:
            return
        yield frame, None


@contextlib.contextmanager
def _readable(path: Path) -> Iterator[None]:
    """A missing file, or one GDAL/Arrow cannot read, as one InputError naming it."""
    if not path.exists():
        raise MissingInputError("file not found", path=path, fix="check the path")
    try:
        yield
    except InputError:
        raise
    except Exception as exc:  # GDAL/Arrow errors: corrupt or unsupported file
        detail = " ".join(str(exc).split())[:200]
        raise InputError(
            f"cannot be read as a vector layer ({detail})", path=path,
            fix="check that it is a GeoPackage, Shapefile, GeoJSON or GeoParquet file",
        ) from None


def check_polygons(frame: gpd.GeoDataFrame, *, path, layer: str | None, id_field: str | None
                   ) -> gpd.GeoDataFrame:
    """Refuse null/non-polygon geometries; repair invalid polygons with a warning."""
    ids = frame[id_field] if id_field in frame.columns else frame.index.to_series()
    geoms = frame.geometry
    empty = geoms.isna() | geoms.is_empty
    if empty.any():
        shown = ", ".join(map(str, ids[empty][:5]))
        raise SchemaError(f"{int(empty.sum())} features have no geometry ({shown})", path=path, layer=layer,
                          fix="delete them or draw their geometry")
    types = set(geoms.geom_type)
    if not types <= _POLYGONAL:
        raise SchemaError(
            f"geometries must be polygons, found {', '.join(sorted(types - _POLYGONAL))}", path=path, layer=layer,
            fix="buffer lines/points to polygons or pick a polygon layer",
        )
    invalid = ~geoms.is_valid
    if invalid.any():
        shown = ", ".join(map(str, ids[invalid][:5]))
        warnings.warn(
            f"{path}{':' + layer if layer else ''}: repaired {int(invalid.sum())} invalid polygons ({shown}) "
            "with shapely.make_valid; fix them at the source to silence this",
            SinkmapWarning, stacklevel=2,
        )
        frame = frame.copy()  # keep only the areal parts of the repaired collections
        frame.loc[invalid, frame.geometry.name] = polygon_parts(shapely.make_valid(geoms[invalid].to_numpy()))
    return frame


def polygon_parts(geoms: np.ndarray) -> np.ndarray:
    """Each geometry's areal parts only: an intersection or a repair can leave lines and points beside
    its polygons (a GeometryCollection). Polygons and empties pass as they are."""
    mixed = ~np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)  # 3 Polygon, 6 MultiPolygon
    out = np.array(geoms, dtype=object)
    out[mixed] = [shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type in _POLYGONAL])
                  for g in geoms[mixed]]
    return out


def layer_names(path: str | Path, layer: str | tuple[str, ...] | None) -> list[str | None]:
    """The layers ``layer`` asks for: itself, the names of a tuple, or for ALL_LAYERS every layer with
    geometries (none named when the file has only one: the reader picks it)."""
    if isinstance(layer, tuple):
        return list(layer)
    if layer != ALL_LAYERS:
        return [layer]
    if Path(path).suffix.lower() in PARQUET_SUFFIXES:
        return [None]
    spatial = [str(name) for name, geometry_type in pyogrio.list_layers(path) if geometry_type is not None]
    return spatial if len(spatial) > 1 else [None]


def read_layer(path: str | Path, kind: str, *, layer: str | tuple[str, ...] | None = None, gcj02: bool = False,
               encoding: str | None = None, mappings: str | Path | None = None) -> gpd.GeoDataFrame:
    """Read a vector layer of catalogue kind ``kind`` (stands, mangroves, …), checked and in EPSG:4490.

    Parameters
    ----------
    path : GeoPackage, Shapefile, GeoJSON or GeoParquet file.
    kind : catalogue layer name.
    layer : layer inside a multi-layer file; by default the only one, or the one named ``kind``. A tuple
        of names, or ALL_LAYERS (every layer with geometries), reads them as one layer: each is checked
        on its own, and the id field must be unique across them.
    gcj02 : the coordinates are GCJ-02 web-map coordinates (labelled WGS 84); convert them.
    encoding : text encoding of the attributes (a Shapefile's .dbf); see ``read_frame``.
    mappings : CSV of ``field, value, code`` rows mapping the file's values to catalogue codes, used before
        the shipped tables of ``layers/mappings``.
    """
    spec: LayerSpec = load_catalogue().layer(kind)
    values = shipped_mappings() if mappings is None else read_mappings(mappings, spec)
    names = layer_names(path, layer)
    frames = [_read_one(path, spec, name, gcj02=gcj02, encoding=encoding, mappings=values) for name in names]
    if len(frames) == 1:
        return frames[0]
    return _joined([f.assign(**{SOURCE_LAYER: name}) for f, name in zip(frames, names)], spec, path)


def _read_one(path: str | Path, spec: LayerSpec, layer: str | None, *, gcj02: bool, encoding: str | None,
              mappings: ValueMap) -> gpd.GeoDataFrame:
    """One layer of ``read_layer``."""
    frame, chosen = read_frame(path, layer=layer, preferred_layer=spec.name, encoding=encoding)
    if frame.empty:
        raise InputError("layer has no features", path=path, layer=chosen, fix=f"supply a non-empty {spec.title} layer")
    crs = require_crs(frame.crs, path=path, layer=chosen)
    frame = validate_frame(frame, spec, path=path, layer=chosen, mappings=mappings)
    return polygons_in_storage_crs(frame, crs, path=path, layer=chosen, id_field=spec.id_field, gcj02=gcj02,
                                   declare="`gcj02: true` for the layer in the survey configuration, or --gcj02")


def polygons_in_storage_crs(frame: gpd.GeoDataFrame, crs, *, path, layer: str | None, id_field: str | None,
                            gcj02: bool, declare: str) -> gpd.GeoDataFrame:
    """A polygon layer read from ``path`` in its own ``crs``, checked and in EPSG:4490: polygons only
    (invalid ones repaired), coordinates that can be in ``crs``, GCJ-02 converted when declared (else a
    warning when it looks like GCJ-02, saying how to ``declare`` it)."""
    frame = check_polygons(frame, path=path, layer=layer, id_field=id_field)
    check_coordinates(frame.total_bounds, crs, path=path, layer=layer, area_of_use=True)
    if gcj02:
        frame = gcj02_to_storage(frame, path=path, layer=layer, crs=crs)
    else:
        warn_if_gcj02(frame, name=f"{Path(path).name}" + (f" (layer {layer})" if layer else ""), declare=declare)
    return to_storage_crs(frame)


def _joined(frames: list[gpd.GeoDataFrame], spec: LayerSpec, path: str | Path) -> gpd.GeoDataFrame:
    """Checked layers (with SOURCE_LAYER) as one, the id field unique across them, each field's type kept."""
    dtypes = {c: f[c].dtype for f in reversed(frames) for c in f.columns if c in spec.fields}
    joined = pd.concat(frames, ignore_index=True).astype(dtypes)
    id_field = spec.id_field
    repeated = joined[joined[id_field].duplicated(keep=False)] if id_field else joined.iloc[:0]
    if len(repeated):
        where = repeated.groupby(id_field, sort=False)[SOURCE_LAYER].agg(lambda n: ", ".join(dict.fromkeys(n)))
        shown = "; ".join(f"{i!r} in {layers}" for i, layers in where.iloc[:MAX_LISTED].items())
        more = f" and {len(where) - MAX_LISTED} more" if len(where) > MAX_LISTED else ""
        raise SchemaError(f"{id_field} values repeat across the layers read as one: {shown}{more}", path=path,
                          field=id_field, fix=f"give every feature a {id_field} unique across the layers")
    return gpd.GeoDataFrame(joined, geometry=frames[0].geometry.name, crs=frames[0].crs)


def gcj02_to_storage(frame: gpd.GeoDataFrame, *, path=None, layer=None, crs=None) -> gpd.GeoDataFrame:
    """Convert a layer declared as GCJ-02 to CGCS2000, vertex by vertex."""
    from sinkmap.readers.gcj02 import gcj02_to_wgs84_geometry

    crs = crs or frame.crs
    if not is_wgs84_like(crs):
        raise CRSError(
            f"is declared GCJ-02 but its CRS is {crs.to_string()}", path=path, layer=layer,
            fix="GCJ-02 coordinates are longitude/latitude; drop the GCJ-02 declaration or fix the CRS",
        )
    converted = frame.copy()
    converted.geometry = gpd.GeoSeries(gcj02_to_wgs84_geometry(frame.geometry.to_numpy()), index=frame.index)
    return converted.set_crs(4490, allow_override=True)


OUTSIDE_SLACK_M = 2_000.0  # a feature with a county code may lie this far outside the county lines (map-provider lines)


def assign_units(frame: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, field: str = "county",
                 key: str = "adcode", reach_m: float = 0.0, located: str | None = None, path=None,
                 layer: str | None = None, id_field: str | None = None) -> gpd.GeoDataFrame:
    """Fill ``field`` with the unit (county) containing each feature's representative point.

    With ``reach_m`` > 0, a point in no unit takes the nearest unit within that distance (m, in the
    equal-area CRS): intertidal and sea patches belong to the county whose coast they lie off.
    Features already carrying a value keep it; with ``located``, a boolean column of that name tells
    which features had none (their unit was located here). Features farther than ``reach_m`` from
    every unit (OUTSIDE_SLACK_M when they carry a value) are refused, named by ``id_field``: data
    outside the survey area, or in a wrong CRS, never count.
    """
    frame = frame.copy(deep=False)  # new columns only: the input's are shared
    if located is not None:
        frame[located] = frame[field].isna().to_numpy() if field in frame.columns else True
    zones = units[[key, units.geometry.name]].to_crs(AREA_CRS)  # distances in metres
    joined = pd.concat([nearest_units(_points_in_area_crs(frame.iloc[start:start + READ_PART]), zones, key,
                                      max(reach_m, OUTSIDE_SLACK_M))
                        for start in range(0, max(len(frame), 1), READ_PART)])  # a part's points at a time
    if field not in frame.columns:
        frame[field] = pd.NA
    given = frame[field].notna()
    frame[field] = frame[field].fillna(joined[key].where(joined["distance_m"] <= reach_m)).astype("string")
    far = frame[field].isna()  # no county code, and none within reach
    reason = f"more than {reach_m / 1000:g} km from every county" if reach_m > 0 else "outside every county"
    though = ""
    if not far.any():  # with a county code, but far from every county: another place, or a wrong CRS
        far = given & joined[key].isna()
        reason, though = f"more than {OUTSIDE_SLACK_M / 1000:g} km from every county", ", though they carry a county code"
    if far.any():
        labels = frame[id_field] if id_field in frame.columns else frame.index.to_series()
        shown = ", ".join(map(str, labels[far][:5])) + (" …" if far.sum() > 5 else "")
        raise SchemaError(f"{int(far.sum())} features lie {reason} of the AOI{though} ({shown})", path=path,
                          layer=layer, field=field,
                          fix="clip the layer to the survey area, give their county code, or check the layer's CRS")
    return frame


def _points_in_area_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each feature's representative point, in the equal-area CRS (same index)."""
    return gpd.GeoDataFrame(geometry=frame.geometry.representative_point(), crs=frame.crs).to_crs(AREA_CRS)


def nearest_units(points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, key: str, max_distance: float) -> pd.DataFrame:
    """Per point (same index): ``key`` of the zone nearest to it within ``max_distance`` and ``distance_m``
    (NaN, NaN beyond), the first of equally near zones, as ``geopandas.sjoin_nearest``. A point inside
    exactly one zone takes it at distance 0 from a point-in-polygon query; only the others (outside every
    zone, or on a shared edge) are measured, as distances to county lines of thousands of vertices are
    slow (20 s for 533,000 stands)."""
    # tree on the points, queried with each zone: the zone is prepared once for all its points
    zone, inside = shapely.STRtree(points.geometry.to_numpy()).query(zones.geometry.to_numpy(), predicate="intersects")
    hits = np.bincount(inside, minlength=len(points))
    one = hits[inside] == 1
    which = np.full(len(points), -1)
    which[inside[one]] = zone[one]
    distance = np.where(which >= 0, 0.0, np.nan)
    rest = np.flatnonzero(hits != 1)
    if rest.size:
        joined = gpd.sjoin_nearest(points.iloc[rest].reset_index(drop=True), zones.reset_index(drop=True),
                                   how="left", max_distance=max_distance, distance_col="distance_m")
        joined = joined[~joined.index.duplicated()].reindex(range(rest.size))
        found = joined["index_right"].notna().to_numpy()
        which[rest[found]] = joined["index_right"].to_numpy()[found].astype(int)
        distance[rest] = joined["distance_m"].to_numpy()
    keys = zones[key].iloc[np.maximum(which, 0)].where(pd.Series(which >= 0).to_numpy())
    return pd.DataFrame({key: keys.to_numpy(), "distance_m": distance}, index=points.index).astype(
        {key: zones[key].dtype})


def refuse_larger_than_units(frame: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, field: str = "county",
                             key: str = "adcode", id_field: str | None = None, path=None,
                             layer: str | None = None) -> None:
    """Refuse features larger than the whole unit (county) they belong to: a stand the size of the
    province (coordinates in the wrong unit or CRS) would otherwise give a forest cover of 9,558 %."""
    unit_ha = pd.Series(area_m2(units.geometry) / 1e4, index=units[key].to_numpy())
    feature_ha = pd.Series(area_m2(frame.geometry) / 1e4, index=frame.index)
    limit = frame[field].map(unit_ha)
    too_big = feature_ha > limit
    if too_big.any():
        labels = frame[id_field] if id_field in frame.columns else frame.index.to_series()
        shown = ", ".join(f"{label} ({feature_ha[i]:,.0f} ha > {limit[i]:,.0f} ha)"
                          for i, label in labels[too_big].head(5).items())
        raise SchemaError(f"{int(too_big.sum())} features are larger than their whole county: {shown}", path=path,
                          layer=layer, fix="check the layer's coordinates and CRS, and split or correct these features")
