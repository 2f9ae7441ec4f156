"""Runs that die, overlap or repeat: what a killed run left is removed by the next one, one run at a
time per output folder, all outputs or none after kill -9, and byte-identical reruns."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from sinkmap.errors import OutputError
from sinkmap.pipelines.carbon import run_carbon
from sinkmap.survey import OUTPUTS
from sinkmap.writers.atomic import write_text_atomic
from sinkmap.writers.debris import STALE_AFTER_S, host_tag
from sinkmap.writers.lock import LOCK_NAME
from sinkmap.writers.staging import claimed_output_folder, staged_folder

# Mg C/ha for the 4×4 land cover's classes (10 tree, 20 shrub, 40 crop, 95 mangrove)
POOLS = "lucode,c_above,c_below,c_soil,c_dead\n10,50,10,60,1\n20,5,1,20,0\n40,2,1,30,0\n95,100,30,400,5\n"
CARBON_TOTAL = 0.36 * 121 + 0.36 * 26 + 0.36 * 33 + 0.18 * 535  # Mg C: 4, 4, 4 and 2 cells of 0.09 ha
CARBON_OUTPUTS = {"carbon_total.tif", "carbon_summary.csv"}


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def start():
    """Start ``python -m sinkmap ARGS`` (stderr piped); whatever still runs at the end is killed."""
    started = []

    def start(*args: str) -> subprocess.Popen:
        started.append(subprocess.Popen([sys.executable, "-m", "sinkmap", *args], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for_text(process: subprocess.Popen, text: str, timeout: float = 120) -> None:
    """Read ``process``'s stderr until ``text`` appears (a progress line)."""
    seen, deadline = b"", time.monotonic() + timeout
    while text.encode() not in seen:
        ready, _, _ = select.select([process.stderr], [], [], max(deadline - time.monotonic(), 0))
        chunk = os.read(process.stderr.fileno(), 4096) if ready else b""
        assert chunk, f"{text!r} never came: {seen.decode(errors='replace')}"
        seen += chunk


def wait_for_file(folder: Path, pattern: str, timeout: float = 120) -> None:
    """Poll until a file matching ``pattern`` (a glob below ``folder``) exists."""
    deadline = time.monotonic() + timeout
    while not any(folder.glob(pattern)):
        assert time.monotonic() < deadline, f"no {pattern} in {folder}"
        time.sleep(0.02)


