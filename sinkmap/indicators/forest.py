"""Forest indicators: forest area and cover (森林覆盖率), growing stock (蓄积量).

Pure functions of reader outputs and catalogue parameters; no file I/O.

Chinese definition (GB/T 26424-2010): forest = 乔木林 with canopy closure (郁闭度) ≥ 0.20,
竹林, 红树林 and state-designated shrubland (国家特别规定灌木林), in patches of at least
1 亩; cover = forest area / land area × 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from sinkmap.catalogue import SHIPPED, forest_classes
from sinkmap.crs import AREA_CRS
from sinkmap.indicators.stands import effective_areas_ha, forest_patches, overlapping_pairs, projected
from sinkmap.units import M2_PER_HA, mu_to_ha

VOLUME_LAND_CLASSES = ("arbor", "mangrove")  # 森林蓄积量: stem volume of tree stands in forest


@dataclass(frozen=True)
class ForestDefinition:
    """Thresholds of the Chinese forest definition, each with its source."""

    min_canopy_closure: float  # 郁闭度, 0–1
    min_patch_ha: float  # ha
    forest_land_classes: tuple[str, ...]
    min_belt_rows: int  # 林带 rows
    min_belt_width_m: float  # m
    area_tolerance: float  # relative difference between recorded and geometry stand area
    sources: dict[str, str]

    @classmethod
    def from_layers(cls, user: str | Path | None = None) -> ForestDefinition:
        """Read ``layers/parameters/forest_definition.csv``, its rows replaced by those of the ``user``
        table (CSV or XLSX) where it has them; a user row's source names its file."""
        from sinkmap.readers.parameters import merged_table

        table = merged_table("forest_definition", user)[0]
        table["source"] = [s if o == SHIPPED else f"{o}: {s}" for o, s in zip(table["origin"], table["source"])]
        table = table.set_index("parameter")
        patch = float(table.loc["min_patch_area", "value"])
        if table.loc["min_patch_area", "unit"] == "亩":
            patch = mu_to_ha(patch)
        return cls(
            min_canopy_closure=float(table.loc["min_canopy_closure", "value"]),
            min_patch_ha=patch,
            forest_land_classes=tuple(table.loc["forest_land_classes", "value"].split(";")),
            min_belt_rows=int(table.loc["min_belt_rows", "value"]),
            min_belt_width_m=float(table.loc["min_belt_width", "value"]),
            area_tolerance=float(table.loc["area_tolerance", "value"]),
            sources=table["source"].to_dict(),
        )


def is_forest_class(stands: pd.DataFrame, definition: ForestDefinition) -> pd.Series:
    """True for stands whose land class and canopy closure make them forest (patch size aside)."""
    in_class = stands["land_class"].isin(definition.forest_land_classes)
    closed = stands["canopy_closure"] >= definition.min_canopy_closure
    needs_closure = stands["land_class"].isin(VOLUME_LAND_CLASSES)
    return in_class & (closed | ~needs_closure)


def is_forest_stand(stands: pd.DataFrame, area_ha: pd.Series, definition: ForestDefinition) -> pd.Series:
    """True for a stand that is forest on its own: forest class and at least 1 亩."""
    return is_forest_class(stands, definition) & (area_ha >= definition.min_patch_ha)


def is_forest_belt(belts: pd.DataFrame, definition: ForestDefinition) -> pd.Series:
    """True for tree belts (林带) meeting the belt rule: ≥ min rows and ≥ min crown width."""
    missing = pd.Series(np.nan, index=belts.index)
    rows, width = belts.get("rows", missing), belts.get("width_m", missing)
    return ((rows >= definition.min_belt_rows) & (width >= definition.min_belt_width_m)).fillna(False).astype(bool)


@dataclass(frozen=True)
class StandForest:
    """The stand layer read as forest: per-stand flags and per-unit patches (equal-area CRS).

    ``stands``: the input rows plus ``area_ha`` (overlaps counted once), ``forest`` (forest class
    inside a forest patch ≥ 1 亩), ``in_stock`` (forest of 乔木林地/红树林地) and ``stock_m3``.
    ``patches``: forest patches per unit (stands and qualifying belts, dissolved);
    ``footprint``: everything the inventory maps, per unit; ``overlaps``: overlapping stand pairs.
    """

    stands: gpd.GeoDataFrame
    patches: gpd.GeoDataFrame
    footprint: gpd.GeoDataFrame
    overlaps: pd.DataFrame


