"""Forest indicators on a layer small enough to compute on paper."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from sinkmap.crs import AREA_CRS
from sinkmap.errors import SinkmapWarning
from sinkmap.indicators.area import land_area_ha
from sinkmap.indicators.forest import (
    ForestDefinition,
    cover_pct,
    forest_classes,
    forest_from_landcover,
    forest_from_stands,
    is_forest_belt,
    is_forest_stand,
    reconcile,
    stand_forest,
)
from sinkmap.indicators.stands import area_mismatches, overlapping_pairs, stand_areas_ha
from sinkmap.indicators.targets import attach_targets
from sinkmap.survey.forest import warn_about_stands
from sinkmap.units import mu_to_ha


@pytest.fixture(scope="module")
def definition() -> ForestDefinition:
    return ForestDefinition.from_layers()


def stand_layer(rows) -> gpd.GeoDataFrame:
    """rows: (id, county, land_class, closure, volume_per_ha, width_m, height_m), laid out along x."""
    geoms, x = [], 0.0
    for *_, width, height in rows:
        geoms.append(box(x, 0, x + width, height))
        x += width + 10
    frame = pd.DataFrame([r[:5] for r in rows],
                         columns=["stand_id", "county", "land_class", "canopy_closure", "volume_per_ha"])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=AREA_CRS)


THREE_STANDS = [
    ("S1", "441502", "arbor", 0.20, 50.0, 100, 100),  # 1 ha arbor, closure exactly 0.20 → forest
    ("S2", "441502", "sparse", 0.19, 30.0, 200, 100),  # 2 ha 疏林地 → not forest, no stock
    ("S3", "441521", "bamboo", 0.60, 0.0, 300, 100),  # 3 ha bamboo → forest
]


def test_definition_reads_the_parameter_table(definition):
    assert definition.min_canopy_closure == 0.20
    assert definition.min_patch_ha == pytest.approx(1 / 15)  # 1 亩 = 1/15 ha = 0.0667 ha
    assert set(definition.forest_land_classes) == {"arbor", "bamboo", "mangrove", "shrub_special"}


def test_three_stands_area_and_stock_by_hand(definition):
    result = forest_from_stands(stand_forest(stand_layer(THREE_STANDS), definition))
    # 城区: S1 forest 1 ha, stock 1 ha × 50 m³/ha = 50 m³; S2 is sparse forest → 0
    assert result.loc["441502", "forest_area_ha"] == pytest.approx(1.0)
    assert result.loc["441502", "stock_volume_m3"] == pytest.approx(1.0 * 50.0)
    # 海丰: S3 bamboo 3 ha counts as forest; bamboo carries no stem volume
    assert result.loc["441521", "forest_area_ha"] == pytest.approx(3.0)
    assert result.loc["441521", "stock_volume_m3"] == 0.0
    assert result["stands"].tolist() == [2, 1]


def test_cover_is_forest_over_land(definition):
    result = forest_from_stands(stand_forest(stand_layer(THREE_STANDS), definition))
    land = pd.Series({"441502": 10.0, "441521": 12.0})
    cover = cover_pct(result["forest_area_ha"], land)
    # 1 ha / 10 ha × 100 = 10 %; 3 ha / 12 ha × 100 = 25 %
    assert cover.to_dict() == {"441502": pytest.approx(10.0), "441521": pytest.approx(25.0)}


def test_closure_threshold_edges(definition):
    rows = [("A", "441502", "arbor", c, 40.0, 100, 100) for c in (0.19, 0.20, 0.21)]
    stands = stand_layer(rows)
    assert is_forest_stand(stands, stand_areas_ha(stands), definition).tolist() == [False, True, True]


def test_one_mu_minimum_patch_edges(definition):
    # 1 亩 = 666.67 m²: 20 m × 33.4 m = 668 m² counts, 20 m × 33.3 m = 666 m² does not
    rows = [("big", "441502", "arbor", 0.5, 40.0, 20, 33.4), ("small", "441502", "arbor", 0.5, 40.0, 20, 33.3)]
    stands = stand_layer(rows)
    areas = stand_areas_ha(stands)
    assert areas.tolist() == pytest.approx([668 / 1e4, 666 / 1e4])
    assert mu_to_ha(1) == pytest.approx(666.67 / 1e4, rel=1e-5)
    assert is_forest_stand(stands, areas, definition).tolist() == [True, False]


def test_small_stand_counts_when_it_touches_a_forest_patch(definition):
    big = gpd.GeoDataFrame({"stand_id": ["big", "small", "alone"], "county": "441502", "land_class": "arbor",
                            "canopy_closure": 0.5, "volume_per_ha": [50.0, 40.0, 40.0]},
                           geometry=[box(0, 0, 100, 100), box(100, 0, 120, 30), box(500, 0, 520, 30)], crs=AREA_CRS)
    result = stand_forest(big, definition)
    # "small" (20 m × 30 m = 600 m² < 1 亩 = 666.67 m²) shares an edge with the 1 ha stand: one 1.06 ha
    # patch; "alone" has the same size but touches nothing: a 600 m² patch, under 1 亩, not forest
    assert result.stands["forest"].tolist() == [True, True, False]
    assert forest_from_stands(result).loc["441502", "forest_area_ha"] == pytest.approx(1.06)
    # stock: 1 ha × 50 m³/ha + 0.06 ha × 40 m³/ha = 52.4 m³
    assert forest_from_stands(result).loc["441502", "stock_volume_m3"] == pytest.approx(52.4)
    assert result.patches.loc[0, "patches"] == 1 and result.patches.loc[0, "dropped"] == 1


def test_overlapping_stands_are_counted_once(definition):
    stands = gpd.GeoDataFrame({"stand_id": ["B", "A"], "county": "441502", "land_class": "arbor",
                               "canopy_closure": 0.5, "volume_per_ha": [60.0, 100.0]},
                              geometry=[box(50, 0, 150, 100), box(0, 0, 100, 100)], crs=AREA_CRS)
    pairs = overlapping_pairs(stands)
    # B (later in id order) overlaps A on x 50–100: 50 m × 100 m = 0.5 ha
    assert pairs.to_dict("records") == [{"stand_id": "B", "overlaps": "A", "overlap_ha": pytest.approx(0.5)}]
    result = stand_forest(stands, definition)
    assert result.stands.set_index("stand_id")["area_ha"].to_dict() == {"B": pytest.approx(0.5), "A": pytest.approx(1)}
    table = forest_from_stands(result)
    # forest: the union, 150 m × 100 m = 1.5 ha; stock: A 1 ha × 100 + B's own 0.5 ha × 60 = 130 m³
    assert table.loc["441502", "forest_area_ha"] == pytest.approx(1.5)
    assert table.loc["441502", "stock_volume_m3"] == pytest.approx(1.0 * 100 + 0.5 * 60)
    with pytest.warns(SinkmapWarning, match=r"1 pairs of stands overlap by 0.50 ha in all \(B/A 0.50 ha\)"):
        warn_about_stands(stands, result, definition, "stands.gpkg")


def test_overlaps_of_many_stands_are_found_a_part_at_a_time_with_the_same_rows(monkeypatch, definition):
    """A row of 40 squares of 100 m, each 30 m over the next (3,000 m² each, 39 pairs), with 10 squares of a
    second row 100 m north touching it along an edge (no overlap): queried 7 stands at a time, the pairs and
    the stands' effective areas are those of one query, bit for bit."""
    from sinkmap.indicators import stands as stands_module

    geoms = [box(70 * i, 0, 70 * i + 100, 100) for i in range(40)] + [box(200 * i, 100, 200 * i + 100, 200)
                                                                         for i in range(10)]
    layer = gpd.GeoDataFrame({"stand_id": [f"s{i:02d}" for i in range(50)], "county": "441502",
                              "land_class": "arbor", "canopy_closure": 0.5, "volume_per_ha": 80.0},
                             geometry=geoms, crs=AREA_CRS)
    whole, forest = overlapping_pairs(layer), stand_forest(layer, definition).stands
    monkeypatch.setattr(stands_module, "QUERY_PART", 7)
    pd.testing.assert_frame_equal(overlapping_pairs(layer), whole, check_exact=True)
    pd.testing.assert_frame_equal(stand_forest(layer, definition).stands, forest, check_exact=True)
    # 39 pairs, each 30 m × 100 m = 0.3 ha; every stand but the first keeps 70 m × 100 m = 0.7 ha of its own
    assert len(whole) == 39 and whole["overlap_ha"].to_numpy() == pytest.approx([0.3] * 39)
    assert forest.set_index("stand_id")["area_ha"].iloc[:40].tolist() == pytest.approx([1.0] + [0.7] * 39)


