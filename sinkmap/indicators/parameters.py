"""Sourced parameter tables with 95 % ranges (``layers/parameters/*.csv``), read into wide frames.

A table has one row per key (species group, habitat …) × parameter, with columns value, low,
high (the 95 % range), unit, tier and source. Pure table work; the caller reads the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from sinkmap.catalogue import SHIPPED
from sinkmap.errors import SchemaError

RANGE_COLUMNS = ("parameter", "value", "low", "high", "unit", "tier", "source")


class ShippedTable:
    """A factor table shipped as ``layers/parameters/<table>.csv``, whose rows a survey's own table may
    replace (``parameters:`` in survey.yaml). Subclasses set ``table`` and define ``from_table``."""

    table: ClassVar[str]  # the shipped table's name

    @classmethod
    def from_layers(cls, user: str | Path | None = None):
        """The shipped table, its rows replaced by those of the ``user`` table (CSV or XLSX) where it has them."""
        from sinkmap.readers.parameters import merged_table

        table, label = merged_table(cls.table, user)
        return cls.from_table(table, path=str(user or label))

    def provenance(self) -> str:
        """Which file each value came from, in one phrase."""
        return provenance(self.origins, f"layers/parameters/{self.table}.csv")


@dataclass(frozen=True)
class FactorTable(ShippedTable):
    """A shipped factor table read into wide frames (index: the table's key; one column per factor)."""

    values: pd.DataFrame  # best estimates
    low: pd.DataFrame  # lower 95 % bounds
    high: pd.DataFrame  # upper 95 % bounds
    sources: pd.DataFrame
    tiers: pd.Series  # per key: the tier summary shown with results
    cell_tiers: pd.DataFrame  # the tier of each value
    origins: pd.DataFrame  # the file each value came from (SHIPPED: the shipped table)
    path: str = ""

    @classmethod
    def of(cls, ranged: RangedParameters, path: str = ""):
        """The table of ``ranged_parameters``'s frames."""
        return cls(ranged.values, ranged.low, ranged.high, ranged.sources, ranged.tiers, ranged.cell_tiers,
                   ranged.origins, path)


@dataclass(frozen=True)
class RangedParameters:
    """Values, 95 % bounds and sources per key × parameter, and a tier summary per key."""

    values: pd.DataFrame  # index key; one column per parameter
    low: pd.DataFrame
    high: pd.DataFrame
    sources: pd.DataFrame
    tiers: pd.Series  # per key, e.g. "D/BEF PROVISIONAL, R/CF IPCC Tier 1 fallback"
    cell_tiers: pd.DataFrame  # the tier of each value
    origins: pd.DataFrame  # the file each value came from (SHIPPED: layers/parameters/)


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
    if "origin" not in table.columns:
        table = table.assign(origin=SHIPPED)
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
    return RangedParameters(pick("value"), pick("low"), pick("high"), pick("source"), _tier_summary(table, key),
                            pick("tier"), pick("origin"))


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


TIER_CLASSES = ("sourced", "proxy", "provisional")


def tier_class(tier: str) -> str:
    """The class of a tier: ``provisional`` (a placeholder: tier PROVISIONAL), ``proxy`` (borrowed from
    another species, region or a generic climate-zone default: 'literature proxy', 'IPCC Tier 1 fallback'),
    else ``sourced`` (a value for the group itself: a species mean, a study of it, a Tier 1 value for the
    habitat, the bureau's own table)."""
    text = str(tier).lower()
    if "provisional" in text:
        return "provisional"
    return "proxy" if "proxy" in text or "fallback" in text else "sourced"


def tier_columns(cell_tiers: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """``tier_<factor>`` columns (the tier class of each factor) for rows with keys ``keys``."""
    classes = cell_tiers.map(tier_class).reindex(keys.to_numpy())
    return pd.DataFrame({f"tier_{f}": classes[f].to_numpy() for f in cell_tiers.columns}, index=keys.index)


def tier_shares(parts: pd.DataFrame, by: str, value: str, factors: tuple[str, ...]) -> pd.DataFrame:
    """For each ``by`` unit and factor, the share of Σ |``value``| whose factor has each tier class.

    ``parts`` has one row per unit × key (species group, habitat) with ``value`` and ``tier_<factor>``
    columns. Returns index (by, factor), columns TIER_CLASSES (fractions adding to 1; NaN where Σ = 0).
    """
    frames = []
    for factor in factors:
        weights = parts[value].abs().groupby([parts[by], parts[f"tier_{factor}"]]).sum().unstack(fill_value=0.0)
        weights = weights.reindex(columns=list(TIER_CLASSES), fill_value=0.0)
        shares = weights.div(weights.sum(axis=1).replace(0.0, np.nan), axis=0)
        frames.append(shares.assign(factor=factor).set_index("factor", append=True))
    return pd.concat(frames).sort_index(level=0, sort_remaining=False)


def whole_percents(shares: pd.Series) -> pd.Series:
    """Fractions adding to 1 as whole percents adding to 100 (largest remainders round up)."""
    exact = shares * 100.0
    floor = np.floor(exact)
    short = int(round(100 - floor.sum()))
    order = (exact - floor).sort_values(ascending=False, kind="stable").index[:short]
    floor[order] += 1
    return floor.astype(int)


def quality_text(shares: pd.DataFrame) -> pd.Series:
    """Per unit, one line: "D 40 % sourced, 60 % proxy; BEF 100 % provisional; …" (0 % classes left out)."""
    lines: dict = {}
    for (unit, factor), row in shares.iterrows():
        if row.isna().any():
            continue
        shown = ", ".join(f"{p} % {c}" for c, p in whole_percents(row).items() if p > 0)
        lines[unit] = f"{lines[unit]}; " if unit in lines else ""
        lines[unit] += f"{factor} {shown}"
    return pd.Series(lines, dtype=object)


def provenance(origins: pd.DataFrame, shipped: str) -> str:
    """Where the values came from: "my.csv (eucalyptus BEF, R) and layers/… (the other values)"."""
    own = origins.where(origins != SHIPPED).stack().dropna()
    if own.empty:
        return shipped
    parts = []
    for name, cells in own.groupby(own.to_numpy()):
        by_key = cells.groupby(level=0, sort=False).apply(lambda c: ", ".join(c.index.get_level_values(1)))
        parts.append(f"{name} ({'; '.join(f'{k} {p}' for k, p in by_key.items())})")
    rest = "" if (origins != SHIPPED).all().all() else f" and {shipped} (the other values)"
    return " and ".join(parts) + rest
