"""Zonal statistics benchmark: sinkmap vs exactextract (fraction) and rasterstats (centre).

    python benchmarks/zonal.py            # or: make benchmark

Generates (once, cached in benchmarks/_work/) a 15,000 × 12,000 uint8 land-cover raster (10 m,
tiled, deflate), 6 county-sized zones and 2,000 stand-sized polygons, and a raster 4× larger
(30,000 × 24,000) with the zones scaled to it. Every run is a separate process, so wall time
and peak RSS are each tool's own. Prints one table with the ratios; goals (issue 4):
fraction ≤ 0.8× exactextract's time and ≤ 0.5× its peak RSS; centre ≤ 0.5× rasterstats' time;
sinkmap's peak RSS within 10 % when the raster grows 4×.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

WORK = Path(__file__).parent / "_work"
CRS = "+proj=aea +lat_0=0 +lon_0=115.5 +lat_1=21 +lat_2=24 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
RES = 10.0
BASE_SHAPE = (12_000, 15_000)  # rows, cols
CLASSES = np.array([10, 20, 30, 40, 50, 60, 80, 90, 95], dtype="uint8")


def make_raster(path: Path, shape: tuple[int, int], seed: int) -> None:
    """Blocky-but-coherent classes (100 m patches with 10 m edge noise), written strip by strip."""
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    coarse = CLASSES[rng.integers(0, CLASSES.size, size=(shape[0] // 10 + 1, shape[1] // 10 + 1))]
    profile = {"driver": "GTiff", "width": shape[1], "height": shape[0], "count": 1, "dtype": "uint8",
               "crs": CRS, "transform": from_origin(0, shape[0] * RES, RES, RES), "nodata": 0, "tiled": True,
               "blockxsize": 512, "blockysize": 512, "compress": "deflate", "BIGTIFF": "IF_SAFER"}
    with rasterio.open(path, "w", **profile) as dst:
        for row in range(0, shape[0], 1024):
            rows = min(1024, shape[0] - row)
            block = np.repeat(np.repeat(coarse[row // 10:(row + rows) // 10 + 1], 10, axis=0), 10, axis=1)
            block = block[row % 10:row % 10 + rows, :shape[1]].copy()
            noise = rng.random(block.shape) < 0.05
            block[noise] = CLASSES[rng.integers(0, CLASSES.size, size=int(noise.sum()))]
            dst.write(block, 1, window=rasterio.windows.Window(0, row, shape[1], rows))


def make_zones(folder: Path, shape: tuple[int, int], seed: int) -> None:
    """6 jagged county polygons tiling most of the raster, 2,000 irregular 5–50 ha stands."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    width, height = shape[1] * RES, shape[0] * RES
    frame = shapely.box(0.02 * width, 0.02 * height, 0.98 * width, 0.98 * height)
    seeds = shapely.multipoints(rng.uniform([0, 0], [width, height], (6, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    counties = []
    for cell in cells:
        cell = shapely.segmentize(cell.intersection(frame), width / 300)  # ~1,000+ vertices each
        coords = shapely.get_coordinates(cell)
        coords += rng.normal(0, 40, coords.shape)  # jagged, like a real boundary
        counties.append(shapely.make_valid(shapely.Polygon(coords)).buffer(0))
    gpd.GeoDataFrame({"zone_id": [f"county{i}" for i in range(6)]}, geometry=counties, crs=CRS).to_file(
        folder / "counties.gpkg")
    centres = rng.uniform([0.05 * width, 0.05 * height], [0.95 * width, 0.95 * height], (2000, 2))
    radii = np.sqrt(rng.uniform(5e4, 5e5, 2000) / np.pi)  # 5–50 ha
    stands = [shapely.Point(c).buffer(r, quad_segs=6).simplify(r / 8) for c, r in zip(centres, radii)]
    stands = [shapely.affinity.scale(s, rng.uniform(0.6, 1.5), rng.uniform(0.6, 1.5)) for s in stands]
    gpd.GeoDataFrame({"zone_id": [f"stand{i}" for i in range(2000)]}, geometry=stands, crs=CRS).to_file(
        folder / "stands.gpkg")


def prepare() -> dict[str, Path]:
    WORK.mkdir(exist_ok=True)
    cases = {}
    for name, scale in (("base", 1), ("x4", 2)):
        folder = WORK / name
        folder.mkdir(exist_ok=True)
        raster = folder / "landcover.tif"
        shape = (BASE_SHAPE[0] * scale, BASE_SHAPE[1] * scale)
        if not raster.exists():
            print(f"generating {raster} {shape[1]} × {shape[0]} …", file=sys.stderr, flush=True)
            make_raster(raster, shape, seed=scale)
            make_zones(folder, shape, seed=scale)
        cases[name] = folder
    return cases


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


def run_one(tool: str, raster: Path, zones: Path, coverage: str, workers: int | None = None) -> dict:
    """Run one tool in a fresh process; return call seconds, peak RSS (MiB) and result rows."""
    imports, call = RUNNERS[tool]
    script = (f"import time, json, warnings\nwarnings.simplefilter('ignore')\n{PEAK_RSS}\n{imports}\n"
              f"RASTER, ZONES, COVERAGE, WORKERS = {str(raster)!r}, {str(zones)!r}, {coverage!r}, {workers}\n"
              f"t0 = time.perf_counter()\n{call}\n"
              "print(json.dumps({'seconds': time.perf_counter() - t0, 'rows': N, 'rss_mib': peak_rss_mib()}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(zones: str, mode: str, label: str, peer: str, ours: dict, theirs: dict) -> str:
    return (f"| {zones} | {mode} | {label} | {ours['seconds']:.2f} | {peer} | {theirs['seconds']:.2f} | "
            f"**{ours['seconds'] / theirs['seconds']:.2f}** | {ours['rss_mib']:.0f} | {theirs['rss_mib']:.0f} | "
            f"**{ours['rss_mib'] / theirs['rss_mib']:.2f}** |")


def main() -> None:
    cases = prepare()
    base, big = cases["base"], cases["x4"]
    lines = []
    growth = []
    for zones in ("counties", "stands"):
        path = base / f"{zones}.gpkg"
        for mode, peer in (("fraction", "exactextract"), ("center", "rasterstats")):
            theirs = run_one(peer, base / "landcover.tif", path, mode)
            for label, workers in ((f"default ({os.cpu_count()} threads)", None), ("serial", 1)):
                ours = run_one("sinkmap", base / "landcover.tif", path, mode, workers)
                lines.append(_row(zones, mode, label, peer, ours, theirs))
                if mode == "fraction" and workers is None:
                    large = run_one("sinkmap", big / "landcover.tif", big / f"{zones}.gpkg", mode, workers)
                    growth.append(f"| {zones} | {ours['rss_mib']:.0f} | {large['rss_mib']:.0f} | "
                                  f"**{large['rss_mib'] / ours['rss_mib']:.2f}** | {large['seconds']:.2f} |")
    floor = run_one_import_floor()
    print(f"\nraster {BASE_SHAPE[1]:,} × {BASE_SHAPE[0]:,} uint8 (10 m, deflate, 512² tiles); 6 counties, "
          f"2,000 stands; {os.cpu_count()} cores; seconds = the call only; RSS = whole process\n")
    print("| zones | coverage | sinkmap | s | peer | peer s | time ratio | MiB | peer MiB | RSS ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    print("\n| zones | sinkmap MiB, base raster | MiB, raster ×4 | ratio | s, raster ×4 |")
    print("|---|---|---|---|---|")
    print("\n".join(growth))
    print(f"\nimport floor (peak RSS after imports only): {floor}")


def run_one_import_floor() -> str:
    """Peak RSS of each tool's imports alone, to read the RSS ratios against."""
    out = []
    for tool, (imports, _) in RUNNERS.items():
        script = f"{PEAK_RSS}\n{imports}\nprint(peak_rss_mib())"
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        out.append(f"{tool} {float(done.stdout.strip()):.0f} MiB")
    return ", ".join(out)


if __name__ == "__main__":
    main()
