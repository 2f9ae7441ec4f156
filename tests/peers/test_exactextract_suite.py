"""exactextract's own Python test suite, ported: its asserted numbers must hold for sinkmap too.

Source: exactextract ``python/tests/test_exact_extract.py`` at tag v0.3.0 (commit 94f5882ad690,
2025-12-01), Apache-2.0 (``data/exactextract/LICENSE-exactextract.txt``). exactextract's tests build
their rasters in memory (``NumPyRasterSource``) or with GDAL; here they are rebuilt as rioxarray
DataArrays or rasterio GeoTIFFs in ``tmp_path``, so no data files are needed. exactextract's other
test modules (test_feature, test_feature_source, test_operation, test_processor, test_raster_source,
test_version, test_writer) test its own classes and assert no zonal value: nothing to port.

Mapping: exactextract's coverage-weighted statistics are ``coverage="fraction"``; its
``coverage_weight=none`` (every touched cell counts 1) is ``coverage="all_touched"``. ``unique`` /
``variety`` are the classes / number of classes of sinkmap's categorical rows, ``frac`` is pixels /
Σ pixels; where every cell holds a different value, the ``values`` and ``coverage`` arrays are the
classes and their pixels. exactextract's rasters and features have no CRS; sinkmap needs one, so
both get ``CRS`` (a projected CRS; exactextract's unit cells are then 1 m × 1 m). An area is
compared with ``area="nominal"`` (the planar cell area, as exactextract's ``area_cartesian``).
exactextract's result dicts keep their names (``a_mean`` …) where the peer compares a whole dict.

Every ported assert names its peer test and keeps the peer's literal number and tolerance.
"asserts" counts the peer test's assert statements plus its ``pytest.raises`` / ``warns`` /
``xfail`` / ``np.testing.assert_array_equal`` checks (144 in all); "ported" how many have a
counterpart here (60, some of them only for the fields sinkmap has).

===================================== ======= ====== =================================================
peer test                             asserts ported how, or why not
===================================== ======= ====== =================================================
test_basic_stats                      3       2      8 of its 25 stats: count, mean, min, max (fraction),
                                                     unique, variety, values, coverage (categorical);
                                                     median, mode, majority, minority, quantile ×2,
                                                     variance, stdev, coefficient_of_variation,
                                                     center_x/y, cell_id, min/max_center_x/y: not in
                                                     sinkmap; the array dtype assert: n/a
test_coverage_ignore_fraction         1       1      coverage_weight=none → all_touched: count 6, mean 3.5
test_min_coverage                     2       0      min_coverage_frac: not in sinkmap
test_min_coverage_ignore_fraction     2       2      all_touched: 9 cells (the cell_id list), sum 45
test_coverage_area                    3       1      c4 (area_cartesian) == c1 (coverage): area="nominal"
                                                     area_ha × 10⁴ == pixels on 1 m cells; spherical
                                                     areas, area-weighted mean: not in sinkmap
test_multiple_stats                   1       1      min 1, max 9, mean 5
test_weighted_stats_equal_weights     1       0      weights: not in sinkmap
test_weighted_stats_unequal_weights   1       0      weights: idem
test_frac                             3       2      frac per class; the xfail: n/a
test_weighted_frac                    5       2      sum 0.75 / 8; weighted_frac, xfail: n/a
test_multisource                      3       3      count/mean per source (py_mean fields: custom
                                                     functions, n/a)
test_weighted_multisource             3       3      unweighted fields only (a_mean, b_mean)
test_multifile                        1       1      two GeoTIFFs: means 5 / 10
test_multiband                        3       2      band means 5/10 and 15/20; weighted field names: n/a
test_weighted_multisource_values      2       2      unweighted fields only
test_weighted_multisource_weights     2       2      unweighted field only (a_mean 5)
test_nodata                           2       2      sum 0, mean NaN; sum 43.5, mean 58
test_nodata_scale_offset              2       0      "values" after GDAL scale/offset: sinkmap reports
                                                     raw values and has no "values" output
test_gdal_mask_band                   1       1      GDAL mask band: classes == values [1 … 6]
                                                     (path / rasterio dataset / xarray, as the peer)
test_all_nodata_geojson               3       2      mean NaN, variety 0; mode: not in sinkmap
test_all_nodata_pandas                3       2      idem (same raster and square as geojson)
test_all_nodata_qgis                  3       2      idem
test_all_nodata_gdal                  3       2      mean NaN, variety 0 of the second square; mode: n/a
test_default_value                    1       1      count/sum/mean; the default_value fields: n/a
test_default_value_out_of_range_int   1       0      default_value: not in sinkmap
test_default_weight                   1       0      weights: not in sinkmap
test_library_inputs                   2       2      raster as path / rasterio dataset / DataArray ×
                                                     zones as file / GeoDataFrame (qgis: n/a)
test_gdal_data_types                  3       0      mode and its Python type: not in sinkmap
test_gdal_invalid_nodata_value        1       0      mode: not in sinkmap
test_unsigned_values_preserved        3       2      sum; mode: not in sinkmap
test_include_cols                     8       4      ids (zone_field) and counts; other columns,
                                                     geometry: n/a
test_error_no_weights                 1       0      weights: not in sinkmap
test_error_rotated_inputs             1       1      rotated raster refused (ValueError)
test_types_preserved                  2       0      mode's Python type: n/a
test_gdal_output                      17      3      mean 1, count 9, variety 1; OGR field types,
                                                     geometry, output file: n/a
test_geopandas_output                 3       0      output geometry and CRS: n/a
test_qgis_output                      3       2      one row; count 9, mean 5, variety 9 (name,
                                                     geometry: n/a)
test_masked_array                     1       1      numpy masked array (as a DataArray: NaN) → classes
test_output_no_numpy                  1       0      output array type: n/a
test_output_map_fields                2       1      frac and unique; min_coverage_frac, weighted_frac:
                                                     not in sinkmap
test_output_map_fields_multiband      1       0      weighted field names: n/a
test_linear_geom                      1       0      lines: sinkmap zones must be polygons
test_point_geom                       1       1      a point zone is refused (sinkmap: polygons only)
test_custom_function_* (6 tests)      10      0      Python callbacks: n/a
test_custom_function_nodata           10      2      "values" / "coverage" without the nodata cell
                                                     (categorical classes / pixels); the callback's
                                                     masked arrays and weights: n/a
test_custom_function_not_intersecting 4       0      Python callbacks: n/a
test_explicit_operation               2       1      mean 4.0; Operation objects: n/a
test_progress                         0       0      no assert
test_grid_compat_tol                  1       0      weights: not in sinkmap
test_crs_mismatch                     8       2      zones in another CRS: one warning (sinkmap warns
                                                     and reprojects); multi-raster and weights cases:
                                                     n/a; a raster without CRS: sinkmap refuses it
test_crs_match_after_normalization    0       0      (warnings as errors, no assert) ported: no warning
test_gdal_multi_variable              1       1      netCDF variables → 3-D DataArrays, band=1/2
test_gh_178                           1       1      count 95.1929023920793 (raster in EPSG:4326)
===================================== ======= ====== =================================================

test_gh_186 is newer than v0.3.0 (it is on master) and is not ported.
"""

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr
from affine import Affine
from rasterio.transform import from_origin
from shapely import wkt
from shapely.geometry import Point, box

