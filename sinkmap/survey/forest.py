"""One survey year's forest: stands read as forest, reconciled with land cover, converted to carbon.

The glue between the readers' layers and the pure indicator functions; the only I/O is the
zonal passes of the (open) land-cover map under the stands' footprint and patches.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from sinkmap.errors import SinkmapWarning
from sinkmap.indicators.biomass import BiomassFactors, carbon_by_group
from sinkmap.indicators.forest import (
    ForestDefinition,
    StandForest,
    forest_from_landcover,
    reconcile,
    stand_forest,
)
from sinkmap.indicators.stands import area_mismatches, stand_areas_ha
from sinkmap.survey.notices import shown, warn_overlaps
from sinkmap.units import CO2_PER_C, M2_PER_HA
from sinkmap.zonal.landcover import LandCover


@dataclass(frozen=True)
class ForestYear:
    """Forest of one survey year, per county."""

    year: int
    stands: StandForest | None  # None once an earlier year is reduced to its tables (survey.compute)
    per_unit: pd.DataFrame  # index adcode: stands_ha, landcover_ha, both_ha … combined_ha, stock_m3
    carbon: pd.DataFrame  # county × species_group: stock_m3, biomass_t, carbon_mg_c, co2e_t, u


def warn_about_stands(stands: gpd.GeoDataFrame, result: StandForest, definition: ForestDefinition,
                      name: str) -> None:
    """Warn about recorded areas that disagree with the geometry, and about overlapping stands."""
    mismatched = area_mismatches(stands, stand_areas_ha(stands), definition.area_tolerance)
    if len(mismatched):
        warnings.warn(f"{name}: {len(mismatched)} stands have an area_ha more than {definition.area_tolerance:.0%} "
                      f"from their geometry's area ({shown(mismatched)}); the geometry area (equal-area CRS) is used",
                      SinkmapWarning, stacklevel=2)
    warn_overlaps(result.overlaps, name, "stands", "stand_id")


def forest_year(year: int, stands: gpd.GeoDataFrame, belts: gpd.GeoDataFrame | None, landcover: LandCover,
                class_areas: pd.DataFrame, definition: ForestDefinition, factors: BiomassFactors,
                name: str) -> ForestYear:
    """Forest patches, reconciliation with land cover, stock and carbon of one stand layer.

    ``class_areas``: ``landcover``'s class areas per county (adcode) by the centre rule
    (``LandCover.class_areas_centre``); the forest inside the stands' footprint and patches is read here by
    the fraction rule (``LandCover.forest_ha_fraction``), see ``reconcile``.
    """
    result = stand_forest(stands, definition, belts)
    warn_about_stands(stands, result, definition, name)
    counted = result.stands[result.stands["in_stock"]]
    factors.require(counted["species_group"], counted["stand_id"], path=name)
    stands_ha = (result.patches.set_index("unit").area / M2_PER_HA).rename("stands")
    landcover_ha = forest_from_landcover(class_areas, landcover.preset)
    table = reconcile(stands_ha, landcover_centre_ha=landcover_ha,
                      in_footprint_fraction_ha=landcover.forest_ha_fraction(result.footprint),
                      in_patches_fraction_ha=landcover.forest_ha_fraction(result.patches))
    table = table.assign(stands_ha=stands_ha, landcover_ha=landcover_ha,
                         stock_m3=result.stands.groupby("county")["stock_m3"].sum())
    table = table.fillna({c: 0.0 for c in table.columns if c != "disagreement_pct"})
    stock = counted.groupby(["county", "species_group"], as_index=False)["stock_m3"].sum()
    return ForestYear(year, result, table, carbon_by_group(stock, factors))


def stand_carbon(result: StandForest, factors: BiomassFactors) -> gpd.GeoDataFrame:
    """Each stand as the survey read it (``StandForest.stands``: its area with overlaps counted once, whether
    it is forest, whether it counts toward the growing stock, its stock) with its biomass carbon
    (``carbon_mg_c``, t C) and CO₂ equivalent (``co2e_t``), 0 for stands outside the growing stock."""
    stands = result.stands
    per_m3 = stands["species_group"].map(factors.carbon_per_m3()).where(stands["in_stock"], 0.0)
    carbon = (stands["stock_m3"] * per_m3).astype(float)
    return stands.assign(carbon_mg_c=carbon, co2e_t=carbon * CO2_PER_C)
