"""rasterstats' own zonal test suite, ported: its asserted numbers must hold for sinkmap too.

Source: python-rasterstats 0.21.0 ``tests/test_zonal.py`` (the PyPI sdist; the git mirror has no
0.21.0 tag, and its newest commit e51b48a62e3a, 2025-11-17, has the same file less the last test,
test_zonal_stats_chunk_size_stats), BSD-3-Clause; fixtures in ``data/rasterstats`` (see
``data/README.md``).

Mapping: rasterstats' default rule (cell centre inside) is ``coverage="center"``, its
``all_touched=True`` is ``coverage="all_touched"``; its categorical ``{class: count}`` is sinkmap's
``categorical=True`` ``pixels`` per (zone, class) row (centre mode). Its ``nodata=`` argument is
reproduced by a copy of the raster with that nodata value (or a DataArray's nodata), an ndarray with
``affine=`` by a rioxarray DataArray with the raster's CRS.

Every ported assert names its peer test and keeps the peer's literal number and tolerance.
"asserts" counts the peer test's assert statements plus its ``pytest.raises`` / ``deprecated_call``
/ ``pytest.fail`` checks (131 in all); "ported" how many of them have a counterpart here (55).

=====================================  =======  ======  ==============================================
peer test                              asserts  ported  how, or why not
=====================================  =======  ======  ==============================================
test_main                              5        5       centre counts 75/50, mean 14.66
test_band_alias                        2        1       band=1 == default; band_num alias: n/a
test_zonal_global_extent               1        1       one read (default) == many small reads (max_cells)
test_zonal_nodata                      3        3       nodata=0: copy of slope.tif with nodata 0
test_doesnt_exist                      1        1       ValueError (sinkmap MissingInputError is one)
test_nonsense                          3        3       ValueError / OSError / ValueError, same types
test_points                            4        0       points: sinkmap zones must be polygons
test_points_categorical                4        0       points: idem
test_lines                             3        0       lines: idem
test_multipolygons                     2        2       count 125 (.prj says WGS 84 but coordinates are
                                                        the raster's Albers metres: CRS set to the raster's)
test_multilines                        2        0       lines: sinkmap zones must be polygons
test_multipoints                       2        0       points: idem
test_categorical                       3        3       slope_classes.tif (float32 class codes)
test_categorical_map                   4        0       category_map (renaming keys): no zonal_stats
                                                        equivalent; its numbers repeat test_categorical
test_specify_stats_list                2        2       stats=("min", "max") → only those columns
test_specify_all_stats                 2        0       "ALL"/"*": sinkmap has 5 of the 13 statistics
test_specify_stats_string              2        0       space-separated string form: not sinkmap's API
test_specify_stats_invalid             1        1       unknown statistic → ValueError (InputError)
test_optional_stats                    1        0       median, majority, std: not in sinkmap
test_range                             3        0       range: not in sinkmap
test_nodata                            5        3       counts 0 / 49 and no class 1 (categorical
                                                        pixels, nodata 1.0 copy); majority / minority:
                                                        not in sinkmap
test_dataset_mask                      2        2       counts 75 / 0 (see the extra mask test below)
test_partial_overlap                   1        1       every count > 0
test_no_overlap                        1        1       every count == 0
test_all_touched                       2        2       all-touched counts 95 / 73
test_ndarray_without_affine            1        1       bare ndarray refused with ValueError (InputError)
test_ndarray                           7        3       DataArray == path (within 1e-5), zone 0 ≠ zone 1
                                                        (the peer's raises(AssertionError)), 75 / 50;
                                                        its 4 point asserts: points, n/a
test_alias                             2        0       raster_stats alias: n/a
test_add_stats                         1        0       add_stats: n/a
test_add_stats_prop                    1        0       add_stats: n/a
test_add_stats_prop_and_array          2        0       add_stats: n/a
test_mini_raster                       1        0       raster_out: n/a
test_percentile_good                   4        0       percentiles, median: not in sinkmap
test_zone_func_has_return              3        0       zone_func: n/a
test_zone_func_good                    3        0       zone_func: n/a
test_zone_func_bad                     1        0       zone_func: n/a
test_percentile_nodata                 2        0       percentiles: not in sinkmap
test_percentile_bad                    1        1       "percentile_101" refused with ValueError
                                                        (sinkmap refuses every percentile)
test_json_serializable                 1        0       sinkmap returns a DataFrame, not JSON dicts
test_direct_features_collections       1        1       path == GeoDataFrame (features/collections: n/a)
test_all_nodata                        4        2       counts 0 / 0; nodata counts: not in sinkmap
test_some_nodata                       4        2       counts 39 / 31; nodata counts: idem
test_nan_nodata                        5        4       count, mean, min, max; nodata count: idem
test_some_nodata_ndarray               6        4       min/count without and with nodata; nodata
                                                        counts: not in sinkmap
test_transform                         2        0       deprecated transform= argument: n/a
test_prefix                            2        0       prefix: n/a
test_geojson_out                       3        0       geojson_out: n/a
test_geojson_out_with_no_properties    3        2       count/min/max/mean present, mean 34;
                                                        "properties" (GeoJSON shape): n/a
test_copy_properties_warn              2        0       copy_properties alias: n/a
test_nan_counts                        6        2       count 3 (both calls); nodata / nan counts: n/a
test_geodataframe_zonal                1        1       GeoDataFrame == path
test_zonal_stats_chunk_size_stats      1        1       one read == one-row reads (chunks=1, dask)
=====================================  =======  ======  ==============================================

Not a peer assert: ``test_dataset_mask_whole_raster`` adds one zone over the whole of
dataset_mask.tif, because the peer's two zones never meet a masked cell (zone 0 lies where the mask
is valid, zone 1 outside the raster) — its 3588 is rasterstats 0.21.0's count for that zone.
"""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr
from affine import Affine
from shapely import wkt
from shapely.geometry import Polygon, box

