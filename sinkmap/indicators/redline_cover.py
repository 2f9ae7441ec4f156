"""Land cover inside the ecological redlines: 性质不改变 (nature not changed), 功能不降低 (function not lowered).

Each land-cover map is summarised inside the *current* redline footprints (overlaps counted once,
per county × realm), so a change here is a change of what lies inside today's redline, not of its
boundary (that is ``redline.ledger_change``). Between an earlier land-cover map and this year's,
per county × realm:

- 性质改变 nature changed: human-use land (耕地 cropland, 建设用地 built-up) grew by more than
  COVER_TOLERANCE_HA. The redline rules prohibit development and production construction and
  allow residents' farming only without expanding cropland (自然资源部、生态环境部、国家林业和草原局
  《关于加强生态保护红线管理的通知（试行）》, 2022);
- 功能降低 function lowered: forest land (the classes that count as forest: 乔木林, 竹林, 红树林)
  fell by more than COVER_TOLERANCE_HA.

The same check runs redline by redline (keys ``REDLINE_KEYS``): a county's net figure would hide a
conversion inside one redline behind new forest in another. Both are flags for review on the
ground, not findings: two classified maps differ by their errors too. A county × realm whose redlines either map leaves partly unmapped (valid cells under
``minimum`` of the footprint, e.g. an earlier map of one county only) gets no flag, only a note:
missing cells would read as a change. Pure functions of categorical zonal tables (zone, class code,
area_ha).
"""

from __future__ import annotations

import pandas as pd

from sinkmap.catalogue import load_preset, sinkmap_classes

HUMAN_USE = ("crop", "built")  # sinkmap classes of human use: 耕地, 建设用地
COVER_TOLERANCE_HA = 1.0  # ≈ 11 cells of 30 m: smaller changes are within two maps' classification noise
NATURE_CHANGED = "性质改变 nature changed"
FUNCTION_LOWERED = "功能降低 function lowered"
ZONE_KEYS = ["county", "realm"]
REDLINE_KEYS = ["redline_id"]
COVER_COLUMNS = [*ZONE_KEYS, "sinkmap_class", "name_zh", "area_ha", "share_pct", "previous_area_ha", "change_ha"]
MEASURES = ["forest_ha", "previous_forest_ha", "forest_change_ha", "human_use_ha", "previous_human_use_ha",
            "human_use_change_ha", "flag", "note"]
CHECK_COLUMNS = [*ZONE_KEYS, "redline_id", *MEASURES]  # redline_id "" on a county × realm's row


def cover_by_class(class_areas: pd.DataFrame, preset: str, zones: pd.DataFrame, keys: list[str] = ZONE_KEYS
                   ) -> pd.DataFrame:
    """Area (ha) per ``keys`` (county × realm, or redline) × sinkmap class.

    ``class_areas`` is a categorical zonal table (zone, class, area_ha) whose ``zone`` is the row
    position in ``zones`` (redline pieces with ``keys``); source codes are mapped to sinkmap classes by
    ``preset``. Pieces that tile a county × realm sum to its footprint's cover.
    """
    to_class = load_preset(preset).set_index("code")["sinkmap_class"]
    frame = class_areas.assign(sinkmap_class=class_areas["class"].map(to_class))
    frame = frame.join(zones[keys].reset_index(drop=True), on="zone")
    return frame.groupby([*keys, "sinkmap_class"], as_index=False)["area_ha"].sum()


