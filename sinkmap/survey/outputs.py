"""Write one survey's outputs: tables, GeoPackage, map, report and provenance.json — all or none."""

from __future__ import annotations

import gc
from pathlib import Path

from sinkmap import aoi
from sinkmap.catalogue import load_indicator_specs
from sinkmap.columns import load_output_tables
from sinkmap.memory import give_back
from sinkmap.progress import Progress
from sinkmap.survey.compute import SurveyResult
from sinkmap.survey.figures import report_charts
from sinkmap.survey.ledger import redline_findings
from sinkmap.survey.mariculture import area_popups
from sinkmap.survey.provenance import PROVENANCE_FILE, Command, report_lines, survey_provenance, write_provenance
from sinkmap.survey.summary import findings, sink_line
from sinkmap.survey.workbook import write_survey_workbook

OUTPUTS = (*load_output_tables().index, "survey.xlsx", "survey.gpkg", "map.html", "report.html", "report.pdf",
           PROVENANCE_FILE)
SIDECARS = ("map_tiles",)  # written when the map has a layer too large for the page (writers/tiles.py), else removed
MAP_INDICATOR = "forest_cover"
REPORT_TITLE = "{zh}森林与蓝碳碳汇本底调查 {en} forest and blue-carbon sink baseline survey"  # the survey area


SENSITIVITY_TITLE = "林木生物量碳储量 95 % 区间的因子贡献 Each factor's part in the 95 % range of the biomass carbon"


def sensitivity_caption(result: SurveyResult) -> str:
    """The sensitivity figure's caption: the factors by their share of the variance, and the range without the largest."""
    from sinkmap.writers.format import format_number

    shares = result.sensitivity.sum().sort_values(ascending=False)
    row = result.indicators[(result.indicators["indicator"] == "biomass_carbon")
                            & (result.indicators["adcode"] == result.config.area.code)].iloc[0]
    half = row["high"] - row["value"]
    top = shares.index[0]
    without = half * (1.0 - shares.iloc[0]) ** 0.5  # half-width² = Σ cells (Approach 1)
    parts = ", ".join(f"{f} {s:.0%}" for f, s in shares.items())
    cells = result.sensitivity.stack()
    group, factor = cells.idxmax()
    parts += f" (the largest single value: {group} {factor}, {cells.max():.0%})"
    return (f"因子敏感性 · Share of the variance of {result.config.area.name_en}'s biomass carbon "
            f"(95 % range ± {format_number(half, 't C')}, IPCC Approach 1) by factor and species group: {parts}. "
            f"With {top} known exactly the range would be ± {format_number(without, 't C')}: replace {top} "
            "first (layers/parameters/biomass_factors.csv, or your own table with `parameters:`).")


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


def _named(result: SurveyResult, *inputs: tuple[str, int | None]) -> str:
    """The input files compared in a check with their years, e.g. "stands.gpkg (2025), stands_2020.gpkg
    (2020)"; an input without a year (not compared) is left out."""
    return ", ".join(f"{result.config.inputs[kind].name} ({when})" for kind, when in inputs if when is not None)


def _checks(result: SurveyResult) -> list:
    """The report's check tables: the redline ledger and the shelterbelt restoration sites, when given."""
    from sinkmap.writers.report.checks import (
        cover_table,
        flagged_redlines_table,
        forest_tables,
        ledger_tables,
        shelterbelt_table,
    )

    names = result.units.set_index("adcode")["name_zh"].to_dict()
    year = result.config.survey_year
    checks = []
    if result.ledger is not None:
        checks += ledger_tables(result.ledger.per_realm, names, survey_year=year,
                                previous_year=result.ledger.previous_year)
        if not result.ledger.cover_check.empty:
            sources = _named(result, ("landcover", year), ("landcover_previous", result.ledger.cover_year))
            checks.append(cover_table(result.ledger.cover_check, names, survey_year=year,
                                      previous_year=result.ledger.cover_year, sources=sources))
        if not result.ledger.forest.empty:
            sources = _named(result, ("stands", year), ("stands_previous", result.ledger.stands_year))
            checks += forest_tables(result.ledger.forest_units, names, survey_year=year,
                                    previous_year=result.ledger.stands_year, sources=sources)
        if flagged := flagged_redlines_table(result.ledger.sheet, names, survey_year=year,
                                             previous_year=result.ledger.previous_year):
            checks.append(flagged)
    if "shelterbelts" in result.layers:
        checks.append(shelterbelt_table(result.shelterbelt_sites, names, survey_year=year))
    return checks


