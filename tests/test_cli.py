"""The command line: one clear line and exit code 2 for a user's mistake, never a traceback."""

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from sinkmap import __version__
from sinkmap.cli import cli
from sinkmap.config import load_config, same_year_stands
from sinkmap.crs import AREA_CRS
from sinkmap.errors import OutputError


def run(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sinkmap", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def assert_one_line_error(result, pattern):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("sinkmap: error: ")
    assert pattern in lines[0], lines[0]


def test_version_and_help():
    assert run("--version").stdout.strip() == f"sinkmap, version {__version__}"
    assert "survey" in run("--help").stdout


def test_missing_configuration(tmp_path):
    result = run("survey", "--config", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "out"))
    assert_one_line_error(result, "none.yaml: survey configuration not found")
    assert not (tmp_path / "out").exists()


def test_config_and_demo_are_exclusive(tmp_path):
    assert_one_line_error(run("survey", "-o", str(tmp_path)), "give exactly one of --config FILE or --demo")


def test_bad_preset_names_the_config_file_and_choices(tmp_path, lc4x4):
    (tmp_path / "s.gpkg").write_bytes(b"")
    config = tmp_path / "survey.yaml"
    config.write_text(yaml.safe_dump({"survey_year": 2025, "landcover": {"path": str(lc4x4), "preset": "esa"},
                                      "stands": {"path": "s.gpkg"}}))
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"))
    assert_one_line_error(result, "survey.yaml: landcover preset 'esa' is not known")
    assert "clcd" in result.stderr


def demo_config(demo_survey, tmp_path, **changes) -> Path:
    """The demo's survey.yaml with absolute paths and ``changes`` (None drops a key), written into ``tmp_path``."""
    inputs = demo_survey / "inputs"
    config = yaml.safe_load((inputs / "survey.yaml").read_text(encoding="utf-8"))
    for item in config.values():
        if isinstance(item, dict) and "path" in item:
            item["path"] = str(inputs / item["path"])
    config.update(changes)
    config = {k: v for k, v in config.items() if v is not None}
    path = tmp_path / "survey.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def test_bad_stand_layer_fails_before_any_output(demo_survey, tmp_path):
    config = demo_config(demo_survey, tmp_path, stands={"path": str(demo_survey / "inputs" / "mangroves.gpkg")})
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert_one_line_error(result, "mangroves.gpkg field 'stand_id': required field is missing")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("field, bad, message", [
    ("volume_per_ha", 1200.0, "field 'volume_per_ha': values outside 0–1000 m³/ha: {id}=1200.0"),
    ("volume_per_ha", -5.0, "field 'volume_per_ha': values outside 0–1000 m³/ha: {id}=-5.0"),
    ("canopy_closure", 1.3, "field 'canopy_closure': values outside 0–1: {id}=1.3"),
    ("species_group", "teak", "field 'species_group': values not allowed: 'teak' (1 stand: {id})"),
])  # fmt: skip
def test_bad_stand_values_name_the_stand_and_write_nothing(demo_survey, tmp_path, field, bad, message):
    stands = gpd.read_file(demo_survey / "inputs" / "stands.gpkg")
    stands.loc[7, field] = bad
    stands.to_file(tmp_path / "小班.gpkg", layer="stands")
    config = demo_config(demo_survey, tmp_path, stands={"path": str(tmp_path / "小班.gpkg")})
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert_one_line_error(result, message.format(id=stands.loc[7, "stand_id"]))
    assert "小班.gpkg" in result.stderr and not (tmp_path / "out").exists()


def test_bad_scenario_row_fails_before_any_output(demo_survey, tmp_path):
    (tmp_path / "scenario.csv").write_text("county,activity,year_from,year_to,area_ha\n海丰县,造林,2028,2026,100\n",
                                           encoding="utf-8")
    config = demo_config(demo_survey, tmp_path, scenario={"path": str(tmp_path / "scenario.csv")})
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert_one_line_error(result, "scenario.csv field 'year_from': year_from is after year_to (rows 2). Swap them.")
    assert not (tmp_path / "out").exists()


