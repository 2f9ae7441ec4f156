"""Check tables for the report (the redline ledger and land cover, the shelterbelt sites): rows already computed, formatted here.

    tables = ledger_tables(per_realm, names, survey_year=2025, previous_year=2022)
    ReportContext(..., checks=tables)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from sinkmap.catalogue import load_catalogue
from sinkmap.indicators.redline_cover import COVER_TOLERANCE_HA
from sinkmap.indicators.redline_forest import STOCK_TOLERANCE
from sinkmap.indicators.redline_sheet import ADDED
from sinkmap.indicators.targets import PLAN_START
from sinkmap.writers.format import DASH, code_label, format_number


@dataclass(frozen=True)
class CheckTable:
    """A titled table of formatted cells; ``flagged`` rows are highlighted (a rule was triggered)."""

    title: str
    lead: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    flagged: tuple[bool, ...]
    numeric: tuple[bool, ...]  # per column: right-aligned figures


def redline_label(value: object, field: str) -> str:
    """A coded redline field as "中文 code" (生物多样性维护 biodiversity); empty → dash."""
    if value is None or pd.isna(value) or value == "":
        return DASH
    return str(code_label(value, load_catalogue().layers["redlines"].fields[field].allowed or {}))


def _ha(x: float, signed: bool = False) -> str:
    """Hectares to 0.01 ha, the ledger's tolerance (a 0.3 ha loss must not read "0 ha")."""
    return format_number(x, "ha", signed=signed, digits=2)


def _unit(adcode: str, names: Mapping[str, str]) -> str:
    return f"{names.get(adcode, adcode)} {adcode}"


def ledger_tables(per_realm: pd.DataFrame, names: Mapping[str, str], *, survey_year: int,
                  previous_year: int | None) -> list[CheckTable]:
    """The redline ledger per county × realm and, with an earlier version, its net change."""
    rows, flags = [], []
    for rec in per_realm.sort_values(["county", "realm"]).to_dict("records"):
        cells = [_unit(str(rec["county"]), names), redline_label(rec["realm"], "realm"),
                 _ha(rec["area_ha"])]
        if previous_year is not None:
            cells += [_ha(rec["previous_area_ha"]), _ha(rec["change_ha"], signed=True), _ha(rec["added_ha"]),
                      _ha(rec["removed_ha"]), rec["flag"] or DASH]
        rows.append(tuple(cells))
        flags.append(bool(previous_year is not None and rec["flag"]))
    header = ("单元 Unit", "陆海 Realm", f"{survey_year} 面积 Area")
    lead = ("生态保护红线台账，以县级行政区为基本单元；面积在等积投影下计算，重叠部分只计一次。"
            "Redline ledger with the county as the basic unit; areas in the equal-area CRS, overlaps counted once.")
    if previous_year is not None:
        header += (f"{previous_year} 面积 Area", "变化 Change", "新增 Added", "移出 Removed", "标记 Flag")
        lead += (f" 与 {previous_year} 版比较：净面积减少标记“面积减少”，净面积未减但边界有增有减标记“边界调整”，须复核；"
                 "逐条红线见“逐条红线核查”表。"
                 f" Compared with the {previous_year} version: a net loss is flagged 面积减少 (area reduced), an "
                 "area swap with no net loss 边界调整 (boundary changed), for review; redline by redline, see the "
                 "table of flagged redlines.")
    numeric = (False, False, True) + ((True, True, True, True, False) if previous_year is not None else ())
    return [CheckTable("生态保护红线台账 Ecological redline ledger", lead, header, tuple(rows), tuple(flags), numeric)]


def flagged_redlines_table(sheet: pd.DataFrame, names: Mapping[str, str], *, survey_year: int,
                           previous_year: int | None) -> CheckTable | None:
    """The redlines the checks found something about (``redline_checks.csv`` rows with findings): their
    area then and now and what was found; None when there is none. New redlines are listed, not flagged."""
    found = sheet[sheet["findings"].fillna("") != ""]
    if found.empty:
        return None
    rows = tuple((_unit(str(r["county"]), names), str(r["redline_id"]), redline_label(r["function_type"], "function_type"),
                  _ha3(r["previous_area_ha"]), _ha3(r["area_ha"]), _ha3(r["area_change_ha"], signed=True),
                  str(r["findings"])) for r in found.to_dict("records"))
    then = f"{previous_year} 面积 Area" if previous_year is not None else "此前面积 Area before"
    return CheckTable(
        "逐条红线核查 Flagged redlines",
        "逐条红线的核查结果（redline_checks.csv）：面积与边界、红线内土地覆盖、红线内森林小班与功能类型；须实地复核。"
        " Redline by redline (redline_checks.csv): area and boundary, land cover and forest stands inside, and "
        "function type; to check on the ground. Areas of each redline's own polygon, in the equal-area CRS.",
        ("单元 Unit", "编号 ID", "功能 Function", then, f"{survey_year} 面积 Area", "变化 Change", "发现 Findings"),
        rows, tuple(r["status"] != ADDED for r in found.to_dict("records")), (False, False, False, True, True, True, False))


