"""Progress display on stderr for steps that take seconds: ``[3/6] step … 2.4 s``; each step's duration is
kept in ``timings`` (provenance.json's, with ``--stamp``).

Within a step, work done in tasks (the zonal engine's ``progress(done, total)``) is shown once the step has
run ``DELAY_S``: on a terminal the step's line is redrawn in place, at most every ``REFRESH_S``, as
``[4/9] forest patches … 37 % (1,520/4,096 tasks, ~21 s left)`` (the time left at the pace of the tasks so
far; ``pass 2: …`` for a step's next zonal pass); in a log (stderr not a terminal) the line only gains the
percentage every ``NOTE_S`` (``[4/9] forest patches … 40 % 81 % 152.0 s``).
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

DELAY_S = 2.0  # tasks are shown once a step has run this long
REFRESH_S = 0.25  # a terminal's line is redrawn at most this often
NOTE_S = 60.0  # a log's line gains the percentage at most this often
CLEAR = "\x1b[K"  # erase to the end of the terminal's line

_open: list[Progress] = []  # the display whose step line is open (printed, not yet ended)


def end_line() -> None:
    """End the open step line, if any, before another line is printed to its stream (a warning); the step's
    time then follows on a line of its own, with the step's name."""
    if _open:
        _open.pop()._break()


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (where a line can be redrawn in place)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def remaining(seconds: float) -> str:
    """``~21 s``, ``~4 min``, ``~2.1 h``."""
    if seconds < 100:
        return f"~{max(seconds, 1):.0f} s"
    if seconds < 100 * 60:
        return f"~{seconds / 60:.0f} min"
    return f"~{seconds / 3600:.1f} h"


def percent(done: int, total: int) -> int:
    """Whole per cent of ``total`` done (rounded down: 100 only when every task is)."""
    return 100 * done // max(total, 1)


def task_status(done: int, total: int, seconds_per_task: float | None = None, pass_number: int = 1) -> str:
    """``37 % (1,520/4,096 tasks, ~21 s left)``: the time left at ``seconds_per_task`` (none shown without it);
    ``pass 2: …`` from a step's second pass of tasks on."""
    left = f", {remaining(seconds_per_task * (total - done))} left" if seconds_per_task and done < total else ""
    named = f"pass {pass_number}: " if pass_number > 1 else ""
    return f"{named}{percent(done, total)} % ({done:,}/{total:,} tasks{left})"


class Progress:
    """Prints one line per step to stderr with its duration; silent when disabled. ``timings``: (label, s)
    of every step completed, in order, printed or not.

    ``live``: redraw the step's line in place (default: when ``stream`` is a terminal). ``clock``: seconds
    (tests give a fake one).
    """

    def __init__(self, enabled: bool = True, total: int | None = None, stream: TextIO | None = None, *,
                 live: bool | None = None, clock: Callable[[], float] = time.perf_counter) -> None:
        self.enabled = enabled
        self.total = total
        self.count = 0
        self.stream = stream or sys.stderr
        self.live = live if live is not None else is_terminal(self.stream)
        self.clock = clock
        self.timings: list[tuple[str, float]] = []
        self._head: str | None = None  # the current step's "[3/6] label …", until printed
        self._shown = False  # the step's line is open on the stream
        self._drawn = False  # … and a live task status was drawn on it
        self._broken = False  # a warning ended the step's line: its time goes on a line of its own
        self._start = self._last_draw = 0.0
        self._last: tuple[int, int] = (0, 0)  # the last report: tasks done, tasks
        self._first: tuple[float, int] = (0.0, 0)  # the current pass's first report: time, tasks done
        self._passes = 0

    def _print(self, text: str, end: str = "") -> None:
        print(text, end=end, file=self.stream, flush=True)

    @contextlib.contextmanager
    def step(self, label: str, *, lazy: bool = False) -> Iterator[None]:
        """Time the block as one step. ``lazy``: its line appears only once tasks are shown (a command whose
        input errors, said before any task, must stay one line)."""
        self.count += 1
        prefix = f"[{self.count}/{self.total}] " if self.total else ""
        self._start = self._last_draw = self.clock()
        self._last, self._passes, self._drawn, self._shown, self._broken = (0, 0), 0, False, False, False
        self._head = f"{prefix}{label} …"
        if self.enabled and not lazy:
            self._show_head()
        try:
            yield
        except BaseException:
            self._end(" failed")
            raise
        seconds = self.clock() - self._start
        self.timings.append((label, seconds))
        self._end(f" {seconds:.1f} s")

    def _show_head(self) -> None:
        self._print(self._head)
        self._opened()

    def _opened(self) -> None:
        self._shown = True
        _open[:] = [self]

    def _break(self) -> None:
        self._print("", end="\n")
        self._shown = self._drawn = False
        self._broken = True

    def _end(self, text: str) -> None:
        if self.enabled and self._shown:
            if self._drawn:  # the live status gives way to the step's time
                self._print(f"\r{self._head}{text}{CLEAR}", end="\n")
            else:
                self._print(text, end="\n")
        elif self.enabled and self._broken:
            self._print(f"{self._head}{text}", end="\n")
        if self in _open:
            _open.clear()
        self._head, self._shown, self._drawn, self._broken = None, False, False, False

    def tasks(self, done: int, total: int) -> None:
        """Report ``done`` of ``total`` tasks of the current step. A new pass starts when ``done`` falls back or
        ``total`` changes; its pace is timed from its first report (when it started is not known)."""
        if not self.enabled or self._head is None:
            return
        now = self.clock()
        if done <= self._last[0] or total != self._last[1]:
            self._passes += 1
            self._first = (now, done)
        self._last = (done, total)
        since, first_done = self._first
        pace = (now - since) / (done - first_done) if done > first_done else None  # s a task
        if now - self._start < DELAY_S:
            return
        if self.live and (now - self._last_draw >= REFRESH_S or not self._drawn):
            self._draw(task_status(done, total, pace, self._passes))
            self._last_draw = now
        elif not self.live and now - self._last_draw >= NOTE_S:
            if not self._shown:
                self._show_head()
            self._print(f" {percent(done, total)} %")
            self._last_draw = now

    def _draw(self, status: str) -> None:
        width = shutil.get_terminal_size().columns - 1
        head = self._head
        if len(head) + 1 + len(status) > width:  # one terminal line, or "\r" would not reach its start
            head = head[:max(width - len(status) - 2, 0)] + "…"
        self._print(f"\r{head} {status}{CLEAR}")
        self._drawn = True
        self._opened()
