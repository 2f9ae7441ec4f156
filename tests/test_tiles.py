"""Many tiles as one raster (``sinkmap/readers/tiles.py``).

A 40 × 30 land cover (WorldCover codes, 30 m cells in EPSG:4547 over Shanwei, nodata 0) is cut at column 17
and row 11 into four GeoTIFF tiles of unequal sizes (17 × 11, 23 × 11, 17 × 19, 23 × 19). Read as a folder,
a glob pattern, a list or a hand-written .vrt, the tiles give tables identical to the whole file's, in every
coverage mode, with zones across the cuts. Tiles off one grid are refused in one line naming the tile.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from pandas.testing import assert_frame_equal
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from sinkmap.cli import cli
from sinkmap.config import load_config
from sinkmap.errors import InputError, MissingInputError
from sinkmap.readers.raster import has_gdal_mask, open_raster
from sinkmap.readers.tiles import Mosaic, locate
from sinkmap.survey.provenance import Command, survey_provenance
from sinkmap.zonal import zonal_stats
from sinkmap.zonal.landcover import LandCover

CRS = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
WEST, NORTH, CELL = 630_000.0, 2_530_000.0, 30.0  # ≈ 115.3°E, 22.9°N
ROWS, COLS = 30, 40
CUT_ROW, CUT_COL = 11, 17
PARTS = {"a_nw": (0, CUT_ROW, 0, CUT_COL), "b_ne": (0, CUT_ROW, CUT_COL, COLS),  # row0, row1, col0, col1
         "c_sw": (CUT_ROW, ROWS, 0, CUT_COL), "d_se": (CUT_ROW, ROWS, CUT_COL, COLS)}
COVERAGES = ("center", "all_touched", "fraction")


def x(col: float) -> float:
    return WEST + col * CELL


def y(row: float) -> float:
    return NORTH - row * CELL


def land_cover() -> np.ndarray:
    """Grassland (30) salted with cropland (40) and built-up (50); tree cover (10) over rows 5–16 and columns
    12–24, across both cuts; water (80) in the south-east; a mangrove row (95, row 25); nodata (0) in rows 0–3,
    columns 0–5."""
    data = np.random.default_rng(21).choice(np.array([30, 30, 30, 40, 50], dtype="uint8"), size=(ROWS, COLS))
    data[5:17, 12:25] = 10
    data[20:30, 30:40] = 80
    data[25, :] = 95
    data[0:4, 0:6] = 0
    return data


LAND = land_cover()


def write(path: Path, data: np.ndarray, *, row: int = 0, col: int = 0, nodata=0, crs=CRS, transform=None,
          mask: np.ndarray | None = None, sidecar: bool = False) -> Path:
    """``data`` as a GeoTIFF whose top-left cell is cell (row, col) of the whole grid; with ``mask``, a GDAL
    mask (internal, or a .msk file beside it)."""
    transform = transform or from_origin(x(col), y(row), CELL, CELL)
    profile = {"driver": "GTiff", "width": data.shape[-1], "height": data.shape[-2], "dtype": data.dtype,
               "count": 1 if data.ndim == 2 else data.shape[0], "crs": crs, "transform": transform, "nodata": nodata}
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=not sidecar), rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1) if data.ndim == 2 else dst.write(data)
        if mask is not None:
            dst.write_mask(mask)
    return path


def cut(folder: Path, data: np.ndarray = LAND, *, parts=PARTS, nodata=0, mask=None, sidecar=False) -> list[Path]:
    """The tiles of ``data`` (and of ``mask``) in ``folder``, one GeoTIFF per part."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write(folder / f"{name}.tif", data[r0:r1, c0:c1], row=r0, col=c0, nodata=nodata, sidecar=sidecar,
                  mask=None if mask is None else mask[r0:r1, c0:c1])
            for name, (r0, r1, c0, c1) in parts.items()]


