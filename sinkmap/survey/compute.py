"""Read, check and compute one survey year: readers (normalise) → indicators (pure). No files written."""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sinkmap import aoi
from sinkmap.catalogue import load_catalogue, load_indicator_specs
from sinkmap.config import (
    EARLIER,
    EARLIER_VECTORS,
    LANDCOVER_PREVIOUS,
    PREVIOUS,
    REDLINES_PREVIOUS,
    VECTOR_LAYERS,
    SurveyConfig,
    same_year_stands,
)
from sinkmap.crs import AREA_CRS, STORAGE_CRS, WEB_MERCATOR
from sinkmap.errors import InputError, SinkmapWarning
from sinkmap.indicators.area import land_area_ha
from sinkmap.indicators.biomass import BiomassFactors
from sinkmap.indicators.bluecarbon import BlueCarbonFactors, habitat_table
from sinkmap.indicators.coverage import (
    Coverage,
    impossible_shares,
    layer_share,
    mask_trajectory,
    mask_uncovered,
    raster_share,
)
from sinkmap.indicators.forest import ForestDefinition
from sinkmap.indicators.mariculture import MaricultureFactors
from sinkmap.indicators.projection import GrowthRates, check_scenario, project, trajectory
from sinkmap.indicators.redline import LOCATED
from sinkmap.indicators.shelterbelt import SITE_COLUMNS, plan_sites
from sinkmap.indicators.stock import stock_by_group
from sinkmap.memory import give_back
from sinkmap.progress import Progress
from sinkmap.readers import ALL_LAYERS
from sinkmap.readers.mariculture import LAYER as FARMS
from sinkmap.readers.mariculture import read_yields
from sinkmap.readers.raster import ClassImage
from sinkmap.readers.tables import read_table
from sinkmap.readers.vector import assign_units, read_layer, refuse_larger_than_units
from sinkmap.survey.belts import shelterbelt_year
from sinkmap.survey.blue import blue_year
from sinkmap.survey.context import CITY, Computed, Provenance
from sinkmap.survey.forest import ForestYear, forest_year, stand_carbon
from sinkmap.survey.ledger import RedlineYear, redline_tables, redline_year, stands_in_redlines
from sinkmap.survey.mariculture import BY_GROUP_COLUMNS, mariculture_year
from sinkmap.survey.quality import carbon_quality
from sinkmap.survey.registry import projected_indicators
from sinkmap.survey.table import INDICATOR_COLUMNS, indicator_sources, indicator_table, indicator_values
from sinkmap.surveyarea import SurveyArea
from sinkmap.zonal.engine import OUTSIDE_RASTER
from sinkmap.zonal.landcover import LandCover

__all__ = ["CITY", "INDICATOR_COLUMNS", "SurveyInputs", "SurveyResult", "compute_survey", "read_inputs"]


@dataclass(frozen=True)
class LandCoverImages:
    """This year's land-cover map as the writers draw it, read once from the open map."""

    web_map: ClassImage  # Web Mercator, for the web map's image overlay
    figure: ClassImage  # the equal-area CRS, for the report's figure 2

    @classmethod
    def read(cls, landcover: LandCover) -> LandCoverImages:
        return cls(landcover.image(WEB_MERCATOR), landcover.image(AREA_CRS.to_wkt()))


