"""The command line: one clear line and exit code 2 for a user's mistake, never a traceback."""

import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from sinkmap import __version__
from sinkmap.cli import cli
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


def test_bad_stand_layer_fails_before_any_output(demo_survey, tmp_path):
    inputs = demo_survey / "inputs"
    config = yaml.safe_load((inputs / "survey.yaml").read_text(encoding="utf-8"))
    for kind in ("landcover", "stands", "mangroves", "shelterbelts", "redlines"):
        config[kind]["path"] = str(inputs / config[kind]["path"])
    config["stands"] = {"path": str(inputs / "mangroves.gpkg")}  # wrong layer kind: no land_class field
    (tmp_path / "survey.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = run("survey", "--config", str(tmp_path / "survey.yaml"), "-o", str(tmp_path / "out"), "-q")
    assert_one_line_error(result, "mangroves.gpkg field 'stand_id': required field is missing")
    assert not (tmp_path / "out").exists()


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


@pytest.mark.parametrize("args", [["catalogue"]])
def test_catalogue_command_prints_the_docs(args):
    result = run(*args)
    assert result.returncode == 0 and result.stdout.startswith("# Layer catalogue")