def stand_forest(stands: gpd.GeoDataFrame, definition: ForestDefinition, belts: gpd.GeoDataFrame | None = None,
                 key: str = "county") -> StandForest:
    """Apply the Chinese forest definition to a stand layer (and optional shelterbelts) per ``key``.

    Forest patches are the dissolved forest-class stands plus belts meeting the belt rule; a
    patch under 1 亩 is not forest, a small stand touching a larger patch is. Growing stock
    = Σ area_ha × volume_per_ha (ha · m³/ha) over forest stands of 乔木林地 and 红树林地, with
    overlapping areas counted once (they stay with the stand first in stand_id order).
    """
    in_area_crs = projected(stands)  # one reprojected copy for the overlaps, the areas and the patches
    pairs = overlapping_pairs(stands, geoms=in_area_crs)
    frame = stands.assign(area_ha=effective_areas_ha(stands, pairs, geoms=in_area_crs))  # the input's columns shared
    forest_class = is_forest_class(stands, definition).to_numpy()
    geoms, units = gpd.GeoSeries(in_area_crs[forest_class], crs=AREA_CRS), stands[key][forest_class]
    every, every_unit = gpd.GeoSeries(in_area_crs, crs=AREA_CRS), stands[key]
    del in_area_crs
    if belts is not None and len(belts):
        qualifying = is_forest_belt(belts, definition).to_numpy()
        belt_geoms = belts.geometry.to_crs(AREA_CRS)
        geoms = pd.concat([geoms, belt_geoms[qualifying]], ignore_index=True)
        units = pd.concat([units, belts[key][qualifying]], ignore_index=True)
        every = pd.concat([every, belt_geoms], ignore_index=True)
        every_unit = pd.concat([every_unit, belts[key]], ignore_index=True)
    patches, in_patch = forest_patches(geoms, units, definition.min_patch_ha)
    footprint, _ = forest_patches(every, every_unit, 0.0)
    forest = np.zeros(len(stands), dtype=bool)
    forest[forest_class] = in_patch[: int(forest_class.sum())]
    frame["forest"] = forest
    frame["in_stock"] = forest & stands["land_class"].isin(VOLUME_LAND_CLASSES).to_numpy()
    frame["stock_m3"] = np.where(frame["in_stock"], frame["area_ha"] * frame["volume_per_ha"], 0.0)
    return StandForest(frame, patches, footprint, pairs)


def forest_from_stands(result: StandForest, key: str = "county") -> pd.DataFrame:
    """Per ``key``: forest area (ha, dissolved patches), growing stock (m³) and stand count."""
    area = (result.patches.set_index("unit").area / M2_PER_HA).rename("forest_area_ha")
    table = result.stands.groupby(key).agg(stock_volume_m3=("stock_m3", "sum"), stands=("stock_m3", "size"))
    return table.join(area, how="outer").fillna({"forest_area_ha": 0.0, "stock_volume_m3": 0.0, "stands": 0})[
        ["forest_area_ha", "stock_volume_m3", "stands"]]


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


def reconcile(stands_forest_ha: pd.Series, landcover_centre_ha: pd.Series, in_footprint_fraction_ha: pd.Series,
              in_patches_fraction_ha: pd.Series) -> pd.DataFrame:
    """Where the stand layer and the land cover agree on forest, per unit (ha).

    both: land-cover forest inside the stands' forest patches; stands_only: forest patches the land
    cover does not show as forest; landcover_only: land-cover forest inside the inventory's footprint
    but outside its forest patches; outside_inventory: land-cover forest where there are no stands.
    combined = stand forest + land-cover forest outside the inventory (stands where present).

    Two coverage rules meet here, on purpose: ``landcover_centre_ha`` is the unit's land-cover forest by
    the centre rule (a cell counts whole where its centre lies on the unit's land, as the land area it is
    a share of), while the forest inside the footprint and the patches (``in_footprint_fraction_ha``,
    ``in_patches_fraction_ha``) is by the fraction rule (a cell counts by its covered share: the patches
    are a few cells wide). outside_inventory is the centre-rule total less the fraction-rule footprint
    total, clipped at 0 where the two rules differ by edge cells.
    """
    index = stands_forest_ha.index.union(landcover_centre_ha.index)
    stands = stands_forest_ha.reindex(index, fill_value=0.0)
    lc = landcover_centre_ha.reindex(index, fill_value=0.0)
    in_fp = in_footprint_fraction_ha.reindex(index, fill_value=0.0)
    both = in_patches_fraction_ha.reindex(index, fill_value=0.0)
    table = pd.DataFrame({
        "both_ha": both,
        "stands_only_ha": (stands - both).clip(lower=0.0),
        "landcover_only_ha": (in_fp - both).clip(lower=0.0),
        "outside_inventory_ha": (lc - in_fp).clip(lower=0.0),
    })
    table["combined_ha"] = stands + table["outside_inventory_ha"]
    disagree = table["stands_only_ha"] + table["landcover_only_ha"]
    table["disagreement_pct"] = np.where(stands > 0, disagree / stands.where(stands > 0, 1.0) * 100.0, np.nan)
    return table
