"""GCJ-02 ↔ WGS84: forward formula values, inverse accuracy, vectorisation, geometries."""

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from sinkmap.readers.gcj02 import gcj02_to_wgs84, gcj02_to_wgs84_geometry, wgs84_to_gcj02

GEOD = Geod(ellps="WGS84")


def test_forward_offset_at_chengqu():
    # 城区 22.786N 115.375E: Δlon ≈ +0.00494°, Δlat ≈ −0.00264° (public forward formula).
    lon, lat = wgs84_to_gcj02(115.375, 22.786)
    assert lon - 115.375 == pytest.approx(0.00494, abs=2e-5)
    assert lat - 22.786 == pytest.approx(-0.00264, abs=2e-5)


def test_forward_offset_at_city_centre():
    lon, lat = wgs84_to_gcj02(115.5, 22.9)
    assert lon - 115.5 == pytest.approx(0.004757, abs=1e-6)
    assert lat - 22.9 == pytest.approx(-0.002761, abs=1e-6)


def test_forward_offset_at_origin_by_hand():
    # At (105°E, 35°N) every sine term vanishes: raw offsets are −100 (lat) and +300 (lon),
    # then scaled to degrees on the Krasovsky ellipsoid.
    a, ee = 6378245.0, 0.00669342162296594323
    magic = 1 - ee * math.sin(math.radians(35.0)) ** 2
    dlat = -100.0 * 180.0 / (a * (1 - ee) / magic**1.5 * math.pi)
    dlon = 300.0 * 180.0 / (a / math.sqrt(magic) * math.cos(math.radians(35.0)) * math.pi)
    lon, lat = wgs84_to_gcj02(105.0, 35.0)
    assert lon - 105.0 == pytest.approx(dlon, abs=1e-12)
    assert lat - 35.0 == pytest.approx(dlat, abs=1e-12)


def _shanwei_grid():
    lon, lat = np.meshgrid(np.linspace(114.9, 116.25, 28), np.linspace(22.6, 23.5, 19))
    return lon, lat


def test_round_trip_error_below_1e9_degrees():
    w_lon, w_lat = _shanwei_grid()
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(w_lon, w_lat))
    assert np.max(np.abs(back_lon - w_lon)) < 1e-9
    assert np.max(np.abs(back_lat - w_lat)) < 1e-9


def test_inverse_shifts_540_to_600_m_to_the_wnw():
    g_lon, g_lat = _shanwei_grid()
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    azimuth, _, dist = GEOD.inv(g_lon.ravel(), g_lat.ravel(), w_lon.ravel(), w_lat.ravel())
    assert dist.min() > 540 and dist.max() < 600
    azimuth = np.mod(azimuth, 360)
    assert azimuth.min() > 285 and azimuth.max() < 315  # WNW ≈ 292.5°, NW = 315°


def test_vectorised_keeps_shape_and_matches_scalars():
    lon, lat = _shanwei_grid()
    out_lon, out_lat = gcj02_to_wgs84(lon, lat)
    assert out_lon.shape == lon.shape == out_lat.shape
    one_lon, one_lat = gcj02_to_wgs84(lon[3, 5], lat[3, 5])
    assert float(one_lon) == out_lon[3, 5] and float(one_lat) == out_lat[3, 5]


def test_geometry_conversion_moves_vertices_and_keeps_validity():
    poly = shapely.Polygon([(115.3, 22.8), (115.4, 22.8), (115.4, 22.9), (115.3, 22.9)])
    ring_with_hole = shapely.Polygon(
        poly.exterior.coords, [[(115.33, 22.83), (115.36, 22.83), (115.36, 22.86), (115.33, 22.86)]]
    )
    out = gcj02_to_wgs84_geometry(np.array([poly, ring_with_hole]))
    assert out.shape == (2,)
    assert shapely.is_valid(out).all()
    assert shapely.get_num_coordinates(out).tolist() == [5, 10]
    lon, lat = gcj02_to_wgs84(115.3, 22.8)
    x, y = shapely.get_coordinates(out[0])[0]
    assert (x, y) == (pytest.approx(float(lon), abs=1e-12), pytest.approx(float(lat), abs=1e-12))
    single = gcj02_to_wgs84_geometry(poly)
    assert isinstance(single, shapely.Polygon) and single.is_valid


def _to_gcj02(frame):
    return frame.set_geometry(shapely.transform(
        frame.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))))


def test_a_layer_cut_along_the_county_lines_is_recognised_as_gcj02_and_true_data_is_not():
    from sinkmap import aoi
    from sinkmap.readers.gcj02_check import MIN_SHARE, gcj02_evidence

    counties = aoi.load_counties().to_crs(4326)
    true = gcj02_evidence(counties)
    assert true.on_line_as_read == true.vertices > 1000 and not true.looks_gcj02  # every vertex on its own line
    shifted = gcj02_evidence(_to_gcj02(counties))  # ≈ 570 m ESE: off the lines until converted back
    assert shifted.on_line_if_gcj02 == shifted.vertices and shifted.looks_gcj02
    assert shifted.on_line_as_read * 5 < shifted.on_line_if_gcj02
    # Scattered patches that do not follow the lines give no evidence: no warning either way
    patches = gpd.GeoDataFrame(geometry=[shapely.Point(115.2 + 0.01 * i, 23.0).buffer(0.002) for i in range(30)],
                               crs=4326)
    assert not gcj02_evidence(_to_gcj02(patches)).looks_gcj02 and MIN_SHARE > 0


def test_reading_a_gcj02_layer_warns_and_names_the_declaration(tmp_path):
    from sinkmap import aoi
    from sinkmap.errors import SinkmapWarning
    from sinkmap.pipelines.map import read_map_layer

    path = tmp_path / "counties_amap.geojson"
    _to_gcj02(aoi.load_counties().to_crs(4326)[["adcode", "geometry"]]).to_file(path)
    with pytest.warns(SinkmapWarning, match=r"counties_amap.geojson: looks like GCJ-02.*declare it \(--gcj02\)"):
        read_map_layer(path)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # declared: converted, no warning
        layer = read_map_layer(path, gcj02=True)
    back = layer.frame.to_crs(4490).geometry.iloc[0]
    assert back.symmetric_difference(aoi.load_counties().geometry.iloc[0]).area < 1e-8  # °², ≈ 0.1 m²
