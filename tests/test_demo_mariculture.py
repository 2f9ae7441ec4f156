"""The demo's SYNTHETIC mariculture: farming areas (养殖区) and ranches (海洋牧场) at sea off their bays' counties,
apart from each other and from the habitat patches, and a 中文 harvest table that reads cleanly against them.

The layer is built with the demo's builders (under a second), not the whole demo; the demo's own files are
checked against it once, through the session's ``demo_survey``."""

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from sinkmap import aoi
from sinkmap.crs import AREA_CRS
from sinkmap.demo import SEED, SURVEY_YEAR
from sinkmap.demo.mariculture import YIELD_COLUMNS, make_mariculture, mariculture_yields
from sinkmap.demo.vectors import _coastline, make_coastal_habitats, make_mangroves
from sinkmap.indicators.mariculture import MaricultureFactors
from sinkmap.readers.mariculture import read_yields
from sinkmap.survey.compute import read_county_layer
from sinkmap.writers.tables import write_table
from sinkmap.writers.vector import write_vector

CITY_DISTRICT, LUFENG = "441502", "441581"  # 城区, 陆丰市
BAY_COUNTY = {"CSW": CITY_DISTRICT, "HHW": CITY_DISTRICT, "JSW": LUFENG}  # 长沙湾, 红海湾 (城区); 碣石湾 (陆丰市)
# Survey-year (2025) wet harvest per county, t, of seed 2025 as the generator writes it (sum of the 产量(吨)
# column of mariculture_yields.csv): 城区 11,528 oyster + 2,708 gracilaria + 638 scallop + 1,193 ark clam
# + 120 nori (county row); 陆丰市 3,714 oyster + 5,399 kelp + 999 scallop + 991 mussel + 600 clam (county row).
# The generator aims at ≈ 15–50 t/ha/yr for the rafts and longlines (5 for the ark-clam ranch): these
# totals for ≈ 875 ha (城区) and ≈ 353 ha (陆丰市) of farms.
HARVEST_T = {CITY_DISTRICT: 16_187.0, LUFENG: 11_703.0}


@pytest.fixture(scope="module")
def demo_parts():
    """The layers the demo places the farms among, and the farms (EPSG:4490), built as the demo does."""
    land, counties, sites = aoi.load_land(), aoi.load_counties(), aoi.load_sites()
    mangroves = make_mangroves(land, counties, SEED)
    habitats = make_coastal_habitats(land, counties, SEED, mangroves)
    farms = make_mariculture(land, counties, sites, SEED, avoid=(mangroves, habitats))
    return {"land": land, "counties": counties, "mangroves": mangroves, "habitats": habitats, "farms": farms}


@pytest.fixture(scope="module")
def written(demo_parts, tmp_path_factory):
    """mariculture.gpkg and mariculture_yields.csv, written as the demo writes them."""
    folder = tmp_path_factory.mktemp("mariculture")
    farms = demo_parts["farms"]
    write_vector(farms, folder / "mariculture.gpkg", layer="mariculture", description="SYNTHETIC test")
    write_table(mariculture_yields(farms, SURVEY_YEAR, SEED), folder / "mariculture_yields.csv")
    return folder


@pytest.fixture(scope="module")
def located(written, demo_parts):
    """The farming areas as the survey reads them: checked, each given the county whose coast it lies off."""
    return read_county_layer(written / "mariculture.gpkg", "mariculture", demo_parts["counties"])


def test_areas_are_a_few_of_each_kind_in_the_three_bays(located):
    assert 8 <= len(located) <= 12 and located["area_id"].is_unique
    assert set(located["area_id"].str[:3]) == set(BAY_COUNTY)
    assert located.crs.to_epsg() == 4490 and (located["synthetic"] == 1).all()
    assert set(located["type"]) == {"farm", "ranch"} and 1 <= (located["type"] == "ranch").sum() <= 2
    assert {"牡蛎", "海带", "龙须菜", "扇贝", "贻贝"} <= set(located["mariculture_group"])
    area_ha = located.to_crs(AREA_CRS).area / 1e4
    assert area_ha.between(20, 400).all()  # tens to a few hundred ha each
    assert (area_ha - located["area_ha"]).abs().max() < 0.1  # the recorded area is the geometry's


