"""PDF rendering with WeasyPrint and an embedded CJK font.

The font is located with fontconfig (``fc-match``) and declared with ``@font-face``
in a print-only stylesheet, so WeasyPrint subsets and embeds it; the HTML file itself
keeps only a font stack. Without a CJK font the PDF would show tofu boxes, so we
raise OutputError instead of writing it.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sinkmap.errors import OutputError

#: CJK families tried in order; the first one fontconfig really has wins.
CJK_FAMILIES = ("Noto Sans CJK SC", "WenQuanYi Micro Hei")
FC_WEIGHT_BOLD = 200  # fontconfig's FC_WEIGHT_BOLD
FONT_FIX = "run tools/sysdeps.sh pdf (or apt-get install fonts-noto-cjk)"


@dataclass(frozen=True)
class CJKFont:
    """A CJK font family and the files of its regular and (if any) bold faces."""

    family: str
    regular: Path
    bold: Path | None


def _fc_match(pattern: str) -> tuple[list[str], Path, int] | None:
    """Families, file and weight fontconfig returns for ``pattern``; None without fc-match."""
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    fmt = "%{family}\n%{file}\n%{weight}"
    try:
        out = subprocess.run([exe, "-f", fmt, pattern], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.split("\n")
    if len(lines) < 3 or not lines[1]:
        return None
    families = [f.strip().lower() for f in lines[0].split(",")]
    weight = int(float(lines[2])) if lines[2].strip() else 0
    return families, Path(lines[1]), weight


def _match_family(family: str, style: str = "") -> tuple[Path, int] | None:
    """File and weight of ``family`` (fc-match falls back to any font, so check the name)."""
    found = _fc_match(family + style)
    if found is None:
        return None
    families, path, weight = found
    if family.lower() not in families or not path.is_file():
        return None
    return path, weight


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> CJKFont:
    """The first of CJK_FAMILIES installed; OutputError naming the fix when none is."""
    for family in CJK_FAMILIES:
        regular = _match_family(family)
        if regular is None:
            continue
        bold = _match_family(family, ":weight=bold")
        has_bold = bold is not None and bold[1] >= FC_WEIGHT_BOLD and bold[0] != regular[0]
        return CJKFont(family, regular[0], bold[0] if has_bold else None)
    raise OutputError(
        f"no CJK font for the PDF report: none of {', '.join(repr(f) for f in CJK_FAMILIES)} "
        "is installed, and Chinese text would print as empty boxes",
        fix=FONT_FIX,
    )


def font_face_css(font: CJKFont) -> str:
    """``@font-face`` rules for ``font`` and a root rule that uses it first."""
    family = font.family.replace('"', "")
    rules = [f'@font-face {{ font-family: "{family}"; src: url("{font.regular.as_uri()}"); font-weight: normal; }}']
    if font.bold is not None:
        rules.append(f'@font-face {{ font-family: "{family}"; src: url("{font.bold.as_uri()}"); font-weight: bold; }}')
    rules.append(f'html {{ font-family: "{family}", sans-serif !important; }}')  # beats the page's stack
    return "\n".join(rules)


def render_pdf(html: str, font: CJKFont) -> bytes:
    """Render ``html`` to PDF bytes with ``font`` embedded; OutputError on failure.

    Nothing is written here, so a failure leaves no partial file. A font face
    WeasyPrint cannot load is a failure too (it would otherwise fall back silently).
    """
    import weasyprint  # imported late: loading Pango costs ~0.5 s
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    with _WarningLog("weasyprint") as log:
        css = weasyprint.CSS(string=font_face_css(font), font_config=fonts)  # loads the @font-face files
    if log.messages:  # e.g. "Font-face 'Noto Sans CJK SC' cannot be loaded": fail before rendering
        raise OutputError(f"PDF font {font.family!r} ({font.regular}) not usable: {log.messages[0]}", fix=FONT_FIX)
    try:
        pdf = weasyprint.HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)
    except Exception as exc:  # WeasyPrint raises many types; report one with the cause
        raise OutputError(f"PDF rendering failed ({type(exc).__name__}: {exc})") from exc
    if not pdf:
        raise OutputError("PDF rendering produced no bytes")
    return pdf


class _WarningLog(logging.Handler):
    """Collect the WARNING+ messages of one logger while the ``with`` block runs."""

    def __init__(self, name: str) -> None:
        super().__init__(level=logging.WARNING)
        self.logger = logging.getLogger(name)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> _WarningLog:
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
