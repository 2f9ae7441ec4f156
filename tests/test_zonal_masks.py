"""Rasters as they are delivered: GDAL mask bands, alpha bands, float class codes.

The 4×4 land cover of conftest (30 m cells, 0.09 ha each) with its top-right 2×2 block (class 20)
masked out by a mask band instead of a nodata value. Hand counts over the whole raster:
    10: 4 cells, 40: 4 cells, 95: 2 cells; the two 0-cells of column 3 (rows 2–3) count as class 0
    unless 0 is declared nodata. Class 20 never counts.
Each case is checked against exactextract (fraction) and rasterstats (centre) on the same file.
"""

import warnings

import exactextract
import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterstats
import rioxarray
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin
from shapely.geometry import box

from sinkmap.crs import AREA_CRS
from sinkmap.errors import SchemaError
from sinkmap.zonal import class_areas, zonal_stats
from tests.conftest import LC4X4, write_raster

MASK = np.full((4, 4), 255, dtype="uint8")
MASK[0:2, 2:4] = 0  # the class-20 block is masked
PROFILE = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "uint8", "crs": AREA_CRS,
           "transform": from_origin(0, 120, 30, 30)}
WHOLE = gpd.GeoDataFrame({"id": ["all"]}, geometry=[box(0, 0, 120, 120)], crs=AREA_CRS)
# a zone over the right half: columns 2–3 → class 20 (masked), 95 ×2, 0 ×2
RIGHT = gpd.GeoDataFrame({"id": ["right"]}, geometry=[box(60, 0, 120, 120)], crs=AREA_CRS)


def internal_mask(path, *, nodata=None):
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(path, "w", **PROFILE, nodata=nodata) as dst:
        dst.write(LC4X4, 1)
        dst.write_mask(MASK)
    return path


def sidecar_mask(path):
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=False), rasterio.open(path, "w", **PROFILE) as dst:
        dst.write(LC4X4, 1)
        dst.write_mask(MASK)  # written as path.msk
    return path


def alpha_band(path):
    with rasterio.open(path, "w", **{**PROFILE, "count": 2}) as dst:
        dst.write(LC4X4, 1)
        dst.write(MASK, 2)
        dst.colorinterp = [ColorInterp.gray, ColorInterp.alpha]
    return path


def classes(table) -> dict:
    return {int(c): p for c, p in zip(table["class"], table["pixels"])}


@pytest.mark.parametrize("make", [internal_mask, sidecar_mask, alpha_band])
@pytest.mark.parametrize("coverage", ["center", "all_touched", "fraction"])
def test_masked_cells_never_count(tmp_path, make, coverage):
    path = make(tmp_path / "masked.tif")
    table = zonal_stats(path, WHOLE, categorical=True, coverage=coverage)
    # 16 cells − 4 masked = 12: 10 ×4, 40 ×4, 95 ×2, and the two undeclared 0-cells
    assert classes(table) == {0: 2, 10: 4, 40: 4, 95: 2}
    continuous = zonal_stats(path, RIGHT, coverage=coverage).iloc[0]
    # right half without the masked block: 95, 0, 95, 0 → count 4, sum 190, min 0, max 95
    assert (continuous["count"], continuous["sum"], continuous["min"], continuous["max"]) == (4, 190, 0, 95)


def test_nodata_and_mask_together(tmp_path):
    path = internal_mask(tmp_path / "both.tif", nodata=0)
    table = zonal_stats(path, WHOLE, categorical=True, coverage="fraction")
    # the mask removes class 20, nodata = 0 removes column 3's two 0-cells: 4 + 4 + 2 = 10 cells
    assert classes(table) == {10: 4, 40: 4, 95: 2}
    assert table["area_ha"].sum() == pytest.approx(10 * 0.09)  # 10 cells × 900 m²


