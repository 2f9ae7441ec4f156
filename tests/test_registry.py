"""The indicator registry: one entry per row of layers/indicators.csv, values by hand on two counties."""

from types import SimpleNamespace

import pandas as pd
import pytest

from sinkmap.catalogue import load_indicator_specs
from sinkmap.errors import SchemaError
from sinkmap.survey.context import Computed
from sinkmap.survey.forest import ForestYear
from sinkmap.survey.registry import REGISTRY, Indicator, PlanWork, Projected, check_entries, registry
from sinkmap.survey.table import indicator_values

A, B, CITY = "441521", "441523", "441500"
FOREST_COLUMNS = ["stands_ha", "landcover_ha", "both_ha", "stands_only_ha", "landcover_only_ha",
                  "outside_inventory_ha", "combined_ha", "stock_m3", "disagreement_pct"]


def test_every_row_of_indicators_csv_has_one_entry_and_a_unit():
    specs = load_indicator_specs()
    entries = registry()
    assert list(entries) == [e.id for e in REGISTRY] and set(entries) == set(specs.index)
    assert all(entries[i].spec["unit"] == specs.at[i, "unit"] for i in entries)
    assert {i: e.rule for i, e in entries.items() if e.rule} == {
        "forest_cover": Projected(("forest_area_ha", "forest_cover_pct")),
        "stock_volume": Projected(("stock_m3", "stock_wan_m3")),
        "mangrove_planted": PlanWork("planted"), "mangrove_restored": PlanWork("restored")}


def _entry(i: str) -> Indicator:
    return Indicator(i, lambda c: None, lambda p: "")


@pytest.mark.parametrize(("entries", "units", "message"), [
    (("a",), ["ha", "%"], "layers/indicators.csv: b have no entry in sinkmap/survey/registry.py"),
    (("a", "b", "c"), ["ha", "%"], "sinkmap/survey/registry.py: c have no row in layers/indicators.csv"),
    (("a", "b", "b"), ["ha", "%"], "an indicator id has two entries"),
    (("a", "b"), ["ha", None], "layers/indicators.csv: b have no unit"),
])
def test_a_row_without_an_entry_an_entry_without_a_row_or_a_unit_is_refused(entries, units, message):
    specs = pd.DataFrame({"unit": units}, index=pd.Index(["a", "b"], name="indicator"))
    with pytest.raises(SchemaError, match=message):
        check_entries(tuple(_entry(i) for i in entries), specs)


def _year(year: int, combined: tuple[float, float], stock: tuple[float, float]) -> ForestYear:
    per_unit = pd.DataFrame(0.0, index=[A, B], columns=FOREST_COLUMNS)
    per_unit["combined_ha"], per_unit["stands_ha"], per_unit["stock_m3"] = combined, combined, stock
    return ForestYear(year, None, per_unit, pd.DataFrame())


def test_values_by_hand_with_the_survey_areas_total_first():
    land = pd.Series({A: 1000.0, B: 3000.0})  # ha
    ledger = SimpleNamespace(previous_year=None, per_realm=pd.DataFrame({
        "county": [A, A, B], "realm": ["land", "marine", "land"], "area_ha": [100.0, 50.0, 600.0],
        "change_ha": [float("nan")] * 3}))
    computed = Computed(_year(2020, (400.0, 1500.0), (20_000.0, 0.0)), None, land, ledger=ledger)
    values, ranges = indicator_values(computed)
    assert list(values.index) == [CITY, A, B]
    # cover: A 400 / 1000 = 40 %, B 1500 / 3000 = 50 %, city (400 + 1500) / 4000 = 47.5 %
    assert values["forest_cover"].tolist() == pytest.approx([47.5, 40.0, 50.0])
    assert values["land_area"].tolist() == pytest.approx([40.0, 10.0, 30.0])  # km² = ha / 100
    assert values["forest_area_mu"].tolist() == pytest.approx([28_500.0, 6_000.0, 22_500.0])  # × 15 亩/ha
    assert values["stock_volume"].tolist() == pytest.approx([2.0, 2.0, 0.0])  # 万m³ = m³ / 10⁴
    # land redlines: A 100 / 1000 = 10 %, B 600 / 3000 = 20 %, city 700 / 4000 = 17.5 %
    assert values["redline_share_land"].tolist() == pytest.approx([17.5, 10.0, 20.0])
    assert values["redline_area_marine"].tolist() == pytest.approx([50.0, 50.0, 0.0])
    # no earlier stands, no earlier redlines, no blue-carbon or shelterbelt layer: those indicators are absent
    absent = {"stock_volume_change", "carbon_sink", "carbon_sink_total", "redline_area_change", "mangrove_area",
              "mangrove_planted", "blue_carbon_soil", "shelterbelt_area"}
    assert not absent & set(values.columns)
    assert set(ranges) == {"biomass_carbon", "biomass_co2e"}  # no carbon rows: 0 with a 0 range
    assert ranges["biomass_co2e"].loc[CITY].tolist() == [0.0, 0.0, 0.0]


