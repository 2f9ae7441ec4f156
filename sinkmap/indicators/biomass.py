"""Biomass carbon from growing stock (蓄积量 → 生物量 → 碳储量) with IPCC Approach 1 uncertainty.

    B    = V · D · BEF · (1 + R)      t d.m.  (V m³; D basic wood density t d.m./m³;
                                               BEF biomass expansion factor; R root:shoot ratio)
    C    = B · CF                     Mg C    (CF carbon fraction, t C / t d.m.)
    CO₂e = C · 44/12                  t CO₂e

Uncertainty (IPCC 2006 Vol. 1 Ch. 3, Approach 1, error propagation): each factor's 95 %
range gives a relative half-width u = (high − low) / (2 · value); a product has
u = √(u_D² + u_BEF² + u_(1+R)² + u_CF²), with u_(1+R) = (R_high − R_low) / (2 · (1 + R)). Factors are shared by
every stand of a species group, so within a group errors add linearly (fully correlated) and
across groups in quadrature. Stand volumes are taken as exact (inventory sampling error is
not included). Pure functions; the table is read from ``layers/parameters/biomass_factors.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sinkmap.errors import SchemaError
from sinkmap.indicators.parameters import provenance, ranged_parameters, tier_columns
from sinkmap.units import CO2_PER_C

FACTORS = ("D", "BEF", "R", "CF")
TABLE = "biomass_factors"


@dataclass(frozen=True)
class BiomassFactors:
    """Volume-to-carbon factors per species group, with 95 % ranges and sources."""

    values: pd.DataFrame  # index species_group; columns D, BEF, R, CF (best estimates)
    low: pd.DataFrame  # same shape: lower 95 % bound
    high: pd.DataFrame  # same shape: upper 95 % bound
    sources: pd.DataFrame  # same shape: source of each value
    tiers: pd.Series  # per species group: the tier / fallback note shown with results
    cell_tiers: pd.DataFrame  # same shape: the tier of each value
    origins: pd.DataFrame  # same shape: the file each value came from (SHIPPED: the shipped table)
    path: str = ""
    label: str = f"layers/parameters/{TABLE}.csv"  # where the table came from, as sources name it

    @classmethod
    def from_table(cls, table: pd.DataFrame, path: str = "", label: str = "") -> BiomassFactors:
        """Build from the long table (one row per species group × parameter; optional ``origin`` column)."""
        ranged = ranged_parameters(table, "species_group", FACTORS, noun="species groups", path=path)
        zero = [f"{g}.{p}" for p in ("D", "BEF", "CF") for g in ranged.values.index[ranged.values[p] <= 0]]
        if zero:
            raise SchemaError(f"D, BEF and CF must be > 0: {', '.join(zero)}", path=path)
        return cls(ranged.values, ranged.low, ranged.high, ranged.sources, ranged.tiers, ranged.cell_tiers,
                   ranged.origins, path, label or cls.label)

    @classmethod
    def from_layers(cls, user: str | Path | None = None) -> BiomassFactors:
        """The shipped table ``layers/parameters/biomass_factors.csv``, its rows replaced by those of the
        ``user`` table (CSV or XLSX) where it has them."""
        from sinkmap.readers.parameters import merged_table

        table, label = merged_table(TABLE, user)
        return cls.from_table(table, path=str(user or label), label=label)

    def provenance(self) -> str:
        """Which file each value came from, in one phrase."""
        return provenance(self.origins, f"layers/parameters/{TABLE}.csv")

    def variance_shares(self, carbon: pd.DataFrame, value: str = "carbon_mg_c") -> pd.DataFrame:
        """Each factor's share of the variance of Σ ``value`` (Approach 1), per species group × factor.

        Half-width² = Σ_groups (C_g · u_g)² and u_g² = Σ_factors u_g,f², so (C_g · u_g,f)² / half-width²
        is that cell's share; the shares add to 1. Index species_group; columns FACTORS.
        """
        half = (self.high - self.low) / 2.0
        u = half / self.values
        u["R"] = half["R"] / (1.0 + self.values["R"])
        total = carbon.groupby("species_group")[value].sum()
        cells = u.reindex(total.index).mul(total, axis=0) ** 2
        return cells / cells.to_numpy().sum()

    def carbon_per_m3(self) -> pd.Series:
        """Mg C per m³ of growing stock: D · BEF · (1 + R) · CF."""
        v = self.values
        return (v["D"] * v["BEF"] * (1.0 + v["R"]) * v["CF"]).rename("mg_c_per_m3")

    def relative_uncertainty(self) -> pd.Series:
        """Relative 95 % half-width of D · BEF · (1 + R) · CF (Approach 1)."""
        half = (self.high - self.low) / 2.0
        u = half / self.values  # D, BEF, CF are > 0 (checked on loading)
        u_one_plus_r = half["R"] / (1.0 + self.values["R"])  # R may be 0
        return np.sqrt(u["D"] ** 2 + u["BEF"] ** 2 + u_one_plus_r ** 2 + u["CF"] ** 2).rename("u")

    def require(self, groups: pd.Series, ids: pd.Series, *, path=None, layer: str | None = None) -> None:
        """Raise SchemaError naming the groups (and stands) that have no factors."""
        missing = groups[~groups.isin(self.values.index)]
        if len(missing):
            shown = ", ".join(f"{i}={g!r}" for i, g in zip(ids[missing.index][:5], missing[:5]))
            raise SchemaError(f"no biomass factors for species groups {sorted(set(missing))} ({shown})",
                              path=path, layer=layer, field="species_group",
                              fix=f"add D, BEF, R, CF rows for them to {self.path or TABLE + '.csv'}")


def carbon_by_group(stock: pd.DataFrame, factors: BiomassFactors) -> pd.DataFrame:
    """Add ``biomass_t``, ``carbon_mg_c``, ``co2e_t`` and the group's relative uncertainty ``u``.

    ``stock`` has a ``species_group`` and a ``stock_m3`` column (any other key columns are kept).
    """
    group = stock["species_group"]
    v = factors.values.reindex(group)
    biomass = stock["stock_m3"].to_numpy() * (v["D"] * v["BEF"] * (1.0 + v["R"])).to_numpy()  # m³ · t/m³
    out = stock.copy()
    out["biomass_t"] = biomass
    out["carbon_mg_c"] = biomass * v["CF"].to_numpy()
    out["co2e_t"] = out["carbon_mg_c"] * CO2_PER_C
    out["u"] = factors.relative_uncertainty().reindex(group).to_numpy()
    out = out.join(tier_columns(factors.cell_tiers, group))
    origins = factors.origins.reindex(group.to_numpy())
    out["factors_from"] = [_from(row) for row in origins.itertuples(index=False)]
    return out


def _from(origins: tuple[str, ...]) -> str:
    """Which file a group's factors came from: "shipped", "my.csv", or "my.csv: BEF, R; shipped: D, CF"."""
    by_file: dict[str, list[str]] = {}
    for factor, origin in zip(FACTORS, origins):
        by_file.setdefault(origin, []).append(factor)
    if len(by_file) == 1:
        return next(iter(by_file))
    return "; ".join(f"{name}: {', '.join(f)}" for name, f in by_file.items())