from sinkmap.zonal import zonal_stats

DATA = Path(__file__).parent / "data" / "rasterstats"
RASTER = DATA / "slope.tif"
POLYGONS = DATA / "polygons.shp"
CLASSES = DATA / "slope_classes.tif"

outside_ok = pytest.mark.filterwarnings("ignore:.*outside the raster:UserWarning")  # sinkmap's own warning


def raster_crs(path=RASTER):
    with rasterio.open(path) as src:
        return src.crs


def with_nodata(src_path: Path, dst_path: Path, nodata: float) -> Path:
    """A copy of ``src_path`` whose nodata value is ``nodata`` (rasterstats' ``nodata=`` argument)."""
    with rasterio.open(src_path) as src:
        profile, data = src.profile, src.read()
    profile.update(nodata=nodata)
    with rasterio.open(dst_path, "w", **profile) as dst:
        dst.write(data)
    return dst_path


def dataarray(values: np.ndarray, transform: Affine, crs, nodata=None) -> xr.DataArray:
    """An in-memory raster (rasterstats' ndarray + affine), as a rioxarray DataArray with a CRS."""
    rows, cols = values.shape
    x = transform.c + (np.arange(cols) + 0.5) * transform.a
    y = transform.f + (np.arange(rows) + 0.5) * transform.e
    array = xr.DataArray(values, dims=("y", "x"), coords={"y": y, "x": x}, name="values")
    array = array.rio.write_crs(crs).rio.write_transform(transform)
    return array if nodata is None else array.rio.write_nodata(nodata)


def stats_dicts(table: pd.DataFrame) -> list[dict]:
    """Rows as rasterstats-like dicts (the zone column dropped)."""
    return [{k: v for k, v in row.items() if k != "zone"} for row in table.to_dict("records")]


def categorical_dicts(table: pd.DataFrame, zones: int) -> list[dict]:
    """rasterstats' categorical output: one {class: pixel count} per zone (empty when it has none)."""
    return [dict(zip(table.loc[table["zone"] == z, "class"], table.loc[table["zone"] == z, "pixels"]))
            for z in range(zones)]


def test_main():
    stats = stats_dicts(zonal_stats(RASTER, POLYGONS))
    for key in ["count", "min", "max", "mean"]:
        assert key in stats[0]  # rasterstats test_main: key in stats[0]
    assert len(stats) == 2  # rasterstats test_main: len(stats) == 2
    assert stats[0]["count"] == 75  # rasterstats test_main: stats[0]["count"] == 75
    assert stats[1]["count"] == 50  # rasterstats test_main: stats[1]["count"] == 50
    assert round(stats[0]["mean"], 2) == 14.66  # rasterstats test_main: round(stats[0]["mean"], 2) == 14.66


def test_band_alias():
    # rasterstats test_band_alias: stats_a[0]["count"] == stats_b[0]["count"] (band=1); band_num: n/a
    assert zonal_stats(RASTER, POLYGONS)["count"][0] == zonal_stats(RASTER, POLYGONS, band=1)["count"][0]


