"""Atomic output: write to a temporary sibling, then rename over the target.

A reader never sees a half-written file, and a failure leaves no partial output.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sinkmap.errors import OutputError
from sinkmap.writers.debris import owner_tag, remove_stale


def check_output_dir(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path after checking its folder exists and is writable."""
    path = Path(path)
    folder = path.parent if path.parent != Path("") else Path(".")
    if not folder.is_dir():
        raise OutputError(
            "output folder does not exist", path=folder, fix="create it first, or choose another -o path"
        )
    if not os.access(folder, os.W_OK):
        raise OutputError("output folder is not writable", path=folder, fix="choose another -o path")
    return path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it to ``target``.

    The temporary name keeps the target's suffix so drivers chosen by extension
    (GDAL, pandas) still work, and names this process (``debris.owner_tag``): temporary files of
    the same target left by a run that died are removed first. On any exception the temporary
    file is removed.
    """
    target = check_output_dir(target)
    remove_stale(target.parent, stem=target.stem)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.{owner_tag()}-", suffix=f".tmp{target.suffix}",
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # writers such as GDAL refuse to overwrite an existing empty file
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes_atomic(target: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text_atomic(target: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``target`` atomically."""
    return write_bytes_atomic(target, text.encode("utf-8"))
