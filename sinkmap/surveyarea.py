"""The survey area (调查范围): the whole of 汕尾市, or some of its counties.

A county bureau surveys its own county: ``aoi: 441523`` (or ``陆河县``) in survey.yaml restricts
every input, indicator, table, map and report to it. The survey's total row is then the county
itself; with several counties it is their sum, with a joined code (``441521+441523``); with
all four it is the city, 441500 汕尾市.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import pandas as pd

from sinkmap import aoi

WHOLE_CITY = ("city", aoi.CITY[0], aoi.CITY[1])  # ways to write the whole city in survey.yaml


@dataclass(frozen=True)
class SurveyArea:
    """The counties surveyed and the unit their totals are reported as."""

    codes: tuple[str, ...]  # county adcodes, sorted

    @cached_property
    def counties(self) -> gpd.GeoDataFrame:
        """The surveyed counties (EPSG:4490), sorted by adcode."""
        counties = aoi.load_counties()
        return counties[counties["adcode"].isin(self.codes)].reset_index(drop=True)

    @property
    def is_city(self) -> bool:
        return len(self.codes) == len(aoi.COUNTIES)

    @property
    def code(self) -> str:
        """Adcode of the total row: 441500 for the city, the county's own for one, joined for some."""
        return aoi.CITY[0] if self.is_city else "+".join(self.codes)

    @property
    def name_zh(self) -> str:
        return aoi.CITY[1] if self.is_city else "、".join(self.counties["name_zh"])

    @property
    def name_en(self) -> str:
        return aoi.CITY[2] if self.is_city else ", ".join(self.counties["name_en"])

    def land(self) -> gpd.GeoDataFrame:
        """The surveyed counties' land polygons (the forest-cover denominator)."""
        land = aoi.load_land()
        return land[land["adcode"].isin(self.codes)].reset_index(drop=True)

    def sites(self) -> gpd.GeoDataFrame:
        """The plan's restoration sites in the surveyed counties."""
        sites = aoi.load_sites()
        return sites[sites["county_adcode"].isin(self.codes)].reset_index(drop=True)

    def units(self) -> gpd.GeoDataFrame:
        """The total unit first (dissolved from the counties unless it is one of them), then the counties."""
        if len(self.codes) == 1:
            return self.counties.copy()
        total = aoi.load_city() if self.is_city else gpd.GeoDataFrame(
            {"adcode": [self.code], "name_zh": [self.name_zh], "name_en": [self.name_en],
             "unit_type": ["survey area"]}, geometry=[self.counties.union_all()], crs=self.counties.crs)
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
