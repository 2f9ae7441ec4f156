"""The mariculture harvest table (``mariculture_yields``): read, and checked against the farming areas
of the ``mariculture`` layer, the survey area and the species the factor table knows.

A yield row names a county, a farming area (``area_id``) of the layer, or both; a row naming an area
takes the area's county. The species check is the factor table's own (``MaricultureFactors.groups``
in ``indicators/``), passed in as ``groups``: readers do not import indicators.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection
from pathlib import Path

import pandas as pd

from sinkmap.errors import SchemaError, SinkmapWarning
from sinkmap.readers.tables import read_table
from sinkmap.validation import _counted

YIELDS = "mariculture_yields"  # the table's catalogue kind and survey.yaml key
LAYER = "mariculture"  # the farming areas' catalogue kind and survey.yaml key
ROWS = ("row", "rows")


def read_yields(path: str | Path, *, areas: pd.DataFrame | None = None, counties: Collection[str] | None = None,
                area_name: str = "", groups: Callable[..., pd.Series] | None = None,
                survey_year: int | None = None) -> pd.DataFrame:
    """The harvest table at ``path`` (CSV or XLSX), validated against its catalogue spec and ``check_yields``."""
    return check_yields(read_table(path, YIELDS), areas=areas, counties=counties, area_name=area_name,
                        groups=groups, path=path, survey_year=survey_year)


def check_yields(yields: pd.DataFrame, *, areas: pd.DataFrame | None = None,
                 counties: Collection[str] | None = None, area_name: str = "",
                 groups: Callable[..., pd.Series] | None = None, path: str | Path | None = None,
                 survey_year: int | None = None) -> pd.DataFrame:
    """``yields`` (validated rows, indexed by spreadsheet row) with each row's county: its own, else its area's.

    ``areas``: the mariculture layer (``area_id``, ``county``), None without one; ``counties``: the survey
    area's county codes (``area_name`` names it); ``groups``: the factor table's ``groups`` (raises for
    unknown species names). Raises SchemaError, one line naming the field and the rows, for a row naming
    neither a county nor an area, an area not in the layer (or no layer), an area's county contradicted,
    (through ``groups``) species without factors, and, with a ``survey_year``, a table without rows of that
    year. Rows of later years, and of counties outside the survey area (a city's table in a county's
    survey), are left out with a warning: ``areas`` must then hold every farming area, not only the area's.
    """
    yields = yields.copy() if survey_year is None else _up_to(yields, survey_year, path)
    for column in ("county", "area_id"):
        if column not in yields.columns:
            yields[column] = pd.Series(pd.NA, index=yields.index, dtype="string")
    neither = yields["county"].isna() & yields["area_id"].isna()
    if neither.any():
        raise SchemaError(f"{_rows(neither)} name neither a county nor a farming area", path=path, field="county",
                          fix="give each row its county (code or name, 县) or the area_id (编号) of its farming area")
    named = yields["area_id"].notna()
    if named.any():
        yields["county"] = yields["county"].fillna(_area_counties(yields, areas, path))
    outside = yields["county"].notna() & ~yields["county"].isin(list(counties or ()))
    if counties is not None and outside.any():  # a city's table in a county's survey: that county's rows
        warnings.warn(f"{Path(path).name if path else YIELDS}: rows of counties outside the survey area "
                      f"({area_name or ', '.join(counties)}) are left out: "
                      f"{_counted(yields.loc[outside, 'county'], ROWS, None)}", SinkmapWarning, stacklevel=3)
        yields = yields[~outside.to_numpy()]
    if groups is not None:
        groups(yields["mariculture_group"], path=path)
    return yields


def _up_to(yields: pd.DataFrame, survey_year: int, path) -> pd.DataFrame:
    """The rows of ``survey_year`` and before; refuses a table without rows of that year."""
    years = sorted(int(y) for y in yields["year"].dropna().unique())
    if survey_year not in years:
        raise SchemaError(f"no harvest rows for the survey year {survey_year} (years given: "
                          f"{', '.join(map(str, years)) or 'none'})", path=path, field="year",
                          fix=f"add the {survey_year} harvests, or survey the year the table gives")
    later = yields["year"] > survey_year
    if later.any():
        warnings.warn(f"{Path(path).name if path else YIELDS}: {_rows(later)} are of years after the survey year "
                      f"{survey_year} and are left out", SinkmapWarning, stacklevel=3)
    return yields[~later.to_numpy()].copy()


def _area_counties(yields: pd.DataFrame, areas: pd.DataFrame | None, path) -> pd.Series:
    """The county of each row's farming area (NA on rows naming none); refuses areas not in the layer and
    a row whose own county is not its area's."""
    named = yields["area_id"].notna()
    if areas is None:
        raise SchemaError(f"{_rows(named)} name farming areas (area_id) but the survey has no {LAYER} layer",
                          path=path, field="area_id",
                          fix=f"add `{LAYER}: {{path: FILE}}` to survey.yaml, or give those rows' county instead")
    county = yields["area_id"].map(areas.set_index("area_id")["county"])
    missing = named & ~yields["area_id"].isin(areas["area_id"])
    if missing.any():
        raise SchemaError(f"area not in the {LAYER} layer: {_counted(yields.loc[missing, 'area_id'], ROWS, None)}",
                          path=path, field="area_id",
                          fix=f"correct the area_id, add the area to the {LAYER} layer, or give the row's county "
                              "instead")
    wrong = (named & yields["county"].notna() & yields["county"].ne(county)).fillna(False).astype(bool)
    if wrong.any():
        shown = ", ".join(f"row {r}: {a} lies in {c}, not {y}" for r, a, c, y in zip(
            yields.index[wrong][:5], yields.loc[wrong, "area_id"], county[wrong], yields.loc[wrong, "county"]))
        raise SchemaError(f"the county is not the farming area's ({shown})", path=path, field="county",
                          fix="leave the county empty on rows naming an area_id, or correct it")
    return county


def _rows(mask: pd.Series) -> str:
    """'row 3' or 'rows 3, 5, 8 …' (the first five)."""
    rows = [str(r) for r in mask.index[mask.to_numpy()]]
    return f"{'row' if len(rows) == 1 else 'rows'} {', '.join(rows[:5])}{' …' if len(rows) > 5 else ''}"
