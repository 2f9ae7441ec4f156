"""The demo report's first page read back: its plan-target table against indicators.csv, its sink line and
findings against the tables they come from."""

import pandas as pd
import pytest

from sinkmap.catalogue import load_indicator_specs
from sinkmap.indicators.targets import STATUS_LABELS, TARGET_YEARS
from sinkmap.writers.format import format_number
from tests.test_report import Tables


@pytest.fixture(scope="module")
def report(demo_survey):
    html = (demo_survey / "report.html").read_text(encoding="utf-8")
    table = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig",
                        keep_default_na=False, na_values=[""])
    return html, Tables(html), table


def test_the_summary_table_is_indicators_csv(report):
    _, parsed, table = report
    specs = load_indicator_specs()
    shown = {(row[0], row[1]): row[2:] for row in parsed.tables[0][1:]}  # (label, year) → the rest
    expected = {}
    city = table[table["adcode"] == "441500"].set_index("indicator")
    for ind in [i for i in specs.index if specs.at[i, "target"] == i]:  # the plan's own targets
        row, unit = city.loc[ind], city.at[ind, "unit"]
        for year in TARGET_YEARS:
            if pd.isna(row[f"target_{year}"]):
                continue
            reach = row[f"reach_{year}"]
            expected[(specs.at[ind, "name_zh"] + specs.at[ind, "name_en"], str(year))] = [
                format_number(row[f"target_{year}"], unit), format_number(row["value"], unit),
                format_number(row[f"gap_{year}"], unit, signed=True), " ".join(STATUS_LABELS[row[f"status_{year}"]]),
                str(int(reach)) if pd.notna(reach) else f"{int(row['reach_by'])} 前未达 not by {int(row['reach_by'])}"]
    assert len(expected) == 6  # cover and stock for 2025 and 2030, mangrove planted and restored for 2025
    assert {key: values[:5] for key, values in shown.items()} == expected  # the source number follows
    # the demo's standing, by hand: 2025 cover 45.0 % < 50 % (passed: not met), 2030 stock projected above 840
    assert shown[("森林覆盖率Forest cover", "2025")][3] == "未达标 not met"
    assert shown[("森林蓄积量Growing-stock volume", "2030")][3] == "进度正常 on track"


def test_the_sink_line_and_the_findings(report, demo_survey):
    html, _, table = report
    total = table[(table["indicator"] == "carbon_sink_total") & (table["adcode"] == "441500")].iloc[0]
    assert f"land + ocean sink: {format_number(total['value'], 't CO₂e/yr')}" in html
    change = pd.read_csv(demo_survey / "redline_change.csv", dtype={"county": str}, encoding="utf-8-sig")
    fell = change[change["flag"].fillna("").str.contains("面积减少")]
    assert len(fell) == 1  # 海丰县's land redlines, −68.75 ha in the demo
    assert f"redline area fell by {format_number(-fell['change_ha'].iloc[0], 'ha', digits=2)}" in html
    sites = pd.read_csv(demo_survey / "shelterbelt_sites.csv", encoding="utf-8-sig")
    for site in sites.loc[sites["flag"].notna(), "site"]:
        assert f"{site}（" in html


@pytest.mark.parametrize(("code", "codes", "units", "counties_only", "expected"), [
    ("441500", ("441502", "441521"), ["441500", "441502", "441521"], False, ["441500", "441502", "441521"]),
    ("441500", ("441502", "441521"), ["441500", "441502", "441521"], True, ["441502", "441521"]),
    # a one-county survey area is its own total: the per-county charts (sink, redline change) keep it
    ("441523", ("441523",), ["441523"], True, ["441523"]),
    ("441523", ("441523",), ["441523"], False, ["441523"]),
])
def test_the_charts_units_of_a_city_and_of_one_county(code, codes, units, counties_only, expected):
    from types import SimpleNamespace

    from sinkmap.survey.figures import _names

    result = SimpleNamespace(units=pd.DataFrame({"adcode": units, "name_zh": units}),
                             config=SimpleNamespace(area=SimpleNamespace(code=code, codes=codes)))
    assert list(_names(result, counties_only=counties_only)) == expected