def test_zonal_global_extent():
    # rasterstats test_zonal_global_extent: stats == global_stats. sinkmap's default reads both zones'
    # cells in one window; max_cells=16 splits the work into many small reads, serially.
    whole = zonal_stats(RASTER, POLYGONS)
    pieces = zonal_stats(RASTER, POLYGONS, max_cells=16, workers=1)
    pd.testing.assert_frame_equal(whole, pieces, check_exact=True)


def test_zonal_nodata(tmp_path):
    raster = with_nodata(RASTER, tmp_path / "slope_nodata0.tif", 0)  # rasterstats: nodata=0
    stats = stats_dicts(zonal_stats(raster, POLYGONS))
    assert len(stats) == 2  # rasterstats test_zonal_nodata: len(stats) == 2
    assert stats[0]["count"] == 75  # rasterstats test_zonal_nodata: stats[0]["count"] == 75
    assert stats[1]["count"] == 50  # rasterstats test_zonal_nodata: stats[1]["count"] == 50


def test_doesnt_exist():
    with pytest.raises(ValueError):  # rasterstats test_doesnt_exist: pytest.raises(ValueError)
        zonal_stats(RASTER, DATA / "DOESNOTEXIST.shp")


def test_nonsense():
    with pytest.raises(ValueError):  # rasterstats test_nonsense: zonal_stats("blaghrlargh", raster) → ValueError
        zonal_stats(RASTER, "blaghrlargh")
    with pytest.raises(OSError):  # rasterstats test_nonsense: zonal_stats(polygons, "blercherlerch") → OSError
        zonal_stats("blercherlerch", POLYGONS)
    with pytest.raises(ValueError):  # rasterstats test_nonsense: zonal_stats(["blaghrlargh"], raster) → ValueError
        zonal_stats(RASTER, ["blaghrlargh"])


def test_multipolygons():
    # multipolygons.prj says WGS 84, but its coordinates are the raster's Albers metres (rasterstats
    # ignores CRSs): the zones get the raster's CRS.
    zones = gpd.read_file(DATA / "multipolygons.shp").set_crs(raster_crs(), allow_override=True)
    stats = stats_dicts(zonal_stats(RASTER, zones))
    assert len(stats) == 1  # rasterstats test_multipolygons: len(stats) == 1
    assert stats[0]["count"] == 125  # rasterstats test_multipolygons: stats[0]["count"] == 125


def test_categorical():
    table = zonal_stats(CLASSES, POLYGONS, categorical=True)  # float32 raster of whole class codes
    stats = categorical_dicts(table, 2)
    assert len(stats) == 2  # rasterstats test_categorical: len(stats) == 2
    assert stats[0][1.0] == 75  # rasterstats test_categorical: stats[0][1.0] == 75
    assert 5.0 in stats[1]  # rasterstats test_categorical: 5.0 in stats[1]
    assert pd.api.types.is_integer_dtype(table["class"])  # sinkmap's contract: classes as integers


def test_specify_stats_list():
    stats = stats_dicts(zonal_stats(RASTER, POLYGONS, stats=["min", "max"]))
    assert sorted(stats[0].keys()) == sorted(["min", "max"])  # rasterstats test_specify_stats_list
    assert "count" not in list(stats[0].keys())  # rasterstats test_specify_stats_list


def test_specify_stats_invalid():
    with pytest.raises(ValueError):  # rasterstats test_specify_stats_invalid: stats="foo max" → ValueError
        zonal_stats(RASTER, POLYGONS, stats=["foo", "max"])


def test_nodata(tmp_path):
    raster = with_nodata(CLASSES, tmp_path / "classes_nodata1.tif", 1.0)  # rasterstats: nodata=1.0
    table = zonal_stats(raster, POLYGONS, categorical=True)
    counts = table.groupby("zone")["pixels"].sum().reindex([0, 1], fill_value=0)
    stats = categorical_dicts(table, 2)
    assert counts[0] == 0  # rasterstats test_nodata: stats[0]["count"] == 0 (no pixels; they're all null)
    assert counts[1] == 49  # rasterstats test_nodata: stats[1]["count"] == 49 (used to be 50 if we allowed 1.0)
    assert 1.0 not in stats[0]  # rasterstats test_nodata: "1.0" not in stats[0]


@outside_ok
def test_dataset_mask():
    stats = stats_dicts(zonal_stats(DATA / "dataset_mask.tif", POLYGONS))
    assert stats[0]["count"] == 75  # rasterstats test_dataset_mask: stats[0]["count"] == 75
    assert stats[1]["count"] == 0  # rasterstats test_dataset_mask: stats[1]["count"] == 0


