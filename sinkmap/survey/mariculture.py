"""One survey's mariculture harvest removal (海水养殖收获移出碳): the glue between the harvest table, the
farming-area layer and the pure functions of ``sinkmap.indicators.mariculture``. No file I/O.

The removal is carbon taken out of the sea with the harvest, not sequestration by an ecosystem: its
indicators stand apart from the forest and blue-carbon sinks and are never added to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sinkmap.indicators.mariculture import KEY, PARTS, MaricultureFactors, removal, totals
from sinkmap.writers.format import format_number

INDICATORS = ("mariculture_dry_mass", "mariculture_removal_organic", "mariculture_removal_shell")
BY_GROUP_COLUMNS = ["county", "year", KEY, "basis", "species", "rows", "harvest_t", "dry_t",
                    *[f"{part}_{unit}_{name}" for part in PARTS for unit in ("c", "co2e")
                      for name in ("t", "low", "high")],
                    "organic_u_95", "shell_u_95", "factors_from"]
AREA_COLUMNS = ("harvest_t", "dry_t", "organic_co2e_t", "shell_co2e_t")  # per farming area, the survey year
# (harvest_t: of its wet-weight rows only)


@dataclass(frozen=True)
class MaricultureYear:
    """The harvest rows with their removal (``indicators.mariculture.removal``) of the survey year and before."""

    year: int
    file: str  # the harvest table's file name
    rows: pd.DataFrame  # county, area_id, year, mariculture_group (code), species (as written), harvest_t, …
    factors: MaricultureFactors

    @property
    def this_year(self) -> pd.DataFrame:
        """The rows of the survey year."""
        return self.rows[self.rows["year"] == self.year]

    def ranged_rows(self, part: str) -> pd.DataFrame:
        """The survey year's rows with ``u`` = the relative 95 % half-width of ``part`` (organic, shell)."""
        rows = self.this_year
        return rows.assign(u=rows[f"{part}_u_95"])

    def dry_mass(self) -> pd.Series:
        """Dry mass (t) of the survey year's harvest per county: wet rows × dry/wet ratio, dry rows as given."""
        return self.this_year.groupby("county")["dry_t"].sum()

    def notes(self, units: pd.Index, total: str) -> pd.DataFrame:
        """Unit × INDICATORS: "" where the table has rows of the survey year, else why there is no value.

        A county without rows has no value (none is made up, not even 0); the survey area's total is the
        sum of the rows given, and has a note only when there are none."""
        given = set(self.this_year["county"])
        text = f"no harvest rows for {self.year} in {self.file}"
        column = ["" if (unit == total and given) or unit in given else text for unit in units]
        return pd.DataFrame({indicator: column for indicator in INDICATORS}, index=units)

    def by_group(self) -> pd.DataFrame:
        """Per county × year × group × basis (wet, dry): rows, species names, harvest as given and dry mass (t),
        organic and shell carbon (t C, t CO₂e) with 95 % ranges and relative half-widths, and the factor
        table (BY_GROUP_COLUMNS)."""
        keys = ["county", "year", KEY, "basis"]
        rows = self.rows
        if rows.empty:
            return pd.DataFrame(columns=BY_GROUP_COLUMNS)
        summed = rows.groupby(keys, sort=True).agg(
            species=("species", lambda names: "、".join(dict.fromkeys(map(str, names)))),
            rows=("harvest_t", "size"), harvest_t=("harvest_t", "sum"), dry_t=("dry_t", "sum")).reset_index()
        out = summed.merge(totals(rows, keys), on=keys, how="left")
        for part in PARTS:  # the half-width of the sum over its value (0 where nothing is removed)
            value = out[f"{part}_c_t"]
            out[f"{part}_u_95"] = ((out[f"{part}_c_high"] - value) / value.where(value > 0)).fillna(0.0)
        out["factors_from"] = self.factors.provenance()
        return out[BY_GROUP_COLUMNS]

    def per_area(self) -> pd.DataFrame:
        """Per farming area (index area_id) named in the survey year's rows: harvest (t), organic and shell
        carbon removed (t CO₂e)."""
        rows = self.this_year.dropna(subset=["area_id"])
        rows = rows.assign(harvest_t=rows["harvest_t"].where(rows["basis"] == "wet"))
        return rows.groupby("area_id")[list(AREA_COLUMNS)].sum(min_count=1)


def mariculture_year(yields: pd.DataFrame | None, factors: MaricultureFactors, year: int,
                     file: str) -> MaricultureYear | None:
    """The removal of the validated harvest table ``yields`` (``readers.mariculture``), or None without one."""
    if yields is None:
        return None
    rows = removal(yields, factors)
    rows["harvest_t"] = pd.to_numeric(rows["harvest_t"]).astype(float)
    rows["year"] = rows["year"].astype(np.int64)
    return MaricultureYear(year, file, rows, factors)


def area_popups(areas: pd.DataFrame, year: int) -> pd.DataFrame:
    """``areas`` (the mariculture layer with AREA_COLUMNS) with ``harvest`` and ``removal`` texts, with their
    units, for the map's popups; empty on areas without harvest rows of their own. Seaweed shows no shell."""
    harvest, taken = [], []
    for wet, dry, organic, shell in zip(areas["harvest_t"], areas["dry_t"], areas["organic_co2e_t"],
                                        areas["shell_co2e_t"]):
        if pd.isna(dry):
            harvest.append("")
            taken.append("")
            continue
        given = f"{_tonnes(wet)} 鲜重 wet → " if pd.notna(wet) else ""
        harvest.append(f"{given}{_tonnes(dry)} 干重 dry（{year}）")
        text = f"有机碳 organic {format_number(organic, 't CO₂e', digits=1)}"
        taken.append(text + (f"；贝壳 shell {format_number(shell, 't CO₂e', digits=1)}" if shell > 0 else ""))
    return areas.assign(harvest=harvest, removal=taken)


def _tonnes(t: float) -> str:
    return format_number(t, "t", digits=0 if t >= 100 else 1)
