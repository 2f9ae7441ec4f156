"""Many GeoTIFF tiles read as one raster: a folder, a glob pattern or a list of files.

``locate(source)`` resolves what the user gave:

- a folder: its ``*.tif`` / ``*.tiff`` files (not its subfolders), sorted by name;
- a glob pattern (``tiles/*.tif``, ``**`` reaches into subfolders): the files it matches, sorted;
- a list of paths: those files, in the order given;
- one file (a GeoTIFF, a ``.vrt`` or any GDAL raster): that file, unchanged;
- a GDAL virtual path or a URL (``/vsicurl/https://…``, ``https://…/lulc_cog.tif``, ``s3://…``): that text,
  unchanged, for GDAL to open (a COG over HTTP is read block by block).

Several files become a ``Mosaic``: a VRT document (XML text, built in memory: nothing is written beside
the tiles) that ``rasterio.open`` takes as it takes a path — here, or in another process, which opens the
tiles through their absolute paths. A zone across a tile edge is then counted once, as on one file.

The tiles must share one grid: CRS, pixel size, data type, band count and nodata value, north-up, their
origins whole cells apart (within ``ALIGN_CELLS``); anything else is refused with one line naming the
tile. The mosaic spans the tiles' union. Cells no tile covers hold no value: the nodata value, or, for
tiles without one, a cell the mosaic's mask band marks empty (a VRT fills gaps with 0 otherwise). A
tile's GDAL mask (internal or ``.msk`` mask, alpha band) is carried into the mosaic's mask band.

Overlapping tiles are allowed where they agree: where two tiles both hold a value they must hold the
same one (checked cell by cell; refused otherwise). A cell takes its value from the last tile, in the
order above, that has a value there; a tile's nodata and masked cells let the earlier tiles show.
Overlapping tiles of 64-bit integers are refused (GDAL would composite them through doubles).
"""

from __future__ import annotations

import glob
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.dtypes import dtype_rev, typename_fwd
from rasterio.enums import ColorInterp
from rasterio.windows import Window

from sinkmap.crs import require_crs
from sinkmap.errors import InputError, MissingInputError
from sinkmap.readers.raster import DEFAULT_MAX_CELLS, MOSAIC_LABEL, has_gdal_mask, read_valid

TILE_SUFFIXES = (".tif", ".tiff")  # a folder's tiles
ALIGN_CELLS = 1e-6  # tiles' origins must be whole cells apart within this share of a cell
PIXEL_RELATIVE = 1e-9  # pixel sizes must agree within this relative difference
GRID_FIX = "resample the tiles to one grid (gdalwarp -t_srs, -tr and -tap), or mosaic them yourself (gdalbuildvrt)"


@dataclass(frozen=True)
class Mosaic:
    """Tiles read as one raster: ``xml``, the VRT document ``rasterio.open`` takes; ``label``, its name in
    messages (the folder, pattern or first file given, and the number of tiles)."""

    tiles: tuple[Path, ...]
    xml: str
    label: str


def is_remote(source) -> bool:
    """True for a GDAL virtual file system path (``/vsicurl/…``, ``/vsis3/…``) or a URL (``https://…``,
    ``s3://…``): text for GDAL to open, not a local path (``Path`` would fold its ``//``)."""
    return isinstance(source, str) and re.match(r"(/vsi[a-z0-9_]+/|[a-z][a-z0-9+.-]*://)", source) is not None


def remote_name(source: str) -> str:
    """The file name of a remote source (``is_remote``): the last part of its path (of the URL after any
    ``/vsi…/`` prefixes), without a query string or fragment, %-escapes decoded; the text itself if it has none."""
    rest = re.sub(r"^(/vsi[a-z0-9_]+/)+", "", source)
    path = urlsplit(rest).path if re.match(r"[a-z][a-z0-9+.-]*://", rest) else rest.split("?")[0]
    return unquote(path.rstrip("/").rsplit("/", 1)[-1]) or source


def recorded_url(source: str) -> str:
    """A remote source as records and reports show it: a query string (a presigned link's signature, a
    token) as "?…", a user name and password left out; ``/vsi…/`` prefixes, host and path as written."""
    prefix = re.match(r"(/vsi[a-z0-9_]+/)*", source)[0]
    rest = source[len(prefix):]
    if re.match(r"[a-z][a-z0-9+.-]*://", rest):
        parts = urlsplit(rest)
        rest = parts._replace(netloc=parts.netloc.rpartition("@")[2], query="", fragment="").geturl()
        return prefix + rest + ("?…" if parts.query else "")
    path, _, query = rest.partition("?")
    return prefix + path + ("?…" if query else "")


def is_pattern(text: str | Path) -> bool:
    """True when ``text`` holds a glob wildcard (``*``, ``?`` or ``[``)."""
    return re.search(r"[*?\[]", str(text)) is not None


