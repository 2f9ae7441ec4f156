"""A survey whose land-cover maps are URLs (``landcover: {path: https://…/lulc_cog.tif}``), as on a cluster
whose workers read a COG over HTTP: the configuration keeps the URL as written, the notes name its file,
provenance.json records the file streamed once (the local copy's size and SHA-256), another scheme's URL
with no SHA-256 and why; a URL that cannot be opened is one line. The server is ``tests.range_server``, in
its own process (GDAL holds the GIL while it reads: a server thread here would never answer)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sinkmap.cli import cli
from sinkmap.config import load_config
from sinkmap.errors import InputError
from sinkmap.indicators.comparison import definition_changes
from sinkmap.readers.files import digest, digest_url
from sinkmap.readers.previous import read_previous_survey
from sinkmap.readers.tiles import input_name
from sinkmap.survey.provenance import NOT_HASHED, Command, provenance_json, report_lines, survey_provenance
from sinkmap.zonal.landcover import LandCover
from tests.test_cli import demo_config

MAPS = ("landcover.tif", "landcover_2020.tif")  # the demo's land-cover maps of 2025 and 2020


@pytest.fixture(scope="module")
def served(demo_survey, tmp_path_factory):
    """The demo's two land-cover maps served over HTTP by ``tests.range_server`` in its own process; yields
    the base URL."""
    folder = tmp_path_factory.mktemp("served")
    for name in MAPS:
        shutil.copy(demo_survey / "inputs" / name, folder)
    server = subprocess.Popen([sys.executable, "-m", "tests.range_server", str(folder)], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).parent.parent)
    try:
        yield f"http://127.0.0.1:{int(server.stdout.readline())}"
    finally:
        server.kill()
        server.wait()


def remote_config(demo_survey, tmp_path, landcover: str, landcover_previous: str) -> Path:
    """The demo's survey.yaml (absolute paths) with its two land-cover maps at these URLs."""
    return demo_config(demo_survey, tmp_path, landcover={"path": landcover, "preset": "worldcover"},
                       landcover_previous={"path": landcover_previous, "preset": "worldcover", "year": 2020})


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("source, name", [
    ("https://data.example.org/lulc_2025_cog.tif", "lulc_2025_cog.tif"),
    ("/vsicurl/https://data.example.org/cog/lulc_2025_cog.tif?X-Amz-Signature=ab/cd&t=1#top", "lulc_2025_cog.tif"),
    ("https://data.example.org/lulc%202025.tif", "lulc 2025.tif"),  # %-escapes decoded
    ("s3://bucket/lulc/lc.tif", "lc.tif"),
    ("/vsis3/bucket/lulc/lc.tif", "lc.tif"),
    ("/vsizip//vsicurl/https://data.example.org/lc.zip/lc_2025.tif", "lc_2025.tif"),
    ("lc2020/*.tif", "lc2020/*.tif"),  # a local pattern: as before
    ("/data/in/landcover.tif", "landcover.tif"),
])
def test_a_url_is_named_by_its_file_without_the_query_string(source, name):
    assert input_name(source) == name


def test_the_configuration_keeps_a_url_as_written(demo_survey, tmp_path):
    url = "/vsicurl/https://data.example.org/cog//lulc_2025_cog.tif?sig=a%2Fb"  # // and the query kept
    config = load_config(remote_config(demo_survey, tmp_path, url, "s3://bucket/lc_2020.tif"))  # no network
    landcover, then = config.inputs["landcover"], config.inputs["landcover_previous"]
    assert landcover.path == url and landcover.name == "lulc_2025_cog.tif" and landcover.preset == "worldcover"
    assert then.path == "s3://bucket/lc_2020.tif" and then.name == "lc_2020.tif" and then.year == 2020
    assert config.relative(url) == "/vsicurl/https://data.example.org/cog//lulc_2025_cog.tif?…"  # as the workbook
    # and provenance.json show it: the signature left out
    stands = config.inputs["stands"].path  # a local path: resolved, as before
    assert isinstance(stands, Path) and stands == demo_survey / "inputs" / "stands.gpkg"


def test_a_vector_layer_at_a_url_is_refused_in_one_line(demo_survey, tmp_path):
    path = demo_config(demo_survey, tmp_path, mangroves={"path": "https://data.example.org/mangroves.gpkg"})
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: 'mangroves' is read from a local file, not a URL "
                                        "(https://data.example.org/mangroves.gpkg). Copy the file")


@pytest.mark.parametrize("prefix, query", [("", "?token=abc"), ("/vsicurl/", "")])
def test_a_url_streamed_once_has_the_local_files_digest(demo_survey, served, prefix, query):
    local = demo_survey / "inputs" / "landcover.tif"
    found = digest_url(f"{prefix}{served}/landcover.tif{query}")
    assert found == digest(local)
    assert (found.size_bytes, found.sha256) == (local.stat().st_size, sha256(local))


