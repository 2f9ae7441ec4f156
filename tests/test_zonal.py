"""Zonal engine (centre and all-touched coverage): hand-computed fixtures and rasterstats parity."""

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterstats
from pyproj import Geod
from rasterio.transform import from_origin
from rasterio.windows import Window
from shapely.geometry import Polygon, box

from sinkmap.crs import AREA_CRS
from sinkmap.errors import InputError, SinkmapWarning
from sinkmap.zonal import zonal_stats
from sinkmap.zonal.cellarea import cell_areas, geographic_row_areas
from tests.conftest import write_raster

HA_PER_PIXEL = 30 * 30 / 10_000  # 900 m² = 0.09 ha


def classes_of(table, zone) -> dict:
    rows = table[table.iloc[:, 0] == zone]
    return {int(c): (p, a) for c, p, a in zip(rows["class"], rows["pixels"], rows["area_ha"])}


def test_two_squares_by_hand(lc4x4, two_squares):
    table = zonal_stats(lc4x4, two_squares, categorical=True, zone_field="name")
    assert list(table.columns) == ["name", "class", "pixels", "area_ha"]
    # A covers the 2×2 tree pixels: 4 px × 0.09 ha = 0.36 ha
    assert classes_of(table, "A") == {10: (4.0, pytest.approx(4 * HA_PER_PIXEL))}
    # B covers the 2×2 crop pixels (code 40)
    assert classes_of(table, "B") == {40: (4.0, pytest.approx(0.36))}


def test_continuous_stats_by_hand(lc4x4):
    zone = gpd.GeoDataFrame(geometry=[box(30, 0, 120, 60)], crs=AREA_CRS)  # bottom rows, columns 1–3
    table = zonal_stats(lc4x4, zone)
    # pixels 40, 95, (nodata), 40, 95, (nodata) → count 4, sum 270, mean 67.5
    row = table.iloc[0]
    assert (row["zone"], row["count"], row["sum"], row["mean"], row["min"], row["max"]) == (0, 4, 270, 67.5, 40, 95)


def test_polygon_with_a_hole(lc4x4):
    ring = box(0, 0, 120, 120).difference(box(30, 30, 90, 90))  # the hole holds the 4 inner pixel centres
    table = zonal_stats(lc4x4, gpd.GeoDataFrame(geometry=[ring], crs=AREA_CRS), categorical=True)
    # 16 − 4 (hole) − 2 (nodata in column 3, rows 2–3) = 10 pixels:
    # 10: (0,0),(0,1),(1,0); 20: (0,2),(0,3),(1,3); 40: (2,0),(3,0),(3,1); 95: (3,2)
    assert {c: p for c, (p, _) in classes_of(table, 0).items()} == {10: 3, 20: 3, 40: 3, 95: 1}


def test_multipolygon_counts_each_part(lc4x4):
    parts = box(0, 90, 30, 120).union(box(90, 0, 120, 30))  # top-left pixel (10) + bottom-right (nodata)
    parts = parts.union(box(60, 0, 90, 30))  # + bottom pixel in column 2 (95)
    table = zonal_stats(lc4x4, gpd.GeoDataFrame(geometry=[parts], crs=AREA_CRS), categorical=True)
    assert {c: p for c, (p, _) in classes_of(table, 0).items()} == {10: 1, 95: 1}


def test_polygon_partly_outside_the_raster(lc4x4):
    zone = gpd.GeoDataFrame(geometry=[box(-30, 60, 30, 120)], crs=AREA_CRS)  # only column 0, rows 0–1 inside
    table = zonal_stats(lc4x4, zone, categorical=True)
    assert classes_of(table, 0) == {10: (2.0, pytest.approx(0.18))}


def test_polygon_smaller_than_a_pixel(lc4x4):
    tiny_on_centre = box(14, 104, 16, 106)  # holds the centre (15, 105) of pixel (0,0)
    tiny_off_centre = box(1, 91, 3, 93)  # inside pixel (0,0) but away from its centre
    zones = gpd.GeoDataFrame({"id": ["on", "off"]}, geometry=[tiny_on_centre, tiny_off_centre], crs=AREA_CRS)
    centre = zonal_stats(lc4x4, zones, zone_field="id")
    assert centre["count"].tolist() == [1, 0]
    touched = zonal_stats(lc4x4, zones, zone_field="id", coverage="all_touched")
    assert touched["count"].tolist() == [1, 1]


