"""The survey map at inventory scale: 10^6 stands (SYNTHETIC jittered grid over Shanwei, EPSG:4490).

    python benchmarks/webmap_scale.py                 # 10^6 stands (≈ 3 min; stands cached in benchmarks/_work/)
    python benchmarks/webmap_scale.py --stands 100000 # fewer

Builds a coverage of ``--stands`` polygons (a 1.3° × 0.9° grid of ≈ 1.3 ha cells, corners and edge
midpoints jittered so neighbours share their borders exactly, 8 vertices each) with the forest
stands' map fields, draws it on the survey map (``sinkmap.writers.map.survey_map``, the demo AOI's
counties, stands switched on) and writes it with ``sinkmap.writers.tiles.write_map``. Prints the size
of map.html, the size and file count of its tile folder, the write time, and the time headless
Chromium takes from navigation to the page's ``load`` event plus one painted frame: at the default
zoom (the grid summary) and after zooming to the stands' first detail zoom at the city centre (tile
scripts loaded and drawn). Goal (issue 21): map.html ≤ 5 MB, open in a few seconds, each stand's
popup on zoom-in.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

WORK = Path(__file__).parent / "_work" / "scale"
WEST, SOUTH, EAST, NORTH = 114.9, 22.6, 116.2, 23.5  # °, CGCS2000: Shanwei
SPECIES = ["masson_pine", "slash_pine", "chinese_fir", "eucalyptus", "acacia", "broadleaf_mixed"]
ORIGINS = ["natural", "planted"]
AGES = ["young", "middle", "near_mature", "mature", "over_mature"]


def jittered_grid(count: int, seed: int = 21):
    """About ``count`` stands as a GeoDataFrame (EPSG:4490): a jittered grid coverage with stand fields."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    ny = max(1, round((count * (NORTH - SOUTH) / (EAST - WEST)) ** 0.5))
    nx = max(1, round(count / ny))
    dx, dy = (EAST - WEST) / nx, (NORTH - SOUTH) / ny
    # Vertices on a (2 nx + 1) × (2 ny + 1) lattice: corners and edge midpoints, each moved once,
    # so the two stands beside an edge use the same moved vertices (a valid coverage).
    gx, gy = np.meshgrid(np.arange(2 * nx + 1) * dx / 2 + WEST, np.arange(2 * ny + 1) * dy / 2 + SOUTH)
    inner = np.zeros(gx.shape, bool)
    inner[1:-1, 1:-1] = True
    gx = gx + np.where(inner, rng.uniform(-0.12, 0.12, gx.shape) * dx, 0.0)
    gy = gy + np.where(inner, rng.uniform(-0.12, 0.12, gy.shape) * dy, 0.0)
    j, i = np.meshgrid(np.arange(ny) * 2, np.arange(nx) * 2, indexing="ij")
    ring = [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0), (0, 0)]  # (dj, di), counter-clockwise
    rows = np.stack([j.ravel() + dj for dj, _ in ring], axis=1)
    cols = np.stack([i.ravel() + di for _, di in ring], axis=1)
    coords = np.stack([gx[rows, cols], gy[rows, cols]], axis=2)
    geoms = shapely.polygons(coords)
    n = len(geoms)
    area = rng.uniform(0.9, 1.8, n)
    frame = gpd.GeoDataFrame({
        "stand_id": [f"S{k:07d}" for k in range(n)],
        "species_group": np.array(SPECIES)[rng.integers(0, len(SPECIES), n)],
        "origin": np.array(ORIGINS)[rng.integers(0, 2, n)],
        "age_group": np.array(AGES)[rng.integers(0, len(AGES), n)],
        "canopy_closure": np.round(rng.uniform(0.2, 0.9, n), 2),
        "area_ha": np.round(area, 2),
        "volume_per_ha": np.round(rng.uniform(10, 180, n), 1),
    }, geometry=geoms, crs=4490)
    return frame


def stands(count: int):
    import geopandas as gpd

    path = WORK / f"stands_{count}.parquet"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        jittered_grid(count).to_parquet(path)
    return gpd.read_parquet(path)


