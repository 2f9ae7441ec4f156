"""The redline ledger (台账): areas per county, and "area not reduced" between two versions, by hand."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from sinkmap.crs import AREA_CRS
from sinkmap.indicators.redline import (
    AREA_REDUCED,
    BOUNDARY_CHANGED,
    LOCATED,
    county_pieces,
    footprints,
    ledger,
    ledger_change,
)
from sinkmap.indicators.redline_features import feature_changes
from sinkmap.readers.vector import assign_units


def redlines(rows: list[tuple]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=["redline_id", "county", "realm", "function_type", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=AREA_CRS)


def box(x0: float, width_m: float, height_m: float = 100.0, y0: float = 0.0) -> shapely.Polygon:
    return shapely.box(x0, y0, x0 + width_m, y0 + height_m)


def change_between(now: gpd.GeoDataFrame, before: gpd.GeoDataFrame, counties=None) -> pd.DataFrame:
    """The pipeline redline_year runs: pieces → footprints → change."""
    return ledger_change(footprints(county_pieces(now, counties)), footprints(county_pieces(before, counties)))


CURRENT = redlines([
    ("R1", "A", "land", "water_conservation", box(0, 100)),  # 1 ha
    ("R2", "A", "land", "biodiversity", box(1_000, 200)),  # 2 ha
    ("R3", "A", "marine", "coastal_stability", box(5_000, 400)),  # 4 ha, new since
    ("R4", "B", "land", "water_conservation", box(10_000, 100)),  # 1 ha
    ("R6", "C", "land", "biodiversity", box(20_000, 100)),  # 1 ha, moved 50 m east since
])
PREVIOUS = redlines([
    ("R1", "A", "land", "water_conservation", box(0, 150)),  # 1.5 ha: 0.5 ha lost since
    ("R2", "A", "land", "soil_conservation", box(1_000, 200)),  # same area, another function type
    ("R4", "B", "land", "water_conservation", box(10_000, 100)),
    ("R5", "B", "land", "biodiversity", box(12_000, 50)),  # 0.5 ha, removed since
    ("R6", "C", "land", "biodiversity", box(19_950, 100)),
])


def test_ledger_change_flags_loss_and_swaps_per_county_and_realm():
    change = change_between(CURRENT, PREVIOUS).set_index(["county", "realm"])
    a = change.loc[("A", "land")]
    assert (a["area_ha"], a["previous_area_ha"]) == pytest.approx((1 + 2, 1.5 + 2))
    assert (a["change_ha"], a["added_ha"], a["removed_ha"]) == pytest.approx((-0.5, 0.0, 0.5))
    assert a["flag"] == AREA_REDUCED
    marine = change.loc[("A", "marine")]
    assert (marine["change_ha"], marine["added_ha"], marine["flag"]) == (pytest.approx(4.0), pytest.approx(4.0),
                                                                          BOUNDARY_CHANGED)
    assert change.loc[("B", "land"), "change_ha"] == pytest.approx(1 - (1 + 0.5)) and \
        change.loc[("B", "land"), "flag"] == AREA_REDUCED
    # C: the same 1 ha moved 50 m: net 0, but 0.5 ha swapped out and 0.5 ha in — flagged for review
    c = change.loc[("C", "land")]
    assert (c["change_ha"], c["added_ha"], c["removed_ha"]) == pytest.approx((0.0, 0.5, 0.5))
    assert c["flag"] == BOUNDARY_CHANGED


def test_unchanged_ledger_has_no_flag():
    change = change_between(CURRENT, CURRENT)
    assert (change["flag"] == "").all() and change["change_ha"].abs().max() == pytest.approx(0.0)


def test_feature_changes_list_each_redline_with_its_areas():
    """Redline by redline: R1 shrank 1.5 → 1 ha, R2 changed function type, R3 is new (4 ha), R5 was
    removed (0.5 ha), R6 moved 50 m east (0.5 ha given up, 0.5 ha gained, net 0); R4 is unchanged."""
    changes = feature_changes(CURRENT, PREVIOUS)
    assert changes[["redline_id", "county", "change", "before", "after"]].values.tolist() == [
        ["R1", "A", AREA_REDUCED, "", ""],
        ["R2", "A", "功能类型改变 function type changed", "soil_conservation", "biodiversity"],
        ["R3", "A", "新增 new", "", "coastal_stability"],
        ["R5", "B", "移出 removed", "biodiversity", ""],
        ["R6", "C", "边界调整 boundary moved", "", ""],
    ]
    areas = changes.set_index("redline_id")[["area_before_ha", "area_after_ha", "area_change_ha", "gained_ha",
                                             "given_up_ha"]]
    nan = float("nan")
    assert areas.loc["R1"].tolist() == pytest.approx([1.5, 1.0, -0.5, 0.0, 0.5])
    assert areas.loc["R2"].tolist() == pytest.approx([2.0, 2.0, 0.0, 0.0, 0.0])
    assert areas.loc["R3"].tolist() == pytest.approx([nan, 4.0, nan, nan, nan], nan_ok=True)
    assert areas.loc["R5"].tolist() == pytest.approx([0.5, nan, nan, nan, nan], nan_ok=True)
    assert areas.loc["R6"].tolist() == pytest.approx([1.0, 1.0, 0.0, 0.5, 0.5])


def test_ledger_counts_overlapping_redlines_once():
    overlapping = redlines([("R1", "A", "land", "biodiversity", box(0, 100)),
                            ("R2", "A", "land", "biodiversity", box(50, 100))])  # 0.5 ha shared
    table = ledger(county_pieces(overlapping))
    assert table["area_ha"].tolist() == pytest.approx([1.5]) and table["redlines"].tolist() == [2]


def test_an_overlap_across_a_county_line_is_counted_once_in_the_first_redline():
    across = redlines([("R1", "A", "land", "biodiversity", box(0, 100)),
                       ("R2", "B", "land", "biodiversity", box(50, 100))])  # 0.5 ha shared, kept by R1 (A)
    assert ledger(county_pieces(across)).set_index("county")["area_ha"].to_dict() == pytest.approx({"A": 1.0, "B": 0.5})
    change = change_between(across, across).set_index("county")["area_ha"]
    assert change.to_dict() == pytest.approx({"A": 1.0, "B": 0.5})  # the change table agrees with the ledger


# Two counties side by side, 1 km × 1 km each: A holds x 0–1000 m, B x 1000–2000 m; the coast is y = 1000 m.
COUNTIES = gpd.GeoDataFrame({"adcode": ["A", "B"]}, geometry=[box(0, 1_000, 1_000), box(1_000, 1_000, 1_000)],
                            crs=AREA_CRS)


def located(rows: list[tuple], located: list[bool]) -> gpd.GeoDataFrame:
    """Redlines as the reader leaves them: ``LOCATED`` is True where the data gave no county code."""
    return redlines(rows).assign(**{LOCATED: located})


def test_land_redlines_without_a_county_code_are_cut_at_the_county_lines():
    frame = located([
        ("R1", "B", "land", "biodiversity", box(600, 1_000)),  # 100 m tall: 4 ha in A (600–1000), 6 ha in B
        ("R2", "A", "land", "biodiversity", box(800, 400, y0=300)),  # the data say A: stays whole, 4 ha
        ("R3", "A", "marine", "coastal_stability", box(800, 400, y0=500)),  # a sea has no county lines: whole
        ("R4", "A", "land", "water_conservation", box(900, 200, y0=950)),  # 2 ha: 100 × 50 m in A and in B
        ("R5", "A", "land", "water_conservation", box(200, 800.004, y0=200)),  # 0.004 m × 100 m = 0.4 m² in B
    ], [True, False, True, True, True])
    pieces = county_pieces(frame, COUNTIES)
    assert pieces[["redline_id", "county"]].values.tolist() == [
        ["R1", "A"], ["R1", "B"], ["R2", "A"], ["R3", "A"], ["R4", "A"], ["R4", "B"], ["R5", "A"]]
    area = pieces.area / 1e4
    # R4: 0.5 ha in A, 0.5 ha in B, and 200 × 50 m = 1 ha beyond the coast (y 1000–1050) stays with A: 1.5 ha
    # R5: the 0.4 m² in B is under 1 m², it stays with A: 800.004 m × 100 m
    assert area.tolist() == pytest.approx([4.0, 6.0, 4.0, 4.0, 1.5, 0.5, 8.00004])
    table = ledger(pieces).set_index(["county", "realm", "function_type"])
    assert table.loc[("A", "land", "biodiversity")].tolist() == [2, pytest.approx(4.0 + 4.0)]  # R1's A piece, R2
    assert table.loc[("A", "land", "water_conservation")].tolist() == [2, pytest.approx(1.5 + 8.00004)]
    assert table.loc[("B", "land", "biodiversity")].tolist() == [1, pytest.approx(6.0)]
    assert table.loc[("B", "land", "water_conservation")].tolist() == [1, pytest.approx(0.5)]
    assert table["area_ha"].sum() == pytest.approx(county_pieces(frame).area.sum() / 1e4)  # nothing lost


def test_without_counties_or_the_located_column_redlines_stay_whole():
    frame = located([("R1", "B", "land", "biodiversity", box(600, 1_000))], [True])
    assert county_pieces(frame)["county"].tolist() == ["B"]
    assert county_pieces(frame.drop(columns=LOCATED), COUNTIES)["county"].tolist() == ["B"]


def test_a_cut_redline_moved_across_the_line_shows_in_both_counties_change():
    before = located([("R1", "A", "land", "biodiversity", box(400, 500))], [True])  # 5 ha, all in A
    now = located([("R1", "A", "land", "biodiversity", box(700, 500))], [True])  # 3 ha in A, 2 ha in B
    change = change_between(now, before, COUNTIES).set_index("county")
    assert change.loc["A", ["area_ha", "previous_area_ha", "change_ha"]].tolist() == pytest.approx([3.0, 5.0, -2.0])
    assert change.loc["A", "flag"] == AREA_REDUCED
    assert change.loc["B", ["area_ha", "added_ha"]].tolist() == pytest.approx([2.0, 2.0])


def test_the_reader_marks_the_features_whose_county_it_located():
    frame = redlines([("R1", "B", "land", "biodiversity", box(100, 100)),
                      ("R2", None, "land", "biodiversity", box(1_100, 100))])
    out = assign_units(frame, COUNTIES, located=LOCATED)
    assert out["county"].tolist() == ["B", "B"] and out[LOCATED].tolist() == [False, True]
    assert assign_units(frame.drop(columns="county"), COUNTIES, located=LOCATED)[LOCATED].tolist() == [True, True]