def tile_paths(source: str | Path | Sequence[str | Path]) -> list[Path]:
    """The files ``source`` names, in mosaic order (see the module's docstring). Raises MissingInputError
    for a path that does not exist, a folder without GeoTIFFs or a pattern that matches no file."""
    if not isinstance(source, (str, Path)):
        paths = [Path(p) for p in source]
        if not paths:
            raise InputError("the list of raster tiles is empty", fix="give at least one file")
        for path in paths:
            if not path.is_file():
                raise MissingInputError("raster tile not found", path=path, fix="check the path")
        return paths
    path = Path(source)
    if path.is_dir():
        tiles = sorted(p for p in path.iterdir() if p.suffix.lower() in TILE_SUFFIXES and p.is_file())
        if not tiles:
            raise MissingInputError("the folder holds no GeoTIFF (*.tif, *.tiff)", path=path,
                                    fix="put the tiles there, or give a pattern such as tiles/*.img")
        return tiles
    if path.exists():
        return [path]
    if is_pattern(source):
        tiles = sorted(Path(p) for p in glob.glob(str(source), recursive=True) if Path(p).is_file())
        if not tiles:
            raise MissingInputError("no file matches this pattern", path=source,
                                    fix="check the folder and the pattern (e.g. tiles/*.tif)")
        return tiles
    raise MissingInputError("raster not found", path=path, fix="check the path")


def input_name(path: str | Path) -> str:
    """An input's name in notes and captions: its file's or folder's name; a pattern's from the folder
    before its first wildcard on (``lc2020/*.tif``); a URL's or GDAL virtual path's file name, without a
    query string (``/vsicurl/https://host/lulc_cog.tif?sig=…``: ``lulc_cog.tif``)."""
    if is_remote(path):
        return remote_name(path)
    path = Path(path)
    first = next((i for i, part in enumerate(path.parts) if is_pattern(part)), None)
    return path.name if first is None else Path(*path.parts[max(0, first - 1):]).as_posix()


def locate(source: str | Path | Sequence[str | Path]) -> Path | str | Mosaic:
    """The one file ``source`` names (a remote one as its text: ``is_remote``), or the ``Mosaic`` of its tiles
    (checked to share one grid)."""
    if is_remote(source):
        return source
    paths = tile_paths(source)
    if len(paths) == 1:
        return paths[0]
    if isinstance(source, (str, Path)):
        label = f"{source} ({len(paths)} tiles)"
    else:
        label = f"{paths[0]} … {paths[-1].name} ({len(paths)} tiles)"
    return mosaic(paths, label)


@dataclass(frozen=True)
class _Tile:
    """What the mosaic needs of one tile, read from its header."""

    path: Path
    crs: CRS | None
    transform: Affine
    width: int
    height: int
    dtypes: tuple[str, ...]
    nodata: tuple[float | None, ...]
    alpha: tuple[bool, ...]  # per band: an alpha band
    masked: bool  # a GDAL mask band (per-dataset mask or alpha) marks its empty cells
    block: tuple[int, int]  # rows, columns of band 1's blocks


def _tile(path: Path) -> _Tile:
    try:
        with rasterio.open(path) as src:
            return _Tile(path.absolute(), src.crs, src.transform, src.width, src.height, tuple(src.dtypes),
                         tuple(src.nodatavals), tuple(c == ColorInterp.alpha for c in src.colorinterp),
                         any(has_gdal_mask(src, b) for b in src.indexes), src.block_shapes[0])
    except rasterio.errors.RasterioIOError as exc:
        detail = " ".join(str(exc).split())[:200]
        raise InputError(f"cannot be read as a raster ({detail})", path=path,
                         fix="check that every tile is a GeoTIFF or another GDAL raster") from None


def _same(a: float | None, b: float | None) -> bool:
    """Equal nodata values (NaN equals NaN; None only None)."""
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def _shown(nodata: tuple[float | None, ...]):
    """A tile's nodata as messages show it: one value, or one per band when they differ."""
    return nodata[0] if len(set(map(str, nodata))) == 1 else nodata


