"""provenance.json (来源记录): what one survey was made from, written beside its outputs.

The sinkmap version, the command (configuration file and options), the survey year and area, every
input file (path relative to the configuration's folder, size in bytes, SHA-256; of a land-cover map in
tiles, each tile's too; of one at an http(s) URL, the URL and the streamed file's size and SHA-256; of one
at another URL (s3://, /vsis3/ …), the URL, ``sha256`` null and why in ``not_hashed``), the parameter tables (shipped and the survey's own: file, SHA-256, rows per tier),
the CRS definitions and, compared with an earlier survey, that survey's folder, year and files. Paths are never the machine's absolute ones and no
clock is read, so a rerun writes the same bytes; ``--stamp`` adds the run's date and per-step timings.
"""

from __future__ import annotations

import datetime
import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyproj import CRS

from sinkmap import __version__
from sinkmap.catalogue import load_catalogue
from sinkmap.config import EARLIER, SurveyConfig
from sinkmap.crs import AREA_CRS, STORAGE_CRS
from sinkmap.indicators.parameters import tier_class
from sinkmap.readers.files import Digest, digest, digest_listing, digest_url, http_url, sidecars
from sinkmap.readers.parameters import PARAMETER_TABLES, shipped_table, user_table
from sinkmap.readers.previous import PROVENANCE_FILE, PreviousSurvey
from sinkmap.readers.tiles import is_remote, recorded_url, tile_paths
from sinkmap.writers.atomic import write_text_atomic

__all__ = ["PROVENANCE_FILE", "Command", "survey_provenance", "write_provenance", "report_lines"]

SHIPPED_FOLDER = "layers/parameters"  # the shipped tables, as the record names them
INPUT_OPTIONS = ("layer", "preset", "year", "encoding")  # an input's options recorded beside its file
HEX_SHOWN = 12  # the report shows the first 12 hex digits of each SHA-256
NOT_HASHED = ("sinkmap streams only http(s) URLs to hash them; GDAL reads this one with its own "
              "credentials")  # why a remote input of another scheme (s3://, /vsis3/ …) has no SHA-256


@dataclass(frozen=True)
class Command:
    """What ``sinkmap survey`` (or ``run_survey``) was given: the configuration file and the options."""

    config: Path
    previous: Path | None = None  # --previous (survey.yaml's previous_survey is in the configuration)
    parameters: Mapping[str, Path] = field(default_factory=dict)  # run_survey(parameters=…): the survey's own tables
    stamp: bool = False  # --stamp: the run's date and timings in provenance.json


def _file(path: Path, config: SurveyConfig) -> dict:
    """A file's path from the configuration's folder, size (bytes) and SHA-256; a Shapefile's sidecars too."""
    found = digest(path)
    record = {"path": config.relative(path), "size_bytes": found.size_bytes, "sha256": found.sha256}
    if extra := sidecars(path):
        record["sidecars"] = [_file(p, config) for p in extra]
    return record


def _remote(source: str, kind: str) -> dict:
    """A raster input at a URL: the URL (``recorded_url``: no query string or password); at an http(s) one (``/vsicurl/`` or not), the size and
    SHA-256 of the file streamed once (as a local copy's); else ``sha256`` and ``size_bytes`` null and
    ``not_hashed`` saying why."""
    if http_url(source) is None:
        return {"path": recorded_url(source), "size_bytes": None, "sha256": None, "not_hashed": NOT_HASHED}
    found = digest_url(source, what=f"the {kind} map")
    return {"path": recorded_url(source), "size_bytes": found.size_bytes, "sha256": found.sha256}


def _raster(path: Path | str, config: SurveyConfig, kind: str) -> dict:
    """A raster input's record: its file's (``_file``); at a URL, ``_remote``'s; or, for tiles (a folder or a
    pattern), the folder or pattern, the tiles' total size and the SHA-256 of their ``path  sha256`` lines
    (paths as ``tiles`` shows them, in mosaic order), and each tile's record under ``tiles``."""
    if is_remote(path):
        return _remote(path, kind)
    tiles = tile_paths(path)
    if tiles == [path]:
        return _file(path, config)
    records = [_file(tile, config) for tile in tiles]
    total = digest_listing([(r["path"], Digest(r["size_bytes"], r["sha256"])) for r in records])
    return {"path": config.relative(path), "size_bytes": total.size_bytes, "sha256": total.sha256, "tiles": records}


def _command(command: Command, config: SurveyConfig) -> dict:
    """The command as typed from the configuration's folder, and its parts."""
    previous = None if command.previous is None else config.relative(command.previous)
    words = ["sinkmap", "survey", "--config", config.source.name]
    words += ["--previous", previous] if previous else []
    words += ["--stamp"] if command.stamp else []
    return {"line": shlex.join(words), "configuration": config.source.name, "previous": previous,
            "parameters": {name: config.relative(path) for name, path in sorted(command.parameters.items())},
            "stamp": command.stamp}


def _inputs(config: SurveyConfig) -> dict:
    """Each input's file record with the options it was read with (layer, preset, year, encoding, mappings)."""
    out = {}
    for kind, given in config.inputs.items():
        record = (_raster(given.path, config, kind) if EARLIER.get(kind, kind) == "landcover"
                  else _file(given.path, config))
        for option in INPUT_OPTIONS:
            value = getattr(given, option)
            if value is not None:
                record[option] = list(value) if isinstance(value, tuple) else value
        if given.gcj02:
            record["gcj02"] = True
        if given.mappings is not None:
            record["mappings"] = _file(given.mappings, config)
        out[kind] = record
    return out


