"""Plan targets (layers/targets.csv) attached to indicator values: pure table work."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sinkmap.catalogue import load_targets

TARGET_YEARS = (2025, 2030)
PLAN_START = 2021  # the plan's 2021–2025 work (mangrove planting and restoration, shelterbelts) counts from here
WORK_STATUSES = ("planted", "restored")  # a layer's statuses that count as that work
STATUS_LABELS = {"met": ("达标", "met"), "on_track": ("进度正常", "on track"), "behind": ("滞后", "behind"),
                 "not_met": ("未达标", "not met")}  # status code → (zh, en)


def dated_within(years: pd.Series, first: int, last: int) -> pd.Series:
    """True where a year lies in ``first``–``last`` (inclusive); an empty year is False."""
    return years.between(first, last).fillna(False).astype(bool)


def attach_targets(indicators: pd.DataFrame, target_of: dict[str, str], targets: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """Add ``target_2025``/``target_2030`` columns from the targets table.

    ``indicators`` has columns adcode, indicator, value, unit; ``target_of`` maps an indicator
    id to the target indicator it is measured against (e.g. both cover methods → forest_cover).
    A target applies when its scope is the row's adcode and its unit equals the row's unit.
    """
    targets = load_targets() if targets is None else targets
    out = indicators.copy()
    for year in TARGET_YEARS:
        rows = targets[targets["year"] == year]
        lookup = {(r.indicator, r.scope, r.unit): r.value for r in rows.itertuples()}
        out[f"target_{year}"] = [
            lookup.get((target_of.get(ind, ""), adcode, unit), np.nan)
            for ind, adcode, unit in zip(out["indicator"], out["adcode"], out["unit"])
        ]
    return out


def target_sources(target_of: dict[str, str], targets: pd.DataFrame | None = None) -> dict[str, str]:
    """The source text of the targets each indicator is compared with."""
    targets = load_targets() if targets is None else targets
    by_indicator = targets.groupby("indicator")["source"].first().to_dict()
    return {ind: by_indicator[t] for ind, t in target_of.items() if t in by_indicator}


def target_status(*, value: float, target: float, gap: float, reach: float, year: int, survey_year: int,
                  dated_work: bool = False, start: int = PLAN_START) -> str:
    """A unit's standing against one target (a minimum): a key of STATUS_LABELS, or "" without a target or value.

    Target year passed (``year`` ≤ ``survey_year``): met when ``gap`` (value in that year − target) ≥ 0, else
    not_met. Target year ahead: met when the value already meets it and is projected to hold in ``year``
    (``gap`` ≥ 0), on_track when projected to meet it by then, else behind. ``dated_work`` (the mangrove
    targets: work counted from dated patches, no projection): met once ``reach`` (the year the work
    reached the target) ≤ ``year``; ahead of the target year, on_track when the work done is at least the
    target's share for the years elapsed (years ``start``–``survey_year`` of ``start``–``year``), else behind.
    """
    if pd.isna(target) or pd.isna(value):
        return ""
    if dated_work:
        if not pd.isna(reach) and reach <= year:
            return "met"
        if year <= survey_year:
            return "not_met"
        due = target * (survey_year - start + 1) / (year - start + 1)
        return "on_track" if value >= due else "behind"
    if pd.isna(gap):
        return ""
    if year <= survey_year:
        return "met" if gap >= 0 else "not_met"
    if gap >= 0:
        return "met" if value >= target else "on_track"
    return "behind"
