"""Progress display (sinkmap/progress.py): step lines, and the tasks within a step on a terminal and in a log,
driven by a fake clock; ``sinkmap zonal`` on a forced terminal shows its percentage."""

import io
import re

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import box

from sinkmap import progress as progress_module
from sinkmap.cli import cli
from sinkmap.crs import AREA_CRS
from sinkmap.progress import CLEAR, Progress, end_line, remaining, task_status
from tests.conftest import write_raster


class Clock:
    """Seconds set by the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def display(live: bool, **kwargs) -> tuple[Progress, io.StringIO, Clock]:
    stream, clock = io.StringIO(), Clock()
    return Progress(stream=stream, live=live, clock=clock, **kwargs), stream, clock


def test_time_left_at_the_pace_so_far():
    # 25 of 100 tasks in 10 s: 0.4 s a task, 75 to go → 30 s
    assert task_status(25, 100, 10 / 25) == "25 % (25/100 tasks, ~30 s left)"
    # 1,520 of 4,096 in 12.4 s: 12.4 · 2,576 / 1,520 = 21.0 s
    assert task_status(1520, 4096, 12.4 / 1520) == "37 % (1,520/4,096 tasks, ~21 s left)"
    assert task_status(3, 4096) == "0 % (3/4,096 tasks)"  # no pace yet: no time left shown
    assert task_status(4096, 4096, 0.01) == "100 % (4,096/4,096 tasks)"  # done
    assert task_status(10, 40, 1.0, pass_number=2) == "pass 2: 25 % (10/40 tasks, ~30 s left)"
    assert [remaining(s) for s in (0.3, 95, 150, 5400, 7200)] == ["~1 s", "~95 s", "~2 min", "~90 min", "~2.0 h"]


def test_terminal_line_redrawn_in_place_after_two_seconds(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    progress, stream, clock = display(live=True, total=9)
    progress.count = 3
    with progress.step("forest patches"):
        clock.now = 1.0
        progress.tasks(5, 100)  # before 2 s: nothing shown; the pace is timed from here
        assert stream.getvalue() == "[4/9] forest patches …"
        clock.now = 9.0
        progress.tasks(25, 100)  # 20 tasks in 8 s: 0.4 s a task, 75 to go → 30 s
        clock.now = 9.1
        progress.tasks(26, 100)  # 0.1 s after the last drawing: not drawn
        clock.now = 9.3
        progress.tasks(30, 100)  # 25 tasks in 8.3 s, 70 to go: 70 · 8.3 / 25 = 23.2 s
        clock.now = 12.0
    assert stream.getvalue() == ("[4/9] forest patches …"
                                 f"\r[4/9] forest patches … 25 % (25/100 tasks, ~30 s left){CLEAR}"
                                 f"\r[4/9] forest patches … 30 % (30/100 tasks, ~23 s left){CLEAR}"
                                 f"\r[4/9] forest patches … 12.0 s{CLEAR}\n")
    assert progress.timings == [("forest patches", 12.0)]


def test_each_pass_of_a_step_has_its_own_pace(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    progress, stream, clock = display(live=True)
    with progress.step("redlines"):
        for now, done, total in ((4.0, 4, 10), (10.0, 10, 10), (20.0, 10, 40), (25.0, 20, 40)):
            clock.now = now
            progress.tasks(done, total)
    # the second pass, from its first report at 20 s: 10 tasks in 5 s, 20 to go → 10 s
    assert stream.getvalue().split("\r")[-3:] == [f"redlines … pass 2: 25 % (10/40 tasks){CLEAR}",
                                                  f"redlines … pass 2: 50 % (20/40 tasks, ~10 s left){CLEAR}",
                                                  f"redlines … 25.0 s{CLEAR}\n"]


def test_a_long_line_is_cut_to_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    progress, stream, clock = display(live=True)
    with progress.step("land-cover class areas per county (zonal statistics)"):
        clock.now = 3.0
        progress.tasks(1, 4)
        drawn = stream.getvalue().split("\r")[1].removesuffix(CLEAR)
    # 39 columns: the status's 16, a space, and 22 for the label cut to 21 and "…"
    assert drawn == "land-cover class area… 25 % (1/4 tasks)" and len(drawn) == 39


def test_a_log_gets_the_step_lines_and_a_percentage_a_minute():
    progress, stream, clock = display(live=False, total=2)
    with progress.step("short"):
        clock.now = 30.0
        progress.tasks(50, 100)
    with progress.step("long"):
        for now, done in ((31.0, 1), (59.0, 40), (91.0, 41), (100.0, 80), (152.0, 100)):
            clock.now = now
            progress.tasks(done, 100)
        clock.now = 182.0
    # a note once a minute from the step's start (t = 30): at 91 s (41 %) and 152 s (100 %)
    assert stream.getvalue() == "[1/2] short … 30.0 s\n[2/2] long … 41 % 100 % 152.0 s\n"


def test_lazy_step_unseen_when_short_and_quiet_is_silent(monkeypatch):
    progress, stream, clock = display(live=True)
    with progress.step("zonal statistics", lazy=True):
        clock.now = 1.0
        progress.tasks(3, 3)
    assert stream.getvalue() == ""  # done within 2 s: no line at all
    quiet, stream, clock = display(live=True, enabled=False)
    with quiet.step("zonal statistics"):
        clock.now = 30.0
        quiet.tasks(1, 3)
    assert stream.getvalue() == "" and quiet.timings == [("zonal statistics", 30.0)]


def test_a_warning_ends_the_open_line_and_the_time_follows_on_its_own(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    progress, stream, clock = display(live=True)
    with progress.step("zonal statistics", lazy=True):
        clock.now = 3.0
        progress.tasks(1, 2)
        end_line()
        stream.write("sinkmap: warning: 1 zones lie outside the raster\n")
        clock.now = 4.0
    assert stream.getvalue() == (f"\rzonal statistics … 50 % (1/2 tasks){CLEAR}\n"
                                 "sinkmap: warning: 1 zones lie outside the raster\n"
                                 "zonal statistics … 4.0 s\n")
    end_line()  # no line open: nothing
    assert stream.getvalue().endswith("4.0 s\n")


@pytest.mark.parametrize("terminal", [True, False])
def test_cli_zonal_shows_the_percentage_on_a_terminal_only(tmp_path, monkeypatch, terminal):
    monkeypatch.setattr(progress_module, "is_terminal", lambda stream: terminal)
    monkeypatch.setattr(progress_module, "DELAY_S", 0.0)  # a small job: show its tasks from the start
    monkeypatch.setattr(progress_module, "REFRESH_S", 0.0)
    monkeypatch.setenv("COLUMNS", "200")
    # 4,000 × 4,000 cells of 30 m; four zones of 100 × 100 cells on the diagonal, 1,200 cells apart: any two
    # share a window of over 1,300² cells, more than one read's million, so each zone is a task of its own
    raster = write_raster(tmp_path / "lc.tif", np.full((4000, 4000), 10, dtype="uint8"),
                          transform=from_origin(0, 120_000, 30, 30))
    zones = gpd.GeoDataFrame({"id": range(4)}, crs=AREA_CRS,
                             geometry=[box(i * 36_000, 117_000 - i * 36_000, i * 36_000 + 3000, 120_000 - i * 36_000)
                                       for i in range(4)])
    zones.to_file(tmp_path / "zones.gpkg")
    result = CliRunner().invoke(cli, ["zonal", str(raster), str(tmp_path / "zones.gpkg"), "--zone-field", "id",
                                      "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    shown = re.findall(r"\rzonal statistics … (\d+) % \((\d)/(\d) tasks", result.stderr)
    if terminal:  # 4 tasks, each drawn: 25, 50, 75, 100 %; then the time replaces the status
        assert shown == [("25", "1", "4"), ("50", "2", "4"), ("75", "3", "4"), ("100", "4", "4")]
        assert re.search(rf"\rzonal statistics … \d+\.\d s{re.escape(CLEAR)}\nwrote 4 rows", result.stderr)
    else:  # a log: no percentage before a minute has passed, and so no line either
        assert shown == [] and result.stderr == f"wrote 4 rows to {tmp_path / 'out.csv'}\n"
    quiet = CliRunner().invoke(cli, ["zonal", str(raster), str(tmp_path / "zones.gpkg"), "-q",
                                     "-o", str(tmp_path / "out.csv")])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_the_land_cover_passes_report_their_tasks(tmp_path):
    """The survey's steps see the zonal passes' tasks through the LandCover they read (read_inputs hands it
    the display's ``tasks``)."""
    from sinkmap.zonal.landcover import LandCover
    from tests.test_landcover_input import LC3X3, ZONES

    reports = []
    with LandCover.open(write_raster(tmp_path / "lc.tif", LC3X3), "worldcover",
                        progress=lambda done, total: reports.append((done, total))) as landcover:
        landcover.class_areas_centre(ZONES, "id")
        landcover.class_areas_fraction(ZONES, "id")
    assert reports == [(1, 1), (1, 1)]  # two small zones: one task a pass


def test_cli_carbon_shows_each_step_with_its_tasks(tmp_path, monkeypatch):
    """``sinkmap carbon`` on a terminal: its three steps (four with zones) each with their tasks. 2,500 × 2,000
    cells of class 10: the codes are read in strips of ≤ 1,000,000 cells (500 rows of 2,000: 2,500 / 500 = 5
    strips), the class areas in the same strips (one large zone: 5 tasks), the density map in 256² blocks
    (⌈2,000 / 256⌉ × ⌈2,500 / 256⌉ = 8 × 10 = 80)."""
    monkeypatch.setattr(progress_module, "is_terminal", lambda stream: True)
    monkeypatch.setattr(progress_module, "DELAY_S", 0.0)
    monkeypatch.setattr(progress_module, "REFRESH_S", 0.0)
    monkeypatch.setenv("COLUMNS", "200")
    raster = write_raster(tmp_path / "lc.tif", np.full((2500, 2000), 10, dtype="uint8"),
                          transform=from_origin(0, 75_000, 30, 30))
    (tmp_path / "pools.csv").write_text("lucode,c_above,c_below,c_soil,c_dead\n10,50,10,60,2\n")
    result = CliRunner().invoke(cli, ["carbon", str(raster), "--pools", str(tmp_path / "pools.csv"),
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    last = {step: re.findall(rf"\r\[\d/3\] {re.escape(step)} … \d+ % \((\d+/\d+) tasks", result.stderr)[-1]
            for step in ("land-cover codes against pools.csv", "class areas (zonal statistics)", "carbon density map")}
    assert last == {"land-cover codes against pools.csv": "5/5", "class areas (zonal statistics)": "5/5",
                    "carbon density map": "80/80"}
    assert result.stderr.endswith(f"wrote carbon_total.tif, carbon_summary.csv to {tmp_path / 'out'}\n")
