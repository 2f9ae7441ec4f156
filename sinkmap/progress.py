"""Progress display on stderr for steps that take seconds: ``[3/6] step … 2.4 s``; each step's duration is
kept in ``timings`` (provenance.json's, with ``--stamp``)."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator


class Progress:
    """Prints one line per step to stderr with its duration; silent when disabled. ``timings``: (label, s)
    of every step completed, in order, printed or not."""

    def __init__(self, enabled: bool = True, total: int | None = None, stream=None) -> None:
        self.enabled = enabled
        self.total = total
        self.count = 0
        self.stream = stream or sys.stderr
        self.timings: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def step(self, label: str) -> Iterator[None]:
        self.count += 1
        prefix = f"[{self.count}/{self.total}] " if self.total else ""
        start = time.perf_counter()
        if self.enabled:
            print(f"{prefix}{label} …", end="", file=self.stream, flush=True)
        try:
            yield
        except BaseException:
            if self.enabled:
                print(" failed", file=self.stream, flush=True)
            raise
        seconds = time.perf_counter() - start
        self.timings.append((label, seconds))
        if self.enabled:
            print(f" {seconds:.1f} s", file=self.stream, flush=True)