def test_neighbours_sharing_an_edge_do_not_overlap(definition):
    stands = stand_layer([("a", "441502", "arbor", 0.5, 10.0, 100, 100)])
    neighbour = stands.copy().assign(stand_id="b", geometry=[box(100, 0, 200, 100)])
    assert overlapping_pairs(pd.concat([stands, neighbour], ignore_index=True)).empty


def test_belt_rule_edges(definition):
    # 林带 counts as forest with ≥ 2 rows and ≥ 10 m crown width (layers/parameters/forest_definition.csv)
    belts = pd.DataFrame({"rows": [2, 1, 2, 3, None], "width_m": [10.0, 10.0, 9.9, 70.0, 70.0]})
    assert is_forest_belt(belts, definition).tolist() == [True, False, False, True, False]
    assert not is_forest_belt(pd.DataFrame(index=[0]), definition).any()  # no rows/width fields: not forest


def test_qualifying_belts_add_to_the_forest_patches(definition):
    stands = stand_layer([("s", "441502", "arbor", 0.5, 50.0, 100, 100)])
    belts = gpd.GeoDataFrame({"belt_id": ["ok", "narrow"], "county": "441502", "rows": [2, 2],
                              "width_m": [10.0, 8.0]},
                             geometry=[box(0, 200, 100, 210), box(0, 300, 100, 308)], crs=AREA_CRS)
    result = stand_forest(stands, definition, belts)
    # the stand (1 ha) + the 10 m × 100 m belt (0.1 ha); the 8 m belt fails the width rule
    assert forest_from_stands(result).loc["441502", "forest_area_ha"] == pytest.approx(1.1)
    # the footprint (everything the inventory maps) has all three: 1 + 0.1 + 0.08 ha
    assert result.footprint.area.iloc[0] / 1e4 == pytest.approx(1.18)


