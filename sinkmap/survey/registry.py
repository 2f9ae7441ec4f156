"""The indicator registry: each indicator's value function, source text and target rule, in one entry.

Its label (Chinese, English), unit, the inputs whose coverage it rests on, its description and the
plan target it is compared with are the row of the same id in ``layers/indicators.csv``; the targets
themselves are rows of ``layers/targets.csv``. A new indicator is that row and an entry here; the
indicator table (``indicators.csv``), the GeoPackage, the report and the coverage masks follow.

Entries are listed by theme (forest, blue carbon, redlines, shelterbelts, mariculture, then the ranged
carbon indicators): the order of the survey's wide tables (``survey.gpkg``). The long table follows the
order of ``layers/indicators.csv``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd

from sinkmap.catalogue import load_indicator_specs
from sinkmap.errors import SchemaError
from sinkmap.indicators.biomass import sink_by_difference, sum_independent
from sinkmap.indicators.forest import cover_pct
from sinkmap.indicators.targets import PLAN_START
from sinkmap.survey.context import Computed, Provenance, Value
from sinkmap.units import CO2_PER_C, HA_PER_KM2, MU_PER_HA, m3_to_wan_m3

IPCC_RANGE = "95 % range: IPCC Approach 1"
PATCH_AREA = "Σ patch area (equal-area CRS), overlapping patches counted once"


@dataclass(frozen=True)
class Projected:
    """Target rule: the gap and reach year come from the projection, in the trajectory's ``columns``
    (the area-like one, then the one compared with the target); a unit whose inputs do not cover it
    has both masked."""

    columns: tuple[str, str]

    @property
    def compared(self) -> str:
        return self.columns[-1]


@dataclass(frozen=True)
class PlanWork:
    """Target rule: gap = value − target, and the year the dated patch records of work ``status``
    (planted, restored) reach the target."""

    status: str


@dataclass(frozen=True)
class Indicator:
    """One indicator: its id (a row of layers/indicators.csv), value, source text and target rule."""

    id: str
    value: Callable[[Computed], Value]
    source: Callable[[Provenance], str]
    rule: Projected | PlanWork | None = None

    @property
    def spec(self) -> pd.Series:
        """Its row of layers/indicators.csv: name_zh, name_en, unit, target, inputs, description."""
        return load_indicator_specs().loc[self.id]


def _forest(column: str) -> Callable[[Computed], Value]:
    return lambda c: c.forest[column]


def _cover(column: str) -> Callable[[Computed], Value]:
    return lambda c: cover_pct(c.forest[column], c.land)


def _stock_change(c: Computed) -> Value:
    if c.previous is None:
        return None
    before = c.per_unit(c.previous.per_unit[["stock_m3"]])["stock_m3"]
    return m3_to_wan_m3(c.forest["stock_m3"] - before) / c.years


def _carbon_sink(c: Computed) -> Value:
    if c.previous is None:
        return None
    sink = sink_by_difference(c.previous.carbon, c.current.carbon, c.years, "county")
    return c.ranged(sink, "sink_co2e_t_per_yr")


def _habitat(indicator: str, layer: str, habitat: str) -> Indicator:
    """Area (ha) of one blue-carbon habitat, from the layer that carries it."""
    def value(c: Computed) -> Value:
        if c.blue is None or layer not in c.blue.layers:
            return None
        return c.per_unit(c.blue.areas.get(habitat, pd.Series(dtype=float)))
    return Indicator(indicator, value, lambda p: f"{p.blue_files[layer]}: {PATCH_AREA}")


def _plan_work(indicator: str, status: str) -> Indicator:
    """Mangrove work (亩) of the plan period: patches of ``status`` dated PLAN_START–survey year."""
    def value(c: Computed) -> Value:
        if c.blue is None or "mangroves" not in c.blue.layers:
            return None
        return c.per_unit(c.blue.work[status].groupby("county")["area_ha"].sum() * MU_PER_HA)

    def source(p: Provenance) -> str:
        return (f"{p.blue_files['mangroves']}: patches with status {status} and year {PLAN_START}–"
                f"{p.config.survey_year}, {PATCH_AREA} × 15 亩/ha; target: {p.target(indicator)}")
    return Indicator(indicator, value, source, PlanWork(status))


def _blue(column: str, value: str) -> Callable[[Computed], Value]:
    """A ranged blue-carbon total (soil stock or sink) over the habitats."""
    return lambda c: None if c.blue is None else c.ranged(getattr(c.blue, column), value, "habitat")


def _carbon_sink_total(c: Computed) -> Value:
    forest, blue = c["carbon_sink"], c["blue_carbon_sink"]
    return None if forest is None or blue is None else sum_independent(forest, blue)


def _realm(realm: str) -> Callable[[Computed], Value]:
    """Redline area (ha) of one realm (land, marine) per unit."""
    def value(c: Computed) -> Value:
        if c.ledger is None:
            return None
        area = c.ledger.per_realm.pivot_table(index="county", columns="realm", values="area_ha", aggfunc="sum")
        return c.per_unit(area[realm] if realm in area else pd.Series(dtype=float))
    return value


def _redline_change(c: Computed) -> Value:
    if c.ledger is None or c.ledger.previous_year is None:
        return None
    return c.per_unit(c.ledger.per_realm.groupby("county")["change_ha"].sum(min_count=1))


def _belts(column: str) -> Callable[[Computed], Value]:
    return lambda c: None if c.belts is None else c.per_unit(c.belts[column])


def _mariculture_dry_mass(c: Computed) -> Value:
    return None if c.mariculture is None else c.per_unit(c.mariculture.dry_mass())


def _removal(part: str) -> Callable[[Computed], Value]:
    """Carbon removed with the survey year's harvests (t CO₂e), organic or shell, with its 95 % range:
    rows of a group add linearly, groups in quadrature."""
    return lambda c: None if c.mariculture is None else c.ranged(c.mariculture.ranged_rows(part), f"{part}_co2e_t",
                                                                 "mariculture_group")


def _removal_source(part: str, tissue: str) -> Callable[[Provenance], str]:
    def source(p: Provenance) -> str:
        return (f"{p.harvests}: Σ dry mass × {tissue} share × its carbon content × 44/12 per species group "
                f"({p.mariculture_table}); removed with the harvest, not sequestered: not in carbon_sink_total; "
                f"{IPCC_RANGE}")
    return source


def _both(p: Provenance) -> str:
    return f"{p.rule}; {p.landcover}, exact pixel coverage of the patches"


def _blue_given(p: Provenance) -> str:
    return " and ".join(p.blue_files.values())


def _belt_area(p: Provenance) -> str:
    return f"{p.file('shelterbelts')}: Σ belt area (equal-area CRS), overlapping belts counted once"



REGISTRY: tuple[Indicator, ...] = (
    # forest: the stands read as forest, reconciled with land cover
    Indicator("land_area", lambda c: c.land / HA_PER_KM2, lambda p: p.land),
    Indicator("forest_cover", _cover("combined_ha"),
      lambda p: f"{p.rule}; {p.landcover} outside the inventory; / land area{p.projection('forest_cover')}"
                f"{p.earlier_cover}", Projected(("forest_area_ha", "forest_cover_pct"))),
    Indicator("forest_area", _forest("combined_ha"), lambda p: f"{p.rule}; {p.landcover} outside the inventory"),
    Indicator("forest_area_mu", lambda c: c.forest["combined_ha"] * MU_PER_HA, lambda p: f"forest_area × 15 亩/ha; {p.rule}"),
    Indicator("forest_cover_stands", _cover("stands_ha"), lambda p: f"{p.rule}; / land area"),
    Indicator("forest_cover_landcover", _cover("landcover_ha"),
      lambda p: f"{p.landcover}, pixel centres in the land polygons / land area"),
    Indicator("forest_area_stands", _forest("stands_ha"), lambda p: p.rule),
    Indicator("forest_area_landcover", _forest("landcover_ha"),
      lambda p: f"{p.landcover}, pixel centres in the land polygons; ellipsoidal cell areas"),
    Indicator("forest_both", _forest("both_ha"), _both),
    Indicator("forest_stands_only", _forest("stands_only_ha"), _both),
    Indicator("forest_landcover_only", _forest("landcover_only_ha"),
      lambda p: f"{p.landcover} inside the inventory footprint, outside its forest patches"),
    Indicator("forest_outside_inventory", _forest("outside_inventory_ha"),
      lambda p: f"{p.landcover} outside the inventory footprint"),
    Indicator("stock_volume", lambda c: m3_to_wan_m3(c.forest["stock_m3"]), lambda p: p.stock + p.projection("stock_volume"),
      Projected(("stock_m3", "stock_wan_m3"))),
    Indicator("stock_volume_m3", _forest("stock_m3"), lambda p: p.stock),
    Indicator("stock_volume_change", _stock_change, lambda p: f"{p.stock}, {p.config.survey_year}{p.since}"),
    # blue carbon: habitat areas, then the plan's mangrove work
    _habitat("mangrove_area", "mangroves", "mangrove"),
    _habitat("saltmarsh_area", "coastal_habitats", "saltmarsh"),
    _habitat("seagrass_area", "coastal_habitats", "seagrass"),
    _habitat("coral_reef_area", "coastal_habitats", "coral_reef"),
    _plan_work("mangrove_planted", "planted"),
    _plan_work("mangrove_restored", "restored"),
    # redline ledger
    Indicator("redline_area_land", _realm("land"), lambda p: f"{p.redline_area}; realm land"),
    Indicator("redline_area_marine", _realm("marine"), lambda p: f"{p.redline_area}; realm marine"),
    Indicator("redline_area_change", _redline_change,
      lambda p: f"{p.file('redlines')} ({p.config.survey_year}) − {p.redlines_before.path.name} "
                f"({p.redlines_before.year}): area of the union of each county's redlines, land and marine"),
    Indicator("redline_share_land", lambda c: None if c.ledger is None else cover_pct(c["redline_area_land"], c.land),
      lambda p: f"{p.redline_area}; realm land / land area"),
    # coastal shelterbelts
    Indicator("shelterbelt_area", _belts("shelterbelt_area"), _belt_area),
    Indicator("shelterbelt_work", _belts("shelterbelt_work"),
      lambda p: f"{_belt_area(p)}; belts with status planted or restored and a year from {PLAN_START} to "
                f"{p.config.survey_year}, × 15 亩/ha"),
    # carbon, with 95 % ranges
    Indicator("biomass_carbon", lambda c: c.ranged(c.current.carbon, "carbon_mg_c"), lambda p: f"{p.carbon}; {IPCC_RANGE}"),
    Indicator("biomass_co2e", lambda c: c["biomass_carbon"] * CO2_PER_C, lambda p: f"{p.carbon} × 44/12; {IPCC_RANGE}"),
    Indicator("carbon_sink", _carbon_sink,
      lambda p: f"stock difference {p.config.survey_year}{p.since}: {p.carbon} × 44/12; {IPCC_RANGE}"),
    Indicator("blue_carbon_soil", _blue("soil", "carbon_mg_c"),
      lambda p: f"{_blue_given(p)}: area × Tier 1 soil organic carbon stock (top 1 m) of mangrove, salt marsh and "
                f"seagrass from {p.blue_table}; mangrove trees are in the stand carbon, coral reef and macroalgae "
                f"not credited; {IPCC_RANGE}"),
    Indicator("blue_carbon_sink", _blue("sink", "sink_co2e_t_per_yr"),
      lambda p: f"{_blue_given(p)}: area of planted or restored patches × Tier 1 soil carbon accumulation from "
                f"{p.blue_table} × 44/12; existing habitats carry a stock but no Tier 1 sink; {IPCC_RANGE}"),
    # mariculture: carbon removed with the harvests, reported beside the sinks, never added to them
    Indicator("mariculture_dry_mass", _mariculture_dry_mass,
      lambda p: f"{p.harvests}: Σ wet harvest (鲜重) × dry/wet ratio ({p.mariculture.provenance()}), dry-weight "
                "(干重) rows as given, per county"),
    Indicator("mariculture_removal_organic", _removal("organic"), _removal_source("organic", "soft-tissue")),
    Indicator("mariculture_removal_shell", _removal("shell"), _removal_source("shell", "shell")),
    Indicator("carbon_sink_total", _carbon_sink_total,
      lambda p: "carbon_sink (forest biomass, stock difference) + blue_carbon_sink (coastal wetland soil, IPCC 2013 "
                "Tier 1); 95 % range: half-widths in quadrature, the two rest on independent factors"),
)


@cache
def registry() -> dict[str, Indicator]:
    """The entries by id, checked against layers/indicators.csv (``check_entries``)."""
    return check_entries(REGISTRY, load_indicator_specs())


def check_entries(entries: tuple[Indicator, ...], specs: pd.DataFrame) -> dict[str, Indicator]:
    """Entries by id; every row of ``specs`` (layers/indicators.csv) has one entry, every entry a row and a unit."""
    by_id = {entry.id: entry for entry in entries}
    if len(by_id) < len(entries):
        raise SchemaError("sinkmap/survey/registry.py: an indicator id has two entries", fix="keep one")
    if missing := [i for i in specs.index if i not in by_id]:
        raise SchemaError(f"layers/indicators.csv: {', '.join(missing)} have no entry in sinkmap/survey/registry.py",
                          fix="add its value function and source text there, or remove the row")
    if extra := [i for i in by_id if i not in specs.index]:
        raise SchemaError(f"sinkmap/survey/registry.py: {', '.join(extra)} have no row in layers/indicators.csv",
                          fix="add the row (label, unit, inputs, description) there")
    units = specs["unit"].fillna("").astype(str).str.strip()
    if no_unit := list(units.index[units.eq("")]):
        raise SchemaError(f"layers/indicators.csv: {', '.join(no_unit)} have no unit", fix="give each a unit")
    return by_id


def projected_indicators() -> dict[str, Projected]:
    """The indicators whose gap and reach year come from the projection, with their trajectory columns."""
    return {i: e.rule for i, e in registry().items() if isinstance(e.rule, Projected)}
