"""The parameter tables (``layers/parameters/*.csv``) and a survey's own versions of them.

One spec per table (``PARAMETER_TABLES``) checks the shipped file and a user's CSV or XLSX file
row by row, and writes the docs. A user table may hold only some rows: each of its rows replaces
the shipped row with the same key (e.g. ``eucalyptus`` × ``BEF``), or adds one; the other shipped
rows stay. The merged table's ``origin`` column names the file each row came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sinkmap.catalogue import SHIPPED, load_catalogue, read_parameter_table
from sinkmap.errors import InputError, SchemaError
from sinkmap.readers.tables import read_rows

ANY = "*"  # growth_rates: every species or age group


def _codes(field: str) -> tuple[str, ...]:
    return tuple(load_catalogue().layer("stands").fields[field].allowed)


@dataclass(frozen=True)
class TableSpec:
    """One parameter table: its key columns, the other columns, which cells are numbers."""

    name: str
    key: tuple[str, ...]  # a row is identified by these columns (a user row replaces the shipped one)
    columns: tuple[str, ...]  # every column, in order
    numbers: tuple[str, ...]  # columns holding plain numbers
    description: str
    ranged: bool = False  # value, low, high: 0 ≤ low ≤ value ≤ high
    positive: tuple[str, ...] = ()  # parameters whose value must be > 0
    fractions: bool = False  # value, low and high are fractions: ≤ 1 (a percentage is refused)

    def allowed(self, column: str) -> tuple[str, ...] | None:
        """The values a key column takes (None: any text)."""
        if self.name == "biomass_factors":
            return {"species_group": _codes("species_group"), "parameter": ("D", "BEF", "R", "CF")}[column]
        if self.name == "blue_carbon":
            return {"habitat": ("mangrove", "saltmarsh", "seagrass"),
                    "parameter": ("soil_stock", "soil_accumulation")}[column]
        if self.name == "mariculture":  # any group: a survey's own table may add one (e.g. 缢蛏) with its five rows
            return None if column == "mariculture_group" else _shipped_parameters(self.name)
        if self.name == "growth_rates":
            return {"process": ("growth", "harvest"), "species_group": (*_codes("species_group"), ANY),
                    "age_group": (*_codes("age_group"), ANY)}[column]
        return _shipped_parameters(self.name)  # forest_definition


def _shipped_parameters(name: str) -> tuple[str, ...]:
    """The parameters the shipped table ``name`` has, in its order."""
    return tuple(dict.fromkeys(read_parameter_table(name)[0]["parameter"]))


RANGED = ("parameter", "value", "low", "high", "unit", "tier", "source")
NUMBERS = ("value", "low", "high")
PARAMETER_TABLES = {spec.name: spec for spec in (
    TableSpec("biomass_factors", ("species_group", "parameter"), ("species_group", *RANGED), NUMBERS,
              "volume → carbon factors per species group: D (t d.m./m³), BEF, R, CF (t C/t d.m.), each with its 95 % "
              "range, tier and source", ranged=True, positive=("D", "BEF", "CF")),
    TableSpec("blue_carbon", ("habitat", "parameter"), ("habitat", *RANGED), NUMBERS,
              "Tier 1 soil carbon stock (Mg C/ha, top 1 m) and accumulation (Mg C/ha/yr) per coastal habitat",
              ranged=True),
    TableSpec("mariculture", ("mariculture_group", "parameter"), ("mariculture_group", *RANGED), NUMBERS,
              "harvest removal per mariculture species group (seaweed, bivalves): dry/wet ratio, soft-tissue and shell "
              "shares of dry mass, their carbon contents (fractions; seaweed: the whole thallus, share 1, no shell), "
              "from Sun Kang et al. 2020 地理研究 39(11) Table 2; 蛤 and 蚶 borrow its 其他贝类 row (literature proxy); "
              "Table 2's first data row (52.55 1.98 98.02 44.90 11.52) has no label in the copy read and is left out",
              ranged=True, positive=("dry_wet_ratio",), fractions=True),
    TableSpec("growth_rates", ("process", "species_group", "age_group"),
              ("process", "species_group", "age_group", "rate", "unit", "verified", "source"), ("rate",),
              "annual growth and harvest rates of the growing stock (1/yr) by species × age group (* = any)"),
    TableSpec("forest_definition", ("parameter",), ("parameter", "value", "unit", "verified", "source"), (),
              "thresholds of the forest definition (GB/T 26424-2010)"),
)}


def _fail(path, row: int, column: str, problem: str, fix: str) -> SchemaError:
    return SchemaError(f"row {row}: {problem}", path=path, field=column, fix=fix)


def check_rows(table: pd.DataFrame, spec: TableSpec, path, shipped: pd.DataFrame | None = None) -> pd.DataFrame:
    """Check every row of a parameter table (index: spreadsheet row numbers); the first problem raises a
    SchemaError naming the file, row and column. ``shipped``: the shipped table, whose units a user row
    must keep. Returns the table with its columns in spec order, cells as stripped text."""
    missing = [c for c in spec.columns if c not in table.columns]
    if missing:
        raise SchemaError(f"missing columns {missing} (columns present: {', '.join(map(str, table.columns))})",
                          path=path, fix=f"give the columns {', '.join(spec.columns)}, as `sinkmap parameters "
                                         "export` writes them")
    table = table[list(spec.columns)].apply(lambda c: c.astype(str).str.strip())
    units = {} if shipped is None else dict(zip(shipped[_unit_of(spec)], shipped["unit"]))
    numeric = spec.numbers or (("value",) if spec.name == "forest_definition" else ())
    for row, rec in table.iterrows():
        what = " ".join(rec[k] for k in spec.key)
        for column in spec.key:
            allowed = spec.allowed(column)
            if allowed is not None and rec[column] not in allowed:
                raise _fail(path, row, column, f"{rec[column]!r} is not known", f"use one of: {', '.join(allowed)}")
        for column in numeric:
            if spec.name == "forest_definition" and rec["parameter"] == "forest_land_classes":
                continue
            try:
                float(rec[column])
            except ValueError:
                raise _fail(path, row, column, f"{rec[column]!r} is not a number ({what})",
                            "write a plain decimal number (no units, no thousands separators)") from None
        if spec.ranged:
            low, value, high = (float(rec[c]) for c in ("low", "value", "high"))
            if not 0 <= low <= value <= high:
                raise _fail(path, row, "low" if low > value or low < 0 else "high",
                            f"range must satisfy 0 ≤ low ≤ value ≤ high, not {low:g} ≤ {value:g} ≤ {high:g} ({what})",
                            "give the 95 % range around the value")
            if rec["parameter"] in spec.positive and value <= 0:
                raise _fail(path, row, "value", f"{rec['parameter']} must be > 0 ({what})", "give a positive value")
            if spec.fractions and high > 1:
                raise _fail(path, row, "high" if value <= 1 else "value", f"{what} is a fraction, not {high:g} > 1",
                            "write fractions (65.10 % as 0.651)")
        expected = units.get(rec[_unit_of(spec)])
        if expected is not None and rec["unit"] != expected:
            raise _fail(path, row, "unit", f"unit {rec['unit']!r} is not the table's {expected!r} ({what})",
                        f"convert the value to {expected}")
        if not rec["source"]:
            raise _fail(path, row, "source", f"no source ({what})", "name the table or publication the value is from")
    dup = table[table.duplicated(list(spec.key), keep="first")]
    if len(dup):
        row = dup.index[0]
        raise _fail(path, row, spec.key[-1], f"{' '.join(dup.loc[row, list(spec.key)])} is given twice",
                    "keep one row per " + " × ".join(spec.key))
    return table


def _unit_of(spec: TableSpec) -> str:
    """The column whose value sets a row's unit: the parameter (growth_rates: the process)."""
    return "process" if spec.name == "growth_rates" else "parameter"


