"""Coastal shelterbelts at the plan's restoration sites: area by status and the work since 2021, by hand."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from sinkmap import aoi
from sinkmap.crs import AREA_CRS
from sinkmap.errors import SinkmapWarning
from sinkmap.indicators.shelterbelt import NO_WORK, NOT_GIVEN, OTHER, county_work, plan_sites, site_progress
from sinkmap.survey.belts import shelterbelt_year

SITES = pd.DataFrame({"name_zh": ["长沙湾", "碣石湾"], "county_adcode": ["441502", "441581"]})


def belts(rows: list[tuple]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=["belt_id", "site", "status", "year", "county", "geometry"])
    frame["year"] = pd.array(frame["year"], dtype="Int64")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=AREA_CRS)


def strip(x0: float, length_m: float, width_m: float = 70.0) -> shapely.Polygon:
    return shapely.box(x0, 0, x0 + length_m, width_m)


BELTS = belts([
    ("B1", "长沙湾", "existing", 2010, "441502", strip(0, 1_000)),  # 7 ha
    ("B2", "长沙湾", "restored", 2019, "441502", strip(2_000, 500)),  # 3.5 ha, before the plan period
    ("B3", "碣石湾", "planted", 2023, "441581", strip(4_000, 2_000)),  # 14 ha
    ("B4", "碣石湾", "restored", 2021, "441581", strip(7_000, 1_000)),  # 7 ha
    ("B5", "金厢", "planted", 2022, "441581", strip(9_000, 1_000)),  # 7 ha, a site the plan does not name
    ("B6", None, "existing", None, "441502", strip(11_000, 1_000)),  # 7 ha, no site given
])


def test_site_progress_by_hand():
    table = site_progress(BELTS, SITES, 2025).set_index("site")
    assert list(table.index) == ["长沙湾", "碣石湾", OTHER, NOT_GIVEN]  # plan order, then the rest
    # 长沙湾: 1 km × 70 m existing = 7 ha; 500 m × 70 m restored in 2019 = 3.5 ha, outside 2021–2025
    assert (table.loc["长沙湾", "existing_ha"], table.loc["长沙湾", "restored_ha"]) == pytest.approx((7.0, 3.5))
    assert table.loc["长沙湾", "work_since_ha"] == 0 and table.loc["长沙湾", "flag"] == NO_WORK
    # 碣石湾: 2 km × 70 m planted 2023 + 1 km × 70 m restored 2021 = 14 + 7 ha = 21 ha = 315 亩
    assert table.loc["碣石湾", "work_since_ha"] == pytest.approx(14 + 7)
    assert table.loc["碣石湾", "work_since_mu"] == pytest.approx((14 + 7) * 15)
    assert table.loc["碣石湾", "flag"] == "" and table.loc["碣石湾", "belts"] == 2
    assert table.loc[OTHER, "planted_ha"] == pytest.approx(7.0) and table.loc[OTHER, "flag"] == ""  # not a plan site
    assert table.loc[NOT_GIVEN, "existing_ha"] == pytest.approx(7.0)
    # in a 2022 survey, the 2023 planting does not exist yet
    assert site_progress(BELTS, SITES, 2022).set_index("site").loc["碣石湾", "work_since_ha"] == pytest.approx(7.0)


def test_county_work_and_overlapping_belts_counted_once():
    overlapping = pd.concat([BELTS, belts([("B7", "长沙湾", "existing", 2010, "441502", strip(500, 1_000))])])
    per_county = county_work(overlapping, 2025)
    # B7 shares 500 m × 70 m with B1: it adds only 3.5 ha to 城区's 7 + 3.5 + 7 ha
    assert per_county.loc["441502", "shelterbelt_area"] == pytest.approx(7 + 3.5 + 7 + 3.5)
    assert per_county.loc["441581", "shelterbelt_work"] == pytest.approx((14 + 7 + 7) * 15)  # 亩, B5 included
    assert pd.isna(per_county.loc["441502", "shelterbelt_work"])  # no work in 城区 (0 once the survey fills it)


def test_overlapping_belts_are_warned_about_and_counted_once_in_the_survey():
    overlapping = pd.concat([BELTS, belts([("B7", "长沙湾", "existing", 2010, "441502", strip(500, 1_000))])])
    with pytest.warns(SinkmapWarning, match=r"belts.shp: 1 pairs of shelterbelts overlap by 3.50 ha in all "
                                            r"\(B7/B1 3.50 ha\); the overlap is counted once"):
        per_county, sites = shelterbelt_year(overlapping, SITES, 2025, name="belts.shp")
    assert per_county.loc["441502", "shelterbelt_area"] == pytest.approx(7 + 3.5 + 7 + 3.5)
    assert sites.set_index("site").loc["长沙湾", "existing_ha"] == pytest.approx(7 + 3.5)  # B1 + B7's own half


def test_the_plan_names_six_shelterbelt_sites():
    names = plan_sites(aoi.load_sites())["name_zh"].tolist()
    assert names == ["长沙湾", "大湖湾", "碣石湾", "红海湾", "东海岸林场", "湖东林场"]
