"""Carbon stocks from land cover, InVEST Carbon-compatible: ``sinkmap carbon`` and ``carbon_stock``.

readers (land cover, pools table, zones) → indicators.carbon (pure) → writers (raster, tables).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sinkmap.errors import InputError, SinkmapWarning
from sinkmap.indicators.carbon import (
    CARBON_NODATA,
    carbon_density,
    density_lookup,
    missing_codes,
    pool_totals,
    summary_table,
)
from sinkmap.progress import Progress
from sinkmap.readers.raster import class_codes_present, open_raster
from sinkmap.readers.tables import read_table
from sinkmap.zonal import class_areas, zonal_stats

OUTPUTS = ("carbon_total.tif", "carbon_summary.csv")
CARBON_STEPS = 4  # codes, class areas, class areas per zone (with zones), the density map


@dataclass(frozen=True)
class CarbonStock:
    """Carbon stocks of one land-cover map."""

    summary: pd.DataFrame  # pool, total_mg_c (rows c_above … c_dead, total)
    by_class: pd.DataFrame  # class, pixels, area_ha, <pool>_mg_c …, total_mg_c
    by_zone: pd.DataFrame | None  # <zone>, <pool>_mg_c …, total_mg_c, area_ha
    missing: list[int]  # codes without a density (only with allow_missing)


def _pools(pools) -> pd.DataFrame:
    return pools if isinstance(pools, pd.DataFrame) else read_table(pools, "carbon_pools")


def check_codes(lulc, pools: pd.DataFrame, *, pools_name: str, allow_missing: bool,
                progress: Callable[[int, int], None] | None = None) -> list[int]:
    """Codes of ``lulc`` missing from ``pools``: an error naming them, or a warning with allow_missing."""
    with open_raster(lulc) as dataset:
        missing = missing_codes(class_codes_present(dataset, progress=progress), pools)
        name = dataset.name
    if missing and not allow_missing:
        raise InputError(f"values {missing} are not in the 'lucode' column of {pools_name}", path=name,
                         fix="add rows for them, or pass --allow-missing to treat them as nodata")
    if missing:
        warnings.warn(f"{name}: values {missing} are not in {pools_name}; they are nodata in the carbon map "
                      "and count in no total", SinkmapWarning, stacklevel=2)
    return missing


def carbon_stock(lulc, pools, *, zones=None, zone_field: str | None = None, allow_missing: bool = False,
                 area: str = "ground") -> CarbonStock:
    """Carbon per pool (Mg C) for a land-cover raster and an InVEST Carbon pools table.

    ``pools``: a path (CSV/XLSX with lucode, c_above, c_below, c_soil, c_dead in Mg C/ha) or a
    DataFrame already read. Totals use true ground areas (``area="ground"``: on the ellipsoid),
    or InVEST's planar pixel areas (``area="nominal"``), which reproduce InVEST's totals exactly.
    Densities above the catalogue's plausible maxima give a SinkmapWarning (likely a unit mix-up).
    """
    name = "the pools table" if isinstance(pools, pd.DataFrame) else Path(pools).name
    return _stock(lulc, _pools(pools), name, zones=zones, zone_field=zone_field, allow_missing=allow_missing,
                  area=area)


def _stock(lulc, table: pd.DataFrame, name: str, *, zones, zone_field: str | None, allow_missing: bool,
           area: str, progress: Progress | None = None) -> CarbonStock:
    progress = progress or Progress(enabled=False)
    with progress.step(f"land-cover codes against {name}", lazy=True):  # lazy: shown past 2 s; a refusal stays one line
        missing = check_codes(lulc, table, pools_name=name, allow_missing=allow_missing, progress=progress.tasks)
    with progress.step("class areas (zonal statistics)", lazy=True):
        classes = class_areas(lulc, area=area, progress=progress.tasks)
    by_class = pool_totals(classes, table, key="class").merge(classes[["class", "pixels"]], on="class")
    summary = summary_table(pool_totals(classes, table))
    by_zone = None
    if zones is not None:
        with progress.step("class areas per zone (zonal statistics)", lazy=True):
            areas = zonal_stats(lulc, zones, categorical=True, zone_field=zone_field, area=area,
                                progress=progress.tasks)
        by_zone = pool_totals(areas, table, key=zone_field or "zone")
    return CarbonStock(summary, by_class, by_zone, missing)


def run_carbon(lulc: str | Path, pools: str | Path, out_dir: str | Path, *, zones=None, zone_field: str | None = None,
               allow_missing: bool = False, area: str = "ground", progress: Progress | None = None) -> list[Path]:
    """``sinkmap carbon``: carbon_total.tif, carbon_summary.csv (and carbon_zones.csv), all or none.
    ``progress``: its steps (CARBON_STEPS, one fewer without zones), with their tasks."""
    from sinkmap.writers.staging import claimed_output_folder

    progress = progress or Progress(enabled=False)
    with claimed_output_folder(out_dir):  # before the work, not after it; locked until the outputs are in
        table = read_table(pools, "carbon_pools")  # read once, so its warnings show once
        stock = _stock(lulc, table, Path(pools).name, zones=zones, zone_field=zone_field,
                       allow_missing=allow_missing, area=area, progress=progress)
        _write_carbon(lulc, pools, table, stock, out_dir, progress)
    written = [*OUTPUTS, *(["carbon_zones.csv"] if stock.by_zone is not None else [])]
    return [Path(out_dir) / name for name in written]


def _write_carbon(lulc: str | Path, pools: str | Path, table: pd.DataFrame, stock: CarbonStock,
                  out_dir: str | Path, progress: Progress) -> None:
    """Write the carbon map and tables of ``stock`` into ``out_dir``, all or none."""
    from sinkmap.writers.raster import write_mapped_raster
    from sinkmap.writers.staging import staged_dir
    from sinkmap.writers.tables import write_table

    lookup = density_lookup(table)
    with open_raster(lulc) as dataset:
        nodata = dataset.nodata
    with staged_dir(out_dir) as stage, progress.step("carbon density map", lazy=True):
        write_mapped_raster(lulc, stage / "carbon_total.tif", lambda block: carbon_density(block, lookup, nodata),
                            dtype="float32", nodata=CARBON_NODATA,
                            tags={"UNITS": "Mg C/ha", "SOURCE": f"sinkmap carbon: {Path(lulc).name} × {Path(pools).name}"},
                            description="total carbon density c_above + c_below + c_soil + c_dead (Mg C/ha)",
                            progress=progress.tasks)
        write_table(stock.summary, stage / "carbon_summary.csv")
        if stock.by_zone is not None:
            write_table(stock.by_zone, stage / "carbon_zones.csv")
