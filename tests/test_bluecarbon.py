"""Blue carbon and the mangrove targets: hand-computed patches, overlaps, county assignment, bad tables."""

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from sinkmap import aoi
from sinkmap.crs import AREA_CRS
from sinkmap.errors import SchemaError, SinkmapWarning
from sinkmap.indicators.biomass import combine
from sinkmap.indicators.bluecarbon import (
    BlueCarbonFactors,
    coastal_patches,
    habitat_table,
    overlap_ha,
    plan_work,
    soil_carbon,
    soil_sink,
    year_reached,
)
from sinkmap.readers.vector import assign_units
from sinkmap.survey.blue import blue_year

FACTORS = BlueCarbonFactors.from_layers()


def square(x0: float, y0: float, area_ha: float) -> shapely.Polygon:
    """A square of ``area_ha`` in the equal-area CRS, lower-left corner at (x0, y0) m."""
    side = (area_ha * 10_000) ** 0.5
    return shapely.box(x0, y0, x0 + side, y0 + side)


def layer(rows: list[tuple]) -> gpd.GeoDataFrame:
    columns = ["patch_id", "status", "year", "county", "geometry"]
    frame = gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs=AREA_CRS)
    frame["year"] = pd.array(frame["year"], dtype="Int64")
    return frame


@pytest.fixture
def hand():
    """Mangroves and habitats in two counties A and B, 1 km apart so nothing overlaps."""
    mangroves = layer([
        ("M1", "existing", None, "A", square(0, 0, 3.0)),
        ("M2", "planted", 2022, "A", square(1_000, 0, 2.0)),
        ("M3", "restored", 2021, "B", square(2_000, 0, 1.0)),
        ("M4", "planted", 2019, "B", square(3_000, 0, 0.5)),  # before the plan: stock and sink, not the target
    ])
    habitats = layer([
        ("H1", "restored", None, "B", square(4_000, 0, 1.0)),
        ("H2", "existing", None, "A", square(5_000, 0, 2.0)),
        ("H3", "existing", None, "A", square(6_000, 0, 4.0)),
    ]).assign(habitat=["saltmarsh", "seagrass", "coral_reef"])
    return coastal_patches(mangroves, habitats)


def test_shipped_factors_have_sources_and_valid_ranges():
    assert sorted(FACTORS.values.index) == ["mangrove", "saltmarsh", "seagrass"]  # coral, macroalgae: not credited
    assert FACTORS.values.loc["mangrove", "soil_stock"] == 386 and FACTORS.values.loc["seagrass", "soil_stock"] == 108
    assert FACTORS.values.loc["saltmarsh", "soil_accumulation"] == 0.91
    assert ((FACTORS.low <= FACTORS.values) & (FACTORS.values <= FACTORS.high)).all().all()
    assert FACTORS.sources.map(lambda s: "IPCC 2013 Wetlands Supplement" in s).all().all()
    assert FACTORS.u()["soil_stock"].tolist() == pytest.approx([0.9, 0.9, 0.9])  # ±90 % Tier 1 soil error


def test_soil_stock_and_sink_by_hand(hand):
    stock = combine(soil_carbon(hand, FACTORS), "county", "carbon_mg_c", "habitat")
    # A: (3 + 2) ha mangrove × 386 + 2 ha seagrass × 108 = 1,930 + 216; coral reef is not credited
    assert stock.loc["A", "value"] == pytest.approx(5 * 386 + 2 * 108)
    # B: (1 + 0.5) ha mangrove × 386 + 1 ha salt marsh × 255
    assert stock.loc["B", "value"] == pytest.approx(1.5 * 386 + 255)
    # 95 % half-width: linear within a habitat (±90 % of each), in quadrature across habitats
    half = np.hypot(0.9 * 5 * 386, 0.9 * 2 * 108)
    assert stock.loc["A", "high"] - stock.loc["A", "value"] == pytest.approx(half)
    sink = soil_sink(hand, FACTORS).groupby("county")["sink_mg_c_per_yr"].sum()
    # only planted or restored patches accumulate: A 2 ha × 1.62; B 1.5 ha × 1.62 + 1 ha × 0.91 (Mg C/ha/yr)
    assert sink.to_dict() == pytest.approx({"A": 2 * 1.62, "B": 1.5 * 1.62 + 0.91})
    co2 = soil_sink(hand, FACTORS)["sink_co2e_t_per_yr"].sum()
    assert co2 == pytest.approx((2 * 1.62 + 1.5 * 1.62 + 0.91) * 44 / 12)


def test_plan_work_counts_2021_to_the_survey_year(hand):
    planted = plan_work(hand, "planted", 2025)
    assert planted.groupby("county")["area_ha"].sum().to_dict() == pytest.approx({"A": 2.0})  # M4 (2019) left out
    assert plan_work(hand, "restored", 2025)["area_ha"].sum() == pytest.approx(1.0)
    assert plan_work(hand, "planted", 2021).empty  # M2 (2022) is after a 2021 survey


