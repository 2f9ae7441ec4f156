"""Shared fixtures: hand-checkable rasters and zones, and one demo survey per test session."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

from sinkmap.crs import AREA_CRS

# 4×4 land cover, 30 m pixels in the equal-area CRS (900 m² = 0.09 ha each), WorldCover codes,
# 0 = nodata. Row 0 is the top (north) row.
LC4X4 = np.array(
    [
        [10, 10, 20, 20],
        [10, 10, 20, 20],
        [40, 40, 95, 0],
        [40, 40, 95, 0],
    ],
    dtype="uint8",
)
PIXEL_M = 30.0


def write_raster(path: Path, data: np.ndarray, *, crs=AREA_CRS, transform=None, nodata=0) -> Path:
    """Write ``data`` as a one-band GeoTIFF."""
    transform = transform or from_origin(0.0, PIXEL_M * data.shape[0], PIXEL_M, PIXEL_M)
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=data.dtype, crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(data, 1)
    return path


@pytest.fixture
def lc4x4(tmp_path) -> Path:
    """The 4×4 land-cover GeoTIFF (origin 0,120; 30 m pixels; equal-area CRS)."""
    return write_raster(tmp_path / "lc4x4.tif", LC4X4)


@pytest.fixture
def two_squares() -> gpd.GeoDataFrame:
    """Square A over the 2×2 tree pixels (top-left); square B over the 2×2 crop pixels (bottom-left)."""
    return gpd.GeoDataFrame(
        {"name": ["A", "B"]},
        geometry=[box(0, 60, 60, 120), box(0, 0, 60, 60)],
        crs=AREA_CRS,
    )


@pytest.fixture(scope="session")
def demo_survey(tmp_path_factory) -> Path:
    """One full ``sinkmap survey --demo`` run into a Unicode path, shared by the session."""
    from click.testing import CliRunner

    from sinkmap.cli import cli

    out = tmp_path_factory.mktemp("survey") / "汕尾市" / "输出"
    result = CliRunner().invoke(cli, ["survey", "--demo", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out