def test_previous_survey_needs_an_earlier_year(demo_survey, tmp_path):
    earlier = {"path": str(demo_survey / "inputs" / "stands_2020.gpkg"), "year": 2025}
    config = demo_config(demo_survey, tmp_path, stands_previous=earlier)
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert_one_line_error(result, "stands_previous.year (2025) must be before survey_year (2025)")
    ledger = {"path": str(demo_survey / "inputs" / "redlines_2022.parquet")}  # no year
    config = demo_config(demo_survey, tmp_path, redlines_previous=ledger)
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert_one_line_error(result, "'redlines_previous' needs the year of that survey, not None")
    config = demo_config(demo_survey, tmp_path, redlines_previous={**ledger, "year": 2022}, redlines=None,
                         landcover_previous=None)
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert_one_line_error(result, "'redlines_previous' is given without 'redlines'. Add this year's redlines layer")
    map_2019 = {"path": str(demo_survey / "inputs" / "landcover_2020.tif"), "year": 2019, "preset": "worldcover"}
    config = demo_config(demo_survey, tmp_path, redlines_previous=None, redlines=None, landcover_previous=map_2019)
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert_one_line_error(result, "'landcover_previous' is given without 'redlines'. Add this year's redlines layer, "
                                  "which landcover_previous needs, or stands_previous of the map's year")
    # a map of the earlier stand survey's year serves that survey, redlines or not
    config = load_config(demo_config(demo_survey, tmp_path, redlines_previous=None, redlines=None))
    assert same_year_stands(config.inputs) and config.inputs["landcover_previous"].year == 2020
    earlier = {"path": str(demo_survey / "inputs" / "landcover_2020.tif"), "year": 2020, "preset": "clc"}
    config = demo_config(demo_survey, tmp_path, landcover_previous=earlier)
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert_one_line_error(result, "landcover_previous preset 'clc' is not known")


def test_failure_while_writing_leaves_no_partial_outputs(demo_survey, tmp_path, monkeypatch):
    import sinkmap.writers.report as report

    def no_font():
        raise OutputError("no CJK font for the PDF report", fix="run tools/sysdeps.sh pdf")

    monkeypatch.setattr(report, "find_cjk_font", no_font)
    out = tmp_path / "out"
    out.mkdir()
    (out / "indicators.csv").write_text("from an earlier run")
    result = CliRunner().invoke(cli, ["survey", "--config", str(demo_survey / "inputs" / "survey.yaml"),
                                      "-o", str(out), "-q"])
    assert result.exit_code == 2
    assert "no CJK font for the PDF report" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["indicators.csv"]  # nothing new, nothing half-written
    assert (out / "indicators.csv").read_text() == "from an earlier run"


def test_validate_command(demo_survey):
    result = run("validate", str(demo_survey / "inputs" / "survey.yaml"))
    assert result.returncode == 0, result.stderr
    assert "stands:" in result.stdout and "features OK" in result.stdout
    assert "stands_previous:" in result.stdout and "scenario: 6 rows OK" in result.stdout
    assert "landcover_previous: OK" in result.stdout and "preset worldcover" in result.stdout


@pytest.mark.parametrize("args", [["catalogue"]])
def test_catalogue_command_prints_the_docs(args):
    result = run(*args)
    assert result.returncode == 0 and result.stdout.startswith("# Layer catalogue")


def test_ledger_command_matches_the_survey_and_strict_fails_on_lost_area(demo_survey, tmp_path):
    inputs = demo_survey / "inputs"
    now, before = inputs / "redlines.parquet", inputs / "redlines_2022.parquet"
    maps = ["--landcover", str(inputs / "landcover.tif"), "--landcover-previous", str(inputs / "landcover_2020.tif")]
    result = run("ledger", str(now), "--previous", str(before), *maps, "-o", str(tmp_path / "out"), "--strict")
    assert result.returncode == 1, result.stderr  # 海丰县 lost area: --strict fails the run
    assert "海丰县 441521 land: 23,594.37 ha (-68.75 ha) 面积减少 area reduced" in result.stdout
    assert "陆丰市 441581 land: land cover inside the redlines: forest -62.50 ha" in result.stdout
    for name in ("redline_ledger.csv", "redline_change.csv", "redline_features_changed.csv",
                 "redline_landcover.csv", "redline_landcover_check.csv"):  # as the survey's
        ours = pd.read_csv(tmp_path / "out" / name, encoding="utf-8-sig", keep_default_na=False)
        survey = pd.read_csv(demo_survey / name, encoding="utf-8-sig", keep_default_na=False)
        pd.testing.assert_frame_equal(ours, survey)
    same = run("ledger", str(now), "--previous", str(now), "-o", str(tmp_path / "same"), "--strict")
    assert same.returncode == 0 and "0 redlines changed" in same.stdout
    assert_one_line_error(run("ledger", str(tmp_path / "none.gpkg"), "-o", str(tmp_path / "x")), "file not found")
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())


