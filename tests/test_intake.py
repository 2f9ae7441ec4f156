"""Bureau data as delivered: GBK Shapefiles without .cpg, 一张图 field names, codes and species names,
the bureau's own mapping table, several layers read as one."""

import subprocess
import sys
import warnings

import geopandas as gpd
import pyogrio
import pytest
import yaml
from shapely.geometry import box

from sinkmap.catalogue import load_catalogue
from sinkmap.config import load_config
from sinkmap.errors import InputError, SchemaError, SinkmapWarning
from sinkmap.indicators.bluecarbon import coastal_patches, plan_work
from sinkmap.indicators.mariculture import MaricultureFactors
from sinkmap.mappings import shipped_mappings
from sinkmap.readers import ALL_LAYERS
from sinkmap.readers.vector import SOURCE_LAYER, read_layer
from sinkmap.units import ha_to_mu
from sinkmap.validation import validate_frame


def squares(n: int) -> list:
    """``n`` 0.005° squares side by side near 海丰 (CGCS2000)."""
    return [box(115.30 + 0.01 * i, 22.90, 115.305 + 0.01 * i, 22.905) for i in range(n)]


# A 一张图 小班 table as a county bureau keeps it: Chinese field names, 地类 as 林业 (0111, 0112) and
# 三调 (030100) codes or names, 优势树种 as species names, 起源 and 龄组 as codes or labels.
XIAOBAN = {
    "小班号": ["X1", "X2", "X3", "X4"],
    "地类": ["0111", "030100", "0112", "竹林"],
    "优势树种": ["马尾松", "尾叶桉", "秋茄", "毛竹"],
    "起源": ["1", "2", "天然", "人工"],
    "龄组": [1.0, 3.0, 5.0, None],  # a dBase number field: read back as 1.0, 3.0 …
    "郁闭度": [0.55, 0.6, 0.7, 0.8],
    "每公顷蓄积": [60.5, 80.0, 110.0, 0.0],
}
# what the layer catalogue reads them as (layers/mappings/*.csv)
EXPECTED = {
    "stand_id": ["X1", "X2", "X3", "X4"],
    "land_class": ["arbor", "arbor", "mangrove", "bamboo"],  # 0111 乔木林, 030100 乔木林地, 0112 红树林, 竹林
    "species_group": ["masson_pine", "eucalyptus", "mangrove", "bamboo"],  # 尾叶桉 Eucalyptus, 秋茄 Kandelia, 毛竹
    "origin": ["natural", "planted", "natural", "planted"],  # 1 天然, 2 人工
    "age_group": ["young", "near_mature", "over_mature", None],  # 1 幼龄林, 3 近熟林, 5 过熟林
    "canopy_closure": [0.55, 0.6, 0.7, 0.8],
    "volume_per_ha": [60.5, 80.0, 110.0, 0.0],
}


def gbk_shapefile(tmp_path, cpg: str | None = None, **columns):
    """XIAOBAN (with ``columns`` replaced) as a GBK Shapefile, its .cpg deleted or holding ``cpg``."""
    path = tmp_path / "小班.shp"
    gpd.GeoDataFrame({**XIAOBAN, **columns}, geometry=squares(4), crs=4490).to_file(path, encoding="GBK")
    cpg_file = path.with_suffix(".cpg")
    assert cpg_file.read_text() == "GBK"  # GDAL wrote it; a bureau file comes without
    if cpg is None:
        cpg_file.unlink()
    else:
        cpg_file.write_text(cpg)
    return path


def as_lists(frame) -> dict:
    """The EXPECTED columns of ``frame`` as lists, NA as None."""
    return {c: frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in EXPECTED}


def test_gbk_shapefile_without_cpg_is_read_as_gb18030_with_a_warning(tmp_path):
    path = gbk_shapefile(tmp_path)
    with pytest.warns(SinkmapWarning, match=r"小班\.shp: the attribute table is not UTF-8 and no \.cpg file gives its "
                                            r"encoding; read it as GB18030 \(GBK\)\. Declare it \(`encoding: gbk`"):
        stands = read_layer(path, "stands")
    assert as_lists(stands) == EXPECTED


