"""The redline ledger (台账): areas per county, and "area not reduced" between two versions, by hand."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from sinkmap.indicators.redline import AREA_REDUCED, BOUNDARY_CHANGED, feature_changes, ledger, ledger_change
from sinkmap.readers.crs import AREA_CRS


def redlines(rows: list[tuple]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=["redline_id", "county", "realm", "function_type", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=AREA_CRS)


def box(x0: float, width_m: float, height_m: float = 100.0, y0: float = 0.0) -> shapely.Polygon:
    return shapely.box(x0, y0, x0 + width_m, y0 + height_m)


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
    change = ledger_change(CURRENT, PREVIOUS).set_index(["county", "realm"])
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
    change = ledger_change(CURRENT, CURRENT)
    assert (change["flag"] == "").all() and change["change_ha"].abs().max() == pytest.approx(0.0)


def test_feature_changes_list_function_type_changes_and_ids_removed_or_new():
    changes = feature_changes(CURRENT, PREVIOUS)
    assert changes.values.tolist() == [
        ["R2", "A", "function_type changed", "soil_conservation", "biodiversity"],
        ["R3", "A", "new", "", "coastal_stability"],
        ["R5", "B", "removed", "biodiversity", ""],
    ]


def test_ledger_counts_overlapping_redlines_once():
    overlapping = redlines([("R1", "A", "land", "biodiversity", box(0, 100)),
                            ("R2", "A", "land", "biodiversity", box(50, 100))])  # 0.5 ha shared
    table = ledger(overlapping)
    assert table["area_ha"].tolist() == pytest.approx([1.5]) and table["redlines"].tolist() == [2]


def test_an_overlap_across_a_county_line_is_counted_once_in_the_first_redline():
    across = redlines([("R1", "A", "land", "biodiversity", box(0, 100)),
                       ("R2", "B", "land", "biodiversity", box(50, 100))])  # 0.5 ha shared, kept by R1 (A)
    assert ledger(across).set_index("county")["area_ha"].to_dict() == pytest.approx({"A": 1.0, "B": 0.5})
    change = ledger_change(across, across).set_index("county")["area_ha"]
    assert change.to_dict() == pytest.approx({"A": 1.0, "B": 0.5})  # the change table agrees with the ledger