def test_zone_outside_the_raster_warns_and_counts_zero(lc4x4):
    zones = gpd.GeoDataFrame({"id": ["in", "out"]}, geometry=[box(0, 0, 30, 30), box(500, 500, 600, 600)],
                             crs=AREA_CRS)
    with pytest.warns(SinkmapWarning, match="1 zones lie outside the raster.*out"):
        table = zonal_stats(lc4x4, zones, zone_field="id")
    assert table.set_index("id")["count"].to_dict() == {"in": 1, "out": 0}
    with pytest.warns(SinkmapWarning):
        categorical = zonal_stats(lc4x4, zones, zone_field="id", categorical=True)
    assert list(categorical["id"]) == ["in"]  # no rows for the outside zone


def test_zones_in_another_crs_are_reprojected_with_a_warning(lc4x4, two_squares):
    with pytest.warns(SinkmapWarning, match="zones reprojected"):
        table = zonal_stats(lc4x4, two_squares.to_crs(4490), categorical=True, zone_field="name")
    assert classes_of(table, "A") == {10: (4.0, pytest.approx(0.36))}


def test_strip_processing_matches_one_read(lc4x4, two_squares):
    ring = gpd.GeoDataFrame(geometry=[box(10, 10, 110, 110)], crs=AREA_CRS)
    whole = zonal_stats(lc4x4, ring, categorical=True)
    strips = zonal_stats(lc4x4, ring, categorical=True, max_cells=3)  # one row at a time
    assert whole.equals(strips)


def test_bad_arguments(lc4x4, two_squares):
    with pytest.raises(InputError, match="unknown coverage 'exact'"):
        zonal_stats(lc4x4, two_squares, coverage="exact")
    with pytest.raises(InputError, match="has no field 'county'.*Use one of: name"):
        zonal_stats(lc4x4, two_squares, zone_field="county")
    with pytest.raises(InputError, match="unknown statistics"):
        zonal_stats(lc4x4, two_squares, stats=("median",))


def test_geographic_cell_areas_match_the_geodesic_box():
    # one 0.1° cell at 115.3–115.4°E, 22.7–22.8°N: 11,374.2 ha on GRS80 (pyproj.Geod)
    geod = Geod(ellps="GRS80")
    expected = abs(geod.polygon_area_perimeter([115.3, 115.4, 115.4, 115.3], [22.8, 22.8, 22.7, 22.7])[0])
    area = geographic_row_areas(from_origin(115.3, 22.8, 0.1, 0.1), 1, AREA_CRS.geodetic_crs)[0]
    assert area == pytest.approx(expected, rel=1e-6)
    assert area / 1e4 == pytest.approx(11374.2, abs=0.1)


def test_web_mercator_cells_get_their_true_area_not_the_nominal_one():
    # a 1 km Mercator cell near 22.8°N covers about cos²(22.8°) ≈ 0.85 km² on the ground
    transform = from_origin(12_835_000, 2_607_000, 1000, 1000)
    area = cell_areas(transform, 10, 1, "EPSG:3857").window(Window(5, 0, 1, 1))[0, 0]  # the middle cell
    assert area == pytest.approx(1e6 * np.cos(np.radians(22.8)) ** 2, rel=0.01)


def test_geographic_raster_class_areas_sum_to_the_geodesic_polygon_area(tmp_path):
    res = 1 / 3600  # 1″ pixels over a 0.05° square
    data = np.where(np.add.outer(np.arange(180), np.arange(180)) % 7 == 0, 20, 10).astype("uint8")
    path = write_raster(tmp_path / "geo.tif", data, crs="EPSG:4490", transform=from_origin(115.30, 22.85, res, res))
    polygon = Polygon([(115.305, 22.805), (115.345, 22.81), (115.34, 22.845), (115.31, 22.84)])
    table = zonal_stats(path, gpd.GeoDataFrame(geometry=[polygon], crs=4490), categorical=True)
    lon, lat = polygon.exterior.xy
    geodesic_ha = abs(Geod(ellps="GRS80").polygon_area_perimeter(lon, lat)[0]) / 1e4
    assert table["area_ha"].sum() == pytest.approx(geodesic_ha, rel=0.005)