def combine(frame: pd.DataFrame, by: str, value: str, group: str = "species_group") -> pd.DataFrame:
    """Σ ``value`` per ``by`` with its 95 % range: errors add linearly within a ``group`` (rows that
    share their factors) and in quadrature across groups. Index ``by``; columns value, low, high (a
    range of a non-negative quantity stops at 0)."""
    work = frame.assign(_abs=frame[value] * frame["u"])
    per_group = work.groupby([by, group])[[value, "_abs"]].sum()
    total = per_group[value].groupby(level=0).sum()
    half = np.sqrt((per_group["_abs"] ** 2).groupby(level=0).sum())
    low = total - half
    if (frame[value] >= 0).all():
        low = low.clip(lower=0.0)
    return pd.DataFrame({"value": total, "low": low, "high": total + half})


def sink_by_difference(before: pd.DataFrame, after: pd.DataFrame, years: float, key: str) -> pd.DataFrame:
    """Annual sink by stock difference, per ``key`` × species group: (C_after − C_before) / years.

    Both frames come from ``carbon_by_group`` (columns key, species_group, carbon_mg_c, u).
    Returns key, species_group, ``sink_mg_c_per_yr``, ``sink_co2e_t_per_yr`` and ``u``: the same
    factors apply to both years, so the factor error scales with the difference.
    """
    if years <= 0:
        raise ValueError("the later survey must be after the earlier one")
    cols = [key, "species_group"]
    a = before.groupby(cols)["carbon_mg_c"].sum()
    b = after.groupby(cols)["carbon_mg_c"].sum()
    delta = b.sub(a, fill_value=0.0) / years
    shared = ["u", *(c for c in after.columns if c.startswith("tier_"))]  # the same factors in both years
    per_group = pd.concat([before, after]).groupby("species_group")[shared].first()
    out = delta.rename("sink_mg_c_per_yr").reset_index()
    out["sink_co2e_t_per_yr"] = out["sink_mg_c_per_yr"] * CO2_PER_C
    for column in shared:
        out[column] = out["species_group"].map(per_group[column]).to_numpy()
    return out


def sum_independent(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """a + b with 95 % half-widths in quadrature (the two rest on independent factors); each half-width
    is high − value, the side a range of a non-negative quantity is never clipped on."""
    value = a["value"] + b["value"]
    half = np.hypot(a["high"] - a["value"], b["high"] - b["value"])
    low = value - half
    if (a["value"] >= 0).all() and (b["value"] >= 0).all():
        low = low.clip(lower=0.0)
    return pd.DataFrame({"value": value, "low": low, "high": value + half})
