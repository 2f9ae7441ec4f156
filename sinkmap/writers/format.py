"""Number formatting shared by every writer: a value always shows with its unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

#: Decimals shown per unit; unknown units get DEFAULT_DECIMALS.
DECIMALS: Mapping[str, int] = {
    "%": 1,
    "ha": 0,
    "亩": 0,
    "km²": 1,
    "m²": 0,
    "m³": 0,
    "万m³": 1,
    "t C": 0,  # tonnes of carbon are counted to the tonne: the 95 % ranges are ± thousands
    "t CO₂e": 0,
    "t CO₂e/yr": 0,
}
DEFAULT_DECIMALS = 2
DASH = "—"  # shown for a missing number or a status without a target
MINUS = "\u2212"  # typographic minus sign


def code_label(code: object, allowed: Mapping[str, str]) -> object:
    """A catalogue code as "中文 code" (现有 existing); a code the catalogue does not list stays as it is."""
    return f"{allowed[code]} {code}" if code in allowed else code


NOT_COVERED = "未覆盖 not covered"  # the value of a unit the inputs do not cover (no number is computed)
NO_DATA = "无数据 no data"  # the value of a unit an input gives no rows for (e.g. no harvest rows): no number either
NOT_COVERED_COLOUR = "#cccccc"  # its fill on the map


def format_number(x: float | None, unit: str, *, signed: bool = False, digits: int | None = None) -> str:
    """Format ``x`` with its unit: ``44.6 %``, ``1,234 ha``, ``−46.7 万m³``; NaN → ``—``.

    ``signed=True`` prefixes ``+`` for positive numbers (used for gaps); ``digits`` overrides
    the unit's usual decimals.
    """
    if x is None or pd.isna(x):
        return DASH
    x = float(x)
    digits = DECIMALS.get(unit, DEFAULT_DECIMALS) if digits is None else digits
    body = f"{abs(x):,.{digits}f}"
    sign = MINUS if x < 0 else ("+" if signed and x > 0 else "")
    text = f"{sign}{body}"
    return f"{text} {unit}" if unit else text


def class_labels(breaks: Sequence[float], unit: str) -> list[str]:
    """Each class's range with its unit, as legends show it: "30–40 %" (classes [breaks[i], breaks[i+1]])."""
    return [f"{class_bound(lo)}–{class_bound(hi)} {unit}".rstrip() for lo, hi in zip(breaks[:-1], breaks[1:])]


def class_bound(x: float) -> str:
    """A class bound for a legend: 22,722 (never 2.272e+04), 48.75, 0.1235."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.4g}"
