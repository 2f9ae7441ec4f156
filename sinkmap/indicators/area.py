"""Land area (土地面积) of each unit: the denominator of forest cover."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from sinkmap.crs import area_m2
from sinkmap.units import M2_PER_HA


def land_area_ha(land: gpd.GeoDataFrame, key: str = "adcode") -> pd.Series:
    """Land area in ha per ``key``, computed in the equal-area CRS."""
    areas = pd.Series(area_m2(land.geometry) / M2_PER_HA, index=land.index)  # m² · ha/m²
    return areas.groupby(land[key].to_numpy()).sum().rename("land_area_ha")
