"""Stage a run's outputs in a hidden folder and move them in only when all of them succeeded."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sinkmap.errors import OutputError


def _make_stage(out: Path) -> Path:
    """Create ``out`` if needed and a staging folder inside it; an OutputError if either fails."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder ({exc.strerror})", path=out,
                          fix="choose another -o folder") from None
    try:
        return Path(tempfile.mkdtemp(prefix=".sinkmap-staging-", dir=out))
    except OSError as exc:
        raise OutputError(f"cannot write in the output folder ({exc.strerror})", path=out,
                          fix="choose another -o folder, or make this one writable") from None


def check_output_folder(out_dir: str | os.PathLike) -> Path:
    """Check before any work that ``out_dir`` can be written, or created; an OutputError naming the
    folder otherwise. Leaves nothing behind: a probe folder is made in ``out_dir`` (or its nearest
    existing parent) and removed again."""
    out = Path(out_dir).absolute()
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir():
        raise OutputError(f"{existing} is a file, not a folder", path=out, fix="choose another -o folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".sinkmap-probe-", dir=existing))
    except OSError as exc:
        raise OutputError(f"cannot write in {existing} ({exc.strerror})", path=out,
                          fix="choose another -o folder, or make this one writable") from None
    return Path(out_dir)


@contextlib.contextmanager
def staged_dir(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Yield a staging folder inside ``out_dir``; on success move its files into ``out_dir``.

    ``out_dir`` is created if needed. On failure the staging folder is removed and files
    from an earlier run in ``out_dir`` stay as they were. Each move is an atomic rename.
    """
    out = Path(out_dir)
    stage = _make_stage(out)
    try:
        yield stage
        for item in sorted(stage.iterdir()):
            target = out / item.name
            if item.is_dir() and target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
