"""What the report's charts show, gathered from one survey's results: each chart's frames and its caption
(with units and sources). The drawing is ``writers/figures.py``; nothing here computes a new number.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sinkmap.catalogue import load_indicator_specs, load_targets, sinkmap_classes
from sinkmap.indicators.area import class_composition
from sinkmap.indicators.targets import PLAN_START
from sinkmap.survey.compute import SurveyResult
from sinkmap.survey.registry import projected_indicators
from sinkmap.units import MU_PER_HA
from sinkmap.writers import figures
from sinkmap.writers.figures import Chart
from sinkmap.writers.report.checks import redline_label

PLAN = "汕尾市碳达峰实施方案 (2023)"
COVER_FROM_MAP = "forest_cover_landcover"  # an indicator on the land-cover map alone: its notes say where it is missing
WORK_LABELS = {"planted": "新造红树林 mangrove planted", "restored": "修复红树林 mangrove restored"}


def _names(result: SurveyResult, counties_only: bool = False) -> dict[str, str]:
    """adcode → Chinese name of the counties surveyed, the survey area's total first (left out with
    ``counties_only``). A one-county survey area is its own total: that county is always there."""
    units = result.units.set_index("adcode")["name_zh"]
    area = result.config.area
    counties = {a: units[a] for a in units.index if a in area.codes}
    if counties_only or area.code in counties or area.code not in units.index:
        return counties
    return {area.code: units[area.code], **counties}


def _rows(result: SurveyResult, indicator: str, names: dict[str, str]) -> pd.DataFrame | None:
    """value, low, high of one indicator per unit (index: unit names), or None when the survey has none."""
    table = result.indicators[result.indicators["indicator"] == indicator].set_index("adcode")
    if table.empty:
        return None
    return table.reindex(list(names))[["value", "low", "high"]].set_axis(list(names.values()))


def trajectory_chart(result: SurveyResult, font: Path | None) -> Chart:
    """Forest cover and growing stock, observed / interpolated / projected, against the plan's targets."""
    total = result.config.area.code
    specs = result.indicators.groupby("indicator")["unit"].first()
    targets, panels = {}, []
    rows = load_targets()
    for indicator, rule in projected_indicators().items():
        unit = specs[indicator]
        label = load_indicator_specs().at[indicator, "name_zh"]
        panels.append((rule.compared, label, unit))
        own = rows[(rows["indicator"] == indicator) & (rows["scope"] == total) & (rows["unit"] == unit)]
        targets[rule.compared] = list(zip(own["year"], own["value"]))
    png = figures.trajectory_png(result.trajectory, _names(result), panels, targets, total=total, font_path=font)
    years = result.trajectory["year"]
    caption = (f"森林覆盖率与蓄积量 {years.min()}–{years.max()} · Forest cover (%) and growing stock (万m³) per unit: "
               "points observed (stand surveys), grey lines interpolated between them, dashed projected "
               f"(trajectory.csv); red diamonds and dotted lines: the plan's targets ({PLAN}, layers/targets.csv). "
               "No 95 % band is drawn: stand areas and volumes are taken as exact and the growth rates' source "
               "gives no range.")
    return Chart(png, caption)


def sink_chart(result: SurveyResult, font: Path | None) -> Chart | None:
    """The annual sink per county: forest biomass (stock difference) and blue carbon, with 95 % ranges."""
    names = _names(result, counties_only=True)
    forest = _rows(result, "carbon_sink", names)
    if forest is None:
        return None
    blue, total = _rows(result, "blue_carbon_sink", names), _rows(result, "carbon_sink_total", names)
    png = figures.sink_png(forest, blue, total, unit="t CO₂e/yr", font_path=font)
    caption = ("各县年碳汇 · Annual carbon sink per county (t CO₂e/yr): forest biomass by stock difference between "
               "the two stand surveys" + (", blue-carbon soil (IPCC 2013 Wetlands Supplement Tier 1) on top" if blue
                                          is not None else "") +
               "; error bars: 95 % range of the total (indicators.csv carbon_sink, blue_carbon_sink, "
               "carbon_sink_total and their sources).")
    return Chart(png, caption)


