"""Carbon removed from the sea with mariculture harvests (海水养殖 移出碳), per yield row: pure functions.

    organic C = W · dw · s_soft · c_soft     t C     (W wet harvest, t; dw dry/wet ratio, t d.m./t wet;
    shell C   = W · dw · s_shell · c_shell   t C      s share of dry mass; c carbon content, t C/t d.m.)
    CO₂e      = C · 44/12                    t CO₂e

Bivalves have two tissues, soft tissue and shell (s_shell = 1 − s_soft); seaweed has one, the whole
thallus (s_soft = 1, no shell). Factors: ``layers/parameters/mariculture.csv`` (Sun Kang et al. 2020,
地理研究 39(11) Table 2), replaceable row by row with a survey's own table (``parameters: {mariculture: …}``).
Shell carbon is calcium carbonate, and accounting conventions differ on crediting it (calcification
releases CO₂), so it is returned in its own columns and never added to the organic carbon. Both are
carbon *removed with the harvest*, not sequestration by an ecosystem.

Uncertainty: IPCC Approach 1, as for forest biomass: in a product the factors' relative 95 %
half-widths add in quadrature. The shell share is not an independent factor: it is 1 − the soft
share, so its half-width is the soft share's (Δs / (1 − s)), and the table must say so (checked).
A group's factors are shared by all its rows, so rows of a group add linearly and groups in
quadrature (``totals``). Harvests are taken as exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from sinkmap.errors import SchemaError
from sinkmap.indicators.biomass import combine
from sinkmap.indicators.parameters import FactorTable, ranged_parameters, relative_half_width, tier_columns
from sinkmap.mappings import each_distinct, normalise
from sinkmap.units import CO2_PER_C
from sinkmap.validation import _counted

TABLE = "mariculture"
KEY = "mariculture_group"  # the factor table's key, the value-mapping field and the yield column
FACTORS = ("dry_wet_ratio", "soft_tissue_share", "shell_share", "soft_tissue_carbon", "shell_carbon")
PARTS = ("organic", "shell")  # reported apart, never summed here
TOLERANCE = 1e-4  # soft + shell share = 1 within this (the table's four decimals)
ROWS = ("row", "rows")  # what the listed names are counted in (the index: spreadsheet rows)


@dataclass(frozen=True)
class MaricultureFactors(FactorTable):
    """Dry/wet ratio, tissue shares and carbon contents per mariculture group, with 95 % ranges and sources:
    ``values`` etc. indexed by mariculture_group, columns FACTORS (fractions)."""

    table: ClassVar[str] = TABLE

    @classmethod
    def from_table(cls, table: pd.DataFrame, path: str = "") -> MaricultureFactors:
        """Build from the long table (one row per group × parameter; optional ``origin`` column).

        Raises SchemaError for what ``ranged_parameters`` refuses, a fraction above 1, and shares that
        do not add to 1 (the shell share and its range must be 1 − the soft share's)."""
        ranged = ranged_parameters(table, KEY, FACTORS, noun="mariculture groups", path=path)
        above = [f"{g}.{p}" for p in FACTORS for g in ranged.high.index[ranged.high[p] > 1]]
        if above:
            raise SchemaError(f"fractions above 1: {', '.join(above)}", path=path,
                              fix="write fractions (65.10 % as 0.651)")
        _check_shares(ranged.values, ranged.low, ranged.high, path)
        return cls.of(ranged, path)

    def carbon_per_wet_t(self) -> pd.DataFrame:
        """t C removed per t wet harvest: columns organic (dw · s_soft · c_soft), shell (dw · s_shell · c_shell)."""
        v = self.values
        return pd.DataFrame({"organic": v["dry_wet_ratio"] * v["soft_tissue_share"] * v["soft_tissue_carbon"],
                             "shell": v["dry_wet_ratio"] * v["shell_share"] * v["shell_carbon"]})

    def relative_uncertainty(self, dry: bool = False) -> pd.DataFrame:
        """Relative 95 % half-width of each part's factor product (Approach 1): columns organic, shell.

        The shell share's half-width is the soft share's (s_shell = 1 − s_soft, one uncertain quantity).
        ``dry``: of a harvest given as dry weight, without the dry/wet ratio."""
        u = relative_half_width(self.values, self.low, self.high)
        soft_half = (self.high["soft_tissue_share"] - self.low["soft_tissue_share"]) / 2.0
        u_shell_share = (soft_half / self.values["shell_share"].replace(0.0, np.nan)).fillna(0.0)
        ratio = 0.0 if dry else u["dry_wet_ratio"]
        organic = np.sqrt(ratio ** 2 + u["soft_tissue_share"] ** 2 + u["soft_tissue_carbon"] ** 2)
        shell = np.sqrt(ratio ** 2 + u_shell_share ** 2 + u["shell_carbon"] ** 2)
        return pd.DataFrame({"organic": organic, "shell": shell.where(self.values["shell_share"] > 0, 0.0)})

    def groups(self, names: pd.Series, mapping: Mapping[str, str] | None = None, *, path=None,
               layer: str | None = None) -> pd.Series:
        """The group of each name (海带, 蚝, Oyster, ark clam, a group code …) through ``mapping``
        (default: the shipped ``layers/mappings/mariculture_group.csv``). Names no group takes raise one
        SchemaError listing each with its rows (the index of ``names``) and the two fixes."""
        if mapping is None:
            from sinkmap.mappings import shipped_mappings

            mapping = shipped_mappings().get(KEY, {})
        known = set(self.values.index)

        def group(name: object) -> str | None:
            key = normalise(name)
            for form in (key, key.lower().replace(" ", "_")):
                code = mapping.get(form, form)
                if code in known:
                    return code
            return None

        codes = each_distinct(names, group)
        unknown = names[codes.isna()]
        if len(unknown):
            raise SchemaError(f"no mariculture factors for {_counted(unknown.astype(str), ROWS, None)}", path=path,
                              layer=layer, field=KEY,
                              fix=f"name a group ({', '.join(self.values.index)}) or a name mapped to one "
                                  "(海带, 龙须菜, 牡蛎, 蚝, 蛤, 蚶 … layers/mappings/mariculture_group.csv), map them in a "
                                  "CSV `field,value,code` (field mariculture_group), or add their five rows to your "
                                  f"own table given as `parameters: {{{TABLE}: my_factors.csv}}`")
        return codes.astype(str)


def _check_shares(values: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame, path: str) -> None:
    """Soft + shell share = 1, and the shell range = 1 − the soft range, per group (within TOLERANCE)."""
    soft, shell = "soft_tissue_share", "shell_share"
    off = ((values[soft] + values[shell] - 1).abs() > TOLERANCE) | \
          ((low[soft] + high[shell] - 1).abs() > TOLERANCE) | ((high[soft] + low[shell] - 1).abs() > TOLERANCE)
    if off.any():
        shown = ", ".join(f"{g} ({values.at[g, soft]:g} [{low.at[g, soft]:g}–{high.at[g, soft]:g}] + "
                          f"{values.at[g, shell]:g} [{low.at[g, shell]:g}–{high.at[g, shell]:g}])"
                          for g in values.index[off])
        raise SchemaError(f"soft_tissue_share + shell_share must be 1, their ranges mirrored: {shown}", path=path,
                          fix="give shell_share = 1 − soft_tissue_share, low = 1 − its high and high = 1 − its low "
                              "(replace the two rows together)")


def _with_range(out: pd.DataFrame, part: str, carbon: np.ndarray, u: np.ndarray) -> None:
    """``<part>_c_t`` (t C), ``<part>_co2e_t`` (t CO₂e), each with ``_low``/``_high``, and ``<part>_u_95``."""
    for unit, scale in (("c", 1.0), ("co2e", CO2_PER_C)):
        value = carbon * scale
        out[f"{part}_{unit}_t"] = value
        out[f"{part}_{unit}_low"] = np.maximum(value * (1.0 - u), 0.0)
        out[f"{part}_{unit}_high"] = value * (1.0 + u)
    out[f"{part}_u_95"] = u


def removal(yields: pd.DataFrame, factors: MaricultureFactors, mapping: Mapping[str, str] | None = None, *,
            path=None, layer: str | None = None) -> pd.DataFrame:
    """Carbon removed with each harvest row, organic and shell apart, in t C and t CO₂e with 95 % ranges.

    ``yields`` has ``mariculture_group`` (a species name or group code) and ``harvest_t`` (wet tonnes, or
    dry tonnes on rows whose ``basis`` is "dry": no dry/wet ratio then), usually ``county`` and ``year`` too
    (every column is kept). Returns the rows with the group code in ``mariculture_group``, the name as
    written in ``species``, ``basis`` (wet, dry), ``dry_t`` (t d.m.), ``organic_*`` and
    ``shell_*`` (see ``_with_range``; seaweed's shell columns are 0) and ``tier_<factor>`` columns.
    Raises SchemaError naming the rows for unknown names and for missing or negative harvests.
    """
    harvest = pd.to_numeric(yields["harvest_t"], errors="coerce")
    bad = yields.loc[~(harvest >= 0), "harvest_t"]
    if len(bad):
        raise SchemaError(f"harvests must be tonnes ≥ 0, not {_counted(bad.astype(str), ROWS, None)}", path=path,
                          layer=layer, field="harvest_t", fix="give each row's harvest in tonnes (吨, 鲜重 or, with basis 干重, dry)")
    groups = factors.groups(yields[KEY], mapping, path=path, layer=layer)
    v = factors.values.reindex(groups)
    dry = (yields["basis"].eq("dry").fillna(False).to_numpy(dtype=bool) if "basis" in yields
           else np.zeros(len(yields), dtype=bool))
    wet_u, dry_u = (factors.relative_uncertainty(dry=d).reindex(groups) for d in (False, True))
    u = {part: np.where(dry, dry_u[part].to_numpy(), wet_u[part].to_numpy()) for part in PARTS}
    out = yields.assign(species=yields[KEY], **{KEY: groups})
    out["basis"] = np.where(dry, "dry", "wet")
    out["dry_t"] = harvest.to_numpy() * np.where(dry, 1.0, v["dry_wet_ratio"].to_numpy())
    _with_range(out, "organic", out["dry_t"].to_numpy() * (v["soft_tissue_share"] * v["soft_tissue_carbon"]).to_numpy(),
                u["organic"])
    _with_range(out, "shell", out["dry_t"].to_numpy() * (v["shell_share"] * v["shell_carbon"]).to_numpy(),
                u["shell"])
    return out.join(tier_columns(factors.cell_tiers, groups))


def totals(rows: pd.DataFrame, by: Sequence[str] = ("county", "year", KEY)) -> pd.DataFrame:
    """Σ of ``removal`` rows per ``by``, organic and shell apart, with 95 % ranges: rows of one group
    (shared factors) add linearly, groups in quadrature (``biomass.combine``). One row per ``by`` value."""
    codes, keys = pd.MultiIndex.from_frame(rows[list(by)]).factorize()
    keyed = rows.assign(_by=codes)
    out = pd.DataFrame(list(keys), columns=list(by))
    for part in PARTS:
        summed = combine(keyed.assign(u=keyed[f"{part}_u_95"]), "_by", f"{part}_c_t", KEY).sort_index()
        for unit, scale in (("c", 1.0), ("co2e", CO2_PER_C)):
            for column, name in (("value", "t"), ("low", "low"), ("high", "high")):
                out[f"{part}_{unit}_{name}"] = summed[column].to_numpy() * scale
    return out