def test_stock_change_and_a_one_county_survey_area():
    land = pd.Series({A: 1000.0})
    before, now = _year(2015, (300.0, 0.0), (10_000.0, 0.0)), _year(2020, (400.0, 0.0), (20_000.0, 0.0))
    computed = Computed(now, before, land, total=A)  # the county is its own total: no city row
    computed.value_of = {i: e.value for i, e in registry().items()}
    # (20,000 − 10,000) m³ / 10⁴ / (2020 − 2015) = 0.2 万m³/yr
    assert computed["stock_volume_change"].to_dict() == pytest.approx({A: 0.2})


def test_the_demo_reports_every_registered_indicator_with_value_unit_and_source(demo_survey):
    table = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    assert list(table["indicator"].unique()) == list(load_indicator_specs().index)  # the demo gives every input
    noted = table["note"].fillna("").ne("")  # the demo's harvests are of the coastal counties of its bays
    assert table.loc[noted, "adcode"].isin(["441521", "441523"]).all()  # 海丰县, 陆河县
    assert set(table.loc[noted, "indicator"]) == {"mariculture_dry_mass", "mariculture_removal_organic",
                                                  "mariculture_removal_shell"}
    assert table.loc[noted, "value"].isna().all()  # no harvest rows: no value, not 0
    for column in ("value", "unit", "source"):  # NaN counts as missing
        shown = table.loc[~noted, column] if column == "value" else table[column]
        assert shown.notna().all() and shown.astype(str).str.strip().ne("").all(), column


@pytest.mark.parametrize(("kwargs", "status"), [
    # target year passed (2025 ≤ survey year 2025): the gap in 2025 decides
    ({"value": 45.0, "target": 50.0, "gap": -5.0, "reach": float("nan"), "year": 2025}, "not_met"),
    ({"value": 51.0, "target": 50.0, "gap": 1.0, "reach": 2024.0, "year": 2025}, "met"),
    # target year ahead: 840 万m³ by 2030, projected 986.9 in 2030 (gap +146.9), reached 2028 → on track
    ({"value": 735.0, "target": 840.0, "gap": 146.9, "reach": 2028.0, "year": 2030}, "on_track"),
    ({"value": 841.0, "target": 840.0, "gap": 10.0, "reach": 2024.0, "year": 2030}, "met"),  # met already
    ({"value": 45.0, "target": 53.0, "gap": -7.1, "reach": float("nan"), "year": 2030}, "behind"),
    ({"value": 45.0, "target": float("nan"), "gap": float("nan"), "reach": float("nan"), "year": 2030}, ""),
    ({"value": 44.2, "target": 50.0, "gap": float("nan"), "reach": float("nan"), "year": 2025}, ""),  # no projection
])
def test_target_status_projected(kwargs, status):
    from sinkmap.indicators.targets import target_status
    assert target_status(**kwargs, survey_year=2025) == status


@pytest.mark.parametrize(("survey_year", "value", "target", "reach", "status"), [
    (2025, 1295.9, 720.0, 2024.0, "met"),  # 720 亩 restored by 2025, reached in 2024
    (2025, 1869.6, 7050.0, float("nan"), "not_met"),  # 7,050 亩 planted by 2025: the year has passed
    # 2023: years 2021–2023 of 2021–2025 elapsed, due 7,050 × 3 / 5 = 4,230 亩
    (2023, 4230.0, 7050.0, float("nan"), "on_track"),
    (2023, 4229.0, 7050.0, float("nan"), "behind"),
])
def test_target_status_of_dated_work(survey_year, value, target, reach, status):
    from sinkmap.indicators.targets import target_status
    assert target_status(value=value, target=target, gap=value - target, reach=reach, year=2025,
                         survey_year=survey_year, dated_work=True) == status


def test_class_composition_by_hand():
    from sinkmap.indicators.area import class_composition

    # WorldCover codes: 10 tree cover → forest, 40 cropland → crop, 95 mangroves → mangrove; 255 is not in the preset
    class_areas = pd.DataFrame({"adcode": [A, A, A, A, B], "class": [10, 40, 95, 255, 10],
                                "area_ha": [30.0, 10.0, 0.0, 5.0, 2.0]})
    table = class_composition(class_areas, "worldcover")
    # A: mapped 30 + 10 + 0 = 40 ha (the unmapped 5 ha left out): forest 75 %, crop 25 %, mangrove 0 %; B: forest 100 %
    assert table.to_dict("list") == {
        "adcode": [A, A, A, B], "sinkmap_class": ["forest", "mangrove", "crop", "forest"],
        "area_ha": [30.0, 0.0, 10.0, 2.0], "share_pct": [75.0, 0.0, 25.0, 100.0]}  # the class scheme's order
