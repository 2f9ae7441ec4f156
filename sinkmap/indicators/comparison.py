"""Year over year: each indicator row against an earlier survey's, and what makes the two incomparable.

Pure functions of the indicator tables (adcode × indicator rows with value and unit) and of the two
surveys' provenance records (provenance.json: ``sinkmap_version``, ``survey_area.code``,
``parameter_tables.<name>.<shipped|own>.sha256``, ``crs``). The mismatch lines name no folder; the
caller adds both.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

KEY = ["adcode", "indicator"]
LAND_AREA = "land_area"  # km², the indicator whose change shows a unit's boundary moved
BOUNDARY_TOLERANCE = 0.001  # a relative land-area difference above this (0.1 %) is a different boundary


def as_written(values: pd.Series, digits: int | None) -> pd.Series:
    """``values`` rounded to ``digits`` significant digits, as a CSV written with ``%.{digits}g`` holds
    them (None: as they are), so that a value compared with its own read-back changes by exactly 0."""
    if digits is None:
        return values.astype(float)
    return values.astype(float).map(lambda v: v if pd.isna(v) else float(f"{v:.{digits}g}"))


def attach_previous(current: pd.DataFrame, previous: pd.DataFrame, digits: int | None = None
                    ) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """``current`` with ``previous`` (the earlier row's value for the same adcode × indicator, same unit)
    and ``change`` (value − previous, in the row's unit; ``value`` taken ``as_written``); NaN where the
    earlier survey has no such row or a value in another unit. Also: indicator → (unit then, unit now)
    for each indicator whose unit differs (no previous and no change for it)."""
    then = previous.drop_duplicates(KEY).set_index(KEY)
    key = pd.MultiIndex.from_frame(current[KEY].astype(str))
    value_then = then["value"].astype(float).reindex(key).to_numpy()
    unit_then = then["unit"].reindex(key).to_numpy()
    unit_now = current["unit"].astype(str).to_numpy()
    known = pd.notna(unit_then)
    same = known & (unit_then == unit_now)
    earlier = pd.Series(np.where(same, value_then, np.nan), index=current.index, dtype=float)
    table = current.assign(previous=earlier, change=as_written(current["value"], digits) - earlier)
    other = known & ~same
    changed = {ind: (str(a), str(b)) for ind, a, b in zip(current["indicator"][other], unit_then[other],
                                                           unit_now[other])}
    return table, changed


def unit_changes(changed: Mapping[str, tuple[str, str]]) -> list[str]:
    """One line for the indicators whose unit differs (``attach_previous``): not compared."""
    if not changed:
        return []
    listed = ", ".join(f"{ind} ({a} then, {b} now)" for ind, (a, b) in changed.items())
    return [f"units differ for {listed}: no previous value or change is given for them"]


def boundary_changes(current: pd.DataFrame, previous: pd.DataFrame, tolerance: float = BOUNDARY_TOLERANCE
                     ) -> list[str]:
    """One line per unit (adcode in both tables) whose ``land_area`` differs by more than ``tolerance``
    (relative): its boundary or land mask changed, so its changes mix boundary and ground."""
    now = current[current["indicator"] == LAND_AREA].set_index("adcode")
    then = previous[previous["indicator"] == LAND_AREA].drop_duplicates("adcode").set_index("adcode")
    lines = []
    for adcode in now.index.intersection(then.index):
        a, b = float(then.at[adcode, "value"]), float(now.at[adcode, "value"])
        if np.isnan(a) or np.isnan(b) or abs(b - a) <= tolerance * abs(a):
            continue
        unit = now.at[adcode, "unit"]
        lines.append(f"{LAND_AREA} of {now.at[adcode, 'county']} {adcode} is {a:,.2f} {unit} then and {b:,.2f} "
                     f"{unit} now ({(b - a) / a:+.1%}, more than {tolerance:.1%}): its boundary differs, so its "
                     "changes mix boundary and ground")
    return lines


def _sha256s(record: Mapping) -> dict[str, tuple[str | None, ...]]:
    """Parameter table → (shipped sha256, own sha256 or None)."""
    return {name: tuple((table.get(part) or {}).get("sha256") for part in ("shipped", "own"))
            for name, table in record.get("parameter_tables", {}).items()}


def _crs_definitions(record: Mapping) -> dict[str, str | None]:
    """CRS role (storage, area) → its definition string."""
    return {role: crs.get("definition") for role, crs in record.get("crs", {}).items()}


def definition_changes(then: Mapping, now: Mapping) -> list[str]:
    """What differs between two surveys' provenance records beyond the ground: the survey area, the
    sinkmap version, the parameter tables both records have (by sha256) and the CRS definitions. One line each."""
    lines = []
    area_then, area_now = then["survey_area"], now["survey_area"]
    if area_then.get("code") != area_now.get("code"):
        lines.append(f"survey area {area_then.get('code')} {area_then.get('name_zh', '')} then and "
                     f"{area_now.get('code')} {area_now.get('name_zh', '')} now: the totals are of different areas")
    if then.get("sinkmap_version") != now.get("sinkmap_version"):
        lines.append(f"written by sinkmap {then.get('sinkmap_version')} then and {now.get('sinkmap_version')} now: "
                     "methods or definitions may differ")
    sha_then, sha_now = _sha256s(then), _sha256s(now)
    # a table only one record has (a later sinkmap's new table) converts nothing the other survey reported
    differ = sorted(n for n in sha_then.keys() & sha_now.keys() if sha_then[n] != sha_now[n])
    if differ:
        lines.append(f"parameter tables differ (sha256): {', '.join(differ)}: the factors changed, so the changes "
                     "of what they convert mix definitions and ground")
    if _crs_definitions(then) != _crs_definitions(now):
        lines.append("CRS definitions differ: areas were computed in another equal-area CRS")
    return lines
