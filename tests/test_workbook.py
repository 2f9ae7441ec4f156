"""survey.xlsx: one sheet per survey table, the same rows and values as its CSV, 中文 and English headers
with units from layers/output_columns.csv, number formats by unit, the About sheet, identical bytes."""

from __future__ import annotations

import datetime
import time
import zipfile

import openpyxl
import pandas as pd
import pytest

from sinkmap.catalogue import load_indicator_specs
from sinkmap.columns import ROW, column_label, load_output_columns, load_output_tables
from sinkmap.indicators.projection import TRAJECTORY_COLUMNS
from sinkmap.indicators.shelterbelt import SITE_COLUMNS
from sinkmap.survey import INDICATOR_COLUMNS, OUTPUTS
from sinkmap.survey.ledger import EMPTY_TABLES, redline_tables
from sinkmap.survey.workbook import sheets
from sinkmap.writers.workbook import (
    ABOUT_SHEET,
    NUMBER_FORMATS,
    WIDTH_MAX,
    Workbook,
    display_width,
    headers,
    workbook_bytes,
    write_workbook,
)

TABLES = [name for name in OUTPUTS if name.endswith(".csv")]


@pytest.fixture(scope="module")
def book(demo_survey) -> openpyxl.Workbook:
    return openpyxl.load_workbook(demo_survey / "survey.xlsx")


def sheet_of(book: openpyxl.Workbook, table: str):
    return book[load_output_tables().loc[table, "sheet"]]


def rows(ws, first: int) -> list[list]:
    return [list(r) for r in ws.iter_rows(min_row=first, values_only=True)]


def cell_of(ws, table: str, column: str, **where) -> openpyxl.cell.Cell:
    """The cell of ``column`` in the first data row whose cells equal ``where`` (columns found by their English
    header)."""
    english = [c.value for c in ws[3]]

    def at(name: str) -> int:
        return english.index(headers(column_label(table, name))[1])

    for row in ws.iter_rows(min_row=4):
        if all(row[at(name)].value == value for name, value in where.items()):
            return row[at(column)]
    raise LookupError(where)


