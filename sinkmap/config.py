"""The survey configuration: which files feed one survey year, declared in a small YAML file.

    survey_year: 2025
    landcover: {path: landcover.tif, preset: worldcover}   # or tiles read as one map (so landcover_previous):
                                             # a folder of GeoTIFFs (path: tiles/) or a pattern (path: "tiles/*.tif");
                                             # or a URL GDAL reads (a COG: https://host/lc.tif, /vsicurl/https://…,
                                             # s3://…, /vsis3/…), kept as written
    stands: {path: stands.gpkg, layer: stands, gcj02: false}
    # any vector layer also takes: layer: [xb_a, xb_b] (layers read as one) or layers: all (every layer with
    # geometries); encoding: gbk (a Shapefile's attribute text, else its .cpg's, UTF-8 or GB18030 with a
    # warning); mappings: my_codes.csv (field,value,code rows mapping the bureau's codes to the catalogue's)
    mangroves: {path: mangroves.gpkg}        # optional: mangroves, shelterbelts, redlines, coastal_habitats
    stands_previous: {path: stands_2020.gpkg, year: 2020}   # optional: annual sink by stock difference
    redlines_previous: {path: redlines_2022.gpkg, year: 2022}  # optional: ledger change (area not reduced)
    landcover_previous: {path: lc_2020.tif, preset: worldcover, year: 2020}  # optional: land cover inside
                                             # the redlines then and now (nature not changed, function not lowered);
                                             # of stands_previous's year, also the forest outside that inventory
    scenario: {path: scenario.csv}           # optional: planned afforestation/harvest for the projection
    mariculture: {path: 养殖区.gpkg}          # optional: farming areas and marine ranches (养殖区, 海洋牧场)
    mariculture_yields: {path: 产量.xlsx}     # optional: harvests per county or farming area and year
    projection_end: 2030                     # last projected year (default 2030)
    aoi: 441523                              # the survey area: city (default), or county codes or names
                                             # (one, or a list): a county bureau surveys its own county;
                                             # or {path: farm.gpkg, name: 东海岸林场} (also layer, name_en,
                                             # gcj02, encoding): a polygon, every input clipped to it
    coverage_min: 0.99                       # share of a county's land an input must cover (default 0.99):
                                             # a county it covers less gets no value, only a note
    redline_tolerance_ha: 0.01               # area change (ha) below which a county or a redline is not
                                             # flagged in the redline ledger (default 0.01)
    synthetic: false                         # true labels every output SYNTHETIC
    previous_survey: ../2024                 # optional: the output folder of an earlier year's survey; each
                                             # indicator row gets its value then (previous) and the change
                                             # (`sinkmap survey --previous DIR` overrides it)
    parameters: {biomass_factors: 省清单因子.xlsx}  # optional: the survey's own parameter tables (biomass_factors,
                                             # blue_carbon, mariculture, growth_rates, forest_definition; CSV or XLSX in the
                                             # shipped columns, `sinkmap parameters export`): their rows replace
                                             # the shipped rows with the same key

Relative paths are read from the configuration file's folder. A land-cover map's URL is not: it is kept as
its text (``readers.tiles.is_remote``), for GDAL to open, and checked when the survey opens it.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sinkmap.aoi import COUNTIES
from sinkmap.catalogue import load_catalogue, preset_names
from sinkmap.errors import InputError, MissingInputError
from sinkmap.indicators.coverage import COVERAGE_MIN
from sinkmap.indicators.redline import TOLERANCE_HA as REDLINE_TOLERANCE_HA
from sinkmap.readers import ALL_LAYERS
from sinkmap.readers.encoding import codec_name
from sinkmap.readers.parameters import checked_parameters, user_paths
from sinkmap.readers.tiles import input_name, is_pattern, is_remote, recorded_url
from sinkmap.surveyarea import SurveyArea, polygon_area, survey_area

VECTOR_LAYERS = tuple(name for name, spec in load_catalogue().layers.items()  # the vector kinds the survey reads
                      if spec.kind == "vector" and "survey" in spec.consumed_by)
REQUIRED = ("landcover", "stands")
PREVIOUS = "stands_previous"  # the stand layer of an earlier survey year
REDLINES_PREVIOUS = "redlines_previous"  # the redline ledger of an earlier year (area not reduced?)
LANDCOVER_PREVIOUS = "landcover_previous"  # an earlier land-cover map (nature inside the redlines not changed?)
PER_COUNTY = (  # inputs of county rows, which a polygon survey area cannot take: kind, its rows, what dropping it leaves
    ("scenario", "county-wide", "the projection then holds no planned activity"),
    ("mariculture_yields", "per county or farming area", "the survey then reports no mariculture removal"),
)
EARLIER = {PREVIOUS: "stands", REDLINES_PREVIOUS: "redlines", LANDCOVER_PREVIOUS: "landcover"}  # → its kind
EARLIER_VECTORS = (PREVIOUS, REDLINES_PREVIOUS)
COMPARED_IN = {**EARLIER, LANDCOVER_PREVIOUS: "redlines"}  # earlier input → the input it needs
# … except that an earlier land-cover map of the earlier stand survey's year serves that survey without redlines
DEFAULT_END_YEAR = 2030


@dataclass(frozen=True)
class LayerInput:
    """One input file of the survey."""

    path: Path | str  # a local file, folder or pattern; a land-cover map's URL as its text (``is_remote``)
    layer: str | tuple[str, ...] | None = None  # several layers are read as one; ALL_LAYERS: every spatial layer
    preset: str | None = None
    gcj02: bool = False
    year: int | None = None  # year of an earlier input (stands_, redlines_, landcover_previous)
    encoding: str | None = None  # text encoding of a vector file's attributes (a Shapefile's .dbf)
    mappings: Path | None = None  # CSV (field, value, code) mapping the file's values to the catalogue's codes

    @property
    def name(self) -> str:
        """Its name in notes and captions: the file's (or folder's) name, a tile pattern's (lc2020/*.tif), or
        a URL's file name without its query string."""
        return input_name(self.path)


