"""Area of raster cells in m²: true ground area (default) or the grid's nominal area.

``area="ground"`` (the default) is the area the cell covers on the GRS80/WGS84 ellipsoid:

- geographic rasters: exact per row. A cell between latitudes φ₁ < φ₂ and Δλ wide has area
      A = b²·Δλ/2 · [f(φ₂) − f(φ₁)],  f(φ) = sinφ/(1 − e²sin²φ) + artanh(e·sinφ)/e,
  the ellipsoidal zone area (b semi-minor axis, e eccentricity);
- equal-area projections (Albers, LAEA …): the nominal cell area;
- any other projection (Gauss-Krüger, UTM, Mercator, Lambert conformal …): the ground area of a
  unit of grid area, sampled on a coarse grid (every ``SCALE_SPACING_M`` in both axes) and
  interpolated bilinearly to each cell centre. At a sample the ground area per unit of grid area
  is the ellipsoid's area element M·N·cosφ (M, N the radii of curvature) times the Jacobian
  |∂(φ, λ)/∂(x, y)| of the inverse projection, by central differences one cell wide. This holds
  for any projection, also for Web Mercator (spherical formulas on an ellipsoidal datum). The
  scale of a transverse Mercator changes mostly east–west, of a Mercator north–south: the 2-D
  grid follows both. Interpolation error ≤ h²/4R² ≈ 2.5e-8 relative for h = 2 km.

``area="nominal"`` is |pixel width × pixel height| in m² for every cell: the planar area
exactextract, QGIS and InVEST report. It is refused for geographic rasters (square degrees).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.windows import Window

from sinkmap.errors import CRSError, InputError

AREAS = ("ground", "nominal")
SCALE_SPACING_M = 2_000.0  # between the area-factor samples (at most; at least one cell)
_EQUAL_AREA_METHODS = ("equal area", "albers", "sinusoidal", "mollweide", "eckert iv", "eckert vi")


def _ellipsoid_zone_factor(lat_rad: np.ndarray, e: float) -> np.ndarray:
    s = np.sin(lat_rad)
    return s / (1.0 - e * e * s * s) + np.arctanh(e * s) / e


def zone_area_m2(north: np.ndarray, south: np.ndarray, dlon: float, crs: CRS) -> np.ndarray:
    """Ground area (m²) on ``crs``'s ellipsoid of cells between the latitudes ``north`` and ``south`` and
    ``dlon`` wide (all in degrees): the ellipsoidal zone area A above."""
    ellipsoid = crs.ellipsoid
    a, b = ellipsoid.semi_major_metre, ellipsoid.semi_minor_metre
    e = np.sqrt(1.0 - (b * b) / (a * a))
    f_north = _ellipsoid_zone_factor(np.radians(north), e)
    f_south = _ellipsoid_zone_factor(np.radians(south), e)
    return np.abs(f_south - f_north) * (b * b * np.radians(abs(dlon)) / 2.0)


def geographic_row_areas(transform: Affine, height: int, crs: CRS) -> np.ndarray:
    """Cell area in m² for each row of a north-up geographic raster."""
    edges = transform.f + transform.e * np.arange(height + 1)  # latitudes of row edges, degrees
    return zone_area_m2(edges[:-1], edges[1:], transform.a, crs)


def is_equal_area(crs: CRS) -> bool:
    """True for equal-area projections, whose nominal cell area is the ground area."""
    operation = crs.coordinate_operation
    name = (operation.method_name if operation is not None else "").lower()
    return any(key in name for key in _EQUAL_AREA_METHODS)


def nominal_cell_m2(transform: Affine, crs: CRS) -> float:
    """|pixel width × height| in m² (projected CRS; its linear unit converted to metres)."""
    metres = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return abs(transform.a * transform.e - transform.b * transform.d) * metres * metres


def _sample_lines(size: int, step: int) -> np.ndarray:
    """Cell-edge positions 0, step, 2·step … and ``size`` (the last edge)."""
    return np.unique(np.append(np.arange(0, size, step), size))


def ground_m2_per_unit2(crs: CRS, x: np.ndarray, y: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Ground area (m² on the CRS's ellipsoid) of one unit² of grid area at projected points (x, y).

    M·N·cosφ · |∂(φ, λ)/∂(x, y)|, the derivatives by central differences over ±dx, ±dy (CRS units).
    """
    to_geodetic = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    lon_e, lat_e = to_geodetic.transform(x + dx, y)
    lon_w, lat_w = to_geodetic.transform(x - dx, y)
    lon_n, lat_n = to_geodetic.transform(x, y + dy)
    lon_s, lat_s = to_geodetic.transform(x, y - dy)
    _, lat = to_geodetic.transform(x, y)
    rad = np.pi / 180.0
    jacobian = np.abs((lat_e - lat_w) * (lon_n - lon_s) - (lat_n - lat_s) * (lon_e - lon_w)) * rad * rad / (4 * dx * dy)
    ellipsoid = crs.geodetic_crs.ellipsoid
    a, e2 = ellipsoid.semi_major_metre, 1.0 - (ellipsoid.semi_minor_metre / ellipsoid.semi_major_metre) ** 2
    phi = np.radians(lat)
    w = 1.0 - e2 * np.sin(phi) ** 2
    meridian, normal = a * (1.0 - e2) / w**1.5, a / np.sqrt(w)  # radii of curvature M, N
    return meridian * normal * np.cos(phi) * jacobian


