"""The ecological protection redline ledger (生态保护红线台账), county by county, and its change.

The plan holds the redline to 功能不降低、面积不减少、性质不改变 (function not lowered, area not
reduced, nature not changed). Between two ledger versions this module flags, per county × realm:

- 面积减少 area reduced: the net redline area fell by more than TOLERANCE_HA;
- 边界调整 boundary changed: area was added and/or removed (a swap) though the net area held;

and lists the redlines kept under the same id whose function type or realm changed (性质改变?
for review), plus ids that disappeared or are new. Areas are computed in the equal-area CRS,
overlapping polygons counted once. Pure functions.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from sinkmap.indicators.stands import effective_geometries, overlapping_pairs
from sinkmap.units import M2_PER_HA

REALMS = ("land", "marine")
TOLERANCE_HA = 0.01  # 100 m²: below the precision of a redline survey
AREA_REDUCED = "面积减少 area reduced"
BOUNDARY_CHANGED = "边界调整 boundary changed"
LEDGER_COLUMNS = ["county", "realm", "function_type", "redlines", "area_ha"]
CHANGE_COLUMNS = ["county", "realm", "area_ha", "previous_area_ha", "change_ha", "added_ha", "removed_ha", "flag"]
FEATURE_COLUMNS = ["redline_id", "county", "change", "before", "after"]


def without_overlaps(redlines: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Each redline's geometry (equal-area CRS) with the area it shares with a redline earlier in
    ``redline_id`` order cut away, so the pieces tile the union once (also across counties)."""
    return effective_geometries(redlines, overlapping_pairs(redlines, "redline_id"), "redline_id")


def redline_areas(redlines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The redlines with ``area_ha`` = their area with overlaps counted once (equal-area CRS)."""
    out = redlines.copy()
    out["area_ha"] = without_overlaps(redlines).area.to_numpy() / M2_PER_HA
    return out


def ledger(redlines: gpd.GeoDataFrame) -> pd.DataFrame:
    """Redline count and area (ha) per county × realm × function type."""
    if redlines.empty:
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    keys = ["county", "realm", "function_type"]
    out = redline_areas(redlines).groupby(keys, as_index=False).agg(redlines=("redline_id", "size"),
                                                                   area_ha=("area_ha", "sum"))
    return out[LEDGER_COLUMNS]


def footprints(redlines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One footprint per county × realm: the union of its redlines, overlaps counted once (equal-area CRS)."""
    pieces = without_overlaps(redlines)
    frame = pd.DataFrame({"county": redlines["county"].to_numpy(), "realm": redlines["realm"].to_numpy(),
                          "geometry": pieces.to_numpy()})
    union = frame.groupby(["county", "realm"])["geometry"].agg(lambda g: shapely.union_all(g.to_numpy()))
    return gpd.GeoDataFrame(union.index.to_frame(index=False), geometry=union.to_numpy(), crs=pieces.crs)


def ledger_change(current: gpd.GeoDataFrame, previous: gpd.GeoDataFrame) -> pd.DataFrame:
    """Area now and before, net change, area added and removed, and the flag, per county × realm (ha)."""
    now, before = (footprints(f).set_index(["county", "realm"]).geometry for f in (current, previous))
    keys = now.index.union(before.index)
    empty = shapely.Polygon()
    rows = []
    for key in keys:
        a, b = now.get(key, empty), before.get(key, empty)
        area, old = shapely.area(a) / M2_PER_HA, shapely.area(b) / M2_PER_HA
        added = shapely.area(shapely.difference(a, b)) / M2_PER_HA
        removed = shapely.area(shapely.difference(b, a)) / M2_PER_HA
        change = area - old
        flag = (AREA_REDUCED if change < -TOLERANCE_HA
                else BOUNDARY_CHANGED if max(added, removed) > TOLERANCE_HA else "")
        rows.append((*key, area, old, change, added, removed, flag))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def feature_changes(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Redlines whose function type or realm changed under the same id, and ids removed or new."""
    now, old = current.set_index("redline_id"), previous.set_index("redline_id")
    rows = []
    for rid in now.index.intersection(old.index):
        for field in ("function_type", "realm"):
            if now.at[rid, field] != old.at[rid, field]:
                rows.append((rid, now.at[rid, "county"], f"{field} changed", old.at[rid, field], now.at[rid, field]))
    rows += [(rid, old.at[rid, "county"], "removed", old.at[rid, "function_type"], "")
             for rid in old.index.difference(now.index)]
    rows += [(rid, now.at[rid, "county"], "new", "", now.at[rid, "function_type"])
             for rid in now.index.difference(old.index)]
    return pd.DataFrame(rows, columns=FEATURE_COLUMNS).sort_values(["county", "redline_id"], ignore_index=True)
