"""The ``sinkmap`` command line: one module per subcommand.

A user's mistake (any SinkmapError) prints one line to stderr and exits with code 2;
warnings print as one ``sinkmap: warning:`` line each. No tracebacks for bad input.
"""

from __future__ import annotations

import sys
import warnings

import click

from sinkmap import __version__
from sinkmap.errors import SinkmapError, SinkmapWarning
from sinkmap.progress import end_line

EXIT_USER_ERROR = 2
SCHEDULER_HELP = ("Run the zonal statistics on a dask.distributed cluster: its scheduler's address (tcp://HOST:8786), "
                  "or 'local'. Default: $SINKMAP_SCHEDULER, else this machine. The rasters must be on storage every "
                  "worker can read; see docs/cluster.md.")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, SinkmapWarning):
        end_line()  # a step's open progress line
        click.echo(f"sinkmap: warning: {message}", err=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


class SinkmapGroup(click.Group):
    """A click group that turns SinkmapError into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context):
        warnings.showwarning = _show_warning
        try:
            return super().invoke(ctx)
        except SinkmapError as error:
            click.echo(f"sinkmap: error: {error}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo("sinkmap: interrupted; no output was left half-written", err=True)
            sys.exit(130)


@click.group(cls=SinkmapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sinkmap")
def cli() -> None:
    """Forest and blue-carbon sinks and ecological redlines for Shanwei (汕尾市),
    measured against the city's carbon-peaking targets."""


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="sinkmap")


# Subcommands register themselves on ``cli`` (imported last: they import ``cli`` from here).
from sinkmap.cli import carbon, catalogue, ledger, map, parameters, survey, validate, zonal  # noqa: E402, F401, I001
