"""Coordinate reference systems: one place for CGCS2000, the equal-area CRS and GCJ-02.

Areas are computed in ``AREA_CRS`` (Albers on GRS80) or on the ellipsoid, never in degrees
or Web Mercator. CGCS2000 (EPSG:4490) and WGS 84 (EPSG:4326) coordinates are treated as
identical (PROJ's null "ballpark" transformation; the frames agree to well under 1 m).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer

from sinkmap.catalogue import load_catalogue
from sinkmap.errors import CRSError

STORAGE_CRS = CRS.from_user_input(load_catalogue().storage_crs)  # EPSG:4490 CGCS2000
AREA_CRS = CRS.from_user_input(load_catalogue().area_crs)  # Albers equal-area, GRS80
WEB_MERCATOR = "EPSG:3857"  # what web maps draw in (Leaflet); never used for areas
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


AREA_OF_USE_MARGIN_DEG = 3.0  # data may lie a little outside its CRS's area of use (e.g. out of a 3° GK zone)


def check_coordinates(bounds, crs: CRS, *, path=None, layer: str | None = None, area_of_use: bool = False) -> None:
    """Refuse coordinates that cannot be in ``crs``: metres labelled with a geographic CRS and, with
    ``area_of_use``, data labelled with a projected CRS that fall far outside that CRS's area of use,
    as degrees labelled EPSG:4547 do (a .prj copied from another file, a CRS set by hand). The second
    check is for real-world inputs (the survey's layers); test grids near a CRS's origin pass without it.

    ``bounds``: (xmin, ymin, xmax, ymax) of the data in its own coordinates.
    """
    xmin, ymin, xmax, ymax = (float(b) for b in bounds)
    in_degrees = -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90
    shown = f"({xmin:.6g}, {ymin:.6g} … {xmax:.6g}, {ymax:.6g})"
    if crs.is_geographic and not in_degrees:
        raise CRSError(f"its CRS is {crs.to_string()} (degrees) but its coordinates {shown} are not "
                       "longitude/latitude", path=path, layer=layer,
                       fix="declare the projected CRS the data were made in (e.g. `ogr2ogr -a_srs EPSG:4547`)")
    if not area_of_use or not crs.is_projected:
        return
    epsg = crs.to_epsg() if crs.area_of_use is None else None  # a GeoTIFF's WKT often drops the area of use
    use = crs.area_of_use or (CRS.from_epsg(epsg).area_of_use if epsg else None)
    if use is None:
        return
    west, south, east, north = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform_bounds(
        xmin, ymin, xmax, ymax)
    m = AREA_OF_USE_MARGIN_DEG
    if west > use.east + m or east < use.west - m or south > use.north + m or north < use.south - m:
        looks = "; they look like longitude/latitude degrees" if in_degrees else ""
        raise CRSError(f"its coordinates {shown} lie far outside the area of use of its CRS {crs.to_string()} "
                       f"({use.name.rstrip('.')}){looks}", path=path, layer=layer,
                       fix="declare the CRS the data were made in (e.g. `ogr2ogr -a_srs EPSG:4490` for degrees); "
                           "sinkmap never reprojects on a guess")


def is_wgs84_like(crs: CRS) -> bool:
    """True for geographic WGS 84 or CGCS2000 (where GCJ-02 data hide, labelled as WGS 84)."""
    return any(crs.equals(other, ignore_axis_order=True) for other in _GEOGRAPHIC_LIKE_WGS84)


AREA_PART = 100_000  # geometries reprojected at a time for their areas: a copy of 10⁶ stands is ~150 MiB


def area_m2(geoms: gpd.GeoSeries) -> np.ndarray:
    """Ground area of each geometry in m², computed in the equal-area CRS (AREA_PART geometries at a time:
    each area is the same, the reprojected copy stays small)."""
    require_crs(geoms.crs)
    if len(geoms) <= AREA_PART:
        return geoms.to_crs(AREA_CRS).area.to_numpy(dtype="float64")
    return np.concatenate([geoms.iloc[k:k + AREA_PART].to_crs(AREA_CRS).area.to_numpy(dtype="float64")
                           for k in range(0, len(geoms), AREA_PART)])


def to_storage_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to CGCS2000 geographic (EPSG:4490), the CRS sinkmap keeps vectors in."""
    if frame.crs.equals(STORAGE_CRS, ignore_axis_order=True):
        return frame
    if is_wgs84_like(frame.crs):  # null transformation: relabel, do not move vertices
        return frame.set_crs(STORAGE_CRS, allow_override=True)
    return frame.to_crs(STORAGE_CRS)
