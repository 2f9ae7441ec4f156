"""Which units the survey's inputs cover: a value is never computed from data that are not there.

A land-cover map covers a county when its valid cells (not nodata, not masked) hold at least
``minimum`` (default 99 %) of the county's land area; a stand layer (小班) covers a county when
it holds at least one of its stands. An indicator whose inputs do not cover a unit has no value
there, only a note saying why; the city has a value only when every county is covered. One
county's package therefore reports that county, not a made-up city figure from raster slivers.
Pure functions of tables already computed (class areas, stands with their county).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sinkmap.catalogue import load_indicator_specs

COVERAGE_MIN = 0.99  # share of a county's land an input must cover for its indicators to be computed


def raster_share(class_areas: pd.DataFrame, land_ha: pd.Series) -> pd.Series:
    """Share (0–1) of each county's land (``land_ha``, index adcode) holding valid raster cells,
    from the land-cover class areas (adcode, class, area_ha) of the land polygons."""
    valid = class_areas.groupby("adcode")["area_ha"].sum().reindex(land_ha.index, fill_value=0.0)
    return (valid / land_ha).clip(upper=1.0)


def layer_share(features: pd.DataFrame, land_index: pd.Index, field: str = "county") -> pd.Series:
    """1.0 for each county holding at least one feature of an inventory layer, else 0.0."""
    return pd.Series(land_index.isin(features[field].dropna().unique()).astype(float), index=land_index)


@dataclass(frozen=True)
class Coverage:
    """Per input kind: its file name and the share of each county's land it covers."""

    shares: pd.DataFrame  # index adcode (counties), one column per input kind, 0–1
    files: Mapping[str, str]  # input kind → file name, for the notes
    minimum: float = COVERAGE_MIN

    def uncovered(self, kind: str) -> list[str]:
        """Counties that ``kind`` does not cover."""
        return self.shares.index[self.shares[kind] < self.minimum].tolist() if kind in self.shares else []

    def county_note(self, adcode: str, kinds: Iterable[str]) -> str:
        """Why a county has no value for an indicator resting on ``kinds`` ("" when covered)."""
        reasons = []
        for kind in kinds:
            if kind in self.shares and self.shares.loc[adcode, kind] < self.minimum:
                share = self.shares.loc[adcode, kind]
                reasons.append(f"{self.files[kind]} covers {100 * share:.1f} % of its land (< {100 * self.minimum:g} %)"
                               if share > 0 else f"no data of {self.files[kind]} in it")
        return "not covered: " + "; ".join(reasons) if reasons else ""

    def city_note(self, kinds: Iterable[str], names: Mapping[str, str]) -> str:
        """Why the city has no value: the counties some input of ``kinds`` leaves uncovered ("" if none)."""
        reasons = [f"{self.files[kind]} does not cover {', '.join(names.get(a, a) for a in missing)}"
                   for kind in kinds if (missing := self.uncovered(kind))]
        return "not covered: " + "; ".join(reasons) if reasons else ""

    def summary(self, kind: str, names: Mapping[str, str]) -> str:
        """One line on the counties ``kind`` does not cover ("" when it covers all), e.g. for a warning."""
        missing = self.uncovered(kind)
        if not missing:
            return ""
        shares = ", ".join(f"{names.get(a, a)} {100 * self.shares.loc[a, kind]:.1f} %" for a in missing)
        return (f"{self.files[kind]} covers less than {100 * self.minimum:g} % of the land of {shares}: the "
                "indicators resting on it have no value there, only a note")

    def notes(self, inputs_of: Mapping[str, tuple[str, ...]], city: str, names: Mapping[str, str]) -> pd.DataFrame:
        """Note per unit (index: city, then the counties) × indicator (columns of ``inputs_of``); "" = covered."""
        rows = {city: {ind: self.city_note(kinds, names) for ind, kinds in inputs_of.items()}}
        for adcode in self.shares.index:
            rows[adcode] = {ind: self.county_note(adcode, kinds) for ind, kinds in inputs_of.items()}
        return pd.DataFrame.from_dict(rows, orient="index", columns=list(inputs_of))


def mask_uncovered(values: pd.DataFrame, notes: pd.DataFrame) -> pd.DataFrame:
    """``values`` (unit × indicator) with NaN wherever ``notes`` has a reason."""
    common = values.columns.intersection(notes.columns)
    blank = notes.reindex(index=values.index, columns=common).fillna("").ne("")
    return values.assign(**{ind: values[ind].mask(blank[ind]) for ind in common})


def mask_trajectory(table: pd.DataFrame, notes: pd.DataFrame, columns_of: Mapping[str, tuple[str, ...]],
                    earlier_notes: pd.DataFrame | None = None, survey_year: int | None = None) -> pd.DataFrame:
    """The trajectory (adcode, year, …) with NaN in ``columns_of[indicator]`` for the units whose
    ``notes`` give a reason; before ``survey_year``, ``earlier_notes`` (the earlier survey's inputs) apply."""
    out = table.copy()
    for indicator, columns in columns_of.items():
        blank = _noted(out["adcode"], notes[indicator])
        if earlier_notes is not None:
            blank = blank | ((out["year"].to_numpy() < survey_year) & _noted(out["adcode"], earlier_notes[indicator]))
        out.loc[blank, list(columns)] = np.nan
    return out


def _noted(adcodes: pd.Series, notes: pd.Series) -> np.ndarray:
    """Whether each unit in ``adcodes`` has a note (a reason for no value)."""
    return adcodes.map(notes.ne("")).fillna(False).to_numpy(dtype=bool)


SHARE_SLACK = 1e-6  # % : floating-point slack on a share of the land


def impossible_shares(values: pd.DataFrame, units: Mapping[str, str]) -> dict[str, str]:
    """Shares of the land (unit "%") outside 0–100 % — a layer in a wrong CRS or drawn over the sea would
    give them. Returns indicator → "陆丰市 9,558.0 %, …" for each one that has any (empty when none)."""
    specs = load_indicator_specs()
    shares = [ind for ind in values.columns if ind in specs.index and specs.loc[ind, "unit"] == "%"]
    found = {}
    for ind in shares:
        bad = values[ind][(values[ind] < -SHARE_SLACK) | (values[ind] > 100 + SHARE_SLACK)]
        if len(bad):
            found[ind] = ", ".join(f"{units.get(a, a)} {v:,.1f} %" for a, v in bad.items())
    return found