def _ha3(x: float, *, signed: bool = False) -> str:
    """A redline's own area to 0.001 ha (a strip of 12 m² shows)."""
    return format_number(x, "ha", signed=signed, digits=3)


def cover_table(check: pd.DataFrame, names: Mapping[str, str], *, survey_year: int,
                previous_year: int | None, sources: str) -> CheckTable:
    """Forest and human-use land inside the redlines per county × realm; with an earlier map, the change.
    ``sources`` names the land-cover rasters (e.g. "landcover.tif (2025), lc_2020.tif (2020)")."""
    compared = previous_year is not None
    rows, flags = [], []
    summary = check[check["redline_id"].fillna("") == ""] if "redline_id" in check else check
    for rec in summary.sort_values(["county", "realm"]).to_dict("records"):
        cells = [_unit(str(rec["county"]), names), redline_label(rec["realm"], "realm")]
        for name in ("forest", "human_use"):
            cells.append(_ha(rec[f"{name}_ha"]))
            if compared:
                cells += [_ha(rec[f"previous_{name}_ha"]), _ha(rec[f"{name}_change_ha"], signed=True)]
        note = rec.get("note") or ""  # a map leaves these redlines partly unmapped: no flag, the reason instead
        rows.append(tuple(cells + ([rec["flag"] or (note.replace("not covered: ", "未覆盖 ") or DASH)]
                                   if compared else [])))
        flags.append(bool(compared and rec["flag"]))
    years = (f"{survey_year}", f"{previous_year}", "变化 Change") if compared else (f"{survey_year}",)
    header = ("单元 Unit", "陆海 Realm", *(f"森林 Forest {y}" for y in years),
              *(f"耕地与建设用地 Crop + built {y}" for y in years), *(("标记 Flag",) if compared else ()))
    lead = ("今年红线范围内的土地覆盖：森林（乔木林、竹林、红树林）与耕地、建设用地面积，由土地覆盖栅格按像元覆盖比例统计。"
            "Land cover inside this year's redlines: forest (arbor, bamboo, mangrove) and cropland + built-up, "
            f"from the land-cover raster with exact cell coverage. 来源 Source: {sources}.")
    if compared:
        lead += (f" 与 {previous_year} 年土地覆盖比较：耕地与建设用地增加超过 {COVER_TOLERANCE_HA:g} ha 标记“性质改变”，"
                 f"森林减少超过 {COVER_TOLERANCE_HA:g} ha 标记“功能降低”；两期分类图的误差也会造成差异，须实地复核。"
                 f" Compared with the {previous_year} map: cropland + built-up up by more than "
                 f"{COVER_TOLERANCE_HA:g} ha is flagged 性质改变 (nature changed), forest down by more than "
                 f"{COVER_TOLERANCE_HA:g} ha 功能降低 (function lowered); two maps also differ by their errors, "
                 "so check on the ground.")
    numeric = (False, False) + (True,) * (2 * len(years)) + ((False,) if compared else ())
    return CheckTable("红线内土地覆盖 Land cover inside the redlines", lead, header, tuple(rows), tuple(flags),
                      numeric)


