"""The survey's workbook, survey.xlsx (调查工作簿): its tables, one sheet each in the order of
``layers/output_tables.csv``, every column labelled from ``layers/output_columns.csv``, and the
provenance lines of the About sheet. Assembles only; ``writers/workbook.py`` presents.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from sinkmap import __version__
from sinkmap.catalogue import load_indicator_specs
from sinkmap.columns import column_label, load_output_tables
from sinkmap.config import SurveyConfig
from sinkmap.survey.compute import SurveyResult
from sinkmap.writers.workbook import Sheet, Workbook, write_workbook

INDICATOR_TABLE = "indicators.csv"
SYNTHETIC_NOTE = "SYNTHETIC demo data. 合成演示数据。"  # a synthetic survey's banner when its configuration has no note


def with_indicator_names(indicators: pd.DataFrame) -> pd.DataFrame:
    """``indicators`` with each indicator's 中文 and English name (layers/indicators.csv) after its id."""
    specs = load_indicator_specs()
    at = indicators.columns.get_loc("indicator") + 1
    named = indicators.copy()
    named.insert(at, "indicator_zh", named["indicator"].map(specs["name_zh"]))
    named.insert(at + 1, "indicator_en", named["indicator"].map(specs["name_en"]))
    return named


def sheets(tables: Mapping[str, pd.DataFrame]) -> tuple[Sheet, ...]:
    """One sheet per table, in the order of layers/output_tables.csv; the indicators carry their names.
    KeyError for a table without a row there and for a column without a label."""
    listed = load_output_tables()
    unlisted = sorted(set(tables) - set(listed.index))
    if unlisted:
        raise KeyError(f"table {unlisted[0]} has no sheet: add a row (table, sheet, about_zh, about_en) to "
                       "layers/output_tables.csv")
    out = []
    for name, row in listed.loc[[n for n in listed.index if n in tables]].iterrows():
        frame = with_indicator_names(tables[name]) if name == INDICATOR_TABLE else tables[name]
        labels = tuple(column_label(name, str(column)) for column in frame.columns)
        out.append(Sheet(row["sheet"], name, (row["about_zh"], row["about_en"]), frame, labels))
    return tuple(out)


def _input_line(kind: str, config: SurveyConfig) -> str:
    """One input file: its kind, path from the configuration's folder, layer, preset and year."""
    given = config.inputs[kind]
    path = config.relative(given.path)
    layer = given.layer if isinstance(given.layer, str) or given.layer is None else ", ".join(given.layer)
    details = [f"{key} {value}" for key, value in (("layer", layer), ("preset", given.preset), ("year", given.year))
               if value is not None]
    return f"{kind}: {path}" + (f" ({'; '.join(details)})" if details else "")


def provenance(config: SurveyConfig) -> tuple[tuple[str, str], ...]:
    """The About sheet's provenance lines: survey year and area, configuration, inputs, parameter tables,
    synthetic data, where each indicator's source is and what wrote the workbook."""
    area = config.area
    where = f"{area.name_zh} {area.name_en} ({area.code})" + (f", {area.source}" if area.source else "")
    lines = [("调查年份 Survey year", str(config.survey_year)), ("调查范围 Survey area", where),
             ("配置文件 Configuration", config.source.name)]
    lines += [("输入文件 Input file", _input_line(kind, config)) for kind in config.inputs]
    lines += [("参数表 Parameter table", f"{name}: {config.relative(path)} (its rows replace the shipped rows "
               "with the same key)") for name, path in sorted(config.parameters.items())]
    lines.append(("参数表 Parameter table", "layers/parameters/*.csv, shipped with sinkmap"))
    if config.synthetic:
        lines.append(("数据性质 Data", config.note or SYNTHETIC_NOTE))
    elif config.note:
        lines.append(("备注 Note", config.note))
    sheet = load_output_tables().loc[INDICATOR_TABLE, "sheet"]
    lines.append(("指标来源 Indicator sources", f"每个指标的来源见“{sheet}”工作表的“来源”列 · each indicator's "
                  f"source is in the Source column of sheet {sheet}"))
    lines.append(("生成 Written by", f"sinkmap {__version__}"))
    return tuple(lines)


def write_survey_workbook(result: SurveyResult, path: str | Path, *, title: str) -> Path:
    """survey.xlsx: the About sheet (``title``, the sheets, provenance) and a sheet per survey table,
    atomically; dated 1 January of the survey year, so a rerun gives the same bytes."""
    config = result.config
    book = Workbook(title=f"{title} {config.survey_year}", sheets=sheets(result.tables()),
                    provenance=provenance(config), stamp=datetime.datetime(config.survey_year, 1, 1),
                    banner=(config.note or SYNTHETIC_NOTE) if config.synthetic else "")
    return write_workbook(book, path)