@dataclass(frozen=True)
class CellAreas:
    """Ground or nominal area of every cell of one north-up grid, handed out window by window.

    ``rows`` (geographic: one area per row, from row ``row0``) or ``scale`` (other projections: the ground
    area of a cell, m², at the cell edges ``scale_rows`` × ``scale_cols``) or neither (one area for all cells).
    """

    nominal_m2: float
    rows: np.ndarray | None = None
    scale: np.ndarray | None = None
    scale_rows: np.ndarray | None = None
    scale_cols: np.ndarray | None = None
    row0: int = 0

    def crop(self, window: Window) -> CellAreas:
        """The part of these areas ``window`` needs: ``.window(w)`` of any ``w`` inside it is the same, to the
        bit, as here (a few numbers, where the whole grid's can be megabytes: what a task takes to a worker)."""
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        if self.rows is not None:
            return replace(self, rows=self.rows[r0 - self.row0:r1 - self.row0].copy(), row0=r0)
        if self.scale is None:
            return self
        # the sample lines bracketing the cell centres of the window (as ``window`` finds them)
        i0, i1 = np.searchsorted(self.scale_rows, [r0 + 0.5, r1 - 0.5], side="right") - 1
        j0, j1 = np.searchsorted(self.scale_cols, [c0 + 0.5, c1 - 0.5], side="right") - 1
        return replace(self, scale=self.scale[i0:i1 + 2, j0:j1 + 2].copy(),
                       scale_rows=self.scale_rows[i0:i1 + 2].copy(), scale_cols=self.scale_cols[j0:j1 + 2].copy())

    def window(self, window: Window) -> float | np.ndarray:
        """Cell areas (m²) of ``window``: a number, or an array broadcastable to (rows, cols)."""
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        if self.rows is not None:
            return self.rows[r0 - self.row0:r1 - self.row0, None]
        if self.scale is None:
            return self.nominal_m2
        # bilinear in the cell centres: along the rows at the sampled columns, then along each row
        rows = np.arange(r0, r1) + 0.5
        cols = np.arange(c0, c1) + 0.5
        i = np.clip(np.searchsorted(self.scale_rows, rows, side="right") - 1, 0, len(self.scale_rows) - 2)
        j = np.clip(np.searchsorted(self.scale_cols, cols, side="right") - 1, 0, len(self.scale_cols) - 2)
        ti = ((rows - self.scale_rows[i]) / (self.scale_rows[i + 1] - self.scale_rows[i]))[:, None]
        tj = (cols - self.scale_cols[j]) / (self.scale_cols[j + 1] - self.scale_cols[j])
        band = self.scale[i] * (1.0 - ti) + self.scale[i + 1] * ti  # (rows, sampled columns)
        # band[:, j] + (band[:, j + 1] − band[:, j]) · tj, with j ascending: repeats, not gathers (2× faster)
        lo, hi = int(j[0]), int(j[-1]) + 1
        repeats = np.bincount(j - lo, minlength=hi - lo)
        out = np.repeat(np.diff(band[:, lo:hi + 1], axis=1), repeats, axis=1)
        out *= tj
        out += np.repeat(band[:, lo:hi], repeats, axis=1)
        return out


def check_area(area: str) -> None:
    """An InputError unless ``area`` is one of AREAS."""
    if area not in AREAS:
        raise InputError(f"unknown area convention '{area}'", fix=f"use one of: {', '.join(AREAS)}")


def cell_areas(transform: Affine, width: int, height: int, crs, area: str = "ground") -> CellAreas:
    """The cell areas of a north-up grid (``crs`` pyproj or rasterio; ``transform`` checked by the caller)
    under the ``area`` convention."""
    check_area(area)
    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        if area == "nominal":
            raise CRSError(f"a nominal cell area of a geographic raster ({crs.name}) would be in square degrees",
                           fix="use area='ground' (ellipsoidal), or warp the raster to a projected CRS")
        rows = geographic_row_areas(transform, height, crs)
        return CellAreas(float(rows.mean()), rows=rows)
    nominal = nominal_cell_m2(transform, crs)
    if area == "nominal" or is_equal_area(crs):
        return CellAreas(nominal)
    dx, dy = abs(transform.a), abs(transform.e)
    metres = nominal / (dx * dy)  # m² per CRS unit², for the spacing
    rows = _sample_lines(height, max(1, int(SCALE_SPACING_M / (dy * np.sqrt(metres)))))
    cols = _sample_lines(width, max(1, int(SCALE_SPACING_M / (dx * np.sqrt(metres)))))
    x, y = np.meshgrid(transform.c + transform.a * cols, transform.f + transform.e * rows)
    scale = ground_m2_per_unit2(crs, x, y, dx, dy) * (dx * dy)
    if not np.isfinite(scale).all():
        raise CRSError(f"part of the raster lies outside the domain of its projection ({crs.name})",
                       fix="check the raster's CRS, or warp it to a CRS that covers it")
    return CellAreas(nominal, scale=scale, scale_rows=rows.astype(float), scale_cols=cols.astype(float))

