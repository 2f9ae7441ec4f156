"""Giving freed memory back to the operating system between the parts of a long streamed run.

Python frees a part's geometries and arrays into its allocators, which keep the pages for reuse: glibc's
malloc (shapely/GEOS, numpy) and Arrow's mimalloc pool (GeoParquet reads). Over 10 parts of 100,000 stands
the process then keeps ~300 MB it no longer uses; handing them back after each part keeps the peak at one
part's worth (``benchmarks/README.md``, scale.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None  # glibc only


def give_back() -> None:
    """Return the memory freed so far to the operating system where the allocators allow it (no-op elsewhere)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