@pytest.mark.parametrize("make", [internal_mask, sidecar_mask])
def test_masked_counts_equal_the_peers(tmp_path, make):
    path = make(tmp_path / "masked.tif")
    zones = gpd.GeoDataFrame(geometry=[box(10, 5, 115, 100), box(40, 40, 120, 120)], crs=AREA_CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        centre = rasterstats.zonal_stats(zones, str(path), categorical=True)
        exact = exactextract.exact_extract(str(path), zones, ["unique", "frac", "count"], output="pandas")
    ours_centre = zonal_stats(path, zones, categorical=True)
    ours_fraction = zonal_stats(path, zones, categorical=True, coverage="fraction")
    for zone in range(len(zones)):
        assert classes(ours_centre[ours_centre["zone"] == zone]) == centre[zone]
        rows = ours_fraction[ours_fraction["zone"] == zone]
        theirs = dict(zip(exact["unique"][zone].tolist(), (exact["frac"][zone] * exact["count"][zone]).tolist()))
        assert classes(rows) == pytest.approx(theirs, rel=1e-6)  # exactextract's frac is float32


def test_open_dataset_and_masked_dataarray_honour_the_mask(tmp_path):
    path = internal_mask(tmp_path / "masked.tif")
    with rasterio.open(path) as dataset:
        from_dataset = zonal_stats(dataset, WHOLE, categorical=True)
    array = rioxarray.open_rasterio(path, masked=True)  # masked cells become NaN
    from_array = zonal_stats(array, WHOLE, categorical=True)
    assert classes(from_dataset) == classes(from_array) == {0: 2, 10: 4, 40: 4, 95: 2}
    assert class_areas(path)["pixels"].sum() == 12


def test_float_class_codes_count_as_integers(tmp_path):
    codes = LC4X4.astype("float32")
    codes[3, 3] = np.nan  # NaN is nodata whatever the declared nodata
    path = write_raster(tmp_path / "classes_f32.tif", codes, nodata=-9999.0)
    table = zonal_stats(path, WHOLE, categorical=True, coverage="fraction")
    assert table["class"].dtype.kind == "i"
    # 10 ×4, 20 ×4, 40 ×4, 95 ×2, 0 ×1 (row 2, column 3); the NaN cell does not count
    assert classes(table) == {0: 1, 10: 4, 20: 4, 40: 4, 95: 2}
    zones = gpd.GeoDataFrame(geometry=[box(10, 5, 115, 100)], crs=AREA_CRS)  # cuts cells: fractions differ
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = rasterstats.zonal_stats(zones, str(path), categorical=True)[0]
        exact = exactextract.exact_extract(str(path), zones, ["unique", "frac", "count"], output="pandas")
    assert classes(zonal_stats(path, zones, categorical=True)) == {int(k): v for k, v in theirs.items()}
    fraction = classes(zonal_stats(path, zones, categorical=True, coverage="fraction"))
    expected = dict(zip(exact["unique"][0].astype(int).tolist(), (exact["frac"][0] * exact["count"][0]).tolist()))
    assert fraction == pytest.approx(expected, rel=1e-6)  # exactextract's frac is float32


def test_float_codes_beyond_a_byte_and_mixed_windows(tmp_path):
    # codes 0–255 and 1101 (a 三调-like code) in one raster, read in 1-row windows: some windows hold only
    # small codes, others a wide one; each class is still counted once, in full
    codes = LC4X4.astype("float64")
    codes[3, :] = 1101.0
    path = write_raster(tmp_path / "wide.tif", codes, nodata=None)
    table = zonal_stats(path, WHOLE, categorical=True, max_cells=4)
    # row 3 → 1101 ×4; rows 0–2: 10 ×4, 20 ×4, 40 ×2, 95 ×1, 0 ×1
    assert classes(table) == {0: 1, 10: 4, 20: 4, 40: 2, 95: 1, 1101: 4}


def test_fractional_class_values_are_refused_in_one_line(tmp_path):
    codes = LC4X4.astype("float32")
    codes[1, 1] = 10.25
    path = write_raster(tmp_path / "slope.tif", codes)
    with pytest.raises(SchemaError, match=r"slope\.tif: class raster holds 10\.25, which is not a whole class code "
                                          r"\(float32\)\. Round it \(np\.round\) or reclassify"):
        zonal_stats(path, WHOLE, categorical=True)
    # continuous statistics of the same raster are fine: 10 ×3 + 10.25 + 20 ×4 + 40 ×4 + 95 ×2 = 470.25
    assert zonal_stats(path, WHOLE)["sum"].iloc[0] == pytest.approx(470.25)
