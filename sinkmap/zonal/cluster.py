"""Zonal tasks on a dask.distributed cluster: which client, what each task carries, results in order.

The tasks of a ``zonal_stats`` call run on a cluster's workers when (``use_cluster``):

- ``scheduler`` is an address (``tcp://HOST:8786``): a client connects for the call, or fails within
  CONNECT_TIMEOUT_S with a SchedulerError naming the address (also when no worker joins within that time);
- ``scheduler`` is None and a ``distributed.Client`` is active here (created, or ``as_current``), but not
  inside a task on a worker;
- ``scheduler`` is None, no client is active and SINKMAP_SCHEDULER holds an address;

and on local threads otherwise, or with ``scheduler="local"`` (also for every call inside a ``use_cluster("local")``
block). ``distributed`` is imported only for a cluster.

A task carries only what it needs (``_shipped``): its zones' windows, its coverage rule, the cell areas of its
window (``CellAreas.crop``) and, for a batch of small zones, their geometries: ≈ 50 kB for 256 stands. The
raster's grid and ``location`` (the worker opens it itself, ``sources.opened``; for tiles, a VRT document that
grows with their number) and the geometries of the large zones go to every worker once per call (``scatter``):
a strip names its large zones by position. (Each strip carried its counties' geometries until 2026-12-08:
≈ 200 kB a strip for 9 of 50 jagged counties, sent again with every strip, and dask.distributed keeps the last
1,000 messages of each stream, ``distributed.admin.low-level-log-length``: the caller, with a LocalCluster's
scheduler, held up to ≈ 300 MB of them.) A dask array without a file is sliced
here and computed on the cluster as the task's input; an in-memory array or dataset is read here and its
window scattered. Workers cap GDAL's block cache as the local run does and return the task's ZoneTotals,
which are added here in task order: tables identical to the local run's, to the bit. At most
IN_FLIGHT_PER_THREAD tasks per worker thread are submitted ahead of the one being added.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import os
import sys
import uuid
import warnings
from collections import deque
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
from rasterio.errors import NotGeoreferencedWarning

from sinkmap.errors import InputError, SchedulerError
from sinkmap.readers.raster import valid_mask
from sinkmap.zonal.accumulate import ZoneTotals
from sinkmap.zonal.tasks import bounded_gdal_cache, run_task

SCHEDULER_ENV = "SINKMAP_SCHEDULER"  # a scheduler address used when none is given and no client is active
LOCAL = "local"  # scheduler="local": local threads even with a client active
CONNECT_TIMEOUT_S = 5
IN_FLIGHT_PER_THREAD = 4  # tasks submitted ahead per worker thread (then one batch of half as many at a time)
_local = contextvars.ContextVar("sinkmap_local", default=False)  # inside use_cluster("local")


def _distributed(address: str):
    try:
        import distributed
    except ImportError:
        raise InputError(f"running on the dask scheduler {address} needs dask.distributed",
                         fix="install it: pip install 'sinkmap[cluster]'") from None
    return distributed


def _connect(address: str):
    """A client of the scheduler at ``address``; a SchedulerError naming it when it does not answer."""
    distributed = _distributed(address)
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        detail = " ".join(str(exc).split())[:160]
    # the half-made client closes now: left to the interpreter's exit, it waits twice the timeout and prints a traceback
    gc.collect()
    raise SchedulerError(f"no dask scheduler answers at {address} ({detail})",
                         fix="start one (`dask scheduler`) and its workers (`dask worker ADDRESS`), check the address "
                             "and port, or leave out --scheduler to run on this machine")


def active_client():
    """The dask.distributed client active in this thread (``distributed.default_client``), or None (also inside a
    task on a worker: its zonal work stays there)."""
    if sys.modules.get("distributed") is None:  # not imported: no client can exist
        return None
    from distributed import default_client, get_worker

    with contextlib.suppress(ValueError):
        get_worker()
        return None
    try:
        client = default_client()
    except ValueError:
        return None
    return client if client.status == "running" and not client.asynchronous else None


@contextlib.contextmanager
def use_cluster(scheduler: str | None = None) -> Iterator[object | None]:
    """The client zonal tasks run on during the block, or None (local threads).

    ``scheduler``: an address (a client connected for the block and current in it, then closed), "local"
    (None, and for every ``use_cluster(None)`` inside the block), or None: as the enclosing block, else the active
    client, else one connected to $SINKMAP_SCHEDULER, else None. Entered around a survey, every zonal call inside
    finds the one client.
    """
    address = scheduler
    if scheduler is None:
        client = None if _local.get() else active_client()
        if client is not None or _local.get() or not os.environ.get(SCHEDULER_ENV):
            yield client
            return
        address = os.environ[SCHEDULER_ENV]
    if address == LOCAL:
        token = _local.set(True)
        try:
            yield None
        finally:
            _local.reset(token)
        return
    with _connect(address) as client, client.as_current():
        yield client


def _shipped(plan, task, shared: bool = False) -> tuple:
    """``plan`` and ``task`` cut to the task: its zones only (numbered from 0), the cell areas of its window, no
    source (sent apart); no geometries either when ``shared`` (a strip's large zones, sent apart once)."""
    zones = list(task.zones)
    areas = None if plan.areas is None else plan.areas.crop(task.window)
    sub = replace(plan, source=None, geoms=None if shared else plan.geoms[zones],
                  windows=[plan.windows[i] for i in zones], areas=areas)
    return sub, replace(task, zones=tuple(range(len(zones))))


_quiet = False


def _work(plan, task, source, block=None, large=None, picks: tuple[int, ...] = ()) -> list[ZoneTotals]:
    """On a worker: the totals of the task's zones (in order) over its window, read from ``source``'s location or
    given as ``block`` (values, or values and validity). A strip's geometries: ``large[picks]`` (the call's large
    zones)."""
    global _quiet
    plan = replace(plan, source=source) if large is None else replace(plan, source=source, geoms=large[list(picks)])
    if not _quiet:  # rasterize's NotGeoreferenced warning (see engine._partials), for the worker's life:
        warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)  # catch_warnings is not thread-safe
        _quiet = True
    if block is not None and not isinstance(block, tuple):  # a dask slice the cluster computed
        block = np.asarray(block)
        block = block, valid_mask(block, plan.source.nodata)
    with bounded_gdal_cache():
        totals = run_task(plan, task, block)
    return [totals[k] for k in task.zones]