@dataclass(frozen=True)
class SurveyConfig:
    """A validated survey configuration."""

    source: Path
    survey_year: int
    inputs: dict[str, LayerInput]
    synthetic: bool = False
    note: str = ""
    projection_end: int = DEFAULT_END_YEAR
    coverage_min: float = COVERAGE_MIN
    redline_tolerance_ha: float = REDLINE_TOLERANCE_HA
    area: SurveyArea = field(default_factory=survey_area)  # the counties surveyed (default: the whole city)
    parameters: dict[str, Path] = field(default_factory=dict)  # table name → the survey's own version of it
    previous_survey: Path | None = None  # an earlier survey's output folder, compared with (--previous overrides)
    extra: dict = field(default_factory=dict)

    def relative(self, path: str | Path, start: str | Path | None = None) -> str:
        """``path`` as seen from the configuration's folder (as survey.yaml names it; or from ``start``),
        else in full (another drive); POSIX separators. A URL (``is_remote``) as ``recorded_url`` shows it
        (no query string or password: they may hold a token)."""
        if is_remote(path):
            return recorded_url(path)
        try:
            return Path(os.path.relpath(path, self.source.parent if start is None else start)).as_posix()
        except ValueError:  # another drive
            return str(path)


VECTOR_KEYS = ("layers", "encoding", "mappings")  # keys of a vector layer only


def _resolved(kind: str, value, base: Path, source: Path, *, tiles: bool = False) -> Path | str:
    """A path of the configuration, relative to its folder; it must exist. With ``tiles`` (a raster), also
    a glob pattern (``tiles/*.tif``) that matches a file (a folder of tiles is a path: ``readers/tiles.py``),
    or a URL, kept as its text (GDAL opens it when the survey reads it); a URL for another input is refused."""
    if not isinstance(value, str):  # a number or an empty value: Path() would fail with a traceback
        raise InputError(f"'{kind}' path must be a file path, not {value!r}", path=source,
                         fix=f"write `{kind}: {{path: FILE}}`")
    if is_remote(value):
        if tiles:
            return value
        raise InputError(f"'{kind}' is read from a local file, not a URL ({value})", path=source,
                         fix="copy the file to a folder every worker can read and give its path; only the "
                             "land-cover maps (landcover, landcover_previous) may be URLs")
    path = (base / value).resolve() if not Path(value).is_absolute() else Path(value)
    if tiles and is_pattern(value) and not path.exists():
        if not any(Path(p).is_file() for p in glob.iglob(str(path), recursive=True)):
            raise MissingInputError(f"the {kind} pattern {path} matches no file", path=source,
                                    fix="correct the folder or the pattern (e.g. tiles/*.tif)")
        return path
    if not path.exists():
        raise MissingInputError(f"the {kind} file {path} does not exist", path=source, fix="correct its path")
    return path


def _layer_names(kind: str, raw: dict, source: Path) -> str | tuple[str, ...] | None:
    """``layer: NAME``, ``layer: [A, B]``, ``layers: [A, B]`` or ``layers: all`` (ALL_LAYERS)."""
    if "layer" in raw and "layers" in raw:
        raise InputError(f"'{kind}' has both layer and layers", path=source, fix="keep one of them")
    if raw.get("layers") == "all":
        return ALL_LAYERS
    names = raw.get("layers", raw.get("layer"))
    if names is None or (isinstance(names, str) and names):
        return names
    if isinstance(names, list) and names and all(isinstance(n, str) and n for n in names):
        return names[0] if len(names) == 1 else tuple(names)
    raise InputError(f"'{kind}' layer must be a layer name or a list of them, not {names!r}", path=source,
                     fix=f"write `{kind}: {{path: FILE, layer: [xb_a, xb_b]}}` or `layers: all`")


