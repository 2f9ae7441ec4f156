"""Carbon from land cover: InVEST Carbon parity (natcap/invest tests/test_carbon.py) and hand cases."""

import subprocess
import sys
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from pyproj import Proj, Transformer
from rasterio.transform import from_origin
from shapely.geometry import box

import sinkmap
from sinkmap.crs import AREA_CRS
from sinkmap.errors import InputError, SchemaError, SinkmapWarning
from sinkmap.indicators.carbon import CARBON_NODATA, carbon_density, density_lookup
from sinkmap.readers.tables import read_table
from tests.conftest import write_raster

# InVEST's test pools table (tests/test_carbon.py): capitalised column names, Mg C/ha
INVEST_POOLS = "lucode,C_above,C_below,C_soil,C_dead\n1,15,10,60,1\n2,5,3,20,0\n3,2,1,5,0\n"
UTM10N = "EPSG:26910"
INVEST_ORIGIN = from_origin(461261, 4923265, 1, 1)  # 10 × 10 cells of 1 m × 1 m = 100 m²


@pytest.fixture
def pools(tmp_path):
    path = tmp_path / "pools.csv"
    path.write_text(INVEST_POOLS)
    return path


def utm_areal_scale(x, y):
    """Areal scale factor (k², grid over ground) of UTM 10N at a projected point, from pyproj."""
    lon, lat = Transformer.from_crs(UTM10N, "EPSG:4269", always_xy=True).transform(x, y)
    return Proj(UTM10N).get_factors(lon, lat).areal_scale


def invest_raster(path, value):
    data = np.full((10, 10), value, dtype="int32")
    return write_raster(path, data, crs=UTM10N, transform=INVEST_ORIGIN, nodata=-1)


def test_invest_baseline_and_alternate_totals(tmp_path, pools):
    # baseline all 1: 15 + 10 + 60 + 1 = 86 Mg C/ha; alternate all 2: 5 + 3 + 20 + 0 = 28 Mg C/ha
    # totals on 100 m² = 0.01 ha: 0.86 Mg C and 0.28 Mg C (InVEST's report values)
    for value, density in ((1, 86.0), (2, 28.0)):
        lulc = invest_raster(tmp_path / f"lulc{value}.tif", value)
        stock = sinkmap.carbon_stock(lulc, pools)
        # InVEST's tolerance (atol 1e-3). sinkmap takes the true ground area of the 1 m UTM cells:
        # 39 km west of the central meridian the UTM scale factor k < 1 (grid shorter than ground),
        # so a 1 m × 1 m grid cell covers 1/k² ≈ 1.00076 m² of ground; pyproj gives k independently
        total = stock.summary.set_index("pool").loc["total", "total_mg_c"]
        assert total == pytest.approx(density * 0.01, abs=1e-3)
        areal_scale = utm_areal_scale(461261 + 5, 4923265 - 5)  # grid area / ground area at the centre
        assert total == pytest.approx(density * 0.01 / areal_scale, rel=1e-6)
        pools_row = stock.summary.set_index("pool")["total_mg_c"]
        assert pools_row["c_above"] / total == pytest.approx((15 if value == 1 else 5) / density)