@pytest.mark.parametrize("coverage", ["center", "all_touched", "fraction"])
def test_dataset_mask_whole_raster(coverage):
    # Not a peer assert (see the module docstring): dataset_mask.tif has no nodata value; its GDAL
    # per-dataset mask marks 3588 of its 62 × 145 = 8990 cells valid. rasterstats 0.21.0 gives
    # count 3588 for this zone (the raster's own extent, so every rule selects every cell).
    with rasterio.open(DATA / "dataset_mask.tif") as src:
        zone = gpd.GeoDataFrame(geometry=[box(*src.bounds)], crs=src.crs)
    table = zonal_stats(DATA / "dataset_mask.tif", zone, coverage=coverage)
    assert table["count"][0] == pytest.approx(3588)
    classes = zonal_stats(DATA / "dataset_mask.tif", zone, coverage=coverage, categorical=True)
    assert dict(zip(classes["class"], classes["pixels"])) == {22: pytest.approx(3588)}


def test_partial_overlap():
    stats = stats_dicts(zonal_stats(RASTER, DATA / "polygons_partial_overlap.shp", stats=["count"]))
    for res in stats:
        assert res["count"] > 0  # rasterstats test_partial_overlap: res["count"] > 0


@outside_ok
def test_no_overlap():
    stats = stats_dicts(zonal_stats(RASTER, DATA / "polygons_no_overlap.shp", stats=["count"]))
    for res in stats:
        assert res["count"] == 0  # rasterstats test_no_overlap: res["count"] == 0


def test_all_touched():
    stats = stats_dicts(zonal_stats(RASTER, POLYGONS, coverage="all_touched"))
    assert stats[0]["count"] == 95  # rasterstats test_all_touched: stats[0]["count"] == 95 (75 if ALL_TOUCHED=False)
    assert stats[1]["count"] == 73  # rasterstats test_all_touched: stats[1]["count"] == 73 (50 if ALL_TOUCHED=False)


def test_ndarray_without_affine():
    with rasterio.open(RASTER) as src:
        with pytest.raises(ValueError):  # rasterstats test_ndarray_without_affine: needs affine → ValueError
            zonal_stats(src.read(1), POLYGONS)


def test_ndarray():
    with rasterio.open(RASTER) as src:
        arr, affine, crs = src.read(1), src.transform, src.crs
    stats = stats_dicts(zonal_stats(dataarray(arr, affine, crs), POLYGONS))  # no nodata, as the peer
    stats2 = stats_dicts(zonal_stats(RASTER, POLYGONS))
    for s1, s2 in zip(stats, stats2):  # rasterstats test_ndarray: _assert_dict_eq(s1, s2), within 1e-5
        assert s1 == pytest.approx(s2, abs=1e-5)
    assert stats[0] != pytest.approx(stats[1], abs=1e-5)  # rasterstats test_ndarray: raises(AssertionError)
    assert stats[0]["count"] == 75  # rasterstats test_ndarray: stats[0]["count"] == 75
    assert stats[1]["count"] == 50  # rasterstats test_ndarray: stats[1]["count"] == 50


def test_percentile_bad():
    with pytest.raises(ValueError):  # rasterstats test_percentile_bad: stats="percentile_101" → ValueError
        zonal_stats(RASTER, POLYGONS, stats=["percentile_101"])


def test_direct_features_collections():
    # rasterstats test_direct_features_collections: stats_direct == stats_features == stats_collection
    pd.testing.assert_frame_equal(zonal_stats(RASTER, POLYGONS), zonal_stats(RASTER, gpd.read_file(POLYGONS)),
                                  check_exact=True)


@outside_ok
def test_all_nodata():
    stats = stats_dicts(zonal_stats(DATA / "all_nodata.tif", POLYGONS, stats=["count"]))
    assert stats[0]["count"] == 0  # rasterstats test_all_nodata: stats[0]["count"] == 0
    assert stats[1]["count"] == 0  # rasterstats test_all_nodata: stats[1]["count"] == 0


def test_some_nodata():
    stats = stats_dicts(zonal_stats(DATA / "slope_nodata.tif", POLYGONS, stats=["count"]))
    assert stats[0]["count"] == 39  # rasterstats test_some_nodata: stats[0]["count"] == 39
    assert stats[1]["count"] == 31  # rasterstats test_some_nodata: stats[1]["count"] == 31


