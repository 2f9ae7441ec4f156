"""The mariculture inputs: the farming-area layer (GBK Shapefile, 中文 fields) and the harvest table (中文 XLSX),
read and checked as every other input, and cross-checked against each other and the species factors."""

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from shapely.geometry import box

from sinkmap import aoi
from sinkmap.catalogue import load_catalogue, read_parameter_table
from sinkmap.config import VECTOR_LAYERS, load_config
from sinkmap.errors import SchemaError, SinkmapWarning
from sinkmap.indicators.mariculture import KEY, MaricultureFactors
from sinkmap.readers.mariculture import YIELDS, check_yields, read_yields
from sinkmap.readers.vector import read_layer
from sinkmap.survey.compute import read_county_layer

LURFENG, CITY_DISTRICT = "441581", "441502"  # 陆丰市, 城区
# three squares of 0.01° at sea: two in 碣石湾 (932 m and 1.8 km off 陆丰市), one off 城区 (956 m; 红海湾):
# distances measured from aoi.load_counties() in the equal-area CRS, all within the 20 km reach_m
SQUARES = [box(115.84, 22.74, 115.85, 22.75), box(115.79, 22.71, 115.80, 22.72), box(115.34, 22.69, 115.35, 22.70)]


@pytest.fixture(scope="module")
def factors():
    return MaricultureFactors.from_layers()


@pytest.fixture
def farms(tmp_path):
    """A GBK Shapefile of farming areas with 中文 field names, in EPSG:4490."""
    path = tmp_path / "养殖区.shp"
    gpd.GeoDataFrame({"编号": ["JS-01", "JS-02", "HH-01"], "品种": ["牡蛎", "龙须菜", "海带"],
                      "类型": ["养殖区", "海洋牧场", "farm"], "面积": [120.0, 118.5, 119.0]},
                     geometry=SQUARES, crs=4490).to_file(path, encoding="GBK")
    return path


def write_xlsx(path, rows, columns=("县", "年份", "品种", "产量(吨)")):
    pd.DataFrame(rows, columns=list(columns)).to_excel(path, index=False)
    return path


def test_the_kinds_are_declared_for_the_survey_and_the_map():
    catalogue = load_catalogue()
    layer, table = catalogue.layer("mariculture"), catalogue.layer(YIELDS)
    assert "mariculture" in VECTOR_LAYERS and layer.reach_m == 20000 and layer.id_field == "area_id"
    assert layer.map.label == "海水养殖 Mariculture" and layer.map.fill == ("type", {"farm": "#42a5f5",
                                                                                  "ranch": "#ff7043"})
    assert [f for f, _ in layer.map.tooltip] == ["area_id", KEY, "type", "harvest", "removal"]  # the last two: the
    # survey's texts for the area's harvest and removal (survey.mariculture.area_popups)
    assert layer.fields["type"].allowed == {"farm": "养殖区", "ranch": "海洋牧场"}
    assert layer.fields[KEY].allowed is None  # a bureau's own groups are not refused by the catalogue
    assert table.kind == "table" and table.consumed_by == ("survey",) and table.fields["harvest_t"].min == 0
    assert table.fields[KEY] == layer.fields[KEY]  # the same names and aliases in both


def test_gbk_shapefile_with_chinese_fields_gets_its_counties(farms):
    read = read_layer(farms, "mariculture")
    assert read.crs.to_epsg() == 4490
    assert read["area_id"].tolist() == ["JS-01", "JS-02", "HH-01"]
    assert read[KEY].tolist() == ["牡蛎", "龙须菜", "海带"]  # names as written: the factors map them
    assert read["type"].tolist() == ["farm", "ranch", "farm"] and read["area_ha"].tolist() == [120.0, 118.5, 119.0]
    located = read_county_layer(farms, "mariculture", aoi.load_counties())
    assert located["county"].tolist() == [LURFENG, LURFENG, CITY_DISTRICT]  # the coast each lies off


@pytest.mark.parametrize("epsg", [4526, 4547])  # CGCS2000 Gauss-Krüger: 3° zone 39 with its prefix, and CM 114°E
def test_a_gauss_kruger_shapefile_gets_the_same_counties(farms, tmp_path, epsg):
    path = tmp_path / f"养殖区_{epsg}.shp"
    gpd.read_file(farms, encoding="GBK").to_crs(epsg).to_file(path, encoding="GBK")
    located = read_county_layer(path, "mariculture", aoi.load_counties())
    assert located.crs.to_epsg() == 4490 and located["county"].tolist() == [LURFENG, LURFENG, CITY_DISTRICT]
    assert located.geometry.iloc[0].bounds == pytest.approx(SQUARES[0].bounds, abs=1e-9)  # back to where it was


