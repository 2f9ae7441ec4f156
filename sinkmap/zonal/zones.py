"""Zones for the engine: a vector file or a GeoDataFrame, checked and put in the raster's CRS."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import shapely
from pyproj import CRS

from sinkmap.crs import check_coordinates, require_crs
from sinkmap.errors import InputError, SinkmapWarning
from sinkmap.readers.vector import check_polygons, read_frame


def load_zones(zones, raster_crs: CRS, zone_field: str | None, *, layer: str | None = None
               ) -> tuple[gpd.GeoDataFrame, str]:
    """The zones as polygons in ``raster_crs``, and the name of the zone column of results."""
    if isinstance(zones, (str, Path)):
        frame, shown_layer = read_frame(zones, layer=layer)
        path = zones
    elif isinstance(zones, gpd.GeoDataFrame):
        frame, shown_layer, path = zones, None, "zones"
    else:
        raise InputError(f"zones must be a path or a GeoDataFrame, not {type(zones).__name__}")
    if frame.empty:
        raise InputError("zone layer has no features", path=path, layer=shown_layer,
                         fix="choose a layer with polygons")
    crs = require_crs(frame.crs, path=path, layer=shown_layer)
    check_coordinates(frame.total_bounds, crs, path=path, layer=shown_layer)
    if zone_field is not None and zone_field not in frame.columns:
        fields = [c for c in frame.columns if c != frame.geometry.name]
        raise InputError(f"has no field '{zone_field}'", path=path, layer=shown_layer,
                         fix=f"use one of: {', '.join(map(str, fields))}")
    frame = check_polygons(frame, path=path, layer=shown_layer, id_field=zone_field)
    if not crs.equals(raster_crs, ignore_axis_order=True):
        warnings.warn(f"{path}: zones reprojected from {crs.to_string()} to the raster's {raster_crs.to_string()}",
                      SinkmapWarning, stacklevel=3)
        frame = reproject_zones(frame, raster_crs)
    return frame, zone_field or "zone"


def reproject_zones(zones: gpd.GeoDataFrame, crs) -> gpd.GeoDataFrame:
    """``zones`` in ``crs``; a polygon the reprojection pinched (a ring touching itself) is repaired,
    keeping only its areal parts (``make_valid`` method "structure")."""
    out = zones.to_crs(crs)
    invalid = ~out.geometry.is_valid
    if invalid.any():
        out = out.copy()
        out.loc[invalid, out.geometry.name] = shapely.make_valid(out.geometry[invalid].to_numpy(), method="structure",
                                                                 keep_collapsed=False)
    return out