def forest_tables(units: pd.DataFrame, names: Mapping[str, str], *, survey_year: int,
                  previous_year: int | None, sources: str) -> list[CheckTable]:
    """Forest-stand area and growing stock inside the redlines per county × realm (``units``) and,
    with the earlier stand survey, the change and the number of redlines flagged (the redlines are in
    the flagged-redline table). ``sources`` names the stand layers (e.g. "stands.gpkg (2025), stands_2020.gpkg (2020)")."""
    compared = previous_year is not None
    rows, flags = [], []
    for rec in units.sort_values(["county", "realm"]).to_dict("records"):
        cells = [_unit(str(rec["county"]), names), redline_label(rec["realm"], "realm"), *_forest_cells(rec, compared)]
        if compared:
            cells += [str(rec["redlines_flagged"]), rec["flag"] or DASH]
        rows.append(tuple(cells))
        flags.append(bool(compared and rec["flag"]))
    change = f"{previous_year}—{survey_year} 变化 Change"
    measures = (f"森林面积 Forest {survey_year}", *((change,) if compared else ()), f"蓄积 Stock {survey_year}",
                *((change, f"{change} %") if compared else ()))
    header = ("单元 Unit", "陆海 Realm", *measures, *(("功能降低的红线 Redlines flagged", "标记 Flag") if compared else ()))
    lead = ("今年红线范围内的森林小班：森林面积与森林蓄积（小班在红线内的部分 × 每公顷蓄积，重叠小班只计一次）。"
            "Forest stands inside this year's redlines: forest area and growing stock (the part of each stand "
            f"inside the redlines × its volume per ha, overlapping stands once). 来源 Source: {sources}.")
    if compared:
        lead += (f" 两期小班均按今年红线逐条统计，与 {previous_year} 年调查比较：一条红线内蓄积减少超过 {STOCK_TOLERANCE:.0%}"
                 f" 或森林面积减少超过 {COVER_TOLERANCE_HA:g} ha 即标记“功能降低”（县级合计会掩盖单条红线的采伐）；"
                 "各期小班蓄积为重新估测值，须复核。"
                 f" Both surveys are cut by this year's redlines, redline by redline; compared with the "
                 f"{previous_year} survey, a redline whose stock fell by more than {STOCK_TOLERANCE:.0%} or whose "
                 f"forest area fell by more than {COVER_TOLERANCE_HA:g} ha is flagged 功能降低 (function lowered) "
                 "— a county total would hide a felling in one redline — for review: stand volumes are "
                 "re-estimated at each inventory. Per redline: redline_forest.csv.")
    numeric = (False, False) + (True,) * len(measures) + ((True, False) if compared else ())
    tables = [CheckTable("红线内森林小班 Forest stands inside the redlines", lead, header, tuple(rows), tuple(flags),
                         numeric)]
    return tables


def _forest_cells(rec: Mapping, compared: bool) -> list[str]:
    """Forest area (ha, to 0.1 ha: the tolerance is 1 ha) and stock (m³) now and, with an earlier
    survey, their change (and the stock's in %); the earlier values are in redline_forest.csv."""
    cells = [format_number(rec["forest_ha"], "ha", digits=1)]
    if compared:
        cells.append(format_number(rec["forest_change_ha"], "ha", signed=True, digits=1))
    cells.append(format_number(rec["stock_m3"], "m³"))
    if compared:
        cells += [format_number(rec["stock_change_m3"], "m³", signed=True),
                  format_number(rec["stock_change_pct"], "%", signed=True)]
    return cells


def shelterbelt_table(sites: pd.DataFrame, names: Mapping[str, str], *, survey_year: int) -> CheckTable:
    """The plan's coastal shelterbelt restoration sites: belts, area by status and the work since PLAN_START."""
    rows = tuple((str(r["site"]), _unit(str(r["county"]), names) if r["county"] else DASH, str(r["belts"]),
                  _ha(r["existing_ha"]), _ha(r["planted_ha"]), _ha(r["restored_ha"]),
                  format_number(r["work_since_mu"], "亩"), r["flag"] or DASH) for r in sites.to_dict("records"))
    return CheckTable(
        "沿海防护林修复片区 Coastal shelterbelt restoration sites",
        f"方案所列沿海防护林修复片区：林带数、各状态面积，以及 {PLAN_START}—{survey_year} 年新造与修复面积；无记录的片区标出。"
        f" The plan's shelterbelt restoration sites: belts, area by status, and the area planted or restored in "
        f"{PLAN_START}–{survey_year}; a site with none is flagged.",
        ("片区 Site", "单元 Unit", "林带 Belts", "现有 Existing", "新造 Planted", "修复 Restored",
         f"{PLAN_START}—{survey_year} 新造与修复 Work", "标记 Flag"),
        rows, tuple(bool(flag) for flag in sites["flag"]), (False, False, True, True, True, True, True, False))