def _encoding(kind: str, raw: dict, source: Path) -> str | None:
    """The ``encoding:`` of a layer, as written; it must name a known text encoding."""
    name = raw.get("encoding")
    if name is None:
        return None
    try:
        codec_name(str(name))
    except LookupError:
        raise InputError(f"'{kind}' encoding {name!r} is not a known text encoding", path=source,
                         fix="use e.g. gbk, gb18030, utf-8 or big5") from None
    return str(name)


def _layer_input(kind: str, raw, base: Path, source: Path) -> LayerInput:
    if isinstance(raw, str):
        raw = {"path": raw}
    if not isinstance(raw, dict) or "path" not in raw:
        raise InputError(f"'{kind}' needs a path", path=source, fix=f"write `{kind}: {{path: FILE}}`")
    keys = {"path", "layer", "preset", "gcj02", *(("year",) if kind in EARLIER else ()),
            *(VECTOR_KEYS if EARLIER.get(kind, kind) in VECTOR_LAYERS else ())}
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise InputError(f"'{kind}' has unknown keys {unknown}", path=source, fix=f"use {', '.join(sorted(keys))}")
    year = raw.get("year")
    if kind in EARLIER and (not isinstance(year, int) or isinstance(year, bool)):
        raise InputError(f"'{kind}' needs the year of that survey, not {year!r}", path=source,
                         fix=f"write `{kind}: {{path: FILE, year: 2020}}`")
    path = _resolved(kind, raw["path"], base, source, tiles=EARLIER.get(kind, kind) == "landcover")
    preset = raw.get("preset")
    if EARLIER.get(kind, kind) == "landcover" and preset not in preset_names():
        raise InputError(f"{kind} preset {preset!r} is not known", path=source,
                         fix=f"set {kind}.preset to one of: {', '.join(preset_names())}")
    mappings = _resolved(f"{kind} mappings", raw["mappings"], base, source) if "mappings" in raw else None
    return LayerInput(path=path, layer=_layer_names(kind, raw, source), preset=preset,
                      gcj02=bool(raw.get("gcj02", False)), year=year, encoding=_encoding(kind, raw, source),
                      mappings=mappings)


def same_year_stands(inputs: dict[str, LayerInput]) -> bool:
    """Whether the earlier land-cover map is of the earlier stand survey's year: it then gives that
    survey's forest outside the inventory (else today's map does)."""
    return (LANDCOVER_PREVIOUS in inputs and PREVIOUS in inputs
            and inputs[LANDCOVER_PREVIOUS].year == inputs[PREVIOUS].year)


