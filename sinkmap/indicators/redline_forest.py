"""Forest stands inside the ecological redlines: 功能不降低 (function not lowered) by the inventory.

The land-cover check (``redline_cover``) sees forest as classified pixels; the stand survey (小班)
sees it as forest area and growing stock (蓄积量), the plan's own forest measure. Both stand
surveys are cut by *today's* redlines (``redline.county_pieces``: overlaps counted once), so a change
is a change of the forest inside today's redlines, not of their boundary. Redline by redline:

- 功能降低 function lowered: the growing stock inside the redline fell by more than STOCK_TOLERANCE
  of the earlier stock (and by more than STOCK_NOISE_M3), or its forest area by more than
  COVER_TOLERANCE_HA.

The check is made per redline because a county's net figure would hide a clear-cut in one redline
behind the growth of the others; the county × realm summary counts the flagged redlines. Harvesting
inside a redline is limited to what the redline rules allow (自然资源部、生态环境部、国家林业和草原局
《关于加强生态保护红线管理的通知（试行）》, 2022), so a flag calls for review, not a finding: stand
volumes are re-estimated at each inventory. Pure functions of ``StandForest`` and redline pieces.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sinkmap.crs import AREA_CRS
from sinkmap.indicators.forest import StandForest
from sinkmap.indicators.redline import PIECE_COLUMNS
from sinkmap.indicators.redline_cover import COVER_TOLERANCE_HA, FUNCTION_LOWERED, ZONE_KEYS
from sinkmap.indicators.stands import QUERY_PART, effective_geometries
from sinkmap.units import M2_PER_HA

STOCK_TOLERANCE = 0.01  # 1 % of the earlier stock: within the re-estimation of stand volumes between inventories
STOCK_NOISE_M3 = 1.0  # m³: less than one tree; smaller falls are rounding, not felling
MEASURES = ["forest_ha", "stock_m3", "previous_forest_ha", "previous_stock_m3", "forest_change_ha", "stock_change_m3",
            "stock_change_pct"]
FOREST_COLUMNS = [*PIECE_COLUMNS, *MEASURES, "flag"]
SUMMARY_COLUMNS = [*ZONE_KEYS, *MEASURES, "redlines_flagged", "flag"]


def stands_inside(forest: StandForest, pieces: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per redline piece (``redline.county_pieces``): forest-stand area (ha) and growing stock (m³).

    A forest stand counts with the part of it (overlaps with other stands cut once) that lies in the
    piece; its stock is that area × its volume per ha (stands of 乔木林地/红树林地, as in the survey's
    growing stock). Columns: PIECE_COLUMNS, forest_ha, stock_m3; one row per piece, in their order.
    """
    stands = forest.stands
    areas = pieces.to_crs(AREA_CRS).geometry.to_numpy()
    tree = shapely.STRtree(areas)
    counted = np.flatnonzero(stands["forest"].to_numpy())
    found = [(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0))]  # stand, piece, ha
    for start in range(0, len(counted), QUERY_PART):  # a part's effective geometries at a time: 10⁶ stands'
        rows = counted[start:start + QUERY_PART]  # would be a second copy of the layer
        geoms = effective_geometries(stands, forest.overlaps, rows=rows).to_numpy()
        stand, piece = tree.query(geoms, predicate="intersects")
        found.append((rows[stand], piece, shapely.area(shapely.intersection(geoms[stand], areas[piece])) / M2_PER_HA))
    stand, piece, area_ha = (np.concatenate(column) for column in zip(*found))
    per_ha = np.where(stands["in_stock"].to_numpy(), stands["volume_per_ha"].to_numpy(dtype=float), 0.0)
    parts = pd.DataFrame({"piece": piece, "forest_ha": area_ha, "stock_m3": area_ha * per_ha[stand]})
    sums = parts.groupby("piece")[["forest_ha", "stock_m3"]].sum().reindex(range(len(pieces)), fill_value=0.0)
    return pd.concat([pieces[PIECE_COLUMNS].reset_index(drop=True), sums.reset_index(drop=True)], axis=1)


def forest_check(now: pd.DataFrame, before: pd.DataFrame | None = None, *,
                 stock_tolerance: float = STOCK_TOLERANCE, area_tolerance_ha: float = COVER_TOLERANCE_HA
                 ) -> pd.DataFrame:
    """Per redline piece: forest area and stock now and, with ``before`` (``stands_inside`` of the
    earlier survey on the same pieces), then, the change and the flag; without, the change is empty
    (NaN) and the flag "" (nothing found), as for a redline that passed the check."""
    if before is None:
        return now.reindex(columns=FOREST_COLUMNS).assign(flag="")
    out = _with_changes(now.assign(previous_forest_ha=before["forest_ha"].to_numpy(),
                                   previous_stock_m3=before["stock_m3"].to_numpy()))
    fall = -out["stock_change_m3"]
    lowered = (((fall > stock_tolerance * out["previous_stock_m3"]) & (fall > STOCK_NOISE_M3))
               | (out["forest_change_ha"] < -area_tolerance_ha))
    return out.assign(flag=np.where(lowered, FUNCTION_LOWERED, ""))[FOREST_COLUMNS]


def forest_summary(check: pd.DataFrame) -> pd.DataFrame:
    """Per county × realm: the pieces' sums and their change, how many redlines were flagged, and
    the flag (any flagged redline flags its county × realm)."""
    compared = check["previous_stock_m3"].notna().any()
    columns = ["forest_ha", "stock_m3", *(["previous_forest_ha", "previous_stock_m3"] if compared else [])]
    out = check.groupby(ZONE_KEYS, as_index=False)[columns].sum()
    if compared:
        out = _with_changes(out)
        flagged = check[check["flag"] != ""].groupby(ZONE_KEYS)["redline_id"].nunique()
        out["redlines_flagged"] = out.set_index(ZONE_KEYS).index.map(flagged).fillna(0).astype(int)
        out["flag"] = np.where(out["redlines_flagged"] > 0, FUNCTION_LOWERED, "")
    return out.reindex(columns=SUMMARY_COLUMNS)


def _with_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the change of forest area (ha) and stock (m³, % of the earlier stock)."""
    out = frame.assign(forest_change_ha=frame["forest_ha"] - frame["previous_forest_ha"],
                       stock_change_m3=frame["stock_m3"] - frame["previous_stock_m3"])
    out["stock_change_pct"] = 100.0 * out["stock_change_m3"] / out["previous_stock_m3"].where(out["previous_stock_m3"] > 0)
    return out
