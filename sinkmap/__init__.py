"""sinkmap: forest and blue-carbon sinks and ecological redlines for Shanwei (汕尾市).

Pipeline: ``readers`` normalise inputs (CRS, units, classes) → ``indicators`` are pure
functions of those objects → ``writers`` present tables, maps and reports.

Public API::

    import sinkmap
    table = sinkmap.zonal_stats("landcover.tif", "counties.gpkg", categorical=True, zone_field="adcode")
    sinkmap.run_survey("survey.yaml", "out/2025", previous="out/2024")  # … and the change since 2024
    tables = sinkmap.run_ledger("redlines_2025.gpkg", previous="redlines_2022.gpkg")  # name → table
"""

from sinkmap.errors import (
    CRSError,
    InputError,
    MissingInputError,
    OutputError,
    SchemaError,
    SinkmapError,
    SinkmapWarning,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "zonal_stats",
    "iter_zonal_tables",
    "run_survey",
    "run_ledger",
    "carbon_stock",
    "SinkmapError",
    "InputError",
    "MissingInputError",
    "SchemaError",
    "CRSError",
    "OutputError",
    "SinkmapWarning",
]


def __getattr__(name: str):
    """Import the heavy parts on first use, so ``import sinkmap`` stays fast."""
    if name in ("zonal_stats", "iter_zonal_tables"):
        import sinkmap.zonal

        return getattr(sinkmap.zonal, name)
    if name == "carbon_stock":
        from sinkmap.pipelines.carbon import carbon_stock

        return carbon_stock
    if name == "run_ledger":
        from sinkmap.pipelines.ledger import run_ledger

        return run_ledger
    if name == "run_survey":
        from sinkmap.pipelines.survey import run_survey

        return run_survey
    raise AttributeError(f"module 'sinkmap' has no attribute {name!r}")
