"""Blue carbon (蓝碳) and the plan's mangrove targets, from the mangrove and coastal-habitat layers.

    soil stock = Σ area · soil_stock               Mg C       (top 1 m; IPCC 2013 Wetlands Supplement Tier 1)
    soil sink  = Σ area · soil_accumulation · 44/12 t CO₂e/yr (planted or restored patches only)

Tier 1 of the Wetlands Supplement credits soil accumulation only on rewetted, revegetated or
created coastal wetland, so existing habitats carry a stock and no sink. Mangrove trees are not
counted here: their biomass is in the stand layer (地类 红树林地, species group mangrove). Coral
reef and macroalgae are mapped and measured but not credited (IPCC gives them no default).

Uncertainty: IPCC Approach 1 as for forest carbon; one factor is shared by every patch of a
habitat, so errors add linearly within a habitat and in quadrature across habitats. Areas are
computed in the equal-area CRS; overlapping patches are counted once. Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd

from sinkmap.crs import STORAGE_CRS, area_m2
from sinkmap.indicators.parameters import FactorTable, ranged_parameters, relative_half_width, tier_columns
from sinkmap.indicators.stands import effective_areas_ha, overlapping_pairs
from sinkmap.indicators.targets import PLAN_START, WORK_STATUSES, dated_within
from sinkmap.units import CO2_PER_C, M2_PER_HA, MU_PER_HA

TABLE = "blue_carbon"
FACTORS = ("soil_stock", "soil_accumulation")
HABITATS = ("mangrove", "saltmarsh", "seagrass", "coral_reef", "macroalgae")  # overlap precedence
REVEGETATED = WORK_STATUSES  # statuses credited with soil accumulation (and counted towards the targets)
PATCH_COLUMNS = ["patch_id", "habitat", "status", "year", "county", "area_ha"]


@dataclass(frozen=True)
class BlueCarbonFactors(FactorTable):
    """Soil carbon stock and accumulation per credited habitat, with 95 % ranges and sources: ``values``
    etc. indexed by habitat, columns soil_stock (Mg C/ha) and soil_accumulation (Mg C/ha/yr)."""

    table: ClassVar[str] = TABLE

    @classmethod
    def from_table(cls, table: pd.DataFrame, path: str = "") -> BlueCarbonFactors:
        """Build from the long table (one row per habitat × parameter; optional ``origin`` column)."""
        ranged = ranged_parameters(table, "habitat", FACTORS, noun="habitats", path=path)
        return cls.of(ranged, path)

    def u(self) -> pd.DataFrame:
        """Relative 95 % half-width of each factor."""
        return relative_half_width(self.values, self.low, self.high)


def coastal_patches(mangroves: gpd.GeoDataFrame | None, habitats: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """One frame of blue-carbon patches (PATCH_COLUMNS + geometry), overlaps counted once.

    Both layers come from the readers with a ``county`` column. Where patches overlap, the shared
    area stays with the habitat first in HABITATS (mangrove over salt marsh over seagrass …), then
    with the patch first in ``patch_id`` order; ``area_ha`` is that effective area.
    """
    parts = []
    if mangroves is not None:
        parts.append(mangroves.assign(habitat="mangrove"))
    if habitats is not None:
        parts.append(habitats)
    if not parts:
        return gpd.GeoDataFrame({c: [] for c in PATCH_COLUMNS}, geometry=[], crs=STORAGE_CRS)
    frame = pd.concat(parts, ignore_index=True)
    frame["year"] = pd.array(frame.get("year", pd.Series(pd.NA, index=frame.index)), dtype="Int64")
    frame = gpd.GeoDataFrame(frame, geometry=parts[0].geometry.name, crs=parts[0].crs)
    rank = frame["habitat"].map({h: i for i, h in enumerate(HABITATS)}).astype(int)
    frame["_order"] = [f"{r}:{p}" for r, p in zip(rank, frame["patch_id"])]
    frame["area_ha"] = effective_areas_ha(frame, overlapping_pairs(frame, "_order"), "_order")
    return frame[[*PATCH_COLUMNS, frame.geometry.name]]


def overlap_ha(patches: gpd.GeoDataFrame) -> float:
    """Area (ha) the patches overlap by, counted once in ``coastal_patches``."""
    return float(area_m2(patches.geometry).sum() / M2_PER_HA - patches["area_ha"].sum())


def habitat_areas(patches: pd.DataFrame) -> pd.DataFrame:
    """Area (ha) per county × habitat (index county; one column per habitat in HABITATS)."""
    table = patches.pivot_table(index="county", columns="habitat", values="area_ha", aggfunc="sum", fill_value=0.0)
    return table.reindex(columns=list(HABITATS), fill_value=0.0)


def plan_work(patches: pd.DataFrame, status: str, survey_year: int, start: int = PLAN_START) -> pd.DataFrame:
    """Mangrove patches of ``status`` (planted | restored) dated ``start``–``survey_year``: county, year, area_ha."""
    rows = patches[(patches["habitat"] == "mangrove") & (patches["status"] == status)]
    return rows.loc[dated_within(rows["year"], start, survey_year), ["county", "year", "area_ha"]]


def year_reached(work: pd.DataFrame, target_ha: float) -> int | None:
    """First year in which the cumulative area of ``work`` reaches ``target_ha``, or None."""
    by_year = work.groupby("year")["area_ha"].sum().sort_index().cumsum()
    reached = by_year[by_year >= target_ha - 1e-9]
    return None if reached.empty else int(reached.index[0])


def soil_carbon(patches: pd.DataFrame, factors: BlueCarbonFactors) -> pd.DataFrame:
    """Soil carbon stock (top 1 m) per county × credited habitat: area_ha, carbon_mg_c, co2e_t, u."""
    credited = patches[patches["habitat"].isin(factors.values.index)]
    out = credited.groupby(["county", "habitat"], as_index=False)["area_ha"].sum()
    out["carbon_mg_c"] = out["area_ha"] * factors.values["soil_stock"].reindex(out["habitat"]).to_numpy()
    out["co2e_t"] = out["carbon_mg_c"] * CO2_PER_C
    out["u"] = factors.u()["soil_stock"].reindex(out["habitat"]).to_numpy()
    return out.join(tier_columns(factors.cell_tiers[["soil_stock"]], out["habitat"]))


def soil_sink(patches: pd.DataFrame, factors: BlueCarbonFactors) -> pd.DataFrame:
    """Annual soil sink of planted or restored patches per county × habitat:
    area_ha, sink_mg_c_per_yr, sink_co2e_t_per_yr, u."""
    credited = patches[patches["habitat"].isin(factors.values.index) & patches["status"].isin(REVEGETATED)]
    out = credited.groupby(["county", "habitat"], as_index=False)["area_ha"].sum()
    rate = factors.values["soil_accumulation"].reindex(out["habitat"]).to_numpy()
    out["sink_mg_c_per_yr"] = out["area_ha"] * rate
    out["sink_co2e_t_per_yr"] = out["sink_mg_c_per_yr"] * CO2_PER_C
    out["u"] = factors.u()["soil_accumulation"].reindex(out["habitat"]).to_numpy()
    return out.join(tier_columns(factors.cell_tiers[["soil_accumulation"]], out["habitat"]))


def dated_after(patches: pd.DataFrame, survey_year: int) -> np.ndarray:
    """Ids of patches dated after the survey year (they did not exist at the survey)."""
    later = (patches["year"] > survey_year).fillna(False).astype(bool)
    return patches.loc[later, "patch_id"].to_numpy()


def habitat_table(patches: pd.DataFrame | None, factors: BlueCarbonFactors) -> pd.DataFrame:
    """Per county × habitat × status: patches, area (ha, 亩), soil carbon stock and sink with their 95 % u.

    Uncredited habitats (coral reef, macroalgae) carry their area and empty carbon columns.
    """
    columns = ["county", "habitat", "status", "patches", "area_ha", "area_mu", "soil_carbon_mg_c",
               "soil_carbon_u_95", "soil_sink_co2e_t_per_yr", "soil_sink_u_95"]
    if patches is None or patches.empty:
        return pd.DataFrame(columns=columns)
    keys = ["county", "habitat", "status"]
    out = patches.groupby(keys, as_index=False).agg(patches=("patch_id", "size"), area_ha=("area_ha", "sum"))
    out["area_mu"] = out["area_ha"] * MU_PER_HA
    credited = out["habitat"].isin(factors.values.index)
    stock = factors.values["soil_stock"].reindex(out["habitat"]).to_numpy()
    rate = factors.values["soil_accumulation"].reindex(out["habitat"]).to_numpy()
    u = factors.u().reindex(out["habitat"])
    out["soil_carbon_mg_c"] = np.where(credited, out["area_ha"] * stock, np.nan)
    out["soil_carbon_u_95"] = u["soil_stock"].to_numpy()
    sinking = credited & out["status"].isin(REVEGETATED)
    sink = np.where(sinking, out["area_ha"] * rate * CO2_PER_C, 0.0)
    out["soil_sink_co2e_t_per_yr"] = np.where(credited, sink, np.nan)
    out["soil_sink_u_95"] = u["soil_accumulation"].to_numpy()
    return out[columns]
