"""The layer catalogue: specs, presets, tables and validation messages."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from sinkmap.catalogue import (
    load_catalogue,
    load_indicator_specs,
    load_parameters,
    load_preset,
    load_targets,
    preset_names,
    sinkmap_classes,
)
from sinkmap.docs import catalogue_markdown
from sinkmap.errors import InputError, SchemaError, SinkmapWarning
from sinkmap.resources import layers_dir
from sinkmap.units import mu_to_ha
from sinkmap.validation import validate_frame


def stands_frame(**overrides) -> gpd.GeoDataFrame:
    data = {
        "stand_id": ["S1", "S2"],
        "land_class": ["arbor", "bamboo"],
        "species_group": ["eucalyptus", "bamboo"],
        "origin": ["planted", "natural"],
        "canopy_closure": [0.5, 0.7],
        "volume_per_ha": [40.0, 0.0],
    }
    data.update(overrides)
    return gpd.GeoDataFrame(data, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4490)


def test_every_layer_kind_of_the_survey_is_declared():
    layers = load_catalogue().layers
    assert set(layers) == {"landcover", "stands", "mangroves", "shelterbelts", "redlines", "coastal_habitats",
                           "mariculture", "carbon_pools", "scenario", "mariculture_yields"}
    assert {name for name, spec in layers.items() if spec.kind == "table"} == {"carbon_pools", "scenario",
                                                                               "mariculture_yields"}
    stands = load_catalogue().layer("stands")
    assert stands.fields["canopy_closure"].unit == "1" and stands.fields["volume_per_ha"].max == 1000
    assert stands.fields["land_class"].allowed["arbor"] == "乔木林地"


def test_allowed_from_reuses_another_layers_codes():
    cat = load_catalogue()
    assert cat.layer("shelterbelts").fields["species_group"].allowed == cat.layer("stands").fields["species_group"].allowed


def test_unknown_layer_kind_lists_the_known_ones():
    with pytest.raises(InputError, match="Use one of: landcover, stands"):
        load_catalogue().layer("forests")


@pytest.mark.parametrize("name", ["worldcover", "clcd", "sandiao", "igbp", "sinkmap"])
def test_presets_map_to_sinkmap_classes_with_a_source(name):
    table = load_preset(name)
    assert table["code"].is_unique
    assert set(table["sinkmap_class"]) <= set(sinkmap_classes()["class"])
    assert table["source"].str.strip().ne("").all()


def test_worldcover_forest_and_mangrove_codes():
    table = load_preset("worldcover").set_index("code")["sinkmap_class"]
    assert table[10] == "forest" and table[95] == "mangrove" and table[20] == "shrub"


def test_unknown_preset_names_the_choices():
    with pytest.raises(InputError, match="unknown land-cover class preset .esa.*worldcover"):
        load_preset("esa")
    assert "clcd" in preset_names()


def test_targets_are_the_plan_figures():
    targets = load_targets().set_index(["indicator", "year"])["value"]
    assert targets[("forest_cover", 2025)] == 50 and targets[("forest_cover", 2030)] == 53
    assert targets[("stock_volume", 2025)] == 792 and targets[("stock_volume", 2030)] == 840
    # 7,050 亩 of new mangroves = 470 ha, computed, not typed in
    assert mu_to_ha(targets[("mangrove_planted", 2025)]) == pytest.approx(470.0)
    assert load_targets()["source"].str.contains("碳达峰实施方案").all()


def test_parameter_tables_carry_sources_and_units():
    table = load_parameters("forest_definition")
    assert float(table.loc["min_canopy_closure", "value"]) == 0.20
    assert table.loc["min_patch_area", "unit"] == "亩"
    assert table["source"].str.strip().ne("").all()
    # every threshold of the forest definition is the standard's; the area check is sinkmap's own and says so
    assert table.drop(index="area_tolerance")["source"].str.contains("GB/T 26424").all()
    assert table.loc["area_tolerance", "source"].startswith("sinkmap check (not a standard)")


def test_every_indicator_has_names_and_a_unit():
    specs = load_indicator_specs()
    assert specs.loc["stock_volume", "unit"] == "万m³" and specs.loc["forest_cover_stands", "target"] == "forest_cover"
    assert (specs["name_zh"].str.len() > 0).all() and (specs["unit"].str.len() > 0).all()


def test_validation_accepts_aliases_and_chinese_labels():
    frame = stands_frame().rename(columns={"land_class": "地类", "stand_id": "XBH"})
    frame["地类"] = ["乔木林地", "竹林地"]
    out = validate_frame(frame, load_catalogue().layer("stands"))
    assert list(out["land_class"]) == ["arbor", "bamboo"]
    assert list(out["stand_id"]) == ["S1", "S2"]


def test_validation_accepts_shapefile_truncated_names():
    frame = stands_frame().rename(columns={"species_group": "species_gr", "canopy_closure": "canopy_clo"})
    out = validate_frame(frame, load_catalogue().layer("stands"))
    assert "species_group" in out and out["canopy_closure"].tolist() == [0.5, 0.7]


def test_missing_required_field_names_file_layer_field_and_fix():
    with pytest.raises(SchemaError) as info:
        validate_frame(stands_frame().drop(columns="volume_per_ha"), load_catalogue().layer("stands"),
                       path="stands.gpkg", layer="xb")
    message = str(info.value)
    assert message.startswith("stands.gpkg:xb field 'volume_per_ha': required field is missing")
    assert "Add a column named 'volume_per_ha' or 'MEI_GQ_XJ'" in message


def test_value_not_allowed_lists_offending_ids_and_choices():
    with pytest.raises(SchemaError, match=r"values not allowed: 'pine' \(1 stand: S2\)\. Use one of: masson_pine \(马尾松\)"):
        validate_frame(stands_frame(species_group=["eucalyptus", "pine"]), load_catalogue().layer("stands"))


def test_out_of_range_and_non_numeric_values_are_named():
    spec = load_catalogue().layer("stands")
    with pytest.raises(SchemaError, match=r"outside 0–1000 m³/ha: S1=1200.0"):
        validate_frame(stands_frame(volume_per_ha=[1200.0, 10.0]), spec)
    with pytest.raises(SchemaError, match=r"outside 0–1: S2=1.3"):
        validate_frame(stands_frame(canopy_closure=[0.2, 1.3]), spec)
    with pytest.raises(SchemaError, match=r"not float numbers: S1='high'"):
        validate_frame(stands_frame(canopy_closure=["high", "0.4"]), spec)


def test_above_the_plausible_maximum_is_a_warning_and_the_value_is_kept():
    spec = load_catalogue().layer("carbon_pools")
    assert spec.fields["c_above"].plausible_max == 2000 and spec.fields["c_above"].max is None
    assert spec.fields["c_soil"].plausible_max == 10000 and spec.fields["c_soil"].min == 0
    frame = pd.DataFrame({"lucode": ["1", "2"], "c_above": ["10", "20"], "c_below": ["1", "2"],
                          "c_soil": ["50", "60"], "c_dead": ["0", "7000"]})
    with pytest.warns(SinkmapWarning, match=r"^field 'c_dead': values above the plausible 2,000 Mg C/ha "
                                            r"\(lucode=value\): 2=7000\.0\. Check the unit: the field wants Mg C/ha "
                                            r"\(numbers in t CO₂e/ha 3\.67×, g C/m² 100× and kg C/ha 1,000× larger\)\.$"):
        out = validate_frame(frame, spec)
    assert out["c_dead"].tolist() == [0.0, 7000.0]


def test_duplicate_ids_and_empty_required_values():
    spec = load_catalogue().layer("stands")
    with pytest.raises(SchemaError, match=r"must be unique: .*'S1'"):
        validate_frame(stands_frame(stand_id=["S1", "S1"]), spec)
    with pytest.raises(SchemaError, match="empty values in required field"):
        validate_frame(stands_frame(origin=["planted", None]), spec)


def test_validation_does_not_modify_the_input_frame():
    frame = stands_frame().rename(columns={"land_class": "地类"})
    before = frame.copy()
    validate_frame(frame, load_catalogue().layer("stands"))
    pd.testing.assert_frame_equal(frame, before)


def test_layers_readme_is_generated_from_the_catalogue():
    committed = (layers_dir() / "README.md").read_text(encoding="utf-8")
    assert committed == catalogue_markdown(), "run: sinkmap catalogue > layers/README.md"


def test_coastal_habitat_codes_accept_chinese_labels_and_refuse_others(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from sinkmap.errors import SchemaError
    from sinkmap.readers.vector import read_layer

    path = tmp_path / "habitats.gpkg"
    frame = gpd.GeoDataFrame({"patch_id": ["B1", "B2"], "生境类型": ["海草床", "saltmarsh"], "status": ["现有", "restored"]},
                             geometry=[box(115.3, 22.7, 115.31, 22.71), box(115.32, 22.7, 115.33, 22.71)], crs=4490)
    frame.to_file(path)
    read = read_layer(path, "coastal_habitats")
    assert read["habitat"].tolist() == ["seagrass", "saltmarsh"] and read["status"].tolist() == ["existing", "restored"]
    frame.assign(生境类型=["海草床", "kelp"]).to_file(path)
    with pytest.raises(SchemaError, match="habitat"):
        read_layer(path, "coastal_habitats")