def write_outputs(result: SurveyResult, out_dir: str | Path, progress: Progress | None = None, *,
                  record: dict | None = None, stamp: bool = False) -> list[Path]:
    """Write the survey outputs (OUTPUTS, and the SIDECARS the map needs) into ``out_dir``, all or none
    (staged, then moved in); returns their paths.

    ``record``: the survey's provenance (``survey.provenance.survey_provenance``; by default that of its
    configuration alone), written last as provenance.json, with ``progress``'s step timings when ``stamp``."""
    from sinkmap.survey.gpkg import survey_gpkg
    from sinkmap.writers.charts import choropleth_png, landcover_png, sensitivity_png
    from sinkmap.writers.figures import Chart
    from sinkmap.writers.map import COVER_BREAKS, COVER_COLOURS, LANDCOVER_LABEL, overlays, survey_map
    from sinkmap.writers.overlay import landcover_overlay
    from sinkmap.writers.report import ReportContext, find_cjk_font, write_report
    from sinkmap.writers.report.tables import coverage_lines
    from sinkmap.writers.staging import staged_dir
    from sinkmap.writers.tables import write_survey_gpkg, write_table
    from sinkmap.writers.tiles import write_map

    progress = progress or Progress(enabled=False)
    config = result.config
    specs = load_indicator_specs()
    labels = {i: (specs.loc[i, "name_zh"], specs.loc[i, "name_en"]) for i in specs.index}
    description = config.note or f"sinkmap survey {config.survey_year}"
    area = config.area
    counties = result.units[result.units["adcode"].isin(area.codes)]
    record = record or survey_provenance(config, Command(config.source), out_dir)
    earlier = record.get("previous_survey", {})
    with staged_dir(out_dir, optional=SIDECARS) as stage:
        with progress.step("writing indicators.csv, tables and survey.gpkg"):
            for name, table in result.tables().items():
                write_table(table, stage / name)
            write_survey_workbook(result, stage / "survey.xlsx", title=REPORT_TITLE.format(zh=area.name_zh, en=area.name_en))
            write_survey_gpkg(*survey_gpkg(result, MAP_INDICATOR), stage / "survey.gpkg", description=description)
        with progress.step("writing map.html"):
            shown = {**result.layers, "sites": area.sites()}
            shown = {kind: frame for kind, frame in shown.items() if len(frame)}  # none in this area
            if result.ledger is not None:  # each redline's popup tells what the checks found about it
                found = redline_findings(result.ledger)
                shown["redlines"] = shown["redlines"].assign(check=shown["redlines"]["redline_id"].map(found))
            if "harvest_t" in shown.get("mariculture", ()):  # each farming area's popup gives its harvest
                shown["mariculture"] = area_popups(shown["mariculture"], config.survey_year)
            images = result.landcover_images
            image = landcover_overlay(images.web_map) if images else None
            fmap = survey_map(counties, shown, column=MAP_INDICATOR, label=labels[MAP_INDICATOR],
                              unit=specs.loc[MAP_INDICATOR, "unit"], attributions=attributions(),
                              synthetic=config.synthetic, survey_year=config.survey_year, landcover=image,
                              area_names=(area.name_zh, area.name_en))
            sidecars = [path.name for path in write_map(fmap, stage / "map.html")[1:]]
            del fmap, image  # the page's tiles hold arrays per stand: not kept through the report
            gc.collect()  # … nor left to the cycle collector: folium's elements name their parents
            give_back()
        with progress.step("writing report.html and report.pdf"):
            font = find_cjk_font()
            png = stage / ".report-map.png"
            drawn = [(style.label, shown[kind], style.style) for kind, style in overlays().items()
                     if kind in shown and not style.hidden]  # 16k stands would hide the cover classes
            png.write_bytes(choropleth_png(counties, MAP_INDICATOR, COVER_BREAKS, COVER_COLOURS,
                                           title=" ".join(labels[MAP_INDICATOR]), unit="%", font_path=font.regular,
                                           overlays=drawn))
            second = None
            if images:
                second = stage / ".report-landcover.png"
                second.write_bytes(landcover_png(counties, images.figure, title=LANDCOVER_LABEL,
                                                 stands=shown.get("stands"), font_path=font.regular))
            charts = report_charts(result, font.regular)
            if not result.sensitivity.empty and result.sensitivity.to_numpy().sum() > 0:
                charts.append(Chart(sensitivity_png(result.sensitivity, title=SENSITIVITY_TITLE, font_path=font.regular),
                                    sensitivity_caption(result)))
            title = REPORT_TITLE.format(zh=area.name_zh, en=area.name_en)
            context = ReportContext(title=title, survey_year=config.survey_year, synthetic=config.synthetic,
                                    indicators=result.indicators, labels=labels, attributions=attributions(),
                                    notes=method_notes(result), map_png=png, landcover_png=second,
                                    projection_end=config.projection_end, checks=_checks(result),
                                    coverage=coverage_lines(result.indicators), themes=specs["theme"].to_dict(),
                                    headline=[i for i in specs.index if specs.at[i, "target"] == i],
                                    total=area.code, sink_line=sink_line(result), findings=findings(result),
                                    charts=charts, provenance=report_lines(record),
                                    previous_year=earlier.get("survey_year"),
                                    comparison_notes=earlier.get("mismatches", ()))
            write_report(context, stage, font=font)
            for figure in (png, second):
                if figure is not None:
                    figure.unlink()
        write_provenance(stage / PROVENANCE_FILE, record, progress.timings if stamp else None)
    return [Path(out_dir) / name for name in (*OUTPUTS, *sidecars)]