def hand_vrt(path: Path, tiles: list[Path]) -> Path:
    """A .vrt as one writes it by hand: the tiles by relative path, one SimpleSource each."""
    sources = "".join(
        f'<SimpleSource><SourceFilename relativeToVRT="1">{tile.relative_to(path.parent).as_posix()}'
        f'</SourceFilename><SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="{c1 - c0}" ySize="{r1 - r0}"/>'
        f'<DstRect xOff="{c0}" yOff="{r0}" xSize="{c1 - c0}" ySize="{r1 - r0}"/></SimpleSource>'
        for tile, (r0, r1, c0, c1) in zip(tiles, PARTS.values()))
    path.write_text(f'<VRTDataset rasterXSize="{COLS}" rasterYSize="{ROWS}"><SRS>{CRS}</SRS>'
                    f'<GeoTransform>{WEST}, {CELL}, 0, {NORTH}, 0, -{CELL}</GeoTransform>'
                    f'<VRTRasterBand dataType="Byte" band="1"><NoDataValue>0</NoDataValue>{sources}'
                    f'</VRTRasterBand></VRTDataset>', encoding="utf-8")
    return path


# Zones across the cuts: "edge" is the hand-counted block of rows 8–13 and columns 14–20; "corner" a diamond
# around the point where the cuts meet (slanted edges: fractions); "band" a slanted strip through all four
# tiles; "east" a zone inside the south-east tile; "out" one half outside the raster (east edge).
ZONES = gpd.GeoDataFrame(
    {"id": ["edge", "corner", "band", "east", "out"]},
    geometry=[box(x(14), y(14), x(21), y(8)),
              Polygon([(x(17) - 170, y(11)), (x(17), y(11) + 140), (x(17) + 190, y(11)), (x(17), y(11) - 160)]),
              Polygon([(x(1.3), y(2.2)), (x(3.1), y(1.4)), (x(38.6), y(27.9)), (x(36.2), y(28.7))]),
              box(x(25.4), y(22.6), x(33.3), y(14.2)),
              box(x(36.5), y(9.5), x(44.5), y(19.5))],
    crs=CRS)


@pytest.fixture
def tiled(tmp_path) -> dict:
    """The whole raster and its tiles (in a folder with a Chinese name), and the forms that name them."""
    whole = write(tmp_path / "whole.tif", LAND)
    folder = tmp_path / "瓦片 tiles"
    tiles = cut(folder)
    vrt = hand_vrt(tmp_path / "mosaic.vrt", tiles)
    return {"whole": whole, "folder": folder, "pattern": str(folder / "*_*.tif"), "list": tiles, "vrt": vrt}


@pytest.mark.parametrize("given", ["folder", "pattern", "list", "vrt"])
@pytest.mark.parametrize("coverage", COVERAGES)
@pytest.mark.parametrize("categorical", [True, False], ids=["categorical", "continuous"])
def test_tiles_give_the_whole_raster_table(tiled, given, coverage, categorical):
    expected = zonal_stats(tiled["whole"], ZONES, categorical=categorical, coverage=coverage, zone_field="id")
    table = zonal_stats(tiled[given], ZONES, categorical=categorical, coverage=coverage, zone_field="id")
    assert_frame_equal(table, expected, check_exact=True)
    assert len(expected) > (12 if categorical else 4)  # real rows: classes of each zone / every zone counted


@pytest.mark.parametrize("coverage", COVERAGES)
def test_small_reads_and_threads_cross_tile_edges_the_same(tiled, coverage):
    """Windows of 50 cells (large zones in strips of one or two rows) on 4 threads, and with dask; against the
    whole file read in the same windows (the sums' order follows the windows)."""
    for options in ({"max_cells": 50, "workers": 4}, {"chunks": 50}):
        expected = zonal_stats(tiled["whole"], ZONES, categorical=True, coverage=coverage, zone_field="id", **options)
        table = zonal_stats(tiled["folder"], ZONES, categorical=True, coverage=coverage, zone_field="id", **options)
        assert_frame_equal(table, expected, check_exact=True)


def test_a_zone_across_the_edges_counts_each_cell_once(tiled):
    edge = ZONES[ZONES["id"] == "edge"]
    table = zonal_stats(tiled["folder"], edge, categorical=True, zone_field="id", area="nominal")
    # rows 8–13 × columns 14–20, all tree cover (10): 3 × 3 cells in a_nw, 3 × 4 in b_ne, 3 × 3 in c_sw and
    # 3 × 4 in d_se = 9 + 12 + 9 + 12 = 42 cells; 42 × 900 m² = 3.78 ha
    assert table[["class", "pixels"]].values.tolist() == [[10, 42]]
    assert table["area_ha"].iloc[0] == pytest.approx(3.78, rel=1e-12)
    row = zonal_stats(tiled["pattern"], edge, zone_field="id").iloc[0]
    assert (row["count"], row["sum"], row["min"], row["max"]) == (42, 420, 10, 10)