def kill(process: subprocess.Popen) -> None:
    assert process.poll() is None, "the run ended before it was killed"
    process.kill()  # SIGKILL: no cleanup of any kind
    process.wait()


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every visible file below ``folder``: relative path → (inode, bytes)."""
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.read_bytes()) for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def hidden(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name.startswith(".")}


@pytest.fixture
def pools(tmp_path) -> Path:
    path = tmp_path / "pools.csv"
    path.write_text(POOLS)
    return path


def test_leftovers_of_dead_runs_are_removed_and_a_live_runs_kept(tmp_path, lc4x4, pools):
    out = tmp_path / "out"
    out.mkdir()
    pid = dead_pid()
    dead, here = f"{pid}-{host_tag()}", f"{os.getpid()}-{host_tag()}"
    elsewhere = f"{pid}-{'00000000' if host_tag() != '00000000' else '11111111'}"  # the same pid on another host
    stale = [f".sinkmap-staging-{dead}-k3j2h1g0", f".sinkmap-probe-{dead}-a1b2c3d4",
             f".carbon_summary.{dead}-q1w2e3r4.tmp.csv", f".stands.{dead}-z9x8c7v6.tmp.gpkg-journal",
             ".sinkmap-staging-old00001"]  # the last: an older sinkmap's, no owner, two days old
    kept = [f".sinkmap-staging-{here}-live0001", f".sinkmap-staging-{elsewhere}-nfs00001",
            ".sinkmap-staging-new00001", "notes.txt"]  # ours (live), another host's and an unowned one, recent
    for name in stale + kept:
        if "staging" in name or "probe" in name:
            (out / name).mkdir()
            (out / name / "map.html").write_bytes(b"x" * 1000)
        else:
            (out / name).write_text("partial")
    two_days_ago = time.time() - 2 * STALE_AFTER_S
    os.utime(out / ".sinkmap-staging-old00001", (two_days_ago, two_days_ago))

    run_carbon(lc4x4, pools, out)

    assert {p.name for p in out.iterdir()} == CARBON_OUTPUTS | set(kept)
    assert (out / f".sinkmap-staging-{here}-live0001" / "map.html").read_bytes() == b"x" * 1000
    summary = pd.read_csv(out / "carbon_summary.csv").set_index("pool")["total_mg_c"]
    assert summary["total"] == pytest.approx(CARBON_TOTAL, rel=1e-9)


def test_an_atomic_write_removes_the_dead_runs_temporary_files_of_its_target(tmp_path):
    dead = f"{dead_pid()}-{host_tag()}"
    for name in (f".map.{dead}-a1b2c3d4.tmp.html", f".other.{dead}-a1b2c3d4.tmp.html",
                 f".map.{os.getpid()}-{host_tag()}-e5f6g7h8.tmp.html"):
        (tmp_path / name).write_text("partial")
    write_text_atomic(tmp_path / "map.html", "<html></html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == [  # another target's and a live one's stay
        f".map.{os.getpid()}-{host_tag()}-e5f6g7h8.tmp.html", f".other.{dead}-a1b2c3d4.tmp.html", "map.html"]


def test_a_second_run_into_a_locked_folder_is_refused_at_once(tmp_path, lc4x4, pools, start):
    out = tmp_path / "out"
    with claimed_output_folder(out):
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
        runs = [start("survey", "--demo", "-o", str(out), "-q"),
                start("ledger", str(tmp_path / "none.gpkg"), "-o", str(out)),
                start("carbon", str(lc4x4), "--pools", str(pools), "-o", str(out))]
        for run in runs:
            _, stderr = run.communicate(timeout=60)
            lines = stderr.decode().splitlines()
            assert run.returncode == 2 and len(lines) == 1, stderr
            assert lines[0] == (f"sinkmap: error: {out}: another sinkmap run (pid {os.getpid()}) is writing into "
                                "this folder. Wait for it to finish, or choose another -o folder.")
        errors = []

        def api_run() -> None:  # the Python API, from another thread of this process
            try:
                run_carbon(lc4x4, pools, out)
            except OutputError as error:
                errors.append(str(error))

        thread = threading.Thread(target=api_run)
        thread.start()
        thread.join()
        assert errors == [f"{out}: another sinkmap run (pid {os.getpid()}) is writing into this folder. "
                          "Wait for it to finish, or choose another -o folder."]
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]  # nothing written
    assert not out.exists()  # the claim made the folder and the runs left it empty: removed again


@pytest.mark.slow
def test_kill_9_at_three_points_leaves_the_previous_result_and_the_next_run_clears_up(demo_survey, tmp_path,
                                                                                     start):
    """kill -9 while the demo inputs are written, while computing and while the report is written: the
    folder keeps the previous complete result, file for file (same inodes); the next complete run
    (``--demo`` again) replaces all of it, leaves no staging folder, lock or temporary file, and writes
    the same bytes as the session's demo run in another process: the generated inputs (the demo is
    reproducible) and every output (map.html, report.pdf, survey.gpkg included)."""
    out = tmp_path / "run"
    shutil.copytree(demo_survey, out)  # the previous result
    previous = snapshot(out)
    config = str(out / "inputs" / "survey.yaml")

    run = start("survey", "--demo", "-o", str(out))  # 1. while the demo's stands are being written
    wait_for_file(out, ".sinkmap-staging-*/.stands.*.tmp.gpkg*")
    kill(run)
    assert snapshot(out) == previous
    assert any((out / name / "landcover.tif").exists() for name in hidden(out))  # killed mid-inputs

    run = start("survey", "--config", config, "-o", str(out))  # 2. while computing
    wait_for_text(run, "forest patches, stock and carbon")
    time.sleep(0.5)
    kill(run)
    assert snapshot(out) == previous

    run = start("survey", "--config", config, "-o", str(out))  # 3. while writing the report
    wait_for_text(run, "writing report.html and report.pdf")
    time.sleep(1.0)
    kill(run)
    assert snapshot(out) == previous
    assert any((out / name / "map.html").exists() for name in hidden(out))  # killed mid-outputs

    result = subprocess.run([sys.executable, "-m", "sinkmap", "survey", "--demo", "-o", str(out), "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert {p.name for p in out.iterdir()} == {*OUTPUTS, "inputs"}  # no staging folder, lock or .tmp left
    assert not hidden(out / "inputs")
    after = snapshot(out)
    assert after.keys() == previous.keys()
    replaced = {name for name in after if after[name][0] != previous[name][0]}
    assert replaced == set(after) and set(OUTPUTS) < replaced  # every file replaced: outputs and inputs
    assert {"inputs/landcover.tif", "inputs/stands.gpkg", "inputs/shelterbelts.dbf"} < replaced
    different = [name for name in after if after[name][1] != previous[name][1]]
    assert different == []  # two demo runs, byte for byte: inputs/*, map.html, report.pdf, survey.gpkg …


def test_a_staged_folder_replaces_an_earlier_or_partial_one_whole_and_never_a_foreign_one(tmp_path):
    target = tmp_path / "inputs"
    target.mkdir()
    (target / "stands.gpkg").write_text("earlier")
    (target / ".stands.k2j4h5g6.tmp.gpkg-journal").write_text("partial")  # an older sinkmap's leftover
    with staged_folder(target) as stage:
        (stage / "stands.gpkg").write_text("new")
        (stage / "survey.yaml").write_text("new")
        assert not (target / "survey.yaml").exists()  # nothing in place until the end
    assert sorted(p.name for p in target.iterdir()) == ["stands.gpkg", "survey.yaml"]
    assert (target / "stands.gpkg").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs"]  # no staging folder, no old folder

    (target / "my_notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"inputs: the folder holds files this run does not write \(my_notes.txt\)"):
        with staged_folder(target) as stage:
            for name in ("stands.gpkg", "survey.yaml"):
                (stage / name).write_text("newer")
    assert (target / "stands.gpkg").read_text() == "new" and (target / "my_notes.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs"]