def counties():
    """The demo AOI's counties with the columns the survey map's choropleth reads (values made up: SYNTHETIC)."""
    from sinkmap import aoi

    units = aoi.load_counties()
    units["forest_cover"] = np.linspace(40, 60, len(units))
    units["land_area"] = aoi.area_km2(units).to_numpy()
    units["stock_volume"] = 100.0
    return units


def write(frame, out: Path) -> tuple[float, float]:
    """Seconds to build the survey map of ``frame`` and to write it (page and tiles)."""
    from sinkmap.writers.map import survey_map
    from sinkmap.writers.tiles import write_map

    start = time.perf_counter()
    fmap = survey_map(counties(), {"stands": frame}, column="forest_cover", label=("森林覆盖率", "Forest cover"),
                      unit="%", attributions=["SYNTHETIC benchmark"], synthetic=True, survey_year=2025,
                      basemap="none")
    built = time.perf_counter()
    write_map(fmap, out)
    return built - start, time.perf_counter() - built


def browser_times(page: Path) -> tuple[float, float, int, int] | None:
    """Seconds to 'load' + the stands' grid summary painted at the default zoom, then to the stands drawn
    at their show zoom (which, and how many stands were drawn); None without Chromium."""
    from webmap import chromium_tab  # benchmarks/webmap.py, beside this script

    frame = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
    with chromium_tab() as tab:
        if tab is None:
            return None
        errors = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        tab.goto(page.as_uri(), wait_until="load", timeout=300_000)
        tab.evaluate(frame)
        loaded = time.perf_counter() - start
        # The survey map opens with the stands switched off (catalogue: hidden): switch them on.
        start = time.perf_counter()
        tab.evaluate("""() => { const layer = Object.values(window.sinkmapTiled)[0];
            for (const k in window) { if (k.startsWith('map_') && window[k].addLayer) { window[k].addLayer(layer); } } }""")
        tab.wait_for_function("() => Object.values(window.sinkmapTiled)[0]._cellsDrawn > 0")
        tab.evaluate(frame)
        summary = time.perf_counter() - start
        zoom = tab.evaluate("() => Object.values(window.sinkmapTiled)[0]._spec.showZoom")
        start = time.perf_counter()
        tab.evaluate(f"""() => {{ Object.values(window.sinkmapTiled)[0]._map.setView([{(SOUTH + NORTH) / 2},
            {(WEST + EAST) / 2}], {zoom}, {{animate: false}}); }}""")  # returns nothing: no map to serialise
        tab.wait_for_function("() => Object.values(window.sinkmapTiled)[0].idle()", timeout=300_000)
        tab.evaluate(frame)
        zoomed = time.perf_counter() - start
        drawn = tab.evaluate("() => Object.values(window.sinkmapTiled)[0].featureCount()")
    if errors:
        raise RuntimeError(f"page errors: {errors}")
    return loaded, summary, zoomed, zoom, drawn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stands", type=int, default=1_000_000)
    args = parser.parse_args()
    frame = stands(args.stands)
    out = WORK / "map" / "map.html"
    shutil.rmtree(out.parent, ignore_errors=True)
    out.parent.mkdir(parents=True)
    seconds = write(frame, out)
    tiles = [p for p in out.with_name("map_tiles").rglob("*") if p.is_file()]
    tile_bytes = sum(p.stat().st_size for p in tiles)
    times = browser_times(out)
    print(f"{len(frame):,} stands (SYNTHETIC jittered grid over Shanwei), survey map, no basemap, headless Chromium\n")
    print("| stands | map.html MB | map_tiles MB | tile files | build + write s | load s | + grid summary s | "
          "zoom to show zoom s (zoom, stands drawn) |")
    print("|---|---|---|---|---|---|---|---|")
    loaded, summary, zoomed = (f"{times[0]:.2f}", f"{times[1]:.2f}", f"{times[2]:.2f} ({times[3]}, {times[4]:,})"
                               ) if times else ("—", "—", "—")
    print(f"| {len(frame):,} | {out.stat().st_size / 1e6:.2f} | {tile_bytes / 1e6:.1f} | {len(tiles):,} | "
          f"{sum(seconds):.1f} ({seconds[0]:.1f} + {seconds[1]:.1f}) | {loaded} | {summary} | {zoomed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