def test_nothing_is_written_beside_the_tiles(tiled):
    before = {p.name: p.read_bytes() for p in tiled["folder"].iterdir()}
    with open_raster(tiled["folder"]) as dataset:
        dataset.read(1)
    zonal_stats(tiled["folder"], ZONES, categorical=True, coverage="fraction")
    assert {p.name: p.read_bytes() for p in tiled["folder"].iterdir()} == before
    assert sorted(before) == ["a_nw.tif", "b_ne.tif", "c_sw.tif", "d_se.tif"]


def test_the_mosaic_is_a_vrt_document_another_process_can_open(tiled):
    location = locate(tiled["folder"])
    assert isinstance(location, Mosaic) and location.label == f"{tiled['folder']} (4 tiles)"
    assert [p.name for p in location.tiles] == ["a_nw.tif", "b_ne.tif", "c_sw.tif", "d_se.tif"]
    assert all(p.is_absolute() for p in location.tiles)
    with open_raster(tiled["folder"]) as dataset, rasterio.open(tiled["whole"]) as whole:
        assert dataset.name == location.xml  # what a worker reopens
        assert (dataset.transform, dataset.shape, dataset.crs, dataset.nodata) == (
            whole.transform, whole.shape, whole.crs, whole.nodata)
        assert not has_gdal_mask(dataset)  # nodata fills nothing: no mask band to read
        np.testing.assert_array_equal(dataset.read(1), LAND)
    with rasterio.open(location.xml) as reopened:
        np.testing.assert_array_equal(reopened.read(1), LAND)
    assert locate(tiled["whole"]) == tiled["whole"] and locate(tiled["vrt"]) == tiled["vrt"]  # one file: as given
    one = cut(tiled["folder"].parent / "one", parts={"a_nw": PARTS["a_nw"]})
    assert locate(one[0].parent) == one[0]


@pytest.mark.parametrize("nodata", [0, None], ids=["nodata", "no-nodata"])
def test_cells_between_tiles_never_count(tmp_path, nodata):
    """Without the south-east tile its 19 × 23 cells are a gap in the mosaic's 40 × 30 grid."""
    folder = tmp_path / "three"
    cut(folder, parts={k: v for k, v in PARTS.items() if k != "d_se"}, nodata=nodata)
    whole = gpd.GeoDataFrame(geometry=[box(x(0), y(ROWS), x(COLS), y(0))], crs=CRS)
    table = zonal_stats(folder, whole, categorical=True)
    pixels = dict(zip(table["class"], table["pixels"]))
    # the three tiles hold 11 × 40 + 19 × 17 = 763 cells; the 4 × 6 = 24 zeros of the corner block are
    # nodata, or class 0 without a nodata value
    assert sum(pixels.values()) == (763 - 24 if nodata == 0 else 763)
    assert pixels.get(0) == (None if nodata == 0 else 24)
    kept = LAND.copy()
    kept[CUT_ROW:, CUT_COL:] = 255  # the gap
    codes, counts = np.unique(kept[(kept != 255) & ((kept != 0) | (nodata is None))], return_counts=True)
    assert pixels == dict(zip(codes.tolist(), counts.tolist()))
    with open_raster(folder) as dataset:
        assert has_gdal_mask(dataset) == (nodata is None)  # a VRT fills a gap with 0: the mask band says empty


@pytest.mark.parametrize("sidecar", [False, True], ids=["internal-mask", "msk-file"])
def test_tile_masks_are_carried_into_the_mosaic(tmp_path, sidecar):
    mask = np.full(LAND.shape, 255, dtype="uint8")
    mask[8:15, 13:22] = 0  # masked across both cuts
    whole = write(tmp_path / "whole.tif", LAND, nodata=None, mask=mask)
    folder = tmp_path / "masked"
    cut(folder, nodata=None, mask=mask, sidecar=sidecar)
    for coverage in COVERAGES:
        expected = zonal_stats(whole, ZONES, categorical=True, coverage=coverage, zone_field="id")
        table = zonal_stats(folder, ZONES, categorical=True, coverage=coverage, zone_field="id")
        assert_frame_equal(table, expected, check_exact=True)
    edge = zonal_stats(folder, ZONES[ZONES["id"] == "edge"], categorical=True)
    # the edge block (rows 8–13, columns 14–20) lies inside the masked rows 8–14, columns 13–21: no cell counts
    assert edge.empty