def _rows(table) -> dict:
    """A parameter table's row count and rows per tier class (sourced, proxy, provisional:
    ``indicators.parameters.tier_class``), or per ``verified`` value for a table without tiers."""
    if "tier" in table.columns:
        return {"rows": len(table), "rows_per_tier": table["tier"].map(tier_class).value_counts().to_dict()}
    return {"rows": len(table), "rows_per_verified": table["verified"].value_counts().to_dict()}


def _parameter_tables(config: SurveyConfig) -> dict:
    """Each parameter table used: the shipped file and the survey's own (its rows replace the shipped ones)."""
    out = {}
    for name in PARAMETER_TABLES:
        table, path = shipped_table(name)
        found = digest(path)
        out[name] = {"shipped": {"file": f"{SHIPPED_FOLDER}/{path.name}", "size_bytes": found.size_bytes,
                                 "sha256": found.sha256, **_rows(table)}}
        if name in config.parameters:
            own = config.parameters[name]
            out[name]["own"] = {**_file(own, config), **_rows(user_table(name, own))}
    return out


def _crs_name(crs: CRS) -> str:
    """A CRS's name; a PROJ string has none: its projection method and ellipsoid."""
    return crs.name if crs.name != "unknown" else f"{crs.coordinate_operation.method_name} on {crs.ellipsoid.name}"


def _crs() -> dict:
    """The CRS definitions every layer is stored in and every area computed in (layers/catalogue.yaml)."""
    catalogue = load_catalogue()
    return {"storage": {"definition": catalogue.storage_crs, "name": _crs_name(STORAGE_CRS)},
            "area": {"definition": catalogue.area_crs, "name": _crs_name(AREA_CRS)}}


def survey_provenance(config: SurveyConfig, command: Command, out_dir: str | Path,
                      previous: PreviousSurvey | None = None) -> dict:
    """The provenance record of one survey into ``out_dir`` (compared with ``previous``), without the run's
    date and timings (``write_provenance`` adds them with ``--stamp``)."""
    area = config.area
    configuration = _file(config.source, config)
    configuration["folder_from_outputs"] = config.relative(config.source.parent, start=out_dir)  # demo: inputs
    record = {"sinkmap_version": __version__, "command": _command(command, config), "configuration": configuration,
              "survey_year": config.survey_year,
              "survey_area": {"code": area.code, "name_zh": area.name_zh, "name_en": area.name_en,
                              "counties": list(area.codes), "source": area.source},
              "inputs": _inputs(config), "parameter_tables": _parameter_tables(config), "crs": _crs()}
    if previous is not None:
        indicators, provenance = previous.files
        record["previous_survey"] = {"folder": config.relative(previous.folder), "survey_year": previous.survey_year,
                                     "indicators": _file(indicators, config), "provenance": _file(provenance, config)}
    return record


def stamped(record: dict, timings: Sequence[tuple[str, float]], now: datetime.datetime | None = None) -> dict:
    """``record`` with the run's date (local time, to the second) and each progress step's duration (s)."""
    now = now or datetime.datetime.now().astimezone()
    steps = [{"step": label, "seconds": round(seconds, 2)} for label, seconds in timings]
    return {**record, "run": {"date": now.isoformat(timespec="seconds"), "timings": steps,
                              "total_seconds": round(sum(s for _, s in timings), 2)}}


def provenance_json(record: Mapping) -> str:
    """The record as provenance.json holds it: sorted keys, UTF-8 text, indented by 2, a final newline."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def write_provenance(path: str | Path, record: Mapping, timings: Sequence[tuple[str, float]] | None = None) -> Path:
    """Write provenance.json atomically; with ``timings`` (``--stamp``) also the run's date and timings."""
    return write_text_atomic(path, provenance_json(record if timings is None else stamped(dict(record), timings)))


def _tiers(table: Mapping) -> str:
    """"9 provisional, 28 proxy, 7 sourced" or "verified: 3 no, 3 yes"."""
    counts = ", ".join(f"{n} {name}" for name, n in sorted((table.get("rows_per_tier") or
                                                             table.get("rows_per_verified", {})).items()))
    return counts if "rows_per_tier" in table else f"verified: {counts}"


def _short(sha256: str | None) -> str:
    """A SHA-256's first HEX_SHOWN hex digits; "(not hashed)" for an input without one (``NOT_HASHED``)."""
    return sha256[:HEX_SHOWN] if sha256 else "(not hashed)"


def report_lines(record: Mapping) -> list[tuple[str, str]]:
    """The short form on the report's last page: version, command, inputs and parameter tables with the
    first 12 hex digits of their SHA-256 ("(not hashed)" for a URL not streamed), and the survey compared with."""
    files = [record["configuration"], *record["inputs"].values()]
    tables = [(t["file"], t["sha256"], _tiers(t)) for tables in record["parameter_tables"].values()
              for t in (tables["shipped"], tables.get("own")) if t]
    lines = [("软件 Software", f"sinkmap {record['sinkmap_version']}"),
             ("命令 Command", record["command"]["line"]),
             ("输入 Inputs", " · ".join(f"{item['path']} {_short(item.get('sha256'))}" for item in files)),
             ("参数表 Parameter tables", " · ".join(f"{file} {sha[:HEX_SHOWN]} ({tiers})" for file, sha, tiers in tables))]
    if previous := record.get("previous_survey"):
        lines.append(("上期调查 Previous survey", f"{previous['folder']} ({previous['survey_year']}), indicators.csv "
                      f"{previous['indicators']['sha256'][:HEX_SHOWN]}"))
    return lines