from sinkmap.errors import SinkmapWarning
from sinkmap.zonal import zonal_stats

CRS = "EPSG:32650"  # exactextract's test rasters and features have none; sinkmap needs one (any projected)
DEFAULT_MAX_CELLS = 1_000_000
# exactextract's two processing strategies ↔ sinkmap's two task kinds: small zones read in one window
# (the default budget) or large zones read in row strips (a budget smaller than the zone's window)
STRATEGIES = {"feature-sequential": DEFAULT_MAX_CELLS, "raster-sequential": 2}


def grid(values, xmin=None, ymin=None, xmax=None, ymax=None, *, nodata=None, name=None, crs=CRS) -> xr.DataArray:
    """exactextract's ``NumPyRasterSource(values, xmin, ymin, xmax, ymax, nodata=)`` as a DataArray:
    the extent defaults to (0, 0) – (columns, rows)."""
    rows, cols = values.shape
    if xmin is None:
        xmin, ymin, xmax, ymax = 0, 0, cols, rows
    transform = Affine((xmax - xmin) / cols, 0, xmin, 0, -(ymax - ymin) / rows, ymax)
    x = xmin + (np.arange(cols) + 0.5) * transform.a
    y = ymax + (np.arange(rows) + 0.5) * transform.e
    array = xr.DataArray(values, dims=("y", "x"), coords={"y": y, "x": x}, name=name)
    array = array.rio.write_crs(crs).rio.write_transform(transform)
    return array if nodata is None else array.rio.write_nodata(nodata)