def test_nan_nodata():
    polygon = Polygon([[0, 0], [2, 0], [2, 2], [0, 2]])
    arr = np.array([[np.nan, 12.25], [-999, 12.75]])
    affine = Affine(1, 0, 0, 0, -1, 2)
    crs = raster_crs()  # the peer's array and polygon have no CRS: any projected one, on both
    zones = gpd.GeoDataFrame(geometry=[polygon], crs=crs)
    stats = stats_dicts(zonal_stats(dataarray(arr, affine, crs, nodata=-999), zones))
    assert stats[0]["count"] == 2  # rasterstats test_nan_nodata: stats[0]["count"] == 2
    assert stats[0]["mean"] == 12.5  # rasterstats test_nan_nodata: stats[0]["mean"] == 12.5
    assert stats[0]["min"] == 12.25  # rasterstats test_nan_nodata: stats[0]["min"] == 12.25
    assert stats[0]["max"] == 12.75  # rasterstats test_nan_nodata: stats[0]["max"] == 12.75


def test_some_nodata_ndarray():
    with rasterio.open(DATA / "slope_nodata.tif") as src:
        arr, affine, crs = src.read(1), src.transform, src.crs

    # without nodata
    stats = stats_dicts(zonal_stats(dataarray(arr, affine, crs), POLYGONS, stats=["count", "min"]))
    assert stats[0]["min"] == -9999.0  # rasterstats test_some_nodata_ndarray: stats[0]["min"] == -9999.0
    assert stats[0]["count"] == 75  # rasterstats test_some_nodata_ndarray: stats[0]["count"] == 75

    # with nodata
    stats = stats_dicts(zonal_stats(dataarray(arr, affine, crs, nodata=-9999.0), POLYGONS, stats=["count", "min"]))
    assert stats[0]["min"] >= 0.0  # rasterstats test_some_nodata_ndarray: stats[0]["min"] >= 0.0
    assert stats[0]["count"] == 39  # rasterstats test_some_nodata_ndarray: stats[0]["count"] == 39


def test_geojson_out_with_no_properties():
    polygon = Polygon([[0, 0], [0, 0.5], [1, 1.5], [1.5, 2], [2, 2], [2, 0]])
    arr = np.array([[100, 1], [100, 1]])
    affine = Affine(1, 0, 0, 0, -1, 2)
    crs = raster_crs()  # no CRS in the peer: any projected one, on both
    stats = stats_dicts(zonal_stats(dataarray(arr, affine, crs), gpd.GeoDataFrame(geometry=[polygon], crs=crs)))
    for key in ["count", "min", "max", "mean"]:
        assert key in stats[0]  # rasterstats test_geojson_out_with_no_properties: key in properties
    assert stats[0]["mean"] == 34  # rasterstats test_geojson_out_with_no_properties: mean == 34


def test_nan_counts():
    transform = Affine(1, 0, 1, 0, -1, 3)
    data = np.array([[np.nan, np.nan, np.nan], [0, 0, 0], [1, 4, 5]])
    geom = wkt.loads("POLYGON ((1 0, 4 0, 4 3, 1 3, 1 0))")
    crs = raster_crs()  # no CRS in the peer: any projected one, on both
    raster = dataarray(data, transform, crs, nodata=0.0)
    zones = gpd.GeoDataFrame(geometry=[geom], crs=crs)
    for res in stats_dicts(zonal_stats(raster, zones)):  # the peer's stats="*"
        assert res["count"] == 3  # rasterstats test_nan_counts: res["count"] == 3 (3 pixels of valid data)
    for res in stats_dicts(zonal_stats(raster, zones, stats=["count"])):  # the peer's stats="count nodata"
        assert res["count"] == 3  # rasterstats test_nan_counts: res["count"] == 3


def test_geodataframe_zonal():
    # rasterstats test_geodataframe_zonal: zonal_stats(df, raster) == zonal_stats(polygons, raster)
    pd.testing.assert_frame_equal(zonal_stats(RASTER, gpd.read_file(POLYGONS)), zonal_stats(RASTER, POLYGONS),
                                  check_exact=True)


def test_zonal_stats_chunk_size_stats():
    # rasterstats test_zonal_stats_chunk_size_stats: default_stats == chunked_stats (chunk_size=1: features
    # read one at a time). sinkmap's chunks=1: dask tasks of one-cell budgets (row strips one row high).
    pd.testing.assert_frame_equal(zonal_stats(RASTER, POLYGONS), zonal_stats(RASTER, POLYGONS, chunks=1),
                                  check_exact=True)
