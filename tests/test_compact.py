"""Display geometry for the web map: zoom-tied tolerance, shared borders, the compact encoding."""

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from sinkmap.writers.compact import detail_zoom, display_frame, encode, pixel_degrees


def test_pixel_size_follows_the_web_mercator_tile_pyramid():
    assert pixel_degrees(0, 0.0) == 360 / 256  # one 256-px tile spans the 360° world at zoom 0
    # zoom 15 at 60°N: 360 / (256 · 2¹⁵) · cos 60° = 4.291534e-05 · 0.5
    assert pixel_degrees(15, 60.0) == pytest.approx(360 / (256 * 32768) * 0.5, rel=1e-12)


def test_detail_zoom_makes_the_median_feature_64_pixels_wide():
    # 0.005° squares: 64 px wide when 360 · 64 / (256 · 2^z) ≤ 0.005, i.e. 2^z ≥ 18,000, z = ⌈14.14⌉ = 15
    stands = gpd.GeoDataFrame(geometry=[box(115 + 0.01 * i, 22.8, 115.005 + 0.01 * i, 22.805) for i in range(3)],
                              crs=4326)
    assert detail_zoom(stands) == 15
    counties = gpd.GeoDataFrame(geometry=[box(115, 22.5, 115.5, 23.0)], crs=4326)
    assert detail_zoom(counties) == 12  # 2^z ≥ 180 gives 8: raised to the minimum, 12
    assert detail_zoom(gpd.GeoDataFrame(geometry=[Point(115, 22.8)], crs=4326)) == 18  # points: the maximum


def test_shared_borders_stay_shared_after_simplification():
    # Two polygons sharing a wavy border (200 vertices, waves of 1.5 and 0.3 × the tolerance):
    # simplified one by one (Douglas-Peucker per ring) the two sides keep different vertices and
    # open gaps (≈ 1e-6 °² here); simplified as a coverage they keep the same ones.
    tolerance = pixel_degrees(12, 22.81) / 2  # half a pixel at zoom 12 ≈ 1.6e-4° ≈ 17 m
    xs = np.linspace(115.0, 115.01, 201)
    ys = 22.8 + 1.5 * tolerance * np.sin(xs * 2 * np.pi / 0.002) + 0.3 * tolerance * np.sin(xs * 2 * np.pi / 0.00033)
    border = list(zip(xs, ys))
    south = Polygon([(115.0, 22.79), *border, (115.01, 22.79)])
    north = Polygon([(115.0, 22.81), *border, (115.01, 22.81)])
    alone = shapely.simplify(np.array([south, north]), tolerance, preserve_topology=True)
    assert south.area + north.area - shapely.union(*alone).area > 1e-7  # the gap a shared border avoids
    shown, step = display_frame(gpd.GeoDataFrame(geometry=[south, north], crs=4326), zoom=12)
    assert 2 * step == pytest.approx(tolerance)
    a, b = shown.geometry
    assert shapely.get_num_coordinates(a) < shapely.get_num_coordinates(south)  # simplified
    assert a.intersection(b).area == pytest.approx(0.0, abs=1e-15)
    assert a.union(b).area == pytest.approx(south.area + north.area, rel=1e-9)  # no gap: 0.01° × 0.02°


def test_overlapping_polygons_fall_back_to_simplifying_each():
    overlapping = gpd.GeoDataFrame(geometry=[box(115, 22.8, 115.01, 22.81), box(115.005, 22.8, 115.015, 22.81)],
                                   crs=4326)
    shown, _ = display_frame(overlapping, zoom=14)  # not a valid coverage: no coverage_simplify
    assert shapely.area(shown.geometry.to_numpy()).tolist() == pytest.approx(shapely.area(overlapping.geometry.to_numpy()).tolist())


def test_encoding_is_integer_deltas_on_the_grid_and_columns_store_repeats_once():
    frame = gpd.GeoDataFrame({"kind": ["a", "a", "a"], "id": ["x", "y", "z"]},
                             geometry=[box(0, 0, 1, 1), LineString([(0, 0), (1.5, 0.5)]), Point(2, 1)], crs=4326)
    doc = encode(frame, ["kind", "id"], step=0.5)
    assert doc["origin"] == [0.0, 0.0] and doc["step"] == 0.5
    # box(0,0,1,1) runs (1,0) (1,1) (0,1) (0,0) (1,0): on the 0.5 grid (2,0) (2,2) (0,2) (0,0) (2,0)
    assert doc["geometries"][0] == [4, [[2, 0, 0, 2, -2, 0, 0, -2, 2, 0]]]
    assert doc["geometries"][1] == [2, [0, 0, 3, 1]]  # (0,0) → (1.5,0.5) = (3,1) grid steps
    assert doc["geometries"][2] == [0, [4, 2]]
    assert doc["columns"][0] == {"dict": ["a"], "codes": [0, 0, 0]}  # repeated: stored once
    assert doc["columns"][1] == {"values": ["x", "y", "z"]}


def test_snapping_error_is_at_most_an_eighth_of_a_pixel():
    frame = gpd.GeoDataFrame(geometry=[box(115.30123, 22.80456, 115.31789, 22.81234)], crs=4326)
    shown, step = display_frame(frame, zoom=15)
    doc = encode(shown, [], step)
    x = y = 0
    decoded = []
    deltas = doc["geometries"][0][1][0]
    for dx, dy in zip(deltas[::2], deltas[1::2]):  # what sinkmapDecode does in the page
        x, y = x + dx, y + dy
        decoded.append((doc["origin"][0] + x * step, doc["origin"][1] + y * step))
    exact = shapely.get_coordinates(frame.geometry.iloc[0])
    error = max(math.dist(p, q) for p, q in zip(decoded, exact))
    assert error <= math.sqrt(2) * step / 2 + 1e-12  # half a grid step in x and in y
    assert step == pytest.approx(pixel_degrees(15, 22.81234) / 4)
