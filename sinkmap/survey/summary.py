"""The report's first page in words: the land + ocean sink in one line and the findings in plain sentences
(redline area fallen, redline function lowered or nature changed, plan sites without work), from one
survey's results. Each sentence names the table that lists the details.
"""

from __future__ import annotations

import pandas as pd

from sinkmap.indicators.targets import PLAN_START
from sinkmap.survey.compute import SurveyResult
from sinkmap.writers.format import format_number
from sinkmap.writers.report.checks import redline_label

SHOWN = 5  # redline ids named in a sentence; the rest are counted
CHECKS = (("功能降低", "功能降低 function lowered"), ("性质改变", "性质改变 nature changed"),
          ("功能类型改变", "功能类型改变 function type changed"))  # flag in redline_checks.csv findings → heading


def _city_row(result: SurveyResult, indicator: str) -> pd.Series | None:
    table = result.indicators
    rows = table[(table["indicator"] == indicator) & (table["adcode"] == result.config.area.code)]
    return None if rows.empty or pd.isna(rows["value"].iloc[0]) else rows.iloc[0]


def _ranged(row: pd.Series) -> str:
    text = format_number(row["value"], row["unit"])
    if pd.notna(row["low"]) and pd.notna(row["high"]):
        text += f"（95 % {format_number(row['low'], '', digits=0)}–{format_number(row['high'], '', digits=0)}）"
    return text


def sink_line(result: SurveyResult) -> str:
    """The survey area's annual land + ocean sink and its two parts, or the forest sink alone ("" without one);
    then, apart, the carbon removed with the mariculture harvest (``harvest_line``)."""
    total, forest, blue = (_city_row(result, i) for i in ("carbon_sink_total", "carbon_sink", "blue_carbon_sink"))
    area = result.config.area.name_zh
    line = ""
    if total is not None:
        line = (f"{area}陆地+海洋年碳汇 land + ocean sink: {_ranged(total)} = 森林生物量 forest biomass "
                f"{_ranged(forest)} + 蓝碳土壤 blue-carbon soil {_ranged(blue)}.")
    elif forest is not None:
        line = f"{area}森林生物量年碳汇 forest biomass sink: {_ranged(forest)}（无蓝碳图层 no blue-carbon layer）."
    return " ".join(filter(None, (line, harvest_line(result))))


def harvest_line(result: SurveyResult) -> str:
    """The carbon removed with the survey year's mariculture harvest, organic and shell apart, said to be
    outside the sink ("" without a harvest table)."""
    organic, shell = (_city_row(result, i) for i in ("mariculture_removal_organic", "mariculture_removal_shell"))
    if organic is None:
        return ""
    return (f"另计 Apart from the sink: 海水养殖收获移出碳 carbon removed with the {result.config.survey_year} "
            f"mariculture harvest — 有机碳 organic {_ranged(organic)}, 贝壳碳酸钙 shell carbonate {_ranged(shell)}; "
            "收获移出而非生态系统固碳，未计入上述碳汇 harvest removal, not ecosystem sequestration, not added to the sink "
            "(mariculture_by_group.csv).")


def _ids(frame: pd.DataFrame, names: dict[str, str]) -> str:
    shown = [f"{r.redline_id}（{names.get(r.county, r.county)}）" for r in frame.head(SHOWN).itertuples()]
    more = f" … +{len(frame) - SHOWN}" if len(frame) > SHOWN else ""
    return "、".join(shown) + more


def findings(result: SurveyResult) -> list[str]:
    """Plain sentences: counties whose redline area fell, redlines whose function was lowered or nature
    changed, plan restoration sites without work since PLAN_START."""
    names = result.units.set_index("adcode")["name_zh"].to_dict()
    year, lines = result.config.survey_year, []
    ledger = result.ledger
    if ledger is not None and ledger.previous_year is not None:
        fell = ledger.per_realm[ledger.per_realm["flag"].fillna("").str.contains("面积减少")]
        for row in fell.itertuples():
            lines.append(f"{names.get(row.county, row.county)} {redline_label(row.realm, 'realm')} 红线面积减少 redline "
                         f"area fell by {format_number(-row.change_ha, 'ha', digits=2)} ({ledger.previous_year}→{year}; "
                         "redline_change.csv).")
    if ledger is not None:
        found = ledger.sheet["findings"].fillna("")
        for flag, heading in CHECKS:
            hits = ledger.sheet[found.str.contains(flag)]
            if len(hits):
                lines.append(f"{heading}: {len(hits)} 条红线 redlines — {_ids(hits, names)} (redline_checks.csv).")
    sites = result.shelterbelt_sites
    if len(sites):
        idle = sites[sites["flag"].fillna("").ne("")]
        if len(idle):
            listed = "、".join(f"{r.site}（{names.get(r.county, r.county)}）" for r in idle.itertuples())
            lines.append(f"沿海防护林修复点 {PLAN_START} 年以来无新造或修复记录 shelterbelt sites with no planting or "
                         f"restoration since {PLAN_START}: {listed} (shelterbelt_sites.csv).")
    return lines