def test_a_masked_collar_lets_the_earlier_tile_show(tmp_path):
    """Masked tiles (no nodata value); b_ne reaches 4 columns into a_nw's place with other values there, masked
    (so no conflict): a_nw's values and validity show through, as in the whole file."""
    mask = np.full(LAND.shape, 255, dtype="uint8")
    mask[8:15, 13:22] = 0
    whole = write(tmp_path / "whole.tif", LAND, nodata=None, mask=mask)
    folder = tmp_path / "masked"
    tiles = cut(folder, parts={**PARTS, "b_ne": (0, CUT_ROW, CUT_COL - 4, COLS)}, nodata=None, mask=mask)
    values, collar = LAND[0:CUT_ROW, CUT_COL - 4:COLS].copy(), mask[0:CUT_ROW, CUT_COL - 4:COLS].copy()
    values[:, :4] += 1  # would show if the collar leaked
    collar[:, :4] = 0
    write(tiles[1], values, row=0, col=CUT_COL - 4, nodata=None, mask=collar)
    for coverage in COVERAGES:
        expected = zonal_stats(whole, ZONES, categorical=True, coverage=coverage, zone_field="id")
        assert_frame_equal(zonal_stats(folder, ZONES, categorical=True, coverage=coverage, zone_field="id"),
                           expected, check_exact=True)


def test_overlapping_tiles_that_agree_and_nodata_collars(tmp_path):
    """a_nw reaches 3 columns into b_ne's place with the same values; b_ne reaches 4 columns into a_nw's
    place with nodata there (a collar): each cell takes the last tile's value that has one."""
    folder = tmp_path / "overlap"
    parts = {**PARTS, "a_nw": (0, CUT_ROW, 0, CUT_COL + 3), "b_ne": (0, CUT_ROW, CUT_COL - 4, COLS)}
    tiles = cut(folder, parts=parts)
    collar = LAND[0:CUT_ROW, CUT_COL - 4:COLS].copy()
    collar[:, :4] = 0
    write(tiles[1], collar, row=0, col=CUT_COL - 4)
    whole = write(tmp_path / "whole.tif", LAND)
    for coverage in COVERAGES:
        expected = zonal_stats(whole, ZONES, categorical=True, coverage=coverage, zone_field="id")
        assert_frame_equal(zonal_stats(folder, ZONES, categorical=True, coverage=coverage, zone_field="id"),
                           expected, check_exact=True)


def test_overlapping_tiles_with_other_values_are_refused(tmp_path):
    folder = tmp_path / "conflict"
    tiles = cut(folder, parts={**PARTS, "b_ne": (0, CUT_ROW, CUT_COL - 2, COLS)})
    other = LAND[0:CUT_ROW, CUT_COL - 2:COLS].copy()
    other[3, 1] = 40 if other[3, 1] != 40 else 50
    write(tiles[1], other, row=0, col=CUT_COL - 2)
    with pytest.raises(InputError) as error:
        zonal_stats(folder, ZONES, categorical=True)
    assert str(error.value).startswith(f"{tiles[1]}: tile overlaps a_nw.tif and holds other values there (band 1, ")
    assert "at row 3, column 1 of the tile" in str(error.value) and "Clip the tiles" in str(error.value)


def test_overlapping_tiles_of_64_bit_integers_are_refused(tmp_path):
    """GDAL composites overlapping sources through doubles: 2**62 + 1 would come back as 2**62."""
    data = np.full((3, 4), 2**62 + 1, dtype="int64")
    tiles = [write(tmp_path / "a.tif", data), write(tmp_path / "b.tif", data, col=2)]
    with pytest.raises(InputError, match="b.tif: tile overlaps a.tif, and GDAL lays overlapping tiles of 64-bit"):
        zonal_stats(tiles, ZONES)
    tiles[1] = write(tmp_path / "b.tif", data, col=4)  # side by side: exact
    with open_raster(tiles) as dataset:
        assert (dataset.read(1) == 2**62 + 1).all() and dataset.shape == (3, 8)


