"""Synthetic vector layers for the demo: forest stands, mangroves, shelterbelts, coastal habitats, redlines.

All geometry is built in the equal-area CRS (metres) and stored in CGCS2000 (EPSG:4490).
Every layer carries ``synthetic = 1``. Calibration constants are SYNTHETIC choices.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from rasterio import features

from sinkmap.crs import AREA_CRS, STORAGE_CRS
from sinkmap.demo.landscape import MANGROVE, SHRUB, TREE, Grid

STAND_SPACING_M = 400.0  # jittered seed spacing → stands of ≈ 16 ha
STOCK_TARGET_M3 = 7.35e6  # SYNTHETIC: city growing stock below the 2025 target of 792 万m³
SPECIES_INLAND = {"eucalyptus": 30, "masson_pine": 18, "broadleaf_mixed": 22, "acacia": 10,
                  "chinese_fir": 8, "slash_pine": 5, "soft_broadleaf": 4, "hard_broadleaf": 3}
SPECIES_COAST = {"casuarina": 50, "acacia": 20, "eucalyptus": 20, "broadleaf_mixed": 10}
PLANTED_SHARE = {"eucalyptus": 0.97, "acacia": 0.9, "casuarina": 0.95, "slash_pine": 0.95, "chinese_fir": 0.8,
                 "masson_pine": 0.5, "broadleaf_mixed": 0.15, "soft_broadleaf": 0.3, "hard_broadleaf": 0.1}
AGE_GROUPS = ("young", "middle", "near_mature", "mature", "over_mature")
VOLUME_BY_AGE = np.array([18.0, 45.0, 70.0, 90.0, 100.0])  # m³/ha, SYNTHETIC
SPECIES_VOLUME_FACTOR = {"eucalyptus": 1.0, "masson_pine": 0.9, "chinese_fir": 1.1, "acacia": 0.8,
                         "casuarina": 0.7, "broadleaf_mixed": 1.0, "slash_pine": 0.9, "soft_broadleaf": 0.9,
                         "hard_broadleaf": 1.1}
# Mangrove areas: (lon_min, lat_min, lon_max, lat_max, patches) — estuaries and lagoons, SYNTHETIC.
MANGROVE_BAYS = [
    (115.30, 22.76, 115.45, 22.82, 14),  # 品清湖 lagoon, 城区
    (115.10, 22.76, 115.30, 22.86, 16),  # 黄江 estuary / 长沙湾, 海丰
    (115.70, 22.78, 115.85, 22.90, 14),  # 螺河 estuary / 碣石湾, 陆丰
    (115.95, 22.80, 116.10, 22.88, 8),  # 湖东 / 甲子, 陆丰
]


def _weighted_choice(rng: np.random.Generator, table: dict[str, float], size: int) -> np.ndarray:
    names = np.array(list(table))
    weights = np.array(list(table.values()), dtype=float)
    return names[rng.choice(len(names), size=size, p=weights / weights.sum())]


def _to_storage(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.to_crs(STORAGE_CRS)
    valid = shapely.make_valid(frame.geometry.to_numpy(), method="structure", keep_collapsed=False)  # slivers
    frame.geometry = shapely.set_precision(valid, 1e-7)  # ≈ 1 cm grid: stable bytes
    frame["synthetic"] = 1
    return frame


def stand_cells(land: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """Voronoi cells of jittered seeds, cut by the county land polygons (county per piece)."""
    rng = np.random.default_rng(seed + 2)
    land_aea = land.to_crs(AREA_CRS)
    xmin, ymin, xmax, ymax = land_aea.total_bounds
    xs = np.arange(xmin, xmax, STAND_SPACING_M)
    ys = np.arange(ymin, ymax, STAND_SPACING_M)
    gx, gy = np.meshgrid(xs, ys)
    jitter = rng.uniform(-0.4, 0.4, size=(2, gx.size)) * STAND_SPACING_M
    seeds = shapely.points(gx.ravel() + jitter[0], gy.ravel() + jitter[1])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds)))
    pieces, counties = [], []
    for adcode, geom in zip(land_aea["adcode"], land_aea.geometry):
        shapely.prepare(geom)
        hits = cells[shapely.intersects(geom, cells)]
        inside = shapely.contains_properly(geom, hits)
        cut = np.concatenate([hits[inside], shapely.intersection(hits[~inside], geom)])
        cut = shapely.get_parts(cut)  # a cell cut by the coast may fall apart into pieces
        cut = cut[shapely.get_type_id(cut) == 3]
        pieces.append(cut)
        counties.append(np.full(cut.size, adcode, dtype=object))
    frame = gpd.GeoDataFrame({"county": np.concatenate(counties)}, geometry=np.concatenate(pieces), crs=AREA_CRS)
    return frame[frame.area > 1.0].reset_index(drop=True)  # drop slivers under 1 m²


def class_fractions(cells: gpd.GeoDataFrame, grid: Grid, landcover: np.ndarray, codes: tuple[int, ...]
                    ) -> np.ndarray:
    """Share of each cell's pixels in each of ``codes`` (cells × codes)."""
    ids = features.rasterize(
        zip(cells.to_crs(STORAGE_CRS).geometry, range(1, len(cells) + 1)),
        out_shape=(grid.height, grid.width), transform=grid.transform, dtype="int32",
    ).ravel()
    total = np.bincount(ids, minlength=len(cells) + 1)[1:].astype(float)
    shares = [np.bincount(ids, weights=(landcover.ravel() == c), minlength=len(cells) + 1)[1:] for c in codes]
    return np.column_stack(shares) / np.maximum(total, 1)[:, None]