def test_a_url_that_cannot_be_opened_names_the_map_and_what_to_check(served):
    with pytest.raises(InputError) as caught:
        LandCover.open(f"/vsicurl/{served}/lc_2019.tif", "worldcover", year=2019)
    assert str(caught.value).startswith(f"/vsicurl/{served}/lc_2019.tif: the landcover_previous map cannot be "
                                        "opened as a raster over the network (HTTP response code: 404). Check the URL")
    with pytest.raises(InputError, match="the landcover map cannot be downloaded to record its SHA-256 "
                                         r"\(HTTP Error 404: Not Found\)"):
        digest_url(f"{served}/lc_2019.tif", what="the landcover map")
    with LandCover.open(f"{served}/landcover.tif?token=abc", "worldcover") as landcover:  # the text kept
        assert landcover.path == f"{served}/landcover.tif?token=abc" and landcover.name == "landcover.tif"


def test_a_survey_with_a_missing_url_writes_nothing(demo_survey, served, tmp_path):
    config = remote_config(demo_survey, tmp_path, f"{served}/lc_2025.tif", f"{served}/landcover_2020.tif")
    result = CliRunner().invoke(cli, ["survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"sinkmap: error: {served}/lc_2025.tif: the landcover map cannot be opened as a raster over the network "
        "(HTTP response code: 404)"), result.output
    assert not (tmp_path / "out").exists()


def test_an_s3_map_is_recorded_without_sha256_and_compared_with(demo_survey, tmp_path):
    """No network: s3:// is not streamed. The record names it, sha256 and size null and why; the report's
    provenance lines say "(not hashed)"; a later survey reads it back and compares with it."""
    config = load_config(remote_config(demo_survey, tmp_path, str(demo_survey / "inputs" / "landcover.tif"),
                                       "/vsis3/bucket/lc/landcover_2020.tif?v=2"))
    record = survey_provenance(config, Command(config.source), tmp_path / "out")
    assert record["inputs"]["landcover_previous"] == {
        "path": "/vsis3/bucket/lc/landcover_2020.tif?…", "size_bytes": None, "sha256": None,
        "not_hashed": NOT_HASHED, "preset": "worldcover", "year": 2020}
    assert record["inputs"]["landcover"]["sha256"] == sha256(demo_survey / "inputs" / "landcover.tif")
    inputs = dict(report_lines(record))["输入 Inputs"]
    assert "/vsis3/bucket/lc/landcover_2020.tif?… (not hashed)" in inputs
    assert f"landcover.tif {record['inputs']['landcover']['sha256'][:12]}" in inputs
    earlier = tmp_path / "2024"
    earlier.mkdir()
    shutil.copy(demo_survey / "indicators.csv", earlier)
    (earlier / "provenance.json").write_text(provenance_json({**record, "survey_year": 2024}), encoding="utf-8")
    previous = read_previous_survey(earlier, 2025)
    assert previous.provenance["inputs"]["landcover_previous"]["sha256"] is None
    now = json.loads((demo_survey / "provenance.json").read_text(encoding="utf-8"))
    assert definition_changes(previous.provenance, now) == []  # same version, tables and CRS: comparable


@pytest.mark.slow
def test_a_survey_of_maps_over_http_gives_the_local_surveys_tables(demo_survey, served, tmp_path):
    """The demo's survey, its maps read over HTTP (one with a query string, one through /vsicurl/): the same
    indicators.csv, byte for byte, as the demo's from the local files; provenance.json records each URL with
    the local file's size and SHA-256, and the notes name the file."""
    config = remote_config(demo_survey, tmp_path, f"{served}/landcover.tif?token=abc",
                           f"/vsicurl/{served}/landcover_2020.tif")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["survey", "--config", str(config), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    for name in ("indicators.csv", "trajectory.csv", "redline_landcover.csv"):
        assert (out / name).read_bytes() == (demo_survey / name).read_bytes(), name
    record = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    local = json.loads((demo_survey / "provenance.json").read_text(encoding="utf-8"))
    for kind, url in (("landcover", f"{served}/landcover.tif?…"),  # the token is not recorded
                      ("landcover_previous", f"/vsicurl/{served}/landcover_2020.tif")):
        assert record["inputs"][kind] == {**local["inputs"][kind], "path": url}
    assert "token=abc" not in (out / "provenance.json").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "landcover.tif (worldcover preset" in html and "token=abc" not in html  # nor shown


@pytest.mark.parametrize("source, shown", [
    ("https://user:secret@data.example.org/cog/lc.tif?X-Amz-Signature=abc#f", "https://data.example.org/cog/lc.tif?…"),
    ("/vsicurl/https://data.example.org/lc.tif", "/vsicurl/https://data.example.org/lc.tif"),
    ("/vsis3/bucket/lc.tif?token=1", "/vsis3/bucket/lc.tif?…"),
    ("s3://bucket/dir//lc.tif", "s3://bucket/dir//lc.tif"),
])
def test_a_url_is_recorded_without_its_query_string_or_password(source, shown):
    """A presigned link's signature or a token in the query string, or a password in the URL, would end up in
    provenance.json, the report and the workbook: they are recorded as "?…" and left out."""
    from sinkmap.readers.tiles import recorded_url

    assert recorded_url(source) == shown