def test_year_reached_is_the_first_year_the_cumulative_area_reaches_the_target():
    work = pd.DataFrame({"year": [2023, 2021, 2022, 2022], "area_ha": [300.0, 100.0, 150.0, 50.0]})
    assert year_reached(work, 250.0) == 2022  # cumulative 100 (2021), 300 (2022)
    assert year_reached(work, 300.0) == 2022  # reached exactly
    assert year_reached(work, 600.0) == 2023  # 100 + 200 + 300 = 600
    assert year_reached(work, 600.1) is None


def test_overlaps_are_counted_once_mangrove_first():
    mangroves = layer([("M1", "existing", None, "A", square(0, 0, 1.0))])  # 100 m × 100 m
    marsh = layer([("H1", "existing", None, "A", shapely.box(50, 0, 150, 100))]).assign(habitat="saltmarsh")
    patches = coastal_patches(mangroves, marsh)
    areas = patches.set_index("patch_id")["area_ha"]
    assert areas["M1"] == pytest.approx(1.0) and areas["H1"] == pytest.approx(0.5)  # 50 m × 100 m shared
    assert overlap_ha(patches) == pytest.approx(0.5)


def test_habitat_table_carries_area_in_mu_and_no_carbon_for_coral(hand):
    table = habitat_table(hand, FACTORS).set_index(["county", "habitat", "status"])
    assert table.loc[("A", "mangrove", "planted"), "area_mu"] == pytest.approx(2.0 * 15)
    assert table.loc[("A", "mangrove", "existing"), "soil_sink_co2e_t_per_yr"] == 0.0
    assert np.isnan(table.loc[("A", "coral_reef", "existing"), "soil_carbon_mg_c"])
    assert table["patches"].sum() == 7


def test_blue_year_warns_and_leaves_out_patches_dated_after_the_survey():
    mangroves = layer([
        ("M1", "planted", 2024, "A", square(0, 0, 1.0)),
        ("M2", "planted", 2026, "A", square(1_000, 0, 1.0)),
        ("M3", "restored", None, "A", square(2_000, 0, 1.0)),
    ])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        blue = blue_year({"mangroves": mangroves}, 2025, FACTORS)
    messages = " | ".join(str(w.message) for w in caught if issubclass(w.category, SinkmapWarning))
    assert "1 mangrove or habitat patches are dated after the survey year 2025 (M2)" in messages
    assert "1 planted or restored mangrove patches have no year (M3)" in messages
    assert sorted(blue.patches["patch_id"]) == ["M1", "M3"]
    assert blue.work["planted"]["area_ha"].sum() == pytest.approx(1.0)
    assert blue.work["restored"].empty  # M3 has no year
    assert blue_year({}, 2025, FACTORS) is None


def test_sea_patches_take_the_nearest_county_within_reach():
    counties = aoi.load_counties()
    chengqu = counties[counties["adcode"] == "441502"].to_crs(AREA_CRS).geometry.iloc[0]
    xy = shapely.get_coordinates(chengqu)
    south = shapely.Point(xy[xy[:, 1].argmin()])  # 城区's southernmost shore vertex
    near = gpd.GeoDataFrame({"patch_id": ["S1"]}, geometry=[south.buffer(50).buffer(0)], crs=AREA_CRS)
    near = near.set_geometry(near.translate(0, -3_000))  # a seagrass patch 3 km out to sea
    assert assign_units(near, counties, reach_m=20_000)["county"].iloc[0] == "441502"
    with pytest.raises(SchemaError, match=r"1 features lie outside every county"):
        assign_units(near, counties)  # without a reach, the sea belongs to no county
    far = near.set_geometry(near.translate(0, -80_000))
    with pytest.raises(SchemaError, match=r"1 features lie more than 20 km from every county of the AOI"):
        assign_units(far, counties, reach_m=20_000, path="seagrass.gpkg")


def test_bad_blue_carbon_table_is_refused():
    table = pd.read_csv(FACTORS.path, dtype=str, keep_default_na=False)
    broken = table.copy()
    broken.loc[0, "value"] = "386 Mg C/ha"
    with pytest.raises(SchemaError, match=r"value is not a number for \['mangrove'\]"):
        BlueCarbonFactors.from_table(broken, path="blue_carbon.csv")
    with pytest.raises(SchemaError, match=r"habitats \['seagrass'\] lack one of"):
        BlueCarbonFactors.from_table(table[~((table["habitat"] == "seagrass")
                                             & (table["parameter"] == "soil_accumulation"))])


def test_land_and_ocean_sinks_add_with_independent_half_widths():
    from sinkmap.indicators.biomass import sum_independent

    forest = pd.DataFrame({"value": [100.0, 5.0], "low": [80.0, 0.0], "high": [120.0, 15.0]})
    blue = pd.DataFrame({"value": [10.0, 1.0], "low": [0.0, 0.0], "high": [25.0, 3.0]})  # low clipped at 0
    total = sum_independent(forest, blue)
    # half-widths from the unclipped side: √(20² + 15²) = 25, and √(10² + 2²) ≈ 10.2 (which clips at 0)
    assert total.iloc[0].tolist() == pytest.approx([110.0, 85.0, 135.0])
    assert total.iloc[1].tolist() == pytest.approx([6.0, 0.0, 6.0 + (10 ** 2 + 2 ** 2) ** 0.5])
