"""Forest stands inside the redlines (功能不降低 by the inventory), worked by hand."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from sinkmap.crs import AREA_CRS
from sinkmap.indicators.forest import ForestDefinition, stand_forest
from sinkmap.indicators.redline_cover import FUNCTION_LOWERED
from sinkmap.indicators.redline_forest import forest_check, forest_summary, stands_inside

# Stands 100 m tall along x (metres, equal-area CRS): (id, land class, closure, volume per ha, x0, x1).
STANDS = [
    ("S1", "arbor", 0.5, 100.0, 0, 200),  # 2 ha
    ("S2", "arbor", 0.5, 60.0, 150, 350),  # 2 ha, 0.5 ha (x 150–200) shared with S1, which keeps it
    ("S3", "bamboo", 0.6, 0.0, 400, 500),  # 1 ha of bamboo: forest, no stem volume
    ("S4", "sparse", 0.1, 30.0, 600, 700),  # 疏林地: not forest
]
ZONES = gpd.GeoDataFrame({"redline_id": ["R1", "R2"], "county": ["A", "B"], "realm": ["land", "marine"],
                          "function_type": ["biodiversity", "coastal_stability"]},
                         geometry=[box(100, 0, 450, 100), box(600, 0, 700, 100)], crs=AREA_CRS)  # redline pieces


def forest(rows, definition):
    frame = pd.DataFrame([r[:4] for r in rows], columns=["stand_id", "land_class", "canopy_closure", "volume_per_ha"])
    geoms = [box(x0, 0, x1, 100) for *_, x0, x1 in rows]
    return stand_forest(gpd.GeoDataFrame(frame.assign(county="A"), geometry=geoms, crs=AREA_CRS), definition)


@pytest.fixture(scope="module")
def definition() -> ForestDefinition:
    return ForestDefinition.from_layers()


def test_stands_inside_the_redlines_by_hand(definition):
    inside = stands_inside(forest(STANDS, definition), ZONES).set_index(["county", "realm"])[["forest_ha", "stock_m3"]]
    # zone A (x 100–450): S1 x 100–200 = 1 ha × 100 m³/ha; S2 without the part S1 keeps, x 200–350 = 1.5 ha
    # × 60 m³/ha; S3 x 400–450 = 0.5 ha of bamboo, no volume
    assert inside.loc[("A", "land"), "forest_ha"] == pytest.approx(1.0 + 1.5 + 0.5)
    assert inside.loc[("A", "land"), "stock_m3"] == pytest.approx(1.0 * 100 + 1.5 * 60)
    # zone B holds only S4, sparse forest (closure 0.1 < 0.2): listed with nothing
    assert inside.loc[("B", "marine")].tolist() == [0.0, 0.0]


def test_stands_are_cut_a_part_at_a_time_with_the_same_numbers(definition, monkeypatch):
    """stands_inside takes the stands' effective geometries QUERY_PART at a time (10⁶ stands would otherwise
    be reprojected whole, a second copy of the layer): with parts of one stand, S2 still loses the 0.5 ha S1
    keeps (its partner S1 projected with it), and every number is the one-part number, bit for bit."""
    from sinkmap.indicators import redline_forest

    stands = forest([*STANDS, ("S5", "arbor", 0.5, 80.0, 300, 420)], definition)  # shares x 300–350 with S2, 400–420 with S3
    whole = stands_inside(stands, ZONES)
    monkeypatch.setattr(redline_forest, "QUERY_PART", 1)
    parts = stands_inside(stands, ZONES)
    pd.testing.assert_frame_equal(parts, whole, check_exact=True)
    # zone A (x 100–450): S1 1 ha × 100, S2 x 200–350 = 1.5 ha × 60, S3 x 400–450 = 0.5 ha of bamboo (no
    # volume), S5 without what S2 and S3 keep: x 350–400 = 0.5 ha × 80
    assert parts.loc[0, "forest_ha"] == pytest.approx(1.0 + 1.5 + 0.5 + 0.5)
    assert parts.loc[0, "stock_m3"] == pytest.approx(100.0 + 1.5 * 60 + 0.5 * 80)


def test_stock_fall_inside_the_redlines_is_flagged(definition):
    now = stands_inside(forest(STANDS, definition), ZONES)
    earlier = [("S1", "arbor", 0.5, 120.0, 0, 200), *STANDS[1:]]  # S1 stood at 120 m³/ha in the earlier survey
    before = stands_inside(forest(earlier, definition), ZONES)
    check = forest_check(now, before).set_index(["county", "realm"])
    a = check.loc[("A", "land")]
    assert (a["stock_m3"], a["previous_stock_m3"]) == pytest.approx((190.0, 1.0 * 120 + 1.5 * 60))
    assert a["stock_change_m3"] == pytest.approx(190.0 - 210.0)
    assert a["stock_change_pct"] == pytest.approx(-20 / 210 * 100)  # −9.52 %
    assert a["forest_change_ha"] == pytest.approx(0.0) and a["flag"] == FUNCTION_LOWERED
    assert check.loc[("B", "marine"), "flag"] == "" and pd.isna(check.loc[("B", "marine"), "stock_change_pct"])
    # the tolerance edges: a 9.52 % fall is flagged at 9 %, not at 10 %
    assert forest_check(now, before, stock_tolerance=0.09).set_index("county").loc["A", "flag"] == FUNCTION_LOWERED
    assert forest_check(now, before, stock_tolerance=0.10).set_index("county").loc["A", "flag"] == ""


def test_forest_area_loss_inside_the_redlines_is_flagged(definition):
    now = stands_inside(forest(STANDS, definition), ZONES)
    earlier = [*STANDS, ("S5", "bamboo", 0.6, 0.0, 350, 390)]  # 40 m × 100 m = 0.4 ha of bamboo in A, gone since
    check = forest_check(now, stands_inside(forest(earlier, definition), ZONES), area_tolerance_ha=0.39)
    a = check.set_index("county").loc["A"]
    assert a["forest_change_ha"] == pytest.approx(-0.4) and a["stock_change_m3"] == pytest.approx(0.0)
    assert a["flag"] == FUNCTION_LOWERED
    assert forest_check(now, stands_inside(forest(earlier, definition), ZONES),
                        area_tolerance_ha=0.41).set_index("county").loc["A", "flag"] == ""


def test_without_an_earlier_survey_there_is_no_change_or_flag(definition):
    check = forest_check(stands_inside(forest(STANDS, definition), ZONES))
    assert check["stock_m3"].tolist() == pytest.approx([190.0, 0.0])
    assert check[["previous_stock_m3", "stock_change_m3"]].isna().all().all()
    # nothing found, not "unknown": a NaN flag read as flagged and crashed the first-year survey's map popups
    assert check["flag"].tolist() == ["", ""]


def test_a_felling_in_one_redline_is_flagged_though_the_county_grew(definition):
    """R1 (x 0–200) lost S1's stock; R3 (x 200–350, same county) grew more: the county's net stock rose,
    yet R1 is flagged, and with it the county."""
    pieces = gpd.GeoDataFrame({"redline_id": ["R1", "R3"], "county": ["A", "A"], "realm": ["land", "land"],
                               "function_type": ["biodiversity", "biodiversity"]},
                              geometry=[box(0, 0, 150, 100), box(200, 0, 350, 100)], crs=AREA_CRS)
    earlier = [("S1", "arbor", 0.5, 150.0, 0, 200), ("S2", "arbor", 0.5, 5.0, 150, 350), *STANDS[2:]]
    check = forest_check(stands_inside(forest(STANDS, definition), pieces),
                         stands_inside(forest(earlier, definition), pieces)).set_index("redline_id")
    # R1 holds 1.5 ha of S1: 1.5 × 150 = 225 m³ then, 1.5 × 100 = 150 m³ now
    assert check.loc["R1", ["previous_stock_m3", "stock_m3"]].tolist() == pytest.approx([225.0, 150.0])
    # R3 holds 1.5 ha of S2: 1.5 × 5 = 7.5 m³ then, 1.5 × 60 = 90 m³ now
    assert check.loc["R3", ["previous_stock_m3", "stock_m3"]].tolist() == pytest.approx([7.5, 90.0])
    assert check["flag"].tolist() == [FUNCTION_LOWERED, ""]
    county = forest_summary(check.reset_index()).iloc[0]
    assert county["stock_change_m3"] == pytest.approx((150 + 90) - (225 + 7.5))  # +7.5 m³ net: the county grew
    assert county["redlines_flagged"] == 1 and county["flag"] == FUNCTION_LOWERED
    grown = forest_check(stands_inside(forest(earlier, definition), pieces),
                         stands_inside(forest(earlier, definition), pieces))
    assert forest_summary(grown).iloc[0][["redlines_flagged", "flag"]].tolist() == [0, ""]