def composition_chart(result: SurveyResult, font: Path | None) -> Chart | None:
    """Land-cover composition per unit, from the land-cover map's class areas; a unit the map does not
    cover (the note of ``COVER_FROM_MAP``, the coverage rule of the indicators) is left out, and said so."""
    landcover = result.config.inputs["landcover"]
    table = class_composition(result.class_areas, landcover.preset)
    rows = result.indicators[result.indicators["indicator"] == COVER_FROM_MAP]
    uncovered = rows.loc[rows["note"].fillna("").ne(""), "adcode"]
    names = {a: n for a, n in _names(result).items() if a not in set(uncovered)}
    if not names:
        return None
    total = result.config.area.code
    if total not in set(table["adcode"]):  # the survey area's total: Σ counties
        city = table.groupby("sinkmap_class", as_index=False, sort=False)["area_ha"].sum()
        city["share_pct"] = 100.0 * city["area_ha"] / city["area_ha"].sum()
        table = pd.concat([city.assign(adcode=total), table], ignore_index=True)
    shares = table.pivot_table(index="adcode", columns="sinkmap_class", values="share_pct", sort=False).fillna(0.0)
    shares = shares.reindex([a for a in names if a in shares.index]).rename(index=names)
    classes = sinkmap_classes().set_index("class")
    png = figures.composition_png(shares, classes["color"].to_dict(),
                                  (classes["name_zh"] + " " + classes["name_en"]).to_dict(), font_path=font)
    caption = (f"土地覆盖构成 · Land-cover composition per unit: each sinkmap class's share of the mapped land (%), "
               f"from {landcover.name} ({landcover.preset} preset; pixel centres in the land polygons, true "
               "cell areas on the ellipsoid).")
    if len(uncovered):
        caption += (" Left out, the map does not cover them: "
                    f"{'、'.join(rows.set_index('adcode').loc[list(uncovered), 'county'])}.")
    return Chart(png, caption)


def redline_chart(result: SurveyResult, font: Path | None) -> Chart | None:
    """Redline area change per county and realm since the earlier ledger."""
    ledger = result.ledger
    if ledger is None or ledger.previous_year is None:
        return None
    names = _names(result, counties_only=True)
    change = ledger.per_realm.pivot_table(index="county", columns="realm", values="change_ha", aggfunc="sum")
    change = change.reindex(list(names)).fillna(0.0).rename(index=names)
    png = figures.change_png(change, {r: redline_label(r, "realm") for r in change.columns}, unit="ha",
                              font_path=font)
    inputs = result.config.inputs
    caption = (f"生态保护红线面积变化 · Redline area change per county (ha), {inputs['redlines'].path.name} "
               f"({result.config.survey_year}) − {inputs['redlines_previous'].path.name} ({ledger.previous_year}), "
               "land and marine; the plan's 面积不减少 asks for no bar below zero (redline_change.csv).")
    return Chart(png, caption)


def mangrove_chart(result: SurveyResult, font: Path | None) -> Chart | None:
    """Cumulative mangrove planting and restoration per year against the plan's 2021–2025 targets."""
    if "mangroves" not in result.config.inputs:
        return None
    year = result.config.survey_year
    work = result.plan_work.assign(area_mu=result.plan_work["area_ha"] * MU_PER_HA)
    by_year = work.pivot_table(index="year", columns="status", values="area_mu", aggfunc="sum")
    by_year = by_year.reindex(index=range(PLAN_START, year + 1), columns=list(WORK_LABELS)).fillna(0.0).cumsum()
    rows = load_targets()
    targets = {status: (int(r["year"]), float(r["value"])) for status in WORK_LABELS
               for _, r in rows[(rows["indicator"] == f"mangrove_{status}")
                                & (rows["scope"] == result.config.area.code)].iterrows()}
    png = figures.work_png(by_year, targets, WORK_LABELS, unit="亩", font_path=font)
    caption = (f"红树林营造与修复进度 · Mangrove planted and restored since {PLAN_START}, cumulative (亩), from the "
               f"patches' status and year in {result.config.inputs['mangroves'].path.name}; dotted: the plan's "
               f"{PLAN_START}–2025 targets ({PLAN}).")
    return Chart(png, caption)


def report_charts(result: SurveyResult, font: Path | None) -> list[Chart]:
    """The report's charts in order, those the survey's inputs allow."""
    charts = [trajectory_chart(result, font), sink_chart(result, font), composition_chart(result, font),
              redline_chart(result, font), mangrove_chart(result, font)]
    return [chart for chart in charts if chart is not None]