def test_declared_encoding_reads_the_same_without_a_warning(tmp_path):
    path = gbk_shapefile(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SinkmapWarning)
        stands = read_layer(path, "stands", encoding="gbk")
    assert as_lists(stands) == EXPECTED
    # a .cpg naming code page 936 (what ArcGIS writes for GBK) is a declaration too
    path.with_suffix(".cpg").write_text("936")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SinkmapWarning)
        assert as_lists(read_layer(path, "stands")) == EXPECTED


def test_a_cpg_that_contradicts_the_text_is_one_error(tmp_path):
    path = gbk_shapefile(tmp_path, cpg="UTF-8")
    with pytest.raises(InputError) as info:
        read_layer(path, "stands")
    assert str(info.value) == (
        f"{path}: its 小班.cpg declares the encoding 'UTF-8', but the attribute table's text is not UTF-8 (it reads "
        "as GBK). Set `encoding: gbk` for this layer in the survey configuration (it overrides a .cpg file), or "
        "correct the .cpg file.")
    assert as_lists(read_layer(path, "stands", encoding="gbk")) == EXPECTED  # the declaration overrides the .cpg


def test_the_command_line_says_so_in_one_line(tmp_path, lc4x4):
    gbk_shapefile(tmp_path, cpg="UTF-8")
    config = tmp_path / "survey.yaml"
    config.write_text(yaml.safe_dump({"survey_year": 2025, "landcover": {"path": str(lc4x4), "preset": "worldcover"},
                                      "stands": {"path": "小班.shp"}}, allow_unicode=True), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "sinkmap", "validate", str(config)], capture_output=True,
                            text=True, timeout=300)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("sinkmap: error: ") and "declares the encoding 'UTF-8'" in lines[0]
    assert "Set `encoding: gbk`" in lines[0]


