"""Survey at scale (issue 21, item 3): the demo survey with every forest stand (小班) cut into k pieces.

    python benchmarks/survey_scale.py                  # k = 1, 4, 16 (16,855 → ≈ 267,000 stands a year)
    python benchmarks/survey_scale.py --k 1,4,16,64    # 64: ≈ 1.07 million stands a year
    python benchmarks/survey_scale.py --memory 16      # one survey in this process: each step's peak RSS

Generated once into benchmarks/_work/survey_scale/: the SYNTHETIC demo (``sinkmap.demo.generate_demo``,
the inputs of ``sinkmap survey --demo``) in ``demo/``, and per k a survey package ``x{k}/``: the demo's
files and survey.yaml with both stand layers (this year's and the earlier survey's) subdivided. The
stands are cut by one grid of square cells (in EPSG:4490, ≈ square on the ground) whose side makes k
pieces a stand on average (``grid_step_m``): the pieces of a stand tile it, and neighbours cut along the
same grid lines get the same new vertices on their shared edges, so the pieces stay noded as the stands
were (cutting each stand on its own, through its centroid, left 91,134 of 188,000 neighbour pairs at
k = 4 overlapping by slivers, which slowed the dissolve 2.6×: not what a real inventory looks like). A
cell crossing a concave stand twice gives two pieces. Each piece keeps its stand's attributes (the
intensive fields: land class, species, closure, volume per ha …); ``stand_id`` gains ``-01``, ``-02`` …
(so pieces keep their stands' id order, which settles overlaps); the extensive fields of the
catalogue's stand layer (unit ha or m³: ``area_ha``) are split in proportion to the piece's share of its
stand's area in the equal-area CRS, rounded to 0.01 as inventories record them. k = 1 leaves every stand
as it is.

Each survey runs in a fresh process (``python -m sinkmap survey -c x{k}/survey.yaml``). Printed per k:
stands, wall time, peak RSS (the child's ``ru_maxrss`` from ``wait4``, which covers the processes it waited
for; this script itself stays small and imports no geodata library, so the child's peak is its own), the
ratios to the smallest k, and each survey step's time from the progress lines on stderr
(``sinkmap.progress``). Checks: the survey of the plain demo and of the k = 1 package write the same
tables (byte for byte); at every k the city's stand-forest area, combined forest area, growing stock and
biomass carbon match k = 1 within 1e-6 relative.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(__file__).parent / "_work" / "survey_scale"
STAND_LAYERS = ("stands", "stands_previous")  # survey.yaml keys of the layers cut into pieces
EXTENSIVE_UNITS = ("ha", "m³")  # catalogue units of fields that add up over a stand's pieces
TOTALS = ("forest_area_stands", "forest_area", "stock_volume_m3", "biomass_carbon")  # checked against k = 1
TOLERANCE = 1e-6  # relative
CHUNK = 2_000  # stands cut at a time
STEP = re.compile(r"^\[(\d+)/\d+\] (.*?) … (?:[\d %]*?)(\d+\.\d) s$")  # "[3/10] forest patches … 92.1 s"


# --- packages (made in a child process: this one stays small) ---------------------------------------------------------

def grid_step_m(area_m2, perimeter_m, k: int) -> float:
    """The side (m) of square cells cutting polygons of these areas and perimeters into ``k`` pieces each
    on average: a grid of side s at a random offset meets a convex polygon in A/s² + 2P/(πs) + 1 cells
    (its area, its perimeter's crossings of the grid lines and one), a quadratic in 1/s."""
    import numpy as np

    a, b, c = float(np.sum(area_m2)), 2.0 / np.pi * float(np.sum(perimeter_m)), (1.0 - k) * len(area_m2)
    return 2.0 * a / (-b + np.sqrt(b * b - 4.0 * a * c))


def pieces(geoms, step_deg: tuple[float, float], origin: tuple[float, float]):
    """Each polygon cut by one grid of ``step_deg`` (x, y) cells from ``origin``; returns (index of the
    polygon, piece), in polygon order, then by cell row and column. Neighbours cut along the same grid
    lines get the same new vertices on their shared edges, so the pieces stay noded as the stands were."""
    import numpy as np
    import shapely

    from sinkmap.readers.vector import polygon_parts

    (dx, dy), (x0, y0) = step_deg, origin
    xmin, ymin, xmax, ymax = shapely.bounds(geoms).T
    ix0, iy0 = np.floor((xmin - x0) / dx).astype(np.int64), np.floor((ymin - y0) / dy).astype(np.int64)
    nx = np.floor((xmax - x0) / dx).astype(np.int64) - ix0 + 1
    ny = np.floor((ymax - y0) / dy).astype(np.int64) - iy0 + 1
    owner = np.repeat(np.arange(len(geoms)), nx * ny)  # every cell of each polygon's bounding box
    local = np.arange(owner.size) - np.repeat(np.cumsum(nx * ny) - nx * ny, nx * ny)
    ix, iy = ix0[owner] + local % nx[owner], iy0[owner] + local // nx[owner]
    cells = shapely.box(x0 + ix * dx, y0 + iy * dy, x0 + (ix + 1) * dx, y0 + (iy + 1) * dy)  # shared edges: same numbers
    cut = polygon_parts(shapely.intersection(geoms[owner], cells))
    kept = shapely.area(cut) > 0
    cut, part = shapely.get_parts(cut[kept], return_index=True)  # a cell crossing a concave stand twice: two pieces
    return owner[kept][part], cut


def subdivide(frame, k: int):
    """The stand layer with each stand cut into about ``k`` pieces (see the module docstring)."""
    import numpy as np
    import pandas as pd

    from sinkmap.catalogue import load_catalogue
    from sinkmap.crs import AREA_CRS, area_m2

    if k == 1:
        return frame
    metres = frame.geometry.to_crs(AREA_CRS)
    step = grid_step_m(metres.area.to_numpy(), metres.length.to_numpy(), k)
    xmin, ymin, _, ymax = frame.total_bounds
    lat = np.radians((ymin + ymax) / 2)
    step_deg = (step / (111_320.0 * np.cos(lat)), step / 110_574.0)  # ≈ square cells on the ground
    parent, geoms = [], []
    for start in range(0, len(frame), CHUNK):  # bounded memory for the cells of 10⁶ pieces
        p, g = pieces(frame.geometry.to_numpy()[start:start + CHUNK], step_deg, (np.floor(xmin), np.floor(ymin)))
        parent.append(p + start)
        geoms.append(g)
    parent, geoms = np.concatenate(parent), np.concatenate(geoms)
    out = frame.iloc[parent].reset_index(drop=True).set_geometry(geoms, crs=frame.crs)
    number = pd.Series(parent).groupby(parent).cumcount().to_numpy() + 1
    width = len(str(number.max()))
    out["stand_id"] = [f"{s}-{n:0{width}d}" for s, n in zip(out["stand_id"], number)]
    share = area_m2(out.geometry) / area_m2(frame.geometry)[parent]  # of its stand's area
    for name, spec in load_catalogue().layer("stands").fields.items():
        if name in out and spec.unit in EXTENSIVE_UNITS:  # recorded to 0.01 (ha, m³), as inventories do
            out[name] = np.round(out[name] * share, 2)
    return out


def make_package(root: Path, k: int) -> None:
    """``root/x{k}``: the demo's inputs with both stand layers cut into ``k`` pieces a stand."""
    import pyogrio
    import yaml

    from sinkmap.writers.vector import write_vector

    demo, folder = root / "demo", root / f"x{k}"
    config = yaml.safe_load((demo / "survey.yaml").read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    cut = {config[key]["path"] for key in STAND_LAYERS}
    for path in demo.iterdir():
        if path.name not in cut and path.name != "survey.yaml":
            shutil.copy2(path, folder / path.name)
    for key in STAND_LAYERS:
        item = config[key]
        frame = pyogrio.read_dataframe(demo / item["path"], layer=item["layer"])
        out = subdivide(frame, k)
        info = pyogrio.read_info(demo / item["path"], layer=item["layer"])
        write_vector(out, folder / item["path"], layer=item["layer"],
                     description=info["layer_metadata"].get("DESCRIPTION"))
        print(f"x{k} {item['path']}: {len(frame):,} stands → {len(out):,}",
              file=sys.stderr, flush=True)
    shutil.copy2(demo / "survey.yaml", folder / "survey.yaml")  # last: its presence marks a finished package


def prepare(root: Path, ks: list[int]) -> None:
    """The demo and every package, each made once, by a child process."""
    if not (root / "demo" / "survey.yaml").exists():
        print("generating the demo …", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-c", "import sys; from sinkmap.demo import generate_demo; "
                        "generate_demo(sys.argv[1])", str(root / "demo")], check=True)
    for k in ks:
        if not (root / f"x{k}" / "survey.yaml").exists():
            print(f"package ×{k} …", file=sys.stderr, flush=True)
            subprocess.run([sys.executable, __file__, "--make", str(k), "--work", str(root)], check=True)


# --- runs ------------------------------------------------------------------------------------------------------------

def run_survey(config: Path, out: Path) -> dict:
    """One survey in a fresh process: wall seconds, peak RSS (MiB), step times (label → s)."""
    shutil.rmtree(out, ignore_errors=True)
    log = out.with_suffix(".log")
    with open(log, "w", encoding="utf-8") as stderr:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "sinkmap", "survey", "-c", str(config), "-o", str(out)],
                                 stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(encoding="utf-8")
    if child.returncode:
        return {"error": (text.strip().splitlines() or ["failed"])[-1][:160]}
    steps = {}
    for line in text.splitlines():
        if found := STEP.match(line):
            steps[found[2]] = float(found[3])
    return {"seconds": seconds, "rss_mib": usage.ru_maxrss / 1024, "steps": steps}


