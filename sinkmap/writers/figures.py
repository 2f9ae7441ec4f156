"""The report's charts (matplotlib), one figure per question: the 2020–2030 trajectory against the plan's
targets, the annual sink by county, land-cover composition, redline area change and the mangrove work.

Writers only present: each function gets small finished frames (units already named, values in the
unit its axis states) and returns PNG bytes. A CJK font is set explicitly (``use_font``), so the
Chinese labels never fall back to boxes; no version is stamped, so the same data give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from sinkmap.writers.format import format_number  # noqa: E402

KIND_STYLES = {"observed": {"ls": "none", "marker": "o", "ms": 4, "color": "#1b5e20", "zorder": 3},
               "interpolated": {"ls": "-", "lw": 1.0, "color": "#9e9e9e"},
               "projected": {"ls": "--", "lw": 1.4, "color": "#1565c0"}}  # trajectory.csv's kind
KIND_LABELS = {"observed": "调查值 observed", "interpolated": "插值 interpolated", "projected": "预测 projected"}
TARGET_COLOUR = "#c62828"
FOREST_COLOUR, BLUE_COLOUR = "#2e7d32", "#0277bd"
WIDTH_IN = 7.5  # the report's text width (A4 portrait)


@dataclass(frozen=True)
class Chart:
    """One figure of the report: PNG bytes and its caption (the report numbers it)."""

    png: bytes
    caption: str


def use_font(font_path: Path | None) -> None:
    """Register a CJK font file with matplotlib and make it the first family."""
    if font_path is not None:
        font_manager.fontManager.addfont(str(font_path))
        family = font_manager.FontProperties(fname=str(font_path)).get_name()
        plt.rcParams["font.family"] = [family, "DejaVu Sans"]


def png_bytes(fig, rect: tuple[float, float, float, float] | None = None) -> bytes:
    """The figure as PNG bytes (tight layout within ``rect``, no software stamp), closed afterwards."""
    fig.tight_layout(rect=rect)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def trajectory_png(trajectory: pd.DataFrame, names: Mapping[str, str],
                   panels: Sequence[tuple[str, str, str]], targets: Mapping[str, Sequence[tuple[int, float]]],
                   *, total: str, font_path: Path | None = None) -> bytes:
    """Small multiples: one row per ``panels`` entry (trajectory column, label, unit), one column per unit
    (``names``: adcode → name, the survey area's ``total`` first). Observed points, interpolated and
    projected lines; ``targets`` (column → (year, value) pairs) are drawn on the total's panels."""
    use_font(font_path)
    fig, axes = plt.subplots(len(panels), len(names), figsize=(WIDTH_IN, 1.9 * len(panels) + 0.6), dpi=150,
                             squeeze=False)
    for row, (column, label, unit) in enumerate(panels):
        for col, (adcode, name) in enumerate(names.items()):
            ax = axes[row][col]
            rows = trajectory[trajectory["adcode"] == adcode].sort_values("year")
            ax.plot(rows["year"], rows[column], color="#bdbdbd", lw=0.6, zorder=1)  # one line through the years
            for kind, style in KIND_STYLES.items():
                part = rows[rows["kind"] == kind]
                if len(part):
                    ax.plot(part["year"], part[column], label=KIND_LABELS[kind], **style)
            if adcode == total:
                for year, value in targets.get(column, ()):
                    ax.axhline(value, color=TARGET_COLOUR, lw=0.8, ls=":")
                    ax.plot([year], [value], marker="D", ms=4, color=TARGET_COLOUR, zorder=4,
                            label="规划目标 plan target")
                    ax.annotate(f"{year}: {format_number(value, unit, digits=0)}", (year, value), fontsize=6,
                                color=TARGET_COLOUR, xytext=(-2, 3), textcoords="offset points", ha="right")
            ax.set_title(name if row == 0 else "", fontsize=8)
            ax.set_ylabel(f"{label}（{unit}）" if col == 0 else "", fontsize=7)
            ax.tick_params(labelsize=6)
            ax.spines[["top", "right"]].set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    fig.legend(unique.values(), unique.keys(), loc="lower center", ncol=len(unique), fontsize=7, frameon=False)
    return png_bytes(fig, rect=(0, 0.07, 1, 1))


def sink_png(forest: pd.DataFrame, blue: pd.DataFrame | None, total: pd.DataFrame | None, *, unit: str,
             font_path: Path | None = None) -> bytes:
    """Annual sink per unit (index: unit names), stacked: forest biomass, then blue carbon on top; each frame
    has value, low, high (95 % range). The error bar is the total's range (``total``), else the forest's."""
    use_font(font_path)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.0), dpi=150)
    x = range(len(forest))
    ax.bar(x, forest["value"], color=FOREST_COLOUR, label="森林生物量 forest biomass")
    top = forest["value"]
    if blue is not None:
        ax.bar(x, blue["value"], bottom=forest["value"].clip(lower=0), color=BLUE_COLOUR, label="蓝碳 blue carbon")
        top = forest["value"].clip(lower=0) + blue["value"]
    ranged = total if total is not None else forest
    ax.errorbar(list(x), top, yerr=[top - ranged["low"], ranged["high"] - top], fmt="none", ecolor="#212121",
                capsize=3, lw=0.8, label="95 % 区间 range")
    ax.axhline(0, color="#616161", lw=0.6)
    ax.set_xticks(list(x), list(forest.index), fontsize=7)
    ax.set_ylabel(f"年碳汇 annual sink（{unit}）", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.legend(fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return png_bytes(fig)


def composition_png(shares: pd.DataFrame, colours: Mapping[str, str], labels: Mapping[str, str], *,
                    font_path: Path | None = None) -> bytes:
    """Land-cover composition per unit: horizontal bars of each class's share (%) of the unit's mapped land
    (``shares``: index unit names, one column per class, rows adding to 100)."""
    use_font(font_path)
    legend_in = 0.2 * -(-len(shares.columns) // 4) + 0.15  # the legend's rows of 4 classes, below the axes (in)
    height = 0.42 * len(shares) + 1.0 + legend_in
    fig, ax = plt.subplots(figsize=(WIDTH_IN, height), dpi=150)
    left = pd.Series(0.0, index=shares.index)
    for cls in shares.columns:
        ax.barh(list(shares.index), shares[cls], left=left, color=colours[cls], edgecolor="white", lw=0.4,
                label=labels[cls])
        left += shares[cls]
    ax.invert_yaxis()  # the total on top
    ax.set_xlim(0, 100)
    ax.set_xlabel("占已制图面积 share of the mapped area (%)", fontsize=7)
    ax.tick_params(labelsize=7)
    fig.legend(fontsize=6, ncol=4, frameon=False, loc="lower center")  # below the axis label, at any height
    ax.spines[["top", "right"]].set_visible(False)
    return png_bytes(fig, rect=(0, legend_in / height, 1, 1))


def change_png(change: pd.DataFrame, labels: Mapping[str, str], *, unit: str, font_path: Path | None = None) -> bytes:
    """Grouped bars of a signed change per unit (``change``: index unit names, one column per group, e.g.
    land and marine redline area change); losses below the zero line."""
    use_font(font_path)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 2.8), dpi=150)
    width = 0.8 / max(len(change.columns), 1)
    colours = ("#6d4c41", "#0277bd", "#7b1fa2")
    for i, column in enumerate(change.columns):
        xs = [k + (i - (len(change.columns) - 1) / 2) * width for k in range(len(change))]
        ax.bar(xs, change[column], width=width, color=colours[i % len(colours)], label=labels.get(column, column))
    ax.axhline(0, color="#212121", lw=0.8)
    ax.set_xticks(range(len(change)), list(change.index), fontsize=7)
    ax.set_ylabel(f"面积变化 area change（{unit}）", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.legend(fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return png_bytes(fig)


def work_png(cumulative: pd.DataFrame, targets: Mapping[str, tuple[int, float]], labels: Mapping[str, str], *,
             unit: str, font_path: Path | None = None) -> bytes:
    """Cumulative work per year against its target, one panel per kind of work (``cumulative``: index year,
    one column per kind, e.g. planted and restored mangrove in 亩; ``targets``: kind → (year, value))."""
    use_font(font_path)
    kinds = list(cumulative.columns)
    fig, axes = plt.subplots(1, len(kinds), figsize=(WIDTH_IN, 2.6), dpi=150, squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        ax.step(cumulative.index, cumulative[kind], where="post", color=FOREST_COLOUR, lw=1.6,
                label="累计 cumulative")
        ax.plot(cumulative.index, cumulative[kind], "o", ms=3, color=FOREST_COLOUR)
        if kind in targets:
            year, value = targets[kind]
            ax.axhline(value, color=TARGET_COLOUR, lw=0.9, ls=":")
            ax.annotate(f"{year} 目标 target {format_number(value, unit, digits=0)}", (cumulative.index[0], value),
                        fontsize=6, color=TARGET_COLOUR, xytext=(0, 3), textcoords="offset points")
            ax.set_ylim(0, max(value, float(cumulative[kind].max())) * 1.15)
        ax.set_title(labels.get(kind, kind), fontsize=8)
        ax.set_ylabel(unit, fontsize=7)
        ax.set_xticks(list(cumulative.index))
        ax.tick_params(labelsize=6)
        ax.spines[["top", "right"]].set_visible(False)
    return png_bytes(fig)
