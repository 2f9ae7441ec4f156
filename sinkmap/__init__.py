"""sinkmap: forest and blue-carbon sinks and ecological redlines for Shanwei (汕尾市).

Pipeline: ``readers`` normalise inputs (CRS, units, classes) → ``indicators`` are pure
functions of those objects → ``writers`` present tables, maps and reports.
"""

from sinkmap.errors import (
    CRSError,
    InputError,
    MissingInputError,
    OutputError,
    SchemaError,
    SinkmapError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "SinkmapError",
    "InputError",
    "MissingInputError",
    "SchemaError",
    "CRSError",
    "OutputError",
]
