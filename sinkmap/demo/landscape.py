"""Synthetic land cover for Shanwei: spatially coherent, calibrated, seeded.

The raster is built from smooth random fields, not pixel noise: a "naturalness" score rises
with distance from the sea (the inland hills of 陆河 and northern 海丰) and with large-scale
noise; an urban score peaks at the county seats. Each county's land pixels are ranked by
these scores and cut at quantiles so its class shares hit the calibration table exactly.

Calibration (SYNTHETIC; chosen to match published magnitudes, not measured): forest shares
give a city tree-cover share in the mid-40s %, in line with the reported forest area of
324.00 万亩 over a 4,862 km² land area (44.4 %, derived).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from affine import Affine
from scipy import ndimage

# WorldCover codes (layers/presets/worldcover.csv)
NODATA, TREE, SHRUB, GRASS, CROP, BUILT, BARE, WATER, WETLAND, MANGROVE = 0, 10, 20, 30, 40, 50, 60, 80, 90, 95

# Share of each county's land (%), SYNTHETIC calibration; the remainder is cropland.
CLASS_SHARES = {
    "441502": {BUILT: 30, WATER: 6, WETLAND: 3, TREE: 28, SHRUB: 5, GRASS: 4, BARE: 2},  # 城区
    "441521": {BUILT: 9, WATER: 6, WETLAND: 2, TREE: 45, SHRUB: 6, GRASS: 4, BARE: 1},  # 海丰县
    "441523": {BUILT: 5, WATER: 2, WETLAND: 0, TREE: 66, SHRUB: 7, GRASS: 3, BARE: 1},  # 陆河县
    "441581": {BUILT: 11, WATER: 5, WETLAND: 2, TREE: 38, SHRUB: 6, GRASS: 5, BARE: 1},  # 陆丰市
}
# County seats and towns (lon, lat, weight): centres of the synthetic urban score.
TOWNS = [
    (115.375, 22.786, 1.0),  # 城区 seat (zh.wikipedia 汕尾市: 22°47′10″N 115°22′30″E)
    (115.323, 22.967, 0.8),  # 海丰 附城
    (115.652, 22.945, 0.8),  # 陆丰 东海
    (115.660, 23.302, 0.5),  # 陆河 河田
    (115.590, 22.720, 0.4),  # 遮浪 (红海湾)
    (115.830, 22.830, 0.4),  # 碣石
    (115.150, 22.930, 0.3),  # 梅陇
    (116.050, 22.850, 0.3),  # 甲子
    (115.420, 23.050, 0.2),  # 公平
    (115.250, 23.080, 0.2),  # 赤坑
    (115.480, 22.900, 0.2),  # 可塘
    (115.560, 22.850, 0.2),  # 博美
    (115.750, 23.020, 0.2),  # 河西
    (115.900, 22.900, 0.2),  # 南塘
    (115.780, 23.200, 0.15),  # 螺溪
    (115.550, 23.380, 0.15),  # 水唇
    (115.050, 22.880, 0.15),  # 鲘门
]
COARSE = 4  # smooth fields are computed on a grid 4× coarser, then interpolated


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid in EPSG:4490."""

    transform: Affine
    width: int
    height: int

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], res_deg: float, margin: float) -> Grid:
        """The grid of ``res_deg`` cells covering ``bounds`` plus ``margin`` degrees, snapped to res."""
        west = np.floor((bounds[0] - margin) / res_deg) * res_deg
        north = np.ceil((bounds[3] + margin) / res_deg) * res_deg
        east, south = bounds[2] + margin, bounds[1] - margin
        width = int(np.ceil((east - west) / res_deg))
        height = int(np.ceil((north - south) / res_deg))
        return cls(Affine(res_deg, 0.0, west, 0.0, -res_deg, north), width, height)

    def lonlat(self, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre longitudes (1-D) and latitudes (1-D) every ``step`` cells."""
        cols = np.arange(0, self.width, step) + step / 2
        rows = np.arange(0, self.height, step) + step / 2
        return self.transform.c + cols * self.transform.a, self.transform.f + rows * self.transform.e


def _upsample(field: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear interpolation of a coarse field onto ``shape``."""
    zoomed = ndimage.zoom(field, (shape[0] / field.shape[0], shape[1] / field.shape[1]), order=1)
    out = np.empty(shape, dtype=np.float32)
    h, w = min(shape[0], zoomed.shape[0]), min(shape[1], zoomed.shape[1])
    out[:h, :w] = zoomed[:h, :w]
    out[h:, :w] = zoomed[h - 1 : h, :w]
    out[:, w:] = out[:, w - 1 : w]
    return out


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigmas: tuple[float, ...]) -> np.ndarray:
    """Sum of Gaussian-filtered white noise at several scales (in coarse cells), normalised to 0–1."""
    total = np.zeros(shape, dtype=np.float64)
    for sigma in sigmas:
        layer = ndimage.gaussian_filter(rng.standard_normal(shape), sigma, mode="reflect")
        total += layer / layer.std()
    return (total - total.min()) / (total.max() - total.min())