def geotiff(path, values, *, transform=None, crs=CRS, nodata=None, mask=None):
    """exactextract's ``create_gdal_raster``: one or more bands, default geotransform (0, 1, 0, rows, 0, -1)."""
    stack = values if values.ndim == 3 else values[np.newaxis]
    transform = transform or from_origin(0.0, stack.shape[-2], 1.0, 1.0)
    with rasterio.open(path, "w", driver="GTiff", width=stack.shape[2], height=stack.shape[1], count=stack.shape[0],
                       dtype=stack.dtype, crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(stack)
        if mask is not None:  # a GDAL per-dataset mask band: 255 valid, 0 masked
            dst.write_mask(mask)
    return path


def rect(xmin, ymin, xmax, ymax):
    """exactextract's ``make_rect``."""
    return box(xmin, ymin, xmax, ymax)


def zones(*geoms, crs=CRS, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs)


def exact(raster, *geoms, **kwargs) -> pd.DataFrame:
    """sinkmap with exactextract's rule (coverage fractions), one zone per geometry."""
    return zonal_stats(raster, zones(*geoms), coverage="fraction", **kwargs)


def props(table: pd.DataFrame, zone: int = 0, prefix: str = "") -> dict:
    """One zone's continuous statistics, as exactextract's properties (names optionally prefixed)."""
    row = table[table["zone"] == zone].iloc[0]
    return {f"{prefix}{k}": row[k] for k in table.columns if k != "zone"}


def classes(table: pd.DataFrame, zone: int = 0) -> dict:
    """One zone's {class: pixels} from a categorical table."""
    rows = table[table["zone"] == zone]
    return dict(zip(rows["class"].tolist(), rows["pixels"].tolist()))


def frac(table: pd.DataFrame, zone: int = 0) -> dict:
    """exactextract's ``frac``: each class's share of the zone's (coverage-weighted) pixels."""
    pixels = classes(table, zone)
    total = sum(pixels.values())
    return {c: p / total for c, p in pixels.items()}


SQUARE = rect(0.5, 0.5, 2.5, 2.5)
ONE_TO_NINE = np.arange(1, 10, dtype=np.int32).reshape(3, 3)


@pytest.mark.parametrize("stat,expected", [("count", 4), ("mean", 5), ("min", 1), ("max", 9)])
def test_basic_stats(stat, expected):
    table = exact(grid(ONE_TO_NINE), SQUARE)
    assert table[stat][0] == pytest.approx(expected)  # exactextract test_basic_stats: (stat, expected)


def test_basic_stats_classes():
    pixels = classes(exact(grid(ONE_TO_NINE), SQUARE, categorical=True))
    assert set(pixels) == {1, 2, 3, 4, 5, 6, 7, 8, 9}  # exactextract test_basic_stats: ("unique", {1, …, 9})
    assert len(pixels) == pytest.approx(9)  # exactextract test_basic_stats: ("variety", 9)
    # each value lies in one cell, so the classes are the cells' values and their pixels the cells' coverage
    assert list(pixels) == pytest.approx(np.array([1, 2, 3, 4, 5, 6, 7, 8, 9]))  # test_basic_stats: ("values", …)
    assert list(pixels.values()) == pytest.approx(  # exactextract test_basic_stats: ("coverage", …)
        np.array([0.25, 0.5, 0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 0.25], dtype=np.float64))


def test_coverage_ignore_fraction():
    table = zonal_stats(grid(ONE_TO_NINE), zones(rect(0.5, 1.0, 2.5, 2.5)), coverage="all_touched",
                        stats=["count", "mean"])
    assert props(table) == {"count": 6.0, "mean": 3.5}  # exactextract test_coverage_ignore_fraction


def test_min_coverage_ignore_fraction():
    table = zonal_stats(grid(ONE_TO_NINE), zones(SQUARE), coverage="all_touched")
    # exactextract test_min_coverage_ignore_fraction: list(result["cell_id"]) == [0, …, 8]: 9 cells
    assert table["count"][0] == len([0, 1, 2, 3, 4, 5, 6, 7, 8])
    assert table["sum"][0] == np.arange(1, 10).sum()  # exactextract test_min_coverage_ignore_fraction


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_coverage_area(strategy):
    # UTM 50N at x ≈ 0 lies 500 km west of the central meridian: ground area ≠ nominal (scale ≈ 1.003)
    table = exact(grid(ONE_TO_NINE), SQUARE, categorical=True, area="nominal", max_cells=STRATEGIES[strategy])
    c1 = table["pixels"].to_numpy()  # exactextract's "c1=coverage" (one class per cell here)
    c4 = table["area_ha"].to_numpy() * 10_000  # "c4=coverage(coverage_weight=area_cartesian)", m² of 1 m cells
    assert np.all(c4 == pytest.approx(c1))  # exactextract test_coverage_area: np.all(result["c4"] == result["c1"])


def test_multiple_stats():
    table = exact(grid(np.arange(1, 10).reshape(3, 3)), SQUARE, stats=("min", "max", "mean"))
    assert props(table) == {"min": 1, "max": 9, "mean": 5}  # exactextract test_multiple_stats


def test_frac():
    rast = grid(np.array([[1, 1, 1], [2, 2, 2], [3, 3, 3]]))
    table = exact(rast, rect(0.5, 0.5, 1.0, 1.0), rect(0.5, 0.5, 2.5, 2.5), categorical=True)
    assert frac(table, 0) == {3: 1.00}  # exactextract test_frac: prop_map(results[0], "unique", "frac")
    assert frac(table, 1) == {1: 0.25, 2: 0.5, 3: 0.25}  # exactextract test_frac: prop_map(results[1], …)


def test_weighted_frac():
    rast = grid(np.array([[1, 1, 1], [2, 2, 2], [3, 3, 3]]))
    table = exact(rast, rect(0.5, 0.5, 1.0, 1.0), rect(0.5, 0.5, 2.5, 2.5), stats=["sum"])
    assert table["sum"][0] == 0.75  # exactextract test_weighted_frac: results[0]["properties"]["sum"] == 0.75
    assert table["sum"][1] == 8  # exactextract test_weighted_frac: results[1]["properties"]["sum"] == 8


def two_sources():
    return {"a": grid(np.arange(1, 10).reshape(3, 3)), "b": grid(2 * np.arange(1, 10).reshape(3, 3))}


def multisource(squares, stats, sources=None) -> list[dict]:
    """exactextract's results for several rasters: one dict per square, fields ``<raster>_<stat>``."""
    results = [{} for _ in squares]
    for name, rast in (sources or two_sources()).items():
        table = exact(rast, *squares, stats=stats)
        for zone, result in enumerate(results):
            result.update(props(table, zone, prefix=f"{name}_"))
    return results


def test_multisource():
    squares = [rect(0.5, 0.5, 1.0, 1.0), rect(0.5, 0.5, 2.5, 2.5)]
    results = multisource(squares, ["count", "mean"])
    assert len(results) == len(squares)  # exactextract test_multisource: len(results) == len(squares)
    # exactextract test_multisource: results[0]["properties"] == {…} (without the py_mean fields)
    assert results[0] == {"a_mean": 7.0, "a_count": 0.25, "b_mean": 14.0, "b_count": 0.25}
    # exactextract test_multisource: results[1]["properties"] == {…} (without the py_mean fields)
    assert results[1] == {"a_mean": 5.0, "a_count": 4.0, "b_mean": 10.0, "b_count": 4.0}


def test_weighted_multisource():
    squares = [rect(0.5, 0.5, 1.0, 1.0), rect(0.5, 0.5, 2.5, 2.5)]
    results = multisource(squares, ["mean"])
    assert len(results) == len(squares)  # exactextract test_weighted_multisource: len(results) == len(squares)
    # exactextract test_weighted_multisource: results[0]["properties"] == approx({…}) (unweighted fields)
    assert results[0] == pytest.approx({"a_mean": 7.0, "b_mean": 14.0}, nan_ok=True)
    # exactextract test_weighted_multisource: results[1]["properties"] == {…} (unweighted fields)
    assert results[1] == {"a_mean": 5.0, "b_mean": 10.0}


def test_multifile(tmp_path):
    rast1 = geotiff(tmp_path / "rast1.tif", np.arange(1, 10, dtype=np.int32).reshape(3, 3))
    rast2 = geotiff(tmp_path / "rast2.tif", 2 * np.arange(1, 10, dtype=np.int32).reshape(3, 3))
    results = multisource([SQUARE], ["mean"], {"rast1": rast1, "rast2": rast2})
    assert results[0] == {"rast1_mean": 5.0, "rast2_mean": 10.0}  # exactextract test_multifile


def band_means(path, bands=2, prefix="") -> dict:
    out = {}
    for band in range(1, bands + 1):
        out[f"{prefix}band_{band}_mean"] = exact(path, SQUARE, stats=["mean"], band=band)["mean"][0]
    return out


def test_multiband(tmp_path):
    rast1 = geotiff(tmp_path / "rast1.tif", np.stack(
        [np.arange(1, 10).reshape(3, 3), 2 * np.arange(1, 10).reshape(3, 3)]).astype(np.int32))
    rast2 = geotiff(tmp_path / "rast2.tif", np.stack(
        [3 * np.arange(1, 10).reshape(3, 3), 4 * np.arange(1, 10).reshape(3, 3)]).astype(np.int32))
    assert band_means(rast1) == {"band_1_mean": 5.0, "band_2_mean": 10.0}  # exactextract test_multiband
    assert {**band_means(rast1, prefix="rast1_"), **band_means(rast2, prefix="rast2_")} == {  # test_multiband
        "rast1_band_1_mean": 5.0,
        "rast1_band_2_mean": 10.0,
        "rast2_band_1_mean": 15.0,
        "rast2_band_2_mean": 20.0,
    }


def test_weighted_multisource_values():
    results = multisource([SQUARE], ["mean"])
    assert len(results) == 1  # exactextract test_weighted_multisource_values: len(results) == 1
    # exactextract test_weighted_multisource_values: results[0]["properties"] == {…} (unweighted fields)
    assert results[0] == {"a_mean": 5.0, "b_mean": 10.0}


def test_weighted_multisource_weights():
    results = multisource([SQUARE], ["mean"], {"a": grid(np.arange(1, 10).reshape(3, 3))})
    assert len(results) == 1  # exactextract test_weighted_multisource_weights: len(results) == 1
    assert results[0] == {"a_mean": 5.0}  # exactextract test_weighted_multisource_weights (unweighted field)


@pytest.mark.filterwarnings("ignore:.*outside the raster:UserWarning")
def test_nodata():
    data = np.arange(1, 101).reshape(10, 10)
    data[6:10, 0:4] = -999  # flag lower-left corner as nodata
    rast = grid(data, nodata=-999)

    # square entirely within nodata region
    results = props(exact(rast, rect(0, 0, 3, 3), stats=["sum", "mean"]))
    # exactextract test_nodata: == approx({"sum": 0, "mean": nan}, nan_ok=True)
    assert results == pytest.approx({"sum": 0, "mean": float("nan")}, nan_ok=True)

    # square partially within nodata region
    results = props(exact(rast, rect(3.5, 3.5, 4.5, 4.5), stats=["sum", "mean"]))
    assert results == {"sum": 43.5, "mean": 58}  # exactextract test_nodata


@pytest.mark.parametrize("libname", ("gdal", "rasterio", "xarray"))
def test_gdal_mask_band(tmp_path, libname):
    data = np.array([[1, 2, 3], [0, 0, 0], [4, 5, 6]], dtype=np.int16)
    path = geotiff(tmp_path / "test.tif", data, mask=np.where(data == 0, 0, 255).astype(np.uint8))
    if libname == "gdal":  # a path: GDAL reads it
        table = exact(path, SQUARE, categorical=True)
    elif libname == "rasterio":
        with rasterio.open(path) as rast:
            table = exact(rast, SQUARE, categorical=True)
    else:  # the peer's xarray.open_dataarray: the mask band becomes NaN in a float array
        with xr.open_dataarray(path, engine="rasterio") as rast:
            table = exact(rast, SQUARE, categorical=True)
    # each value lies in one cell: the classes are the values of the unmasked cells
    np.testing.assert_array_equal(list(classes(table)), [1, 2, 3, 4, 5, 6])  # exactextract test_gdal_mask_band


def test_all_nodata_geojson_pandas_qgis():
    rast = grid(np.full((3, 3), -999, dtype=np.int32), nodata=-999)
    mean = exact(rast, SQUARE, stats=["mean"])["mean"][0]
    variety = len(classes(exact(rast, SQUARE, categorical=True)))
    assert math.isnan(mean)  # exactextract test_all_nodata_geojson/_pandas/_qgis: isnan(mean)
    assert variety == 0  # exactextract test_all_nodata_geojson/_pandas/_qgis: variety == 0


def test_all_nodata_gdal():
    data = np.array([[1, 1, 1], [-999, -999, -999], [-999, -999, -999]], dtype=np.int32)
    rast = grid(data, nodata=-999)
    squares = [rect(0.5, 0.5, 2.5, 2.5), rect(0.5, 0.5, 1.5, 1.5)]
    mean = exact(rast, *squares, stats=["mean"])["mean"][1]
    variety = len(classes(exact(rast, *squares, categorical=True), 1))
    assert math.isnan(mean)  # exactextract test_all_nodata_gdal: isnan(features[1]["mean"])
    assert variety == 0  # exactextract test_all_nodata_gdal: features[1]["variety"] == 0


def test_default_value():
    data = np.array([[1, 2, 3], [4, -99, -99], [-99, 8, 9]])
    rast = grid(data, nodata=-99)
    results = props(exact(rast, rect(0, 0, 3, 3), stats=["count", "sum", "mean"]))
    masked = np.ma.masked_array(data, data == -99)
    # exactextract test_default_value: results[0]["properties"] == {…} (without the *_with_default fields)
    assert results == {"count": (~masked.mask).sum(), "sum": masked.sum(), "mean": masked.mean()}


LIBRARY_ARRAYS = {
    "singleband": (
        np.arange(1, 10, dtype=np.float32).reshape(3, 3),
        [{"count": 0.25, "mean": 7.0}, {"count": 4.0, "mean": 5.0}],
    ),
    "multiband": (
        np.stack([np.arange(1, 10, dtype=np.float32).reshape(3, 3), 2 * np.arange(1, 10).reshape(3, 3)]),
        [
            {"band_1_count": 0.25, "band_2_count": 0.25, "band_1_mean": 7.0, "band_2_mean": 14.0},
            {"band_1_count": 4.0, "band_2_count": 4.0, "band_1_mean": 5.0, "band_2_mean": 10.0},
        ],
    ),
}


@pytest.mark.parametrize("rast_lib", ("gdal", "rasterio", "xarray"))
@pytest.mark.parametrize("vec_lib", ("file", "geopandas"))
@pytest.mark.parametrize("arrays", LIBRARY_ARRAYS)
def test_library_inputs(tmp_path, vec_lib, rast_lib, arrays):
    arr, expected = LIBRARY_ARRAYS[arrays]
    raster_fname = geotiff(tmp_path / "rast.tif", arr)
    squares = zones(rect(0.5, 0.5, 1.0, 1.0), rect(0.5, 0.5, 2.5, 2.5), id=["a", "b"])
    squares.to_file(tmp_path / "geom.gpkg")
    shp = tmp_path / "geom.gpkg" if vec_lib == "file" else gpd.read_file(tmp_path / "geom.gpkg")
    bands = 1 if arr.ndim == 2 else arr.shape[0]

    def run(rast):
        results = [{} for _ in range(len(squares))]
        for band in range(1, bands + 1):
            table = zonal_stats(rast, shp, coverage="fraction", stats=["mean", "count"], band=band)
            for zone, result in enumerate(results):
                result.update(props(table, zone, prefix="" if bands == 1 else f"band_{band}_"))
        return results

    if rast_lib == "gdal":
        results = run(raster_fname)
    elif rast_lib == "rasterio":
        with rasterio.open(raster_fname) as rast:
            results = run(rast)
    else:
        with xr.open_dataarray(raster_fname, engine="rasterio") as rast:
            results = run(rast)
    assert len(results) == len(expected)  # exactextract test_library_inputs: len(results) == len(expected)
    for a, e in zip(results, expected):
        assert a == e  # exactextract test_library_inputs: a["properties"] == e


@pytest.mark.parametrize("dtype", (np.uint8, np.uint16, np.uint32, np.uint64))
def test_unsigned_values_preserved(dtype):
    max_val = np.iinfo(dtype).max
    rast = grid(np.array([[max_val, max_val], [max_val - 1, max_val - 1]], dtype=dtype), nodata=max_val - 1)
    results = props(exact(rast, rect(0, 0, 2, 2), stats=["sum"]))
    if dtype == np.uint64:
        # sum is processed as a double, max uint64 cannot be represented exactly
        assert results["sum"] == pytest.approx(2 * max_val)  # exactextract test_unsigned_values_preserved
    else:
        assert results["sum"] == 2 * max_val  # exactextract test_unsigned_values_preserved


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_include_cols(strategy):
    features = zones(SQUARE, SQUARE, id=[1, 2], type=["apple", "pear"], a=[4.1, 4.2])
    table = zonal_stats(grid(np.arange(1, 10).reshape(3, 3)), features, coverage="fraction", zone_field="id",
                        stats=["count"], max_cells=STRATEGIES[strategy])
    assert table["id"][0] == 1  # exactextract test_include_cols: results[0]["id"] == 1
    assert table["count"][0] == 4.0  # exactextract test_include_cols: results[0]["properties"] (… "count": 4.0)
    assert table["id"][1] == 2  # exactextract test_include_cols: results[1]["id"] == 2
    assert table["count"][1] == 4.0  # exactextract test_include_cols: results[1]["properties"] (… "count": 4.0)


@pytest.mark.parametrize("rast_lib", ("gdal", "rasterio"))
def test_error_rotated_inputs(tmp_path, rast_lib):
    raster_fname = geotiff(tmp_path / "rast.tif", np.array([[1, 2], [3, 4]], dtype=np.int16),
                           transform=Affine.from_gdal(10000.0, 42.402, 26.496, 200000.0, 26.496, -42.402))
    square = zones(rect(10150, 199872, 10224, 199950))
    with pytest.raises(ValueError, match="(?i)rotated raster"):  # exactextract test_error_rotated_inputs
        if rast_lib == "gdal":
            zonal_stats(raster_fname, square, coverage="fraction", stats=["count"])
        else:
            with rasterio.open(raster_fname) as rast:
                zonal_stats(rast, square, coverage="fraction", stats=["count"])


def test_gdal_output():
    rast = grid(np.full((3, 3), 1), crs="EPSG:32145")
    square = zones(rect(0, 0, 3, 3), crs="EPSG:32145", name=["test"])
    f = props(zonal_stats(rast, square, coverage="fraction", stats=["mean", "count"]))
    variety = len(classes(zonal_stats(rast, square, coverage="fraction", categorical=True)))
    assert f["mean"] == 1.0  # exactextract test_gdal_output: f["mean"] == 1.0
    assert f["count"] == 9.0  # exactextract test_gdal_output: f["count"] == 9.0
    assert variety == 1  # exactextract test_gdal_output: f["variety"] == 1


def test_qgis_output():
    rast = grid(np.arange(1, 10, dtype=np.int32).reshape(3, 3), crs="EPSG:3120")
    square = zones(rect(0, 0, 3, 3), crs="EPSG:3120", name=["test"])
    table = zonal_stats(rast, square, coverage="fraction", stats=["count", "mean"])
    variety = len(classes(zonal_stats(rast, square, coverage="fraction", categorical=True)))
    assert len(table) == 1  # exactextract test_qgis_output: len(features) == 1
    # exactextract test_qgis_output: attributeMap() == {"count": 9.0, "mean": 5.0, "name": "test", "variety": 9}
    assert {**props(table), "variety": variety} == {"count": 9.0, "mean": 5.0, "variety": 9}


def test_masked_array():
    data = np.arange(1, 10, dtype=np.int32).reshape(3, 3)
    invalid = np.array([[False, False, False], [True, True, True], [False, False, False]])
    masked = np.ma.masked_array(data, invalid)
    rast = grid(masked)  # xarray stores a masked array as floats with NaN where masked
    result = classes(exact(rast, rect(0, 0, 3, 3), categorical=True))
    # each value lies in one cell: the classes are the values of the unmasked cells
    assert np.array_equal(list(result), masked.compressed())  # exactextract test_masked_array


def test_output_map_fields():
    rast = grid(np.array([[1, 1, 1], [2, 2, 2], [3, 3, 4]]))
    table = exact(rast, SQUARE, categorical=True)
    # exactextract test_output_map_fields: result[0]["properties"] == {"frac": {…}, "unique": {…}} (weighted_frac: n/a)
    assert {"frac": frac(table), "unique": set(classes(table))} == {
        "frac": {1: 0.25, 2: 0.5, 3: 0.1875, 4: 0.0625},
        "unique": {1, 2, 3, 4},
    }


def test_point_geom():
    rast = grid(np.arange(1, 10).reshape(3, 3))
    with pytest.raises(ValueError, match="polygons"):  # exactextract test_point_geom: "Unsupported geometry type"
        exact(rast, Point(1.5, 1.5))


def test_custom_function_nodata():
    rast = grid(np.arange(9).reshape(3, 3), nodata=7)
    result = classes(exact(rast, SQUARE, categorical=True))
    # each value lies in one cell: classes are the "values", their pixels the "coverage" (nodata cell dropped)
    np.testing.assert_array_equal(list(result), [0, 1, 2, 3, 4, 5, 6, 8])  # test_custom_function_nodata: values
    np.testing.assert_array_equal(  # exactextract test_custom_function_nodata: results[0]["properties"]["coverage"]
        list(result.values()), [0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.25])


def test_explicit_operation():
    table = exact(grid(np.arange(9).reshape(3, 3)), SQUARE, stats=["mean"])
    assert table["mean"][0] == 4.0  # exactextract test_explicit_operation: results[0]["properties"]["my_op"] == 4.0


def test_crs_mismatch(tmp_path):
    raster = geotiff(tmp_path / "4326.tif", np.arange(9, dtype=np.int32).reshape(3, 3), crs="EPSG:4326")
    features = tmp_path / "4269.shp"
    zones(SQUARE, crs="EPSG:4269").to_file(features)
    # exactextract test_crs_mismatch: pytest.warns(RuntimeWarning, "input features does not exactly match raster")
    with pytest.warns(SinkmapWarning, match="reprojected") as record:
        zonal_stats(raster, features, coverage="fraction", stats=["mean"])
    assert len(record) == 1  # exactextract test_crs_mismatch: len(record) == 1


def test_crs_match_after_normalization(tmp_path):
    rast_crs = 'PROJCS["WGS 84 / UTM zone 4N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",-159],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","32604"]]'  # noqa: E501
    vec_crs = 'PROJCRS["WGS 84 / UTM zone 4N",BASEGEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,298.257223563,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],ID["EPSG",4326]],CONVERSION["UTM zone 4N",METHOD["Transverse Mercator",ID["EPSG",9807]],PARAMETER["Latitude of natural origin",0,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8801]],PARAMETER["Longitude of natural origin",-159,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8802]],PARAMETER["Scale factor at natural origin",0.9996,SCALEUNIT["unity",1],ID["EPSG",8805]],PARAMETER["False easting",500000,LENGTHUNIT["metre",1],ID["EPSG",8806]],PARAMETER["False northing",0,LENGTHUNIT["metre",1],ID["EPSG",8807]]],CS[Cartesian,2],AXIS["easting",east,ORDER[1],LENGTHUNIT["metre",1]],AXIS["northing",north,ORDER[2],LENGTHUNIT["metre",1]],ID["EPSG",32604]]'  # noqa: E501
    rast = geotiff(tmp_path / "test.tif", np.arange(9, dtype=np.int32).reshape(3, 3),
                   crs=rasterio.crs.CRS.from_wkt(rast_crs))
    square = tmp_path / "test.shp"
    zones(SQUARE, crs=vec_crs).to_file(square)
    with warnings.catch_warnings():  # exactextract test_crs_match_after_normalization: no warning
        warnings.simplefilter("error")
        zonal_stats(rast, square, coverage="fraction", stats=["mean"])


def multidim_nc():
    """exactextract's ``multidim_nc`` fixture (netCDF variables t2m and tp over time, latitude, longitude),
    as DataArrays with the time as the band dimension."""
    nx, ny, nt = 3, 4, 2
    x = np.arange(nx).astype(np.float32) + 0.5
    y = np.flip(np.arange(ny).astype(np.float32) + 0.5)
    t2m_data = np.arange(nx * ny * nt).reshape((nt, ny, nx))
    tp_data = np.sqrt(t2m_data)

    def variable(values, name):
        array = xr.DataArray(values.astype(np.float32), dims=("time", "latitude", "longitude"), name=name,
                             coords={"time": np.arange(nt), "latitude": y, "longitude": x})
        return array.rio.set_spatial_dims(x_dim="longitude", y_dim="latitude").rio.write_crs(CRS)

    return {"t2m": variable(t2m_data, "t2m"), "tp": variable(tp_data, "tp")}


def test_gdal_multi_variable():
    results = {}
    for name, rast in multidim_nc().items():
        for band in (1, 2):
            table = exact(rast, SQUARE, stats=["count", "sum"], band=band)
            results.update(props(table, prefix=f"{name}_band_{band}_"))
    assert results == pytest.approx(  # exactextract test_gdal_multi_variable
        {
            "tp_band_1_sum": 10.437034457921982,
            "tp_band_2_sum": 17.4051194190979,
            "t2m_band_1_sum": 28.0,
            "tp_band_2_count": 4.0,
            "t2m_band_2_sum": 76.0,
            "tp_band_1_count": 4.0,
            "t2m_band_2_count": 4.0,
            "t2m_band_1_count": 4.0,
        }
    )


GH_178_POLYGON = "POLYGON ((117.103213 4.271759,117.102853 4.271848,117.102853 4.272028,117.102314 4.272028,117.102224 4.272208,117.102045 4.272208,117.102045 4.271759,117.101775 4.271759,117.101775 4.271669,117.102045 4.271399,117.102045 4.271489,117.102314 4.271489,117.102224 4.271669,117.102404 4.271759,117.102404 4.27122,117.102584 4.27122,117.10265 4.271154,117.103074 4.271366,117.103033 4.271489,117.103123 4.271489,117.103213 4.271759))"  # noqa: E501


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_gh_178(tmp_path, strategy):
    # the peer's raster: GDAL's default Byte type, 2 bands, band 1 filled with 1, no CRS (here EPSG:4326)
    transform = Affine.from_gdal(117.09683458943421, 8.983152841204135e-05, 0.0, 4.273195975028152, 0.0,
                                 -8.983152841195037e-05)
    values = np.zeros((2, 34, 72), dtype=np.uint8)
    values[0] = 1
    raster_fname = geotiff(tmp_path / "src.tif", values, transform=transform, crs="EPSG:4326")
    poly = zones(wkt.loads(GH_178_POLYGON), crs="EPSG:4326")
    with rioxarray.open_rasterio(raster_fname, masked=True) as rast:
        table = zonal_stats(rast, poly, coverage="fraction", stats=["count"], band=1,
                            max_cells=STRATEGIES[strategy])
    # exactextract test_gh_178: results[0]["properties"]["band_1_count"] == pytest.approx(95.1929023920793)
    assert table["count"][0] == pytest.approx(95.1929023920793)
