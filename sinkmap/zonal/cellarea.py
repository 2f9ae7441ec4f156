"""True ground area of raster cells, per row: on the ellipsoid for geographic rasters.

A geographic cell between latitudes φ₁ < φ₂ and Δλ wide has area
    A = b²·Δλ/2 · [f(φ₂) − f(φ₁)],  f(φ) = sinφ/(1 − e²sin²φ) + artanh(e·sinφ)/e,
the exact ellipsoidal zone area (b semi-minor axis, e eccentricity). Equal-area projections
use the nominal pixel area; other projections (Gauss-Krüger, UTM, Mercator) use the geodesic
area of the row's middle cell, exact for Mercator and within 0.1 % for Gauss-Krüger in Shanwei.
"""

from __future__ import annotations

import numpy as np
from affine import Affine
from pyproj import CRS, Geod, Transformer

_EQUAL_AREA_METHODS = ("equal area", "albers", "sinusoidal", "mollweide", "eckert iv", "eckert vi")


def _ellipsoid_zone_factor(lat_rad: np.ndarray, e: float) -> np.ndarray:
    s = np.sin(lat_rad)
    return s / (1.0 - e * e * s * s) + np.arctanh(e * s) / e


def geographic_row_areas(transform: Affine, height: int, crs: CRS) -> np.ndarray:
    """Cell area in m² for each row of a north-up geographic raster."""
    ellipsoid = crs.ellipsoid
    a, b = ellipsoid.semi_major_metre, ellipsoid.semi_minor_metre
    e = np.sqrt(1.0 - (b * b) / (a * a))
    edges = transform.f + transform.e * np.arange(height + 1)  # latitudes of row edges, degrees
    f = _ellipsoid_zone_factor(np.radians(edges), e)
    dlon = np.radians(abs(transform.a))
    return np.abs(np.diff(f)) * (b * b * dlon / 2.0)


def _is_equal_area(crs: CRS) -> bool:
    operation = crs.coordinate_operation
    name = (operation.method_name if operation is not None else "").lower()
    return any(key in name for key in _EQUAL_AREA_METHODS)


def projected_row_areas(transform: Affine, width: int, height: int, crs: CRS) -> np.ndarray:
    """Cell area in m² for each row of a north-up projected raster."""
    nominal = abs(transform.a * transform.e - transform.b * transform.d)
    if _is_equal_area(crs):
        return np.full(height, nominal)
    to_lonlat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    geod = crs.geodetic_crs.get_geod() or Geod(ellps="GRS80")
    col = width // 2
    rows = np.arange(height)
    x = transform.c + transform.a * np.array([col, col + 1, col + 1, col])
    areas = np.empty(height)
    for row in rows:  # one geodesic polygon per row: cheap (height calls)
        y = transform.f + transform.e * np.array([row, row, row + 1, row + 1])
        lon, lat = to_lonlat.transform(x, y)
        areas[row] = abs(geod.polygon_area_perimeter(lon, lat)[0])
    return areas


def row_areas_m2(transform: Affine, width: int, height: int, crs) -> np.ndarray:
    """Ground area in m² of one cell in each row (length ``height``); ``crs`` pyproj or rasterio."""
    crs = CRS.from_user_input(crs)
    if transform.b != 0 or transform.d != 0:
        raise ValueError("rotated rasters are not supported; warp to a north-up grid first")
    if crs.is_geographic:
        return geographic_row_areas(transform, height, crs)
    return projected_row_areas(transform, width, height, crs)
