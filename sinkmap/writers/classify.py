"""Classed colours for a numeric field (mapclassify), and their legend."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

SCHEMES = {"quantiles": "Quantiles", "natural_breaks": "NaturalBreaks", "equal_interval": "EqualInterval",
           "fisher_jenks": "FisherJenks"}  # option name → mapclassify class (imported when used)
NO_DATA_COLOUR = "#cccccc"


@dataclass(frozen=True)
class Classes:
    """Class breaks [lower, b1, …, upper] and one colour per class."""

    breaks: list[float]
    colours: list[str]

    def colour_of(self, value: float | None) -> str:
        """Colour of the class holding ``value`` (upper bounds inclusive, as mapclassify bins)."""
        if value is None or np.isnan(value):
            return NO_DATA_COLOUR
        index = int(np.searchsorted(self.breaks[1:], value, side="left"))
        return self.colours[min(index, len(self.colours) - 1)]


def classify(values, scheme: str = "quantiles", k: int = 5, cmap: str = "YlGn") -> Classes:
    """Classes of ``values`` (NaN ignored) by a mapclassify ``scheme`` with ``k`` classes."""
    import mapclassify
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    k = max(1, min(k, len(np.unique(data))))
    bins = list(getattr(mapclassify, SCHEMES[scheme])(data, k=k).bins) if k > 1 else [float(data.max())]
    colours = [to_hex(colormaps[cmap](x)) for x in np.linspace(0.15, 0.95, len(bins))]
    return Classes([float(data.min()), *map(float, bins)], colours)


def classes_legend_html(title: str, classes: Classes, unit: str, element_id: str = "sinkmap-legend") -> str:
    """A plain HTML legend (no d3): one swatch per class with its range and unit."""
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;background:{c};'
        f'border:1px solid #555;margin-right:4px"></span>{lo:,.4g}–{hi:,.4g} {html.escape(unit)}</div>'
        for c, lo, hi in zip(classes.colours, classes.breaks[:-1], classes.breaks[1:]))
    return (f'<div id="{element_id}" style="position:fixed;top:10px;left:60px;z-index:9999;'
            f'background:rgba(255,255,255,0.92);padding:6px 8px;font:12px sans-serif;border:1px solid #999;'
            f'border-radius:4px"><b>{html.escape(title)}</b>{rows}</div>')
