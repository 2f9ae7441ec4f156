"""One survey year's coastal shelterbelts: the work per county and the plan's restoration sites. No file I/O."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from sinkmap.indicators.shelterbelt import belt_areas, county_work, site_progress
from sinkmap.indicators.stands import overlapping_pairs
from sinkmap.survey.notices import warn_overlaps


def shelterbelt_year(belts: gpd.GeoDataFrame, sites: pd.DataFrame, survey_year: int, *,
                     name: str = "shelterbelts") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per county, area and work (``county_work``); per plan site, progress (``site_progress``).
    Overlapping belts are counted once, with a warning naming the file ``name`` and the pairs."""
    pairs = overlapping_pairs(belts, "belt_id")
    warn_overlaps(pairs, name, "shelterbelts", "belt_id")
    areas = belt_areas(belts, pairs)
    return county_work(belts, survey_year, areas), site_progress(belts, sites, survey_year, areas)