@dataclass(frozen=True)
class SurveyResult:
    """Everything the writers present."""

    config: SurveyConfig
    indicators: pd.DataFrame  # long: INDICATOR_COLUMNS
    units: gpd.GeoDataFrame  # city + counties, wide indicator columns, EPSG:4490
    class_areas: pd.DataFrame  # adcode, class, pixels, area_ha
    stock_groups: pd.DataFrame  # county × species group × origin × age group
    carbon_groups: pd.DataFrame  # county × species group: stock, biomass, carbon, CO₂e, u
    trajectory: pd.DataFrame  # adcode × year: forest area, cover, stock (observed / interpolated / projected)
    habitats: pd.DataFrame  # county × blue-carbon habitat: area, soil carbon stock and sink (empty without layers)
    ledger: RedlineYear | None  # the redline ledger and its change since an earlier version
    shelterbelt_sites: pd.DataFrame  # the plan's restoration sites: belts, area by status, work since PLAN_START
    layers: dict[str, gpd.GeoDataFrame]  # the survey year's validated input layers, EPSG:4490 (the earlier
    # years' stands and redlines, EARLIER_VECTORS, are used in the computation and not kept: the writers draw
    # this year's layers, and an earlier stand layer is as large as this year's)
    stands: gpd.GeoDataFrame  # the survey year's stands read as forest, with stock and carbon (survey.forest.stand_carbon)
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)  # species group × factor: share of the variance
    # of the survey area's biomass carbon (IPCC Approach 1), adding to 1
    plan_work: pd.DataFrame = field(default_factory=pd.DataFrame)  # county, year, area_ha, status: the mangrove
    # work of the plan period (planted, restored from PLAN_START to the survey year)
    landcover_images: LandCoverImages | None = None  # this year's land cover for the web map and figure 2
    mariculture: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BY_GROUP_COLUMNS))  # county ×
    # year × species group: harvest and the carbon it removes (survey.mariculture.MaricultureYear.by_group)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The survey's tables by CSV name (one sheet each in survey.xlsx, listed in layers/output_tables.csv);
        the redline tables with headers only when the survey has no redline layer."""
        return {"indicators.csv": self.indicators, "stock_by_group.csv": self.stock_groups,
                "carbon_by_group.csv": self.carbon_groups.rename(columns={"u": "u_95"}),
                "trajectory.csv": self.trajectory, "blue_carbon_by_habitat.csv": self.habitats,
                **redline_tables(self.ledger), "shelterbelt_sites.csv": self.shelterbelt_sites,
                "mariculture_by_group.csv": self.mariculture}


def read_county_layer(path, kind: str, counties: gpd.GeoDataFrame, *, layer=None, gcj02: bool = False,
                      encoding: str | None = None, mappings=None) -> gpd.GeoDataFrame:
    """Read and check a catalogue layer and give each feature its county (within the kind's reach_m,
    from the catalogue, for sea features).

    ``layer``: one layer name, a list of them, or ``readers.ALL_LAYERS``; ``encoding``, ``mappings``:
    as ``read_layer``."""
    frame = read_layer(path, kind, layer=layer, gcj02=gcj02, encoding=encoding, mappings=mappings)
    layer = layer if isinstance(layer, str) and layer != ALL_LAYERS else None  # messages name one layer only
    spec = load_catalogue().layer(kind)
    if spec.reach_m is None:
        return frame
    located = LOCATED if kind == "redlines" else None  # the ledger cuts those at the county lines
    id_field = spec.id_field
    frame = assign_units(frame, counties, reach_m=spec.reach_m, located=located, path=path, layer=layer,
                         id_field=id_field)
    if spec.reach_m == 0:  # land features (stands, belts) lie inside a county and are smaller than it
        refuse_larger_than_units(frame, counties, id_field=id_field, path=path, layer=layer)
    return frame


@dataclass(frozen=True)
class SurveyInputs:
    """A survey's inputs, validated: the vector layers (county assigned, EPSG:4490), the scenario and the
    land-cover maps ("landcover", "landcover_previous"), each open from ``read_inputs`` until ``close``
    (or the end of a ``with`` block)."""

    layers: dict[str, gpd.GeoDataFrame]
    scenario: pd.DataFrame | None
    landcover: dict[str, LandCover]
    mariculture_yields: pd.DataFrame | None = None  # harvests per county or farming area (readers.mariculture)
    mariculture_factors: MaricultureFactors | None = None  # the factors their species were checked against

    def close(self) -> None:
        for landcover in self.landcover.values():
            landcover.close()

    def __enter__(self) -> SurveyInputs:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


STAND_LAYERS = ("stands", PREVIOUS)  # each as large as every other input together at 10⁶ stands (小班)


def read_input_layer(config: SurveyConfig, kind: str, counties: gpd.GeoDataFrame, *, clip: bool = True
                     ) -> gpd.GeoDataFrame:
    """One vector input of ``config``, checked, each feature with its county, kept inside the survey area
    (``clip=False``: all of it)."""
    item = config.inputs[kind]
    frame = read_county_layer(item.path, EARLIER.get(kind, kind), counties, layer=item.layer, gcj02=item.gcj02,
                              encoding=item.encoding, mappings=item.mappings)
    return config.area.clip(frame, item.path.name) if clip else frame


def read_inputs(config: SurveyConfig, progress: Progress, *, stands: bool = True) -> SurveyInputs:
    """Validate the inputs before computing anything: the land-cover maps (opened and checked once, kept
    open), the vector layers (county assigned) and the scenario.

    ``stands=False`` leaves out the stand layers (STAND_LAYERS), for ``read_input_layer`` when their year is
    computed: ``compute_survey`` holds one year's stands at a time, and reads the earlier year's first."""
    with progress.step("checking inputs against the layer catalogue"), contextlib.ExitStack() as opened:
        maps = {kind: opened.enter_context(LandCover.open(config.inputs[kind].path, config.inputs[kind].preset,
                                                          year=config.inputs[kind].year, progress=progress.tasks,
                                                          kind=kind))
                for kind in ("landcover", LANDCOVER_PREVIOUS) if kind in config.inputs}
        counties = aoi.load_counties()
        layers = {kind: read_input_layer(config, kind, counties, clip=kind != FARMS)
                  for kind in (*VECTOR_LAYERS, *EARLIER_VECTORS)
                  if kind in config.inputs and (stands or kind not in STAND_LAYERS)}
        scenario = None
        if "scenario" in config.inputs:
            path = config.inputs["scenario"].path
            scenario = read_table(path, "scenario")
            check_scenario(scenario, config.survey_year, config.projection_end, path=path)
            scenario = scenario_in_area(scenario, config.area, path)
        yields = factors = None
        if "mariculture_yields" in config.inputs:
            factors = MaricultureFactors.from_layers(config.parameters.get("mariculture"))
            yields = read_yields(config.inputs["mariculture_yields"].path, areas=layers.get("mariculture"),
                                 counties=config.area.codes, area_name=config.area.name_zh, groups=factors.groups,
                                 survey_year=config.survey_year)  # every farming area: rows of those outside left out
        if FARMS in layers:
            layers[FARMS] = config.area.clip(layers[FARMS], config.inputs[FARMS].path.name)
        opened.pop_all()  # valid: the maps stay open for the caller
    return SurveyInputs(layers, scenario, maps, yields, factors)


def scenario_in_area(scenario: pd.DataFrame, area: SurveyArea, path: Path) -> pd.DataFrame:
    """The scenario rows of the surveyed counties (a warning counts the others)."""
    inside = scenario["county"].isin(area.codes)
    if not inside.all():
        warnings.warn(f"{path.name}: {int((~inside).sum())} rows are for counties outside the survey area "
                      f"({area.name_zh}) and are left out", SinkmapWarning, stacklevel=2)
    return scenario[inside.to_numpy()]


def _observed(year: ForestYear, counties: pd.Index) -> pd.DataFrame:
    """One survey year's forest area (ha) and stock (m³) per county, for the trajectory."""
    frame = year.per_unit[["combined_ha", "stock_m3"]].reindex(counties, fill_value=0.0)
    frame = frame.rename(columns={"combined_ha": "forest_area_ha"})
    return frame.rename_axis("adcode").reset_index().assign(year=year.year)


