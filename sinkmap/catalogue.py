"""The layer catalogue (``layers/``): layer specs, class presets, parameter and target tables.

One declaration per input drives validation (``validate_frame``) and the docs
(``catalogue_markdown``), as InVEST's MODEL_SPEC does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sinkmap.errors import InputError, SchemaError, SinkmapWarning, located
from sinkmap.mappings import ValueMap, map_values, shipped_mappings
from sinkmap.resources import layers_dir
from sinkmap.units import shown_unit

MAX_LISTED = 5  # offending values/ids named in one message
SHAPEFILE_FIELD_LENGTH = 10  # Shapefile (dBase) field names are cut to 10 characters

_DTYPES = {"string": "str", "integer": "Int64", "float": "float64", "boolean": "boolean"}


@dataclass(frozen=True)
class FieldSpec:
    """One attribute of a vector layer."""

    name: str
    type: str
    required: bool = False
    unique: bool = False
    unit: str | None = None
    zh: str | None = None
    aliases: tuple[str, ...] = ()
    allowed: dict[str, str] | None = None  # code → Chinese label
    min: float | None = None
    max: float | None = None
    plausible_max: float | None = None  # above it: a warning (likely a unit mix-up), not an error
    description: str = ""


@dataclass(frozen=True)
class MapStyle:
    """How a vector kind is drawn on the survey map and by ``sinkmap map``."""

    order: int  # drawing order, the lowest first
    label: str  # 中文 English, in the layer control and the legends
    style: dict  # Leaflet path options (color, weight, fillColor, fillOpacity …)
    tooltip: tuple[tuple[str, str], ...]  # (field, label) in order; numbers take the field's unit
    hidden: bool = False  # listed in the layer control, off when the map opens
    fill: tuple[str, dict[str, str]] | None = None  # (field, colour per code): one fill per coded value
    units: dict[str, str] = field(default_factory=dict)  # tooltip field → unit (from the field specs)


def _map_style(raw: dict | None, fields: dict[str, FieldSpec]) -> MapStyle | None:
    if raw is None:
        return None
    tooltip = tuple((str(f), str(label)) for f, label in raw["tooltip"].items())
    fill = (raw["fill"]["field"], dict(raw["fill"]["colours"])) if "fill" in raw else None
    units = {f: fields[f].unit for f, _ in tooltip if f in fields and fields[f].unit}
    return MapStyle(int(raw["order"]), str(raw["label"]), dict(raw["style"]), tooltip, bool(raw.get("hidden", False)),
                    fill, units)


@dataclass(frozen=True)
class LayerSpec:
    """One input layer kind (raster or vector)."""

    name: str
    kind: str
    title: str
    zh: str
    description: str = ""
    geometry: str | None = None
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    presets: tuple[str, ...] = ()
    consumed_by: tuple[str, ...] = ()  # the pipelines that read this kind (PIPELINES)
    reach_m: float | None = None  # vector kinds: how far outside the counties a feature may lie (m)
    map: MapStyle | None = None  # vector kinds: how maps draw it

    @property
    def id_field(self) -> str | None:
        """The field that identifies a feature (the first unique one), or None."""
        return next((f.name for f in self.fields.values() if f.unique), None)


PIPELINES = ("survey", "ledger", "carbon", "map", "zonal")  # sinkmap's pipelines, as the catalogue names them


def _pipelines(kind: str, given) -> tuple[str, ...]:
    """A layer kind's ``consumed_by``: a non-empty list of PIPELINES."""
    if not isinstance(given, list) or not given or not set(given) <= set(PIPELINES):
        raise ValueError(f"layers/catalogue.yaml: layer {kind!r} needs consumed_by, a list of {PIPELINES}, "
                         f"not {given!r}")
    return tuple(given)


@dataclass(frozen=True)
class Catalogue:
    """All layer specs plus the CRS rules."""

    layers: dict[str, LayerSpec]
    area_crs: str
    storage_crs: str
    crs_note: str

    def layer(self, name: str) -> LayerSpec:
        try:
            return self.layers[name]
        except KeyError:
            raise InputError(
                f"unknown layer kind '{name}'", fix=f"use one of: {', '.join(self.layers)}"
            ) from None


def _field(name: str, raw: dict[str, Any], resolved: dict[str, dict[str, FieldSpec]]) -> FieldSpec:
    allowed = raw.get("allowed")
    if "allowed_from" in raw:  # reuse another layer's code list, e.g. stands.species_group
        layer, other = raw["allowed_from"].split(".")
        allowed = resolved[layer][other].allowed
    if raw.get("type", "string") not in _DTYPES:
        raise ValueError(f"catalogue field {name}: unknown type {raw.get('type')}")
    return FieldSpec(
        name=name,
        type=raw.get("type", "string"),
        required=bool(raw.get("required", False)),
        unique=bool(raw.get("unique", False)),
        unit=raw.get("unit"),
        zh=raw.get("zh"),
        aliases=tuple(raw.get("aliases", ())),
        allowed={str(k): str(v) for k, v in allowed.items()} if allowed else None,
        min=raw.get("min"),
        max=raw.get("max"),
        plausible_max=raw.get("plausible_max"),
        description=" ".join(str(raw.get("description", "")).split()),
    )