def test_farming_area_type_must_be_one_of_the_two(farms, tmp_path):
    path = tmp_path / "bad.gpkg"
    gpd.read_file(farms, encoding="GBK").assign(类型=["养殖区", "网箱", "farm"]).to_file(path)
    with pytest.raises(SchemaError, match=r"field 'type': values not allowed: '网箱' \(1 row: JS-02\)"):
        read_layer(path, "mariculture")


def test_chinese_yield_table_is_validated_and_its_groups_mapped(tmp_path, factors):
    path = write_xlsx(tmp_path / "产量.xlsx", [["陆丰市", 2025, "牡蛎", 1200], ["城区", 2025, "海带", "300.5"],
                                             ["441581", 2024, "龙须菜", 50]])
    yields = read_yields(path, counties=[LURFENG, CITY_DISTRICT], groups=factors.groups)
    assert yields["county"].tolist() == [LURFENG, CITY_DISTRICT, LURFENG]  # names become codes
    assert yields["year"].tolist() == [2025, 2025, 2024] and yields["harvest_t"].tolist() == [1200.0, 300.5, 50.0]
    assert factors.groups(yields[KEY]).tolist() == ["oyster", "kelp", "gracilaria"]
    assert yields.index.tolist() == [2, 3, 4]  # spreadsheet rows


def test_rows_naming_an_area_take_its_county(tmp_path, farms, factors):
    areas = read_county_layer(farms, "mariculture", aoi.load_counties())
    path = write_xlsx(tmp_path / "产量.xlsx", [["", "JS-01", 2025, "蚝", 800], ["城区", "HH-01", 2025, "海带", 90],
                                             ["城区", "", 2025, "紫菜", 10]], columns=("县", "编号", "年份", "品种", "产量"))
    yields = read_yields(path, areas=areas, counties=[LURFENG, CITY_DISTRICT], groups=factors.groups)
    assert yields["county"].tolist() == [LURFENG, CITY_DISTRICT, CITY_DISTRICT]
    assert yields["area_id"].isna().tolist() == [False, False, True]


def test_area_not_in_the_layer_is_one_error_naming_the_rows(tmp_path, farms):
    areas = read_county_layer(farms, "mariculture", aoi.load_counties())
    path = write_xlsx(tmp_path / "产量.xlsx", [["JS-09", 2025, "牡蛎", 1], ["JS-01", 2025, "牡蛎", 1],
                                             ["JS-09", 2024, "牡蛎", 1]], columns=("养殖区编号", "年份", "品种", "产量"))
    with pytest.raises(SchemaError) as info:
        read_yields(path, areas=areas)
    message = str(info.value)
    assert f"{path} field 'area_id': area not in the mariculture layer: 'JS-09' (rows 2, 4)." in message
    assert "\n" not in message and "correct the area_id" in message.lower()
    with pytest.raises(SchemaError, match=r"rows 2, 3, 4 name farming areas \(area_id\) but the survey has no "
                                          r"mariculture layer"):
        read_yields(path)  # without the layer


def test_county_of_a_row_must_be_its_areas_and_inside_the_survey_area(tmp_path, farms):
    areas = read_county_layer(farms, "mariculture", aoi.load_counties())
    wrong = write_xlsx(tmp_path / "a.xlsx", [["城区", "JS-01", 2025, "牡蛎", 1]], columns=("县", "编号", "年份", "品种", "产量"))
    with pytest.raises(SchemaError, match=r"field 'county': the county is not the farming area's "
                                          r"\(row 2: JS-01 lies in 441581, not 441502\)"):
        read_yields(wrong, areas=areas)
    outside = write_xlsx(tmp_path / "b.xlsx", [["陆丰市", 2025, "牡蛎", 1], ["海丰县", 2025, "牡蛎", 1],
                                              ["441521", 2024, "牡蛎", 1]])
    with pytest.warns(SinkmapWarning, match=r"^b.xlsx: rows of counties outside the survey area \(陆丰市\) are left "
                                            r"out: '441521' \(rows 3, 4\)$"):  # a city's table in a county's survey
        kept = read_yields(outside, counties=[LURFENG], area_name="陆丰市")
    assert kept.index.tolist() == [2] and kept["county"].tolist() == [LURFENG]
    neither = write_xlsx(tmp_path / "c.xlsx", [["", 2025, "牡蛎", 1], ["陆丰市", 2025, "牡蛎", 1]])
    with pytest.raises(SchemaError, match=r"row 2 name neither a county nor a farming area"):
        read_yields(neither)


