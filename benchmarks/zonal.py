"""Zonal statistics benchmark: sinkmap vs exactextract (fraction) and rasterstats (centre).

    python benchmarks/zonal.py                       # every case; or: make benchmark
    python benchmarks/zonal.py --cases base,noisy    # some of them (base, gk, noisy)
    python benchmarks/zonal.py --small               # rasters 25× smaller: a smoke run (< 1 min)

Each case is generated once, strip by strip, and cached in benchmarks/_work/ (benchmarks/_work/small/
with --small): a uint8 land-cover raster (10 m, 512² tiles, deflate, nodata 0), 6 jagged county-sized
zones tiling it and, for most, 2,000 irregular 5–50 ha stands.

- base: 15,000 × 12,000 in an Albers CRS, 100 m patches with 5 % pixel noise; also a raster 4× larger
  (30,000 × 24,000) with the zones scaled to it, for the RSS-growth goal.
- gk: 12,000 × 10,000 as base, in EPSG:4547 (CGCS2000 / 3-degree Gauss-Krüger CM 114E) over Shanwei,
  114.4–115.6° E, 22.6–23.5° N; counties only. Its cells' true area is not the nominal one.
- noisy: base size and CRS; classes of a smooth field with half the pixels drawn at random (no
  blocks), 25 % nodata in irregular patches.

Every run is a separate process, so wall time and peak RSS are each tool's own. Prints one table with
the ratios, then the goals (issue 4) per case: fraction ≤ 0.8× exactextract's time and ≤ 0.5× its
peak RSS; centre ≤ 0.5× rasterstats' time; sinkmap's peak RSS within 10 % when the raster grows 4×.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WORK = Path(__file__).parent / "_work"
ALBERS = "+proj=aea +lat_0=0 +lon_0=115.5 +lat_1=21 +lat_2=24 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
RES = 10.0
STRIP = 1024  # raster rows generated and written at a time
CLASSES = np.array([10, 20, 30, 40, 50, 60, 80, 90, 95], dtype="uint8")
SMALL = 5  # --small divides each raster side by this, and the number of stands by its square


# --- raster kinds: each yields the raster's rows in strips of STRIP ---------------------------------------------

def blocky(shape: tuple[int, int], rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Blocky-but-coherent classes: 100 m patches with 10 m edge noise (5 % of the pixels)."""
    coarse = CLASSES[rng.integers(0, CLASSES.size, size=(shape[0] // 10 + 1, shape[1] // 10 + 1))]
    for row in range(0, shape[0], STRIP):
        rows = min(STRIP, shape[0] - row)
        block = np.repeat(np.repeat(coarse[row // 10:(row + rows) // 10 + 1], 10, axis=0), 10, axis=1)
        block = block[row % 10:row % 10 + rows, :shape[1]].copy()
        noise = rng.random(block.shape) < 0.05
        block[noise] = CLASSES[rng.integers(0, CLASSES.size, size=int(noise.sum()))]
        yield block


def noisy(shape: tuple[int, int], rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Classes of a smooth field (~150–600 m patches) with half the pixels drawn at random, and 25 %
    nodata (0) where a rougher field (120 m – 4 km detail) is below its 25th percentile."""
    classes = SmoothField(rng, shape, scales=(60, 15))
    holes = SmoothField(rng, shape, scales=(400, 120, 40, 12))
    edges = classes.quantiles(np.arange(1, CLASSES.size) / CLASSES.size).astype("float32")
    cut = holes.quantiles(0.25)
    cols = np.arange(shape[1])
    for row in range(0, shape[0], STRIP):
        rows = np.arange(row, min(row + STRIP, shape[0]))
        block = CLASSES[np.searchsorted(edges, classes.at(rows, cols)).astype("uint8")]
        noise = rng.random(block.shape) < 0.5
        block[noise] = CLASSES[rng.integers(0, CLASSES.size, size=int(noise.sum()))]
        block[holes.at(rows, cols) < cut] = 0
        yield block


class SmoothField:
    """A random field with detail at several scales (in pixels): Gaussian grids with nodes ``scale``
    pixels apart, weighted by √scale, bilinearly interpolated and summed; evaluated on any rows × cols."""

    def __init__(self, rng: np.random.Generator, shape: tuple[int, int], scales: tuple[int, ...]):
        self.shape = shape
        self.grids = [(s, np.float32(s ** 0.5) * rng.standard_normal((shape[0] // s + 2, shape[1] // s + 2),
                                                                      dtype="float32")) for s in scales]

    def at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        out = np.zeros((rows.size, cols.size), dtype="float32")
        for scale, grid in self.grids:
            y, x = (rows + 0.5) / scale, (cols + 0.5) / scale
            i, j = y.astype(np.intp), x.astype(np.intp)
            fy, fx = (y - i).astype("float32")[:, None], (x - j).astype("float32")
            band = grid[i] * (1 - fy) + grid[i + 1] * fy  # rows × grid columns: small
            left, right = band[:, j], band[:, j + 1]
            right -= left
            right *= fx
            left += right
            out += left
        return out

    def quantiles(self, q, samples: int = 1_000_000) -> np.ndarray:
        """Quantiles over a regular subgrid of about ``samples`` pixels."""
        step = max(1, int(np.sqrt(self.shape[0] * self.shape[1] / samples)))
        return np.quantile(self.at(np.arange(0, self.shape[0], step), np.arange(0, self.shape[1], step)), q)


# --- cases --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    about: str
    pixels: Callable[[tuple[int, int], np.random.Generator], Iterator[np.ndarray]]
    shape: tuple[int, int]  # rows, cols
    crs: str = ALBERS
    origin: tuple[float, float] | None = None  # top-left corner (m); default (0, rows × RES)
    stands: int = 2000
    seed: int = 1
    growth: bool = False  # also run on a raster 4× larger (sides × 2), zones scaled to it

    @property
    def top_left(self) -> tuple[float, float]:
        return self.origin or (0.0, self.shape[0] * RES)

    @property
    def zone_sets(self) -> tuple[str, ...]:
        return ("counties", "stands") if self.stands else ("counties",)

    def scaled(self, factor: int) -> Case:
        rows, cols = self.shape
        return dataclasses.replace(self, shape=(rows * factor, cols * factor), seed=self.seed + 1, growth=False)

    def small(self) -> Case:
        return dataclasses.replace(self, shape=(self.shape[0] // SMALL, self.shape[1] // SMALL),
                                   stands=self.stands // SMALL ** 2)


CASES = {
    "base": Case("Albers; 100 m patches, 5 % pixel noise", blocky, (12_000, 15_000), seed=1, growth=True),
    "gk": Case("EPSG:4547 Gauss-Krüger CM 114E, Shanwei (full size: 114.4–115.6° E, 22.6–23.5° N); as base",
               blocky, (10_000, 12_000), crs="EPSG:4547", origin=(540_000.0, 2_600_000.0), stands=0, seed=3),
    "noisy": Case("Albers; smooth classes, 50 % pixel noise, 25 % nodata in irregular patches",
                  noisy, (12_000, 15_000), seed=5),
}


def make_raster(path: Path, case: Case) -> None:
    """Write the case's raster strip by strip (to a temporary name: an interrupted run leaves no raster)."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    rows, cols = case.shape
    profile = {"driver": "GTiff", "width": cols, "height": rows, "count": 1, "dtype": "uint8", "crs": case.crs,
               "transform": from_origin(*case.top_left, RES, RES), "nodata": 0, "tiled": True,
               "blockxsize": 512, "blockysize": 512, "compress": "deflate", "BIGTIFF": "IF_SAFER"}
    partial, row, nodata = path.with_suffix(".partial.tif"), 0, 0
    with rasterio.open(partial, "w", **profile) as dst:
        for block in case.pixels(case.shape, np.random.default_rng(case.seed)):
            dst.write(block, 1, window=Window(0, row, cols, block.shape[0]))
            row, nodata = row + block.shape[0], nodata + int(np.count_nonzero(block == 0))
    partial.replace(path)
    if nodata:
        print(f"  nodata {nodata / (rows * cols):.1%}", file=sys.stderr, flush=True)


def make_zones(folder: Path, case: Case) -> None:
    """6 jagged county polygons tiling most of the raster, ``case.stands`` irregular 5–50 ha stands."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(case.seed)
    width, height = case.shape[1] * RES, case.shape[0] * RES
    x0, y0 = case.top_left[0], case.top_left[1] - height  # built at (0, 0), then moved to the raster

    def save(name: str, prefix: str, shapes: list) -> None:
        frame = gpd.GeoDataFrame({"zone_id": [f"{prefix}{i}" for i in range(len(shapes))]}, geometry=shapes,
                                 crs=case.crs)
        frame.set_geometry(frame.translate(x0, y0)).to_file(folder / f"{name}.gpkg")

    frame = shapely.box(0.02 * width, 0.02 * height, 0.98 * width, 0.98 * height)
    seeds = shapely.multipoints(rng.uniform([0, 0], [width, height], (6, 2)))
    counties = []
    for cell in shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)):
        cell = shapely.segmentize(cell.intersection(frame), width / 300)  # ~1,000+ vertices each
        coords = shapely.get_coordinates(cell)
        coords += rng.normal(0, 40, coords.shape)  # jagged, like a real boundary
        counties.append(shapely.make_valid(shapely.Polygon(coords)).buffer(0))
    save("counties", "county", counties)
    if not case.stands:
        return
    n = case.stands
    centres = rng.uniform([0.05 * width, 0.05 * height], [0.95 * width, 0.95 * height], (n, 2))
    radii = np.sqrt(rng.uniform(5e4, 5e5, n) / np.pi)  # 5–50 ha
    stands = [shapely.Point(c).buffer(r, quad_segs=6).simplify(r / 8) for c, r in zip(centres, radii)]
    save("stands", "stand", [shapely.affinity.scale(s, rng.uniform(0.6, 1.5), rng.uniform(0.6, 1.5)) for s in stands])


def prepare(folder: Path, case: Case) -> Path:
    """The case's folder, with landcover.tif and the zones; (re)generated unless cached for this case."""
    spec = json.dumps({**dataclasses.asdict(case), "pixels": case.pixels.__name__, "about": None}, sort_keys=True)
    raster, stamp = folder / "landcover.tif", folder / "case.json"
    if not (raster.exists() and stamp.exists() and stamp.read_text() == spec):
        print(f"generating {raster} {case.shape[1]:,} × {case.shape[0]:,} …", file=sys.stderr, flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        make_zones(folder, case)
        make_raster(raster, case)
        stamp.write_text(spec)
    return folder


# --- runs -------------------------------------------------------------------------------------------------------

# Peak RSS of the process itself. Not getrusage's ru_maxrss: on Linux it survives fork + exec, so a
# child would report the benchmark parent's peak (576 MiB after generating the ×4 raster) when larger.
PEAK_RSS = ("def peak_rss_mib():\n"
            "    with open('/proc/self/status') as f:\n"
            "        return next(int(line.split()[1]) for line in f if line.startswith('VmHWM:')) / 1024")

# tool → (imports, call). Only the call is timed; peak RSS covers the whole process (imports too).
RUNNERS = {
    "sinkmap": ("import sinkmap.zonal as z",
                "t = z.zonal_stats(RASTER, ZONES, categorical=True, coverage=COVERAGE, zone_field='zone_id',"
                " **({} if WORKERS is None else {'workers': WORKERS})); N = len(t)"),
    # exactextract reads file paths only through osgeo/fiona (not installed): it gets a GeoDataFrame,
    # read inside the timed call as sinkmap reads its GeoPackage inside its own.
    "exactextract": ("from exactextract import exact_extract; import geopandas as gpd",
                     "t = exact_extract(RASTER, gpd.read_file(ZONES), ['unique', 'frac', 'count'], output='pandas');"
                     " N = int(sum(len(u) for u in t['unique']))"),
    "rasterstats": ("import rasterstats",
                    "t = rasterstats.zonal_stats(ZONES, RASTER, categorical=True); N = sum(len(d) for d in t)"),
}
PEERS = (("fraction", "exactextract"), ("center", "rasterstats"))
VARIANTS = ((f"default ({os.cpu_count()} threads)", None), ("serial", 1))
# (coverage, measure, limit, goal): sinkmap / peer must not exceed limit, with default threads and serially.
GOALS = (("fraction", "seconds", 0.8, "fraction ≤ 0.8× exactextract's time"),
         ("fraction", "rss_mib", 0.5, "fraction ≤ 0.5× exactextract's peak RSS"),
         ("center", "seconds", 0.5, "centre ≤ 0.5× rasterstats' time"))
GROWTH_GOAL = "peak RSS flat (± 10 %) when the raster grows 4×"


def run_one(tool: str, raster: Path, zones: Path, coverage: str, workers: int | None = None) -> dict:
    """Run one tool in a fresh process; return call seconds, peak RSS (MiB) and result rows."""
    imports, call = RUNNERS[tool]
    script = (f"import time, json, warnings\nwarnings.simplefilter('ignore')\n{PEAK_RSS}\n{imports}\n"
              f"RASTER, ZONES, COVERAGE, WORKERS = {str(raster)!r}, {str(zones)!r}, {coverage!r}, {workers}\n"
              f"t0 = time.perf_counter()\n{call}\n"
              "print(json.dumps({'seconds': time.perf_counter() - t0, 'rows': N, 'rss_mib': peak_rss_mib()}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_one_import_floor() -> str:
    """Peak RSS of each tool's imports alone, to read the RSS ratios against."""
    out = []
    for tool, (imports, _) in RUNNERS.items():
        script = f"{PEAK_RSS}\n{imports}\nprint(peak_rss_mib())"
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        out.append(f"{tool} {float(done.stdout.strip()):.0f} MiB")
    return ", ".join(out)


def run_case(name: str, folder: Path, case: Case, big: Path | None) -> tuple[list[dict], list[dict]]:
    """Every (zones, coverage, threads) run of one case, and the ×4 runs for the growth goal."""
    runs, growth = [], []
    for zones in case.zone_sets:
        for mode, peer in PEERS:
            theirs = run_one(peer, folder / "landcover.tif", folder / f"{zones}.gpkg", mode)
            for label, workers in VARIANTS:
                ours = run_one("sinkmap", folder / "landcover.tif", folder / f"{zones}.gpkg", mode, workers)
                runs.append({"case": name, "zones": zones, "mode": mode, "label": label, "peer": peer,
                             "ours": ours, "theirs": theirs})
                if big and mode == "fraction" and workers is None:
                    large = run_one("sinkmap", big / "landcover.tif", big / f"{zones}.gpkg", mode, workers)
                    growth.append({"case": name, "zones": zones, "base": ours, "large": large,
                                   "ratio": large["rss_mib"] / ours["rss_mib"]})
    return runs, growth


# --- report -------------------------------------------------------------------------------------------------------

def ratio(run: dict, measure: str) -> float:
    return run["ours"][measure] / run["theirs"][measure]


def table(header: str, rows: list[str]) -> str:
    return "\n".join([f"| {header} |", "|" + "---|" * (header.count("|") + 1), *rows])


def goal_rows(cases: list[str], runs: list[dict], growth: list[dict]) -> list[str]:
    rows = []
    for name in cases:
        for mode, measure, limit, goal in GOALS:
            by_zones: dict[str, list[float]] = {}  # zones → [default threads, serial], as in VARIANTS
            for r in runs:
                if r["case"] == name and r["mode"] == mode:
                    by_zones.setdefault(r["zones"], []).append(ratio(r, measure))
            parts = [f"{zones} {default:.2f}× (serial {serial:.2f}×)" for zones, (default, serial) in by_zones.items()]
            # judged on the default run (what a user gets); serial is shown for what the threads add
            met = all(values[0] <= limit for values in by_zones.values())
            rows.append(f"| {name} | {goal} | {', '.join(parts)} | {verdict(met)} |")
        if mine := [g for g in growth if g["case"] == name]:
            parts = [f"{g['zones']} {g['ratio']:.2f}×" for g in mine]
            met = all(abs(g["ratio"] - 1) <= 0.10 for g in mine)
            rows.append(f"| {name} | {GROWTH_GOAL} | {', '.join(parts)} | {verdict(met)} |")
    return rows


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def report(cases: dict[str, Case], runs: list[dict], growth: list[dict], small: bool) -> None:
    print(f"\n10 m uint8 rasters (deflate, 512² tiles, nodata 0); {os.cpu_count()} cores; seconds = the call only; "
          "RSS = whole process" + ("; SMALL rasters (smoke run: the ratios mean little)" if small else "") + "\n")
    for name, case in cases.items():
        rows, cols = case.shape
        extra = f"; ×4 raster {2 * cols:,} × {2 * rows:,}" if case.growth else ""
        stands = f", {case.stands:,} stands" if case.stands else ""
        print(f"- {name}: {cols:,} × {rows:,}, {case.about}; 6 counties{stands}{extra}")
    print()
    print(table("case | zones | coverage | sinkmap | s | peer | peer s | time ratio | MiB | peer MiB | RSS ratio", [
        f"| {r['case']} | {r['zones']} | {r['mode']} | {r['label']} | {r['ours']['seconds']:.2f} | {r['peer']} | "
        f"{r['theirs']['seconds']:.2f} | **{ratio(r, 'seconds'):.2f}** | {r['ours']['rss_mib']:.0f} | "
        f"{r['theirs']['rss_mib']:.0f} | **{ratio(r, 'rss_mib'):.2f}** |" for r in runs]))
    if growth:
        print()
        print(table("case | zones | sinkmap MiB, base raster | MiB, raster ×4 | ratio | s, raster ×4", [
            f"| {g['case']} | {g['zones']} | {g['base']['rss_mib']:.0f} | {g['large']['rss_mib']:.0f} | "
            f"**{g['ratio']:.2f}** | {g['large']['seconds']:.2f} |" for g in growth]))
    print()
    print(table("case | goal | result | verdict", goal_rows(list(cases), runs, growth)))
    differ = [f"{r['case']} {r['zones']} {r['mode']} ({r['label']}): sinkmap {r['ours']['rows']}, "
              f"{r['peer']} {r['theirs']['rows']}" for r in runs if r["ours"]["rows"] != r["theirs"]["rows"]]
    if differ:
        print("\nresult rows (zone × class) differ — " + "; ".join(differ))
    print(f"\nimport floor (peak RSS after imports only): {run_one_import_floor()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)} (default all)")
    parser.add_argument("--small", action="store_true", help=f"rasters {SMALL ** 2}× smaller (and fewer stands): a smoke run")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.cases.split(",") if n.strip()]
    if unknown := [n for n in names if n not in CASES]:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose among {', '.join(CASES)}")
    root = WORK / "small" if args.small else WORK
    cases = {n: CASES[n].small() if args.small else CASES[n] for n in dict.fromkeys(names)}
    folders = {n: (prepare(root / n, c), prepare(root / f"{n}_x4", c.scaled(2)) if c.growth else None)
               for n, c in cases.items()}  # generate everything before timing anything
    runs, growth = [], []
    for name, case in cases.items():
        more, grown = run_case(name, folders[name][0], case, folders[name][1])
        runs += more
        growth += grown
    report(cases, runs, growth, args.small)


if __name__ == "__main__":
    main()