def test_nominal_area_reproduces_invests_totals_exactly(tmp_path, pools):
    # InVEST multiplies each pixel's density by the planar pixel area: 1 m × 1 m = 1 m² = 1e-4 ha,
    # so 100 cells of code 1 hold 100 × 1e-4 ha × 86 Mg C/ha = 0.86 Mg C to the last digit
    lulc = invest_raster(tmp_path / "lulc1.tif", 1)
    stock = sinkmap.carbon_stock(lulc, pools, area="nominal")
    assert stock.summary.set_index("pool").loc["total", "total_mg_c"] == pytest.approx(0.86, rel=1e-12)
    out = subprocess.run([sys.executable, "-m", "sinkmap", "carbon", str(lulc), "--pools", str(pools), "--area",
                          "nominal", "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    summary = pd.read_csv(tmp_path / "out" / "carbon_summary.csv").set_index("pool")["total_mg_c"]
    assert summary["total"] == pytest.approx(0.86, rel=1e-12)


def test_masked_cells_hold_no_carbon(tmp_path, pools):
    # a 2 × 2 UTM raster of code 1 whose right column is masked by an internal GDAL mask band (no nodata):
    # 2 cells × 1e-4 ha × 86 Mg C/ha = 0.0172 Mg C (nominal), and nodata in the carbon map where masked
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(
            tmp_path / "masked.tif", "w", driver="GTiff", width=2, height=2, count=1, dtype="int32", crs=UTM10N,
            transform=INVEST_ORIGIN) as dst:
        dst.write(np.ones((2, 2), dtype="int32"), 1)
        dst.write_mask(np.array([[255, 0], [255, 0]], dtype="uint8"))
    sinkmap.pipelines.carbon.run_carbon(tmp_path / "masked.tif", pools, tmp_path / "out", area="nominal")
    summary = pd.read_csv(tmp_path / "out" / "carbon_summary.csv").set_index("pool")["total_mg_c"]
    assert summary["total"] == pytest.approx(2 * 1e-4 * 86, rel=1e-12)
    with rasterio.open(tmp_path / "out" / "carbon_total.tif") as src:
        np.testing.assert_array_equal(src.read(1), [[86.0, CARBON_NODATA], [86.0, CARBON_NODATA]])


def test_invest_carbon_map_values(tmp_path, pools):
    # natcap/invest _generate_carbon_map: [[1,1],[2,3]] with {1: 5000, 2: 60, 3: 120} → same shape of values
    lookup = pd.Series({1: 5000.0, 2: 60.0, 3: 120.0})
    out = carbon_density(np.array([[1, 1], [2, 3]]), lookup, nodata=None)
    np.testing.assert_array_equal(out, [[5000, 5000], [60, 120]])
    lulc = invest_raster(tmp_path / "lulc.tif", 1)
    sinkmap.pipelines.carbon.run_carbon(lulc, pools, tmp_path / "out")
    with rasterio.open(tmp_path / "out" / "carbon_total.tif") as src:
        assert src.dtypes[0] == "float32" and src.nodata == CARBON_NODATA and src.tags()["UNITS"] == "Mg C/ha"
        np.testing.assert_allclose(src.read(1), 86.0)  # c_storage_bas = 86 t C/ha on every pixel


def test_missing_code_is_an_error_naming_it(tmp_path, pools):
    lulc = invest_raster(tmp_path / "lulc200.tif", 200)
    with pytest.raises(InputError, match=r"values \[200\] are not in the 'lucode' column of pools.csv"):
        sinkmap.carbon_stock(lulc, pools)


def test_allow_missing_warns_and_writes_nodata(tmp_path, pools):
    data = np.array([[1, 200], [2, -1]], dtype="int32")
    lulc = write_raster(tmp_path / "mixed.tif", data, nodata=-1)  # 30 m cells in the equal-area CRS
    with pytest.warns(SinkmapWarning, match=r"values \[200\]"):
        files = sinkmap.pipelines.carbon.run_carbon(lulc, pools, tmp_path / "out", allow_missing=True)
    assert [p.name for p in files] == ["carbon_total.tif", "carbon_summary.csv"]
    with rasterio.open(tmp_path / "out" / "carbon_total.tif") as src:
        np.testing.assert_allclose(src.read(1), [[86.0, CARBON_NODATA], [28.0, CARBON_NODATA]])


def test_hand_computed_3x3_with_zones(tmp_path, pools):
    # 30 m cells = 0.09 ha in the equal-area CRS; row 0 on top; -1 = nodata
    data = np.array([[1, 1, 2], [2, 3, 3], [-1, 1, 2]], dtype="int32")
    lulc = write_raster(tmp_path / "lulc3.tif", data, nodata=-1)
    # west holds the centres of column 0 (x = 15), east those of columns 1–2 (x = 45, 75)
    zones = gpd.GeoDataFrame({"id": ["west", "east"]}, geometry=[box(0, 0, 40, 90), box(40, 0, 90, 90)],
                             crs=AREA_CRS)
    stock = sinkmap.carbon_stock(lulc, pools, zones=zones, zone_field="id")
    summary = stock.summary.set_index("pool")["total_mg_c"]
    # code 1: 3 cells, code 2: 3 cells, code 3: 2 cells; 0.09 ha each
    assert summary["c_above"] == pytest.approx(0.09 * (3 * 15 + 3 * 5 + 2 * 2))  # = 5.76 Mg C
    assert summary["total"] == pytest.approx(0.09 * (3 * 86 + 3 * 28 + 2 * 8))  # = 32.22 Mg C
    by_zone = stock.by_zone.set_index("id")["total_mg_c"]
    # west = column 0: codes 1, 2 (row 2 is nodata) → 0.09 × (86 + 28); east = columns 1–2: the rest
    assert by_zone["west"] == pytest.approx(0.09 * (86 + 28))
    assert by_zone["east"] == pytest.approx(0.09 * (2 * 86 + 2 * 28 + 2 * 8))


def test_pools_table_is_validated(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("lucode,c_above,c_below,c_soil\n1,1,2,3\n")
    with pytest.raises(SchemaError, match=r"bad.csv field 'c_dead': required field is missing"):
        read_table(bad, "carbon_pools")
    negative = tmp_path / "neg.csv"
    negative.write_text("lucode,c_above,c_below,c_soil,c_dead\n1,-5,2,3,0\n")
    with pytest.raises(SchemaError, match=r"neg.csv field 'c_above': values below 0 Mg C/ha: 1=-5.0"):
        read_table(negative, "carbon_pools")
    text = tmp_path / "text.csv"
    text.write_text("lucode,c_above,c_below,c_soil,c_dead\n1,5,2,3,0\n4,5,2,lots,0\n")
    with pytest.raises(SchemaError, match=r"text.csv field 'c_soil': values are not float numbers: 4='lots'"):
        read_table(text, "carbon_pools")
    upper = tmp_path / "upper.csv"
    upper.write_text("LUCODE,C_ABOVE,C_BELOW,C_SOIL,C_DEAD,LULC_NAME\n7,1,2,3,4,林地\n")  # any case
    assert density_lookup(read_table(upper, "carbon_pools")).to_dict() == {7: 10.0}  # 1 + 2 + 3 + 4


# Densities above the plausible maxima of layers/catalogue.yaml (c_above 2,000, c_soil 10,000 Mg C/ha) run,
# with a warning; InVEST's own carbon-map test gives code 1 a density of 5,000 Mg C/ha
DENSE_POOLS = "lucode,C_above,C_below,C_soil,C_dead\n1,5000,10,5000,1\n2,5,3,20,0\n3,2500,1,5,0\n"
LULC_3X3 = np.array([[1, 1, 2], [2, 3, 3], [-1, 1, 2]], dtype="int32")  # 30 m cells = 0.09 ha; -1 = nodata


def test_implausible_densities_warn_naming_the_rows_and_still_run(tmp_path):
    pools = tmp_path / "dense.csv"
    pools.write_text(DENSE_POOLS)
    lulc = write_raster(tmp_path / "lulc3.tif", LULC_3X3, nodata=-1)
    with pytest.warns(SinkmapWarning) as record:
        files = sinkmap.pipelines.carbon.run_carbon(lulc, pools, tmp_path / "out")
    messages = [str(w.message) for w in record if issubclass(w.category, SinkmapWarning)]
    assert len(messages) == 1  # the table is read once; c_soil 5,000 is within peat's range, so no warning
    assert messages[0].startswith(f"{pools} field 'c_above': values above the plausible 2,000 Mg C/ha "
                                  "(lucode=value): 1=5000.0, 3=2500.0. Check the unit: the field wants Mg C/ha")
    assert "t CO₂e/ha 3.67×" in messages[0] and "\n" not in messages[0]
    # densities: code 1 = 5000 + 10 + 5000 + 1 = 10,011; code 2 = 5 + 3 + 20 + 0 = 28; code 3 = 2500 + 1 + 5 = 2,506
    # Mg C/ha; cells: code 1 × 3, code 2 × 3, code 3 × 2, 0.09 ha each
    # total = 0.09 × (3 × 10,011 + 3 × 28 + 2 × 2,506) = 0.09 × 35,129 = 3,161.61 Mg C
    summary = pd.read_csv(files[1], encoding="utf-8-sig").set_index("pool")["total_mg_c"]
    assert summary["total"] == pytest.approx(3161.61)
    assert summary["c_above"] == pytest.approx(0.09 * (3 * 5000 + 3 * 5 + 2 * 2500))  # = 1,801.35 Mg C
    assert summary["c_soil"] == pytest.approx(0.09 * (3 * 5000 + 3 * 20 + 2 * 5))  # = 1,356.3 Mg C
    with rasterio.open(files[0]) as src:
        np.testing.assert_allclose(src.read(1)[0], [10011.0, 10011.0, 28.0])


def test_plausible_densities_warn_nothing(tmp_path, pools):
    lulc = write_raster(tmp_path / "lulc3.tif", LULC_3X3, nodata=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SinkmapWarning)
        stock = sinkmap.carbon_stock(lulc, pools)
    assert stock.summary.set_index("pool").loc["total", "total_mg_c"] == pytest.approx(32.22)


def test_cli_warns_about_implausible_densities_on_one_line(tmp_path):
    pools = tmp_path / "dense.csv"
    pools.write_text(DENSE_POOLS)
    lulc = write_raster(tmp_path / "lulc3.tif", LULC_3X3, nodata=-1)
    result = subprocess.run([sys.executable, "-m", "sinkmap", "carbon", str(lulc), "--pools", str(pools), "-o",
                             str(tmp_path / "out")], capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if line.startswith("sinkmap: warning: ")]
    assert len(warned) == 1, result.stderr
    assert "dense.csv field 'c_above': values above the plausible 2,000 Mg C/ha (lucode=value): 1=5000.0, " \
           "3=2500.0. Check the unit" in warned[0]
    assert "Traceback" not in result.stderr and (tmp_path / "out" / "carbon_total.tif").is_file()


def test_cli_writes_summary_and_zone_totals(tmp_path, pools):
    data = np.array([[1, 1, 2], [2, 3, 3], [-1, 1, 2]], dtype="int32")
    lulc = write_raster(tmp_path / "lulc3.tif", data, nodata=-1)
    zones = tmp_path / "zones.gpkg"
    gpd.GeoDataFrame({"id": ["all"]}, geometry=[box(0, 0, 90, 90)], crs=AREA_CRS).to_file(zones)
    out = tmp_path / "碳储量"
    result = subprocess.run([sys.executable, "-m", "sinkmap", "carbon", str(lulc), "--pools", str(pools), "-o",
                             str(out), "--zones", str(zones), "--zone-field", "id"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    summary = pd.read_csv(out / "carbon_summary.csv", encoding="utf-8-sig")
    assert list(summary.columns) == ["pool", "total_mg_c"]
    assert summary["pool"].tolist() == ["c_above", "c_below", "c_soil", "c_dead", "total"]
    assert summary["total_mg_c"].iloc[-1] == pytest.approx(32.22)
    assert pd.read_csv(out / "carbon_zones.csv", encoding="utf-8-sig")["total_mg_c"].iloc[0] == pytest.approx(32.22)
    missing = subprocess.run([sys.executable, "-m", "sinkmap", "carbon", str(lulc), "--pools",
                              str(tmp_path / "none.csv"), "-o", str(tmp_path / "x")], capture_output=True, text=True)
    assert missing.returncode == 2 and "none.csv: table not found" in missing.stderr
    assert not (tmp_path / "x").exists()