@dataclass(frozen=True)
class ForestYears:
    """This year's forest and, with an earlier stand survey, that year's, reduced to its tables."""

    current: ForestYear
    stands: gpd.GeoDataFrame  # this year's stand layer as read (checked, county assigned, inside the area)
    shares: dict[str, pd.Series]  # stand kind → ``layer_share`` of each county's land
    previous: ForestYear | None = None  # without its stands (``ForestYear.stands`` None)
    areas_then: pd.DataFrame | None = None  # the earlier land-cover map's class areas, when that year has one
    inside_then: pd.DataFrame | None = None  # the earlier stands inside today's redlines (``stands_in_redlines``)


def _forest_years(config: SurveyConfig, inputs: SurveyInputs, land: gpd.GeoDataFrame, land_ha: pd.Series,
                  class_areas: pd.DataFrame, definition: ForestDefinition, factors: BiomassFactors) -> ForestYears:
    """Read each stand layer and compute its year's forest, the earlier year's first and reduced to its tables
    before this year's layer is read: one year's stands in memory at a time."""
    counties, belts, landcover = aoi.load_counties(), inputs.layers.get("shelterbelts"), inputs.landcover["landcover"]
    shares, previous, areas_then, inside_then = {}, None, None, None
    if PREVIOUS in config.inputs:  # its forest outside the inventory from the map of its year, if there is one
        item = config.inputs[PREVIOUS]
        map_then = landcover
        if same_year_stands(config.inputs):
            map_then = inputs.landcover[LANDCOVER_PREVIOUS]
            areas_then = map_then.class_areas_centre(land, "adcode")
        earlier = read_input_layer(config, PREVIOUS, counties)
        shares[PREVIOUS] = layer_share(earlier, land_ha.index)
        previous = forest_year(item.year, earlier, belts, map_then,
                               class_areas if areas_then is None else areas_then, definition, factors, item.path.name)
        del earlier
        inside_then = stands_in_redlines(previous.stands, inputs.layers, config.area.counties)
        previous = replace(previous, stands=None)
        give_back()  # the earlier stands' memory, handed back before this year's layer is read
    stands = read_input_layer(config, "stands", counties)
    give_back()  # the reading's buffers
    shares["stands"] = layer_share(stands, land_ha.index)
    current = forest_year(config.survey_year, stands, belts, landcover, class_areas, definition, factors,
                          config.inputs["stands"].path.name)
    give_back()
    return ForestYears(current, stands, shares, previous, areas_then, inside_then)


