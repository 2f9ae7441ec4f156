"""``run_ledger``: the redline ledger of one redline layer, on its own (the Python form of ``sinkmap ledger``).

Reads the layers (county assigned, as in the survey), opens and checks the land-cover rasters (once
each), computes ``redline_year`` and returns its tables; writes them only when asked (``out_dir``), all or none.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd

from sinkmap.config import REDLINES_PREVIOUS
from sinkmap.errors import InputError
from sinkmap.indicators.coverage import COVERAGE_MIN
from sinkmap.indicators.redline import TOLERANCE_HA
from sinkmap.survey.ledger import RedlineYear, redline_year

DEFAULT_PRESET = "worldcover"


def compute_ledger(redlines: str | Path, *, previous: str | Path | None = None, landcover: str | Path | None = None,
                   landcover_previous: str | Path | None = None, layer: str | None = None,
                   previous_layer: str | None = None, gcj02: bool = False, preset: str = DEFAULT_PRESET,
                   previous_preset: str | None = None, tolerance_ha: float = TOLERANCE_HA,
                   coverage_min: float = COVERAGE_MIN) -> RedlineYear:
    """The ledger of ``redlines`` and, with ``previous`` (an earlier version), its change county by
    county and redline by redline; with ``landcover`` (and ``landcover_previous``), the land cover
    inside the redlines (and its change). ``preset``: the rasters' class preset (``previous_preset``
    for the earlier one, if another); ``tolerance_ha``: the area change that is not flagged."""
    from sinkmap import aoi
    from sinkmap.survey.compute import read_county_layer
    from sinkmap.zonal.landcover import LandCover

    counties = aoi.load_counties()
    paths = {"redlines": (Path(redlines), layer)}
    if previous is not None:
        paths[REDLINES_PREVIOUS] = (Path(previous), previous_layer)
    layers = {kind: read_county_layer(path, "redlines", counties, layer=name, gcj02=gcj02)
              for kind, (path, name) in paths.items()}
    if landcover_previous is not None and landcover is None:
        raise InputError("a previous land-cover raster is given without this year's", path=landcover_previous,
                         fix="give this year's land-cover raster too")
    if not tolerance_ha >= 0:
        raise InputError(f"the area tolerance must be 0 ha or more, not {tolerance_ha}", fix="e.g. 0.01 (ha)")
    with contextlib.ExitStack() as opened:
        rasters = [opened.enter_context(LandCover.open(path, name)) if path is not None else None
                   for path, name in ((landcover, preset), (landcover_previous, previous_preset or preset))]
        return redline_year(layers, None, *rasters, name=Path(redlines).name, counties=counties,
                            coverage_min=coverage_min, tolerance_ha=tolerance_ha)


def run_ledger(redlines: str | Path, *, out_dir: str | Path | None = None, **options) -> dict[str, pd.DataFrame]:
    """The tables ``sinkmap ledger`` writes (file name → table): ``compute_ledger(redlines, **options)``'s
    ``tables()``. With ``out_dir``, they are also written there, all or none (the folder is claimed
    and locked first, as for a survey)."""
    if out_dir is None:
        return compute_ledger(redlines, **options).tables()
    from sinkmap.writers.staging import claimed_output_folder, staged_dir
    from sinkmap.writers.tables import write_table

    with claimed_output_folder(Path(out_dir)):  # before the work, not after it; locked until the tables are in
        tables = compute_ledger(redlines, **options).tables()
        with staged_dir(Path(out_dir)) as stage:
            for name, table in tables.items():
                write_table(table, stage / name)
    return tables
