"""Readers: every bad input gets one clear error naming the file; inputs are never modified."""

import hashlib
import warnings

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio.transform
from shapely.geometry import LineString, Polygon, box

from sinkmap.crs import AREA_CRS, area_m2
from sinkmap.errors import CRSError, InputError, MissingInputError, SchemaError, SinkmapWarning
from sinkmap.readers.gcj02 import wgs84_to_gcj02
from sinkmap.readers.raster import check_landcover
from sinkmap.readers.vector import read_layer
from tests.conftest import LC4X4, write_raster


def stands(n=2, **overrides) -> gpd.GeoDataFrame:
    data = {
        "stand_id": [f"S{i}" for i in range(1, n + 1)],
        "land_class": ["arbor"] * n,
        "species_group": ["masson_pine"] * n,
        "origin": ["natural"] * n,
        "canopy_closure": [0.5] * n,
        "volume_per_ha": [60.0] * n,
    }
    data.update(overrides)
    geoms = [box(115.30 + 0.01 * i, 22.90, 115.305 + 0.01 * i, 22.905) for i in range(n)]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=4490)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reads_gpkg_shapefile_geojson_parquet_identically(tmp_path):
    frame = stands()
    paths = [tmp_path / "s.gpkg", tmp_path / "s.shp", tmp_path / "s.geojson", tmp_path / "s.parquet"]
    for path in paths[:3]:
        pyogrio.write_dataframe(frame, path)
    frame.to_parquet(paths[3])
    results = [read_layer(p, "stands") for p in paths]
    for result in results:
        assert result.crs.to_epsg() == 4490
        assert list(result["stand_id"]) == ["S1", "S2"]
        assert result["volume_per_ha"].tolist() == [60.0, 60.0]


def test_projected_input_is_reprojected_and_keeps_its_area(tmp_path):
    frame = stands()
    expected = area_m2(frame.geometry)
    path = tmp_path / "gk.gpkg"
    pyogrio.write_dataframe(frame.to_crs(4547), path)  # CGCS2000 / 3-degree GK CM 114E
    result = read_layer(path, "stands")
    assert result.crs.to_epsg() == 4490
    np.testing.assert_allclose(area_m2(result.geometry), expected, rtol=1e-6)


def test_input_file_is_not_modified(tmp_path):
    path = tmp_path / "s.gpkg"
    pyogrio.write_dataframe(stands(), path)
    before = digest(path)
    read_layer(path, "stands")
    assert digest(path) == before


def test_missing_file():
    with pytest.raises(MissingInputError, match=r"nowhere\.gpkg: file not found\. Check the path"):
        read_layer("nowhere.gpkg", "stands")


def test_corrupt_file(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"this is not a geopackage")
    with pytest.raises(InputError, match=r"broken\.gpkg: cannot be read as a vector layer"):
        read_layer(path, "stands")


def test_no_crs(tmp_path):
    path = tmp_path / "nocrs.shp"
    pyogrio.write_dataframe(stands(), path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"nocrs\.shp: has no coordinate reference system.*never guesses"):
        read_layer(path, "stands")


def test_empty_layer(tmp_path):
    path = tmp_path / "empty.gpkg"
    pyogrio.write_dataframe(stands().iloc[:0], path, layer="stands")
    with pytest.raises(InputError, match=r"empty\.gpkg: layer has no features"):
        read_layer(path, "stands")


def test_several_layers_need_a_choice_unless_one_is_named_like_the_kind(tmp_path):
    path = tmp_path / "many.gpkg"
    pyogrio.write_dataframe(stands(), path, layer="a")
    pyogrio.write_dataframe(stands(), path, layer="b")
    with pytest.raises(InputError, match=r"has 2 layers \(a, b\)\. Say which one"):
        read_layer(path, "stands")
    assert len(read_layer(path, "stands", layer="b")) == 2
    with pytest.raises(InputError, match=r"has no layer 'c'.*Layers in this file: a, b"):
        read_layer(path, "stands", layer="c")
    pyogrio.write_dataframe(stands(3), path, layer="stands")
    assert len(read_layer(path, "stands")) == 3


def test_non_polygon_geometries_are_refused(tmp_path):
    frame = stands()
    frame.geometry = [LineString([(115.3, 22.9), (115.31, 22.91)]), frame.geometry.iloc[1]]
    path = tmp_path / "lines.gpkg"
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(SchemaError, match="geometries must be polygons, found LineString"):
        read_layer(path, "stands")


def test_invalid_polygon_is_repaired_with_a_warning(tmp_path):
    frame = stands()
    bowtie = Polygon([(115.30, 22.90), (115.31, 22.91), (115.31, 22.90), (115.30, 22.91)])
    frame.geometry = [bowtie, frame.geometry.iloc[1]]
    path = tmp_path / "bowtie.gpkg"
    pyogrio.write_dataframe(frame, path)
    with pytest.warns(SinkmapWarning, match=r"repaired 1 invalid polygons \(S1\)"):
        result = read_layer(path, "stands")
    assert result.geometry.is_valid.all()
    # the bow-tie's two triangles each cover a quarter of the 0.01° square
    square = area_m2(gpd.GeoSeries([box(115.30, 22.90, 115.31, 22.91)], crs=4490))[0]
    assert area_m2(result.geometry)[0] == pytest.approx(square / 2, rel=1e-3)