def test_ledger_command_cuts_a_redline_without_county_code_at_the_county_line(tmp_path):
    """A 4 km square straddling the 海丰县 / 陆河县 line, with no county code: each county's ledger row
    holds the part inside its boundary, as geopandas' own overlay measures it in the equal-area CRS."""
    import shapely

    from sinkmap import aoi
    from sinkmap.crs import AREA_CRS, STORAGE_CRS

    counties = aoi.load_counties().to_crs(AREA_CRS).set_index("adcode")
    line = shapely.intersection(counties.geometry["441521"].boundary, counties.geometry["441523"].boundary)
    centre = shapely.line_interpolate_point(shapely.line_merge(line), 0.5, normalized=True)
    square = gpd.GeoDataFrame({"redline_id": ["HX-1"], "function_type": ["water_conservation"], "realm": ["land"]},
                              geometry=[centre.buffer(2_000, cap_style="square")], crs=AREA_CRS)
    path = tmp_path / "红线.gpkg"
    square.to_crs(STORAGE_CRS).to_file(path)
    result = run("ledger", str(path), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(tmp_path / "out" / "redline_ledger.csv", encoding="utf-8-sig", dtype={"county": str})
    read_back = gpd.read_file(path).to_crs(AREA_CRS)  # as stored (float coordinates in degrees)
    peer = gpd.overlay(read_back, counties.reset_index()[["adcode", "geometry"]], how="intersection")
    expected = (peer.set_index("adcode").area / 1e4).to_dict()
    assert set(expected) == {"441521", "441523"} and min(expected.values()) > 100  # both sides hold > 100 ha
    assert table.set_index("county")["area_ha"].to_dict() == pytest.approx(expected, rel=1e-9)
    assert table["redlines"].tolist() == [1, 1] and sum(expected.values()) == pytest.approx(1_600, rel=1e-6)


def test_first_year_survey_without_earlier_inputs(demo_survey, tmp_path):
    """A bureau's first survey: land cover, stands and redlines, nothing earlier. It crashed in the
    redline popups (a NaN forest-check flag joined as text) and left an empty output folder."""
    config = demo_config(demo_survey, tmp_path, stands_previous=None, redlines_previous=None,
                         landcover_previous=None)
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr
    forest = pd.read_csv(tmp_path / "out" / "redline_forest.csv", encoding="utf-8-sig", keep_default_na=False)
    assert len(forest) > 0 and (forest["flag"] == "").all() and (forest["previous_stock_m3"] == "").all()


def test_unwritable_output_folder_fails_before_the_work(demo_survey, tmp_path):
    # /sys is read-only even for root: the staging folder cannot be made there
    result = run("survey", "--config", str(demo_config(demo_survey, tmp_path)), "-o", "/sys/kernel", "-q")
    assert_one_line_error(result, "/sys/kernel: cannot write in /sys/kernel")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    result = run("carbon", str(demo_survey / "inputs" / "landcover.tif"), "--pools", "p.csv", "-o",
                 str(blocker / "out"))
    assert_one_line_error(result, f"{blocker} is a file, not a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "survey.yaml"]  # nothing left behind


def test_truncated_geotiff_is_one_line(tmp_path, two_squares):
    import rasterio

    path = tmp_path / "cut.tif"
    data = np.random.default_rng(1).integers(1, 200, size=(512, 512), dtype="uint8")
    with rasterio.open(path, "w", driver="GTiff", width=512, height=512, count=1, dtype="uint8", crs=AREA_CRS,
                       transform=rasterio.transform.from_origin(0, 512 * 30, 30, 30), tiled=True, blockxsize=256,
                       blockysize=256, compress="deflate") as dst:
        dst.write(data, 1)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a download cut half-way
    zones = tmp_path / "zones.gpkg"
    two_squares.to_file(zones)
    result = run("zonal", str(path), str(zones), "--categorical", "-o", str(tmp_path / "t.csv"), "-q")
    assert_one_line_error(result, "cut.tif: cannot be read at rows")
    assert "damaged or truncated" in result.stderr
    assert not (tmp_path / "t.csv").exists()