def _submit(client, plan, tasks: list, source, first: int, run: str, large=None) -> list:
    """Futures of ``_work`` for ``tasks`` (numbered from ``first``), each with its input; ``source``: the future
    of the raster's grid and location; ``large``: the future of the large zones' geometries and each one's
    position in them (by zone index), or None."""
    if plan.source.location is not None:
        blocks = [None] * len(tasks)
    elif plan.source.chunked:  # computed on the cluster, never gathered here
        blocks = client.compute([plan.source.array[task.window.toslices()] for task in tasks])
    else:  # in memory here: read here, sent once
        blocks = client.scatter([plan.source.read(task.window) for task in tasks], hash=False)
    futures = []
    for n, (task, block) in enumerate(zip(tasks, blocks)):
        strip = large is not None and not task.batch
        shared = (large[0], tuple(large[1][i] for i in task.zones)) if strip else ()
        futures.append(client.submit(_work, *_shipped(plan, task, strip), source, block, *shared,
                                     key=f"sinkmap-zonal-{run}-{first + n}", pure=False))
    return futures


def _threads(client) -> int:
    """The cluster's worker threads; a SchedulerError when no worker joins within CONNECT_TIMEOUT_S."""
    if not client.nthreads():
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except TimeoutError:
            address = client.scheduler.address
            raise SchedulerError(f"the dask scheduler at {address} has no workers",
                                 fix=f"start them: `dask worker {address}` on each machine") from None
    return sum(client.nthreads().values())


def cluster_partials(client, plan, tasks: list) -> Iterator[dict[int, ZoneTotals]]:
    """Each task's totals, in task order, computed on the workers of ``client``."""
    ahead = IN_FLIGHT_PER_THREAD * _threads(client)
    step = max(1, ahead // 2)
    source = client.scatter(replace(plan.source, array=None, dataset=None), broadcast=True, hash=False)
    in_strips = sorted({i for task in tasks if not task.batch for i in task.zones})  # the large zones
    large = None
    if in_strips:  # every strip needs some of them: sent once, not with each strip
        large = (client.scatter([plan.geoms[in_strips]], broadcast=True, hash=False)[0],
                 {i: k for k, i in enumerate(in_strips)})
    run = uuid.uuid4().hex[:8]
    pending: deque = deque()
    try:
        for first in [*range(0, len(tasks), step), None]:  # None: the last batch is in, add the rest
            if first is not None:
                batch = tasks[first:first + step]
                pending.extend(zip(batch, _submit(client, plan, batch, source, first, run, large)))
            while pending and (first is None or len(pending) > ahead - step):
                task, future = pending.popleft()
                yield dict(zip(task.zones, future.result()))
    finally:
        if pending:  # an error, or the caller stopped: nothing keeps running for this call
            client.cancel([future for _, future in pending])
