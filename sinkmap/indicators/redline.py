"""The ecological protection redline ledger (生态保护红线台账), county by county, and its change.

The plan holds the redline to 功能不降低、面积不减少、性质不改变 (function not lowered, area not
reduced, nature not changed). Between two ledger versions this module flags, per county × realm:

- 面积减少 area reduced: the net redline area fell by more than TOLERANCE_HA;
- 边界调整 boundary changed: area was added and/or removed (a swap) though the net area held.

Redline by redline: ``redline_features``. Areas are computed in the equal-area CRS, overlapping
polygons counted once.

The pipeline: ``county_pieces`` (the redlines as the ledger counts them: overlaps cut once, land
redlines without a county code cut at the county lines) → ``ledger`` and ``footprints`` →
``ledger_change``. Pure functions.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from sinkmap.crs import AREA_CRS
from sinkmap.indicators.stands import OVERLAP_NOISE_M2, effective_geometries, overlapping_pairs
from sinkmap.units import M2_PER_HA

REALMS = ("land", "marine")
TOLERANCE_HA = 0.01  # 100 m²: below the precision of a redline survey
AREA_REDUCED = "面积减少 area reduced"
BOUNDARY_CHANGED = "边界调整 boundary changed"
LEDGER_COLUMNS = ["county", "realm", "function_type", "redlines", "area_ha"]
CHANGE_COLUMNS = ["county", "realm", "area_ha", "previous_area_ha", "change_ha", "added_ha", "removed_ha", "flag"]
PIECE_COLUMNS = ["redline_id", "county", "realm", "function_type"]
LOCATED = "county_located"  # the reader's column: True where the data gave no county and sinkmap located it


def without_overlaps(redlines: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Each redline's geometry (equal-area CRS) with the area it shares with a redline earlier in
    ``redline_id`` order cut away, so the pieces tile the union once (also across counties)."""
    return effective_geometries(redlines, overlapping_pairs(redlines, "redline_id"), "redline_id")


def county_pieces(redlines: gpd.GeoDataFrame, counties: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The redlines as the ledger counts them, one row per redline × county (equal-area CRS).

    Overlaps are cut once (``without_overlaps``). A land redline whose county the reader located
    (column ``LOCATED``: the data gave no code) is cut at the county lines of ``counties`` (``adcode``),
    each piece counted in the county it lies in; a part outside every county (beyond the coastline)
    and pieces under 1 m² stay with the located county. A redline whose county the data gave stays
    whole in that county: the code is the authority, and a boundary drawn from another source would
    only shave slivers off it. Marine redlines stay whole (a sea has no county lines to cut at).
    Columns: redline_id, county, realm, function_type, geometry.
    """
    frame = gpd.GeoDataFrame(redlines[PIECE_COLUMNS].reset_index(drop=True),
                             geometry=without_overlaps(redlines).to_numpy(), crs=AREA_CRS)
    if counties is None or LOCATED not in redlines.columns:
        return frame
    cut = (redlines[LOCATED].fillna(False).astype(bool) & (redlines["realm"] == "land")).to_numpy()
    if not cut.any():
        return frame
    pieces = pd.concat([frame[~cut], _cut_at_county_lines(frame[cut], counties)])
    return pieces.sort_index(kind="stable").reset_index(drop=True)


def _cut_at_county_lines(frame: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` (equal-area CRS) with each feature lying in more than its own county split into one
    row per county (same index label, counties in code order)."""
    units = counties.to_crs(AREA_CRS)
    shapes, codes = units.geometry.to_numpy(), units["adcode"].astype(str).to_numpy()
    geoms = frame.geometry.to_numpy()
    feature, unit = shapely.STRtree(shapes).query(geoms, predicate="intersects")
    parts = shapely.intersection(geoms[feature], shapes[unit])
    real = shapely.area(parts) > OVERLAP_NOISE_M2
    hits = pd.DataFrame({"feature": feature[real], "county": codes[unit[real]], "part": parts[real]})
    own = frame["county"].astype(str).to_numpy()
    elsewhere = set(hits.loc[hits["county"].to_numpy() != own[hits["feature"]], "feature"])
    rows = []
    for i, row in enumerate(frame.itertuples(index=False)):
        if i not in elsewhere:  # inside its own county (or beyond the coast): unchanged
            rows.append((frame.index[i], row.county, row.geometry))
            continue
        mine = hits[hits["feature"] == i]
        pieces = dict(zip(mine["county"], mine["part"]))
        rest = shapely.difference(row.geometry, shapely.union_all(mine["part"].to_numpy()))
        if shapely.area(rest) > 0:  # beyond every county line, and the slivers left out above
            pieces[row.county] = shapely.union(pieces[row.county], rest) if row.county in pieces else rest
        rows += [(frame.index[i], county, pieces[county]) for county in sorted(pieces)]
    labels, county, geometry = zip(*rows)
    out = frame.loc[list(labels)].set_geometry(list(geometry), crs=AREA_CRS)
    return out.assign(county=pd.array(county, dtype=frame["county"].dtype))


def ledger(pieces: gpd.GeoDataFrame) -> pd.DataFrame:
    """Redline count and area (ha) per county × realm × function type, from ``county_pieces``; a
    redline cut at a county line is counted in each county it lies in."""
    if pieces.empty:
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    keys = ["county", "realm", "function_type"]
    areas = pieces.assign(area_ha=shapely.area(pieces.geometry.to_numpy()) / M2_PER_HA)
    out = areas.groupby(keys, as_index=False).agg(redlines=("redline_id", "nunique"), area_ha=("area_ha", "sum"))
    return out[LEDGER_COLUMNS]


def footprints(pieces: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One footprint per county × realm: the union of its ``county_pieces`` (equal-area CRS)."""
    union = pieces.groupby(["county", "realm"])[pieces.geometry.name].agg(lambda g: shapely.union_all(g.to_numpy()))
    return gpd.GeoDataFrame(union.index.to_frame(index=False), geometry=union.to_numpy(), crs=pieces.crs)


def ledger_change(current: gpd.GeoDataFrame, previous: gpd.GeoDataFrame, tolerance_ha: float = TOLERANCE_HA
                  ) -> pd.DataFrame:
    """Area now and before, net change, area added and removed, and the flag, per county × realm
    (ha), from the two versions' ``footprints``; changes within ``tolerance_ha`` are not flagged."""
    now, before = (f.set_index(["county", "realm"]).geometry for f in (current, previous))
    keys = now.index.union(before.index)
    empty = shapely.Polygon()
    rows = []
    for key in keys:
        a, b = now.get(key, empty), before.get(key, empty)
        area, old = shapely.area(a) / M2_PER_HA, shapely.area(b) / M2_PER_HA
        added = shapely.area(shapely.difference(a, b)) / M2_PER_HA
        removed = shapely.area(shapely.difference(b, a)) / M2_PER_HA
        change = area - old
        flag = (AREA_REDUCED if change < -tolerance_ha
                else BOUNDARY_CHANGED if max(added, removed) > tolerance_ha else "")
        rows.append((*key, area, old, change, added, removed, flag))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)