def cover_table(current: pd.DataFrame, previous: pd.DataFrame | None = None, keys: list[str] = ZONE_KEYS
                ) -> pd.DataFrame:
    """Per ``keys`` × class: area now (ha), its share of the mapped redline area (%) and, with an
    earlier map, the area then and the change (ha). Classes in neither map are omitted."""
    now = current.set_index([*keys, "sinkmap_class"])["area_ha"]
    before = previous.set_index([*keys, "sinkmap_class"])["area_ha"] if previous is not None else None
    index = now.index if before is None else now.index.union(before.index)
    out = pd.DataFrame({"area_ha": now.reindex(index, fill_value=0.0)}, index=index)
    mapped = out.groupby(level=keys)["area_ha"].transform("sum")
    out["share_pct"] = (100.0 * out["area_ha"] / mapped.where(mapped > 0)).fillna(0.0)
    if before is not None:
        out["previous_area_ha"] = before.reindex(index, fill_value=0.0)
        out["change_ha"] = out["area_ha"] - out["previous_area_ha"]
    classes = sinkmap_classes().set_index("class")
    out = out.reset_index()
    out["name_zh"] = out["sinkmap_class"].map(classes["name_zh"])
    out["_order"] = out["sinkmap_class"].map(classes["code"])  # the class scheme's order
    out = out.sort_values([*keys, "_order"], ignore_index=True)
    return out.reindex(columns=[*keys, *COVER_COLUMNS[len(ZONE_KEYS):]])


def _group_sums(table: pd.DataFrame, column: str, keys: list[str]) -> pd.DataFrame:
    """Per ``keys``: the forest and the human-use area in ``column`` (NaN where it is all NaN)."""
    classes = sinkmap_classes()
    forest = set(classes.loc[classes["counts_as_forest"], "class"])
    group = table["sinkmap_class"].map(lambda c: "forest" if c in forest else "human_use" if c in HUMAN_USE else "other")
    sums = table.groupby([*(table[k] for k in keys), group])[column].sum(min_count=1)
    return sums.unstack(fill_value=0.0).reindex(columns=["forest", "human_use"], fill_value=0.0)


def unmapped_notes(table: pd.DataFrame, footprint_ha: pd.Series, files: tuple[str, str | None],
                   minimum: float) -> pd.Series:
    """Per zone (index of ``footprint_ha``, the redline area in ha, named by its keys: county × realm or
    redline): why it cannot be checked ("" when both maps cover at least ``minimum`` of it). ``files``:
    the two maps' names."""
    keys = list(footprint_ha.index.names)
    reasons: list[list[str]] = [[] for _ in range(len(footprint_ha))]
    for column, name in zip(("area_ha", "previous_area_ha"), files):
        if name is None or column not in table:
            continue
        mapped = table.groupby(keys)[column].sum().reindex(footprint_ha.index, fill_value=0.0)
        share = (mapped / footprint_ha).clip(upper=1.0).to_numpy()
        for reason, part in zip(reasons, share):
            if part < minimum:
                reason.append(f"{name} maps {100 * part:.1f} % of these redlines (< {100 * minimum:g} %)")
    return pd.Series(["not covered: " + "; ".join(r) if r else "" for r in reasons], index=footprint_ha.index)


def cover_check(table: pd.DataFrame, tolerance_ha: float = COVER_TOLERANCE_HA, notes: pd.Series | None = None,
                keys: list[str] = ZONE_KEYS) -> pd.DataFrame:
    """Per ``keys`` (county × realm, or redline): forest and human-use area inside the redlines now and
    before (ha), their change, and the flags (change and flags empty without an earlier map); ``notes``
    (``unmapped_notes``): a zone with a note gets no flag. Columns: keys, MEASURES."""
    if table.empty:
        return pd.DataFrame(columns=[*keys, *MEASURES])
    now, before = _group_sums(table, "area_ha", keys), _group_sums(table, "previous_area_ha", keys)
    out = pd.DataFrame(index=now.index)
    for name in ("forest", "human_use"):
        out[f"{name}_ha"] = now[name]
        out[f"previous_{name}_ha"] = before[name]
        out[f"{name}_change_ha"] = now[name] - before[name]
    nature = out["human_use_change_ha"] > tolerance_ha  # NaN (no earlier map) compares False
    lowered = out["forest_change_ha"] < -tolerance_ha
    out["note"] = "" if notes is None else notes.reindex(out.index, fill_value="")
    out["flag"] = ["" if note else "; ".join(([NATURE_CHANGED] if n else []) + ([FUNCTION_LOWERED] if f else []))
                   for n, f, note in zip(nature, lowered, out["note"])]
    return out.reset_index().reindex(columns=[*keys, *MEASURES])