def compute_survey(config: SurveyConfig, progress: Progress | None = None) -> SurveyResult:
    """Read, check and compute one survey year (no files written)."""
    progress = progress or Progress(enabled=False)
    with warnings.catch_warnings():  # said once per map and county, with its share, by the coverage check
        warnings.filterwarnings("ignore", message=rf"\d+ {OUTSIDE_RASTER}", category=SinkmapWarning)
        with read_inputs(config, progress, stands=False) as inputs:
            result = _compute_survey(config, inputs, progress)
    give_back()  # what the computation freed, before the writers draw and write the result
    return result


def _compute_survey(config: SurveyConfig, inputs: SurveyInputs, progress: Progress) -> SurveyResult:
    layers, scenario = inputs.layers, inputs.scenario
    own = config.parameters  # the survey's own parameter tables, row by row over the shipped ones
    definition, factors = ForestDefinition.from_layers(own.get("forest_definition")), BiomassFactors.from_layers(
        own.get("biomass_factors"))
    growth = GrowthRates.from_layers(own.get("growth_rates"))
    area = config.area
    land = area.land()
    land_ha = land_area_ha(land)
    landcover = inputs.landcover["landcover"]
    with progress.step("land-cover class areas per county (zonal statistics); the map's images"):
        class_areas = landcover.class_areas_centre(land, "adcode")
        images = LandCoverImages.read(landcover)
    with progress.step("stands (小班) read and checked, a year at a time; forest patches, stock and carbon; "
                       "stands reconciled with land cover"):
        years = _forest_years(config, inputs, land, land_ha, class_areas, definition, factors)
    current, previous, areas_then = years.current, years.previous, years.areas_then
    layers = {kind: years.stands if kind == "stands" else layers[kind]  # in read_inputs's order (the map's)
              for kind in (*VECTOR_LAYERS, *EARLIER_VECTORS) if kind == "stands" or kind in layers}
    with progress.step(f"projection to {config.projection_end}"):
        stands, keys = current.stands.stands, ["county", "species_group", "age_group"]
        base = stands.loc[stands["in_stock"], [*keys, "stock_m3"]].groupby(keys, dropna=False, as_index=False)[
            "stock_m3"].sum()  # no copy of the stand rows outlives this line
        forest_ha = current.per_unit["combined_ha"].reindex(land_ha.index, fill_value=0.0)
        projected = project(base, forest_ha, growth, config.survey_year, config.projection_end, scenario)
        observed = pd.concat([_observed(y, land_ha.index) for y in (previous, current) if y is not None],
                             ignore_index=True)
        path = trajectory(observed, projected, land_ha, area.code)
    with progress.step("blue carbon: mangrove, salt marsh and seagrass; mangrove targets"):
        blue_factors = BlueCarbonFactors.from_layers(own.get("blue_carbon"))
        blue = blue_year(layers, config.survey_year, blue_factors)
    with progress.step("redline ledger; land cover and forest stands inside the redlines"):
        ledger = redline_year(layers, config.inputs.get(REDLINES_PREVIOUS), landcover,
                              inputs.landcover.get(LANDCOVER_PREVIOUS), name=_file_name(config, "redlines"),
                              counties=area.counties, stands=current.stands,
                              stands_before=(previous.year, years.inside_then) if previous else None,
                              coverage_min=config.coverage_min, tolerance_ha=config.redline_tolerance_ha)
    belts, sites = None, pd.DataFrame(columns=SITE_COLUMNS)
    if "shelterbelts" in layers:
        belts, sites = shelterbelt_year(layers["shelterbelts"], plan_sites(area.sites()), config.survey_year,
                                        name=_file_name(config, "shelterbelts"))
    harvests = inputs.mariculture_factors  # read once, with the harvest table
    mariculture = mariculture_year(inputs.mariculture_yields, harvests, config.survey_year,
                                   _file_name(config, "mariculture_yields"))
    if mariculture is not None and "mariculture" in layers:  # each area's harvest and removal, for the map
        layers["mariculture"] = layers["mariculture"].join(mariculture.per_area(), on="area_id")
    coverage = input_coverage(config, years.shares, class_areas, land_ha, areas_then)
    names = area.counties.set_index("adcode")["name_zh"].to_dict()
    for kind in coverage.shares:
        if line := coverage.summary(kind, names):
            warnings.warn(line, SinkmapWarning, stacklevel=2)
    inputs_of = load_indicator_specs()["inputs"].to_dict()
    notes = coverage.notes(inputs_of, area.code, names)
    if mariculture is not None:  # a county without harvest rows has no value, not 0
        notes.update(mariculture.notes(notes.index, area.code))
    then = {"stands": PREVIOUS, **({"landcover": LANDCOVER_PREVIOUS} if areas_then is not None else {})}
    tracked = {ind: rule.columns for ind, rule in projected_indicators().items()}  # indicator → its trajectory columns
    earlier = {ind: tuple(then.get(k, k) for k in inputs_of[ind]) for ind in tracked}  # the earlier year's
    path = mask_trajectory(path, notes, tracked, coverage.notes(earlier, area.code, names), config.survey_year)
    values, ranges = indicator_values(Computed(current, previous, land_ha, blue, ledger, belts, mariculture,
                                               total=area.code))
    values = mask_uncovered(values, notes)
    _refuse_impossible_shares(values, names | {area.code: area.name_zh}, inputs_of, config)
    units = _units_frame(values, area)
    sources = indicator_sources(Provenance(config, definition, factors, growth, blue_factors, harvests),
                                values.columns)
    indicators = indicator_table(values, ranges, units.set_index("adcode")["name_zh"], path, sources, blue, notes,
                                 total=area.code, quality=carbon_quality(current, previous, blue, area.code),
                                 survey_year=config.survey_year)
    habitats = habitat_table(blue.patches if blue else None, blue_factors)
    work = (pd.concat([w.assign(status=s) for s, w in blue.work.items()], ignore_index=True) if blue
            else pd.DataFrame(columns=["county", "year", "area_ha", "status"]))
    return SurveyResult(config, indicators, units, class_areas, stock_by_group(current.stands), current.carbon,
                        path, habitats, ledger, sites,
                        {kind: frame for kind, frame in layers.items() if kind not in EARLIER_VECTORS},
                        stand_carbon(current.stands, factors),
                        factors.variance_shares(current.carbon),
                        work, images, **({} if mariculture is None else {"mariculture": mariculture.by_group()}))