def random_raster(tmp_path):
    rng = np.random.default_rng(7)
    data = rng.choice(np.array([0, 10, 20, 40, 95], dtype="uint8"), size=(60, 80))
    return write_raster(tmp_path / "random.tif", data)


def assert_counts_equal_rasterstats(path, zones, coverage):
    """Per-zone class counts of sinkmap and of rasterstats on the same raster and zones."""
    ours = zonal_stats(path, zones, categorical=True, coverage=coverage)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = rasterstats.zonal_stats(zones, str(path), categorical=True, nodata=0,
                                         all_touched=coverage == "all_touched")
    for zone, expected in enumerate(theirs):
        got = {c: int(p) for c, (p, _) in classes_of(ours, zone).items()}
        assert got == {int(k): v for k, v in expected.items()}


def test_centre_counts_equal_rasterstats(tmp_path):
    path = random_raster(tmp_path)
    zones = gpd.GeoDataFrame(
        geometry=[Polygon([(100, 100), (1500, 300), (2100, 1600), (700, 1700)]),
                  box(0, 0, 2400, 1800).difference(box(600, 600, 1200, 1200)), box(1205, 5, 1215, 15)],
        crs=AREA_CRS,
    )
    assert_counts_equal_rasterstats(path, zones, "center")


def test_all_touched_counts_equal_rasterstats_in_general_position(tmp_path):
    """No edge through a cell corner or along a cell side: both rules then pick the same cells."""
    path = random_raster(tmp_path)
    zones = gpd.GeoDataFrame(
        geometry=[Polygon([(101, 103), (1501, 307), (2101, 1609), (701, 1707)]),
                  box(1, 2, 2399, 1797).difference(box(601, 602, 1201, 1202)), box(1205, 5, 1215, 15)],
        crs=AREA_CRS,
    )
    assert_counts_equal_rasterstats(path, zones, "all_touched")


def test_all_touched_ignores_contact_without_area(lc4x4):
    # Triangle (0,90), (60,90), (0,30): hypotenuse y = x + 30 runs through the cell corners (30,60)
    # and (60,90). Covered area per cell (30 m cells, row 0 on top):
    #   (1,0) x 0–30, y 60–90: whole cell → 1;   (1,1) and (2,0): half-cell triangles → 0.5 each;
    #   (2,1) and (1,2) meet it in one point, row 0 along its top edge: no area → not counted.
    triangle = gpd.GeoDataFrame(geometry=[Polygon([(0, 90), (60, 90), (0, 30)])], crs=AREA_CRS)
    fraction = zonal_stats(lc4x4, triangle, coverage="fraction")
    assert fraction["count"].iloc[0] == pytest.approx(1 + 0.5 + 0.5)  # = 1,800 m² / 900 m²
    touched = zonal_stats(lc4x4, triangle, categorical=True, coverage="all_touched")
    assert {c: p for c, (p, _) in classes_of(touched, 0).items()} == {10: 2.0, 40: 1.0}


def test_threads_share_an_open_dataset_without_a_wrong_read(tmp_path):
    """A caller's open dataset is read by one thread at a time: four threads reading one GDAL handle at
    once (before) failed with 'cannot be read … the file is damaged' on a sound file, or counted wrong."""
    import rasterio
    import shapely

    rng = np.random.default_rng(0)
    path = tmp_path / "tiled.tif"
    with rasterio.open(path, "w", driver="GTiff", width=400, height=400, count=1, dtype="uint8", crs=AREA_CRS,
                       transform=from_origin(0, 12_000, 30, 30), nodata=0, tiled=True, blockxsize=64, blockysize=64,
                       compress="deflate") as dst:  # small compressed tiles: many reads decoding at once
        dst.write(rng.integers(1, 10, (400, 400), dtype="uint8"), 1)
    zones = gpd.GeoDataFrame({"id": range(400)}, crs=AREA_CRS,
                             geometry=[shapely.Point(xy).buffer(600) for xy in rng.uniform(0, 12_000, (400, 2))])
    kwargs = {"categorical": True, "coverage": "fraction", "zone_field": "id", "max_cells": 20_000}
    serial = zonal_stats(path, zones, workers=1, **kwargs)
    for _ in range(3):
        with rasterio.open(path) as dataset:
            pd.testing.assert_frame_equal(zonal_stats(dataset, zones, workers=4, **kwargs), serial)
