"""Stage a run's outputs in a hidden folder and move them in only when all of them succeeded."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sinkmap.errors import OutputError


@contextlib.contextmanager
def staged_dir(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Yield a staging folder inside ``out_dir``; on success move its files into ``out_dir``.

    ``out_dir`` is created if needed. On failure the staging folder is removed and files
    from an earlier run in ``out_dir`` stay as they were. Each move is an atomic rename.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder ({exc.strerror})", path=out,
                          fix="choose another -o folder") from None
    stage = Path(tempfile.mkdtemp(prefix=".sinkmap-staging-", dir=out))
    try:
        yield stage
        for item in sorted(stage.iterdir()):
            target = out / item.name
            if item.is_dir() and target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
