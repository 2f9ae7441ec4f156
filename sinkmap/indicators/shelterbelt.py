"""Coastal shelterbelts (沿海防护林带) at the plan's restoration sites: area by status, and the work
(planting and restoration) recorded since the plan period began. Pure functions.

A belt belongs to the site named in its ``site`` field; belts naming no plan site are grouped as
"other" and belts without a site as "not given". Areas in the equal-area CRS, overlapping belts
counted once.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from sinkmap.indicators.stands import effective_areas_ha, overlapping_pairs
from sinkmap.indicators.targets import PLAN_START, WORK_STATUSES, dated_within
from sinkmap.units import MU_PER_HA

OTHER, NOT_GIVEN = "其他片区 other site", "未注明 not given"
NO_WORK = "无修复记录 no work recorded"
SITE_COLUMNS = ["site", "county", "belts", "existing_ha", "planted_ha", "restored_ha", "work_since_ha",
                "work_since_mu", "flag"]


def belt_areas(belts: gpd.GeoDataFrame, pairs: pd.DataFrame | None = None) -> pd.Series:
    """Each belt's area (ha), overlaps counted once (with the belt first in ``belt_id`` order);
    ``pairs``: the overlapping pairs when already found (``stands.overlapping_pairs``)."""
    return effective_areas_ha(belts, overlapping_pairs(belts, "belt_id") if pairs is None else pairs, "belt_id")


def work_since(belts: pd.DataFrame, survey_year: int, start: int = PLAN_START) -> pd.Series:
    """True for belts planted or restored in ``start``–``survey_year``."""
    years = belts["year"] if "year" in belts else pd.Series(pd.NA, index=belts.index, dtype="Int64")
    return belts["status"].isin(WORK_STATUSES) & dated_within(years, start, survey_year)


def site_progress(belts: gpd.GeoDataFrame, sites: pd.DataFrame, survey_year: int,
                  areas: pd.Series | None = None) -> pd.DataFrame:
    """One row per plan site (``sites``: name_zh, county_adcode, in plan order), then "other" and
    "not given" when present: belts, area by status (ha), work since PLAN_START (ha, 亩) and the
    flag NO_WORK for a plan site with none. ``areas``: ``belt_areas(belts)`` when already computed."""
    frame = belts.assign(area_ha=belt_areas(belts) if areas is None else areas, work=work_since(belts, survey_year))
    names = list(sites["name_zh"])
    site = frame["site"] if "site" in frame else pd.Series(pd.NA, index=frame.index)
    frame["group"] = np.where(site.isna() | (site.astype("string").str.strip() == ""), NOT_GIVEN,
                              np.where(site.isin(names), site, OTHER))
    area = frame.pivot_table(index="group", columns="status", values="area_ha", aggfunc="sum", fill_value=0.0)
    counts = frame.groupby("group").size()
    work = frame[frame["work"]].groupby("group")["area_ha"].sum()
    groups = [*names, *[g for g in (OTHER, NOT_GIVEN) if g in counts.index]]
    county = dict(zip(sites["name_zh"], sites["county_adcode"]))
    rows = []
    for group in groups:
        done = float(work.get(group, 0.0))
        rows.append({"site": group, "county": county.get(group, ""), "belts": int(counts.get(group, 0)),
                     **{f"{s}_ha": float(area[s].get(group, 0.0)) if s in area else 0.0
                        for s in ("existing", "planted", "restored")},
                     "work_since_ha": done, "work_since_mu": done * MU_PER_HA,
                     "flag": NO_WORK if group in names and done == 0.0 else ""})
    return pd.DataFrame(rows, columns=SITE_COLUMNS)


def county_work(belts: gpd.GeoDataFrame, survey_year: int, areas: pd.Series | None = None) -> pd.DataFrame:
    """Per county: shelterbelt area (ha) and the work since PLAN_START (亩); ``areas`` as in site_progress."""
    frame = belts.assign(area_ha=belt_areas(belts) if areas is None else areas, work=work_since(belts, survey_year))
    return pd.DataFrame({"shelterbelt_area": frame.groupby("county")["area_ha"].sum(),
                         "shelterbelt_work": frame[frame["work"]].groupby("county")["area_ha"].sum() * MU_PER_HA})


def plan_sites(sites: pd.DataFrame, kinds: Sequence[str] = ("shelterbelt",)) -> pd.DataFrame:
    """The plan's shelterbelt restoration sites of the AOI's site table, in its order."""
    return sites[sites["kind"].isin(kinds)][["name_zh", "county_adcode"]].reset_index(drop=True)
