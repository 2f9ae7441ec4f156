"""The survey configuration: which files feed one survey year, declared in a small YAML file.

    survey_year: 2025
    landcover: {path: landcover.tif, preset: worldcover}
    stands: {path: stands.gpkg, layer: stands, gcj02: false}
    mangroves: {path: mangroves.gpkg}        # optional layers: mangroves, shelterbelts, redlines
    synthetic: false                         # true labels every output SYNTHETIC

Relative paths are read from the configuration file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sinkmap.catalogue import load_catalogue, preset_names
from sinkmap.errors import InputError, MissingInputError

VECTOR_LAYERS = ("stands", "mangroves", "shelterbelts", "redlines")
REQUIRED = ("landcover", "stands")


@dataclass(frozen=True)
class LayerInput:
    """One input file of the survey."""

    path: Path
    layer: str | None = None
    preset: str | None = None
    gcj02: bool = False


@dataclass(frozen=True)
class SurveyConfig:
    """A validated survey configuration."""

    source: Path
    survey_year: int
    inputs: dict[str, LayerInput]
    synthetic: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)


def _layer_input(kind: str, raw, base: Path, source: Path) -> LayerInput:
    if isinstance(raw, str):
        raw = {"path": raw}
    if not isinstance(raw, dict) or "path" not in raw:
        raise InputError(f"'{kind}' needs a path", path=source, fix=f"write `{kind}: {{path: FILE}}`")
    unknown = sorted(set(raw) - {"path", "layer", "preset", "gcj02"})
    if unknown:
        raise InputError(f"'{kind}' has unknown keys {unknown}", path=source, fix="use path, layer, preset, gcj02")
    path = (base / raw["path"]).resolve() if not Path(raw["path"]).is_absolute() else Path(raw["path"])
    if not path.exists():
        raise MissingInputError(f"the {kind} file {path} does not exist", path=source, fix="correct its path")
    preset = raw.get("preset")
    if kind == "landcover" and preset not in preset_names():
        raise InputError(f"landcover preset {preset!r} is not known", path=source,
                         fix=f"set landcover.preset to one of: {', '.join(preset_names())}")
    return LayerInput(path=path, layer=raw.get("layer"), preset=preset, gcj02=bool(raw.get("gcj02", False)))


def load_config(path: str | Path) -> SurveyConfig:
    """Read and check a survey configuration file."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError("survey configuration not found", path=path, fix="check the path")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"is not valid YAML ({' '.join(str(exc).split())[:160]})", path=path) from None
    if not isinstance(raw, dict):
        raise InputError("must be a YAML mapping of keys to values", path=path)
    known = {"survey_year", "synthetic", "note", *load_catalogue().layers}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(f"unknown keys {unknown}", path=path, fix=f"use: {', '.join(sorted(known))}")
    missing = [k for k in (*REQUIRED, "survey_year") if k not in raw]
    if missing:
        raise InputError(f"missing keys {missing}", path=path, fix="add them (see `sinkmap survey --help`)")
    year = raw["survey_year"]
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        raise InputError(f"survey_year must be a year, not {year!r}", path=path)
    inputs = {kind: _layer_input(kind, raw[kind], path.parent, path)
              for kind in load_catalogue().layers if kind in raw}
    return SurveyConfig(source=path, survey_year=year, inputs=inputs, synthetic=bool(raw.get("synthetic", False)),
                        note=str(raw.get("note", "")))
