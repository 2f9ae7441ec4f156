"""provenance.json: what a survey was made from, beside its outputs; the same bytes on a rerun, the run's date
and step timings only with --stamp; its short form on the report's last page."""

import datetime
import hashlib
import json
import time

import pandas as pd
import pytest

from sinkmap import __version__
from sinkmap.progress import Progress
from sinkmap.resources import layers_dir
from sinkmap.survey import OUTPUTS
from sinkmap.survey.provenance import provenance_json, stamped

KEYS = {"sinkmap_version", "command", "configuration", "survey_year", "survey_area", "inputs", "parameter_tables",
        "crs"}


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def record(demo_survey) -> dict:
    return json.loads((demo_survey / "provenance.json").read_text(encoding="utf-8"))


def test_demo_record_has_every_part_and_no_clock(demo_survey, record):
    assert "provenance.json" in OUTPUTS
    assert set(record) == KEYS  # no run date or timings without --stamp, no previous survey
    assert record["sinkmap_version"] == __version__ and record["survey_year"] == 2025
    assert record["survey_area"] == {"code": "441500", "name_zh": "汕尾市", "name_en": "Shanwei",
                                     "counties": ["441502", "441521", "441523", "441581"], "source": None}
    assert record["command"] == {"line": "sinkmap survey --config survey.yaml", "configuration": "survey.yaml",
                                 "previous": None, "parameters": {}, "stamp": False}
    assert record["configuration"]["folder_from_outputs"] == "inputs"
    assert record["crs"]["storage"] == {"definition": "EPSG:4490", "name": "China Geodetic Coordinate System 2000"}
    assert record["crs"]["area"]["definition"].startswith("+proj=aea ")
    text = (demo_survey / "provenance.json").read_text(encoding="utf-8")
    assert text == json.dumps(record, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    assert "汕尾市" in text and str(demo_survey) not in text  # UTF-8, no absolute path of this machine


def test_inputs_relative_with_size_and_sha256(demo_survey, record):
    inputs = demo_survey / "inputs"
    assert record["configuration"]["sha256"] == sha256(inputs / "survey.yaml")
    land = record["inputs"]["landcover"]
    assert land["path"] == "landcover.tif" and land["preset"] == "worldcover"
    assert land["sha256"] == sha256(inputs / "landcover.tif")
    assert land["size_bytes"] == (inputs / "landcover.tif").stat().st_size
    assert record["inputs"]["stands_previous"]["year"] == 2020
    belts = record["inputs"]["shelterbelts"]  # a Shapefile: its attributes are in the .dbf
    dbf = {s["path"]: s["sha256"] for s in belts["sidecars"]}
    assert dbf["shelterbelts.dbf"] == sha256(inputs / "shelterbelts.dbf")
    assert all(not item["path"].startswith(("/", "..")) for item in record["inputs"].values())


def test_parameter_tables_with_rows_per_tier(record):
    tables = record["parameter_tables"]
    assert set(tables) == {"biomass_factors", "blue_carbon", "mariculture", "growth_rates", "forest_definition"}
    shipped = tables["biomass_factors"]["shipped"]
    path = layers_dir() / "parameters" / "biomass_factors.csv"
    assert shipped["file"] == "layers/parameters/biomass_factors.csv" and shipped["sha256"] == sha256(path)
    tier = pd.read_csv(path, dtype=str)["tier"].str.lower()
    provisional = tier.str.contains("provisional")
    proxy = ~provisional & tier.str.contains("proxy|fallback")
    assert shipped["rows"] == len(tier)
    assert shipped["rows_per_tier"] == {k: int(n) for k, n in (("provisional", provisional.sum()),
                                        ("proxy", proxy.sum()), ("sourced", (~provisional & ~proxy).sum())) if n}
    verified = pd.read_csv(layers_dir() / "parameters" / "forest_definition.csv", dtype=str)["verified"]
    assert tables["forest_definition"]["shipped"]["rows_per_verified"] == verified.value_counts().to_dict()
    assert all("own" not in t for t in tables.values())  # the demo has no parameter table of its own


def test_report_last_page_shows_the_short_form(demo_survey, record):
    html = (demo_survey / "report.html").read_text(encoding="utf-8")
    colophon = html[html.index('<footer class="colophon">'):]
    assert "来源记录 Provenance" in colophon and "sinkmap survey --config survey.yaml" in colophon
    assert f"landcover.tif {record['inputs']['landcover']['sha256'][:12]}" in colophon
    assert record['inputs']['landcover']['sha256'][:13] not in colophon  # twelve hex digits, no more
    biomass = record["parameter_tables"]["biomass_factors"]["shipped"]
    assert f"layers/parameters/biomass_factors.csv {biomass['sha256'][:12]}" in colophon


def test_progress_keeps_each_completed_steps_time():
    progress = Progress(enabled=False)
    with progress.step("first"):
        time.sleep(0.02)
    with pytest.raises(ValueError), progress.step("failing"):
        raise ValueError
    with progress.step("second"):
        pass
    assert [label for label, _ in progress.timings] == ["first", "second"]
    assert progress.timings[0][1] >= 0.02 and progress.timings[1][1] < 0.02


def test_stamp_adds_the_date_and_timings_only():
    record = {"survey_year": 2025, "inputs": {}}
    when = datetime.datetime(2026, 3, 1, 9, 30, 15, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    out = stamped(record, [("reading", 1.234), ("writing", 2.0)], when)
    assert out == {**record, "run": {"date": "2026-03-01T09:30:15+08:00", "total_seconds": 3.23,
                                     "timings": [{"step": "reading", "seconds": 1.23},
                                                 {"step": "writing", "seconds": 2.0}]}}
    assert provenance_json(record) == '{\n  "inputs": {},\n  "survey_year": 2025\n}\n'
