"""Synthetic mariculture for the demo: sea farming areas (养殖区) and marine ranches (海洋牧场) in three bays
of Shanwei, and their harvests.

SYNTHETIC: positions, sizes, species and harvests are invented, plausible in magnitude, not observed.
The areas are rectangles (raft and longline arrays) at sea off the shore of each bay's site in
``aoi.load_sites()``, parallel to the coast, clear of the land, of each other and of the patches of the
layers given in ``avoid``. Geometry is built in the equal-area CRS (metres) and stored in CGCS2000
(EPSG:4490). The layer carries no county: the survey gives each area the county whose coast it lies off.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sinkmap.crs import AREA_CRS
from sinkmap.demo.vectors import _coastline, _to_storage

FARM, RANCH = "养殖区", "海洋牧场"  # the catalogue's type values farm, ranch, as a bureau writes them
# bay site (aoi/sites.csv) → (area_id prefix, county code, county name, areas: (species, type, nominal ha)),
# SYNTHETIC: oyster rafts and gracilaria longlines in 长沙湾 (Changsha Bay), one oyster ranch at its mouth;
# shellfish and kelp in 碣石湾 (Jieshi Bay); gracilaria, scallops and an ark-clam ranch in 红海湾 (Honghai Bay)
BAYS = {
    "changsha_bay": ("CSW", "441502", "城区", (("牡蛎", FARM, 110.0), ("牡蛎", FARM, 70.0), ("龙须菜", FARM, 50.0),
                                              ("牡蛎", RANCH, 280.0))),
    "jieshi_bay": ("JSW", "441581", "陆丰市", (("牡蛎", FARM, 150.0), ("海带", FARM, 100.0), ("扇贝", FARM, 60.0),
                                              ("贻贝", FARM, 40.0))),
    "honghai_bay": ("HHW", "441502", "城区", (("龙须菜", FARM, 80.0), ("扇贝", FARM, 45.0), ("蚶", RANCH, 220.0))),
}
BAY_REACH_M = 7_000.0  # areas lie within this distance of the bay's site
OFFSHORE_M = (300.0, 4_000.0)  # every point of an area this far from the coast: off the beach, in the bay
GAP_M = 150.0  # clear water between areas, and between an area and a habitat patch
COUNTY_MARGIN_M = 500.0  # an area is this much nearer its bay's county than any other: its county is sure
ASPECT = (1.5, 3.0)  # long side / short side of an area
TRIES = 500  # random positions tried per area before giving up

# Wet harvest per hectare per year (t wet/ha/yr, bivalves with shell), SYNTHETIC. Aimed at: oyster ≈ 30, near
# the one Shanwei figure seen (a 300 ha oyster ranch at 马宫 expecting ≈ 10,000 t/yr more oysters, ≈ 33 t/ha;
# newspaper reprint) and within the 10–60 t/ha of raft oyster and kelp longline culture; kelp 45 (a
# cold-water crop, grown in winter in the south); gracilaria 20 and scallop 15 (lighter crops), mussel 25;
# the ark-clam ranch 5 (bottom seeding among artificial reefs, sparse). Each area's harvest is this times its
# mapped area times a draw of 0.85–1.15 (the survey year) or 0.80–1.10 (the year before).
HARVEST_T_PER_HA = {("牡蛎", FARM): 30.0, ("牡蛎", RANCH): 25.0, ("海带", FARM): 45.0, ("龙须菜", FARM): 20.0,
                    ("扇贝", FARM): 15.0, ("贻贝", FARM): 25.0, ("蚶", RANCH): 5.0}
# Harvests of farms not mapped, given per county (t wet/yr for the survey year, the year before), SYNTHETIC:
# nori (紫菜) on rocks and small rafts off 城区, clams (蛤) on the 陆丰市 flats
COUNTY_HARVESTS = (("城区", "紫菜", 120, 105), ("陆丰市", "蛤", 600, 640))
YIELD_NOTE = "SYNTHETIC 合成演示数据"
YIELD_COLUMNS = ["县", "养殖区编号", "年份", "品种", "产量(吨)", "备注"]  # county, area_id, year, species, harvest_t, note


def make_mariculture(land: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, seed: int,
                     avoid: Sequence[gpd.GeoDataFrame] = ()) -> gpd.GeoDataFrame:
    """Farming areas and ranches in 长沙湾, 碣石湾 and 红海湾 (``BAYS``): area_id, mariculture_group, type,
    area_ha (ha, of the geometry), year (established), SYNTHETIC; clear of the polygons of the ``avoid`` layers
    (the demo's mangroves and coastal habitats)."""
    rng = np.random.default_rng(seed + 13)
    coast = _coastline(land, counties)
    land_u = shapely.union_all(land.to_crs(AREA_CRS).geometry.to_numpy())
    county_aea = counties.to_crs(AREA_CRS)
    blocked = land_u.union(coast.buffer(OFFSHORE_M[0]))
    for layer in avoid:
        blocked = blocked.union(shapely.union_all(layer.to_crs(AREA_CRS).geometry.to_numpy()).buffer(GAP_M))
    sites_aea = sites.set_index("site_id").to_crs(AREA_CRS)
    rows = []
    for site_id, (prefix, adcode, _, areas) in BAYS.items():
        anchor = sites_aea.geometry[site_id].centroid
        sea = anchor.buffer(BAY_REACH_M).intersection(coast.buffer(OFFSHORE_M[1])).difference(blocked)
        for k, (species, kind, nominal_ha) in enumerate(areas, start=1):
            taken = shapely.union_all([r["geometry"] for r in rows]).buffer(GAP_M) if rows else None
            room = sea.difference(taken) if taken is not None else sea
            area = _place(room, coast, county_aea, adcode, nominal_ha * rng.uniform(0.85, 1.15) * 1e4, rng)
            if area is None:
                raise RuntimeError(f"demo: no room for {prefix}-{k:02d} ({nominal_ha:g} ha) in {site_id}")
            first = 2019 if kind == RANCH else 2008  # ranches are recent (the plan's 海洋牧场建设)
            rows.append({"area_id": f"{prefix}-{k:02d}", "mariculture_group": species, "type": kind,
                         "year": int(rng.integers(first, 2024)), "geometry": area})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=AREA_CRS)
    frame.insert(3, "area_ha", np.round(frame.area / 1e4, 1))
    return _to_storage(frame)


