"""Web-map weight benchmark: sinkmap's compact display layer vs plain folium GeoJSON.

    python benchmarks/webmap.py           # or: make benchmark

Maps the demo's 16,855 forest stands (generated once into benchmarks/_work/demo/, SYNTHETIC)
three ways with the same tooltip and popup fields and no basemap:

- folium: ``folium.GeoJson(stands.to_json())`` at full precision, what a folium user writes;
- folium, simplified: the same after per-feature simplification at ≈ 50 m and rounding to 1e-5°
  (sinkmap's approach before the compact layer);
- sinkmap: ``sinkmap.pipelines.map.run_map`` (zoom-tied simplification, quarter-pixel grid, compact
  document decoded in the page).

Prints file size, build time and the time headless Chromium takes from navigation to the layer
drawn, with ratios against plain folium. Goal (issue 6): the full survey map, stands included,
≤ 5 MB and open in a few seconds.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

WORK = Path(__file__).parent / "_work"
FIELDS = ["stand_id", "species_group", "origin", "age_group", "canopy_closure", "area_ha", "volume_per_ha"]


def stands_file() -> Path:
    path = WORK / "demo" / "stands.gpkg"
    if not path.exists():
        from sinkmap.demo import generate_demo

        generate_demo(WORK / "demo")
    return path


def folium_map(stands, out: Path, simplified: bool) -> None:
    import folium
    import numpy as np
    import shapely

    from sinkmap.writers.offline import make_offline

    frame = stands[[*FIELDS, "geometry"]].to_crs(4326)
    if simplified:
        geoms = shapely.simplify(frame.geometry.to_numpy(), 0.00025, preserve_topology=True)
        frame = frame.set_geometry(shapely.transform(geoms, lambda xy: np.round(xy, 5)))
    fmap = folium.Map(tiles=None)
    folium.GeoJson(frame.to_json(), name="stands", tooltip=folium.GeoJsonTooltip(FIELDS),
                   popup=folium.GeoJsonPopup(FIELDS)).add_to(fmap)
    fmap.fit_bounds([[22.6, 114.9], [23.5, 116.3]])
    out.write_text(make_offline(fmap).get_root().render(), encoding="utf-8")


def sinkmap_map(path: Path, out: Path) -> None:
    from sinkmap.pipelines.map import run_map

    run_map([path], out, popup_fields=FIELDS, basemap="none")


@contextlib.contextmanager
def chromium_tab() -> Iterator[object | None]:
    """A tab (1200 × 850 px) of headless Chromium, closed afterwards; None without Chromium or playwright."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        yield None
        return
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser.new_page(viewport={"width": 1200, "height": 850})
        finally:
            browser.close()


def load_seconds(page: Path) -> float | None:
    """Navigation to the stands added and painted (one animation frame), in headless Chromium (None: no browser)."""
    with chromium_tab() as tab:
        if tab is None:
            return None
        start = time.perf_counter()
        tab.goto(page.as_uri(), wait_until="domcontentloaded", timeout=120_000)
        tab.wait_for_function("""() => { for (const k in window) { if (k.startsWith('geo_json_') && window[k].getLayers
            && window[k].getLayers().length > 10000) { return new Promise(r => requestAnimationFrame(() => r(true))); } }
            return false; }""", timeout=120_000)  # every stand added, then one frame painted
        return time.perf_counter() - start


def main() -> int:
    import geopandas as gpd

    path = stands_file()
    stands = gpd.read_file(path)
    WORK.mkdir(exist_ok=True)
    rows = []
    for name, build in (("folium", lambda out: folium_map(stands, out, False)),
                        ("folium, simplified", lambda out: folium_map(stands, out, True)),
                        ("sinkmap", lambda out: sinkmap_map(path, out))):
        out = WORK / f"webmap-{name.replace(', ', '-')}.html"
        start = time.perf_counter()
        build(out)
        rows.append((name, out.stat().st_size / 1e6, time.perf_counter() - start, load_seconds(out)))
    base_mb, base_build, base_load = rows[0][1:]
    print(f"{len(stands):,} stands (SYNTHETIC demo), fields {', '.join(FIELDS)}; no basemap; headless Chromium\n")
    print("| map | MB | size ratio | build s | load s | load ratio |")
    print("|---|---|---|---|---|---|")
    for name, mb, build_s, load_s in rows:
        load = f"{load_s:.2f}" if load_s is not None else "—"
        ratio = f"**{load_s / base_load:.2f}**" if load_s is not None and base_load else "—"
        print(f"| {name} | {mb:.2f} | **{mb / base_mb:.2f}** | {build_s:.2f} | {load} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
