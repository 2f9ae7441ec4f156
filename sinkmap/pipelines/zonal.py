"""The zonal pipeline: ``run_zonal``, statistics of a raster over polygons as one table (``sinkmap zonal``).

``zonal.zonal_stats`` computes (areas in ha, true ground area by default); this adds the class
names of a preset and writes the table (CSV, Parquet or XLSX) atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from sinkmap.errors import InputError

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")


def run_zonal(raster: str | Path | Sequence[str | Path], zones: str | Path, out: str | Path | None = None, *, categorical: bool = False,
              coverage: str = "center", zone_field: str | None = None, layer: str | None = None, band: int = 1,
              area: str = "ground", stats: Sequence[str] = ("count", "sum", "mean", "min", "max"),
              class_names: str | None = None, progress: Callable[[int, int], None] | None = None,
              scheduler: str | None = None) -> pd.DataFrame:
    """``zonal_stats(raster, zones, …)``; with ``class_names`` (a preset such as ``worldcover``, with
    ``categorical``), a ``class_name`` column (中文 English); with ``out``, the table is also written
    there (.csv, .parquet or .xlsx; its folder must exist — checked before the work). ``scheduler``: a
    dask.distributed scheduler's address to run the tasks on its workers, or "local" (``zonal_stats``)."""
    from sinkmap.catalogue import load_preset
    from sinkmap.writers.atomic import check_output_dir
    from sinkmap.writers.tables import write_table
    from sinkmap.zonal import zonal_stats

    if out is not None:
        out = Path(out)
        if out.suffix.lower() not in TABLE_SUFFIXES:
            raise InputError(f"unsupported output format '{out.suffix}'", path=out, fix="use .csv, .parquet or .xlsx")
        check_output_dir(out)  # fail before the work, not after it
    if class_names and not categorical:
        raise InputError("--class-names needs --categorical", fix="add --categorical")
    names = load_preset(class_names) if class_names else None
    table = zonal_stats(raster, zones, categorical=categorical, coverage=coverage, zone_field=zone_field,
                        stats=tuple(stats), band=band, layer=layer, area=area, progress=progress, scheduler=scheduler)
    if names is not None:
        lookup = names.set_index("code")
        table.insert(2, "class_name", table["class"].map(lambda c: f"{lookup.loc[c, 'name_zh']} {lookup.loc[c, 'name_en']}"
                                                          if c in lookup.index else ""))
    if out is not None:
        write_table(table, out)
    return table