@cache
def load_catalogue(path: Path | None = None) -> Catalogue:
    """Parse ``layers/catalogue.yaml`` (or ``path``)."""
    path = path or layers_dir() / "catalogue.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    resolved: dict[str, dict[str, FieldSpec]] = {}
    layers = {}
    for name, spec in raw["layers"].items():
        fields = {}
        resolved[name] = fields  # filled in order, so allowed_from may point backwards
        for fname, fraw in (spec.get("fields") or {}).items():
            fields[fname] = _field(fname, fraw, resolved)
        layers[name] = LayerSpec(
            name=name,
            kind=spec["kind"],
            title=spec["title"],
            zh=spec["zh"],
            description=" ".join(str(spec.get("description", "")).split()),
            geometry=spec.get("geometry"),
            fields=fields,
            presets=tuple(spec.get("presets", ())),
            consumed_by=_pipelines(name, spec.get("consumed_by")),
            reach_m=None if spec.get("reach_m") is None else float(spec["reach_m"]),
            map=_map_style(spec.get("map"), fields),
        )
    crs = raw["crs"]
    return Catalogue(layers, crs["area"], crs["storage"], " ".join(crs["accepted"].split()))


# ---------------------------------------------------------------- tables in layers/


def _read_table(path: Path, required: list[str]) -> pd.DataFrame:
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise SchemaError(f"missing columns {missing}", path=path, fix=f"the table needs {required}")
    return table


@cache
def sinkmap_classes() -> pd.DataFrame:
    """The sinkmap land-cover classes: code, class, names, colour, counts_as_forest."""
    table = _read_table(layers_dir() / "presets" / "sinkmap.csv", ["code", "class", "counts_as_forest"])
    table["code"] = table["code"].astype(int)
    table["counts_as_forest"] = table["counts_as_forest"].eq("yes")
    return table


def preset_names() -> list[str]:
    """Names of the class presets shipped in ``layers/presets``."""
    return sorted(p.stem for p in (layers_dir() / "presets").glob("*.csv"))


@cache
def load_preset(name: str) -> pd.DataFrame:
    """A class preset: source ``code`` (int) → ``sinkmap_class`` plus names and source.

    The ``sinkmap`` preset maps each sinkmap class to itself.
    """
    path = layers_dir() / "presets" / f"{name}.csv"
    if not path.is_file():
        raise InputError(
            f"unknown land-cover class preset '{name}'", fix=f"use one of: {', '.join(preset_names())}"
        )
    if name == "sinkmap":
        table = sinkmap_classes().copy()
        table["sinkmap_class"] = table["class"]
        return table[["code", "name_en", "name_zh", "sinkmap_class", "source"]]
    table = _read_table(path, ["code", "name_en", "name_zh", "sinkmap_class", "source"])
    table["code"] = table["code"].astype(int)
    unknown = sorted(set(table["sinkmap_class"]) - set(sinkmap_classes()["class"]))
    if unknown:
        raise SchemaError(f"classes {unknown} are not sinkmap classes", path=path, field="sinkmap_class")
    return table


def forest_classes(preset: str) -> set[int]:
    """Source codes of ``preset`` whose sinkmap class counts as forest (forest, bamboo, mangrove)."""
    classes = sinkmap_classes()
    table = load_preset(preset)
    return set(table.loc[table["sinkmap_class"].isin(classes.loc[classes["counts_as_forest"], "class"]), "code"].tolist())


@cache
def load_targets() -> pd.DataFrame:
    """Plan targets: indicator, scope (adcode), year, comparison, value, unit, source."""
    table = _read_table(
        layers_dir() / "targets.csv", ["indicator", "scope", "year", "comparison", "value", "unit", "source"]
    )
    table["year"] = table["year"].astype(int)
    table["value"] = table["value"].astype(float)
    return table


SHIPPED = "shipped"  # the origin of a parameter value from layers/parameters/ (not a survey's own table)


@cache
def read_parameter_table(name: str) -> tuple[pd.DataFrame, Path]:
    """A shipped parameter table ``layers/parameters/<name>.csv``, every cell as text, and its path."""
    path = layers_dir() / "parameters" / f"{name}.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8"), path


def load_parameters(name: str) -> pd.DataFrame:
    """A parameter table ``layers/parameters/<name>.csv`` (each row carries its source)."""
    path = layers_dir() / "parameters" / f"{name}.csv"
    return _read_table(path, ["parameter", "value", "unit", "source"]).set_index("parameter")


# ---------------------------------------------------------------- validation


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
    mapped = values.map(lambda v: lookup.get(v, np.nan) if isinstance(v, str) else v)
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


@cache
def load_indicator_specs() -> pd.DataFrame:
    """Indicator ids with Chinese/English names, unit, target id, the survey inputs the value rests on
    (``inputs``: a tuple of configuration keys) and description (layers/indicators.csv)."""
    table = _read_table(layers_dir() / "indicators.csv",
                        ["indicator", "name_zh", "name_en", "unit", "target", "inputs"])
    table["target"] = table["target"].replace("", np.nan)
    table["inputs"] = [tuple(filter(None, str(text).split(";"))) for text in table["inputs"].fillna("")]
    return table.set_index("indicator")
