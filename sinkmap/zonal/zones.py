"""Zones for the engine: a vector file or a GeoDataFrame, checked and put in the raster's CRS, a part at a time."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely
from pyproj import CRS

from sinkmap.crs import check_coordinates, require_crs
from sinkmap.errors import InputError, SinkmapWarning
from sinkmap.readers.vector import check_polygons, feature_count, read_frame, read_parts

ZONES_PER_PASS = 100_000  # zones read, held and computed at a time (≈ 1 KB each for a forest stand)


@dataclass(frozen=True)
class ZoneLayer:
    """The zones of a run: a vector file's layer or a GeoDataFrame, read ``per_pass`` features at a time
    (``parts``) so that memory stays bounded by that, not by the layer (10⁶ stands hold ~1 GB as one frame)."""

    zones: str | Path | gpd.GeoDataFrame
    raster_crs: CRS
    zone_field: str | None
    layer: str | None
    count: int
    per_pass: int

    @classmethod
    def open(cls, zones, raster_crs: CRS, zone_field: str | None, *, layer: str | None = None,
             per_pass: int | None = None) -> ZoneLayer:
        """Count the zones (a file is not read yet); refuse an empty layer or a bad argument. ``per_pass``:
        default ZONES_PER_PASS."""
        if isinstance(zones, (str, Path)):
            count = feature_count(zones, layer=layer)
        elif isinstance(zones, gpd.GeoDataFrame):
            count = len(zones)
        else:
            raise InputError(f"zones must be a path or a GeoDataFrame, not {type(zones).__name__}")
        if count == 0:
            raise InputError("zone layer has no features", path=cls._path(zones), layer=layer,
                             fix="choose a layer with polygons")
        return cls(zones, raster_crs, zone_field, layer, count, max(1, int(per_pass or ZONES_PER_PASS)))

    @staticmethod
    def _path(zones) -> str | Path:
        return zones if isinstance(zones, (str, Path)) else "zones"

    @property
    def key(self) -> str:
        """The zone column of results."""
        return self.zone_field or "zone"

    @property
    def passes(self) -> int:
        return -(-self.count // self.per_pass)

    def parts(self, *, quiet: bool = False) -> Iterator[tuple[int, gpd.GeoDataFrame]]:
        """(offset of its first zone, the zones) for each part in order, checked and in the raster's CRS
        (``checked_zones``). ``quiet``: without the warnings (a second read of the same parts)."""
        start, path = 0, self._path(self.zones)
        for frame, shown in self._frames():
            with warnings.catch_warnings():  # around the check only: never held across the yield
                if quiet:
                    warnings.simplefilter("ignore", SinkmapWarning)
                elif start:  # the reprojection is said once, for the first part
                    warnings.filterwarnings("ignore", message=".*zones reprojected", category=SinkmapWarning)
                part = checked_zones(frame, self.raster_crs, self.zone_field, path=path, layer=shown)
            yield start, part
            start += len(frame)

    def _frames(self) -> Iterator[tuple[gpd.GeoDataFrame, str | None]]:
        """Each part as read, with the layer name to show in messages (``read_frame``'s)."""
        if isinstance(self.zones, gpd.GeoDataFrame):
            if self.count <= self.per_pass:
                yield self.zones, None
            else:
                yield from ((self.zones.iloc[k:k + self.per_pass], None) for k in range(0, self.count, self.per_pass))
        elif self.count <= self.per_pass:
            yield read_frame(self.zones, layer=self.layer)
        else:
            yield from read_parts(self.zones, self.per_pass, layer=self.layer)


def checked_zones(frame: gpd.GeoDataFrame, raster_crs: CRS, zone_field: str | None, *, path, layer: str | None
                  ) -> gpd.GeoDataFrame:
    """``frame``'s polygons checked (CRS, coordinates in its area of use, the zone field, polygon
    geometries, invalid ones repaired) and in ``raster_crs``."""
    crs = require_crs(frame.crs, path=path, layer=layer)
    check_coordinates(frame.total_bounds, crs, path=path, layer=layer)
    if zone_field is not None and zone_field not in frame.columns:
        fields = [c for c in frame.columns if c != frame.geometry.name]
        raise InputError(f"has no field '{zone_field}'", path=path, layer=layer,
                         fix=f"use one of: {', '.join(map(str, fields))}")
    frame = check_polygons(frame, path=path, layer=layer, id_field=zone_field)
    if not crs.equals(raster_crs, ignore_axis_order=True):
        warnings.warn(f"{path}: zones reprojected from {crs.to_string()} to the raster's {raster_crs.to_string()}",
                      SinkmapWarning, stacklevel=4)
        frame = reproject_zones(frame, raster_crs)
    return frame


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
