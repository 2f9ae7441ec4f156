"""One survey year's redline ledger (生态保护红线台账) and its change since an earlier version. No file I/O."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from sinkmap.config import REDLINES_PREVIOUS
from sinkmap.indicators.redline import (
    CHANGE_COLUMNS,
    FEATURE_COLUMNS,
    LEDGER_COLUMNS,
    feature_changes,
    ledger,
    ledger_change,
)


@dataclass(frozen=True)
class RedlineYear:
    """The ledger per county × realm × function type and, with an earlier version, what changed."""

    by_function: pd.DataFrame  # county, realm, function_type, redlines, area_ha
    per_realm: pd.DataFrame  # county × realm: area_ha (+ previous, change, added, removed, flag)
    features: pd.DataFrame  # redline_id, county, change, before, after (empty without an earlier version)
    previous_year: int | None = None


def redline_year(layers: dict[str, gpd.GeoDataFrame], previous_year: int | None) -> RedlineYear | None:
    """The ledger of the survey's redline layer, or None when there is none."""
    if "redlines" not in layers:
        return None
    current = layers["redlines"]
    by_function = ledger(current)
    if REDLINES_PREVIOUS in layers:
        earlier = layers[REDLINES_PREVIOUS]
        per_realm = ledger_change(current, earlier)
        features = feature_changes(current, earlier)
    else:
        areas = by_function.groupby(["county", "realm"], as_index=False)["area_ha"].sum()
        per_realm = areas.reindex(columns=CHANGE_COLUMNS)
        features = pd.DataFrame(columns=FEATURE_COLUMNS)
        previous_year = None
    return RedlineYear(by_function, per_realm, features, previous_year)


def redline_tables(ledger: RedlineYear | None) -> dict[str, pd.DataFrame]:
    """The ledger's three output tables (with headers only when the survey has no redline layer)."""
    if ledger is None:
        return {"redline_ledger.csv": pd.DataFrame(columns=LEDGER_COLUMNS),
                "redline_change.csv": pd.DataFrame(columns=CHANGE_COLUMNS),
                "redline_features_changed.csv": pd.DataFrame(columns=FEATURE_COLUMNS)}
    return {"redline_ledger.csv": ledger.by_function, "redline_change.csv": ledger.per_realm,
            "redline_features_changed.csv": ledger.features}
