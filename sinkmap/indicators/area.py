"""Land area (土地面积) of each unit: the denominator of forest cover."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from sinkmap.catalogue import load_preset, sinkmap_classes
from sinkmap.crs import area_m2
from sinkmap.units import M2_PER_HA


def land_area_ha(land: gpd.GeoDataFrame, key: str = "adcode") -> pd.Series:
    """Land area in ha per ``key``, computed in the equal-area CRS."""
    areas = pd.Series(area_m2(land.geometry) / M2_PER_HA, index=land.index)  # m² · ha/m²
    return areas.groupby(land[key].to_numpy()).sum().rename("land_area_ha")


def class_composition(class_areas: pd.DataFrame, preset: str, key: str = "adcode") -> pd.DataFrame:
    """Per ``key``: area (ha) and share of the mapped area (%) of each sinkmap class (key, sinkmap_class,
    area_ha, share_pct), classes in the scheme's order; ``class_areas`` is a categorical zonal table (key,
    class, area_ha) whose source codes ``preset`` maps to sinkmap classes (unmapped codes are left out)."""
    to_class = load_preset(preset).set_index("code")["sinkmap_class"]
    frame = class_areas.assign(sinkmap_class=class_areas["class"].map(to_class)).dropna(subset=["sinkmap_class"])
    table = frame.groupby([key, "sinkmap_class"], as_index=False)["area_ha"].sum()
    mapped = table.groupby(key)["area_ha"].transform("sum")
    table["share_pct"] = 100.0 * table["area_ha"] / mapped.where(mapped > 0)
    order = sinkmap_classes().set_index("class")["code"]
    return table.sort_values([key, "sinkmap_class"], key=lambda c: c.map(order) if c.name == "sinkmap_class" else c,
                             ignore_index=True)
