"""Warnings about inputs the survey uses as given but someone should look at (overlaps, undated work)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import pandas as pd

from sinkmap.errors import SinkmapWarning

SHOWN = 5  # ids listed in a warning before "…"


def shown(ids: Iterable) -> str:
    """The first SHOWN ids, comma-separated, with "…" when there are more."""
    ids = list(ids)
    return ", ".join(map(str, ids[:SHOWN])) + (" …" if len(ids) > SHOWN else "")


def warn_overlaps(pairs: pd.DataFrame, name: str, features: str, id_field: str) -> None:
    """Warn that ``pairs`` (later id, earlier id, overlap_ha) of ``features`` in file ``name`` overlap."""
    if len(pairs):
        listed = shown(f"{a}/{b} {ha:.2f} ha" for a, b, ha in pairs.itertuples(index=False))
        warnings.warn(f"{name}: {len(pairs)} pairs of {features} overlap by {pairs['overlap_ha'].sum():,.2f} ha in all "
                      f"({listed}); the overlap is counted once, with the feature first in {id_field} order",
                      SinkmapWarning, stacklevel=3)