def test_every_area_lies_at_sea_near_the_coast_in_its_bays_county(located, demo_parts):
    assert located["county"].tolist() == located["area_id"].str[:3].map(BAY_COUNTY).tolist()
    farms = located.to_crs(AREA_CRS).geometry.to_numpy()
    land = shapely.union_all(demo_parts["land"].to_crs(AREA_CRS).geometry.to_numpy())
    coast = _coastline(demo_parts["land"], demo_parts["counties"])
    assert not shapely.intersects(farms, land).any()  # at sea
    assert shapely.covered_by(farms, coast.buffer(5_000.0)).all()  # every point within 5 km of the coast
    assert (shapely.distance(farms, land) >= 250.0).all()  # off the beach


def test_areas_overlap_neither_each_other_nor_the_habitats(located, demo_parts):
    farms = located.to_crs(AREA_CRS).geometry.to_numpy()
    tree = shapely.STRtree(farms)
    pairs = tree.query(farms, predicate="intersects")
    assert (pairs[0] == pairs[1]).all()  # each meets itself only
    for layer in ("mangroves", "habitats"):
        patches = shapely.union_all(demo_parts[layer].to_crs(AREA_CRS).geometry.to_numpy())
        assert not shapely.intersects(farms, patches).any(), layer


def test_yield_table_reads_cleanly_against_the_layer(written, located):
    csv = written / "mariculture_yields.csv"
    assert pd.read_csv(csv, encoding="utf-8-sig", nrows=0).columns.tolist() == YIELD_COLUMNS  # 中文 headers
    counties = aoi.load_counties()["adcode"].tolist()
    yields = read_yields(csv, areas=located, counties=counties, groups=MaricultureFactors.from_layers().groups)
    assert set(yields["year"]) == {SURVEY_YEAR - 1, SURVEY_YEAR}
    by_area = yields[yields["area_id"].notna()]
    for year in (SURVEY_YEAR - 1, SURVEY_YEAR):  # every area once a year, plus rows per county
        assert sorted(by_area.loc[by_area["year"] == year, "area_id"]) == sorted(located["area_id"])
    per_county = yields[yields["area_id"].isna()]
    assert len(per_county) >= 2 and set(per_county["county"]) == {CITY_DISTRICT, LUFENG}
    assert pd.read_csv(csv, encoding="utf-8-sig")["备注"].str.contains("SYNTHETIC").all()


def test_survey_year_harvest_is_plausible_for_the_farms(written, located):
    yields = read_yields(written / "mariculture_yields.csv", areas=located)
    now = yields[yields["year"] == SURVEY_YEAR]
    assert now.groupby("county")["harvest_t"].sum().to_dict() == HARVEST_T
    per_ha = now.merge(located[["area_id", "area_ha", "mariculture_group"]], on=["area_id", "mariculture_group"])
    per_ha = per_ha["harvest_t"] / per_ha["area_ha"]  # t wet/ha/yr
    assert per_ha.between(3, 60).all()
    oyster = now[now["mariculture_group"] == "牡蛎"].merge(located[["area_id", "area_ha"]], on="area_id")
    assert 15 < oyster["harvest_t"].sum() / oyster["area_ha"].sum() < 40  # cf. ≈ 33 t/ha of a Shanwei oyster ranch


def test_the_builder_is_deterministic(demo_parts):
    again = make_mariculture(aoi.load_land(), aoi.load_counties(), aoi.load_sites(), SEED,
                             avoid=(demo_parts["mangroves"], demo_parts["habitats"]))
    assert again.geom_equals_exact(demo_parts["farms"], tolerance=0).all()
    assert again.drop(columns="geometry").equals(demo_parts["farms"].drop(columns="geometry"))


@pytest.mark.slow
def test_the_demo_writes_both_labelled_synthetic(demo_survey, demo_parts, written):
    inputs = demo_survey / "inputs"
    assert "SYNTHETIC" in pyogrio.read_info(inputs / "mariculture.gpkg")["layer_metadata"]["DESCRIPTION"]
    demo = gpd.read_file(inputs / "mariculture.gpkg")
    assert demo.drop(columns="geometry").equals(gpd.read_file(written / "mariculture.gpkg").drop(columns="geometry"))
    assert (inputs / "mariculture_yields.csv").read_bytes() == (written / "mariculture_yields.csv").read_bytes()
    readme = (inputs / "README.txt").read_text(encoding="utf-8")
    assert "mariculture.gpkg" in readme and "mariculture_yields.csv" in readme
