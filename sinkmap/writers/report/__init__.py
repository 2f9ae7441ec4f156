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
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd

from sinkmap import __version__
from sinkmap.errors import InputError, MissingInputError
from sinkmap.writers.atomic import check_output_dir, write_bytes_atomic, write_text_atomic
from sinkmap.writers.figures import Chart
from sinkmap.writers.report.checks import CheckTable
from sinkmap.writers.report.pdf import CJKFont, find_cjk_font, render_pdf
from sinkmap.writers.report.tables import (
    Sources,
    check_table,
    comparison_rows,
    format_number,
    target_rows,
    unit_tables,
)

__all__ = ["ReportContext", "CheckTable", "write_report", "render_html", "find_cjk_font", "format_number",
           "CJKFont"]

TEMPLATES = Path(__file__).parent / "templates"
HTML_NAME = "report.html"
PDF_NAME = "report.pdf"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SYNTHETIC_BANNER = "SYNTHETIC DEMO DATA — 演示数据（合成），不代表真实情况"
OTHER_THEME = "其他 Other"
HEADLINE_TITLE = "规划指标分县 · Plan indicators by unit"
MAP_CAPTIONS = ("调查范围与森林覆盖率 · Survey area and forest cover", "土地覆盖与森林小班 · Land cover and forest stands")


@dataclass(frozen=True, eq=False, kw_only=True)
class ReportContext:
    """Everything the survey report shows; the writer adds nothing but formatting.

    ``indicators`` has columns county, adcode, indicator, value, unit, target_2025,
    target_2030, source (targets NaN where none), and optionally low, high (95 % range),
    gap_<year>, status_<year>, reach_<year>, quality and note. ``labels`` maps indicator id to
    (zh, en) and sets the row order; ``themes`` maps it to its theme's title (one detail table per
    theme, in first-use order; an indicator without one goes to 其他 Other); ``headline``: the
    indicators the plan sets targets for (page 1). ``total``: the survey area's unit, the first
    column (else the city). ``generated_on`` is printed only when given, so output stays reproducible.
    ``previous_year``: with it, the total's indicators then and now (the table's ``previous``, ``change``).
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
    themes: Mapping[str, str] = field(default_factory=dict)
    headline: Sequence[str] = ()
    total: str | None = None
    sink_line: str = ""  # page 1: the land + ocean sink in one sentence
    findings: Sequence[str] = ()  # page 1: what the checks found, in plain sentences
    charts: Sequence[Chart] = ()  # after the two maps, numbered on
    previous_year: int | None = None  # an earlier survey compared with (``previous``, ``change`` columns)
    comparison_notes: Sequence[str] = ()  # what makes the two surveys incomparable, under the comparison
    provenance: Sequence[tuple[str, str]] = ()  # (label, text): the short form of provenance.json, last page


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
    return _data_uri(data)


def _groups(ctx: ReportContext) -> dict[str, list[str]]:
    """Theme title → indicator ids in ``labels`` order; themes in first-use order."""
    groups: dict[str, list[str]] = {}
    for ind in ctx.labels:
        groups.setdefault(ctx.themes.get(ind, OTHER_THEME), []).append(ind)
    return groups


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(ctx: ReportContext) -> str:
    """The report as one self-contained HTML5 document (inline CSS, figures as data URIs)."""
    check_table(ctx.indicators, ctx.labels)
    sources = Sources()
    targets = target_rows(ctx.indicators, ctx.labels, ctx.headline, sources, ctx.projection_end, ctx.total)
    headline = unit_tables(ctx.indicators, ctx.labels, {HEADLINE_TITLE: list(ctx.headline)}, sources, ctx.total)
    themes = unit_tables(ctx.indicators, ctx.labels, _groups(ctx), sources, ctx.total)
    maps = [(map_data_uri(png), caption) for png, caption in zip((ctx.map_png, ctx.landcover_png), MAP_CAPTIONS)
            if png is not None]
    figures = maps + [(_data_uri(chart.png), chart.caption) for chart in ctx.charts]
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=ctx.title,
        survey_year=ctx.survey_year,
        synthetic=ctx.synthetic,
        synthetic_banner=SYNTHETIC_BANNER,
        targets=targets,
        headline=headline,
        sink_line=ctx.sink_line,
        findings=list(ctx.findings),
        figures=figures,
        themes=themes,
        checks=list(ctx.checks),
        coverage=list(ctx.coverage),
        sources=list(sources),
        notes=list(ctx.notes),
        attributions=list(ctx.attributions),
        version=ctx.version,
        generated_on=ctx.generated_on,
        previous_year=ctx.previous_year,
        comparison=comparison_rows(ctx.indicators, ctx.labels, ctx.total) if ctx.previous_year else [],
        comparison_notes=list(ctx.comparison_notes),
        provenance=list(ctx.provenance),
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

