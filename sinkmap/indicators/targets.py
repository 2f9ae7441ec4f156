"""Plan targets (layers/targets.csv) attached to indicator values: pure table work."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sinkmap.catalogue import load_targets

TARGET_YEARS = (2025, 2030)
PLAN_START = 2021  # the plan's 2021–2025 work (mangrove planting and restoration, shelterbelts) counts from here
WORK_STATUSES = ("planted", "restored")  # a layer's statuses that count as that work


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