def _check_like(tile: _Tile, first: _Tile) -> None:
    """``tile`` has a CRS, ``first``'s CRS, band count, data types, nodata and pixel size, and is north-up."""
    def refuse(what: str, own, theirs, fix: str) -> None:
        raise InputError(f"tile {what} {own} differs from {first.path.name}'s {theirs}", path=tile.path, fix=fix)

    require_crs(tile.crs, path=tile.path)
    if tile.transform.b != 0 or tile.transform.d != 0:
        raise InputError("tile is rotated", path=tile.path, fix="warp the tiles to a north-up grid first (gdalwarp)")
    if tile is first:
        return
    if tile.crs != first.crs:
        refuse("CRS", tile.crs.to_string(), first.crs.to_string(), "reproject the tiles to one CRS (gdalwarp -t_srs)")
    if len(tile.dtypes) != len(first.dtypes):
        refuse("band count", len(tile.dtypes), len(first.dtypes), "give tiles with the same bands")
    if tile.dtypes != first.dtypes:
        refuse("data type", ", ".join(tile.dtypes), ", ".join(first.dtypes),
               "convert the tiles to one data type (gdal_translate -ot)")
    if not all(map(_same, tile.nodata, first.nodata)):
        refuse("nodata", _shown(tile.nodata), _shown(first.nodata),
               "set one nodata value on every tile (gdal_edit -a_nodata)")
    size, reference = (tile.transform.a, tile.transform.e), (first.transform.a, first.transform.e)
    if any(abs(s - r) > PIXEL_RELATIVE * abs(r) for s, r in zip(size, reference)):
        refuse("pixel size", f"{size[0]:g} × {-size[1]:g}", f"{reference[0]:g} × {-reference[1]:g}", GRID_FIX)


def _offset(tile: _Tile, first: _Tile) -> tuple[int, int]:
    """``tile``'s origin in whole cells from ``first``'s (column, row); refused off that grid."""
    t, f = tile.transform, first.transform
    cells = ((t.c - f.c) / f.a, (t.f - f.f) / f.e)
    whole = tuple(round(c) for c in cells)
    if any(abs(c - w) > ALIGN_CELLS for c, w in zip(cells, whole)):
        raise InputError(f"tile is not aligned to {first.path.name}'s grid: its origin lies "
                         f"{cells[0]:.6g} columns and {cells[1]:.6g} rows from it, not whole cells",
                         path=tile.path, fix=GRID_FIX)
    return whole


def _overlap(a: Window, b: Window) -> Window | None:
    c0, r0 = max(a.col_off, b.col_off), max(a.row_off, b.row_off)
    c1, r1 = min(a.col_off + a.width, b.col_off + b.width), min(a.row_off + a.height, b.row_off + b.height)
    return Window(c0, r0, c1 - c0, r1 - r0) if c1 > c0 and r1 > r0 else None


def _overlaps(places: list[Window]) -> Iterator[tuple[int, int, Window]]:
    """Each pair of tiles (earlier, later) whose places overlap, and the overlap (mosaic cells)."""
    for j, later in enumerate(places):
        for i in range(j):
            if (shared := _overlap(places[i], later)) is not None:
                yield i, j, shared


