"""Forest indicators: forest area and cover (森林覆盖率), growing stock (蓄积量).

Pure functions of reader outputs and catalogue parameters; no file I/O.

Chinese definition (GB/T 26424-2010): forest = 乔木林 with canopy closure (郁闭度) ≥ 0.20,
竹林, 红树林 and state-designated shrubland (国家特别规定灌木林), in patches of at least
1 亩; cover = forest area / land area × 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from sinkmap.catalogue import load_parameters, load_preset, sinkmap_classes
from sinkmap.readers.crs import area_m2
from sinkmap.units import M2_PER_HA, mu_to_ha

VOLUME_LAND_CLASSES = ("arbor", "mangrove")  # 森林蓄积量: stem volume of tree stands in forest


@dataclass(frozen=True)
class ForestDefinition:
    """Thresholds of the Chinese forest definition, each with its source."""

    min_canopy_closure: float  # 郁闭度, 0–1
    min_patch_ha: float  # ha
    forest_land_classes: tuple[str, ...]
    sources: dict[str, str]

    @classmethod
    def from_layers(cls) -> ForestDefinition:
        """Read ``layers/parameters/forest_definition.csv``."""
        table = load_parameters("forest_definition")
        patch = float(table.loc["min_patch_area", "value"])
        if table.loc["min_patch_area", "unit"] == "亩":
            patch = mu_to_ha(patch)
        return cls(
            min_canopy_closure=float(table.loc["min_canopy_closure", "value"]),
            min_patch_ha=patch,
            forest_land_classes=tuple(table.loc["forest_land_classes", "value"].split(";")),
            sources=table["source"].to_dict(),
        )


def stand_areas_ha(stands: gpd.GeoDataFrame) -> pd.Series:
    """Stand area from geometry in the equal-area CRS, ha."""
    return pd.Series(area_m2(stands.geometry) / M2_PER_HA, index=stands.index, name="area_ha")


def is_forest_stand(stands: pd.DataFrame, area_ha: pd.Series, definition: ForestDefinition) -> pd.Series:
    """True for stands that count as forest under the Chinese definition."""
    in_class = stands["land_class"].isin(definition.forest_land_classes)
    closed = stands["canopy_closure"] >= definition.min_canopy_closure
    needs_closure = stands["land_class"].isin(("arbor", "mangrove"))
    big_enough = area_ha >= definition.min_patch_ha
    return in_class & (closed | ~needs_closure) & big_enough


def forest_from_stands(stands: gpd.GeoDataFrame, definition: ForestDefinition, key: str = "county"
                       ) -> pd.DataFrame:
    """Per ``key``: forest area (ha) and growing stock (m³) from the stand layer.

    Stock = Σ area_ha × volume_per_ha over forest stands of tree land classes (乔木林, 红树林).
    """
    area = stand_areas_ha(stands)
    forest = is_forest_stand(stands, area, definition)
    volume_m3 = area * stands["volume_per_ha"]  # ha · m³/ha
    counted = forest & stands["land_class"].isin(VOLUME_LAND_CLASSES)
    table = pd.DataFrame({
        key: stands[key].to_numpy(),
        "forest_area_ha": np.where(forest, area, 0.0),
        "stock_volume_m3": np.where(counted, volume_m3, 0.0),
        "stands": 1,
    })
    return table.groupby(key).sum()


def forest_classes(preset: str) -> set[int]:
    """Source codes of ``preset`` whose sinkmap class counts as forest (forest, bamboo, mangrove)."""
    classes = sinkmap_classes()
    counting = set(classes.loc[classes["counts_as_forest"], "class"])
    table = load_preset(preset)
    return set(table.loc[table["sinkmap_class"].isin(counting), "code"].tolist())


def forest_from_landcover(class_areas: pd.DataFrame, preset: str, key: str = "adcode") -> pd.Series:
    """Per ``key``: area (ha) of land-cover classes that count as forest.

    ``class_areas`` is a categorical zonal table (key, class, pixels, area_ha).
    """
    forest = class_areas["class"].isin(forest_classes(preset))
    return class_areas[forest].groupby(key)["area_ha"].sum().rename("forest_area_ha")


def cover_pct(forest_area_ha: pd.Series, land_area_ha: pd.Series) -> pd.Series:
    """Forest cover in % = forest area / land area × 100 (units without forest get 0 %)."""
    forest = forest_area_ha.reindex(land_area_ha.index, fill_value=0.0)
    return (forest / land_area_ha * 100.0).rename("cover_pct")
