"""Sourced parameter tables with 95 % ranges (``layers/parameters/*.csv``), read into wide frames.

A table has one row per key (species group, habitat …) × parameter, with columns value, low,
high (the 95 % range), unit, tier and source. Pure table work; the caller reads the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sinkmap.errors import SchemaError

RANGE_COLUMNS = ("parameter", "value", "low", "high", "unit", "tier", "source")


@dataclass(frozen=True)
class RangedParameters:
    """Values, 95 % bounds and sources per key × parameter, and a tier summary per key."""

    values: pd.DataFrame  # index key; one column per parameter
    low: pd.DataFrame
    high: pd.DataFrame
    sources: pd.DataFrame
    tiers: pd.Series  # per key, e.g. "D/BEF PROVISIONAL, R/CF IPCC Tier 1 fallback"


def ranged_parameters(table: pd.DataFrame, key: str, parameters: tuple[str, ...], *, noun: str, path: str = ""
                      ) -> RangedParameters:
    """Check a long parameter table and pivot it to one wide frame per column.

    Raises SchemaError (naming the table) for missing columns, non-numeric values, a key that lacks
    one of ``parameters`` (``noun`` names the keys in the message, e.g. "species groups"), or a range that does not satisfy 0 ≤ low ≤ value ≤ high.
    """
    columns = (key, *RANGE_COLUMNS)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SchemaError(f"missing columns {missing}", path=path, fix=f"the table needs {list(columns)}")
    numbers = {}
    for column in ("value", "low", "high"):
        numbers[column] = pd.to_numeric(table[column], errors="coerce")
        bad = table.loc[numbers[column].isna(), key]
        if len(bad):
            raise SchemaError(f"{column} is not a number for {sorted(set(bad))}", path=path, field=column,
                              fix="write plain decimal numbers (no units, no thousands separators)")
    table = table.assign(**numbers)
    wide = table.pivot(index=key, columns="parameter")
    incomplete = wide["value"].reindex(columns=list(parameters)).isna().any(axis=1)
    if incomplete.any():
        raise SchemaError(f"{noun} {sorted(wide.index[incomplete])} lack one of {list(parameters)}", path=path,
                          fix=f"give {', '.join(parameters)} for each of them")
    bad = table[(table["low"] > table["value"]) | (table["high"] < table["value"]) | (table["low"] < 0)]
    if len(bad):
        rows = ", ".join(f"{k}.{p}" for k, p in zip(bad[key], bad["parameter"]))
        raise SchemaError(f"ranges must satisfy 0 ≤ low ≤ value ≤ high: {rows}", path=path)
    pick = lambda col: wide[col][list(parameters)]  # noqa: E731
    return RangedParameters(pick("value"), pick("low"), pick("high"), pick("source"), _tier_summary(table, key))


def relative_half_width(values: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame) -> pd.DataFrame:
    """u = (high − low) / (2 · value) per cell; 0 where the value is 0 and the range empty."""
    half = (high - low) / 2.0
    return (half / values.replace(0.0, np.nan)).fillna(0.0)


def _tier_summary(table: pd.DataFrame, key: str) -> pd.Series:
    """Per key, which parameters have which tier, e.g. "D/BEF PROVISIONAL, R/CF IPCC Tier 1 fallback"."""
    def summary(rows: pd.DataFrame) -> str:
        by_tier = rows.groupby("tier", sort=False)["parameter"].agg(lambda p: "/".join(p))
        return ", ".join(f"{params} {tier}" for tier, params in by_tier.items())
    return pd.Series({k: summary(rows) for k, rows in table.groupby(key)}, name="tier")