def test_declared_gcj02_layer_moves_back_about_570_m(tmp_path):
    frame = stands(1)
    lon, lat = 115.3025, 22.9025  # the stand's centre in WGS84 / CGCS2000
    glon, glat = wgs84_to_gcj02(lon, lat)
    shifted = frame.copy()
    shifted.geometry = shifted.geometry.translate(float(glon - lon), float(glat - lat))
    path = tmp_path / "gaode.gpkg"
    pyogrio.write_dataframe(shifted.set_crs(4326, allow_override=True), path)
    as_is = read_layer(path, "stands")
    converted = read_layer(path, "stands", gcj02=True)
    truth = frame.to_crs(AREA_CRS).centroid.iloc[0]
    assert as_is.to_crs(AREA_CRS).centroid.iloc[0].distance(truth) == pytest.approx(575, abs=25)
    assert converted.to_crs(AREA_CRS).centroid.iloc[0].distance(truth) < 1.0


def test_gcj02_declared_on_projected_data_is_refused(tmp_path):
    path = tmp_path / "gk.gpkg"
    pyogrio.write_dataframe(stands().to_crs(4547), path)
    with pytest.raises(CRSError, match="declared GCJ-02 but its CRS is EPSG:4547"):
        read_layer(path, "stands", gcj02=True)


def test_landcover_codes_must_be_in_the_preset(lc4x4, tmp_path):
    assert check_landcover(lc4x4, "worldcover").tolist() == [10, 20, 40, 95]
    with pytest.raises(SchemaError, match=r"class codes \[10, 20, 40, 95\] are not in the 'clcd' preset"):
        check_landcover(lc4x4, "clcd")


def test_raster_errors(tmp_path):
    with pytest.raises(MissingInputError, match="raster not found"):
        check_landcover(tmp_path / "none.tif", "worldcover")
    bad = tmp_path / "bad.tif"
    bad.write_text("not a tiff")
    with pytest.raises(InputError, match=r"bad\.tif: cannot be read as a raster"):
        check_landcover(bad, "worldcover")
    # float32 class codes (an ArcGIS/QGIS export) are read as the integers they hold
    floats = write_raster(tmp_path / "float.tif", LC4X4.astype("float32"))
    assert check_landcover(floats, "worldcover").tolist() == [10, 20, 40, 95]
    fractional = write_raster(tmp_path / "fractional.tif", LC4X4.astype("float32") + np.float32(0.5))
    with pytest.raises(SchemaError, match=r"fractional\.tif: class raster holds 10\.5, which is not a whole class "
                                          r"code \(float32\)\. Round it \(np\.round\)"):
        check_landcover(fractional, "worldcover")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's NotGeoreferencedWarning for the CRS-less file
        nocrs = write_raster(tmp_path / "nocrs.tif", LC4X4, crs=None)
    with pytest.raises(CRSError, match=r"nocrs\.tif: has no coordinate reference system"):
        check_landcover(nocrs, "worldcover")


def test_a_crs_that_lies_is_refused(tmp_path):
    """Stands digitised in lon/lat but labelled EPSG:4547 (a .prj copied from another delivery) land near
    the equator 500 km west of the central meridian; read as they are, they gave a stock of 0 and a sink
    of −1.8 M t CO₂e/yr. The reverse (GK metres labelled CGCS2000 degrees) cannot be degrees at all."""
    lonlat = stands()
    lying = tmp_path / "lying.gpkg"
    pyogrio.write_dataframe(lonlat.set_crs(4547, allow_override=True), lying)
    with pytest.raises(CRSError, match=r"lying\.gpkg: its coordinates \(115\.3, 22\.9 … 115\.315, 22\.905\) lie "
                                       r"far outside the area of use of its CRS EPSG:4547 .*look like longitude/lat"):
        read_layer(lying, "stands")
    metres = tmp_path / "metres.gpkg"
    pyogrio.write_dataframe(lonlat.to_crs(4547).set_crs(4490, allow_override=True), metres)
    with pytest.raises(CRSError, match=r"metres\.gpkg: its CRS is EPSG:4490 \(degrees\) but its coordinates .* are "
                                       r"not longitude/latitude"):
        read_layer(metres, "stands")
    # a land-cover raster with the same mistake
    raster = write_raster(tmp_path / "lc.tif", LC4X4, crs="EPSG:4547",
                          transform=rasterio.transform.from_origin(115.3, 22.9, 0.0003, 0.0003))
    with pytest.raises(CRSError, match=r"lc\.tif: its coordinates .* lie far outside the area of use"):
        check_landcover(raster, "worldcover")


