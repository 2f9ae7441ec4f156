"""Coordinate reference systems: one place for CGCS2000, the equal-area CRS and GCJ-02.

Areas are computed in ``AREA_CRS`` (Albers on GRS80) or on the ellipsoid, never in degrees
or Web Mercator. CGCS2000 (EPSG:4490) and WGS 84 (EPSG:4326) coordinates are treated as
identical (PROJ's null "ballpark" transformation; the frames agree to well under 1 m).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from pyproj import CRS

from sinkmap.catalogue import load_catalogue
from sinkmap.errors import CRSError

STORAGE_CRS = CRS.from_user_input(load_catalogue().storage_crs)  # EPSG:4490 CGCS2000
AREA_CRS = CRS.from_user_input(load_catalogue().area_crs)  # Albers equal-area, GRS80
_GEOGRAPHIC_LIKE_WGS84 = (CRS.from_epsg(4326), CRS.from_epsg(4490))


def require_crs(crs: CRS | None, *, path=None, layer: str | None = None) -> CRS:
    """Return ``crs`` as a pyproj CRS, or raise CRSError when the file has none."""
    if crs is None:
        raise CRSError(
            "has no coordinate reference system",
            path=path,
            layer=layer,
            fix="define it (e.g. `ogr2ogr -a_srs EPSG:4490 out.gpkg in.shp`, or add the .prj file); "
            "sinkmap never guesses a CRS",
        )
    return CRS.from_user_input(crs)


def is_wgs84_like(crs: CRS) -> bool:
    """True for geographic WGS 84 or CGCS2000 (where GCJ-02 data hide, labelled as WGS 84)."""
    return any(crs.equals(other, ignore_axis_order=True) for other in _GEOGRAPHIC_LIKE_WGS84)


def area_m2(geoms: gpd.GeoSeries) -> np.ndarray:
    """Ground area of each geometry in m², computed in the equal-area CRS."""
    require_crs(geoms.crs)
    return geoms.to_crs(AREA_CRS).area.to_numpy(dtype="float64")


def to_storage_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to CGCS2000 geographic (EPSG:4490), the CRS sinkmap keeps vectors in."""
    if frame.crs.equals(STORAGE_CRS, ignore_axis_order=True):
        return frame
    if is_wgs84_like(frame.crs):  # null transformation: relabel, do not move vertices
        return frame.set_crs(STORAGE_CRS, allow_override=True)
    return frame.to_crs(STORAGE_CRS)
