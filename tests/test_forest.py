"""Forest indicators on a layer small enough to compute on paper."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from sinkmap.indicators.area import land_area_ha
from sinkmap.indicators.forest import (
    ForestDefinition,
    cover_pct,
    forest_classes,
    forest_from_landcover,
    forest_from_stands,
    is_forest_stand,
    stand_areas_ha,
)
from sinkmap.indicators.targets import attach_targets
from sinkmap.readers.crs import AREA_CRS
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
    result = forest_from_stands(stand_layer(THREE_STANDS), definition)
    # 城区: S1 forest 1 ha, stock 1 ha × 50 m³/ha = 50 m³; S2 is sparse forest → 0
    assert result.loc["441502", "forest_area_ha"] == pytest.approx(1.0)
    assert result.loc["441502", "stock_volume_m3"] == pytest.approx(1.0 * 50.0)
    # 海丰: S3 bamboo 3 ha counts as forest; bamboo carries no stem volume
    assert result.loc["441521", "forest_area_ha"] == pytest.approx(3.0)
    assert result.loc["441521", "stock_volume_m3"] == 0.0
    assert result["stands"].tolist() == [2, 1]


def test_cover_is_forest_over_land(definition):
    result = forest_from_stands(stand_layer(THREE_STANDS), definition)
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
