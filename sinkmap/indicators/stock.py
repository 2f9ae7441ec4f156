"""Growing stock (森林蓄积量) by county, species group, origin and age group: pure table work."""

from __future__ import annotations

import pandas as pd

from sinkmap.indicators.forest import StandForest
from sinkmap.units import m3_to_wan_m3

GROUPS = ("county", "species_group", "origin", "age_group")
NO_GROUP = "—"  # stands without an age group (bamboo, shrub …)


def stock_by_group(result: StandForest, groups: tuple[str, ...] = GROUPS) -> pd.DataFrame:
    """One row per combination of ``groups`` over the stands in the growing stock.

    Columns: the groups, ``stands``, ``area_ha``, ``stock_m3`` (Σ area_ha × volume_per_ha) and
    ``stock_wan_m3`` (万m³).
    """
    counted = result.stands[result.stands["in_stock"]]
    frame = counted[list(groups)].astype("string").fillna(NO_GROUP)
    frame = frame.assign(stands=1, area_ha=counted["area_ha"], stock_m3=counted["stock_m3"])
    table = frame.groupby(list(groups), sort=True, dropna=False).sum().reset_index()
    table["stock_wan_m3"] = m3_to_wan_m3(table["stock_m3"])
    return table
