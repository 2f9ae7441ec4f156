"""Zonal statistics on a dask.distributed cluster vs local threads (issue 21).

    python benchmarks/cluster.py            # 12,500 stands and 6 counties on a 4,000 × 4,000 GK raster
    python benchmarks/cluster.py --small    # 1,000 stands on 1,000 × 1,000: a smoke run (< 1 min)

The raster (10 m uint8 land cover, 512² deflate tiles, EPSG:4547: ground cell areas vary) and the zones are
generated once into benchmarks/_work/cluster/ by benchmarks/zonal.py's code. Each zone set runs categorical
with exact coverage ("fraction") four ways in this process: local threads (the default, 2 on this machine),
the same through dask's threaded scheduler (``chunks=True``), a rioxarray dask array (read from its file), and
on a LocalCluster of 2 worker processes × 1 thread (``scheduler=ADDRESS``; run twice, the first warms the
workers' imports), started with dask's default worker environment and again with glibc's malloc thresholds
raised (``WORKER_MALLOC``, docs/cluster.md). Every table is checked equal, byte for byte as CSV, to the local
one. *CPU s*: this process's CPU time plus the workers' (a LocalCluster's scheduler runs in this process);
less disturbed than wall time by other work on the machine. *MB sent*: bytes through the loopback interface
during the run (task specs, results, heartbeats: everything client, scheduler and workers exchange; other
traffic on the machine counts too).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import psutil
from zonal import WORK, Case, blocky, prepare

WORKER_MALLOC = {"MALLOC_TRIM_THRESHOLD_": "134217728", "MALLOC_MMAP_THRESHOLD_": "67108864"}  # 128 MiB, 64 MiB
CASE = Case("EPSG:4547 Gauss-Krüger; 100 m patches, 5 % pixel noise; 12,500 stands", blocky, (4_000, 4_000),
            crs="EPSG:4547", origin=(540_000.0, 2_600_000.0), stands=12_500, seed=7)


def loopback_bytes() -> int:
    return psutil.net_io_counters(pernic=True)["lo"].bytes_sent


def cpu_seconds(client) -> float:
    """CPU time of this process and, with ``client``, of its workers."""
    workers = 0.0 if client is None else sum(client.run(time.process_time).values())
    return time.process_time() + workers


def timed(label: str, call, reference=None, client=None) -> dict:
    sent, cpu = loopback_bytes(), cpu_seconds(client)
    tasks = []
    start = time.perf_counter()
    table = call(progress=lambda done, total: tasks.append(total))
    seconds, sent, cpu = time.perf_counter() - start, loopback_bytes() - sent, cpu_seconds(client) - cpu
    same = "" if reference is None else ("identical" if table.to_csv() == reference.to_csv() else "DIFFERENT")
    print(f"| {label} | {tasks[-1]} | {seconds:.2f} | {cpu:.2f} | {sent / 1e6:.1f} | {same} |", flush=True)
    return {"table": table, "seconds": seconds}


def zonal(raster, zones: Path, **fixed):
    """``zonal_stats(raster, zones, **fixed)``, to be called with the progress callback."""
    from sinkmap.zonal import zonal_stats

    return lambda **k: zonal_stats(raster, zones, **fixed, **k)


def cluster_runs(raster: Path, path: Path, reference, kwargs: dict, label: str) -> None:
    """The runs on a LocalCluster of 2 worker processes × 1 thread (started with this process's environment)."""
    import rioxarray
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster, set_as_default=False) as client:
        address = cluster.scheduler_address
        for run in (" (cold)", ""):
            timed(f"LocalCluster{label}{run}", zonal(raster, path, scheduler=address, **kwargs), reference, client)
        array = rioxarray.open_rasterio(raster, chunks={"x": 1024, "y": 1024})
        timed(f"rioxarray dask array, LocalCluster{label}", zonal(array, path, scheduler=address, **kwargs),
              reference, client)
        timed(f"dask array without a file, LocalCluster{label}", zonal(array + 0, path, scheduler=address, **kwargs),
              reference, client)


def main() -> None:
    import rioxarray

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="1,000 × 1,000 and 1,000 stands")
    small = parser.parse_args().small
    case = CASE.small() if small else CASE
    if small:
        case = Case(case.about, blocky, (1_000, 1_000), crs=case.crs, origin=case.origin, stands=1_000, seed=7)
    folder = prepare(WORK / ("cluster-small" if small else "cluster"), case)
    raster = folder / "landcover.tif"
    for zones in ("stands", "counties"):
        path = folder / f"{zones}.gpkg"
        kwargs = {"categorical": True, "coverage": "fraction", "zone_field": "zone_id"}
        print(f"\n{zones}: {case.shape[1]:,} × {case.shape[0]:,}\n\n| run | tasks | s | CPU s | MB sent | table |\n"
              "|---|---|---|---|---|---|")
        local = timed("local threads", zonal(raster, path, scheduler="local", **kwargs))
        timed("dask threads (chunks=True)", zonal(raster, path, scheduler="local", chunks=True, **kwargs),
              local["table"])
        array = rioxarray.open_rasterio(raster, chunks={"x": 1024, "y": 1024})
        timed("rioxarray dask array, local", zonal(array, path, scheduler="local", **kwargs), local["table"])
        cluster_runs(raster, path, local["table"], kwargs, "")
        os.environ.update(WORKER_MALLOC)
        cluster_runs(raster, path, local["table"], kwargs, ", malloc thresholds raised")
        for name in WORKER_MALLOC:
            del os.environ[name]

if __name__ == "__main__":
    main()
