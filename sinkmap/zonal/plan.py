"""Planning a zonal run: each zone's window on the raster, and the tasks that read those windows.

- a *small* zone (its window ≤ ``max_cells``, e.g. a forest stand) is in one batch task with its
  neighbours in raster order: one read of their union window, one vectorised pass;
- *large* zones (e.g. counties) share a pass of row strips: each strip is read once (only the columns
  the large zones need, ≤ ``max_cells`` cells) and every large zone in it takes its part.

A small zone's totals come from its own cells only, whatever its batch mates; a large zone's from the
strips, which depend on the set of large zones only. So zones may be planned a part at a time
(``engine``: 10⁶ stands in passes of ``ZONES_PER_PASS``) with the large ones planned together first,
and every zone gets the same numbers as in one plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rasterio.windows import Window

BATCH_ZONES = 256  # small zones weighed together in one vectorised pass
BATCH_ROWS = 512  # small zones are visited in bands of rows, then by column: neighbours share reads


@dataclass(frozen=True)
class Task:
    """Read ``window`` once; weigh the cells of each zone in ``zones`` (indices) inside it.

    A batch (small zones) is weighed in one vectorised pass; a strip (large zones) zone by zone,
    so that memory stays within one window.
    """

    window: Window
    zones: tuple[int, ...]
    batch: bool = False


def zone_window(source, bounds) -> Window | None:
    """Whole-cell window covering ``bounds`` (floor/ceil on the inverse transform); None outside."""
    t = source.transform  # north-up: column = (x − c) / a, row = (y − f) / e
    cols = ((bounds[0] - t.c) / t.a, (bounds[2] - t.c) / t.a)
    rows = ((bounds[3] - t.f) / t.e, (bounds[1] - t.f) / t.e)
    c0, c1 = int(np.floor(min(cols))), int(np.ceil(max(cols)))
    r0, r1 = int(np.floor(min(rows))), int(np.ceil(max(rows)))
    c1, r1 = max(c1, c0 + 1), max(r1, r0 + 1)
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, source.width), min(r1, source.height)
    if c0 >= c1 or r0 >= r1:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def overlap(a: Window, b: Window) -> Window | None:
    c0, r0 = max(a.col_off, b.col_off), max(a.row_off, b.row_off)
    c1 = min(a.col_off + a.width, b.col_off + b.width)
    r1 = min(a.row_off + a.height, b.row_off + b.height)
    return Window(c0, r0, c1 - c0, r1 - r0) if c1 > c0 and r1 > r0 else None


def _union(a: Window, b: Window) -> Window:
    c0, r0 = min(a.col_off, b.col_off), min(a.row_off, b.row_off)
    c1 = max(a.col_off + a.width, b.col_off + b.width)
    r1 = max(a.row_off + a.height, b.row_off + b.height)
    return Window(c0, r0, c1 - c0, r1 - r0)


def _batches(small: list[int], windows: list[Window | None], max_cells: int) -> list[Task]:
    """Neighbouring small zones share one read while their union window stays ≤ max_cells."""
    tasks, members, union = [], [], None
    for i in small:
        grown = windows[i] if union is None else _union(union, windows[i])
        if members and (grown.width * grown.height > max_cells or len(members) >= BATCH_ZONES):
            tasks.append(Task(union, tuple(members), batch=True))
            members, grown = [], windows[i]
        members.append(i)
        union = grown
    if members:
        tasks.append(Task(union, tuple(members), batch=True))
    return tasks


def is_large(window: Window | None, max_cells: int) -> bool:
    """A zone done in the strips of large zones: its window holds more than ``max_cells`` cells."""
    return window is not None and window.width * window.height > max_cells


def plan_tasks(windows: list[Window | None], max_cells: int) -> list[Task]:
    """Small zones: batches of neighbours (in raster order); large zones: shared row strips."""
    small = [i for i, w in enumerate(windows) if w is not None and not is_large(w, max_cells)]
    large = [i for i, w in enumerate(windows) if is_large(w, max_cells)]
    small.sort(key=lambda i: (windows[i].row_off // BATCH_ROWS, windows[i].col_off, windows[i].row_off))
    tasks = _batches(small, windows, max_cells)
    if not large:
        return tasks
    # Large zones are few (counties): strips span all their columns and skip rows none of them covers.
    c0 = min(windows[i].col_off for i in large)
    c1 = max(windows[i].col_off + windows[i].width for i in large)
    rows_per_strip = max(1, max_cells // (c1 - c0))
    row, row_stop = min(windows[i].row_off for i in large), max(windows[i].row_off + windows[i].height for i in large)
    while row < row_stop:
        strip = Window(c0, row, c1 - c0, min(rows_per_strip, row_stop - row))
        members = tuple(i for i in large if overlap(strip, windows[i]) is not None)
        if members:
            tasks.append(Task(strip, members))
            row += int(strip.height)
        else:  # a gap between large zones: jump to the next one
            row = min(windows[i].row_off for i in large if windows[i].row_off > row)
    return tasks