def load_config(path: str | Path) -> SurveyConfig:
    """Read and check a survey configuration file."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError("survey configuration not found", path=path, fix="check the path")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except UnicodeDecodeError as exc:  # e.g. saved as "ANSI" (GBK) by Notepad on a Chinese Windows
        raise InputError(f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position {exc.start})",
                         path=path, fix="save it as UTF-8 (记事本: 另存为 → 编码 UTF-8)") from None
    except yaml.YAMLError as exc:
        raise InputError(f"is not valid YAML ({' '.join(str(exc).split())[:160]})", path=path) from None
    if not isinstance(raw, dict):
        raise InputError("must be a YAML mapping of keys to values", path=path)
    kinds = (*load_catalogue().layers, *EARLIER)
    known = {"survey_year", "synthetic", "note", "projection_end", "coverage_min", "aoi", "redline_tolerance_ha",
             "parameters", "previous_survey", *kinds}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(f"unknown keys {unknown}", path=path, fix=f"use: {', '.join(sorted(known))}")
    layers = load_catalogue().layers
    unread = [k for k in raw if k in layers and "survey" not in layers[k].consumed_by]
    if unread:  # accepted and then silently ignored, before: say which command reads it
        kind = unread[0]
        readers = ", ".join(f"`sinkmap {p}`" for p in layers[kind].consumed_by)
        raise InputError(f"'{kind}' is an input of {readers}, not of the survey", path=path,
                         fix=f"remove it from the survey configuration (and run {readers} on it)")
    missing = [k for k in (*REQUIRED, "survey_year") if k not in raw]
    if missing:
        raise InputError(f"missing keys {missing}", path=path, fix="add them (see `sinkmap survey --help`)")
    year = raw["survey_year"]
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        raise InputError(f"survey_year must be a year, not {year!r}", path=path)
    end = raw.get("projection_end", DEFAULT_END_YEAR)
    if not isinstance(end, int) or not year <= end <= 2100:
        raise InputError(f"projection_end must be a year from survey_year ({year}) on, not {end!r}", path=path)
    coverage = _number(raw, "coverage_min", COVERAGE_MIN, lambda x: 0 < x <= 1,
                       "a share of the land above 0 and at most 1", path)
    tolerance = _number(raw, "redline_tolerance_ha", REDLINE_TOLERANCE_HA, lambda x: x >= 0,
                        "an area of 0 ha or more", path)
    inputs = {kind: _layer_input(kind, raw[kind], path.parent, path) for kind in kinds if kind in raw}
    for kind, needed in COMPARED_IN.items():
        if kind in inputs and needed not in inputs and not (kind == LANDCOVER_PREVIOUS and same_year_stands(inputs)):
            other = ", or stands_previous of the map's year" if kind == LANDCOVER_PREVIOUS else ""
            raise InputError(f"'{kind}' is given without '{needed}'", path=path,
                             fix=f"add this year's {needed} layer, which {kind} needs{other}")
        if kind in inputs and not inputs[kind].year < year:
            raise InputError(f"{kind}.year ({inputs[kind].year}) must be before survey_year ({year})", path=path,
                             fix=f"give the earlier {EARLIER[kind]} layer and its year")
    area = _area(raw.get("aoi"), path)
    for kind, rows, left in PER_COUNTY:  # what share of a county's planting or harvest falls inside?
        if area.polygon is not None and kind in inputs:
            raise InputError(f"'{kind}' rows are {rows} and cannot be apportioned to a polygon survey area "
                             f"({area.name_zh})", path=path,
                             fix=f"drop `{kind}:` ({left}), or survey whole counties (aoi: county codes)")
    parameters = checked_parameters(user_paths(raw.get("parameters"), path.parent, path))
    return SurveyConfig(source=path, survey_year=year, inputs=inputs, synthetic=bool(raw.get("synthetic", False)),
                        note=str(raw.get("note", "")), projection_end=end, coverage_min=coverage, area=area,
                        redline_tolerance_ha=tolerance, parameters=parameters,
                        previous_survey=_folder(raw.get("previous_survey"), path))


def _folder(given, source: Path) -> Path | None:
    """A folder named in the configuration (relative to its folder); the reader checks it is there."""
    if given is None:
        return None
    if not isinstance(given, str) or not given.strip():
        raise InputError(f"previous_survey must be a folder path, not {given!r}", path=source,
                         fix="write `previous_survey: ../2024` (the -o folder of that year's survey)")
    folder = Path(given)
    return folder if folder.is_absolute() else source.parent / folder


def _number(raw: dict, key: str, default: float, accept, what: str, source: Path) -> float:
    """The number under ``key`` (``default`` when absent); one that ``accept`` refuses, or that is not a
    number, is an InputError saying it must be ``what``."""
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not accept(value):
        raise InputError(f"{key} must be {what}, not {value!r}", path=source, fix=f"write e.g. `{key}: {default}`")
    return float(value)


AOI_FILE_KEYS = ("path", "layer", "name", "name_en", "gcj02", "encoding")


def _area(given, source: Path) -> SurveyArea:
    """The survey area of ``aoi:`` (city, county codes or names, or a polygon file)."""
    choices = ("city, county codes or names (" + ", ".join(f"{c} {n}" for c, n, *_ in COUNTIES)
               + "), or {path: POLYGON_FILE, name: NAME}")
    if isinstance(given, dict):
        unknown = sorted(set(given) - set(AOI_FILE_KEYS))
        if unknown or "path" not in given:
            raise InputError(f"'aoi' as a polygon file needs a path and takes only {', '.join(AOI_FILE_KEYS)}"
                             + (f", not {unknown}" if unknown else ""), path=source,
                             fix="write `aoi: {path: farm.gpkg, name: 东海岸林场}`")
        path = _resolved("aoi", given["path"], source.parent, source)
        return polygon_area(path, layer=given.get("layer"), name=given.get("name"), name_en=given.get("name_en"),
                            gcj02=bool(given.get("gcj02", False)), encoding=_encoding("aoi", given, source))
    if not (given is None or isinstance(given, (str, int, list)) and not isinstance(given, bool)):
        raise InputError(f"'aoi' must be {choices}, not {given!r}", path=source)
    try:
        return survey_area(given)
    except ValueError as exc:
        raise InputError(f"'aoi' names no county of 汕尾市: {exc}", path=source, fix=f"use {choices}") from None
