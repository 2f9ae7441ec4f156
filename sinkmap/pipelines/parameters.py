"""The parameters pipeline: ``export_tables``, the shipped parameter tables written out as templates
for a survey's own (``sinkmap parameters export``)."""

from __future__ import annotations

from pathlib import Path

from sinkmap.catalogue import read_parameter_table
from sinkmap.errors import InputError
from sinkmap.readers.parameters import PARAMETER_TABLES


def export_tables(out_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Write the shipped tables into ``out_dir`` (created if missing), each atomically and byte for byte;
    refuse (before writing any) to overwrite a file there unless ``force``."""
    from sinkmap.writers.atomic import write_bytes_atomic

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("is not a folder", path=out_dir, fix="give a folder to write the tables into")
    sources = {name: read_parameter_table(name)[1] for name in PARAMETER_TABLES}
    targets = {name: out_dir / path.name for name, path in sources.items()}
    present = [str(t) for t in targets.values() if t.exists()]
    if present and not force:
        raise InputError(f"would overwrite {', '.join(present)}", path=out_dir,
                         fix="choose another folder, or pass --force to overwrite them")
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_bytes_atomic(targets[name], path.read_bytes()) for name, path in sources.items()]
