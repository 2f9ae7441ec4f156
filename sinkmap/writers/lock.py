"""One run at a time per output folder: an exclusive ``flock`` on ``.sinkmap.lock`` inside it.

The lock is held by the open file descriptor, so a run killed in any way (kill -9 included)
releases it at once; the file then left behind is unlocked and taken over by the next run. A run
that ends removes it, so the lock file is never among a folder's outputs. The file holds the
owner's ``pid host`` for the message a refused run prints.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

from sinkmap.errors import OutputError

LOCK_NAME = ".sinkmap.lock"


def _holder(fd: int) -> str:
    """Who holds the lock, from the lock file's ``pid host``: "pid 123" or "pid 123 on host h"."""
    try:
        words = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        words = []
    pid, host = (words + ["", ""])[:2]
    if not pid.isdigit():
        return "pid unknown"
    return f"pid {pid}" if host in ("", socket.gethostname()) else f"pid {pid} on host {host}"


def _refuse(fd: int, folder: Path) -> OutputError:
    return OutputError(f"another sinkmap run ({_holder(fd)}) is writing into this folder", path=folder,
                       fix="wait for it to finish, or choose another -o folder")


def _still_linked(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (a finishing run unlinks it)."""
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _open_lock(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"cannot create the lock file {LOCK_NAME} ({exc.strerror})", path=path.parent,
                          fix="choose another -o folder, or make this one writable") from None


def acquire(folder: str | os.PathLike) -> int:
    """Lock ``folder`` (which must exist) for this process; returns the lock's file descriptor.

    An OutputError naming the folder and the other run's pid when another run holds it.
    """
    path = Path(folder).absolute() / LOCK_NAME
    while True:
        fd = _open_lock(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            error = _refuse(fd, Path(folder))
            os.close(fd)
            raise error from None
        if _still_linked(fd, path):  # else the holder finished and unlinked it meanwhile: take a new one
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
            return fd
        os.close(fd)


def release(folder: str | os.PathLike, fd: int) -> None:
    """Unlock ``folder``: remove the lock file (while still holding it), then close ``fd``."""
    try:
        (Path(folder).absolute() / LOCK_NAME).unlink(missing_ok=True)
    finally:
        os.close(fd)