def test_every_csv_has_its_sheet_with_the_same_rows_and_values(demo_survey, book):
    assert book.sheetnames == [ABOUT_SHEET, *load_output_tables()["sheet"]]
    for table in TABLES:
        ws = sheet_of(book, table)
        csv = pd.read_csv(demo_survey / table, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert "SYNTHETIC" in ws["A1"].value  # the demo's banner, then the two header rows
        zh, en = rows(ws, 2)[:2]
        columns = list(csv.columns)
        if table == "indicators.csv":  # the indicators' own names from layers/indicators.csv
            columns[3:3] = ["indicator_zh", "indicator_en"]
        expected = [headers(column_label(table, c)) for c in columns]
        assert (zh, en) == ([h[0] for h in expected], [h[1] for h in expected]), table
        got = rows(ws, 4)
        assert len(got) == len(csv), table
        for values, expected in zip(got, csv.itertuples(index=False)):
            cells = dict(zip(columns, values))
            for column, text in zip(csv.columns, expected):
                cell = cells[column]
                if text == "":
                    assert cell is None, (table, column)
                elif isinstance(cell, (int, float)):
                    assert cell == pytest.approx(float(text), rel=1e-9), (table, column)
                else:
                    assert cell == text, (table, column)
        if table == "indicators.csv":
            specs = load_indicator_specs()
            for values in got:
                assert values[3:5] == [specs.loc[values[2], "name_zh"], specs.loc[values[2], "name_en"]]


def test_headers_carry_their_units_and_stay_in_view(book):
    ws = sheet_of(book, "trajectory.csv")
    assert [c.value for c in ws[2]] == ["行政区划代码", "年份", "类型", "森林面积（公顷）", "森林覆盖率（%）",
                                        "森林蓄积量（立方米）", "森林蓄积量（万立方米）"]
    assert [c.value for c in ws[3]] == ["Adcode", "Year", "Kind", "Forest area (ha)", "Forest cover (%)",
                                        "Growing stock (m³)", "Growing stock (10⁴ m³)"]
    assert sheet_of(book, "stock_by_group.csv")["F2"].value == "面积（公顷）"
    assert sheet_of(book, "shelterbelt_sites.csv")["H3"].value == "Planted or restored in the plan period (mu)"
    ws = sheet_of(book, "indicators.csv")
    assert ws["F2"].value == "数值（按本行单位）" and ws["F3"].value == "Value (row's unit)"
    assert ws["I3"].value == "Previous survey's value (--previous) (row's unit)"
    assert ws["J2"].value == "较上期变化（数值−上期）（按本行单位）"
    assert ws["L2"].value == "2025年目标（按本行单位）" and ws["L3"].value == "Target 2025 (row's unit)"
    for table in TABLES:
        ws = sheet_of(book, table)
        assert ws.freeze_panes == "B4", table  # below the banner and both header rows, right of the key column
        assert ws.auto_filter.ref == f"A3:{openpyxl.utils.get_column_letter(ws.max_column)}{max(ws.max_row, 3)}"
        for column in range(1, ws.max_column + 1):  # wide enough for the header, CJK counted double
            letter = openpyxl.utils.get_column_letter(column)
            header = max(display_width(ws.cell(2, column).value), display_width(ws.cell(3, column).value))
            assert ws.column_dimensions[letter].width >= min(WIDTH_MAX, header + 2), (table, letter)


def test_number_formats_follow_the_unit_and_the_indicator_rows_their_own(book):
    ws = sheet_of(book, "indicators.csv")

    def format_of(column: str, indicator: str) -> str:
        return cell_of(ws, "indicators.csv", column, indicator=indicator, adcode="441500").number_format

    assert format_of("value", "forest_cover") == "0.0"
    assert format_of("target_2025", "forest_cover") == "0.0"
    assert format_of("gap_2030", "forest_cover") == "0.0"
    assert format_of("value", "stock_volume") == "0.00"
    assert format_of("value", "stock_volume_m3") == "#,##0"
    assert format_of("value", "forest_area") == "0.00"
    assert format_of("value", "mangrove_planted") == "#,##0"
    assert format_of("high", "biomass_carbon") == "#,##0"
    assert format_of("low", "biomass_co2e") == "#,##0"
    reach = cell_of(ws, "indicators.csv", "reach_2025", indicator="stock_volume", adcode="441500")
    assert reach.number_format == "0" and isinstance(reach.value, int)  # a year: no thousands separator
    code = cell_of(ws, "indicators.csv", "adcode", indicator="forest_cover", adcode="441500")
    assert code.number_format == "@" and code.value == "441500"  # a code is text
    ws = sheet_of(book, "trajectory.csv")
    assert [ws.cell(4, c).number_format for c in range(1, 8)] == ["@", "0", "General", "0.00", "0.0", "#,##0", "0.00"]
    ws = sheet_of(book, "carbon_by_group.csv")
    assert ws["A4"].value == "441502" and ws["A4"].number_format == "@"
    assert ws["G4"].number_format == "0.0%"  # u_95, a relative half-width
    assert sheet_of(book, "blue_carbon_by_habitat.csv")["F4"].number_format == "#,##0"  # 亩


def test_about_sheet_lists_every_sheet_and_where_the_data_came_from(demo_survey, book):
    ws = book[ABOUT_SHEET]
    assert "SYNTHETIC" in ws["A1"].value
    assert ws["A2"].value.startswith("汕尾市森林与蓝碳碳汇本底调查") and ws["A2"].value.endswith("2025")
    listed = {r[0]: r[1:5] for r in ws.iter_rows(values_only=True) if r[0] in book.sheetnames}
    assert list(listed) == book.sheetnames[1:]
    for name, (table, count, zh, en) in listed.items():
        assert book[name].max_row - 3 == count or count == 0
        assert count == len(pd.read_csv(demo_survey / table, encoding="utf-8-sig")) and zh and en
    lines = {}
    for item, text, *_ in ws.iter_rows(values_only=True):
        lines.setdefault(item, []).append(text)
    assert lines["调查年份 Survey year"] == ["2025"]
    assert lines["调查范围 Survey area"] == ["汕尾市 Shanwei (441500)"]
    assert "stands: stands.gpkg (layer stands)" in lines["输入文件 Input file"]
    assert "stands_previous: stands_2020.gpkg (layer stands; year 2020)" in lines["输入文件 Input file"]
    assert "SYNTHETIC" in lines["数据性质 Data"][0]
    assert "source column" in lines["指标来源 Indicator sources"][0].lower()


def small_book(stamp: datetime.datetime, banner: str = "") -> Workbook:
    """A workbook of two real tables: the trajectory (two rows) and a header-only redline ledger."""
    trajectory = pd.DataFrame({"adcode": ["441500", "441500"], "year": [2024, 2025], "kind": ["observed"] * 2,
                               "forest_area_ha": [1.5, 2.25], "forest_cover_pct": [44.61, 45.0],
                               "stock_m3": [1e6, 1.1e6], "stock_wan_m3": [100.0, 110.0]})
    tables = {"trajectory.csv": trajectory, "redline_ledger.csv": redline_tables(None)["redline_ledger.csv"]}
    return Workbook("测试 test", sheets(tables), (("调查年份 Survey year", "2025"),), stamp, banner)


def test_two_writes_of_the_same_survey_give_the_same_bytes(tmp_path):
    stamp = datetime.datetime(2025, 1, 1)
    first = write_workbook(small_book(stamp), tmp_path / "a.xlsx").read_bytes()
    time.sleep(2.1)  # zip entry times count in 2 s steps; the clock must not reach the file
    second = write_workbook(small_book(stamp), tmp_path / "b.xlsx").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2025, 1, 1, 0, 0, 0)}
        assert "<dcterms:modified" in (core := archive.read("docProps/core.xml").decode())
        assert core.count("2025-01-01T00:00:00Z") == 2  # created and modified
    assert workbook_bytes(small_book(datetime.datetime(2026, 1, 1))) != first


