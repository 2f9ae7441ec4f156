"""The demo's earlier survey and its projection scenario, SYNTHETIC.

- ``previous_stands``: the same stands five years before the survey — volumes lower by a
  seeded 10–25 %, and some of today's young plantations still unestablished (未成林造林地).
- ``previous_redlines``: the redline ledger three years before, with three edits the ledger check
  must find: a 海丰县 land redline that was larger (area reduced), a 陆丰市 redline of another
  function type, and a 城区 marine redline that is new.
- ``scenario``: planned afforestation and harvest per county for the years after the survey.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from sinkmap.readers.crs import AREA_CRS

YEARS_BEFORE = 5
REDLINE_YEARS_BEFORE = 3  # the redline ledger's earlier version (三区三线 result, 2022)
SHRUNK_BY_M = 150.0  # the 海丰县 redline reached this much further in the earlier version
PLANTED_SINCE = 0.35  # share of today's young planted arbor stands that were planted after the earlier survey
# county, activity, year_from, year_to, area_ha, volume_m3, increment_m3_per_ha, counts_after_years, species_group
SCENARIO_ROWS = [
    ("441502", "afforestation", 2026, 2030, 150.0, None, 9.0, 3, "acacia"),
    ("441521", "afforestation", 2026, 2030, 900.0, None, 12.0, 3, "eucalyptus"),
    ("441523", "afforestation", 2026, 2030, 400.0, None, 8.0, 3, "broadleaf_mixed"),
    ("441581", "afforestation", 2026, 2030, 800.0, None, 12.0, 3, "eucalyptus"),
    ("441521", "harvest", 2026, 2030, None, 90_000.0, None, None, "eucalyptus"),
    ("441581", "harvest", 2026, 2030, 50.0, 80_000.0, None, None, "eucalyptus"),
]
SCENARIO_NOTE = "SYNTHETIC demo scenario"


def previous_stands(stands: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """The stand layer ``YEARS_BEFORE`` years earlier (same stands and ids), SYNTHETIC."""
    rng = np.random.default_rng(seed + 7)
    earlier = stands.copy()
    n = len(earlier)
    shrink = rng.uniform(0.75, 0.90, n)
    earlier["volume_per_ha"] = np.round(earlier["volume_per_ha"].to_numpy() * shrink, 1)
    young = ((earlier["land_class"] == "arbor") & (earlier["origin"] == "planted")
             & (earlier["age_group"] == "young")).to_numpy()
    new = young & (rng.random(n) < PLANTED_SINCE)
    earlier.loc[new, "land_class"] = "unestablished"
    earlier.loc[new, "volume_per_ha"] = 0.0
    earlier.loc[new, "canopy_closure"] = np.round(rng.uniform(0.0, 0.09, int(new.sum())), 2)
    earlier.loc[new, "age_group"] = None
    return earlier


def previous_redlines(redlines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The earlier redline ledger: today's redlines with three edits undone, SYNTHETIC."""
    earlier = redlines.copy()

    def first(county: str, realm: str) -> int:
        rows = earlier[(earlier["county"] == county) & (earlier["realm"] == realm)]
        return rows.sort_values("redline_id").index[0]
    wider = first("441521", "land")  # 海丰县 lost area since
    grown = earlier.loc[[wider]].to_crs(AREA_CRS).buffer(SHRUNK_BY_M).to_crs(earlier.crs)
    earlier.loc[wider, earlier.geometry.name] = grown.iloc[0]
    other = first("441581", "land")  # 陆丰市: function type changed since
    earlier.loc[other, "function_type"] = ("soil_conservation" if earlier.at[other, "function_type"] != "soil_conservation"
                                           else "water_conservation")
    return earlier.drop(index=first("441502", "marine"))  # 城区: a marine redline added since


def scenario_table() -> pd.DataFrame:
    """The demo's projection scenario (CSV columns of the catalogue's ``scenario`` table)."""
    columns = ["county", "activity", "year_from", "year_to", "area_ha", "volume_m3", "increment_m3_per_ha",
               "counts_after_years", "species_group"]
    table = pd.DataFrame(SCENARIO_ROWS, columns=columns)
    table["note"] = SCENARIO_NOTE
    return table