def shipped_table(name: str) -> tuple[pd.DataFrame, Path]:
    """The shipped table ``layers/parameters/<name>.csv``, checked, with ``origin`` = SHIPPED."""
    table, path = read_parameter_table(name)
    table = table.set_axis(pd.RangeIndex(2, len(table) + 2))  # spreadsheet row numbers: the header is row 1
    return check_rows(table, PARAMETER_TABLES[name], path).assign(origin=SHIPPED), path


def user_table(name: str, path: str | Path) -> pd.DataFrame:
    """A survey's own version of table ``name`` (CSV or XLSX, the shipped columns), checked row by row."""
    spec = PARAMETER_TABLES[name]
    rows = read_rows(path, what=f"{name} rows (columns {', '.join(spec.columns)})")
    return check_rows(rows, spec, path, shipped=shipped_table(name)[0]).assign(origin=Path(path).name)


def merged_table(name: str, path: str | Path | None = None) -> tuple[pd.DataFrame, str]:
    """Table ``name``: the shipped rows, each replaced by the user's row with the same key (``path``),
    plus the user's new rows. Returns the table (``origin`` column) and a label of where it came from."""
    shipped, shipped_path = shipped_table(name)
    label = f"layers/parameters/{shipped_path.name}"
    if path is None:
        return shipped.reset_index(drop=True), label
    spec = PARAMETER_TABLES[name]
    own = user_table(name, path)
    replaced = shipped.set_index(list(spec.key)).index.isin(own.set_index(list(spec.key)).index)
    merged = pd.concat([shipped[~replaced], own], ignore_index=True)
    return merged, f"{Path(path).name} over {label}"


def user_paths(raw, base: Path, source: Path) -> dict[str, Path]:
    """The ``parameters:`` block of survey.yaml: table name → existing CSV/XLSX path (relative to ``base``)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InputError(f"'parameters' must map table names to files, not {raw!r}", path=source,
                         fix="write `parameters: {biomass_factors: my_factors.csv}`")
    unknown = sorted(set(raw) - set(PARAMETER_TABLES))
    if unknown:
        raise InputError(f"'parameters' has unknown tables {unknown}", path=source,
                         fix=f"use {', '.join(PARAMETER_TABLES)}")
    paths = {}
    for name, value in raw.items():
        path = Path(str(value))
        path = path if path.is_absolute() else (base / path).resolve()
        if not path.is_file():
            raise InputError(f"the parameters.{name} file {path} does not exist", path=source, fix="correct its path")
        paths[name] = path
    return paths


def checked_parameters(paths: Mapping[str, Path]) -> dict[str, Path]:
    """``paths`` (table name → the user's file), each table checked row by row now, before any layer is read."""
    for name, path in paths.items():
        user_table(name, path)
    return dict(paths)
