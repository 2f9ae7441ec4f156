"""A land-cover map as one input object: opened and checked once, then read by the zonal passes the
survey needs (each named by its coverage rule) and by the class images the maps draw.

Coverage rules (``zonal.engine``): *centre* — a cell counts whole where its centre lies in the zone
(GDAL's rule): the county class areas, beside the land area they are shares of; *fraction* — a cell
counts by the share of it the zone covers (exact): the forest inside the stands' patches and footprint
and the land cover inside the redlines, polygons a few cells wide whose edge cells the centre rule would
count whole or not at all.

The object holds one open dataset from ``LandCover.open`` to ``close`` (or the end of a ``with``
block); every pass reads it (the engine reads a dataset one thread at a time).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
from affine import Affine
from rasterio.crs import CRS
from rasterio.io import DatasetReader

from sinkmap.catalogue import forest_classes, load_preset
from sinkmap.crs import STORAGE_CRS
from sinkmap.errors import InputError
from sinkmap.readers.raster import ClassImage, check_landcover, class_image, has_gdal_mask, open_raster
from sinkmap.readers.tiles import input_name, is_remote
from sinkmap.zonal.engine import zonal_stats
from sinkmap.zonal.zones import reproject_zones

UNREADABLE = "cannot be read as a raster"  # readers.raster.open_raster's problem when GDAL cannot open it


def _remote_fix(url: str) -> str:
    """What to check when GDAL cannot open the URL ``url``."""
    if url.startswith(("s3://", "/vsis3/")):
        check = ("set AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; AWS_NO_SIGN_REQUEST=YES for a "
                 "public bucket) on every machine of the run")
    else:
        check = ("check the URL (gdalinfo /vsicurl/URL) and that every machine of the run can reach the server "
                 "(behind a proxy: GDAL_HTTP_PROXY)")
    return f"{check}, or copy the file to shared storage and give its path in survey.yaml"


@dataclass(eq=False)
class LandCover:
    """A land-cover raster read through its class ``preset``, opened and checked once (``LandCover.open``).

    ``codes``: the class codes present (all in the preset); ``year``: of an earlier map, else None.
    """

    path: Path | str  # a URL (``readers.tiles.is_remote``) as its text
    preset: str
    dataset: DatasetReader = field(repr=False)
    codes: tuple[int, ...]
    year: int | None = None
    band: int = 1
    _closing: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)
    progress: Callable[[int, int], None] | None = field(default=None, repr=False)  # each pass's (tasks done, tasks)

    @classmethod
    def open(cls, path: str | Path, preset: str, *, year: int | None = None, band: int = 1,
             progress: Callable[[int, int], None] | None = None, kind: str | None = None) -> LandCover:
        """Open ``path`` (its one open) and check it: a raster with a CRS, coordinates in that CRS's area of
        use, every class code in ``preset``. Raises InputError (one line naming the file) otherwise; a URL
        that cannot be opened, one naming ``kind`` (its survey.yaml key; default landcover, or
        landcover_previous with a ``year``), the URL and what to check.
        ``progress``: called by every zonal pass with (tasks done, tasks), as ``zonal_stats``'s."""
        load_preset(preset)  # an unknown preset is named before the file is opened
        remote = is_remote(path)
        with contextlib.ExitStack() as stack:
            try:
                dataset = stack.enter_context(open_raster(path, area_of_use=True))
            except InputError as exc:
                if not remote or not exc.problem.startswith(UNREADABLE):
                    raise
                kind = kind or ("landcover" if year is None else "landcover_previous")
                detail = exc.problem.removeprefix(UNREADABLE).strip()
                raise InputError(f"the {kind} map cannot be opened as a raster over the network {detail}", path=path,
                                 fix=_remote_fix(str(path))) from None
            codes = check_landcover(dataset, preset, band)
            landcover = cls(path if remote else Path(path), preset, dataset, tuple(codes.tolist()), year, band,
                            stack.pop_all(), progress)
        return landcover

    def close(self) -> None:
        """Close the dataset."""
        self._closing.close()

    def __enter__(self) -> LandCover:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def name(self) -> str:
        """The file's (or tile folder's, or tile pattern's: lc2020/*.tif) name, for messages."""
        return input_name(self.path)

    @property
    def crs(self) -> CRS:
        return self.dataset.crs

    @property
    def transform(self) -> Affine:
        return self.dataset.transform

    @property
    def shape(self) -> tuple[int, int]:
        """Rows, columns."""
        return self.dataset.height, self.dataset.width

    @property
    def nodata(self) -> float | int | None:
        return self.dataset.nodatavals[self.band - 1]

    @property
    def masked(self) -> bool:
        """True when a GDAL mask band (per-dataset mask, alpha) also marks cells without a value."""
        return has_gdal_mask(self.dataset, self.band)

    @property
    def forest_codes(self) -> set[int]:
        """The preset's codes whose class counts as forest (forest, bamboo, mangrove)."""
        return forest_classes(self.preset)

    def _classes(self, zones: gpd.GeoDataFrame, zone_field: str, coverage: str) -> pd.DataFrame:
        return zonal_stats(self.dataset, zones, categorical=True, coverage=coverage, zone_field=zone_field,
                           band=self.band, progress=self.progress)

    def class_areas_centre(self, zones: gpd.GeoDataFrame, zone_field: str) -> pd.DataFrame:
        """Per zone and class, by the centre rule: pixels and area_ha (true cell areas, ha); columns
        ``zone_field``, class, pixels, area_ha."""
        return self._classes(zones, zone_field, "center")

    def class_areas_fraction(self, zones: gpd.GeoDataFrame, zone_field: str) -> pd.DataFrame:
        """Per zone and class, by the fraction rule, the zones reprojected to the raster's CRS first (rings
        the reprojection pinches are repaired); columns as ``class_areas_centre``."""
        return self._classes(reproject_zones(zones, self.crs), zone_field, "fraction")

    def forest_ha_fraction(self, zones: gpd.GeoDataFrame, zone_field: str = "unit") -> pd.Series:
        """Forest area (ha, ``forest_codes``) per zone by the fraction rule; zones without a geometry are left
        out, the others go through EPSG:4490. Zones without forest are absent."""
        zones = reproject_zones(zones.dropna(subset=[zones.geometry.name]), STORAGE_CRS)
        if zones.empty:
            return pd.Series(dtype=float)
        areas = self._classes(zones, zone_field, "fraction")
        return areas[areas["class"].isin(self.forest_codes)].groupby(zone_field)["area_ha"].sum()

    def image(self, crs: str) -> ClassImage:
        """The map warped to ``crs`` at display size, as a map draws it (``readers.raster.class_image``)."""
        return class_image(self.dataset, self.preset, crs, band=self.band)
