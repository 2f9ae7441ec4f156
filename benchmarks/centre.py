"""Centre mode on many small zones: 200,000 forest stands over a 10 m land cover, centre vs fraction.

    python benchmarks/centre.py              # ≈ 10 min, plus ≈ 2 min the first time (data cached in
                                             #   benchmarks/_work/stands/)
    python benchmarks/centre.py --small      # 8,000 stands on a raster 25× smaller: a smoke run (< 1 min)
    python benchmarks/centre.py --workers 1  # serially
    python benchmarks/centre.py --repeat 3   # the fastest of 3 runs each (a busy machine)

The stands tile the raster like an inventory's 小班: Voronoi cells of a jittered 520 m grid (500 × 400
seeds, ≈ 27 ha each), their edges cut every ≤ 100 m (≈ 25 vertices), so neighbours share edges. The raster
is zonal.py's ``blocky`` land cover (uint8, 100 m patches, 5 % pixel noise, deflate, 512² tiles) in its
Albers CRS, 26,000 × 20,800 cells. Each run is a fresh process, timing the ``zonal_stats`` call alone
(categorical, as the survey's passes; reading the GeoPackage included), in wall seconds and in CPU seconds
of all its threads (steadier on a shared machine):

- centre: ``coverage="center"`` (``sinkmap/zonal/centre.py``: a batch's zones in two rasterize calls);
- centre, each zone alone: ``geometry_mask`` per zone in its own window, the engine's way before, by
  replacing ``engine.batch_centre`` in that process;
- … 64-byte cache (before): also with the engine's GDAL block cache as it was, ``GDAL_CACHEMAX=64``, which
  rasterio takes as bytes (now 64 MiB);
- fraction: ``coverage="fraction"`` (exact coverage), with the cache now and before.

The centre runs must return the same table (checked by a hash of the rows).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from zonal import ALBERS, PEAK_RSS, RES, WORK, Case, blocky, make_raster  # noqa: E402

SPACING = 520.0  # m between the seeds of the stands' grid
SEEDS = (400, 500)  # rows, columns of seeds: 200,000 stands
SEGMENT = 100.0  # m: the longest stand edge
SMALL = 5  # --small: seeds per side ÷ SMALL

PER_ZONE = ("from sinkmap.zonal.centre import centre_mask\n"
            "engine.batch_centre = lambda geoms, transform, parts: np.concatenate(\n"
            "    [centre_mask(g, transform, p).ravel() for g, p in zip(geoms, parts)])\n")
BYTES_CACHE = "engine.bounded_gdal_cache = lambda: rasterio.Env(GDAL_CACHEMAX=64)\n"  # before: 64 bytes
RUNS = (("centre", "center", ""),
        ("centre, each zone alone", "center", PER_ZONE),
        ("centre, each zone alone, 64-byte cache (before)", "center", PER_ZONE + BYTES_CACHE),
        ("fraction", "fraction", ""),
        ("fraction, 64-byte cache (before)", "fraction", BYTES_CACHE))


def make_stands(path: Path, seeds: tuple[int, int], rng: np.random.Generator) -> None:
    """Voronoi cells of a jittered grid of ``seeds``, covering [0, cols·SPACING] × [0, rows·SPACING]."""
    import geopandas as gpd
    import shapely

    rows, cols = seeds
    j, i = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    xy = np.column_stack([(i.ravel() + 0.5 + rng.uniform(-0.4, 0.4, i.size)) * SPACING,
                          (j.ravel() + 0.5 + rng.uniform(-0.4, 0.4, j.size)) * SPACING])
    frame = shapely.box(0, 0, cols * SPACING, rows * SPACING)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=frame))
    cells = shapely.segmentize(shapely.intersection(cells, frame), SEGMENT)
    gpd.GeoDataFrame({"zone_id": [f"stand{k}" for k in range(len(cells))]}, geometry=cells,
                     crs=ALBERS).to_file(path)


def prepare(small: bool) -> Path:
    """The folder with landcover.tif and stands.gpkg (generated once per size)."""
    seeds = (SEEDS[0] // SMALL, SEEDS[1] // SMALL) if small else SEEDS
    folder = WORK / ("stands_small" if small else "stands")
    shape = (int(seeds[0] * SPACING / RES), int(seeds[1] * SPACING / RES))
    case = Case("stands", blocky, shape, stands=0, seed=11)
    spec = json.dumps({"seeds": seeds, "spacing": SPACING, "segment": SEGMENT, "shape": shape, "seed": case.seed})
    stamp = folder / "case.json"
    if not (stamp.exists() and stamp.read_text() == spec):
        print(f"generating {folder}: {seeds[0] * seeds[1]:,} stands, {shape[1]:,} × {shape[0]:,} cells …",
              file=sys.stderr, flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        make_stands(folder / "stands.gpkg", seeds, np.random.default_rng(case.seed))
        make_raster(folder / "landcover.tif", case)
        stamp.write_text(spec)
    return folder


def run_one(folder: Path, coverage: str, setup: str, workers: int | None) -> dict:
    """One ``zonal_stats`` call in a fresh process: seconds, peak RSS (MiB), rows and a hash of the table."""
    kwargs = "" if workers is None else f", workers={workers}"
    script = (f"import time, json, warnings\nwarnings.simplefilter('ignore')\n{PEAK_RSS}\n"
              "import numpy as np, pandas as pd, rasterio\nimport sinkmap.zonal as z\nimport sinkmap.zonal.engine as engine\n"
              f"{setup}"
              "t0, c0 = time.perf_counter(), time.process_time()\n"
              f"t = z.zonal_stats({str(folder / 'landcover.tif')!r}, {str(folder / 'stands.gpkg')!r}, categorical=True,"
              f" coverage={coverage!r}, zone_field='zone_id'{kwargs})\n"
              "seconds, cpu = time.perf_counter() - t0, time.process_time() - c0\n"
              "print(json.dumps({'seconds': seconds, 'cpu': cpu, 'rss_mib': peak_rss_mib(), 'rows': len(t),"
              " 'hash': int(pd.util.hash_pandas_object(t, index=False).sum())}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="8,000 stands on a raster 25× smaller: a smoke run")
    parser.add_argument("--workers", type=int, help="sinkmap's threads (default: its own default)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest is shown (a busy machine)")
    args = parser.parse_args(argv)
    folder = prepare(args.small)
    results = {label: min((run_one(folder, coverage, setup, args.workers) for _ in range(max(1, args.repeat))),
                          key=lambda r: r["seconds"]) for label, coverage, setup in RUNS}
    fraction = results["fraction"]
    print("\n| run | s | ÷ fraction's s | CPU s | ÷ fraction's CPU s | MiB | rows |\n|---|---|---|---|---|---|---|")
    for label, r in results.items():
        print(f"| {label} | {r['seconds']:.2f} | **{r['seconds'] / fraction['seconds']:.2f}** | {r['cpu']:.2f} | "
              f"**{r['cpu'] / fraction['cpu']:.2f}** | {r['rss_mib']:.0f} | {r['rows']:,} |")
    tables = {(r["rows"], r["hash"]) for label, r in results.items() if label.startswith("centre")}
    before = results["centre, each zone alone, 64-byte cache (before)"]["seconds"]
    print(f"\ncentre now ÷ before: {results['centre']['seconds'] / before:.3f}; "
          f"the centre runs return the same table: {len(tables) == 1}")


if __name__ == "__main__":
    main()