def _normalise(values: np.ndarray) -> np.ndarray:
    return (values - values.min()) / max(values.max() - values.min(), 1e-12)


def score_fields(grid: Grid, sea: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """Naturalness, urban, wetness, pond scores (0–1) and distance to sea (km), at full resolution."""
    rng = np.random.default_rng(seed)
    coarse_shape = (-(-grid.height // COARSE), -(-grid.width // COARSE))
    sea_coarse = sea[::COARSE, ::COARSE][: coarse_shape[0], : coarse_shape[1]]
    cell_km = abs(grid.transform.a) * COARSE * 111.32 * np.cos(np.radians(23.0))  # ≈ km per coarse cell
    dist_km = ndimage.distance_transform_edt(~sea_coarse) * cell_km
    hills = _smooth_noise(rng, coarse_shape, (40.0, 12.0))
    detail = _smooth_noise(rng, coarse_shape, (3.0, 1.0))
    natural = 0.35 * np.clip(dist_km / 18.0, 0, 1) + 0.50 * hills + 0.15 * detail
    lons, lats = grid.lonlat(COARSE)
    lon2, lat2 = np.meshgrid(lons, lats)
    urban = np.zeros(coarse_shape)
    for lon, lat, weight in TOWNS:
        d_km = np.hypot((lon2 - lon) * 102.5, (lat2 - lat) * 110.8)
        urban += weight * np.exp(-((d_km / 2.5) ** 2))
    urban = 0.6 * _normalise(urban) + 0.4 * _smooth_noise(rng, coarse_shape, (2.0, 0.7))
    wet = 0.6 * (1 - np.clip(dist_km / 4.0, 0, 1)) + 0.4 * _smooth_noise(rng, coarse_shape, (6.0, 2.0))
    ponds = _smooth_noise(rng, coarse_shape, (2.5, 0.8))
    shape = (grid.height, grid.width)
    return (_upsample(natural, shape), _upsample(urban, shape), _upsample(wet, shape),
            _upsample(ponds, shape), _upsample(dist_km.astype(np.float32), shape))


def _take_top(score: np.ndarray, free: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` free cells with the highest score (deterministic ties)."""
    candidates = np.flatnonzero(free)
    if count <= 0 or candidates.size == 0:
        return candidates[:0]
    count = min(count, candidates.size)
    order = np.argsort(-score[candidates], kind="stable")[:count]
    return candidates[order]


def allocate_classes(county_ids: np.ndarray, land: np.ndarray, counties: list[str], natural: np.ndarray,
                     urban: np.ndarray, wet: np.ndarray, ponds: np.ndarray, seed: int) -> np.ndarray:
    """WorldCover classes for every land cell, county by county, at the calibrated shares."""
    rng = np.random.default_rng(seed + 1)
    classes = np.zeros(land.shape, dtype=np.uint8).ravel()
    nat, urb, wetf, pond = natural.ravel(), urban.ravel(), wet.ravel(), ponds.ravel()
    jitter = rng.random(nat.size, dtype=np.float32) * 0.02  # breaks ties, roughens edges
    for index, adcode in enumerate(counties, start=1):
        in_county = (county_ids.ravel() == index) & land.ravel()
        n_land = int(in_county.sum())
        free = in_county.copy()
        order = [  # classes in the order they claim cells, each by its own score
            (BUILT, urb + jitter),
            (WETLAND, wetf * (1 - nat) + jitter),
            (WATER, pond + 0.3 * (1 - nat) + jitter),  # ponds and reservoirs, more in the lowland
            (TREE, nat + jitter),
            (SHRUB, nat + jitter),
            (GRASS, nat + jitter),
            (BARE, rng.random(nat.size, dtype=np.float32) * (1 - nat)),
        ]
        for code, score in order:
            picked = _take_top(score, free, round(n_land * CLASS_SHARES[adcode][code] / 100))
            classes[picked] = code
            free[picked] = False
        classes[free] = CROP
    return classes.reshape(land.shape)
