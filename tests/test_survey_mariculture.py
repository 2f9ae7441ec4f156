"""Mariculture harvest removal in the survey: per county and species group, its notes where a county has no
harvest rows, its own lines in indicators.csv, the report's account and the map's popups.

Factors (layers/parameters/mariculture.csv, Sun Kang et al. 2020 Table 2), value [low–high]:
  oyster    dry/wet 0.651 [0.5208–0.7812], soft share 0.0614 [0.0307–0.0921], soft C 0.4598 [0.3977–0.4736],
            shell share 0.9386 [0.9079–0.9693], shell C 0.1268 [0.1112–0.1505]
  kelp      dry/wet 0.2 [0.14–0.26], thallus share 1, C 0.312 [0.2282–0.312]
  porphyra  dry/wet 0.2 [0.14–0.26], thallus share 1, C 0.2739 [0.2191–0.3287]
"""

import math
import warnings

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from sinkmap.errors import SchemaError, SinkmapWarning
from sinkmap.indicators.mariculture import MaricultureFactors
from sinkmap.readers.mariculture import check_yields
from sinkmap.survey.mariculture import area_popups, mariculture_year

LUFENG, CITY_DISTRICT, HAIFENG, LUHE, CITY = "441581", "441502", "441521", "441523", "441500"
CO2 = 44 / 12
# organic and shell carbon (t C) of the harvests below, by hand
OYSTER_ORGANIC = 1000 * 0.651 * 0.0614 * 0.4598  # = 18.37884972
OYSTER_SHELL = 1000 * 0.651 * 0.9386 * 0.1268  # = 77.47842648
KELP = 200 * 0.2 * 1 * 0.312  # = 12.48
PORPHYRA = 10 * 0.2 * 1 * 0.2739  # = 0.5478
# relative 95 % half-widths, IPCC Approach 1: the factors' (high − low) / 2 / value in quadrature
U_OYSTER = math.sqrt(((0.7812 - 0.5208) / 2 / 0.651) ** 2 + ((0.0921 - 0.0307) / 2 / 0.0614) ** 2
                     + ((0.4736 - 0.3977) / 2 / 0.4598) ** 2)  # 0.2, 0.5, 0.0825 → 0.5448
U_OYSTER_SHELL = math.sqrt(0.2 ** 2 + ((0.0921 - 0.0307) / 2 / 0.9386) ** 2
                           + ((0.1505 - 0.1112) / 2 / 0.1268) ** 2)  # shell share's half-width is the soft share's
U_KELP = math.hypot((0.26 - 0.14) / 2 / 0.2, (0.312 - 0.2282) / 2 / 0.312)  # 0.3, 0.1343 → 0.3287
U_PORPHYRA = math.hypot(0.3, (0.3287 - 0.2191) / 2 / 0.2739)


def harvests() -> pd.DataFrame:
    """The validated rows as the reader returns them: 2025 for both coastal counties, one 2024 row."""
    return pd.DataFrame({"county": [LUFENG, CITY_DISTRICT, CITY_DISTRICT, LUFENG],
                         "area_id": ["JS-01", "HH-01", pd.NA, pd.NA],
                         "year": [2025, 2025, 2025, 2024],
                         "mariculture_group": ["牡蛎", "海带", "紫菜", "蚝"],
                         "harvest_t": [1000.0, 200.0, 10.0, 900.0]}, index=[2, 3, 4, 5])


@pytest.fixture(scope="module")
def year():
    return mariculture_year(harvests(), MaricultureFactors.from_layers(), 2025, "产量.xlsx")


def test_removal_by_county_year_and_group(year):
    table = year.by_group().set_index(["county", "year", "mariculture_group"])
    assert table.index.tolist() == [(CITY_DISTRICT, 2025, "kelp"), (CITY_DISTRICT, 2025, "porphyra"),
                                    (LUFENG, 2024, "oyster"), (LUFENG, 2025, "oyster")]
    assert table["basis"].eq("wet").all()  # no basis column: wet weight
    oyster = table.loc[(LUFENG, 2025, "oyster")]
    assert oyster["species"] == "牡蛎" and oyster["harvest_t"] == 1000 and oyster["dry_t"] == pytest.approx(651)
    assert oyster["organic_c_t"] == pytest.approx(OYSTER_ORGANIC, abs=1e-9)
    assert oyster["shell_c_t"] == pytest.approx(OYSTER_SHELL, abs=1e-9)
    assert oyster["organic_co2e_t"] == pytest.approx(OYSTER_ORGANIC * CO2, abs=1e-9)
    assert oyster["organic_co2e_high"] == pytest.approx(OYSTER_ORGANIC * CO2 * (1 + U_OYSTER), abs=1e-9)
    assert oyster["shell_co2e_low"] == pytest.approx(OYSTER_SHELL * CO2 * (1 - U_OYSTER_SHELL), abs=1e-9)
    assert table.loc[(LUFENG, 2024, "oyster"), "species"] == "蚝"  # 蚝 is an oyster name: the same group
    assert table.loc[(LUFENG, 2024, "oyster"), "organic_c_t"] == pytest.approx(0.9 * OYSTER_ORGANIC, abs=1e-9)
    kelp = table.loc[(CITY_DISTRICT, 2025, "kelp")]
    assert kelp["organic_c_t"] == pytest.approx(KELP, abs=1e-9) and kelp["shell_c_t"] == 0  # seaweed: no shell
    assert kelp["organic_u_95"] == pytest.approx(U_KELP, abs=1e-9)
    assert table["factors_from"].eq("layers/parameters/mariculture.csv").all()


