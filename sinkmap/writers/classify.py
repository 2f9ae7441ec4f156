"""Classed colours for a numeric field (mapclassify), and their legend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sinkmap.writers.format import class_labels
from sinkmap.writers.webmap import legend_box

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


def classes_legend_html(title: str, classes: Classes, unit: str, element_id: str = "sinkmap-legend",
                        extra: Sequence[tuple[str, str]] = ()) -> str:
    """A legend with one swatch per class, its range and unit, then the ``extra`` (colour, label) swatches."""
    items = [*zip(classes.colours, class_labels(classes.breaks, unit)), *extra]
    return legend_box(title, items, element_id=element_id, position="top:10px;left:60px")