def _place(room: shapely.Geometry, coast: shapely.Geometry, counties: gpd.GeoDataFrame, adcode: str,
           area_m2: float, rng: np.random.Generator) -> shapely.Polygon | None:
    """A rectangle of ``area_m2`` inside ``room``, its long side parallel to the nearest coast, nearer county
    ``adcode`` than any other by COUNTY_MARGIN_M; None when TRIES positions all fail."""
    shapely.prepare(room)
    xmin, ymin, xmax, ymax = room.bounds
    codes, zones = counties["adcode"].to_numpy(), counties.geometry.to_numpy()
    for _ in range(TRIES):
        centre = shapely.Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax))
        aspect = rng.uniform(*ASPECT)
        if not room.contains(centre):
            continue
        shore = shapely.shortest_line(coast, centre).coords[0]
        normal = np.array([centre.x - shore[0], centre.y - shore[1]])
        normal /= np.hypot(*normal) or 1.0
        along = np.array([-normal[1], normal[0]])
        half_long, half_short = np.sqrt(area_m2 * aspect) / 2, np.sqrt(area_m2 / aspect) / 2
        corners = [np.array([centre.x, centre.y]) + a * half_long * along + b * half_short * normal
                   for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        rect = shapely.Polygon(corners)
        if not room.contains(rect):
            continue
        distance = shapely.distance(zones, rect.representative_point())
        nearest = np.argsort(distance, kind="stable")
        if codes[nearest[0]] == adcode and distance[nearest[1]] - distance[nearest[0]] >= COUNTY_MARGIN_M:
            return rect
    return None


def mariculture_yields(areas: gpd.GeoDataFrame, survey_year: int, seed: int) -> pd.DataFrame:
    """Wet harvests (t) of each area of ``areas`` (``make_mariculture``) and of the farms not mapped
    (``COUNTY_HARVESTS``), in the survey year and the year before, with 中文 headers (``YIELD_COLUMNS``).

    Rows naming an area leave the county empty (the survey takes the area's), but each year's first, which
    names both; every row's 备注 (note) says SYNTHETIC, as the table has no other place for it."""
    rng = np.random.default_rng(seed + 17)
    county_of = {prefix: name for prefix, _, name, _ in BAYS.values()}
    rows = []
    for year, spread in ((survey_year, (0.85, 1.15)), (survey_year - 1, (0.80, 1.10))):
        for k, area in enumerate(areas.itertuples()):
            rate = HARVEST_T_PER_HA[(area.mariculture_group, area.type)]
            county = county_of[area.area_id.split("-")[0]] if k == 0 else ""
            rows.append([county, area.area_id, year, area.mariculture_group,
                         int(round(area.area_ha * rate * rng.uniform(*spread))), YIELD_NOTE])
        for county, species, now, before in COUNTY_HARVESTS:
            rows.append([county, "", year, species, now if year == survey_year else before, YIELD_NOTE])
    return pd.DataFrame(rows, columns=YIELD_COLUMNS)