def _refuse_impossible_shares(values: pd.DataFrame, names: dict[str, str], inputs_of: dict, config: SurveyConfig
                              ) -> None:
    """A share of the land outside 0–100 % is never written: one line naming the units and the inputs."""
    if found := impossible_shares(values, names):
        indicator, shown = next(iter(found.items()))
        files = [config.inputs[k].name for k in inputs_of[indicator] if k in config.inputs]
        raise InputError(f"{indicator} comes out {shown}, outside 0–100 % of the land, from {', '.join(files)}",
                         fix="check those inputs' CRS and coordinates, and that the stands lie on land")


def input_coverage(config: SurveyConfig, stand_shares: dict[str, pd.Series], class_areas: pd.DataFrame,
                   land_ha: pd.Series, areas_then: pd.DataFrame | None = None) -> Coverage:
    """How much of each county's land the land-cover maps (``areas_then``: the earlier stand survey's,
    when it has its own) and the stand layers (``stand_shares``: ``layer_share`` by kind) cover."""
    shares = {"landcover": raster_share(class_areas, land_ha)}
    if areas_then is not None:
        shares[LANDCOVER_PREVIOUS] = raster_share(areas_then, land_ha)
    shares.update(stand_shares)
    files = {kind: config.inputs[kind].name for kind in shares}
    return Coverage(pd.DataFrame(shares), files, config.coverage_min)


def _file_name(config: SurveyConfig, kind: str) -> str:
    return config.inputs[kind].path.name if kind in config.inputs else kind


def _units_frame(values: pd.DataFrame, area: SurveyArea) -> gpd.GeoDataFrame:
    units = area.units().merge(values, left_on="adcode", right_index=True, how="left")
    return gpd.GeoDataFrame(units, geometry=units.geometry.name, crs=STORAGE_CRS)
