"""Stand (小班) geometry shared by the forest indicators: areas, overlaps and recorded areas.

Pure functions of a validated stand layer (any CRS with a definition); areas in the
equal-area CRS, in hectares.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sinkmap.crs import AREA_CRS, area_m2
from sinkmap.units import M2_PER_HA

OVERLAP_NOISE_M2 = 1.0  # below 1 m²: rounding of shared edges, not an overlap
RECORD_ROUNDING_HA = 0.01  # inventories record stand areas to 0.01 ha


def stand_areas_ha(stands: gpd.GeoDataFrame) -> pd.Series:
    """Area of each stand from its geometry (ha, equal-area CRS)."""
    return pd.Series(area_m2(stands.geometry) / M2_PER_HA, index=stands.index, name="area_ha")


QUERY_PART = 100_000  # features queried against the tree at a time: the candidate pairs of 10⁶ stands stay small


def projected(frame: gpd.GeoDataFrame) -> np.ndarray:
    """``frame``'s geometries in the equal-area CRS, as an array (to share between the functions below)."""
    return frame.geometry.to_crs(AREA_CRS).to_numpy()


def overlapping_pairs(stands: gpd.GeoDataFrame, id_field: str = "stand_id", geoms: np.ndarray | None = None
                      ) -> pd.DataFrame:
    """Pairs of stands whose interiors overlap by more than 1 m².

    Columns: ``stand_id`` (the later stand in id order), ``overlaps`` (the earlier one),
    ``overlap_ha``. Stands that only share an edge are not listed. ``geoms``: the stands ``projected``,
    when already at hand. The stands are queried QUERY_PART at a time (the same pairs, in the same order).
    """
    geoms = projected(stands) if geoms is None else geoms
    rank = stands[id_field].rank(method="first").to_numpy()
    tree = shapely.STRtree(geoms)
    found = [(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0))]  # later, earlier, m²
    for start in range(0, len(geoms), QUERY_PART):
        later, earlier = tree.query(geoms[start:start + QUERY_PART], predicate="intersects")
        later = later + start
        keep = rank[later] > rank[earlier]
        later, earlier = later[keep], earlier[keep]
        inner = ~shapely.touches(geoms[later], geoms[earlier])
        later, earlier = later[inner], earlier[inner]
        overlap_m2 = shapely.area(shapely.intersection(geoms[later], geoms[earlier]))
        real = overlap_m2 > OVERLAP_NOISE_M2
        found.append((later[real], earlier[real], overlap_m2[real]))
    later, earlier, overlap_m2 = (np.concatenate(column) for column in zip(*found))
    ids = stands[id_field].to_numpy()
    return pd.DataFrame({"stand_id": ids[later], "overlaps": ids[earlier], "overlap_ha": overlap_m2 / M2_PER_HA})


def effective_geometries(frame: gpd.GeoDataFrame, pairs: pd.DataFrame, id_field: str = "stand_id",
                         geoms: np.ndarray | None = None, rows: np.ndarray | None = None) -> gpd.GeoSeries:
    """Each geometry in the equal-area CRS with the area it shares with an earlier one cut away.

    ``pairs`` come from ``overlapping_pairs``; the shared area stays with the feature first in
    ``id_field`` order, so the pieces tile the union of all features once. Same index as ``frame``
    (positions are used inside, so a repeated index label is harmless). ``geoms``: ``projected(frame)``,
    when already at hand (left unchanged). ``rows``: the positions of the features wanted (default all);
    only they and the earlier features they overlap are projected.
    """
    rows = np.arange(len(frame)) if rows is None else np.asarray(rows)
    ids = frame[id_field].to_numpy()
    position = pd.Series(np.arange(len(frame)), index=ids)
    mine = pairs[pairs["stand_id"].isin(ids[rows])]
    needed = np.union1d(rows, position.loc[mine["overlaps"]].to_numpy()) if len(mine) else rows
    local = np.full(len(frame), -1)
    local[needed] = np.arange(len(needed))
    original = projected(frame.iloc[needed]) if geoms is None else geoms[needed]
    out = original.copy()
    for later, group in mine.groupby("stand_id", sort=False):
        covered = shapely.union_all(original[local[position.loc[group["overlaps"]].to_numpy()]])
        out[local[position[later]]] = shapely.difference(original[local[position[later]]], covered)
    return gpd.GeoSeries(out[local[rows]], index=frame.index[rows], crs=AREA_CRS)


def effective_areas_ha(stands: gpd.GeoDataFrame, pairs: pd.DataFrame, id_field: str = "stand_id",
                       geoms: np.ndarray | None = None) -> pd.Series:
    """Each stand's area (ha) with overlaps counted once (``effective_geometries``), so Σ effective
    areas = area of the union of all stands."""
    areas = shapely.area(effective_geometries(stands, pairs, id_field, geoms).to_numpy()) / M2_PER_HA
    return pd.Series(areas, index=stands.index, name="area_ha")


def area_mismatches(stands: pd.DataFrame, area_ha: pd.Series, tolerance: float) -> pd.Series:
    """Ids of stands whose recorded ``area_ha`` differs from the geometry area by more than
    ``tolerance`` (relative) and by more than RECORD_ROUNDING_HA (a two-decimal record of a
    sliver is not an error)."""
    if "area_ha" not in stands:
        return pd.Series(dtype="string")
    recorded = stands["area_ha"]
    difference = (recorded - area_ha).abs()
    off = recorded.notna() & (difference > tolerance * area_ha) & (difference > RECORD_ROUNDING_HA)
    return stands.loc[off, "stand_id"]


def forest_patches(geoms: gpd.GeoSeries, units: pd.Series, min_patch_ha: float
                   ) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Contiguous patches per unit (dissolved, equal-area CRS), patches < ``min_patch_ha`` dropped.

    Overlapping or touching polygons merge, so nothing is counted twice and a small stand
    touching others counts as part of the larger patch. Returns the patches (one row per unit:
    ``unit, geometry, patches, dropped``) and, per input polygon, whether it lies in a kept patch.
    """
    projected = np.asarray(geoms.to_crs(AREA_CRS).to_numpy())
    unit_values = units.to_numpy()
    inside = np.zeros(len(projected), dtype=bool)
    rows = []
    for unit in sorted(pd.unique(unit_values)):
        members = np.flatnonzero(unit_values == unit)
        parts = shapely.get_parts(shapely.union_all(projected[members]))
        big = shapely.area(parts) / M2_PER_HA >= min_patch_ha
        keep, dropped = parts[big], parts[~big]
        inside[members] = True  # every polygon lies in one part: test against the few small ones
        if dropped.size:
            hit, _ = shapely.STRtree(dropped).query(shapely.point_on_surface(projected[members]),
                                                    predicate="intersects")
            inside[members[hit]] = False
        rows.append({"unit": unit, "geometry": shapely.multipolygons(keep) if keep.size else None,
                     "patches": int(keep.size), "dropped": int(dropped.size)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=AREA_CRS), inside
