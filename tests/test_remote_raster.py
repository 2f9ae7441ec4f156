"""A raster over HTTP by its path: ``/vsicurl/http://…`` or a bare ``http://…`` URL is handed to GDAL as text
(``readers.tiles.is_remote``), which reads a COG block by block with range requests. The server here is a
local one that answers ``Range`` requests, as object stores and web servers do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import box

from sinkmap.cli import cli
from sinkmap.crs import AREA_CRS
from sinkmap.readers.tiles import is_remote
from sinkmap.zonal import zonal_stats
from tests.conftest import write_raster


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A 600 × 600 class map (tiled GeoTIFF, 256² blocks) served over HTTP by ``tests.range_server`` in its own
    process; yields (folder, base URL)."""
    folder = tmp_path_factory.mktemp("served")
    data = np.tile(np.repeat(np.array([10, 20, 30], dtype=np.uint8), 200), (600, 1))  # 3 bands of 200 columns
    write_raster(folder / "lc.tif", data, transform=from_origin(0, 18_000, 30, 30))
    server = subprocess.Popen([sys.executable, "-m", "tests.range_server", str(folder)], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).parent.parent)
    try:
        port = int(server.stdout.readline())
        yield folder, f"http://127.0.0.1:{port}"
    finally:
        server.kill()
        server.wait()


def _ranges(folder: Path) -> list[str]:
    log = folder / "ranges.log"
    return log.read_text().splitlines() if log.exists() else []


def test_remote_paths_are_told_from_local_ones():
    assert is_remote("/vsicurl/https://data.example.org/lc.tif") and is_remote("https://data.example.org/lc.tif")
    assert is_remote("s3://bucket/lc.tif") and is_remote("/vsis3/bucket/lc.tif")
    assert not is_remote("lc.tif") and not is_remote("/data/lc.tif") and not is_remote(Path("/vsicurl/x"))


@pytest.mark.parametrize("prefix", ["/vsicurl/", ""])
def test_a_raster_over_http_gives_the_local_table(served, prefix):
    """Two zones: A over columns 0–299 (200 of class 10, 100 of class 20) and rows 0–99; 30 m cells of 900 m²
    on the equal-area grid: A = 100 × 200 cells of 10 (1.8 ha × 1,000 = 1,800 ha) + 100 × 100 of 20 (900 ha)."""
    folder, url = served
    zones = gpd.GeoDataFrame({"id": ["A", "B"]}, crs=AREA_CRS,
                             geometry=[box(0, 15_000, 9_000, 18_000), box(9_000, 0, 18_000, 9_000)])
    local = zonal_stats(folder / "lc.tif", zones, categorical=True, zone_field="id")
    remote = zonal_stats(f"{prefix}{url}/lc.tif", zones, categorical=True, zone_field="id")
    pd.testing.assert_frame_equal(remote, local, check_exact=True)
    a = local[local["id"] == "A"].set_index("class")["area_ha"]
    assert a.to_dict() == pytest.approx({10: 1_800.0, 20: 900.0}, rel=1e-12)
    # read by ranges, as a COG is (GDAL caches the blocks of a URL across opens: the second run may ask none)
    assert any(line.startswith("GET /lc.tif bytes=") for line in _ranges(folder))


def test_the_commands_take_a_url(served, tmp_path):
    folder, url = served
    zones = gpd.GeoDataFrame({"id": [1]}, crs=AREA_CRS, geometry=[box(0, 0, 18_000, 18_000)])
    zones.to_file(tmp_path / "zones.gpkg")
    result = CliRunner().invoke(cli, ["zonal", f"/vsicurl/{url}/lc.tif", str(tmp_path / "zones.gpkg"), "--categorical",
                                      "-q", "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig")
    assert table["pixels"].tolist() == [120_000.0] * 3  # 600 rows × 200 columns of each class
    (tmp_path / "pools.csv").write_text("lucode,c_above,c_below,c_soil,c_dead\n10,1,0,0,0\n20,2,0,0,0\n30,3,0,0,0\n")
    result = CliRunner().invoke(cli, ["carbon", f"{url}/lc.tif", "--pools", str(tmp_path / "pools.csv"), "-q",
                                      "-o", str(tmp_path / "carbon")])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "carbon" / "carbon_summary.csv", encoding="utf-8-sig")
    # each class covers 120,000 cells × 0.09 ha = 10,800 ha: (1 + 2 + 3) Mg C/ha × 10,800 ha = 64,800 Mg C
    assert summary.set_index("pool").loc["total", "total_mg_c"] == pytest.approx(64_800.0, rel=1e-9)


def test_an_unreachable_url_is_one_line(tmp_path):
    zones = gpd.GeoDataFrame({"id": [1]}, crs=AREA_CRS, geometry=[box(0, 0, 100, 100)])
    zones.to_file(tmp_path / "zones.gpkg")
    result = CliRunner().invoke(cli, ["zonal", "/vsicurl/http://127.0.0.1:9/none.tif", str(tmp_path / "zones.gpkg"),
                                      "-q", "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 2 and "none.tif: cannot be read as a raster" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "out.csv").exists()
