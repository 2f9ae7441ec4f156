"""Validation of an input layer's table against its catalogue spec (``layers/catalogue.yaml``):
field aliases renamed, types coerced, allowed values (after the value mappings) and ranges checked,
implausible values warned about. Each refusal is one line naming the file, layer, field and rows.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sinkmap.catalogue import MAX_LISTED, SHAPEFILE_FIELD_LENGTH, FieldSpec, LayerSpec
from sinkmap.errors import SchemaError, SinkmapWarning, located
from sinkmap.mappings import ValueMap, each_distinct, map_values, shipped_mappings
from sinkmap.units import shown_unit


def _where(values: pd.Series, ids: pd.Series | None) -> str:
    """Name up to MAX_LISTED offending rows, by id when there is one."""
    labels = (ids if ids is not None else pd.Series(values.index, index=values.index))[values.index]
    shown = ", ".join(f"{i}={v!r}" for i, v in zip(labels[:MAX_LISTED], values[:MAX_LISTED]))
    more = f" and {len(values) - MAX_LISTED} more" if len(values) > MAX_LISTED else ""
    return shown + more


def accepted_names(fspec: FieldSpec) -> tuple[str, ...]:
    """Column names taken for a field: its name, its aliases and its Chinese name (``zh``)."""
    return tuple(dict.fromkeys((fspec.name, *fspec.aliases, *((fspec.zh,) if fspec.zh else ()))))


def _truncated(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` cut as a dBase field name is: to 10 bytes in UTF-8 or in GBK, or to 10 characters."""
    cuts = (cut for n in names for cut in (n[:SHAPEFILE_FIELD_LENGTH], *(
        n.encode(e)[:SHAPEFILE_FIELD_LENGTH].decode(e, errors="ignore") for e in ("utf-8", "gb18030"))))
    return tuple(dict.fromkeys(c for c in cuts if c))


def _rename_aliases(frame: pd.DataFrame, spec: LayerSpec) -> pd.DataFrame:
    """Rename columns named by a field's alias or Chinese name (whole names first, then dBase-cut ones)."""
    lower = {str(c).lower(): c for c in frame.columns}
    renames: dict[str, str] = {}
    for cut in (False, True):
        for fspec in spec.fields.values():
            if fspec.name in frame.columns or fspec.name in renames.values():
                continue
            names = _truncated(accepted_names(fspec)) if cut else accepted_names(fspec)
            named = [lower[n.lower()] for n in names if n.lower() in lower]
            column = next((c for c in named if c not in renames and c not in spec.fields), None)  # not taken
            if column is not None:
                renames[column] = fspec.name
    return frame.rename(columns=renames)


def _coerce(column: pd.Series, fspec: FieldSpec, ctx: dict, ids: pd.Series | None) -> pd.Series:
    if fspec.type == "string":
        text = column.astype("string").str.strip()
        return text.mask(text.eq(""))
    numeric = pd.to_numeric(column, errors="coerce")
    bad = column[numeric.isna() & column.notna() & column.astype("string").str.strip().ne("")]
    if len(bad):
        raise SchemaError(f"values are not {fspec.type} numbers: {_where(bad, ids)}", **ctx)
    if fspec.type == "integer":
        fractional = numeric[numeric.notna() & (numeric % 1 != 0)]
        if len(fractional):
            raise SchemaError(f"values are not whole numbers: {_where(fractional, ids)}", **ctx)
        return numeric.astype("Int64")
    if fspec.type == "boolean":
        return numeric.astype("boolean")
    return numeric.astype("float64")


MAX_VALUES = 20  # distinct values not allowed named in one message, the most frequent first
# what a message counts the rows of a layer as, one and more ("'teak' (12 stands)"); tables count rows
ROW_NOUNS = {"stands": ("stand", "stands"), "mangroves": ("patch", "patches"), "coastal_habitats": ("patch", "patches"),
             "shelterbelts": ("belt", "belts"), "redlines": ("redline", "redlines")}


def _counted(bad: pd.Series, noun: tuple[str, str], ids: pd.Series | None) -> str:
    """The distinct values of ``bad``, the most frequent first, with how many rows hold each and the first
    three of them: by id, 'teak' (12 stands: S3, S8, S9 …); else by row number, 'x' (rows 2, 5)."""
    counts = bad.value_counts()
    labels = (ids[bad.index] if ids is not None else pd.Series(bad.index, index=bad.index)).astype(str)
    first = labels.groupby(bad.to_numpy(), sort=False).agg(lambda x: ", ".join(x.iloc[:3]) + (" …" * (len(x) > 3)))

    def where(value, n: int) -> str:
        return f"{n} {noun[n != 1]}: {first[value]}" if ids is not None else f"{noun[n != 1]} {first[value]}"

    shown = ", ".join(f"{v!r} ({where(v, n)})" for v, n in counts.iloc[:MAX_VALUES].items())
    more = f" and {len(counts) - MAX_VALUES} more values" if len(counts) > MAX_VALUES else ""
    return shown + more


