"""Redline by redline (逐条红线): what became of each redline between two ledger versions.

The county × realm ledger (``redline.ledger_change``) nets gains against losses: a redline that
shrank hides behind one that was added. Here each redline is compared with itself, by id, from its
own geometry as read (its whole area, overlaps with other redlines not cut), in the equal-area CRS:

- 面积减少 area reduced: kept under the same id, its area fell by more than ``tolerance_ha``;
- 面积增加 area increased: its area grew by more than ``tolerance_ha``;
- 边界调整 boundary moved: its net area held (within ``tolerance_ha``) but it gave up or gained more
  than ``tolerance_ha`` of ground (both are listed);
- 功能类型改变 / 陆海类型改变: its function type or realm changed (性质不改变 review);
- 移出 removed / 新增 new: the id is only in the earlier / the later version.

A redline whose geometry is the same up to vertex order, ring start, orientation or a repeated
closing vertex, or that was only re-cut at a county line (the same ground in two parts), gives up and
gains nothing: it is not listed. Pure functions of the two layers as read.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sinkmap.crs import AREA_CRS
from sinkmap.indicators.redline import AREA_REDUCED, TOLERANCE_HA
from sinkmap.units import M2_PER_HA

AREA_INCREASED = "面积增加 area increased"
BOUNDARY_MOVED = "边界调整 boundary moved"
TYPE_CHANGED = {"function_type": "功能类型改变 function type changed", "realm": "陆海类型改变 realm changed"}
REMOVED = "移出 removed"
NEW = "新增 new"
AREAS = ["area_before_ha", "area_after_ha", "area_change_ha", "gained_ha", "given_up_ha"]
FEATURE_COLUMNS = ["redline_id", "county", "change", "before", "after", *AREAS]


def own_areas(redlines: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Each redline's own geometry in the equal-area CRS, indexed by redline_id."""
    return gpd.GeoSeries(redlines.geometry.to_numpy(), index=redlines["redline_id"].to_numpy(),
                         crs=redlines.crs).to_crs(AREA_CRS)


def area_changes(current: gpd.GeoDataFrame, previous: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per redline id in either version (index): its area before and after, the change, and the ground
    it gained and gave up (ha). A removed redline has only its area before, a new one only after."""
    now, old = own_areas(current), own_areas(previous)
    ids = now.index.union(old.index)
    empty = shapely.Polygon()
    a = now.reindex(ids).to_numpy()
    b = old.reindex(ids).to_numpy()
    a_or_empty = np.where(pd.isna(a), empty, a)
    b_or_empty = np.where(pd.isna(b), empty, b)
    out = pd.DataFrame({
        "area_before_ha": np.where(pd.isna(b), np.nan, shapely.area(b_or_empty) / M2_PER_HA),
        "area_after_ha": np.where(pd.isna(a), np.nan, shapely.area(a_or_empty) / M2_PER_HA),
    }, index=ids)
    kept = ~(pd.isna(a) | pd.isna(b))
    out["area_change_ha"] = out["area_after_ha"] - out["area_before_ha"]
    out["gained_ha"] = np.where(kept, shapely.area(shapely.difference(a_or_empty, b_or_empty)) / M2_PER_HA, np.nan)
    out["given_up_ha"] = np.where(kept, shapely.area(shapely.difference(b_or_empty, a_or_empty)) / M2_PER_HA, np.nan)
    return out.rename_axis("redline_id")


def area_change_label(row: pd.Series, tolerance_ha: float = TOLERANCE_HA) -> str:
    """The change of a kept redline's area (``area_changes`` row), or "" when it is the same ground."""
    if row["area_change_ha"] < -tolerance_ha:
        return AREA_REDUCED
    if row["area_change_ha"] > tolerance_ha:
        return AREA_INCREASED
    if max(row["gained_ha"], row["given_up_ha"]) > tolerance_ha:
        return BOUNDARY_MOVED
    return ""


def feature_changes(current: gpd.GeoDataFrame, previous: gpd.GeoDataFrame, tolerance_ha: float = TOLERANCE_HA
                    ) -> pd.DataFrame:
    """One row per change of a redline (FEATURE_COLUMNS), sorted by county and id; a redline with two
    changes (its area and its function type) has two rows, both with its areas. ``county`` is the
    reader's county of the later version (of the earlier one for a removed redline)."""
    now, old = current.set_index("redline_id"), previous.set_index("redline_id")
    areas = area_changes(current, previous)
    rows = []
    for rid in now.index.intersection(old.index):
        for field, label in TYPE_CHANGED.items():
            if now.at[rid, field] != old.at[rid, field]:
                rows.append((rid, now.at[rid, "county"], label, old.at[rid, field], now.at[rid, field]))
        if change := area_change_label(areas.loc[rid], tolerance_ha):
            rows.append((rid, now.at[rid, "county"], change, "", ""))
    rows += [(rid, old.at[rid, "county"], REMOVED, old.at[rid, "function_type"], "")
             for rid in old.index.difference(now.index)]
    rows += [(rid, now.at[rid, "county"], NEW, "", now.at[rid, "function_type"])
             for rid in now.index.difference(old.index)]
    out = pd.DataFrame(rows, columns=FEATURE_COLUMNS[:5])
    out = out.join(areas, on="redline_id")
    return out.sort_values(["county", "redline_id"], ignore_index=True, kind="stable")[FEATURE_COLUMNS]