def stand_count(package: Path) -> int:
    """Stands in this year's layer (read in a child: this process imports no geodata library)."""
    done = subprocess.run([sys.executable, "-c", "import sys, pyogrio; "
                           "print(pyogrio.read_info(sys.argv[1])['features'])", str(package / "stands.gpkg")],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def city_values(out: Path) -> dict[str, float]:
    """The survey area's values of TOTALS from indicators.csv."""
    import csv

    with open(out / "indicators.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    city = rows[0]["adcode"]  # the survey area's row comes first
    return {r["indicator"]: float(r["value"]) for r in rows if r["adcode"] == city and r["indicator"] in TOTALS}


def same_tables(a: Path, b: Path) -> list[str]:
    """The CSV tables that differ between two output folders (byte for byte)."""
    names = sorted(p.name for p in a.glob("*.csv"))
    return [n for n in names if not (b / n).exists() or (a / n).read_bytes() != (b / n).read_bytes()]


# --- report ----------------------------------------------------------------------------------------------------------

def short(label: str) -> str:
    """A step's label cut to its first clause."""
    return re.split(r"[;(:]", label)[0].strip()


def report(rows: list[dict], demo: dict | None) -> None:
    done = [r for r in rows if "error" not in r]
    first = done[0] if done else None
    print(f"\nsinkmap survey at scale; {os.cpu_count()} cores; s = wall time of `sinkmap survey` (imports "
          "included); MiB = its peak RSS; load = the 1-minute load average before the run\n")
    print("| k | stands a year | s | peak MiB | s ratio | MiB ratio | KiB per added stand | load |\n"
          "|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['k']} | {r['stands']:,} | {r['error']} | | | | | {r['load']:.1f} |")
            continue
        added = r["stands"] - first["stands"]
        per = f"{(r['rss_mib'] - first['rss_mib']) * 1024 / added:.1f}" if added else ""
        print(f"| {r['k']} | {r['stands']:,} | {r['seconds']:.1f} | {r['rss_mib']:.0f} | "
              f"{r['seconds'] / first['seconds']:.2f} | {r['rss_mib'] / first['rss_mib']:.2f} | {per} | "
              f"{r['load']:.1f} |")
    if done:
        labels = list(dict.fromkeys(label for r in done for label in r["steps"]))
        print("\nstep times (s):\n\n| step | " + " | ".join(f"k = {r['k']}" for r in done) + " |")
        print("|---|" + "---|" * len(done))
        for label in labels:
            cells = " | ".join(f"{r['steps'].get(label, float('nan')):.1f}" for r in done)
            print(f"| {short(label)} | {cells} |")
    print("\nchecks:")
    if demo is not None and first is not None and first["k"] == 1:
        differ = same_tables(demo["out"], first["out"])
        print(f"- k = 1 against the plain demo: {'every table identical' if not differ else 'differ: ' + ', '.join(differ)}"
              f" (plain demo {demo.get('seconds', float('nan')):.1f} s, {demo.get('rss_mib', float('nan')):.0f} MiB)")
    if first is not None:
        base = city_values(first["out"])
        for r in done[1:]:
            values = city_values(r["out"])
            worst = {name: abs(values[name] - base[name]) / abs(base[name]) for name in base}
            ok = all(v <= TOLERANCE for v in worst.values())
            shown = ", ".join(f"{n} {v:.1e}" for n, v in worst.items())
            print(f"- k = {r['k']} against k = {first['k']}: {'match' if ok else 'DIFFER'} within {TOLERANCE:g} "
                  f"relative ({shown})")


# --- memory by step (--memory K: one survey in this process) -----------------------------------------------------------

def _status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) / 1024


def memory_by_step(config: Path, out: Path) -> None:
    """Survey ``config`` here, printing each step's time, its own peak RSS (``VmHWM`` reset at the step's
    start through /proc/self/clear_refs) and the RSS left when it ends."""
    import contextlib

    from sinkmap.pipelines.survey import run_survey
    from sinkmap.progress import Progress

    rows = []

    class Measured(Progress):
        @contextlib.contextmanager
        def step(self, label: str, *, lazy: bool = False):
            before = _status_mib("VmRSS")
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset the peak RSS to the current RSS
            start = time.perf_counter()
            with super().step(label, lazy=lazy):
                yield
            rows.append((short(label), time.perf_counter() - start, before, _status_mib("VmHWM"),
                         _status_mib("VmRSS")))

    shutil.rmtree(out, ignore_errors=True)
    floor = _status_mib("VmRSS")
    run_survey(config, out, Measured(enabled=False))
    print(f"\n{config.parent.name}: RSS after imports {floor:.0f} MiB\n")
    print("| step | s | MiB at start | peak MiB in the step | MiB at the end |\n|---|---|---|---|---|")
    for label, seconds, before, peak, after in rows:
        print(f"| {label} | {seconds:.1f} | {before:.0f} | {peak:.0f} | {after:.0f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", default="1,4,16", help="pieces a stand, comma-separated (default 1,4,16)")
    parser.add_argument("--work", type=Path, default=WORK, help="data folder (default benchmarks/_work/survey_scale)")
    parser.add_argument("--no-demo", action="store_true", help="skip the plain demo's survey (the k = 1 check)")
    parser.add_argument("--memory", type=int, metavar="K",
                        help="instead: survey x{K} in this process, printing each step's peak and final RSS")
    parser.add_argument("--make", type=int, help=argparse.SUPPRESS)  # the child that makes one package
    args = parser.parse_args()
    if args.make is not None:
        make_package(args.work, args.make)
        return 0
    ks = sorted(int(k) for k in args.k.split(",")) if args.memory is None else [args.memory]
    prepare(args.work, ks)
    if args.memory is not None:
        memory_by_step(args.work / f"x{args.memory}" / "survey.yaml", args.work / f"out_x{args.memory}_memory")
        return 0
    demo = None
    if not args.no_demo and 1 in ks:
        print("survey of the plain demo …", file=sys.stderr, flush=True)
        demo = run_survey(args.work / "demo" / "survey.yaml", args.work / "out_demo")
        demo["out"] = args.work / "out_demo"
    rows = []
    for k in ks:
        load = os.getloadavg()[0]
        print(f"survey ×{k} …", file=sys.stderr, flush=True)
        row = {"k": k, "stands": stand_count(args.work / f"x{k}"), "load": load, "out": args.work / f"out_x{k}"}
        row.update(run_survey(args.work / f"x{k}" / "survey.yaml", row["out"]))
        print(f"  {row.get('seconds', 0):.1f} s, {row.get('rss_mib', 0):.0f} MiB {row.get('error', '')}",
              file=sys.stderr, flush=True)
        rows.append(row)
    report(rows, demo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
