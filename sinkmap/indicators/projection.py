"""Year-by-year projection of forest area, cover and growing stock, and when targets are met.

Model (per county, one step a year from the survey year; pure functions):

    stock_{t+1} = Σ_groups stock_g,t · (1 + growth_g) − harvest_{t+1} + plantations_{t+1}

- ``growth_g``: gross annual growth rate of the stock by species group × age group
  (``layers/parameters/growth_rates.csv``; ``*`` rows apply to every group or age). Age groups
  are held fixed over the horizon.
- harvest: the scenario's ``harvest`` rows (m³ removed a year, forest area lost a year) where
  they cover a county and year; elsewhere the table's default harvest (consumption) rate × stock.
- plantations: each ``afforestation`` row plants ``area_ha`` every year from ``year_from`` to
  ``year_to``; a planting counts as forest ``counts_after_years`` later, with stock
  area × ``increment_m3_per_ha`` × age (a linear mean annual increment).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sinkmap.catalogue import SHIPPED
from sinkmap.errors import SchemaError, SinkmapWarning
from sinkmap.units import m3_to_wan_m3

ANY = "*"
PROCESSES = ("growth", "harvest")
TRAJECTORY_COLUMNS = ["adcode", "year", "kind", "forest_area_ha", "forest_cover_pct", "stock_m3", "stock_wan_m3"]


@dataclass(frozen=True)
class GrowthRates:
    """Annual rates (1/yr) by process, species group and age group, each row with its source."""

    table: pd.DataFrame  # process, species_group, age_group, rate, source
    path: str = ""

    @classmethod
    def from_layers(cls, user: str | Path | None = None) -> GrowthRates:
        """``layers/parameters/growth_rates.csv``, its rows replaced by those of the ``user`` table (CSV or
        XLSX) where it has them, plus the user's new rows; a user row's source names its file."""
        from sinkmap.readers.parameters import merged_table

        table, path = merged_table("growth_rates", user)
        table["rate"] = table["rate"].astype(float)
        table["source"] = [s if o == SHIPPED else f"{o}: {s}" for o, s in zip(table["origin"], table["source"])]
        for process in PROCESSES:
            if not ((table["process"] == process) & (table["species_group"] == ANY)
                    & (table["age_group"] == ANY)).any():
                raise SchemaError(f"needs a default '{process},*,*' row", path=path)
        return cls(table, str(path))

    def rate(self, process: str, groups: pd.Series, ages: pd.Series) -> np.ndarray:
        """The most specific rate for each (group, age): exact, group-only, age-only, then the default."""
        rows = self.table[self.table["process"] == process]
        lookup = {(g, a): r for g, a, r in zip(rows["species_group"], rows["age_group"], rows["rate"])}
        return np.array([next(lookup[k] for k in ((g, a), (g, ANY), (ANY, a), (ANY, ANY)) if k in lookup)
                         for g, a in zip(groups.astype(str), ages.fillna(ANY).astype(str))])

    def sources(self) -> str:
        """The distinct sources of the rates, joined."""
        return "; ".join(dict.fromkeys(self.table["source"]))


def check_scenario(scenario: pd.DataFrame, start_year: int, end_year: int, *, path=None) -> None:
    """Rules the catalogue cannot state: per-activity fields and the years of each row."""
    def fail(rows: pd.Series, problem: str, field: str, fix: str) -> None:
        if rows.any():
            listed = ", ".join(str(i) for i in scenario.index[rows][:5])
            raise SchemaError(f"{problem} (rows {listed})", path=path, field=field, fix=fix)

    fail(scenario["year_from"] > scenario["year_to"], "year_from is after year_to", "year_from", "swap them")
    fail(scenario["year_to"] <= start_year, f"the rows end by the survey year {start_year}", "year_to",
         f"the projection runs {start_year + 1}–{end_year}; give later years")
    late = scenario["year_to"] > end_year
    if late.any():
        listed = ", ".join(str(i) for i in scenario.index[late][:5]) + (" …" if late.sum() > 5 else "")
        warnings.warn(f"{Path(path).name if path else 'scenario'}: rows {listed} run past the projection's last year "
                      f"{end_year}; their later years are not projected (raise projection_end to see them)",
                      SinkmapWarning, stacklevel=2)
    planting = scenario["activity"] == "afforestation"
    fail(planting & ~(_column(scenario, "area_ha") > 0), "afforestation rows need area_ha > 0", "area_ha",
         "give the area planted each year (ha)")
    removes = _column(scenario, "volume_m3") + _column(scenario, "area_ha")
    fail((scenario["activity"] == "harvest") & ~(removes > 0), "harvest rows need volume_m3 or area_ha",
         "volume_m3", "give the volume removed (m³/yr) and/or the forest area lost (ha/yr)")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].fillna(0).astype(float) if name in frame else pd.Series(0.0, index=frame.index)


def _yearly(scenario: pd.DataFrame, activity: str, years: np.ndarray, counties: list[str], value: str
            ) -> pd.DataFrame:
    """County × year totals of ``value`` over the rows of ``activity`` active in each year."""
    out = pd.DataFrame(0.0, index=counties, columns=years)
    rows = scenario[scenario["activity"] == activity]
    for amount, (_, row) in zip(_column(rows, value), rows.iterrows()):
        active = (years >= row["year_from"]) & (years <= row["year_to"])
        out.loc[row["county"], years[active]] += amount
    return out


def plantation_stock(scenario: pd.DataFrame, years: np.ndarray, counties: list[str]) -> tuple[pd.DataFrame, ...]:
    """County × year forest area (ha) and stock (m³) of the plantings that count as forest."""
    area = pd.DataFrame(0.0, index=counties, columns=years)
    stock = area.copy()
    rows = scenario[scenario["activity"] == "afforestation"]
    lags, increments = _column(rows, "counts_after_years").astype(int), _column(rows, "increment_m3_per_ha")
    for lag, mai, (_, row) in zip(lags, increments, rows.iterrows()):
        for planted in range(int(row["year_from"]), int(row["year_to"]) + 1):
            counted = years >= planted + lag
            area.loc[row["county"], years[counted]] += row["area_ha"]
            stock.loc[row["county"], years[counted]] += row["area_ha"] * mai * (years[counted] - planted)
    return area, stock


def project(stock: pd.DataFrame, forest_ha: pd.Series, growth: GrowthRates, start_year: int, end_year: int,
            scenario: pd.DataFrame | None = None) -> pd.DataFrame:
    """Project forest area (ha) and growing stock (m³) per county from ``start_year`` to ``end_year``.

    ``stock``: county, species_group, age_group, stock_m3 at ``start_year``; ``forest_ha``: forest
    area per county at ``start_year``. Returns adcode, year, forest_area_ha, stock_m3 for the
    years after ``start_year``.
    """
    scenario = scenario if scenario is not None else pd.DataFrame(columns=["county", "activity", "year_from",
                                                                             "year_to"])
    counties = sorted(forest_ha.index)
    years = np.arange(start_year + 1, end_year + 1)
    g = growth.rate("growth", stock["species_group"], stock["age_group"])
    h_default = growth.rate("harvest", stock["species_group"], stock["age_group"])
    harvest_m3 = _yearly(scenario, "harvest", years, counties, "volume_m3")
    lost_ha = _yearly(scenario, "harvest", years, counties, "area_ha")
    covered = _yearly(scenario.assign(rows=1.0), "harvest", years, counties, "rows") > 0
    planted_ha, planted_m3 = plantation_stock(scenario, years, counties)
    current = stock["stock_m3"].to_numpy(dtype=float).copy()
    county_of = stock["county"].to_numpy()
    rows = []
    for year in years:
        grown = current * (1.0 + g)
        for county in counties:
            mine = county_of == county
            if covered.loc[county, year]:  # the scenario's harvest, taken in proportion to stock
                total = grown[mine].sum()
                share = max(total - harvest_m3.loc[county, year], 0.0) / total if total > 0 else 0.0
                grown[mine] *= share
            else:
                grown[mine] -= current[mine] * h_default[mine]
        current = np.clip(grown, 0.0, None)
        by_county = pd.Series(current).groupby(county_of).sum().reindex(counties, fill_value=0.0)
        for county in counties:
            area = forest_ha.get(county, 0.0) + planted_ha.loc[county, year] - lost_ha.loc[county, :year].sum()
            rows.append({"adcode": county, "year": int(year), "forest_area_ha": max(area, 0.0),
                         "stock_m3": by_county[county] + planted_m3.loc[county, year]})
    return pd.DataFrame(rows, columns=["adcode", "year", "forest_area_ha", "stock_m3"])


def trajectory(observed: pd.DataFrame, projected: pd.DataFrame, land_ha: pd.Series, city: str) -> pd.DataFrame:
    """Observed, interpolated (between two surveys) and projected years, counties and city.

    ``observed`` and ``projected``: adcode, year, forest_area_ha, stock_m3 (counties only).
    """
    observed = observed.assign(kind="observed")
    frames = [observed, projected.assign(kind="projected")]
    survey_years = sorted(observed["year"].unique())
    for first, last in zip(survey_years, survey_years[1:]):
        a = observed[observed["year"] == first].set_index("adcode")[["forest_area_ha", "stock_m3"]]
        b = observed[observed["year"] == last].set_index("adcode")[["forest_area_ha", "stock_m3"]]
        for year in range(first + 1, last):
            w = (year - first) / (last - first)
            frames.append((a * (1 - w) + b * w).reset_index().assign(year=year, kind="interpolated"))
    table = pd.concat(frames, ignore_index=True)
    land = land_ha.copy()
    if city not in land_ha.index:  # the survey area's total (a one-county area is its own total)
        city_rows = table.groupby(["year", "kind"], as_index=False)[["forest_area_ha", "stock_m3"]].sum()
        table = pd.concat([city_rows.assign(adcode=city), table], ignore_index=True)
        land.loc[city] = land_ha.sum()
    table["forest_cover_pct"] = table["forest_area_ha"] / table["adcode"].map(land).to_numpy() * 100.0
    table["stock_wan_m3"] = m3_to_wan_m3(table["stock_m3"])
    table = table.sort_values(["adcode", "year"], key=lambda c: c.map(lambda a: "" if a == city else a)
                              if c.name == "adcode" else c, kind="stable")
    return table[TRAJECTORY_COLUMNS].reset_index(drop=True)


def value_in(trajectory_table: pd.DataFrame, adcode: str, column: str, year: int) -> float:
    """The trajectory's value of ``column`` for one unit and year (NaN when the year is not covered)."""
    rows = trajectory_table[(trajectory_table["adcode"] == adcode) & (trajectory_table["year"] == year)]
    return float(rows[column].iloc[0]) if len(rows) else np.nan


def reach_year(trajectory_table: pd.DataFrame, adcode: str, column: str, target: float) -> float:
    """First year the unit's ``column`` is ≥ ``target`` and stays so to the end (NaN if never, or if the
    unit has no value in some year: a unit its inputs do not cover reaches nothing)."""
    rows = trajectory_table[trajectory_table["adcode"] == adcode].sort_values("year")
    if rows.empty or rows[column].isna().any():
        return np.nan
    below = rows["year"][rows[column] < target]
    after = rows["year"] if below.empty else rows["year"][rows["year"] > below.max()]
    return float(after.iloc[0]) if len(after) else np.nan
