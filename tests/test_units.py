"""Unit conversions: exact by definition."""

import pytest

from sinkmap import units


def test_plan_mangrove_targets_in_hectares():
    # 7,050 亩 / 15 亩 per ha = 470 ha; 720 亩 / 15 = 48 ha (plan item 30)
    assert units.mu_to_ha(7050) == pytest.approx(470.0)
    assert units.mu_to_ha(720) == pytest.approx(48.0)


def test_mu_round_trip_and_m2():
    assert units.ha_to_mu(1.0) == 15.0
    assert units.m2_to_ha(666.67 * 15) == pytest.approx(1.00000, abs=1e-5)  # 15 亩 ≈ 10,000 m²


def test_stock_targets_in_cubic_metres():
    # 792 万m³ = 7.92 million m³; 840 万m³ = 8.40 million m³
    assert units.wan_m3_to_m3(792) == 7_920_000
    assert units.m3_to_wan_m3(8_400_000) == 840


def test_carbon_to_co2():
    assert units.c_to_co2(12.0) == pytest.approx(44.0)
    assert units.ha_to_km2(4865_00) == 4865


def test_areas_of_a_large_layer_are_computed_a_part_at_a_time_with_the_same_values(monkeypatch):
    """``crs.area_m2`` reprojects AREA_PART geometries at a time (10⁶ stands); the areas are those of one pass."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from sinkmap import crs

    x = np.linspace(115.0, 115.9, 25)
    frame = gpd.GeoSeries(shapely.box(x, 22.8, x + 0.01, 22.81), crs=4490)
    whole = crs.area_m2(frame)
    monkeypatch.setattr(crs, "AREA_PART", 7)  # 25 boxes: parts of 7, 7, 7 and 4
    assert np.array_equal(crs.area_m2(frame), whole) and len(whole) == 25
    # a 0.01° × 0.01° box at 22.8°N: 0.01° of longitude ≈ 111.32 km × cos 22.8° / 100 = 1.0262 km, 0.01° of
    # latitude ≈ 1.1073 km there (meridian arc), so ≈ 1.1363 km² (the same for every box: one latitude)
    assert whole == pytest.approx(np.full(25, 1.1363e6), rel=2e-3)
