"""Claim an output folder for one run, stage the run's outputs in a hidden folder inside it, and move
them in only when all of them succeeded.

A run claims its folder (``claimed_output_folder``): it checks the folder can be written, locks it
(``lock.py``: a second run into the same folder is refused) and removes what runs that died left
there (``debris.py``). Staging and probe folders are named with their owner's pid and host.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Collection, Iterator
from pathlib import Path

from sinkmap.errors import OutputError
from sinkmap.writers import lock
from sinkmap.writers.debris import PROBE_PREFIX, STAGING_PREFIX, is_leftover, owner_tag, remove_stale

_claims = threading.local()  # the output folders this thread holds (see _held)


def _create(out: Path) -> None:
    """Create ``out`` and its parents if needed; an OutputError naming it if that fails."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder ({exc.strerror})", path=out,
                          fix="choose another -o folder") from None


def _make_stage(out: Path) -> Path:
    """Create ``out`` if needed and a staging folder inside it; an OutputError if either fails."""
    _create(out)
    try:
        return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{owner_tag()}-", dir=out))
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
        os.rmdir(tempfile.mkdtemp(prefix=f"{PROBE_PREFIX}{owner_tag()}-", dir=existing))
    except OSError as exc:
        raise OutputError(f"cannot write in {existing} ({exc.strerror})", path=out,
                          fix="choose another -o folder, or make this one writable") from None
    return Path(out_dir)


@contextlib.contextmanager
def staged_dir(out_dir: str | os.PathLike, *, optional: Collection[str] = ()) -> Iterator[Path]:
    """Yield a staging folder inside ``out_dir``; on success move its files into ``out_dir``.

    ``out_dir`` is created if needed. On failure the staging folder is removed and files
    from an earlier run in ``out_dir`` stay as they were. Each move is an atomic rename (a folder
    takes the place of an earlier one as a whole, ``replace_folder``). ``optional``: outputs a run
    writes only sometimes (a map's tile folder); one the stage does not hold is removed from
    ``out_dir`` after the moves, so no earlier run's copy outlives its page.
    """
    out = Path(out_dir)
    stage = _make_stage(out)
    try:
        yield stage
        written = sorted(stage.iterdir())
        for item in written:
            target = out / item.name
            if item.is_dir() and target.is_dir():
                replace_folder(item, target)
            else:
                os.replace(item, target)
        for name in set(optional) - {item.name for item in written}:
            _remove(out / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _remove(path: Path) -> None:
    """Remove the file or folder ``path``, if there."""
    if path.is_dir() and not path.is_symlink():  # renamed aside first: a run killed meanwhile leaves debris
        aside = _make_stage(path.parent)
        os.rename(path, aside)  # over the empty folder just made
        shutil.rmtree(aside, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def replace_folder(folder: Path, target: Path) -> None:
    """Put ``folder`` in the place of ``target`` by two renames (the old folder aside, the new one in),
    then remove the old one: ``target`` is the old folder, absent or the new one, never a mix. A run
    killed between the renames leaves the old folder as a staging folder of a dead run."""
    aside = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{owner_tag()}-", dir=target.parent))
    with contextlib.suppress(FileNotFoundError):
        os.rename(target, aside)  # over the empty folder just made
    os.rename(folder, target)
    shutil.rmtree(aside, ignore_errors=True)


def _check_replaceable(target: Path, stage: Path) -> None:
    """An OutputError unless ``target`` is absent or holds only names ``stage`` replaces and leftovers."""
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} is a file, not a folder", path=target, fix="move it away")
    ours = set(os.listdir(stage))
    others = sorted(n for n in (os.listdir(target) if target.is_dir() else ()) if n not in ours and not is_leftover(n))
    if others:
        raise OutputError(f"the folder holds files this run does not write ({', '.join(others[:3])})", path=target,
                          fix="move them elsewhere, or choose another folder")


@contextlib.contextmanager
def staged_folder(target: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; on success it takes ``target``'s place as a
    whole (``replace_folder``), so ``target`` never holds a partial set. On failure it is removed.

    ``target`` may hold only names the new folder holds too (an earlier run's files) and leftovers of
    interrupted writes; anything else is an OutputError and nothing is replaced.
    """
    target = Path(target)
    stage = _make_stage(target.parent)
    try:
        yield stage
        _check_replaceable(target, stage)
        replace_folder(stage, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _held() -> dict[str, int]:
    """Output folders this thread has claimed: real path → lock file descriptor."""
    if not hasattr(_claims, "held"):
        _claims.held = {}
    return _claims.held


@contextlib.contextmanager
def claimed_output_folder(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Claim ``out_dir`` for one run, before any work, and yield it as a Path.

    Checks it can be written (``check_output_folder``), creates it, locks it (``lock.acquire``: while
    another run holds it, an OutputError naming that run's pid) and removes what runs that died left
    in it (``debris.remove_stale``). The lock is released however the run ends, and a folder created
    here is removed again when the run left it empty. Claiming a folder this thread already holds
    (``sinkmap survey --demo``, then ``run_survey``) nests: the outer claim keeps the lock.
    """
    key, held = os.path.realpath(out_dir), _held()
    if key in held:
        yield Path(out_dir)
        return
    out = check_output_folder(out_dir)
    created = not out.exists()
    _create(out)
    held[key] = lock.acquire(out)
    try:
        remove_stale(out)
        yield out
    finally:
        lock.release(out, held.pop(key))
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only when empty