def test_unknown_species_are_listed_once_in_one_message(tmp_path, factors):
    path = write_xlsx(tmp_path / "产量.xlsx", [["陆丰市", 2025, "鲍鱼", 5], ["陆丰市", 2025, "牡蛎", 5],
                                             ["城区", 2025, "鲍鱼", 5], ["城区", 2025, "abalone", 1]])
    with pytest.raises(SchemaError) as info:
        read_yields(path, groups=factors.groups)
    message = str(info.value)
    assert f"{path} field 'mariculture_group': no mariculture factors for '鲍鱼' (rows 2, 4), 'abalone' (row 5)." \
        in message
    assert message.count("鲍鱼") == 1 and "\n" not in message


def test_a_bureau_group_of_its_own_factor_table_is_taken():
    own, _ = read_parameter_table("mariculture")
    abalone = own[own[KEY] == "other_bivalves"].assign(**{KEY: "abalone"})
    factors = MaricultureFactors.from_table(pd.concat([own, abalone], ignore_index=True))
    yields = check_yields(pd.DataFrame({"county": [LURFENG], "year": [2025], KEY: ["abalone"], "harvest_t": [3.0]}),
                          groups=factors.groups)
    assert factors.groups(yields[KEY]).tolist() == ["abalone"]


def test_negative_or_missing_harvest_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "产量.xlsx", [["陆丰市", 2025, "牡蛎", -3], ["城区", 2025, "海带", 4]])
    with pytest.raises(SchemaError, match=r"产量.xlsx field 'harvest_t': values below 0 t: 2=-3.0"):
        read_yields(path)
    path = write_xlsx(tmp_path / "产量.xlsx", [["陆丰市", 2025, "牡蛎", ""]])
    with pytest.raises(SchemaError, match=r"field 'harvest_t': empty values in required field"):
        read_yields(path)


def test_config_takes_both_keys(tmp_path, farms):
    (tmp_path / "lc.tif").write_bytes(b"")
    (tmp_path / "stands.gpkg").write_bytes(b"")
    write_xlsx(tmp_path / "产量.xlsx", [["陆丰市", 2025, "牡蛎", 1]])
    config = tmp_path / "survey.yaml"
    config.write_text(yaml.safe_dump({"survey_year": 2025, "landcover": {"path": "lc.tif", "preset": "worldcover"},
                                      "stands": {"path": "stands.gpkg"}, "mariculture": {"path": str(farms),
                                                                                         "encoding": "gbk"},
                                      "mariculture_yields": {"path": "产量.xlsx"}}, allow_unicode=True),
                      encoding="utf-8")
    inputs = load_config(config).inputs
    assert inputs["mariculture"].encoding == "gbk" and inputs["mariculture_yields"].path == tmp_path / "产量.xlsx"


@pytest.mark.slow
def test_validate_reports_both_inputs(demo_survey, tmp_path, farms):
    from sinkmap.cli import cli
    from tests.test_cli import demo_config

    yields = write_xlsx(tmp_path / "产量.xlsx", [["", "JS-01", 2025, "牡蛎", 800], ["城区", "", 2025, "海带", 90]],
                        columns=("县", "编号", "年份", "品种", "产量(吨)"))
    config = demo_config(demo_survey, tmp_path, mariculture={"path": str(farms)},
                         mariculture_yields={"path": str(yields)})
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    assert "mariculture: 3 features OK" in result.output and "mariculture_yields: 2 rows OK" in result.output
    assert "stands: " in result.output and "scenario: 6 rows OK" in result.output  # the rest as before
    bad = write_xlsx(tmp_path / "坏.xlsx", [["", "JS-07", 2025, "牡蛎", 1]], columns=("县", "编号", "年份", "品种", "产量"))
    config = demo_config(demo_survey, tmp_path, mariculture={"path": str(farms)}, mariculture_yields={"path": str(bad)})
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2 and "area not in the mariculture layer: 'JS-07' (row 2)" in result.output
