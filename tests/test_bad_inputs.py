"""Broken and awkward inputs as bureaus deliver them (``tests/bad_inputs/build.py``): each is refused
with exit code 2 and one ``sinkmap: error:`` line naming the file or field and the problem, or runs
with its warning or note; never a traceback, never a partial output, never a modified input.

Run in-process (click's CliRunner): a refused run stops in validation, so a subprocess would cost more
than the run. Each case folder is built once per session, from the demo survey's inputs.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sinkmap.cli import cli
from tests.bad_inputs.build import CASES, Case, build_case, stand_ids

CITY = "441500"
COUNTIES = ("441502", "441521", "441523", "441581")
LANDCOVER_INDICATORS = ("forest_cover", "forest_area", "forest_cover_landcover", "forest_area_landcover")
DEBRIS = re.compile(r"^\.sinkmap-|^\..+\.\d+-[0-9a-f]{8}-.*\.tmp")  # staging/probe folders, atomic temporaries


@pytest.fixture(scope="session")
def built(demo_survey, tmp_path_factory):
    """Build a case folder from the demo's inputs, once per session; returns (folder, stand ids)."""
    inputs = demo_survey / "inputs"
    root = tmp_path_factory.mktemp("bad_inputs")
    folders: dict[str, Path] = {}
    ids = stand_ids(inputs)

    def build(case: Case) -> tuple[Path, dict[str, str]]:
        if case.name not in folders:
            folders[case.name] = build_case(case, inputs, root / case.name)
        return folders[case.name], ids

    return build


def snapshot(folder: Path, skip: Path | None = None) -> dict[str, str]:
    """sha256 of every file under ``folder`` (hidden ones too), by relative path; ``skip``: a folder left out."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*")) if skip is None or not p.is_relative_to(skip)}


def debris(folder: Path) -> list[str]:
    """Leftovers of a run (staging and probe folders, atomic temporaries, the lock file) under ``folder``."""
    return [str(p) for p in folder.rglob("*") if DEBRIS.match(p.name) or p.name == ".sinkmap.lock"]


def table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"adcode": str}, keep_default_na=False,
                       na_values={"value": [""], "gap_2025": [""], "reach_2025": [""]})


def value(frame: pd.DataFrame, adcode: str, indicator: str, column: str = "value"):
    return frame.loc[(frame["adcode"] == adcode) & (frame["indicator"] == indicator), column].iloc[0]


def all_nodata_landcover(out: Path, demo: Path) -> None:
    """No county holds a valid cell: every land-cover indicator has no value, only a note, in every unit,
    and the city none either; what rests on the stands or the AOI alone is still there, as in the demo."""
    ours, full = table(out / "indicators.csv"), table(demo / "indicators.csv")
    for indicator in LANDCOVER_INDICATORS:
        for adcode in COUNTIES:
            assert np.isnan(value(ours, adcode, indicator)), (adcode, indicator)
            assert value(ours, adcode, indicator, "note") == "not covered: no data of landcover.tif in it"
        assert np.isnan(value(ours, CITY, indicator)) and np.isnan(value(ours, CITY, indicator, "gap_2025"))
        assert value(ours, CITY, indicator, "note") == ("not covered: landcover.tif does not cover 城区, 海丰县, "
                                                       "陆河县, 陆丰市")
    for adcode in (CITY, *COUNTIES):
        for indicator in ("land_area", "stock_volume"):
            assert value(ours, adcode, indicator) == pytest.approx(value(full, adcode, indicator), rel=1e-9)
            assert value(ours, adcode, indicator, "note") == ""


def landcover_of_one_county(out: Path, demo: Path) -> None:
    """城区's own map: 城区 gets its figures (the demo's, where they rest on the map and stands alone);
    the neighbours and the city get no value, only notes naming the map and how much of them it covers."""
    ours, full = table(out / "indicators.csv"), table(demo / "indicators.csv")
    for indicator in ("forest_cover_landcover", "forest_area_landcover", "stock_volume"):
        assert value(ours, "441502", indicator) == pytest.approx(value(full, "441502", indicator), rel=1e-9)
    for indicator in LANDCOVER_INDICATORS:
        assert value(ours, "441502", indicator, "note") == "" and not np.isnan(value(ours, "441502", indicator))
        assert re.fullmatch(r"not covered: lc_城区\.tif covers \d+\.\d % of its land \(< 99 %\)",
                            value(ours, "441521", indicator, "note"))
        assert value(ours, "441523", indicator, "note") == "not covered: no data of lc_城区.tif in it"
        for adcode in ("441521", "441523", "441581", CITY):
            assert np.isnan(value(ours, adcode, indicator)), (adcode, indicator)
        assert value(ours, CITY, indicator, "note") == "not covered: lc_城区.tif does not cover 海丰县, 陆河县, 陆丰市"


CHECKS = {"all_nodata_landcover": all_nodata_landcover, "landcover_of_one_county": landcover_of_one_county}


def params():
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        if case.command == "survey" and case.exit_code == 0:
            marks.append(pytest.mark.slow)
        yield pytest.param(case, id=case.name, marks=marks)


def test_the_corpus_is_large_and_named_once():
    assert len(CASES) >= 40 and len({case.name for case in CASES}) == len(CASES)
    full_runs = [c.name for c in CASES if c.command == "survey" and c.exit_code == 0]
    assert len(full_runs) <= 3, full_runs  # each costs a whole survey


@pytest.mark.parametrize("case", list(params()))
def test_bad_input(case: Case, built, demo_survey):
    folder, ids = built(case)
    out = Path(case.out) if Path(case.out).is_absolute() else folder / case.out
    before = snapshot(folder)
    config = str(folder / "survey.yaml")
    args = ["validate", config] if case.command == "validate" else ["survey", "-c", config, "-o", str(out), "-q"]
    result = CliRunner().invoke(cli, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):  # in-process: no stderr trace
        pytest.fail("Traceback: " + "".join(traceback.format_exception(result.exception))[-2000:])
    assert "Traceback" not in result.stderr + result.stdout
    message = case.message.format(**ids)
    assert result.exit_code == case.exit_code, result.stderr

    if case.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("sinkmap: error: "), result.stderr
        assert message in lines[0], lines[0]
        assert snapshot(folder) == before  # inputs unchanged, no output folder or nothing new in it
    else:
        assert "sinkmap: error:" not in result.stderr
        shown = {"stderr": result.stderr, "stdout": result.stdout}
        assert message in (shown[case.where] if case.where in shown else (folder / case.where).read_text("utf-8-sig"))
        outputs = out if case.command == "survey" else None
        assert snapshot(folder, skip=outputs) == before  # inputs unchanged (validate writes nothing at all)
        if outputs is not None:
            assert (out / "indicators.csv").is_file() and (out / "report.pdf").is_file()
            CHECKS[case.name](out, demo_survey)
    assert debris(folder) == []
