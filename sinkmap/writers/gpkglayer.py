"""One GeoPackage layer written through GDAL's Arrow interface, in the bytes ``pyogrio.write_dataframe`` gives.

``write_dataframe`` hands GDAL a Python object per value: every geometry's WKB and, for each text column,
an object array of Python strings — about 670 MiB more for 10⁶ stands of 15 columns. Here the columns go to
GDAL as they are (Arrow buffers: numbers and pandas' Arrow-backed text without a copy) and the geometries
as one WKB buffer, encoded WKB_PART features at a time.

GDAL commits a transaction per Arrow batch and SQLite counts the commits in the file's header, so the layer
goes as ONE batch: the file is then the same, byte for byte, as ``write_dataframe``'s (tests/test_gpkg_layer.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

WKB_PART = 100_000  # geometries encoded to WKB at a time
# the column types whose fields and values GDAL's Arrow writer writes as write_dataframe does (others: write_dataframe)
ARROW_DTYPES = frozenset({"bool", "int32", "int64", "float64", "str", "string", "boolean", "Int32", "Int64", "Float64"})
MULTI = {"Point": "MultiPoint", "LineString": "MultiLineString", "Polygon": "MultiPolygon"}
PROMOTE = {"Point": shapely.multipoints, "LineString": shapely.multilinestrings, "Polygon": shapely.multipolygons}


def _geometry_columns(frame: pd.DataFrame) -> list[str]:
    return [name for name, dtype in frame.dtypes.items() if dtype == "geometry"]


def arrow_writable(frame: pd.DataFrame) -> bool:
    """Whether ``write_layer`` writes ``frame`` as ``write_dataframe`` would: rows, unique column names of
    ARROW_DTYPES and at most one geometry column, in a known CRS, named ``geometry`` (no ``fid``)."""
    geometries = _geometry_columns(frame)
    kinds = {str(dtype) for name, dtype in frame.dtypes.items() if name not in geometries}
    return (len(frame) > 0 and frame.columns.is_unique and kinds <= ARROW_DTYPES
            and all(isinstance(c, str) and c.lower() != "fid" for c in frame.columns)
            and (not geometries or geometries == ["geometry"] and frame.crs is not None))


def layer_geometry(geometry: pd.Series, geometry_type: str | None = None) -> tuple[str, bool]:
    """The layer's geometry type and whether single geometries become multi ones, as ``write_dataframe``
    and GDAL settle them for a GeoPackage: one type (with " Z" if any has z); a single and its multi type
    mixed, the multi type, every single geometry promoted. ``geometry_type`` given: that type, and a multi
    type promotes every single geometry (GDAL does so for each feature it is given as an object)."""
    found = pd.Series(geometry.geom_type.unique()).dropna().to_numpy()
    solid = geometry[geometry.notna() & ~geometry.is_empty]
    has_z = bool(solid.has_z.any())
    inferred, promote = "Unknown", False
    if len(found) == 1:
        inferred = found[0]
    elif len(found) == 2 and (pair := [t for t in found if MULTI.get(t) in found]):
        inferred, promote = MULTI[pair[0]], True
    if geometry_type is None:
        return (f"{inferred} Z" if has_z and inferred != "Unknown" else inferred), promote
    return geometry_type, promote or geometry_type.startswith("Multi")


def wkb_array(geometry: pd.Series, *, promote: bool = False) -> pa.Array:
    """The geometries as one Arrow binary array of WKB (null for a missing geometry), encoded WKB_PART at a
    time; ``promote``: each Point, LineString, Polygon as a multi geometry of one part."""
    values = np.asarray(geometry.array)
    lengths = np.zeros(len(values), np.int64)
    data = bytearray()
    for start in range(0, len(values), WKB_PART):
        part = values[start:start + WKB_PART]
        if promote:
            part = part.copy()
            for single, multi in PROMOTE.items():
                mask = shapely.get_type_id(part) == shapely.GeometryType[single.upper()]
                if mask.any():
                    part[mask] = multi(np.atleast_2d(part[mask]), axis=0)
        wkb = shapely.to_wkb(part)
        lengths[start:start + len(part)] = [0 if b is None else len(b) for b in wkb]
        data += b"".join(b for b in wkb if b is not None)
        del wkb
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    large = offsets[-1] >= 2**31 - 1
    missing = pd.isna(values)
    validity = pa.array(~missing).buffers()[1] if missing.any() else None
    return pa.Array.from_buffers(pa.large_binary() if large else pa.binary(), len(values),
                                 [validity, pa.py_buffer(offsets.astype(np.int64 if large else np.int32)),
                                  pa.py_buffer(data)], null_count=int(missing.sum()))


def write_layer(frame: pd.DataFrame, path: str | Path, *, layer: str, layer_options: Mapping[str, str],
                geometry_type: str | None = None) -> None:
    """Write ``frame`` (``arrow_writable``) as layer ``layer`` of GeoPackage ``path`` (created, or added to),
    in one Arrow batch: the bytes ``pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG",
    layer_options=layer_options, geometry_type=geometry_type)`` writes."""
    geometry = next(iter(_geometry_columns(frame)), None)
    plain = pd.DataFrame(frame, copy=False)
    spatial = {}
    if geometry is not None:
        kind, promote = layer_geometry(frame[geometry], geometry_type)
        epsg = frame.crs.to_epsg()
        crs = f"EPSG:{epsg}" if epsg else frame.crs.to_wkt("WKT1_GDAL")
        spatial = {"geometry_name": geometry, "geometry_type": kind, "crs": crs}
        plain = plain.drop(columns=geometry)
    table = pa.Table.from_pandas(plain, preserve_index=False)
    if geometry is not None:
        at = list(frame.columns).index(geometry)
        table = table.add_column(at, geometry, wkb_array(frame[geometry], promote=promote))
    del plain
    batches = table.combine_chunks().to_batches()  # one batch: the table is in one chunk
    stream = pa.RecordBatchReader.from_batches(table.schema, batches)
    pyogrio.write_arrow(stream, path, layer=layer, driver="GPKG", layer_options=dict(layer_options), **spatial)
