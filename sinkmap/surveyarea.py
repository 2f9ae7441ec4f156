"""The survey area (调查范围): the whole of 汕尾市, some of its counties, or a polygon file.

A county bureau surveys its own county: ``aoi: 441523`` (or ``陆河县``) in survey.yaml restricts
every input, indicator, table, map and report to it. The survey's total row is then the county
itself; with several counties it is their sum, with a joined code (``441521+441523``); with
all four it is the city, 441500 汕尾市.

A forest farm or a township surveys its own polygon: ``aoi: {path: farm.gpkg, name: 东海岸林场}``.
Every input is clipped to it (a stand cut by its edge counts with the part inside, its recorded
``area_ha`` scaled by the same share), and the tables hold the polygon's total (code ``AOI``) and
the part of each county inside it (``海丰县（范围内）``), never the whole county.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from sinkmap import aoi
from sinkmap.crs import area_m2, require_crs
from sinkmap.errors import InputError, SinkmapWarning
from sinkmap.readers.vector import polygon_parts, polygons_in_storage_crs, read_frame

WHOLE_CITY = ("city", aoi.CITY[0], aoi.CITY[1])  # ways to write the whole city in survey.yaml
POLYGON_CODE = "AOI"  # the total row of a polygon survey area
MIN_COUNTY_PART_HA = 1.0  # a polygon's part in a county smaller than this is a digitising sliver, left out
OUTSIDE_WARN_SHARE = 0.01  # warn when more of the polygon than this lies outside 汕尾市
AREA_FIELD = "area_ha"  # a recorded area, scaled with the share of a clipped feature kept


@dataclass(frozen=True)
class SurveyArea:
    """The counties surveyed and the unit their totals are reported as; with ``polygon``, only the
    part of them inside it (EPSG:4490), reported under ``label`` (中文, English)."""

    codes: tuple[str, ...]  # county adcodes, sorted
    polygon: BaseGeometry | None = field(default=None, compare=False)
    label: tuple[str, str] | None = None
    source: str | None = None  # the polygon's file name, for the tables' source column

    @cached_property
    def counties(self) -> gpd.GeoDataFrame:
        """The surveyed counties (EPSG:4490), sorted by adcode; with a polygon, their parts inside it."""
        counties = aoi.load_counties()
        counties = counties[counties["adcode"].isin(self.codes)].reset_index(drop=True)
        if self.polygon is None:
            return counties
        return counties.assign(name_zh=counties["name_zh"] + "（范围内）",
                               name_en=counties["name_en"] + " (part in the survey area)", unit_type="county part",
                               geometry=self._inside(counties.geometry.to_numpy()))

    @property
    def is_city(self) -> bool:
        return self.polygon is None and len(self.codes) == len(aoi.COUNTIES)

    @property
    def code(self) -> str:
        """Adcode of the total row: 441500 for the city, the county's own for one, joined for some, AOI
        for a polygon."""
        if self.polygon is not None:
            return POLYGON_CODE
        return aoi.CITY[0] if self.is_city else "+".join(self.codes)

    @property
    def name_zh(self) -> str:
        if self.label:
            return self.label[0]
        return aoi.CITY[1] if self.is_city else "、".join(self.counties["name_zh"])

    @property
    def name_en(self) -> str:
        if self.label:
            return self.label[1]
        return aoi.CITY[2] if self.is_city else ", ".join(self.counties["name_en"])

    def land(self) -> gpd.GeoDataFrame:
        """The surveyed counties' land polygons (the forest-cover denominator), inside the polygon if any."""
        land = aoi.load_land()
        land = land[land["adcode"].isin(self.codes)].reset_index(drop=True)
        if self.polygon is None:
            return land
        land = land.assign(geometry=self._inside(land.geometry.to_numpy()))
        return land[~land.geometry.is_empty].reset_index(drop=True)

    def sites(self) -> gpd.GeoDataFrame:
        """The plan's restoration sites in the surveyed counties (touching the polygon, if any)."""
        sites = aoi.load_sites()
        sites = sites[sites["county_adcode"].isin(self.codes)]
        if self.polygon is not None:
            sites = sites[sites.intersects(self.polygon)]
        return sites.reset_index(drop=True)

    def clip(self, frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
        """The features of a county-assigned layer (``county`` column) inside the survey area; with a
        polygon, clipped to it, a recorded ``area_ha`` scaled by the share of the feature's area kept.
        A warning counts the features left out and those cut."""
        inside = frame["county"].isin(self.codes).to_numpy().copy()
        cut = 0
        if self.polygon is not None:
            parts = self._inside(frame.geometry.to_numpy())
            inside &= ~shapely.is_empty(parts)
            frame, parts = frame[inside], parts[inside]
            before, after = (area_m2(gpd.GeoSeries(g, crs=frame.crs)) for g in (frame.geometry.to_numpy(), parts))
            share = np.divide(after, before, out=np.ones_like(after), where=before > 0)
            cut = int((share < 1 - 1e-9).sum())
            frame = frame.assign(**{frame.geometry.name: parts})
            if AREA_FIELD in frame.columns:
                frame[AREA_FIELD] = frame[AREA_FIELD] * share
        else:
            frame = frame[inside]
        if not inside.all():
            warnings.warn(f"{name}: {int((~inside).sum())} features lie outside the survey area ({self.name_zh}) "
                          "and are left out", SinkmapWarning, stacklevel=2)
        if cut:
            warnings.warn(f"{name}: {cut} features cross the edge of the survey area ({self.name_zh}); only their "
                          f"parts inside count ({AREA_FIELD} scaled by the share kept)", SinkmapWarning, stacklevel=2)
        return frame

    def _inside(self, geoms: np.ndarray) -> np.ndarray:
        """The areal parts of ``geoms`` (EPSG:4490) inside the polygon."""
        return polygon_parts(shapely.intersection(geoms, self.polygon))

    def units(self) -> gpd.GeoDataFrame:
        """The total unit first (dissolved from the counties unless it is one of them), then the counties."""
        if len(self.codes) == 1 and self.polygon is None:
            return self.counties.copy()
        total = aoi.load_city() if self.is_city else gpd.GeoDataFrame(
            {"adcode": [self.code], "name_zh": [self.name_zh], "name_en": [self.name_en],
             "unit_type": ["survey area"]}, geometry=[self.polygon or self.counties.union_all()],
            crs=self.counties.crs)
        return gpd.GeoDataFrame(pd.concat([total, self.counties], ignore_index=True), crs=self.counties.crs)


def survey_area(given: str | int | Iterable[str | int] | None = None) -> SurveyArea:
    """The survey area from ``aoi:`` in survey.yaml: None or "city" (the whole city), or county
    codes or Chinese names (one, or a list). Raises ValueError naming the unknown ones."""
    counties = aoi.load_counties()
    if given is None or (isinstance(given, (str, int)) and str(given) in WHOLE_CITY):
        return SurveyArea(tuple(counties["adcode"]))
    items = [given] if isinstance(given, (str, int)) else list(given)
    by_name = dict(zip(counties["name_zh"], counties["adcode"])) | {a: a for a in counties["adcode"]}
    unknown = [str(i) for i in items if str(i) not in by_name]
    if unknown or not items:
        raise ValueError(", ".join(unknown) or "an empty list")
    return SurveyArea(tuple(sorted({by_name[str(i)] for i in items})))


def polygon_area(path: Path, *, layer: str | None = None, name: str | None = None, name_en: str | None = None,
                 gcj02: bool = False, encoding: str | None = None) -> SurveyArea:
    """The survey area of a polygon file: the union of its polygons, in the counties of 汕尾市 it
    overlaps by at least MIN_COUNTY_PART_HA of land. Raises InputError (naming the file) for a file
    that is not polygons, has no CRS or coordinates that cannot be in it, or lies outside 汕尾市."""
    frame, shown = read_frame(path, layer=layer, encoding=encoding)
    if frame.empty:
        raise InputError("layer has no features", path=path, layer=shown, fix="give a polygon of the survey area")
    crs = require_crs(frame.crs, path=path, layer=shown)
    frame = polygons_in_storage_crs(frame, crs, path=path, layer=shown, id_field=None, gcj02=gcj02,
                                    declare="`gcj02: true` under aoi: in the survey configuration")
    polygon = shapely.union_all(frame.geometry.to_numpy())
    counties = aoi.load_counties()
    parts = gpd.GeoSeries(shapely.intersection(counties.geometry.to_numpy(), polygon), crs=counties.crs)
    part_ha = area_m2(parts) / 1e4
    kept = part_ha >= MIN_COUNTY_PART_HA
    if not kept.any():
        raise InputError(f"its polygons lie outside 汕尾市 (they overlap its counties by {part_ha.sum():.2f} ha)",
                         path=path, layer=shown, fix="give a polygon inside 汕尾市, and check its CRS")
    total_ha = float(area_m2(gpd.GeoSeries([polygon], crs=counties.crs))[0] / 1e4)
    outside = 1 - float(part_ha[kept].sum()) / total_ha
    if outside > OUTSIDE_WARN_SHARE:
        warnings.warn(f"{path.name}: {outside:.1%} of the survey area lies outside the county lines of 汕尾市 (sea, "
                      "or another city): features there count only when they belong to a county surveyed (the sea "
                      "off its coast), land outside 汕尾市 never", SinkmapWarning, stacklevel=2)
    label_zh = name or path.stem
    return SurveyArea(tuple(counties.loc[kept, "adcode"]), polygon=polygon, source=path.name,
                      label=(label_zh, name_en or (label_zh if label_zh.isascii() else f"survey area {path.stem}")))