def test_reconcile_stands_and_land_cover_by_hand():
    # stands' forest 100 ha, land-cover forest 90 ha: 70 ha inside the patches, 80 ha inside the inventory
    table = reconcile(pd.Series({"a": 100.0}), pd.Series({"a": 90.0}), pd.Series({"a": 80.0}),
                      pd.Series({"a": 70.0})).loc["a"]
    assert table["both_ha"] == 70.0  # forest in both
    assert table["stands_only_ha"] == 100.0 - 70.0  # patches the land cover does not see
    assert table["landcover_only_ha"] == 80.0 - 70.0  # land-cover forest in the inventory, outside patches
    assert table["outside_inventory_ha"] == 90.0 - 80.0  # where there are no stands
    assert table["combined_ha"] == 100.0 + 10.0  # stands where present, land cover elsewhere
    assert table["disagreement_pct"] == pytest.approx((30.0 + 10.0) / 100.0 * 100)


def test_recorded_area_mismatch_over_5_percent_and_0_01_ha(definition):
    stands = stand_layer([("ok", "441502", "arbor", 0.5, 1.0, 100, 100), ("off", "441502", "arbor", 0.5, 1.0, 100, 100),
                          ("sliver", "441502", "arbor", 0.5, 1.0, 10, 5)])
    # geometry areas 1 ha, 1 ha, 0.005 ha; recorded 1.04 (4 %), 1.06 (6 %), 0.01 (100 % but only 0.005 ha)
    stands["area_ha"] = [1.04, 1.06, 0.01]
    assert area_mismatches(stands, stand_areas_ha(stands), definition.area_tolerance).tolist() == ["off"]
    with pytest.warns(SinkmapWarning, match=r"1 stands have an area_ha more than 5% .*\(off\); the geometry area"):
        warn_about_stands(stands, stand_forest(stands, definition), definition, "stands.gpkg")


def test_shrub_counts_only_when_state_designated(definition):
    rows = [("a", "441502", "shrub_special", 0.05, 0.0, 100, 100), ("b", "441502", "shrub_other", 0.9, 0.0, 100, 100)]
    stands = stand_layer(rows)
    assert is_forest_stand(stands, stand_areas_ha(stands), definition).tolist() == [True, False]


def test_forest_classes_of_presets():
    assert forest_classes("worldcover") == {10, 95}
    assert forest_classes("clcd") == {2}
    assert forest_classes("sandiao") == {301, 302, 303, 304}
    assert forest_classes("igbp") == {1, 2, 3, 4, 5, 8}


def test_forest_from_landcover_sums_forest_classes():
    table = pd.DataFrame({"adcode": ["a", "a", "a", "b"], "class": [10, 95, 40, 20],
                          "pixels": [4, 1, 3, 2], "area_ha": [0.36, 0.09, 0.27, 0.18]})
    # a: tree 0.36 + mangrove 0.09 = 0.45 ha; b has only shrub (not forest) → absent
    assert forest_from_landcover(table, "worldcover").to_dict() == {"a": pytest.approx(0.45)}


def test_land_area_in_equal_area_crs():
    land = gpd.GeoDataFrame({"adcode": ["x", "x", "y"]},
                            geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100), box(0, 200, 1000, 1200)],
                            crs=AREA_CRS)
    # x: 2 × 1 ha; y: 1,000 m × 1,000 m = 100 ha
    assert land_area_ha(land).to_dict() == {"x": pytest.approx(2.0), "y": pytest.approx(100.0)}


def test_targets_attach_to_the_city_rows_in_the_same_unit():
    table = pd.DataFrame({"adcode": ["441500", "441502", "441500"], "indicator": ["cover", "cover", "stock"],
                          "value": [45.0, 30.0, 700.0], "unit": ["%", "%", "万m³"]})
    out = attach_targets(table, {"cover": "forest_cover", "stock": "stock_volume"})
    assert out["target_2025"].tolist()[0::2] == [50.0, 792.0]
    assert out["target_2030"].tolist()[0::2] == [53.0, 840.0]
    assert out["target_2025"].isna().tolist()[1]  # counties have no allocated target