def rotated(path):
    return write(path, LAND[CUT_ROW:, CUT_COL:],
                 transform=from_origin(x(CUT_COL), y(CUT_ROW), CELL, CELL) @ Affine.rotation(10))


REFUSALS = {  # the south-east tile rewritten wrong → the message's start and its fix
    "misaligned": (lambda p: write(p, LAND[CUT_ROW:, CUT_COL:], transform=from_origin(x(CUT_COL) + 15, y(CUT_ROW),
                                                                                       CELL, CELL)),
                   "tile is not aligned to a_nw.tif's grid: its origin lies 17.5 columns and 11 rows from it, "
                   "not whole cells", "Resample the tiles to one grid"),
    "crs": (lambda p: write(p, LAND[CUT_ROW:, CUT_COL:], row=CUT_ROW, col=CUT_COL, crs="EPSG:4549"),
            "tile CRS EPSG:4549 differs from a_nw.tif's EPSG:4547", "Reproject the tiles to one CRS"),
    "pixel": (lambda p: write(p, LAND[CUT_ROW:, CUT_COL:], transform=from_origin(x(CUT_COL), y(CUT_ROW), 10, 10)),
              "tile pixel size 10 × 10 differs from a_nw.tif's 30 × 30", "Resample the tiles to one grid"),
    "dtype": (lambda p: write(p, LAND[CUT_ROW:, CUT_COL:].astype("uint16"), row=CUT_ROW, col=CUT_COL),
              "tile data type uint16 differs from a_nw.tif's uint8", "Convert the tiles to one data type"),
    "nodata": (lambda p: write(p, LAND[CUT_ROW:, CUT_COL:], row=CUT_ROW, col=CUT_COL, nodata=255),
               "tile nodata 255.0 differs from a_nw.tif's 0.0", "Set one nodata value on every tile"),
    "bands": (lambda p: write(p, np.stack([LAND[CUT_ROW:, CUT_COL:]] * 2), row=CUT_ROW, col=CUT_COL),
              "tile band count 2 differs from a_nw.tif's 1", "Give tiles with the same bands"),
    "rotated": (rotated, "tile is rotated", "Warp the tiles to a north-up grid"),
    "no-crs": (lambda p: write(p, LAND[CUT_ROW:, CUT_COL:], row=CUT_ROW, col=CUT_COL, crs=None),
               "has no coordinate reference system", "Define it"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_tiles_off_one_grid_are_refused_naming_the_tile(tmp_path, case):
    make, problem, fix = REFUSALS[case]
    tiles = cut(tmp_path / "tiles")
    tiles[3].unlink()
    make(tiles[3])
    with pytest.raises(InputError) as error:
        zonal_stats(tmp_path / "tiles", ZONES, categorical=True)
    message = str(error.value)
    assert message.startswith(f"{tiles[3]}: {problem}. {fix}"), message
    assert "\n" not in message


def test_nothing_to_read_is_refused_naming_the_folder_or_pattern(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no tiles yet")
    with pytest.raises(MissingInputError, match="empty: the folder holds no GeoTIFF"):
        zonal_stats(tmp_path / "empty", ZONES)
    pattern = str(tmp_path / "empty" / "*.tif")
    with pytest.raises(MissingInputError) as error:
        zonal_stats(pattern, ZONES)
    assert str(error.value).startswith(f"{pattern}: no file matches this pattern. Check the folder and the pattern")
    with pytest.raises(MissingInputError, match="gone.tif: raster tile not found"):
        zonal_stats([tmp_path / "empty" / "readme.txt", tmp_path / "gone.tif"], ZONES)


def test_land_cover_map_in_tiles_is_the_whole_map(tiled):
    with LandCover.open(tiled["whole"], "worldcover") as whole, LandCover.open(tiled["folder"], "worldcover") as tiles:
        assert (tiles.codes, tiles.shape, tiles.transform, tiles.nodata) == (whole.codes, whole.shape,
                                                                              whole.transform, whole.nodata)
        assert tiles.codes == (10, 30, 40, 50, 80, 95)
        assert_frame_equal(tiles.class_areas_centre(ZONES, "id"), whole.class_areas_centre(ZONES, "id"),
                           check_exact=True)
        assert_frame_equal(tiles.class_areas_fraction(ZONES, "id"), whole.class_areas_fraction(ZONES, "id"),
                           check_exact=True)
        np.testing.assert_array_equal(tiles.image("EPSG:3857").codes, whole.image("EPSG:3857").codes)


def test_land_cover_code_errors_name_the_tiles(tmp_path):
    data = LAND.copy()
    data[20, 20] = 7  # not a WorldCover code
    folder = tmp_path / "tiles"
    cut(folder, data)
    with pytest.raises(InputError) as error:
        LandCover.open(folder, "worldcover")
    assert str(error.value).startswith(f"{folder} (4 tiles): class codes [7] are not in the 'worldcover' preset")


@pytest.mark.parametrize("given", ["tiles", "tiles/", "tiles/*.tif"])
def test_survey_configuration_reads_tiles_and_records_each(tmp_path, given):
    tiles = cut(tmp_path / "tiles")
    (tmp_path / "stands.gpkg").write_bytes(b"")  # named only: neither load_config nor the record reads it
    (tmp_path / "survey.yaml").write_text(f"survey_year: 2025\nlandcover: {{path: {given}, preset: worldcover}}\n"
                                          "stands: stands.gpkg\n", encoding="utf-8")
    config = load_config(tmp_path / "survey.yaml")
    record = survey_provenance(config, Command(tmp_path / "survey.yaml"), tmp_path / "out")["inputs"]["landcover"]
    sha = [hashlib.sha256(t.read_bytes()).hexdigest() for t in tiles]
    assert record["tiles"] == [{"path": f"tiles/{t.name}", "size_bytes": t.stat().st_size, "sha256": s}
                               for t, s in zip(tiles, sha)]
    listing = "".join(f"tiles/{t.name}  {s}\n" for t, s in zip(tiles, sha))
    assert (record["path"], record["sha256"], record["preset"]) == (
        given.rstrip("/"), hashlib.sha256(listing.encode()).hexdigest(), "worldcover")
    assert record["size_bytes"] == sum(t.stat().st_size for t in tiles)
    with LandCover.open(config.inputs["landcover"].path, "worldcover") as landcover:
        assert landcover.shape == (ROWS, COLS)
        # notes and captions name the folder, or the pattern with its folder (a bare "*.tif" says nothing)
        assert landcover.name == config.inputs["landcover"].name == given.rstrip("/")


def test_survey_configuration_refuses_a_pattern_that_matches_nothing(tmp_path):
    (tmp_path / "stands.gpkg").write_bytes(b"")
    (tmp_path / "survey.yaml").write_text("survey_year: 2025\nlandcover: {path: tiles/*.tif, preset: worldcover}\n"
                                          "stands: stands.gpkg\n", encoding="utf-8")
    with pytest.raises(MissingInputError) as error:
        load_config(tmp_path / "survey.yaml")
    assert str(error.value) == (f"{tmp_path / 'survey.yaml'}: the landcover pattern {tmp_path / 'tiles' / '*.tif'} "
                                "matches no file. Correct the folder or the pattern (e.g. tiles/*.tif).")


def test_cli_takes_a_folder_or_a_quoted_pattern(tiled, tmp_path):
    zones = tmp_path / "zones.gpkg"
    ZONES.to_file(zones)
    written = {}
    for given in ("whole", "folder", "pattern"):
        out = tmp_path / f"{given}.csv"
        result = CliRunner().invoke(cli, ["zonal", str(tiled[given]), str(zones), "--categorical", "--coverage",
                                          "fraction", "--zone-field", "id", "-q", "-o", str(out)])
        assert result.exit_code == 0, result.output
        written[given] = out.read_bytes()
    assert written["folder"] == written["whole"] and written["pattern"] == written["whole"]
    assert len(pd.read_csv(tmp_path / "whole.csv")) > 12
    result = CliRunner().invoke(cli, ["zonal", str(tmp_path / "nowhere" / "*.tif"), str(zones), "-o",
                                      str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "no file matches this pattern" in result.stderr
    assert not os.path.exists(tmp_path / "x.csv")
