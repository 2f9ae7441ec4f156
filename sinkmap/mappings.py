"""Value mapping tables: the codes and names bureau data use → the catalogue's codes.

林草一张图 / 二类调查 小班 tables carry 地类 as codes (0111, 030100 …), 优势树种 as species names,
起源 and 龄组 as 1, 2 …; the catalogue wants its own codes (arbor, eucalyptus, planted, young …).
The shipped tables are ``layers/mappings/*.csv`` (``field, value, code, source``: every row names
where the value was read); a survey adds its own with ``mappings:`` for a layer — a CSV with
``field, value, code`` — whose rows come first. ``validate_frame`` applies the tables before it
checks the allowed values, so a value no table knows is listed with the others not allowed.

Numeric codes match whatever their leading zeros and a trailing ``.0`` (0111 = 111 = 111.0): a
dBase number field or a spreadsheet drops them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sinkmap.errors import InputError, SchemaError
from sinkmap.resources import layers_dir

if TYPE_CHECKING:
    from sinkmap.catalogue import LayerSpec

ValueMap = dict[str, dict[str, str]]  # field → normalised value → catalogue code
USER_COLUMNS = ["field", "value", "code"]
_NUMBER = re.compile(r"\d+(\.0*)?")


def normalise(value: object) -> str:
    """The form values are matched in: stripped text, numbers without leading zeros or a trailing .0."""
    text = str(value).strip()
    if _NUMBER.fullmatch(text):
        return text.split(".")[0].lstrip("0") or "0"
    return text


def _read_csv(path: Path, required: list[str]) -> pd.DataFrame:
    """A mapping table, every cell as text, indexed by spreadsheet row (the header is row 1)."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot be read as a mapping table ({' '.join(str(exc).split())[:160]})", path=path,
                         fix=f"save it as a UTF-8 CSV with the columns {', '.join(required)}") from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise SchemaError(f"mapping table lacks the columns {missing}", path=path,
                          fix=f"give it the columns {', '.join(required)} (one row per value)")
    table.index = pd.RangeIndex(2, len(table) + 2)
    return table


def _rows_to_map(table: pd.DataFrame, path: Path) -> ValueMap:
    """{field: {value: code}}; a value mapped to two different codes is an error naming both rows."""
    mapping: ValueMap = {}
    seen: dict[tuple[str, str], int] = {}
    for row, field, value, code in zip(table.index, table["field"].str.strip(), table["value"], table["code"].str.strip()):
        key = normalise(value)
        earlier = mapping.setdefault(field, {}).get(key)
        if earlier is not None and earlier != code:
            raise SchemaError(f"rows {seen[field, key]} and {row} map {field} value {value!r} to both {earlier!r} "
                              f"and {code!r}", path=path, fix="keep one of them")
        mapping[field][key] = code
        seen[field, key] = row
    return mapping


@cache
def shipped_mappings() -> ValueMap:
    """The tables in ``layers/mappings`` (``field, value, code, source``), merged."""
    merged: ValueMap = {}
    for path in sorted((layers_dir() / "mappings").glob("*.csv")):
        table = _read_csv(path, [*USER_COLUMNS, "source"])
        empty = table.index[table["source"].str.strip().eq("")].tolist()
        if empty:
            raise SchemaError(f"rows {empty} name no source", path=path, field="source")
        for field, values in _rows_to_map(table, path).items():
            merged.setdefault(field, {}).update(values)
    return merged


def _check_codes(table: pd.DataFrame, spec: LayerSpec, path: Path) -> pd.Series:
    """The ``code`` column as catalogue codes (a Chinese label is accepted); errors name the row."""
    codes = []
    for row, field, code in zip(table.index, table["field"].str.strip(), table["code"].str.strip()):
        fspec = spec.fields.get(field)
        if fspec is None or fspec.allowed is None:
            coded = [f.name for f in spec.fields.values() if f.allowed]
            raise SchemaError(f"row {row}: {field!r} is not a coded field of the {spec.name} layer", path=path,
                              field="field", fix=f"use one of: {', '.join(coded)}")
        labels = {label: c for c, label in fspec.allowed.items()}
        if code not in fspec.allowed and code not in labels:
            choices = ", ".join(f"{c} ({z})" for c, z in fspec.allowed.items())
            raise SchemaError(f"row {row}: {code!r} is not a {field} code", path=path, field="code",
                              fix=f"use one of: {choices}")
        codes.append(labels.get(code, code))
    return pd.Series(codes, index=table.index, dtype=object)


def read_mappings(path: str | Path, spec: LayerSpec) -> ValueMap:
    """A survey's own mapping table (``field, value, code``) for layer ``spec``, over the shipped ones."""
    path = Path(path)
    if not path.is_file():
        raise InputError("mapping table not found", path=path, fix="check the `mappings:` path")
    table = _read_csv(path, USER_COLUMNS)
    table["code"] = _check_codes(table, spec, path)
    merged = {field: dict(values) for field, values in shipped_mappings().items()}
    for field, values in _rows_to_map(table, path).items():
        merged.setdefault(field, {}).update(values)
    return merged


def each_distinct(values: pd.Series, function: Callable[[object], object]) -> pd.Series:
    """``function`` of each value (missing ones too), as an object Series: called once per distinct value, as a
    layer of 10⁶ stands holds a few codes per field."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return pd.Series(np.asarray([function(u) for u in uniques], dtype=object)[codes], index=values.index)


def map_values(values: pd.Series, table: dict[str, str]) -> pd.Series:
    """``values`` with every value the table knows replaced by its code; the others unchanged."""
    if not table:
        return values
    return each_distinct(values, lambda v: table.get(normalise(v), v) if isinstance(v, str) else v).astype(values.dtype)
