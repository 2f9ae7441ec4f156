"""Locate the data folders that ship with sinkmap: ``layers/`` and ``aoi/``.

In a wheel they live in ``sinkmap/_data/``; in a source checkout or an editable
install they are the repository's top-level folders.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Folder ``name`` ('layers' or 'aoi'), wherever this install keeps it."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"sinkmap data folder '{name}' not found next to {_PACKAGE}; reinstall sinkmap"
    )


def layers_dir() -> Path:
    """The layer catalogue, class presets, parameter and target tables."""
    return data_dir("layers")


def aoi_dir() -> Path:
    """Areas of interest: Shanwei, its counties, restoration sites."""
    return data_dir("aoi")
