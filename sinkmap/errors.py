"""One exception tree for everything a user can get wrong.

Every message names *where* (file, layer, field) and *what to do*. The CLI prints
``str(error)`` as one line on stderr and exits with code 2; no traceback.

    SinkmapError
    ├── InputError (ValueError)         bad file, layer, table or argument
    │   ├── MissingInputError (FileNotFoundError)
    │   ├── SchemaError                 missing field, wrong type, value not allowed
    │   ├── CRSError                    no CRS, unsupported CRS, area asked in degrees
    │   └── SchedulerError              a dask scheduler address that does not answer
    └── OutputError (OSError)           cannot write an output
"""

from __future__ import annotations

from os import PathLike


def located(path: str | PathLike | None = None, layer: str | None = None, field: str | None = None) -> str:
    """Where a problem is, as messages name it: ``path:layer field 'name'`` (each part optional)."""
    where = ":".join(str(part) for part in (path, layer) if part)
    if field:
        where = f"{where} field '{field}'" if where else f"field '{field}'"
    return where


class SinkmapError(Exception):
    """Base class: a problem the user can fix, reported without a traceback.

    Parameters
    ----------
    problem : what is wrong, in one sentence without a trailing period.
    path, layer, field : where it is; each is optional and shown as ``path:layer:field``.
    fix : what the user should do.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | PathLike | None = None,
        layer: str | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        self.layer = layer
        self.field = field
        self.fix = fix
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = located(self.path, self.layer, self.field)
        text = f"{where}: {self.problem}" if where else self.problem
        text = text.rstrip(".") + "."
        if self.fix:
            fix = self.fix.rstrip(".")
            text += " " + fix[:1].upper() + fix[1:] + "."
        return text


class InputError(SinkmapError, ValueError):
    """A bad input file, layer, table or argument."""


class MissingInputError(InputError, FileNotFoundError):
    """An input path that does not exist or cannot be opened."""


class SchemaError(InputError):
    """A layer or table whose fields, types or values break its catalogue spec."""


class CRSError(InputError):
    """A missing, unsupported or unsuitable coordinate reference system."""


class SchedulerError(InputError):
    """A dask.distributed scheduler that cannot be reached (not started, wrong address or port, firewall)."""


class OutputError(SinkmapError, OSError):
    """An output that cannot be written (folder missing, not writable …)."""


class SinkmapWarning(UserWarning):
    """Something the user should know that does not stop the run (repaired geometry, reprojection …)."""
