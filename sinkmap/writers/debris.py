"""Leftovers of runs that died (kill -9, power cut): staging and probe folders, atomic ``.tmp`` files.

Each is named with its owner, ``{pid}-{host}`` (host: the first 8 hex digits of the SHA-1 of the
host name), so a later run can tell a dead run's leftovers from a live run's work:

    .sinkmap-staging-{pid}-{host}-{random}/      staged outputs (``staging.py``)
    .sinkmap-probe-{pid}-{host}-{random}/        write probe (``check_output_folder``)
    .{stem}.{pid}-{host}-{random}.tmp{suffix}    atomic write (``atomic.py``), with GDAL/SQLite
                                                 siblings such as ``.tmp.gpkg-journal``, ``.tmp.dbf``

A leftover is stale when its owner ran on this host and its process is gone, or — for one made on
another host (a shared drive) or by an older sinkmap without an owner in the name — when it was
last changed more than ``STALE_AFTER_S`` ago. A live process on this host never loses its files.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import time
from functools import cache
from pathlib import Path

STALE_AFTER_S = 24 * 3600.0  # s: age after which a leftover of another host or of no known owner is removed
STAGING_PREFIX = ".sinkmap-staging-"
PROBE_PREFIX = ".sinkmap-probe-"
_OWNER = r"(?:(?P<pid>\d+)-(?P<host>[0-9a-f]{8})-)?"
_RANDOM = r"[a-z0-9_]+"  # tempfile's random part
_FOLDER = re.compile(rf"^(?:{re.escape(STAGING_PREFIX)}|{re.escape(PROBE_PREFIX)}){_OWNER}{_RANDOM}$")


@cache
def host_tag() -> str:
    """This host, as leftovers name it: 8 hex digits of the SHA-1 of its name."""
    return hashlib.sha1(socket.gethostname().encode("utf-8")).hexdigest()[:8]


def owner_tag() -> str:
    """The current process as leftovers name their owner: ``{pid}-{host}``."""
    return f"{os.getpid()}-{host_tag()}"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (signal 0; another user's process counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tmp_pattern(stem: str | None) -> re.Pattern:
    """Atomic temporary files: of any target, or of targets named ``stem``."""
    stems = ".+" if stem is None else re.escape(stem)
    return re.compile(rf"^\.(?:{stems})\.{_OWNER}{_RANDOM}\.tmp(?:\..*)?$")


def is_leftover(name: str) -> bool:
    """Whether ``name`` is one of the leftovers this module knows (stale or not)."""
    return bool(_tmp_pattern(None).match(name) or _FOLDER.match(name))


def is_stale(path: Path, match: re.Match, now: float) -> bool:
    """Whether the leftover at ``path`` (its name matched with an optional owner) belongs to no live run."""
    pid, host = match.group("pid"), match.group("host")
    if pid is not None and host == host_tag():
        return not pid_alive(int(pid))
    try:
        return now - path.lstat().st_mtime > STALE_AFTER_S
    except FileNotFoundError:
        return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale(folder: str | os.PathLike, *, stem: str | None = None) -> list[Path]:
    """Remove the stale leftovers directly in ``folder`` (staging and probe folders, atomic temporary
    files; with ``stem``, only the temporary files of targets named ``stem``); returns what was removed."""
    tmp, now, removed = _tmp_pattern(stem), time.time(), []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return removed
    for name in names:
        match = tmp.match(name) or (None if stem is not None else _FOLDER.match(name))
        path = Path(folder) / name
        if match and is_stale(path, match, now):
            _remove(path)
            removed.append(path)
    return removed
