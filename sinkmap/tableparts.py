"""A table delivered in parts (``zonal.iter_zonal_tables``: 100,000 zones at a time): the parts that carry it,
and the parts joined into one table."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd


def filled(parts: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The parts with rows, or the first part if none has any (an empty part's columns may have lost their
    types, so it is kept only to give an empty table its columns)."""
    first, any_rows = None, False
    for part in parts:
        if len(part):
            any_rows = True
            yield part
        elif first is None:
            first = part
    if not any_rows and first is not None:
        yield first


def joined(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The parts as one table (a fresh index)."""
    kept = list(filled(parts))
    return pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0]
