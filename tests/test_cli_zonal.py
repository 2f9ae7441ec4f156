"""``sinkmap zonal``: outputs in three formats, class names, and one clear line for every bad input."""

import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Polygon, box

from sinkmap.crs import AREA_CRS


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sinkmap", "zonal", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def zones_file(tmp_path, two_squares):
    path = tmp_path / "县界" / "zones.gpkg"
    path.parent.mkdir()
    two_squares.to_file(path, layer="zones")
    return path


def assert_fails(result, text, out=None):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert text in result.stderr, result.stderr
    if out is not None:
        assert not out.exists()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_writes_each_table_format(lc4x4, zones_file, tmp_path, suffix):
    out = tmp_path / f"面积{suffix}"
    result = run(lc4x4, zones_file, "--categorical", "--zone-field", "name", "--class-names", "worldcover", "-o", out)
    assert result.returncode == 0, result.stderr
    table = {".csv": lambda p: pd.read_csv(p, encoding="utf-8-sig"), ".parquet": pd.read_parquet,
             ".xlsx": pd.read_excel}[suffix](out)
    assert list(table.columns) == ["name", "class", "class_name", "pixels", "area_ha"]
    # square A: 4 tree-cover cells × 0.09 ha; square B: 4 cropland cells
    assert table.values.tolist() == [["A", 10, "树木覆盖 Tree cover", 4.0, pytest.approx(0.36)],
                                     ["B", 40, "耕地 Cropland", 4.0, pytest.approx(0.36)]]


def test_continuous_fraction_and_reprojection_note(lc4x4, tmp_path, two_squares):
    zones = tmp_path / "zones_4490.geojson"
    two_squares.to_crs(4490).to_file(zones)
    out = tmp_path / "stats.csv"
    result = run(lc4x4, zones, "--coverage", "fraction", "--zone-field", "name", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "warning: " in result.stderr and "reprojected" in result.stderr  # said on stderr
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table["count"].tolist() == pytest.approx([4.0, 4.0], abs=1e-6)
    assert table["mean"].tolist() == pytest.approx([10.0, 40.0])


def test_missing_and_corrupt_raster(tmp_path, zones_file):
    out = tmp_path / "o.csv"
    assert_fails(run(tmp_path / "none.tif", zones_file, "-o", out), "none.tif: raster not found", out)
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00garbage")
    assert_fails(run(bad, zones_file, "-o", out), "bad.tif: cannot be read as a raster", out)


def test_zones_without_crs_empty_or_not_polygons(tmp_path, lc4x4, two_squares):
    out = tmp_path / "o.csv"
    shp = tmp_path / "nocrs.shp"
    pyogrio.write_dataframe(two_squares, shp)
    shp.with_suffix(".prj").unlink()
    assert_fails(run(lc4x4, shp, "-o", out), "nocrs.shp: has no coordinate reference system", out)
    empty = tmp_path / "empty.gpkg"
    pyogrio.write_dataframe(two_squares.iloc[:0], empty)
    assert_fails(run(lc4x4, empty, "-o", out), "zone layer has no features", out)
    lines = tmp_path / "lines.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=[LineString([(0, 0), (50, 50)])], crs=AREA_CRS), lines)
    assert_fails(run(lc4x4, lines, "-o", out), "geometries must be polygons, found LineString", out)


def test_missing_zone_field_and_output_folder(tmp_path, lc4x4, zones_file):
    out = tmp_path / "o.csv"
    assert_fails(run(lc4x4, zones_file, "--zone-field", "county", "-o", out),
                 "has no field 'county'. Use one of: name", out)
    assert_fails(run(lc4x4, zones_file, "-o", tmp_path / "no_such_folder" / "o.csv"),
                 "output folder does not exist")
    assert_fails(run(lc4x4, zones_file, "-o", tmp_path / "o.txt"), "unsupported output format '.txt'")


def test_invalid_polygon_is_repaired_with_a_warning(tmp_path, lc4x4):
    bowtie = Polygon([(0, 60), (60, 120), (60, 60), (0, 120)])  # self-intersecting
    zones = tmp_path / "bowtie.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"id": ["x"]}, geometry=[bowtie], crs=AREA_CRS), zones)
    out = tmp_path / "o.csv"
    result = run(lc4x4, zones, "--zone-field", "id", "--coverage", "fraction", "-o", out)
    assert result.returncode == 0
    assert "repaired 1 invalid polygons (x)" in result.stderr
    # the bow-tie's two triangles cover half of the 2×2 tree block: 2 cells
    assert pd.read_csv(out, encoding="utf-8-sig")["count"].iloc[0] == pytest.approx(2.0)


def test_zone_outside_the_raster_warns(tmp_path, lc4x4):
    zones = tmp_path / "far.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"id": ["far"]}, geometry=[box(1e5, 1e5, 1.1e5, 1.1e5)], crs=AREA_CRS),
                            zones)
    out = tmp_path / "o.csv"
    result = run(lc4x4, zones, "--zone-field", "id", "-o", out)
    assert result.returncode == 0 and "1 zones lie outside the raster" in result.stderr
    assert pd.read_csv(out, encoding="utf-8-sig")["count"].tolist() == [0]


def test_raster_without_crs(tmp_path, zones_file):
    import warnings

    from tests.conftest import LC4X4, write_raster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nocrs = write_raster(tmp_path / "nocrs.tif", LC4X4, crs=None)
    out = tmp_path / "o.csv"
    assert_fails(run(nocrs, zones_file, "-o", out), "nocrs.tif: has no coordinate reference system", out)


def test_dataarray_without_crs_is_refused(two_squares):
    import numpy as np
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    import xarray as xr

    from sinkmap.errors import CRSError
    from sinkmap.zonal import zonal_stats
    from tests.conftest import LC4X4

    centres = np.arange(4) * 30.0 + 15.0  # cell centres of the 4×4 fixture, no CRS attached
    array = xr.DataArray(LC4X4, dims=("y", "x"), coords={"y": centres[::-1], "x": centres})
    with pytest.raises(CRSError, match="DataArray has no CRS.*write_crs"):
        zonal_stats(array, two_squares)
