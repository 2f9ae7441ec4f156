"""The redline check sheet (逐条红线核查表, ``redline_checks.csv``): one row per redline with all the
checks found about it — its area and boundary (``redline_features``), the land cover inside it
(``redline_cover`` per redline), the forest stands inside it (``redline_forest``) and its function
type. The map's popups and the report's flagged-redline table read it. Pure table work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sinkmap.catalogue import load_catalogue
from sinkmap.indicators.redline_cover import REDLINE_KEYS
from sinkmap.indicators.redline_features import BOUNDARY_MOVED, NEW, REMOVED, TYPE_CHANGED

BASE = ["redline_id", "county", "realm", "function_type"]
COVER = ["cover_forest_ha", "cover_previous_forest_ha", "cover_human_use_ha", "cover_previous_human_use_ha"]
STANDS = ["stand_forest_ha", "stand_previous_forest_ha", "stock_m3", "previous_stock_m3", "stock_change_pct"]
AREA = ["area_ha", "previous_area_ha", "area_change_ha", "gained_ha", "given_up_ha"]
SHEET_COLUMNS = [*BASE, "status", *AREA, *COVER, *STANDS, "findings", "note"]
KEPT, ADDED, GONE = "kept", "new", "removed"  # status of a redline against the earlier version
SEPARATOR = "; "


def _named(value: str, field: str) -> str:
    """A coded redline field as "中文 code" (生物多样性维护 biodiversity), from the catalogue."""
    zh = (load_catalogue().layers["redlines"].fields[field].allowed or {}).get(value)
    return f"{zh} {value}" if zh else str(value)


def _feature_text(row: pd.Series) -> str:
    """One change of a redline (a ``feature_changes`` row) as a finding, with its numbers."""
    for field, label in TYPE_CHANGED.items():
        if row["change"] == label:
            return f"{label}: {_named(row['before'], field)} → {_named(row['after'], field)}"
    if row["change"] == BOUNDARY_MOVED:
        return f"{row['change']} (+{row['gained_ha']:.3f} / −{row['given_up_ha']:.3f} ha)"
    if row["change"] in (NEW, REMOVED):
        return row["change"]
    return f"{row['change']} {row['area_change_ha']:+.3f} ha".replace("-", "−")


def _stands_per_redline(forest: pd.DataFrame) -> pd.DataFrame:
    """``redline_forest.forest_check`` rows (per redline × county piece) summed per redline."""
    sums = forest.groupby("redline_id").agg(
        stand_forest_ha=("forest_ha", "sum"), stand_previous_forest_ha=("previous_forest_ha", lambda s: s.sum(min_count=1)),
        stock_m3=("stock_m3", "sum"), previous_stock_m3=("previous_stock_m3", lambda s: s.sum(min_count=1)),
        flag=("flag", lambda f: next((x for x in f if x), "")))
    before = sums["previous_stock_m3"]
    sums["stock_change_pct"] = 100.0 * (sums["stock_m3"] - before) / before.where(before > 0)
    return sums


def redline_sheet(current: pd.DataFrame, previous: pd.DataFrame | None = None, *, own_area_ha: pd.Series,
                  features: pd.DataFrame | None = None, cover: pd.DataFrame | None = None,
                  forest: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per redline of ``current`` (and, with ``previous``, per removed one), SHEET_COLUMNS.

    ``own_area_ha``: each current redline's own area (ha, by id); ``features``: ``feature_changes``;
    ``cover``: ``cover_check`` per redline (keys REDLINE_KEYS); ``forest``: ``forest_check`` rows.
    ``status`` is kept / new / removed with an earlier version, else empty; ``findings`` joins every
    flag with its numbers ("" when the redline passed every check made).
    """
    rows = current[BASE].copy()
    if previous is not None:
        gone = previous.loc[~previous["redline_id"].isin(rows["redline_id"]), BASE]
        rows = pd.concat([rows.assign(status=np.where(rows["redline_id"].isin(previous["redline_id"]), KEPT, ADDED)),
                          gone.assign(status=GONE)], ignore_index=True)
    rows = rows.set_index("redline_id")
    rows["area_ha"] = own_area_ha.reindex(rows.index)
    findings: dict[str, list[str]] = {rid: [] for rid in rows.index}
    if features is not None and len(features):
        per_id = features.drop_duplicates("redline_id").set_index("redline_id")
        rows = rows.join(per_id[["area_before_ha", "area_change_ha", "gained_ha", "given_up_ha"]])
        for row in features.to_dict("records"):
            findings[row["redline_id"]].append(_feature_text(pd.Series(row)))
    if cover is not None and len(cover):
        table = cover.set_index(REDLINE_KEYS)
        rows = rows.join(table[["forest_ha", "previous_forest_ha", "human_use_ha", "previous_human_use_ha", "note"]]
                         .add_prefix("cover_").rename(columns={"cover_note": "note"}))
        for rid, rec in table[table["flag"] != ""].iterrows():
            change = f"森林 forest {rec['forest_change_ha']:+.2f} ha, 耕地建设 crop + built {rec['human_use_change_ha']:+.2f} ha"
            findings[rid].append(f"土地覆盖 land cover: {rec['flag']} ({change.replace('-', '−')})")
    if forest is not None and len(forest):
        stands = _stands_per_redline(forest)
        rows = rows.join(stands.drop(columns="flag"))
        for rid, rec in stands[stands["flag"] != ""].iterrows():
            findings[rid].append(f"小班 stands: {rec['flag']} (蓄积 stock {rec['stock_change_pct']:+.1f} %)"
                                 .replace("-", "−"))
    rows = rows.rename(columns={"area_before_ha": "previous_area_ha"})
    rows["findings"] = pd.Series({rid: SEPARATOR.join(f) for rid, f in findings.items()})
    out = rows.reset_index().reindex(columns=SHEET_COLUMNS)
    out["note"] = out["note"].fillna("")
    return out.sort_values(["county", "redline_id"], ignore_index=True, kind="stable")