def _check_agree(tiles: list[_Tile], places: list[Window], max_cells: int = DEFAULT_MAX_CELLS) -> bool:
    """Refuse overlapping tiles whose values differ where both hold one; True when any tiles overlap."""
    found = False
    for i, j, shared in _overlaps(places):
        found = True
        if any(np.dtype(d).kind in "iu" and np.dtype(d).itemsize == 8 for d in tiles[j].dtypes):
            raise InputError(f"tile overlaps {tiles[i].path.name}, and GDAL lays overlapping tiles of 64-bit integers "
                             "over each other as floating-point numbers, which would round their values",
                             path=tiles[j].path, fix="clip the tiles so that they do not overlap")
        rows = max(1, max_cells // int(shared.width))
        with rasterio.open(tiles[i].path) as a, rasterio.open(tiles[j].path) as b:
            for row in range(int(shared.row_off), int(shared.row_off + shared.height), rows):
                strip = Window(shared.col_off, row, shared.width, min(rows, int(shared.row_off + shared.height) - row))
                for band in a.indexes:
                    values_a, valid_a = read_valid(a, band, _within(strip, places[i]))
                    values_b, valid_b = read_valid(b, band, _within(strip, places[j]))
                    differ = valid_a & valid_b & (values_a != values_b)
                    if differ.any():
                        r, c = np.argwhere(differ)[0]
                        raise InputError(
                            f"tile overlaps {tiles[i].path.name} and holds other values there (band {band}, "
                            f"{values_b[r, c]} against {values_a[r, c]} at row {int(r + strip.row_off - places[j].row_off)}, "
                            f"column {int(c + strip.col_off - places[j].col_off)} of the tile)", path=tiles[j].path,
                            fix="clip the tiles so that they do not overlap, or leave out the one that does not belong")
    return found


def _within(window: Window, place: Window) -> Window:
    """``window`` (mosaic cells) in the cells of the tile at ``place``."""
    return Window(window.col_off - place.col_off, window.row_off - place.row_off, window.width, window.height)


def _has_gaps(places: list[Window], width: int, height: int) -> bool:
    """True when the tiles leave cells of their bounding grid uncovered (checked on the grid of tile edges)."""
    cols = np.unique([0, width, *(p.col_off for p in places), *(p.col_off + p.width for p in places)])
    rows = np.unique([0, height, *(p.row_off for p in places), *(p.row_off + p.height for p in places)])
    covered = np.zeros((len(rows) - 1, len(cols) - 1), dtype=bool)
    for p in places:
        c0, c1 = np.searchsorted(cols, [p.col_off, p.col_off + p.width])
        r0, r1 = np.searchsorted(rows, [p.row_off, p.row_off + p.height])
        covered[r0:r1, c0:c1] = True
    return not covered.all()


def mosaic(paths: Sequence[Path], label: str) -> Mosaic:
    """The ``Mosaic`` of ``paths`` (in that order), each tile checked against the first."""
    tiles = [_tile(Path(p)) for p in paths]
    first = tiles[0]
    for tile in tiles:
        _check_like(tile, first)
    offsets = [_offset(tile, first) for tile in tiles]
    col0, row0 = min(c for c, _ in offsets), min(r for _, r in offsets)
    places = [Window(c - col0, r - row0, t.width, t.height) for (c, r), t in zip(offsets, tiles)]
    width = max(int(p.col_off + p.width) for p in places)
    height = max(int(p.row_off + p.height) for p in places)
    overlapping = _check_agree(tiles, places)
    # the origin is the westmost and the northmost tile's own: a mosaic of a raster's tiles keeps its transform
    west = next(t for t, p in zip(tiles, places) if p.col_off == 0).transform.c
    north = next(t for t, p in zip(tiles, places) if p.row_off == 0).transform.f
    transform = Affine(first.transform.a, 0.0, west, 0.0, first.transform.e, north)
    mask = any(t.masked for t in tiles) or (first.nodata[0] is None and _has_gaps(places, width, height))
    xml = _vrt(tiles, places, transform, (width, height), label, overlapping=overlapping, mask=mask)
    return Mosaic(tuple(t.path for t in tiles), xml, label)


def _number(value: float) -> str:
    """A nodata value as GDAL reads it back exactly."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _source(tile: _Tile, place: Window, band: str, dtype: str, *, complex_: bool, mask: bool) -> ET.Element:
    """One tile's source element; complex (overlapping tiles): its empty cells let earlier tiles show."""
    source = ET.Element("ComplexSource" if complex_ else "SimpleSource")
    ET.SubElement(source, "SourceFilename", relativeToVRT="0").text = str(tile.path)
    ET.SubElement(source, "SourceBand").text = band
    ET.SubElement(source, "SourceProperties", RasterXSize=str(tile.width), RasterYSize=str(tile.height),
                  DataType=dtype, BlockXSize=str(tile.block[1]), BlockYSize=str(tile.block[0]))
    ET.SubElement(source, "SrcRect", xOff="0", yOff="0", xSize=str(tile.width), ySize=str(tile.height))
    ET.SubElement(source, "DstRect", xOff=str(int(place.col_off)), yOff=str(int(place.row_off)),
                  xSize=str(tile.width), ySize=str(tile.height))
    if complex_ and mask:
        ET.SubElement(source, "NODATA").text = "0"  # a masked cell (0) of the mask band is transparent
    elif complex_:
        ET.SubElement(source, "UseMaskBand").text = "true"  # the tile's nodata and masked cells are transparent
    return source


def _vrt(tiles: list[_Tile], places: list[Window], transform: Affine, size: tuple[int, int], label: str, *,
         overlapping: bool, mask: bool) -> str:
    """The mosaic's VRT document: the tiles' bands at their places; with ``mask``, a mask band that is 0
    where no tile has a valid cell."""
    first = tiles[0]
    root = ET.Element("VRTDataset", rasterXSize=str(size[0]), rasterYSize=str(size[1]))
    ET.SubElement(root, "SRS").text = first.crs.to_wkt()
    ET.SubElement(root, "GeoTransform").text = ", ".join(repr(float(v)) for v in transform.to_gdal())
    ET.SubElement(ET.SubElement(root, "Metadata"), "MDI", key=MOSAIC_LABEL).text = label
    for band, (dtype, nodata, alpha) in enumerate(zip(first.dtypes, first.nodata, first.alpha), start=1):
        gdal_type = typename_fwd[dtype_rev[dtype]]
        element = ET.SubElement(root, "VRTRasterBand", dataType=gdal_type, band=str(band))
        if nodata is not None:
            ET.SubElement(element, "NoDataValue").text = _number(nodata)
        if alpha:
            ET.SubElement(element, "ColorInterp").text = "Alpha"
        element.extend(_source(t, p, str(band), gdal_type, complex_=overlapping, mask=False)
                       for t, p in zip(tiles, places))
    if mask:  # unfilled: 0, no value
        element = ET.SubElement(ET.SubElement(root, "MaskBand"), "VRTRasterBand", dataType="Byte")
        element.extend(_source(t, p, "mask,1", "Byte", complex_=overlapping, mask=True) for t, p in zip(tiles, places))
    return ET.tostring(root, encoding="unicode")