def test_a_county_without_rows_has_a_note_not_a_zero(year):
    units = pd.Index([CITY, CITY_DISTRICT, HAIFENG, LUHE, LUFENG])
    notes = year.notes(units, CITY)
    assert notes.loc[[CITY, CITY_DISTRICT, LUFENG]].eq("").all().all()  # the total sums the rows given
    assert notes.loc[HAIFENG, "mariculture_removal_organic"] == "no harvest rows for 2025 in 产量.xlsx"
    assert notes.loc[LUHE].ne("").all()
    assert year.dry_mass().to_dict() == pytest.approx({CITY_DISTRICT: 200 * 0.2 + 10 * 0.2, LUFENG: 1000 * 0.651})
    empty = mariculture_year(harvests().iloc[:0], MaricultureFactors.from_layers(), 2025, "产量.xlsx")
    assert empty.notes(units, CITY).ne("").all().all()  # no rows at all: not even the total is 0


def test_dry_weight_rows_skip_the_dry_wet_ratio():
    """The yearbooks give seaweed as dry weight (干重): 40 t dry kelp is 200 t wet at the ratio 0.2."""
    rows = pd.DataFrame({"county": [CITY_DISTRICT] * 2, "area_id": [pd.NA] * 2, "year": [2025] * 2,
                         "mariculture_group": ["海带"] * 2, "harvest_t": [200.0, 40.0], "basis": ["wet", "dry"]})
    year = mariculture_year(rows, MaricultureFactors.from_layers(), 2025, "产量.xlsx")
    assert year.rows["dry_t"].tolist() == pytest.approx([40.0, 40.0])
    assert year.rows["organic_c_t"].tolist() == pytest.approx([KELP, KELP], abs=1e-9)  # 40 × 0.312 = 12.48
    u_dry = (0.312 - 0.2282) / 2 / 0.312  # the carbon content alone: 0.1343
    assert year.rows["organic_u_95"].tolist() == pytest.approx([U_KELP, u_dry], abs=1e-12)
    table = year.by_group().set_index("basis")
    assert table.loc["dry", "harvest_t"] == 40 and table.loc["wet", "harvest_t"] == 200  # as given, apart
    assert table.loc["dry", "organic_u_95"] == pytest.approx(u_dry, abs=1e-12)


def test_each_area_gets_its_harvest_and_popup_texts(year):
    per_area = year.per_area()
    assert per_area.index.tolist() == ["HH-01", "JS-01"]
    assert per_area.loc["JS-01", "organic_co2e_t"] == pytest.approx(OYSTER_ORGANIC * CO2, abs=1e-9)
    areas = gpd.GeoDataFrame({"area_id": ["JS-01", "HH-01", "JS-02"]}, geometry=[None] * 3).join(per_area, on="area_id")
    shown = area_popups(areas, 2025)
    # 1000 × 0.651 = 651 t and 200 × 0.2 = 40 t dry
    assert shown["harvest"].tolist() == ["1,000 t 鲜重 wet → 651 t 干重 dry（2025）", "200 t 鲜重 wet → 40.0 t 干重 dry（2025）",
                                         ""]
    # 67.389 and 284.088 t CO₂e (OYSTER_* × 44/12); kelp 12.48 × 44/12 = 45.76 and no shell
    assert shown["removal"].tolist() == ["有机碳 organic 67.4 t CO₂e；贝壳 shell 284.1 t CO₂e",
                                         "有机碳 organic 45.8 t CO₂e", ""]


def test_the_survey_year_must_have_rows_and_later_ones_are_left_out():
    rows = harvests()
    with pytest.raises(SchemaError, match=r"field 'year': no harvest rows for the survey year 2026 \(years given: "
                                          r"2024, 2025\)"):
        check_yields(rows, survey_year=2026, path="产量.xlsx")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept = check_yields(rows, survey_year=2024, path="产量.xlsx")
    assert kept.index.tolist() == [5]
    assert [str(w.message) for w in caught if w.category is SinkmapWarning] == [
        "产量.xlsx: rows 2, 3, 4 are of years after the survey year 2024 and are left out"]