def _check_allowed(values: pd.Series, fspec: FieldSpec, ctx: dict, noun: tuple[str, str],
                   ids: pd.Series | None) -> pd.Series:
    lookup = {code: code for code in fspec.allowed}
    lookup.update({label: code for code, label in fspec.allowed.items()})
    mapped = each_distinct(values, lambda v: lookup.get(v, np.nan) if isinstance(v, str) else v)
    bad = values[mapped.isna() & values.notna()]
    if len(bad):
        choices = ", ".join(f"{c} ({z})" for c, z in fspec.allowed.items())
        raise SchemaError(f"values not allowed: {_counted(bad, noun, ids)}", **ctx,
                          fix=f"use one of: {choices}; or map each value to one of them in a CSV with the columns "
                              "field,value,code, given as `mappings:` for the layer in the survey configuration")
    return mapped.astype("string")


def _check_range(values: pd.Series, fspec: FieldSpec, ctx: dict, ids: pd.Series | None) -> None:
    low = -np.inf if fspec.min is None else fspec.min
    high = np.inf if fspec.max is None else fspec.max
    outside = values[(values < low) | (values > high)]
    if len(outside):
        unit = f" {shown_unit(fspec.unit)}".rstrip()
        bounds = (f"below {low}" if fspec.max is None else f"above {high}" if fspec.min is None
                  else f"outside {low}–{high}")
        raise SchemaError(f"values {bounds}{unit}: {_where(outside, ids)}", **ctx, fix="correct these rows")


# Units a table is often filled in by mistake instead of the one it wants, with how many times
# larger their numbers are: 1 Mg C = 44/12 t CO₂ (molar masses); 1 Mg/ha = 100 g/m² = 1,000 kg/ha.
# (kg C/m² numbers are 10× smaller than Mg C/ha, so no upper bound can catch that mix-up.)
LARGER_UNITS = {"Mg C/ha": (("t CO₂e/ha", 44 / 12), ("g C/m²", 100.0), ("kg C/ha", 1000.0))}


def _times(factor: float) -> str:
    return f"{factor:,.0f}×" if factor == round(factor) else f"{factor:.2f}×"


def _warn_implausible(values: pd.Series, fspec: FieldSpec, ctx: dict, ids: pd.Series | None,
                      id_field: str | None) -> None:
    """A SinkmapWarning naming the rows above the field's plausible maximum, with the likely unit mix-up."""
    above = values[values > fspec.plausible_max]
    if not len(above):
        return
    unit = fspec.unit or ""
    hint = f"Check the unit: the field wants {unit}" if unit else "Check the unit"
    if unit in LARGER_UNITS:
        factors = [f"{name} {_times(factor)}" for name, factor in LARGER_UNITS[unit]]
        hint += f" (numbers in {', '.join(factors[:-1])} and {factors[-1]} larger)"
    bound = f"{fspec.plausible_max:,g} {unit}".rstrip()
    warnings.warn(
        f"{located(ctx['path'], ctx['layer'], ctx['field'])}: values above the plausible {bound} "
        f"({id_field if ids is not None else 'row'}=value): {_where(above, ids)}. {hint}.",
        SinkmapWarning, stacklevel=3,  # the reader that called validate_frame
    )


def validate_frame(frame: pd.DataFrame, spec: LayerSpec, *, path: str | Path | None = None,
                   layer: str | None = None, mappings: ValueMap | None = None) -> pd.DataFrame:
    """Check ``frame`` against ``spec``; return a copy with canonical names, types and codes.

    Columns named by an alias or the field's Chinese name (e.g. 地类, DILEI) are renamed; coded
    values are mapped through ``mappings`` (default: the shipped ``layers/mappings`` tables, e.g.
    地类 0111 → arbor), allowed values given as Chinese labels become codes, numbers are
    range-checked. Raises SchemaError naming the file, layer, field, the offending rows (by the
    layer's id field; values not allowed with their counts) and the fix. Numbers above a field's
    ``plausible_max`` are kept, with a SinkmapWarning naming the rows and the likely unit mix-up.
    """
    mappings = shipped_mappings() if mappings is None else mappings
    noun = ROW_NOUNS.get(spec.name, ("row", "rows"))
    frame = _rename_aliases(frame, spec)
    id_field = spec.id_field
    ids = frame[id_field] if id_field in frame.columns else None
    for fspec in spec.fields.values():
        ctx = {"path": path, "layer": layer, "field": fspec.name}
        if fspec.name not in frame.columns:
            if fspec.required:
                names = " or ".join(repr(a) for a in accepted_names(fspec))
                raise SchemaError(
                    f"required field is missing (columns present: {', '.join(map(str, frame.columns))})",
                    **ctx, fix=f"add a column named {names}",
                )
            continue
        values = _coerce(frame[fspec.name], fspec, ctx, ids)
        if fspec.required and values.isna().any():
            raise SchemaError(f"empty values in required field: {_where(values[values.isna()], ids)}", **ctx)
        if fspec.allowed is not None:
            values = _check_allowed(map_values(values, mappings.get(fspec.name, {})), fspec, ctx, noun, ids)
        if fspec.min is not None or fspec.max is not None:
            _check_range(values, fspec, ctx, ids)
        if fspec.plausible_max is not None:
            _warn_implausible(values, fspec, ctx, ids, id_field)
        if fspec.unique:
            dup = values[values.duplicated(keep=False) & values.notna()]
            if len(dup):
                raise SchemaError(f"values must be unique: {_where(dup, ids)}", **ctx)
        frame[fspec.name] = values
        if fspec.name == id_field:
            ids = values
    return frame