def make_stands(land: gpd.GeoDataFrame, grid: Grid, landcover: np.ndarray, dist_km: np.ndarray, seed: int
                ) -> gpd.GeoDataFrame:
    """Forest stands (小班) with the catalogue's attributes, SYNTHETIC."""
    rng = np.random.default_rng(seed + 3)
    cells = stand_cells(land, seed)
    shares = class_fractions(cells, grid, landcover, (TREE, SHRUB, MANGROVE))
    woody = shares.sum(axis=1) >= 0.5
    stands = cells[woody].reset_index(drop=True)
    shares = shares[woody]
    n = len(stands)
    centre = stands.to_crs(STORAGE_CRS).geometry.representative_point()
    t = grid.transform
    cols, rows = (centre.x.to_numpy() - t.c) / t.a, (centre.y.to_numpy() - t.f) / t.e
    rows = np.clip(rows.astype(int), 0, grid.height - 1)
    cols = np.clip(cols.astype(int), 0, grid.width - 1)
    coastal = dist_km[rows, cols] < 3.0
    land_class = np.where(shares[:, 1] > shares[:, 0], "shrub_other", "arbor").astype(object)
    land_class[shares[:, 2] > 0.3] = "mangrove"
    draw = rng.random(n)
    arbor = land_class == "arbor"
    land_class[arbor & (draw < 0.05)] = "bamboo"
    land_class[arbor & (draw >= 0.05) & (draw < 0.11)] = "sparse"
    land_class[arbor & (draw >= 0.11) & (draw < 0.14)] = "unestablished"
    shrub = land_class == "shrub_other"
    land_class[shrub & (draw < 0.15)] = "shrub_special"
    species = np.where(coastal, _weighted_choice(rng, SPECIES_COAST, n),
                       _weighted_choice(rng, SPECIES_INLAND, n)).astype(object)
    species[land_class == "bamboo"] = "bamboo"
    species[land_class == "mangrove"] = "mangrove"
    species[np.isin(land_class, ["shrub_other", "shrub_special"])] = "shrub"
    planted = rng.random(n) < pd.Series(species).map(PLANTED_SHARE).fillna(0.3).to_numpy()
    origin = np.where(planted, "planted", "natural")
    young_bias = np.isin(species, ["eucalyptus", "acacia"])  # short rotations
    age_index = np.clip(rng.normal(np.where(young_bias, 0.8, 2.0), 1.0).round(), 0, 4).astype(int)
    has_age = np.isin(land_class, ["arbor", "mangrove", "sparse"])
    age_group = np.where(has_age, np.array(AGE_GROUPS)[age_index], None)
    closure = np.where(land_class == "sparse", rng.uniform(0.10, 0.19, n), rng.beta(4, 3, n) * 0.8 + 0.2)
    closure = np.where(land_class == "unestablished", rng.uniform(0.0, 0.09, n), closure)
    closure = np.where(np.isin(land_class, ["shrub_other", "shrub_special"]), rng.uniform(0.3, 0.7, n), closure)
    closure = np.round(closure, 2)
    edge = rng.random(n) < 0.01  # a few stands exactly on the 0.20 threshold, and just below it
    closure[edge & (land_class == "arbor")] = 0.20
    closure[edge & (land_class == "sparse")] = 0.19
    factor = pd.Series(species).map(SPECIES_VOLUME_FACTOR).fillna(0.0).to_numpy()
    volume = VOLUME_BY_AGE[age_index] * factor * rng.lognormal(0.0, 0.25, n) * has_age
    area_ha = stands.area.to_numpy() / 1e4
    counted = np.isin(land_class, ["arbor", "mangrove"])
    volume *= STOCK_TARGET_M3 / float((volume * area_ha)[counted].sum())  # calibrate the city total
    volume = np.round(volume, 1)
    stands = stands.assign(
        land_class=land_class, species_group=species, origin=origin, age_group=age_group,
        canopy_closure=closure, area_ha=np.round(area_ha, 2), volume_per_ha=volume,
    )
    return _to_storage(_number_stands(stands))