@pytest.mark.slow
def test_survey_reports_the_removal_apart_from_the_sink(demo_survey, tmp_path):
    from sinkmap.cli import cli
    from tests.test_cli import demo_config
    from tests.test_mariculture_inputs import SQUARES

    farms = tmp_path / "养殖区.shp"
    gpd.GeoDataFrame({"编号": ["JS-01", "JS-02", "HH-01"], "品种": ["牡蛎", "龙须菜", "海带"],
                      "类型": ["养殖区", "海洋牧场", "farm"]}, geometry=SQUARES, crs=4490).to_file(farms, encoding="GBK")
    xlsx = tmp_path / "产量.xlsx"
    pd.DataFrame([["", "JS-01", 2025, "牡蛎", 1000], ["城区", "HH-01", 2025, "海带", 200], ["城区", "", 2025, "紫菜", 10],
                  ["陆丰市", "", 2024, "蚝", 900]], columns=["县", "编号", "年份", "品种", "产量(吨)"]).to_excel(xlsx, index=False)
    config = demo_config(demo_survey, tmp_path, mariculture={"path": str(farms), "encoding": "gbk"},
                         mariculture_yields={"path": str(xlsx)})
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["survey", "-c", str(config), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    rows = table[table["indicator"].str.startswith("mariculture")].set_index(["indicator", "adcode"])
    organic = KELP + PORPHYRA + OYSTER_ORGANIC  # t C of the 2025 rows: 12.48 + 0.5478 + 18.37884972
    assert rows.loc[("mariculture_dry_mass", CITY), "value"] == pytest.approx(651 + 40 + 2)  # 1000 × 0.651 + 200 × 0.2
    # + 10 × 0.2 t
    assert rows.loc[("mariculture_removal_organic", CITY), "value"] == pytest.approx(organic * CO2, abs=1e-6)
    half = CO2 * math.sqrt((KELP * U_KELP) ** 2 + (PORPHYRA * U_PORPHYRA) ** 2 + (OYSTER_ORGANIC * U_OYSTER) ** 2)
    assert rows.loc[("mariculture_removal_organic", CITY), "high"] == pytest.approx(organic * CO2 + half, abs=1e-6)
    assert rows.loc[("mariculture_removal_shell", LUFENG), "value"] == pytest.approx(OYSTER_SHELL * CO2, abs=1e-6)
    assert rows.loc[("mariculture_removal_shell", CITY_DISTRICT), "value"] == 0  # seaweed only
    haifeng = rows.loc[("mariculture_removal_organic", HAIFENG)]
    assert pd.isna(haifeng["value"]) and haifeng["note"] == "no harvest rows for 2025 in 产量.xlsx"
    assert rows["unit"].tolist().count("t CO₂e/yr") == 10 and "not in carbon_sink_total" in \
        rows.loc[("mariculture_removal_organic", CITY), "source"]
    # the land + ocean sink is what it was without the harvests
    before = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    total = table[table["indicator"] == "carbon_sink_total"]["value"].to_numpy()
    assert total == pytest.approx(before[before["indicator"] == "carbon_sink_total"]["value"].to_numpy())
    by_group = pd.read_csv(out / "mariculture_by_group.csv", dtype={"county": str}, encoding="utf-8-sig")
    assert len(by_group) == 4 and by_group["year"].tolist().count(2024) == 1
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "另计 Apart from the sink: 海水养殖收获移出碳" in report and "海水养殖收获移出 Mariculture harvest removal" in report
    assert "无数据 no data" in report  # 海丰县, 陆河县: no harvest rows, which is not a coverage gap
    page = (out / "map.html").read_text(encoding="utf-8")
    assert '"harvest": "1,000 t \\u9c9c\\u91cd wet' in page  # JS-01's popup: its own harvest, with its unit


@pytest.mark.slow
def test_validate_refuses_a_table_without_the_survey_year(demo_survey, tmp_path):
    from sinkmap.cli import cli
    from tests.test_cli import demo_config

    xlsx = tmp_path / "产量.xlsx"
    pd.DataFrame([["陆丰市", 2023, "牡蛎", 10]], columns=["县", "年份", "品种", "产量"]).to_excel(xlsx, index=False)
    config = demo_config(demo_survey, tmp_path, mariculture_yields={"path": str(xlsx)})
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2
    assert "field 'year': no harvest rows for the survey year 2025 (years given: 2023)" in result.output
