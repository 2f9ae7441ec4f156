"""Survey report writer: ``report.html`` (self-contained) and ``report.pdf`` (A4, CJK font embedded).

    ctx = ReportContext(title=..., survey_year=2025, synthetic=True, indicators=df, labels=..., ...)
    html_path, pdf_path = write_report(ctx, out_dir)

Writers only present: the indicator table arrives finished; this module formats
numbers with their units, numbers the sources and computes only gap = value − target.
The same context always gives the same ``report.html`` bytes (no clock is read).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pandas as pd

from sinkmap import __version__
from sinkmap.errors import InputError, MissingInputError
from sinkmap.writers.atomic import check_output_dir, write_bytes_atomic, write_text_atomic
from sinkmap.writers.report.checks import CheckTable
from sinkmap.writers.report.pdf import CJKFont, find_cjk_font, render_pdf
from sinkmap.writers.report.tables import build_sections, format_number

__all__ = ["ReportContext", "CheckTable", "write_report", "render_html", "find_cjk_font", "format_number",
           "CJKFont"]

TEMPLATES = Path(__file__).parent / "templates"
HTML_NAME = "report.html"
PDF_NAME = "report.pdf"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SYNTHETIC_BANNER = "SYNTHETIC DEMO DATA — 演示数据（合成），不代表真实情况"


@dataclass(frozen=True, eq=False, kw_only=True)
class ReportContext:
    """Everything the survey report shows; the writer adds nothing but formatting.

    ``indicators`` has columns county, adcode, indicator, value, unit, target_2025,
    target_2030, source (targets NaN where none), and optionally low, high (95 % range),
    gap_<year> and reach_<year>. ``labels`` maps indicator id to
    (zh, en) and sets the section order. ``generated_on`` is printed only when given,
    so output stays reproducible.
    """

    title: str
    survey_year: int
    synthetic: bool
    indicators: pd.DataFrame
    labels: Mapping[str, tuple[str, str]]
    attributions: Sequence[str] = ()
    notes: Sequence[str] = ()
    version: str = __version__
    map_png: Path | None = None
    landcover_png: Path | None = None  # figure 2: land cover and forest stands
    generated_on: str | None = None
    projection_end: int | None = None  # last projected year, for "target not reached by …"
    checks: Sequence[CheckTable] = ()  # rule checks after the indicators (the redline ledger)
    coverage: Sequence[str] = ()  # units the inputs do not cover, and why (no value is shown for them)
    sensitivity_png: Path | None = None  # method section: each factor's share of the carbon total's variance
    sensitivity_caption: str = ""


def _environment() -> jinja2.Environment:
    """Strict, autoescaping Jinja environment on the templates folder."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def map_data_uri(path: Path | None) -> str | None:
    """The PNG at ``path`` as a ``data:`` URI (so report.html stands alone), or None."""
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise MissingInputError("map PNG for the report does not exist", path=path, fix="render the map first")
    data = path.read_bytes()
    if not data.startswith(PNG_SIGNATURE):
        raise InputError("map for the report is not a PNG file", path=path, fix="pass a .png map")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def render_html(ctx: ReportContext) -> str:
    """The report as one self-contained HTML5 document (inline CSS, map as data URI)."""
    sections, sources = build_sections(ctx.indicators, ctx.labels, ctx.projection_end)
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=ctx.title,
        survey_year=ctx.survey_year,
        synthetic=ctx.synthetic,
        synthetic_banner=SYNTHETIC_BANNER,
        sections=sections,
        checks=list(ctx.checks),
        coverage=list(ctx.coverage),
        sources=sources,
        notes=list(ctx.notes),
        attributions=list(ctx.attributions),
        version=ctx.version,
        generated_on=ctx.generated_on,
        map_uri=map_data_uri(ctx.map_png),
        landcover_uri=map_data_uri(ctx.landcover_png),
        sensitivity_uri=map_data_uri(ctx.sensitivity_png),
        sensitivity_caption=ctx.sensitivity_caption,
    )


def write_report(ctx: ReportContext, out_dir: str | Path, *, font: CJKFont | None = None) -> tuple[Path, Path]:
    """Write ``out_dir/report.html`` and ``out_dir/report.pdf`` atomically; return both paths.

    Both documents are rendered in memory first, so any failure (missing folder,
    bad table, no CJK font, PDF error) raises before either file is touched and
    leaves no partial output. ``font`` overrides the fontconfig lookup.

    Raises
    ------
    OutputError : ``out_dir`` missing or not writable; no CJK font (fix: ``tools/sysdeps.sh pdf``); PDF failure.
    SchemaError : the indicator table lacks columns, labels or sources.
    """
    out_dir = Path(out_dir)
    html_path = check_output_dir(out_dir / HTML_NAME)
    pdf_path = check_output_dir(out_dir / PDF_NAME)
    html = render_html(ctx)
    pdf = render_pdf(html, font or find_cjk_font())
    write_bytes_atomic(pdf_path, pdf)
    write_text_atomic(html_path, html)
    return html_path, pdf_path

