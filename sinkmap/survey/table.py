"""The survey's indicator table: values, 95 % ranges, targets, gaps, reach years and sources.

Each indicator's value, source text and target rule come from its entry in the registry
(``survey.registry``); pure table work, no files written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sinkmap.catalogue import load_indicator_specs
from sinkmap.indicators.bluecarbon import year_reached
from sinkmap.indicators.projection import reach_year, value_in
from sinkmap.indicators.targets import TARGET_YEARS, attach_targets, target_status
from sinkmap.survey.blue import BlueYear
from sinkmap.survey.context import CITY, Computed, Provenance
from sinkmap.survey.registry import PlanWork, Projected, registry
from sinkmap.units import mu_to_ha

INDICATOR_COLUMNS = ["county", "adcode", "indicator", "value", "low", "high", "previous", "change", "unit",
                     *[f"{kind}_{y}" for kind in ("target", "gap", "status", "reach") for y in TARGET_YEARS],
                     "reach_by", "quality", "source", "note"]


def indicator_values(computed: Computed) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Wide values (unit × indicator, units of layers/indicators.csv; the survey area's total first) and
    the ranged indicators (value, low, high), for every registered indicator whose inputs are given."""
    entries = registry()
    computed.value_of = {i: e.value for i, e in entries.items()}
    values, ranges = {}, {}
    for indicator in entries:
        value = computed[indicator]
        if isinstance(value, pd.DataFrame):
            ranges[indicator], value = value, value["value"]
        if value is not None:
            values[indicator] = value
    plain = [i for i in values if i not in ranges]  # wide columns: plain values, then the ranged ones
    frame = pd.DataFrame({i: values[i] for i in [*plain, *ranges]})
    total = computed.total
    return frame.loc[[total, *sorted(c for c in computed.land_ha.index if c != total)]], ranges


def indicator_sources(provenance: Provenance, indicators) -> dict[str, str]:
    """Provenance of each of ``indicators``: method, inputs and parameters, in one line."""
    tag = " SYNTHETIC demo data." if provenance.config.synthetic else ""
    entries = registry()
    return {i: entries[i].source(provenance) + "." + tag for i in indicators}


def indicator_table(values: pd.DataFrame, ranges: dict[str, pd.DataFrame], names: pd.Series,
                    trajectory: pd.DataFrame, sources: dict[str, str], blue: BlueYear | None = None,
                    notes: pd.DataFrame | None = None, total: str = CITY,
                    quality: dict[str, pd.Series] | None = None, *, survey_year: int) -> pd.DataFrame:
    """The long indicator table (INDICATOR_COLUMNS), city first, indicators in catalogue order.

    Each indicator's target rule (registry) gives its gap and reach year: a ``Projected`` one from the
    trajectory, a ``PlanWork`` one (the mangrove targets) gap = value − target and the year the patch records reach it
    (``reach_by`` = the last year looked at: the projection end, or the survey year). ``notes``
    (unit × indicator, ``coverage.Coverage.notes``): a row with a note (its inputs do not cover the
    unit) has no value, range, gap, status or reach year, only the note. ``status_<year>``: a key of
    ``targets.STATUS_LABELS`` (``targets.target_status``), "" without a target or a gap. ``quality``:
    indicator → per unit the tier shares of its factors (``survey.quality.carbon_quality``).
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
    rules = {i: e.rule for i, e in registry().items() if e.rule is not None}
    for year in TARGET_YEARS:
        gap, reach = [], []
        for ind, adcode, value, target in zip(table["indicator"], table["adcode"], table["value"],
                                              table[f"target_{year}"]):
            g, r = _gap_and_reach(rules.get(ind), adcode, value, target, year, trajectory, blue, total)
            gap.append(g)
            reach.append(r)
        table[f"gap_{year}"], table[f"reach_{year}"] = gap, pd.array(reach, dtype="Float64").astype("Int64")
        table[f"status_{year}"] = [
            target_status(value=v, target=t, gap=g, reach=r, year=year, survey_year=survey_year,
                          dated_work=isinstance(rules.get(i), PlanWork))
            for i, v, t, g, r in zip(table["indicator"], table["value"], table[f"target_{year}"], gap, reach)]
    last_looked = {ind: end for ind, rule in rules.items() if isinstance(rule, Projected)}
    if blue is not None:
        last_looked |= {ind: blue.year for ind, rule in rules.items() if isinstance(rule, PlanWork)}
    has_target = table[[f"target_{y}" for y in TARGET_YEARS]].notna().any(axis=1)
    table["reach_by"] = pd.array(table["indicator"].map(last_looked).where(has_target), dtype="Int64")
    table["source"] = table["indicator"].map(sources)
    table["previous"] = table["change"] = np.nan  # an earlier survey's value and the change (survey.compare)
    table["note"] = ("" if notes is None else
                     [notes.at[a, i] if a in notes.index and i in notes.columns else ""
                      for a, i in zip(table["adcode"], table["indicator"])])
    quality = quality or {}
    table["quality"] = [quality[i].get(a, "") if i in quality else "" for i, a in zip(table["indicator"], table["adcode"])]
    uncovered = table["note"].ne("")
    table.loc[uncovered, "quality"] = ""
    measured = ["value", "low", "high", *[f"{kind}_{y}" for kind in ("gap", "reach") for y in TARGET_YEARS]]
    table.loc[uncovered, measured] = np.nan
    table.loc[uncovered, [f"status_{y}" for y in TARGET_YEARS]] = ""
    order = {ind: i for i, ind in enumerate(specs.index)}
    table = table.sort_values(["indicator", "adcode"], key=lambda c: c.map(order) if c.name == "indicator"
                              else c.map(lambda a: "" if a == total else a), kind="stable")
    return table[INDICATOR_COLUMNS].reset_index(drop=True)


def _gap_and_reach(rule: Projected | PlanWork | None, adcode: str, value: float, target: float, year: int,
                   trajectory: pd.DataFrame, blue: BlueYear | None, total: str = CITY) -> tuple[float, float]:
    """Gap to one target and the year it is reached, by the indicator's target rule (NaN where there is none)."""
    if pd.isna(target):
        return np.nan, np.nan
    if isinstance(rule, Projected):
        column = rule.compared
        return value_in(trajectory, adcode, column, year) - target, reach_year(trajectory, adcode, column, target)
    if blue is not None and isinstance(rule, PlanWork):
        work = blue.work[rule.status]
        work = work if adcode == total else work[work["county"] == adcode]
        reached = year_reached(work, mu_to_ha(target))
        return value - target, np.nan if reached is None else reached
    return np.nan, np.nan


