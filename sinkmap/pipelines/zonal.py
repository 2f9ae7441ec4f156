"""The zonal pipeline: statistics of a raster over polygons as one table (``sinkmap zonal``).

``zonal.iter_zonal_tables`` computes (areas in ha, true ground area by default) a part of the zones at a
time; this adds the class names of a preset and writes the parts to one table (CSV, Parquet or XLSX)
atomically (``run_zonal``: 10⁶ stands never held at once), or joins them in memory (``zonal_table``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pandas as pd

from sinkmap.errors import InputError
from sinkmap.tableparts import joined

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")


def zonal_parts(raster: str | Path | Sequence[str | Path], zones, *, categorical: bool = False,
                coverage: str = "center", zone_field: str | None = None, layer: str | None = None, band: int = 1,
                area: str = "ground", stats: Sequence[str] = ("count", "sum", "mean", "min", "max"),
                class_names: str | None = None, progress: Callable[[int, int], None] | None = None,
                scheduler: str | None = None) -> Iterator[pd.DataFrame]:
    """``iter_zonal_tables(raster, zones, …)``, each part with a ``class_name`` column (中文 English) when
    ``class_names`` names a preset (such as ``worldcover``; with ``categorical``). ``scheduler``: a
    dask.distributed scheduler's address to run the tasks on its workers, or "local" (``zonal_stats``)."""
    from sinkmap.catalogue import load_preset
    from sinkmap.zonal import iter_zonal_tables

    if class_names and not categorical:
        raise InputError("--class-names needs --categorical", fix="add --categorical")
    names = None
    if class_names:
        lookup = load_preset(class_names).set_index("code")
        names = {code: f"{lookup.loc[code, 'name_zh']} {lookup.loc[code, 'name_en']}" for code in lookup.index}
    for part in iter_zonal_tables(raster, zones, categorical=categorical, coverage=coverage, zone_field=zone_field,
                                  stats=tuple(stats), band=band, layer=layer, area=area, progress=progress,
                                  scheduler=scheduler):
        if names is not None:
            part.insert(2, "class_name", part["class"].map(names).fillna(""))
        yield part


def zonal_table(raster: str | Path | Sequence[str | Path], zones, **options) -> pd.DataFrame:
    """The whole table in memory (``zonal_parts``'s options)."""
    return joined(zonal_parts(raster, zones, **options))


def run_zonal(raster: str | Path | Sequence[str | Path], zones, out: str | Path, **options) -> int:
    """Write the table to ``out`` (.csv, .parquet or .xlsx; its folder must exist — checked before the work)
    a part at a time, atomically; returns the number of rows written. Options: ``zonal_parts``'s."""
    from sinkmap.writers.atomic import check_output_dir
    from sinkmap.writers.tables import write_table_parts

    out = Path(out)
    if out.suffix.lower() not in TABLE_SUFFIXES:
        raise InputError(f"unsupported output format '{out.suffix}'", path=out, fix="use .csv, .parquet or .xlsx")
    check_output_dir(out)  # fail before the work, not after it
    return write_table_parts(zonal_parts(raster, zones, **options), out)