def test_an_empty_table_keeps_its_sheet_with_headers_only(tmp_path):
    """A survey without a redline layer: each redline sheet has its two header rows and no row; without the
    banner (real data) the headers are rows 1 and 2."""
    book = openpyxl.load_workbook(write_workbook(small_book(datetime.datetime(2025, 1, 1)), tmp_path / "s.xlsx"))
    ws = book[load_output_tables().loc["redline_ledger.csv", "sheet"]]
    assert [c.value for c in ws[1]] == ["县级单位代码", "陆海类型", "功能类型", "红线数", "面积（公顷）"]
    assert [c.value for c in ws[2]] == ["County code", "Realm", "Function type", "Redlines", "Area (ha)"]
    assert ws.max_row == 2 and ws.freeze_panes == "B3" and ws.auto_filter.ref == "A2:E2"
    about = [r for r in book[ABOUT_SHEET].iter_rows(values_only=True) if r[0] == ws.title]
    assert about[0][1:3] == ("redline_ledger.csv", 0)
    ws = book[load_output_tables().loc["trajectory.csv", "sheet"]]
    assert ws["D3"].value == 1.5 and ws["A3"].value == "441500" and ws.freeze_panes == "B3"


def test_a_column_without_a_label_fails():
    frame = redline_tables(None)["redline_ledger.csv"].assign(unlabelled=[])
    with pytest.raises(KeyError, match=r"column 'unlabelled' of redline_ledger.csv has no label.*output_columns"):
        sheets({"redline_ledger.csv": frame})
    with pytest.raises(KeyError, match=r"table elsewhere.csv has no sheet.*output_tables"):
        sheets({"elsewhere.csv": frame})
    with pytest.raises(KeyError, match="column 'change' of redline_ledger.csv"):  # labelled for two tables only
        column_label("redline_ledger.csv", "change")


def test_every_column_the_survey_writes_has_a_label_and_every_unit_a_format():
    written = {"indicators.csv": INDICATOR_COLUMNS, "trajectory.csv": TRAJECTORY_COLUMNS,
               "shelterbelt_sites.csv": SITE_COLUMNS, **EMPTY_TABLES}
    for table, columns in written.items():
        assert table in load_output_tables().index
        for column in columns:
            assert column_label(table, column).name_zh, (table, column)
    units = set(load_output_columns()["unit"]) - {ROW} | set(load_indicator_specs()["unit"])
    assert units <= set(NUMBER_FORMATS)
    sheet_names = load_output_tables()["sheet"]
    assert sheet_names.str.len().max() <= 31 and sheet_names.is_unique


def test_a_pattern_row_labels_every_year_and_a_table_row_comes_first():
    assert headers(column_label("indicators.csv", "target_2035")) == ("2035年目标（按本行单位）",
                                                                       "Target 2035 (row's unit)")
    assert column_label("carbon_by_group.csv", "tier_BEF").name_en == "Tier of BEF"
    assert column_label("indicators.csv", "county").unit == "" and column_label("trajectory.csv", "county").unit == "code"
    assert display_width("面积 ha") == 7
