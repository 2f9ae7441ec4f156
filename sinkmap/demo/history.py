"""The demo's earlier survey and its projection scenario, SYNTHETIC.

- ``previous_stands``: the same stands five years before the survey — volumes lower by a
  seeded 10–25 %, some of today's young plantations still unestablished (未成林造林地), and the
  arbor stands of one 陆丰市 redline thinned since (their volume was 1.5× today's), which the
  redline forest check must flag.
- ``previous_redlines``: the redline ledger three years before, with three edits the ledger check
  must find: a 海丰县 land redline that was larger (area reduced), a 陆丰市 redline of another
  function type, and a 城区 marine redline that is new.
- ``previous_landcover``: the land cover ``YEARS_BEFORE`` years before, today's map with three edits
  inside the redlines the land-cover check must tell apart: in a 陆丰市 redline today's built-up was
  forest (nature changed, function lowered), in a 海丰县 redline some of today's forest was
  shrubland (restored, no flag), and in a 陆河县 redline a few built-up cells were forest (below the
  tolerance, no flag).
- ``scenario``: planned afforestation and harvest per county for the years after the survey.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from rasterio import features

from sinkmap.crs import AREA_CRS
from sinkmap.demo.landscape import BUILT, SHRUB, TREE

YEARS_BEFORE = 5
REDLINE_YEARS_BEFORE = 3  # the redline ledger's earlier version (三区三线 result, 2022)
RESTORED_SHARE = 0.03  # of the forest cells of the 海丰县 redline that were shrubland before
NOISE_CELLS = 5  # built-up cells of the 陆河县 redline that were forest before: < 1 ha, below the tolerance
SHRUNK_BY_M = 150.0  # the 海丰县 redline reached this much further in the earlier version
PLANTED_SINCE = 0.35  # share of today's young planted arbor stands that were planted after the earlier survey
THINNED_FROM = 1.5  # the arbor stands of the thinned 陆丰市 redline held this × today's volume per ha before
THINNED_REDLINE = ("441581", "land", 3)  # county, realm, position in id order: HX-441581-L004
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


def previous_stands(stands: gpd.GeoDataFrame, seed: int, redlines: gpd.GeoDataFrame | None = None
                    ) -> gpd.GeoDataFrame:
    """The stand layer ``YEARS_BEFORE`` years earlier (same stands and ids), SYNTHETIC; with
    ``redlines``, the arbor stands of THINNED_REDLINE held THINNED_FROM × today's volume."""
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
    if redlines is not None:
        shape = redlines.geometry.loc[_nth(redlines, *THINNED_REDLINE)]
        thinned = (stands["land_class"] == "arbor") & stands.representative_point().within(shape)
        earlier.loc[thinned, "volume_per_ha"] = np.round(stands.loc[thinned, "volume_per_ha"] * THINNED_FROM, 1)
    return earlier


def _nth(redlines: gpd.GeoDataFrame, county: str, realm: str, n: int = 0):
    """Index label of the county's ``n``-th redline of ``realm`` in id order."""
    rows = redlines[(redlines["county"] == county) & (redlines["realm"] == realm)]
    return rows.sort_values("redline_id").index[n]


def previous_redlines(redlines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The earlier redline ledger: today's redlines with three edits undone, SYNTHETIC."""
    earlier = redlines.copy()

    def first(county: str, realm: str):
        return _nth(earlier, county, realm)
    wider = first("441521", "land")  # 海丰县 lost area since
    grown = earlier.loc[[wider]].to_crs(AREA_CRS).buffer(SHRUNK_BY_M).to_crs(earlier.crs)
    earlier.loc[wider, earlier.geometry.name] = grown.iloc[0]
    other = first("441581", "land")  # 陆丰市: function type changed since
    earlier.loc[other, "function_type"] = ("soil_conservation" if earlier.at[other, "function_type"] != "soil_conservation"
                                           else "water_conservation")
    return earlier.drop(index=first("441502", "marine"))  # 城区: a marine redline added since


def previous_landcover(classes: np.ndarray, redlines: gpd.GeoDataFrame, transform: Affine,
                       seed: int) -> np.ndarray:
    """The land cover ``YEARS_BEFORE`` years earlier (WorldCover codes): today's with three edits, SYNTHETIC."""
    earlier = classes.copy()

    def cells(county: str, n: int) -> np.ndarray:
        shape = redlines.geometry.loc[_nth(redlines, county, "land", n)]
        return features.rasterize([(shape, 1)], out_shape=classes.shape, transform=transform, dtype="uint8") > 0
    encroached = cells("441581", 2) & (classes == BUILT)  # 陆丰市: built since
    earlier[encroached] = TREE
    forest = np.flatnonzero(cells("441521", 1) & (classes == TREE))  # 海丰县: restored since
    rng = np.random.default_rng(seed + 11)
    earlier.flat[rng.choice(forest, int(RESTORED_SHARE * forest.size), replace=False)] = SHRUB
    noise = np.flatnonzero(cells("441523", 1) & (classes == BUILT))[:NOISE_CELLS]  # 陆河县: within the noise
    earlier.flat[noise] = TREE
    return earlier


def scenario_table() -> pd.DataFrame:
    """The demo's projection scenario (CSV columns of the catalogue's ``scenario`` table)."""
    columns = ["county", "activity", "year_from", "year_to", "area_ha", "volume_m3", "increment_m3_per_ha",
               "counts_after_years", "species_group"]
    table = pd.DataFrame(SCENARIO_ROWS, columns=columns)
    table["note"] = SCENARIO_NOTE
    return table
