"""One survey year's blue carbon and mangrove-target progress: the glue between the readers' coastal
layers and the pure functions of ``sinkmap.indicators.bluecarbon``. No file I/O.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from sinkmap.errors import SinkmapWarning
from sinkmap.indicators.bluecarbon import (
    REVEGETATED,
    BlueCarbonFactors,
    coastal_patches,
    dated_after,
    habitat_areas,
    overlap_ha,
    plan_work,
    soil_carbon,
    soil_sink,
)
from sinkmap.indicators.targets import PLAN_START, WORK_STATUSES
from sinkmap.survey.notices import shown


@dataclass(frozen=True)
class BlueYear:
    """Blue-carbon patches and results of one survey year, per county."""

    year: int
    layers: tuple[str, ...]  # which of "mangroves", "coastal_habitats" were given
    patches: gpd.GeoDataFrame  # PATCH_COLUMNS + geometry, overlaps counted once
    areas: pd.DataFrame  # county × habitat, ha
    work: dict[str, pd.DataFrame]  # status (WORK_STATUSES: planted, restored) → county, year, area_ha (plan period)
    soil: pd.DataFrame  # county × habitat: area_ha, carbon_mg_c, co2e_t, u
    sink: pd.DataFrame  # county × habitat: area_ha, sink_mg_c_per_yr, sink_co2e_t_per_yr, u


def blue_year(layers: dict[str, gpd.GeoDataFrame], year: int, factors: BlueCarbonFactors) -> BlueYear | None:
    """Blue carbon of the survey's mangrove and coastal-habitat layers, or None when neither is given."""
    given = tuple(k for k in ("mangroves", "coastal_habitats") if k in layers)
    if not given:
        return None
    patches = coastal_patches(layers.get("mangroves"), layers.get("coastal_habitats"))
    later = dated_after(patches, year)
    _warn(patches, later, year)
    patches = patches[~patches["patch_id"].isin(later)]
    work = {status: plan_work(patches, status, year) for status in WORK_STATUSES}
    return BlueYear(year, given, patches, habitat_areas(patches), work, soil_carbon(patches, factors),
                    soil_sink(patches, factors))


def _warn(patches: gpd.GeoDataFrame, later, year: int) -> None:
    """Warn about the patches left out (``later``: dated after the survey), undated plan work and overlaps."""
    if len(later):
        warnings.warn(f"{len(later)} mangrove or habitat patches are dated after the survey year {year} "
                      f"({shown(later)}); they are left out of this survey", SinkmapWarning, stacklevel=3)
    undated = patches[(patches["habitat"] == "mangrove") & patches["status"].isin(REVEGETATED)
                      & patches["year"].isna()]
    if len(undated):
        warnings.warn(f"{len(undated)} planted or restored mangrove patches have no year "
                      f"({shown(undated['patch_id'])}); they count in the blue-carbon stock and sink but not "
                      f"towards the plan's {PLAN_START}–{year} mangrove targets: give their year",
                      SinkmapWarning, stacklevel=3)
    shared = overlap_ha(patches)
    if shared > 1e-4:
        warnings.warn(f"mangrove and coastal-habitat patches overlap by {shared:,.2f} ha; the overlap is counted "
                      "once (mangrove first, then salt marsh, seagrass, coral reef, macroalgae)",
                      SinkmapWarning, stacklevel=3)