def test_features_far_from_every_county_are_refused_even_with_a_county_code():
    from sinkmap import aoi
    from sinkmap.readers.vector import assign_units

    counties = aoi.load_counties()
    frame = stands(3, county=["441521", "441521", "441521"])  # 海丰县 codes
    frame.loc[2, "geometry"] = box(113.30, 22.90, 113.305, 22.905)  # ≈ 200 km west: another city
    with pytest.raises(SchemaError, match=r"field 'county': 1 features lie more than 2 km from every county of the "
                                          r"AOI, though they carry a county code \(S3\)"):
        assign_units(frame, counties, id_field="stand_id", path="stands.gpkg")
    assert assign_units(frame.iloc[:2], counties, id_field="stand_id")["county"].tolist() == ["441521", "441521"]


def test_a_stand_larger_than_its_county_is_refused():
    """A stand the size of the province (gave a forest cover of 9,558 %) is an error naming it."""
    from sinkmap import aoi
    from sinkmap.readers.vector import assign_units, refuse_larger_than_units

    counties = aoi.load_counties()
    frame = stands(2)
    frame.loc[1, "geometry"] = box(114.5, 22.5, 116.5, 23.5)  # 2° × 1°: ≈ 2.3 M ha, beyond any county
    frame = assign_units(frame, counties, id_field="stand_id")
    county_ha = area_m2(counties.set_index("adcode").geometry)[counties["adcode"].tolist().index(
        frame.loc[1, "county"])] / 1e4
    with pytest.raises(SchemaError, match=rf"stands\.gpkg: 1 features are larger than their whole county: S2 "
                                          rf"\([\d,]+ ha > {county_ha:,.0f} ha\)"):
        refuse_larger_than_units(frame, counties, id_field="stand_id", path="stands.gpkg")
    refuse_larger_than_units(frame.iloc[:1], counties, id_field="stand_id")  # a 0.5 × 0.5 km stand passes


def test_nearest_units_is_sjoin_nearest_with_points_inside_one_unit_found_first():
    """Two 10 × 10 km squares side by side (x 0–10 and 10–20 km): a point inside one, on their shared edge,
    1 km beyond the east edge (nearest B, 1,000 m) and 5 km beyond it (none within 2 km). nearest_units
    takes the first branch for the inside point only; every row equals geopandas.sjoin_nearest's first match."""
    import pandas as pd
    from shapely.geometry import Point

    from sinkmap.readers.vector import nearest_units

    zones = gpd.GeoDataFrame({"adcode": ["A", "B"]}, crs=AREA_CRS,
                             geometry=[box(0, 0, 10_000, 10_000), box(10_000, 0, 20_000, 10_000)])
    points = gpd.GeoDataFrame(geometry=[Point(5_000, 5_000), Point(10_000, 5_000), Point(21_000, 5_000),
                                        Point(25_000, 5_000)], crs=AREA_CRS, index=[7, 3, 9, 1])
    found = nearest_units(points, zones, "adcode", 2_000.0)
    expected = gpd.sjoin_nearest(points, zones, how="left", max_distance=2_000.0, distance_col="distance_m")
    expected = expected[~expected.index.duplicated()][["adcode", "distance_m"]]
    pd.testing.assert_frame_equal(found, expected)
    assert found["adcode"].tolist()[:3] == ["A", "A", "B"] and pd.isna(found["adcode"].iloc[3])  # edge: first of A, B
    assert found["distance_m"].tolist()[:3] == [0.0, 0.0, 1_000.0]


@pytest.mark.parametrize("suffix", ["gpkg", "shp"])
def test_a_layer_read_in_parts_is_the_layer_read_at_once(tmp_path, monkeypatch, suffix):
    """Above READ_PART features a GDAL format is read READ_PART at a time (10⁶ stands: peak 1.48 → 0.90 GB).
    With parts of 3, 10 stands give the frame one read gives, also for an integer and a boolean field whose
    only empty value lies in the last part (GDAL reads such a field as float, NaN, in that part alone: the
    parts would join as float and bool → object) and Chinese text in a GBK Shapefile. Their counties,
    assigned 3 points at a time, are those of one pass."""
    import pandas as pd

    from sinkmap import aoi
    from sinkmap.readers import vector

    frame = stands(10, 树种=[f"马尾松{i}" for i in range(10)], rows=pd.array([*range(9), None], dtype="Int64"),
                   checked=pd.array([True, False] * 4 + [True, None], dtype="boolean"))
    path = tmp_path / f"stands.{suffix}"
    frame.to_file(path, **({"encoding": "GBK"} if suffix == "shp" else {}))
    whole, _ = vector.read_frame(path)
    assert whole["rows"].dtype == whole["checked"].dtype == "float64"  # one read: float with NaN
    counties = aoi.load_counties()
    at_once = vector.assign_units(whole, counties, id_field="stand_id")
    monkeypatch.setattr(vector, "READ_PART", 3)
    parts, _ = vector.read_frame(path)
    pd.testing.assert_frame_equal(parts, whole, check_exact=True)
    assert parts["树种"].tolist() == [f"马尾松{i}" for i in range(10)]
    pd.testing.assert_frame_equal(vector.assign_units(parts, counties, id_field="stand_id"), at_once, check_exact=True)
    assert at_once["county"].notna().all()