def test_a_utf8_shapefile_without_cpg_needs_no_warning(tmp_path):
    path = tmp_path / "xb.shp"
    with warnings.catch_warnings():  # GDAL cuts 优势树种 and 每公顷蓄积 (12 and 15 bytes) to 10 bytes, mid-character
        warnings.simplefilter("ignore", RuntimeWarning)
        gpd.GeoDataFrame(XIAOBAN, geometry=squares(4), crs=4490).to_file(path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink()
    assert pyogrio.read_info(path, encoding="ISO-8859-1")["fields"][2].encode("ISO-8859-1") == "优势树种".encode()[:10]
    with warnings.catch_warnings():
        warnings.simplefilter("error", SinkmapWarning)
        assert as_lists(read_layer(path, "stands")) == EXPECTED


def test_chinese_field_names_of_the_catalogue_are_accepted():
    spec = load_catalogue().layer("mangroves")
    for column in ("营造或修复年份", "年份", "营造或修复", "营造或"):  # zh, alias, cut to 10 bytes in GBK and in UTF-8
        frame = gpd.GeoDataFrame({"斑块号": ["M1"], "状态": ["新造"], column: [2023]}, geometry=squares(1), crs=4490)
        assert validate_frame(frame, spec)["year"].tolist() == [2023], column
    redlines = gpd.GeoDataFrame({"红线编号": ["R1"], "生态功能类型": ["水源涵养"], "陆海类型": ["陆域"]},
                                geometry=squares(1), crs=4490)
    out = validate_frame(redlines, load_catalogue().layer("redlines"))
    assert out["realm"].tolist() == ["land"] and out["function_type"].tolist() == ["water_conservation"]


def test_a_mangrove_year_named_nianfen_counts_toward_the_planting_target(tmp_path):
    # 200 m × 100 m = 20,000 m² = 2 ha = 30 亩, drawn in Gauss-Krüger (CM 114°E) about 100 km east of the
    # central meridian, where the plane area exceeds the ellipsoidal one by < 0.05 %
    patch = box(600_000, 2_535_000, 600_200, 2_535_100)
    path = tmp_path / "红树林.gpkg"
    gpd.GeoDataFrame({"斑块号": ["M1"], "状态": ["新造"], "年份": [2023]}, geometry=[patch], crs=4547).to_file(path)
    mangroves = read_layer(path, "mangroves").assign(county="441521")
    assert mangroves["year"].tolist() == [2023]
    planted = plan_work(coastal_patches(mangroves, None), "planted", 2025)  # planted 2021–2025
    assert ha_to_mu(planted["area_ha"].sum()) == pytest.approx(30.0, rel=1e-3)


def test_values_not_allowed_are_listed_with_their_counts(tmp_path):
    n = 15
    species = ["teak"] * 12 + ["柚木"] * 3  # 12 stands of one unknown name, 3 of another
    frame = gpd.GeoDataFrame({"stand_id": [f"S{i}" for i in range(1, n + 1)], "land_class": ["0111"] * n,
                              "species_group": species, "origin": ["2"] * n, "canopy_closure": [0.5] * n,
                              "volume_per_ha": [50.0] * n}, geometry=squares(n), crs=4490)
    frame.to_file(tmp_path / "xb.gpkg")
    with pytest.raises(SchemaError) as info:
        read_layer(tmp_path / "xb.gpkg", "stands")
    assert str(info.value).startswith(
        f"{tmp_path / 'xb.gpkg'} field 'species_group': values not allowed: 'teak' (12 stands: S1, S2, S3 …), "
        "'柚木' (3 stands: S13, S14, S15). Use one of: masson_pine (马尾松)")
    assert "`mappings:` for the layer" in str(info.value)


def user_mapping(tmp_path, text: str):
    path = tmp_path / "本县代码.csv"
    path.write_text(text, encoding="utf-8-sig")  # as Excel saves a UTF-8 CSV
    return path


def test_a_user_mapping_table_extends_and_overrides_the_shipped_ones(tmp_path):
    path = gbk_shapefile(tmp_path, 优势树种=["柚木", "尾叶桉", "木荷", "毛竹"], 地类=["0111", "112", "0112", "竹林"])
    mapping = user_mapping(tmp_path, "field,value,code\n"
                                     "species_group,柚木,hard_broadleaf\n"
                                     "species_group,木荷,硬阔类\n"  # a Chinese label serves as the code
                                     "land_class,112,arbor\n")  # this county's 112 is 乔木林混交林
    with pytest.warns(SinkmapWarning, match="GB18030"):
        stands = read_layer(path, "stands", mappings=mapping)
    # 柚木 and 木荷 from the user's table; 尾叶桉 and 毛竹 still from the shipped one; 112 = 0112 → arbor
    assert stands["species_group"].tolist() == ["hard_broadleaf", "eucalyptus", "hard_broadleaf", "bamboo"]
    assert stands["land_class"].tolist() == ["arbor", "arbor", "arbor", "bamboo"]
    assert shipped_mappings()["land_class"]["112"] == "mangrove"  # the shipped table is left as it was


def test_a_bad_user_mapping_row_is_named(tmp_path):
    path = gbk_shapefile(tmp_path)
    mapping = user_mapping(tmp_path, "field,value,code\nspecies_group,柚木,teak\n")
    with pytest.raises(SchemaError, match=r"本县代码\.csv field 'code': row 2: 'teak' is not a species_group code"):
        read_layer(path, "stands", mappings=mapping, encoding="gbk")
    mapping = user_mapping(tmp_path, "field,value,code\nspecies_group,柚木,hard_broadleaf\n"
                                     "species_group,柚木,soft_broadleaf\n")
    with pytest.raises(SchemaError, match=r"rows 2 and 3 map species_group value '柚木' to both 'hard_broadleaf' "
                                          r"and 'soft_broadleaf'"):
        read_layer(path, "stands", mappings=mapping, encoding="gbk")


def test_real_yizhangtu_species_names_read_through_the_shipped_tables(tmp_path):
    """Species as Guangdong 小班 tables write them (issue: 木荷, 荔枝, 黎蒴 were refused); 枫香 is not
    shipped: the two code tables opened put it in 硬阔 (national list, 480) and in 软阔类 (二类 table, 340)."""
    path = gbk_shapefile(tmp_path, cpg="GBK", 优势树种=["木荷", "荔枝", "黎蒴", "巨尾桉"], 地类=["0301"] * 3 + ["0303"])
    stands = read_layer(path, "stands")
    assert stands["species_group"].tolist() == ["hard_broadleaf", "other", "hard_broadleaf", "eucalyptus"]
    assert stands["land_class"].tolist() == ["arbor", "arbor", "arbor", "mangrove"]
    path = gbk_shapefile(tmp_path, cpg="GBK", 优势树种=["无瓣海桑", "枫香", "枫香", "米老排"])
    with pytest.raises(SchemaError, match=r"field 'species_group': values not allowed: '枫香' \(2 stands: "):
        read_layer(path, "stands")


def test_shipped_mapping_tables_map_to_catalogue_codes_with_a_source():
    allowed = {f.name: set(f.allowed) for f in load_catalogue().layer("stands").fields.values() if f.allowed}
    allowed["mariculture_group"] = set(MaricultureFactors.from_layers().values.index)  # the factor table's groups
    for field, table in shipped_mappings().items():
        assert set(table.values()) <= allowed[field], field
    assert shipped_mappings()["origin"] == {"1": "natural", "2": "planted", "天然林": "natural", "人工林": "planted"}
    assert shipped_mappings()["land_class"]["111"] == "arbor"  # 0111 and 111 are one code


def test_several_layers_read_as_one(tmp_path):
    path = tmp_path / "一张图.gpkg"
    stands = gpd.GeoDataFrame({**EXPECTED, "stand_id": ["A1", "A2", "B1", "B2"]}, geometry=squares(4), crs=4490)
    pyogrio.write_dataframe(stands.iloc[:2], path, layer="xb_441521")
    pyogrio.write_dataframe(stands.iloc[2:].to_crs(4547), path, layer="xb_441581")  # another CRS: converted
    pyogrio.write_dataframe(stands.drop(columns="geometry").iloc[:1], path, layer="notes")  # a plain table
    for layer in (("xb_441521", "xb_441581"), ALL_LAYERS):
        read = read_layer(path, "stands", layer=layer)
        assert read["stand_id"].tolist() == ["A1", "A2", "B1", "B2"] and read.crs.to_epsg() == 4490
        assert read[SOURCE_LAYER].tolist() == ["xb_441521"] * 2 + ["xb_441581"] * 2
        assert read["age_group"].dtype == "string" and read["volume_per_ha"].tolist() == EXPECTED["volume_per_ha"]
    pyogrio.write_dataframe(stands.iloc[:1], path, layer="xb_441523")  # A1 again
    with pytest.raises(SchemaError, match=r"field 'stand_id': stand_id values repeat across the layers read as one: "
                                          r"'A1' in xb_441521, xb_441523"):
        read_layer(path, "stands", layer=ALL_LAYERS)


def test_survey_configuration_keys_of_a_vector_layer(tmp_path, lc4x4):
    gbk_shapefile(tmp_path)
    user_mapping(tmp_path, "field,value,code\n")
    config = tmp_path / "survey.yaml"

    def load(**stands):
        config.write_text(yaml.safe_dump({"survey_year": 2025, "landcover": {"path": str(lc4x4), "preset": "worldcover"},
                                          "stands": {"path": "小班.shp", **stands}}, allow_unicode=True),
                          encoding="utf-8")
        return load_config(config).inputs["stands"]

    item = load(encoding="gbk", mappings="本县代码.csv", layer=["a", "b"])
    assert (item.encoding, item.mappings, item.layer) == ("gbk", tmp_path / "本县代码.csv", ("a", "b"))
    assert load(layers="all").layer == ALL_LAYERS and load(layer="all").layer == "all"  # a layer named 'all'
    with pytest.raises(InputError, match=r"'stands' encoding 'gbx' is not a known text encoding"):
        load(encoding="gbx")
    with pytest.raises(InputError, match=r"the stands mappings file .*codes\.csv does not exist"):
        load(mappings="codes.csv")
    with pytest.raises(InputError, match=r"'stands' has both layer and layers"):
        load(layer="a", layers="all")


def test_origin_written_out_as_natural_or_planted_forest():
    from sinkmap.catalogue import load_catalogue
    from sinkmap.validation import validate_frame
    from tests.test_readers import stands

    frame = stands(2, origin=["天然林", "人工林"]).rename(columns={"origin": "起源"})
    checked = validate_frame(frame, load_catalogue().layer("stands"), path="小班.shp")
    assert checked["origin"].tolist() == ["natural", "planted"]
