"""Projection of forest area and growing stock: hand-compounded growth, scenarios, reach years."""

import numpy as np
import pandas as pd
import pytest

from sinkmap.errors import SchemaError, SinkmapWarning
from sinkmap.indicators.projection import GrowthRates, check_scenario, project, reach_year, trajectory
from sinkmap.readers.tables import read_table

COLUMNS = ["county", "activity", "year_from", "year_to", "area_ha", "volume_m3", "increment_m3_per_ha",
           "counts_after_years"]


def rates(growth=0.10, harvest=0.04, extra=()) -> GrowthRates:
    rows = [("growth", "*", "*", growth, "test"), ("harvest", "*", "*", harvest, "test"), *extra]
    return GrowthRates(pd.DataFrame(rows, columns=["process", "species_group", "age_group", "rate", "source"]))


def one_stand(volume=100.0, county="a", group="pine", age="young") -> pd.DataFrame:
    return pd.DataFrame({"county": [county], "species_group": [group], "age_group": [age], "stock_m3": [volume]})


def scenario(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


def test_one_stand_compounds_growth_minus_the_default_harvest():
    out = project(one_stand(), pd.Series({"a": 10.0}), rates(), 2020, 2025).set_index("year")
    # each year: stock · (1 + 0.10) − stock · 0.04 = stock · 1.06; 2021: 106, 2022: 112.36, … 2025: 100 · 1.06⁵
    assert out.loc[2021, "stock_m3"] == pytest.approx(106.0)
    assert out.loc[2022, "stock_m3"] == pytest.approx(112.36)
    assert out.loc[2025, "stock_m3"] == pytest.approx(100 * 1.06**5)
    assert (out["forest_area_ha"] == 10.0).all()  # no scenario: the forest area stays


def test_the_scenario_harvest_replaces_the_default_rate_in_its_years():
    plan = scenario(("a", "harvest", 2021, 2022, 2.0, 20.0, None, None))
    out = project(one_stand(), pd.Series({"a": 10.0}), rates(), 2020, 2023, plan).set_index("year")
    # 2021: 100 · 1.1 − 20 = 90; 2022: 90 · 1.1 − 20 = 79; 2023 (no row): 79 · 1.06 = 83.74
    assert out["stock_m3"].tolist() == pytest.approx([90.0, 79.0, 83.74])
    # 2 ha of forest lost each year of the span, and not regained
    assert out["forest_area_ha"].tolist() == pytest.approx([8.0, 6.0, 6.0])


def test_afforestation_counts_after_its_lag_with_a_linear_increment():
    plan = scenario(("a", "afforestation", 2021, 2022, 10.0, None, 5.0, 1))
    out = project(one_stand(0.0), pd.Series({"a": 0.0}), rates(), 2020, 2023, plan).set_index("year")
    # planted 2021 counts from 2022, planted 2022 from 2023
    assert out["forest_area_ha"].tolist() == [0.0, 10.0, 20.0]
    # stock = area · 5 m³/(ha·yr) · age: 2022: 10 · 5 · 1 = 50; 2023: 10 · 5 · 2 + 10 · 5 · 1 = 150
    assert out["stock_m3"].tolist() == pytest.approx([0.0, 50.0, 150.0])


def test_the_most_specific_rate_applies():
    table = rates(extra=[("growth", "eucalyptus", "*", 0.20, "t"), ("growth", "*", "mature", 0.02, "t"),
                         ("growth", "eucalyptus", "mature", 0.05, "t")])
    groups = pd.Series(["eucalyptus", "eucalyptus", "pine", "pine"])
    ages = pd.Series(["mature", "young", "mature", None])
    assert table.rate("growth", groups, ages).tolist() == [0.05, 0.20, 0.02, 0.10]


def test_counties_are_projected_apart():
    stock = pd.concat([one_stand(100.0, "a"), one_stand(50.0, "b")], ignore_index=True)
    plan = scenario(("b", "harvest", 2021, 2021, None, 10.0, None, None))
    out = project(stock, pd.Series({"a": 1.0, "b": 2.0}), rates(), 2020, 2021).set_index("adcode")
    assert out.loc["a", "stock_m3"] == pytest.approx(106.0)
    assert out.loc["b", "stock_m3"] == pytest.approx(53.0)
    out = project(stock, pd.Series({"a": 1.0, "b": 2.0}), rates(), 2020, 2021, plan).set_index("adcode")
    assert out.loc["a", "stock_m3"] == pytest.approx(106.0) and out.loc["b", "stock_m3"] == pytest.approx(45.0)


def test_trajectory_interpolates_between_surveys_and_adds_the_city():
    observed = pd.DataFrame({"adcode": ["a", "b", "a", "b"], "year": [2020, 2020, 2024, 2024],
                             "forest_area_ha": [10.0, 20.0, 14.0, 20.0], "stock_m3": [100.0, 0.0, 140.0, 40.0]})
    projected = pd.DataFrame({"adcode": ["a", "b"], "year": [2025, 2025], "forest_area_ha": [15.0, 21.0],
                              "stock_m3": [150.0, 50.0]})
    table = trajectory(observed, projected, pd.Series({"a": 20.0, "b": 40.0}), "city").set_index(["adcode", "year"])
    # 2022 is halfway between the surveys: a 12 ha, 120 m³
    assert table.loc[("a", 2022), ["forest_area_ha", "stock_m3"]].tolist() == [12.0, 120.0]
    assert table.loc[("a", 2022), "kind"] == "interpolated"
    # the city sums the counties; cover = (14 + 20) ha / (20 + 40) ha × 100
    assert table.loc[("city", 2024), "forest_cover_pct"] == pytest.approx(34 / 60 * 100)
    assert table.loc[("city", 2025), "stock_wan_m3"] == pytest.approx(200 / 1e4)
    assert table.loc["city"].index.tolist() == [2020, 2021, 2022, 2023, 2024, 2025]


def test_reach_year_is_the_first_year_the_target_holds_for_good():
    path = pd.DataFrame({"adcode": "x", "year": range(2020, 2026), "v": [49.0, 51.0, 50.5, 49.9, 52.0, 53.0]})
    assert reach_year(path, "x", "v", 50.0) == 2024  # met in 2021 but lost again in 2023
    assert reach_year(path, "x", "v", 48.0) == 2020
    assert np.isnan(reach_year(path, "x", "v", 60.0))


@pytest.mark.parametrize("row, message", [
    (("a", "harvest", 2026, 2024, None, 5.0, None, None), "year_from is after year_to"),
    (("a", "harvest", 2020, 2025, None, 5.0, None, None), "the rows end by the survey year 2025"),
    (("a", "afforestation", 2026, 2027, None, None, 5.0, 0), "afforestation rows need area_ha > 0"),
    (("a", "harvest", 2026, 2027, None, None, None, None), "harvest rows need volume_m3 or area_ha"),
])  # fmt: skip
def test_scenario_rules_name_the_row_and_field(row, message):
    plan = scenario(("a", "harvest", 2026, 2027, None, 5.0, None, None), row)
    with pytest.raises(SchemaError, match=message + r" \(rows 1\)"):
        check_scenario(plan, 2025, 2030, path="scenario.csv")


def test_scenario_rows_past_the_projection_are_said_to_be_cut():
    plan = scenario(("a", "harvest", 2026, 2030, None, 5.0, None, None),
                    ("a", "harvest", 2028, 2035, None, 5.0, None, None))  # index 1 (read_table: spreadsheet rows)
    with pytest.warns(SinkmapWarning, match=r"scenario\.csv: rows 1 run past the projection's last year 2030; their "
                                           r"later years are not projected"):
        check_scenario(plan, 2025, 2030, path="scenario.csv")


def test_scenario_table_accepts_chinese_labels_and_names_bad_values(tmp_path):
    path = tmp_path / "情景.csv"
    path.write_text("county,activity,year_from,year_to,area_ha,increment_m3_per_ha,counts_after_years\n"
                    "海丰县,造林,2026,2030,900,12,3\n441581,harvest,2026,2030,50,,\n", encoding="utf-8")
    table = read_table(path, "scenario")
    assert table["county"].tolist() == ["441521", "441581"]
    assert table["activity"].tolist() == ["afforestation", "harvest"]
    path.write_text("county,activity,year_from,year_to,area_ha\n深圳市,造林,2026,2030,900\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"情景.csv field 'county': values not allowed: '深圳市' \(row 2\).*441502 \(城区\)"):
        read_table(path, "scenario")
    # rows are named by their spreadsheet row (header = row 1)
    path.write_text("county,activity,year_from,year_to,area_ha\n城区,造林,2026,2030,9\n城区,造林,2030,2026,9\n",
                    encoding="utf-8")
    with pytest.raises(SchemaError, match=r"情景.csv field 'year_from': year_from is after year_to \(rows 3\)"):
        check_scenario(read_table(path, "scenario"), 2025, 2030, path=path.name)


def test_scenario_from_a_spreadsheet(tmp_path):
    sheet = pd.DataFrame({"county": ["陆河县"], "activity": ["造林"], "year_from": [2026], "year_to": [2028],
                          "area_ha": [400.0], "increment_m3_per_ha": [8.0]})
    sheet.to_excel(tmp_path / "情景.xlsx", index=False)
    table = read_table(tmp_path / "情景.xlsx", "scenario")
    check_scenario(table, 2025, 2030)
    out = project(one_stand(0.0, "441523"), pd.Series({"441523": 0.0}), rates(), 2025, 2028, table)
    # 400 ha planted in 2026, 2027 and 2028, each counted at once: 400, 800, 1,200 ha; stock 8 m³/(ha·yr) · age
    assert out["forest_area_ha"].tolist() == [400.0, 800.0, 1200.0]
    assert out["stock_m3"].tolist() == pytest.approx([0.0, 400 * 8 * 1, 400 * 8 * 2 + 400 * 8 * 1])
