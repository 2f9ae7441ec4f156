"""The layer catalogue (``layers/``): layer specs, class presets, parameter and target tables.

One declaration per input drives validation (``validation.validate_frame``) and the docs
(``catalogue_markdown``), as InVEST's MODEL_SPEC does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sinkmap.errors import InputError, SchemaError
from sinkmap.resources import layers_dir

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


@cache
def load_indicator_specs() -> pd.DataFrame:
    """Indicator ids with Chinese/English names, unit, target id, the survey inputs the value rests on
    (``inputs``: a tuple of configuration keys) and description (layers/indicators.csv)."""
    table = _read_table(layers_dir() / "indicators.csv",
                        ["indicator", "name_zh", "name_en", "unit", "target", "inputs"])
    table["target"] = table["target"].replace("", np.nan)
    table["inputs"] = [tuple(filter(None, str(text).split(";"))) for text in table["inputs"].fillna("")]
    return table.set_index("indicator")