def _number_stands(stands: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """stand_id = county code - 林班 (4 km block) - 小班 (sequence in the block)."""
    centre = stands.geometry.representative_point()
    block = (np.floor(centre.x / 4000).astype(int) * 1000 + np.floor(centre.y / 4000).astype(int))
    order = np.lexsort((centre.x.to_numpy(), centre.y.to_numpy(), block.to_numpy(), stands["county"].to_numpy()))
    stands = stands.iloc[order].reset_index(drop=True)
    block = block.iloc[order].to_numpy()
    linban = pd.Series(block).groupby(stands["county"]).transform(lambda b: pd.factorize(b)[0] + 1)
    xiaoban = stands.groupby([stands["county"], block]).cumcount() + 1
    stands.insert(0, "stand_id", [f"{c}-{lb:03d}-{xb:03d}" for c, lb, xb in zip(stands["county"], linban, xiaoban)])
    return stands


def _coastline(land: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> shapely.Geometry:
    """Coast = land boundary that touches the sea inside the county lines (equal-area CRS)."""
    land_u = shapely.union_all(land.to_crs(AREA_CRS).geometry.to_numpy())
    county_u = shapely.union_all(counties.to_crs(AREA_CRS).geometry.to_numpy())
    sea = county_u.difference(land_u)
    return shapely.intersection(land_u.boundary, sea.buffer(5.0))


def _sample_coast(coast, box_aea: shapely.Geometry, count: int, rng: np.random.Generator) -> np.ndarray:
    lines = shapely.intersection(coast, box_aea)
    length = lines.length
    if length == 0:
        return np.array([], dtype=object)
    merged = shapely.line_merge(lines) if lines.geom_type != "LineString" else lines
    parts = shapely.get_parts(merged)
    lengths = shapely.length(parts)
    picks = rng.choice(len(parts), size=count, p=lengths / lengths.sum())
    return shapely.line_interpolate_point(parts[picks], rng.random(count), normalized=True)


def make_mangroves(land: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """Mangrove patches on the shore of estuaries and lagoons, SYNTHETIC."""
    rng = np.random.default_rng(seed + 4)
    coast = _coastline(land, counties)
    band = coast.buffer(250.0)  # patches hug the shoreline, half in the intertidal fringe
    rows = []
    for lon0, lat0, lon1, lat1, count in MANGROVE_BAYS:
        box = gpd.GeoSeries([shapely.box(lon0, lat0, lon1, lat1)], crs=STORAGE_CRS).to_crs(AREA_CRS).iloc[0]
        for point in _sample_coast(coast, box, count, rng):
            radius = rng.uniform(60.0, 260.0)
            blobs = [shapely.Point(point.x + dx, point.y + dy).buffer(radius * s)
                     for dx, dy, s in rng.uniform([-1, -1, 0.5], [1, 1, 1.0], size=(3, 3)) * [radius, radius, 1]]
            patch = shapely.union_all(blobs).intersection(band).difference(shapely.union_all(rows))
            if patch.area > 2_000:  # keep patches over 0.2 ha, clear of the earlier ones
                rows.append(patch)
    patches = gpd.GeoDataFrame(geometry=rows, crs=AREA_CRS)
    patches = patches[~patches.geometry.duplicated()].reset_index(drop=True)
    draw = rng.random(len(patches))
    status = np.where(draw < 0.72, "existing", np.where(draw < 0.95, "planted", "restored"))
    year = np.where(status == "existing", pd.NA, rng.integers(2021, 2026, len(patches)))
    species = _weighted_choice(rng, {"秋茄 Kandelia obovata": 4, "白骨壤 Avicennia marina": 3,
                                     "无瓣海桑 Sonneratia apetala": 2, "桐花树 Aegiceras corniculatum": 2},
                               len(patches))
    patches = patches.assign(patch_id=[f"MG{i + 1:04d}" for i in range(len(patches))], status=status,
                             year=pd.array(year, dtype="Int64"), species=species)
    return _to_storage(patches[["patch_id", "status", "year", "species", "geometry"]])


def make_shelterbelts(land: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, seed: int
                      ) -> gpd.GeoDataFrame:
    """Casuarina belts 70 m wide, 30–100 m inland, along the shore near each shelterbelt site."""
    rng = np.random.default_rng(seed + 5)
    coast = _coastline(land, counties)
    land_u = shapely.union_all(land.to_crs(AREA_CRS).geometry.to_numpy())
    rows = []
    for site in sites[sites["kind"] == "shelterbelt"].to_crs(AREA_CRS).itertuples():
        reach = site.geometry.centroid.buffer(5_000.0)
        strip = (coast.intersection(reach).buffer(100.0).difference(coast.buffer(30.0))).intersection(land_u)
        strip = strip.difference(shapely.union_all([r["geometry"] for r in rows]))  # sites 5 km apart: no overlap
        pieces = sorted(shapely.get_parts(strip), key=lambda g: (-g.area, g.centroid.x))[:4]
        for k, piece in enumerate(pieces):
            if piece.area < 5_000:
                continue
            rows.append({"belt_id": f"SB-{site.site_id}-{k + 1:02d}", "site": site.name_zh,
                         "species_group": "casuarina", "width_m": 70.0, "rows": 20,
                         "status": (status := ["existing", "restored", "planted"][int(rng.integers(0, 3))]),
                         "year": int(rng.integers(2000, 2021) if status == "existing" else rng.integers(2021, 2026)),
                         "geometry": piece})  # existing belts predate the plan; its work is dated 2021–2025
    return _to_storage(gpd.GeoDataFrame(rows, geometry="geometry", crs=AREA_CRS))


HABITAT_BAYS = [  # (west, south, east, north, habitat, patches, seaward offset m, radius m)
    (115.10, 22.76, 115.30, 22.86, "saltmarsh", 8, 0.0, 220.0),  # 长沙湾 flats, 海丰
    (115.70, 22.78, 115.85, 22.90, "saltmarsh", 6, 0.0, 200.0),  # 碣石湾 estuary, 陆丰
    (115.30, 22.70, 115.50, 22.80, "seagrass", 6, 700.0, 420.0),  # off 品清湖 / 红海湾
    (115.95, 22.76, 116.12, 22.88, "seagrass", 5, 800.0, 380.0),  # 甲子 coast, 陆丰
    (115.45, 22.62, 115.65, 22.74, "coral_reef", 4, 1_200.0, 260.0),  # 遮浪 / 红海湾
]
HABITAT_SPECIES = {"saltmarsh": "盐地鼠尾粟 Sporobolus virginicus", "seagrass": "喜盐草 Halophila ovalis",
                   "coral_reef": "滨珊瑚 Porites spp.", "macroalgae": ""}


def make_coastal_habitats(land: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, seed: int,
                          mangroves: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Salt-marsh flats on the shore, seagrass meadows and coral patches offshore in the bays, SYNTHETIC.

    Patches keep clear of ``mangroves`` and of each other, as a habitat map does."""
    rng = np.random.default_rng(seed + 7)
    coast = _coastline(land, counties)
    land_u = shapely.union_all(land.to_crs(AREA_CRS).geometry.to_numpy())
    if mangroves is not None:
        land_u = shapely.union(land_u, shapely.union_all(mangroves.to_crs(AREA_CRS).geometry.to_numpy()))
    rows = []
    for lon0, lat0, lon1, lat1, habitat, count, offset, radius in HABITAT_BAYS:
        box = gpd.GeoSeries([shapely.box(lon0, lat0, lon1, lat1)], crs=STORAGE_CRS).to_crs(AREA_CRS).iloc[0]
        for point in _sample_coast(coast, box, count, rng):
            centre = point
            if offset:  # step seaward: towards the centre of the nearby sea
                sea = point.buffer(offset * 2).difference(land_u).centroid
                away = np.array([sea.x - point.x, sea.y - point.y])
                away = away / (np.hypot(*away) or 1.0) * offset
                centre = shapely.Point(point.x + away[0], point.y + away[1])
            patch = centre.buffer(radius * rng.uniform(0.6, 1.0)).difference(land_u)
            if offset == 0.0:
                patch = patch.intersection(coast.buffer(radius * 0.6))  # intertidal fringe
            patch = patch.difference(shapely.union_all([r["geometry"] for r in rows]))
            if patch.area > 2_000:
                rows.append({"habitat": habitat, "geometry": patch})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=AREA_CRS)
    frame = frame[~frame.geometry.duplicated()].reset_index(drop=True)
    draw = rng.random(len(frame))
    frame = frame.assign(patch_id=[f"BC{i + 1:03d}" for i in range(len(frame))],
                         status=np.where(draw < 0.75, "existing", np.where(draw < 0.9, "restored", "degraded")),
                         survey_year=2024, species=frame["habitat"].map(HABITAT_SPECIES))
    return _to_storage(frame[["patch_id", "habitat", "status", "survey_year", "species", "geometry"]])


MARINE_BAYS = MANGROVE_BAYS[:3] + [(115.45, 22.62, 115.65, 22.74, 0)]  # + 红海湾
REDLINE_TYPES = {1: "water_conservation", 2: "soil_conservation", 3: "biodiversity", 4: "coastal_stability"}


def _redline_types(natural: np.ndarray, dist_km: np.ndarray, land: np.ndarray) -> np.ndarray:
    """Function type code per cell for the most natural quarter of the land (0 elsewhere)."""
    chosen = land & (natural >= np.quantile(natural[land], 0.75))
    codes = np.where(dist_km > 12, 1, np.where(dist_km > 4, 2, 4))
    codes = np.where(natural >= np.quantile(natural[land], 0.95), 3, codes)  # the wildest cores
    return np.where(chosen, codes, 0).astype("uint8")


def make_redlines(land: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, grid: Grid, natural: np.ndarray,
                  dist_km: np.ndarray, land_mask: np.ndarray) -> gpd.GeoDataFrame:
    """Land redlines over the most natural quarter of the land, marine ones in the bays, SYNTHETIC."""
    step = 8  # 8 × 1″ ≈ 240 m cells: redlines are drawn at planning scale
    codes = _redline_types(natural[::step, ::step], dist_km[::step, ::step], land_mask[::step, ::step])
    t = grid.transform
    coarse = Affine(t.a * step, 0.0, t.c, 0.0, t.e * step, t.f)
    shapes = list(features.shapes(codes, mask=codes > 0, transform=coarse))
    polys = gpd.GeoDataFrame({"code": [int(v) for _, v in shapes]},
                             geometry=[shapely.geometry.shape(g) for g, _ in shapes], crs=STORAGE_CRS).to_crs(AREA_CRS)
    rows = []
    for adcode, geom in zip(land["adcode"], land.to_crs(AREA_CRS).geometry):
        cut = shapely.intersection(polys.geometry.to_numpy(), geom)
        for code, piece in zip(polys["code"], cut):
            for part in shapely.get_parts(piece.simplify(60.0)):
                if part.geom_type == "Polygon" and part.area >= 500_000:  # keep ≥ 50 ha
                    rows.append({"county": adcode, "function_type": REDLINE_TYPES[code], "realm": "land",
                                 "geometry": part})
    coast = _coastline(land, counties)
    land_u = shapely.union_all(land.to_crs(AREA_CRS).geometry.to_numpy())
    counties_aea = counties.to_crs(AREA_CRS)
    for lon0, lat0, lon1, lat1, _ in MARINE_BAYS:
        box = gpd.GeoSeries([shapely.box(lon0, lat0, lon1, lat1)], crs=STORAGE_CRS).to_crs(AREA_CRS).iloc[0]
        sea = coast.intersection(box).buffer(1_500.0).difference(land_u).intersection(box)
        for part in shapely.get_parts(sea.simplify(30.0)):
            if part.geom_type == "Polygon" and part.area >= 500_000:
                nearest = int(np.argmin(shapely.distance(counties_aea.geometry.to_numpy(), part.centroid)))
                rows.append({"county": counties_aea["adcode"].iloc[nearest], "function_type": "coastal_stability",
                             "realm": "marine", "geometry": part})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=AREA_CRS)
    frame["area_ha"] = np.round(frame.area / 1e4, 2)
    number = frame.groupby(["county", "realm"]).cumcount() + 1
    prefix = np.where(frame["realm"] == "land", "L", "M")
    frame.insert(0, "redline_id", [f"HX-{c}-{p}{n:03d}" for c, p, n in zip(frame["county"], prefix, number)])
    return _to_storage(frame)
