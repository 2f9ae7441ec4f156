"""Carbon stocks from land cover, InVEST Carbon-compatible: pure functions, no file I/O.

Each land-cover code has a carbon density in four pools (Mg C/ha): above-ground biomass,
below-ground biomass, soil, dead matter. Pool total (Mg C) = Σ over codes of the code's true
ground area (ha) × its density (Mg C/ha) — InVEST's "Σ pixel value × pixel area" with the area
taken on the ellipsoid for geographic rasters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POOLS = ("c_above", "c_below", "c_soil", "c_dead")
CARBON_NODATA = -1.0  # carbon density is never negative


def missing_codes(codes: np.ndarray | list[int], pools: pd.DataFrame) -> list[int]:
    """Land-cover codes present in the raster but absent from the pools table's ``lucode``."""
    return sorted(set(int(c) for c in codes) - set(pools["lucode"].astype(int)))


def density_lookup(pools: pd.DataFrame) -> pd.Series:
    """Total carbon density per code (Mg C/ha) = c_above + c_below + c_soil + c_dead."""
    return pools.set_index(pools["lucode"].astype(int))[list(POOLS)].astype(float).sum(axis=1)


def carbon_density(codes: np.ndarray, lookup: pd.Series, nodata: float | None) -> np.ndarray:
    """Per-cell carbon density (Mg C/ha, float32); CARBON_NODATA for nodata and unknown codes."""
    out = np.full(codes.shape, CARBON_NODATA, dtype=np.float32)
    valid = np.ones(codes.shape, bool) if nodata is None else codes != nodata
    known = valid & np.isin(codes, lookup.index.to_numpy())
    if known.any():
        keys = lookup.index.to_numpy()
        order = np.argsort(keys)
        position = np.searchsorted(keys[order], codes[known])
        out[known] = lookup.to_numpy()[order][position].astype(np.float32)
    return out


def pool_totals(class_areas: pd.DataFrame, pools: pd.DataFrame, key: str | None = None) -> pd.DataFrame:
    """Carbon per pool (Mg C) from class areas (ha): ``class_areas`` has class, area_ha (and ``key``).

    Returns one row per ``key`` value (or one row) with ``<pool>_mg_c`` columns, ``total_mg_c``
    and ``area_ha`` (the area with a density, ha). Codes absent from ``pools`` are left out.
    """
    table = pools.set_index(pools["lucode"].astype(int))[list(POOLS)].astype(float)
    known = class_areas[class_areas["class"].isin(table.index)]
    rows = known[[key] if key else []].copy()
    for pool in POOLS:
        rows[f"{pool}_mg_c"] = known["area_ha"].to_numpy() * table.loc[known["class"], pool].to_numpy()  # ha · Mg C/ha
    rows["area_ha"] = known["area_ha"].to_numpy()
    totals = rows.groupby(key, sort=True).sum() if key else rows.sum().to_frame().T
    totals["total_mg_c"] = totals[[f"{p}_mg_c" for p in POOLS]].sum(axis=1)
    return totals.reset_index() if key else totals.reset_index(drop=True)


def summary_table(totals: pd.DataFrame) -> pd.DataFrame:
    """InVEST-style summary: rows c_above, c_below, c_soil, c_dead, total with ``total_mg_c``."""
    row = totals.iloc[0]
    values = [row[f"{p}_mg_c"] for p in POOLS] + [row["total_mg_c"]]
    return pd.DataFrame({"pool": [*POOLS, "total"], "total_mg_c": values})
