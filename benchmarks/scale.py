"""Scale benchmark (issue 21): a province-sized raster as tiles, and inventories of 10⁴–10⁶ stands.

    python benchmarks/scale.py                      # sizes 1,4 (×20,000² cells) and 10⁴, 10⁵ stands
    python benchmarks/scale.py --sizes 1,4,16 --stands 10000,100000,1000000
    python benchmarks/scale.py --small              # a smoke run (every side ÷ 10, stands ÷ 100): < 1 min

Generated once, tile by tile (never a whole raster in memory), into benchmarks/_work/scale/: uint8 land
cover at 10 m in EPSG:4547 (CGCS2000 / Gauss-Krüger CM 114E), 5,000² cell GeoTIFF tiles (deflate, 512²
blocks, nodata 0) of 1×, 4× and 16× a base of 20,000 × 20,000 cells (0.4, 1.6 and 6.4 Gpx); 50 jagged
county polygons tiling each raster; stand layers (GeoParquet) of 10⁴, 10⁵ and 10⁶ irregular polygons
over the base raster.

Runs, each in a fresh process (``categorical=True``: per-zone class areas, the survey's pass):
- ``threads``: ``sinkmap.zonal.zonal_stats(TILE_FOLDER, zones)`` on its default thread pool;
- ``cluster``: the same call with a ``dask.distributed`` LocalCluster of 2 worker processes (1 thread
  each) active, so the tasks run on the workers;
- ``stream``: ``sinkmap zonal``'s ``run_zonal(TILE_FOLDER, zones, "out.parquet")``, which reads, computes
  and writes the zones 100,000 at a time (issue 21, item 3);
- ``exactextract``: on a VRT of the same tiles (fraction coverage only), where it finishes within the
  time limit.

Time is the call alone; peak RSS is every process's own peak (``VmHWM``): the caller's, plus each
worker's for the cluster, whose largest worker is also shown. Prints one table, the ratios to the smallest
size, the growth exponents and the issue's goals on this machine: time linear in the raster (exponent
≤ 1.1), peak RSS flat (± 10 %) as the raster grows, 1.8 Gpx by county ≤ 60 s with ≤ 1 GB per worker.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

WORK = Path(__file__).parent / "_work" / "scale"
CRS = "EPSG:4547"
ORIGIN = (300_000.0, 2_700_000.0)  # top left (m): west of 114°E, north of Shanwei
RES = 10.0
BASE = 20_000  # cells per side of the 1× raster
TILE = 5_000  # cells per side of a tile
ROW_GROUP = 100_000  # stands per GeoParquet row group (one zonal pass reads one)
COUNTIES = 50
CLASSES = np.array([10, 20, 30, 40, 50, 60, 80, 90, 95], dtype="uint8")
PROVINCE_GPX = 1.8  # Guangdong at 10 m: ≈ 180,000 km²
TIMEOUT_S = 1800

# Peak RSS (MiB) of the calling process: VmHWM, not getrusage (which survives fork + exec on Linux).
PEAK_RSS = ("def peak_rss_mib():\n"
            "    with open('/proc/self/status') as f:\n"
            "        return next(int(line.split()[1]) for line in f if line.startswith('VmHWM:')) / 1024\n")


# --- data ----------------------------------------------------------------------------------------------------------

def pixels(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Classes of cells (global row, column): 100 m patches, 5 % cell noise, a nodata lake; a pure
    function of the position, so tiles agree wherever they are cut."""
    r, c = rows[:, None].astype(np.int64), cols[None, :].astype(np.int64)
    coarse = (r // 10 * 73_856_093) ^ (c // 10 * 19_349_663)
    fine = (r * 83_492_791) ^ (c * 50_331_653)
    classes = CLASSES[coarse % CLASSES.size]
    noisy = (fine % 100) < 5
    classes = np.where(noisy, CLASSES[(fine // 100) % CLASSES.size], classes)
    lake = (r % 7_919 < 400) & (c % 6_007 < 300)
    return np.where(lake, 0, classes).astype("uint8")


def make_tiles(folder: Path, side: int, tile: int = TILE) -> None:
    """``side`` × ``side`` cells as ``tile``² GeoTIFFs, written strip by strip."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    folder.mkdir(parents=True, exist_ok=True)
    for row0 in range(0, side, tile):
        for col0 in range(0, side, tile):
            height, width = min(tile, side - row0), min(tile, side - col0)
            path = folder / f"lc_{row0 // tile:03d}_{col0 // tile:03d}.tif"
            if path.exists():
                continue
            transform = from_origin(ORIGIN[0] + col0 * RES, ORIGIN[1] - row0 * RES, RES, RES)
            partial = path.with_suffix(".partial")
            with rasterio.open(partial, "w", driver="GTiff", width=width, height=height, count=1, dtype="uint8",
                               crs=CRS, transform=transform, nodata=0, tiled=True, blockxsize=512, blockysize=512,
                               compress="deflate") as dst:
                for r in range(0, height, 1024):
                    n = min(1024, height - r)
                    dst.write(pixels(np.arange(row0 + r, row0 + r + n), np.arange(col0, col0 + width)), 1,
                              window=Window(0, r, width, n))
            partial.replace(path)


def write_vrt(tiles: Path) -> Path:
    """A mosaic VRT of the tile folder, for exactextract (which takes one raster path)."""
    from sinkmap.readers.tiles import locate

    path = tiles.parent / "mosaic.vrt"
    if not path.exists():
        path.write_text(locate(tiles).xml, encoding="utf-8")  # sinkmap's own mosaic of the same tiles
    return path


def make_counties(path: Path, side: int) -> None:
    """COUNTIES jagged polygons tiling the raster (a Voronoi cut of random seeds), ~1,000 vertices each."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(21)
    extent = side * RES
    frame = shapely.box(0.01 * extent, 0.01 * extent, 0.99 * extent, 0.99 * extent)
    seeds = shapely.multipoints(rng.uniform(0, extent, (COUNTIES, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    shapes = []
    for cell in cells:
        cell = shapely.segmentize(cell.intersection(frame), extent / 2_000)
        coords = shapely.get_coordinates(cell) + rng.normal(0, 30, (len(shapely.get_coordinates(cell)), 2))
        shapes.append(shapely.make_valid(shapely.Polygon(coords)).buffer(0))
    frame = gpd.GeoDataFrame({"zone_id": [f"county{i}" for i in range(len(shapes))]}, geometry=shapes, crs=CRS)
    frame.set_geometry(frame.translate(ORIGIN[0], ORIGIN[1] - extent)).to_parquet(path)


def make_stands(path: Path, count: int, side: int) -> None:
    """``count`` irregular 12-sided stands on a jittered grid over the raster (about 90 % of it)."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(count)
    extent = side * RES
    per_row = math.ceil(math.sqrt(count))
    step = 0.98 * extent / per_row
    index = np.arange(count)
    centres = np.column_stack([(index % per_row + 0.5) * step, (index // per_row + 0.5) * step])
    centres += rng.uniform(-0.1, 0.1, centres.shape) * step
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    radius = 0.5 * step * rng.uniform(0.8, 1.05, (count, 12))
    ring = np.stack([centres[:, :1] + radius * np.cos(angles), centres[:, 1:] + radius * np.sin(angles)], axis=-1)
    shapes = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
    frame = gpd.GeoDataFrame({"zone_id": [f"s{i}" for i in index]}, geometry=shapes, crs=CRS)
    frame.set_geometry(frame.translate(ORIGIN[0] + 0.01 * extent, ORIGIN[1] - extent + 0.01 * extent)
                       ).to_parquet(path, row_group_size=ROW_GROUP)


def prepare(root: Path, sizes: list[int], stands: list[int], base: int = BASE) -> dict[str, Path]:
    """Every input, generated once and kept in ``root``: per size, its tiles and counties; stands over 1×."""
    paths = {}
    for size in sizes:
        side = round(base * math.sqrt(size))
        folder = root / f"x{size}"
        print(f"tiles ×{size}: {side:,} × {side:,} cells …", file=sys.stderr, flush=True)
        make_tiles(folder / "tiles", side, TILE * base // BASE)
        if not (folder / "counties.parquet").exists():
            make_counties(folder / "counties.parquet", side)
        paths[f"x{size}"] = folder
    for count in stands:
        path = root / "x1" / f"stands_{count}.parquet"
        if not path.exists():
            print(f"{count:,} stands …", file=sys.stderr, flush=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            make_stands(path, count, base)
    return paths


# --- runs ------------------------------------------------------------------------------------------------------------

CALL = "t = z.zonal_stats(RASTER, ZONES, categorical=True, coverage=COVERAGE, zone_field='zone_id'); N = len(t)"
RUNNERS = {
    "threads": ("import sinkmap.zonal as z", CALL, "WORKERS = []"),
    # workers started with the malloc thresholds docs/cluster.md recommends (glibc reads them at process start)
    "cluster": ("import os, sinkmap.zonal as z\nfrom dask.distributed import Client, LocalCluster\n"
                "os.environ.update(MALLOC_TRIM_THRESHOLD_='134217728', MALLOC_MMAP_THRESHOLD_='67108864')\n"
                "cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)\n"
                "client = Client(cluster)",
                CALL, f"{PEAK_RSS}\nWORKERS = list(client.run(peak_rss_mib).values())\nclient.close(); cluster.close()"),
    # `sinkmap zonal … -o table.parquet`: the zones read, computed and written 100,000 at a time
    "stream": ("import sinkmap.pipelines.zonal as p",
               "N = p.run_zonal(RASTER, ZONES, OUT, categorical=True, coverage=COVERAGE, zone_field='zone_id')",
               "WORKERS = []"),
    "exactextract": ("from exactextract import exact_extract\nimport geopandas as gpd",
                     "t = exact_extract(RASTER, gpd.read_parquet(ZONES), ['unique', 'frac', 'count'], output='pandas');"
                     " N = int(sum(len(u) for u in t['unique']))", "WORKERS = []"),
}


def run_one(tool: str, raster: Path, zones: Path, coverage: str) -> dict:
    """One run in a fresh process: call seconds, peak RSS of the caller and of each worker (MiB), rows."""
    imports, call, after = RUNNERS[tool]
    script = (f"import time, json, warnings\nwarnings.simplefilter('ignore')\n{PEAK_RSS}\n{imports}\n"
              f"RASTER, ZONES, COVERAGE = {str(raster)!r}, {str(zones)!r}, {coverage!r}\n"
              f"OUT = {str(WORK / 'stream_out.parquet')!r}\n"
              f"t0 = time.perf_counter()\n{call}\nseconds = time.perf_counter() - t0\nown = peak_rss_mib()\n"
              f"{after}\nprint(json.dumps({{'seconds': seconds, 'rows': N, 'rss_mib': own, 'workers': WORKERS}}))")
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {TIMEOUT_S} s"}
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:120]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["total_mib"] = result["rss_mib"] + sum(result["workers"])
    return result


def runs_for(paths: dict[str, Path], stands: list[int], tools: list[str]) -> list[dict]:
    rows = []
    for name, folder in paths.items():  # the raster grows, 50 counties, fraction coverage
        cells = sum(_cells(p) for p in (folder / "tiles").glob("*.tif"))
        for tool in tools:
            raster = write_vrt(folder / "tiles") if tool == "exactextract" else folder / "tiles"
            rows.append({"series": "raster", "size": name, "gpx": cells / 1e9, "zones": COUNTIES, "coverage": "fraction",
                         "tool": tool, **run_one(tool, raster, folder / "counties.parquet", "fraction")})
    base = paths.get("x1")
    for count in stands if base else []:  # the inventory grows on the 1× raster, both coverage rules
        for coverage in ("fraction", "center"):
            for tool in tools:
                if tool == "exactextract" and coverage == "center":
                    continue
                raster = write_vrt(base / "tiles") if tool == "exactextract" else base / "tiles"
                rows.append({"series": "stands", "size": f"{count:,}", "gpx": None, "zones": count,
                             "coverage": coverage, "tool": tool,
                             **run_one(tool, raster, base / f"stands_{count}.parquet", coverage)})
    return rows


def _cells(path: Path) -> int:
    import rasterio

    with rasterio.open(path) as src:
        return src.width * src.height


# --- report ----------------------------------------------------------------------------------------------------------

def growth(rows: list[dict], series: str, tool: str, coverage: str, measure: str) -> list[tuple[float, float]]:
    """(scale, ratio to the smallest) for one tool's finished runs of a series."""
    mine = [r for r in rows if r["series"] == series and r["tool"] == tool and r["coverage"] == coverage
            and "error" not in r]
    if not mine:
        return []
    scale = [(r["gpx"] if series == "raster" else r["zones"]) for r in mine]
    return [(s / scale[0], r[measure] / mine[0][measure]) for s, r in zip(scale, mine)]


def exponent(points: list[tuple[float, float]]) -> float | None:
    """Slope of log(time) on log(size) between the smallest and the largest run."""
    return math.log(points[-1][1]) / math.log(points[-1][0]) if len(points) > 1 and points[-1][0] > 1 else None


def report(rows: list[dict], cores: int) -> None:
    print(f"\nsinkmap scale benchmark; {cores} cores; seconds = the call; MiB = peak RSS of every process "
          "(caller + workers); ratios to the series' smallest run\n")
    print("| series | size | Gpx | zones | coverage | tool | s | MiB (all) | MiB largest worker | rows | s ratio | "
          "MiB ratio |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    first: dict[tuple, dict] = {}
    for r in rows:
        key = (r["series"], r["tool"], r["coverage"])
        gpx = f"{r['gpx']:.2f}" if r["gpx"] else ""
        if "error" in r:
            print(f"| {r['series']} | {r['size']} | {gpx} | {r['zones']:,} | {r['coverage']} | {r['tool']} | "
                  f"{r['error']} | | | | | |")
            continue
        base = first.setdefault(key, r)
        worker = f"{max(r['workers']):.0f}" if r["workers"] else ""
        print(f"| {r['series']} | {r['size']} | {gpx} | {r['zones']:,} | {r['coverage']} | {r['tool']} | "
              f"{r['seconds']:.1f} | {r['total_mib']:.0f} | {worker} | {r['rows']:,} | "
              f"{r['seconds'] / base['seconds']:.2f} | {r['total_mib'] / base['total_mib']:.2f} |")
    print("\n| goal | tool | result | verdict |\n|---|---|---|---|")
    for tool in ("threads", "cluster"):
        time_points = growth(rows, "raster", tool, "fraction", "seconds")
        if (k := exponent(time_points)) is not None:
            print(f"| time linear in the raster (exponent ≤ 1.1) | {tool} | {k:.2f} | {_verdict(k <= 1.1)} |")
        rss = growth(rows, "raster", tool, "fraction", "total_mib")
        if len(rss) > 1:
            worst = max(abs(v - 1) for _, v in rss)
            print(f"| peak RSS flat (± 10 %) as the raster grows | {tool} | {worst:+.0%} at most | "
                  f"{_verdict(worst <= 0.10)} |")
        done = [r for r in rows if r["series"] == "raster" and r["tool"] == tool and "error" not in r]
        if done:
            largest = done[-1]
            at_province = largest["seconds"] * PROVINCE_GPX / largest["gpx"]
            print(f"| {PROVINCE_GPX} Gpx by county ≤ 60 s | {tool} | {at_province:.0f} s (from {largest['gpx']:.2f} Gpx "
                  f"in {largest['seconds']:.0f} s) | {_verdict(at_province <= 60)} |")
            if largest["workers"]:
                peak = max(max(r["workers"]) for r in done)
                print(f"| ≤ 1 GB per worker | {tool} | {peak:.0f} MiB | {_verdict(peak <= 1024)} |")
    for r in rows:  # item 3: 10⁶ zones within 2 GB, and memory flat as the inventory grows when streamed
        if r["series"] == "stands" and r["zones"] >= 1_000_000 and "error" not in r:
            print(f"| 10⁶ stands ≤ 2 GB | {r['tool']}, {r['coverage']} | {r['total_mib']:.0f} MiB | "
                  f"{_verdict(r['total_mib'] <= 2048)} |")
    for coverage in ("fraction", "center"):
        rss = growth(rows, "stands", "stream", coverage, "total_mib")
        if len(rss) > 1:
            worst = max(abs(v - 1) for _, v in rss)
            print(f"| peak RSS flat (± 10 %) as the stands grow, streamed | stream, {coverage} | {worst:+.0%} at most | "
                  f"{_verdict(worst <= 0.10)} |")


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def main(argv: list[str] | None = None) -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,4", help="raster sizes, multiples of 20,000² cells (default 1,4)")
    parser.add_argument("--stands", default="10000,100000", help="stand counts on the 1× raster ('' for none)")
    parser.add_argument("--tools", default="threads,cluster,stream,exactextract")
    parser.add_argument("--small", action="store_true", help="a smoke run: sides ÷ 10, stands ÷ 100")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    stands = [int(s) for s in args.stands.split(",") if s.strip()]
    if args.small:
        stands = [max(100, s // 100) for s in stands]
    root, base = (WORK / "small", BASE // 10) if args.small else (WORK, BASE)
    paths = prepare(root, sizes, stands, base)
    report(runs_for(paths, stands, [t.strip() for t in args.tools.split(",") if t.strip()]), os.cpu_count() or 1)


if __name__ == "__main__":
    main()
