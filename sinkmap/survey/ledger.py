"""One survey year's redline ledger (生态保护红线台账): its change since an earlier version, the land
cover inside the redlines now and in an earlier map, and the forest stands inside them at this and the
earlier stand survey. Reads the (open) land-cover maps in one zonal pass each; writes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from sinkmap.config import REDLINES_PREVIOUS, LayerInput
from sinkmap.indicators.coverage import COVERAGE_MIN
from sinkmap.indicators.forest import StandForest
from sinkmap.indicators.redline import (
    CHANGE_COLUMNS,
    LEDGER_COLUMNS,
    TOLERANCE_HA,
    county_pieces,
    footprints,
    ledger,
    ledger_change,
)
from sinkmap.indicators.redline_cover import (
    CHECK_COLUMNS,
    COVER_COLUMNS,
    REDLINE_KEYS,
    ZONE_KEYS,
    cover_by_class,
    cover_check,
    cover_table,
    unmapped_notes,
)
from sinkmap.indicators.redline_features import FEATURE_COLUMNS, feature_changes, own_areas
from sinkmap.indicators.redline_forest import FOREST_COLUMNS, forest_check, forest_summary, stands_inside
from sinkmap.indicators.redline_sheet import SHEET_COLUMNS, redline_sheet
from sinkmap.indicators.stands import overlapping_pairs
from sinkmap.survey.notices import warn_overlaps
from sinkmap.units import M2_PER_HA
from sinkmap.zonal.landcover import LandCover


@dataclass(frozen=True)
class RedlineYear:
    """The ledger per county × realm × function type and, with an earlier version, what changed;
    redline by redline in ``sheet``."""

    by_function: pd.DataFrame  # county, realm, function_type, redlines, area_ha
    per_realm: pd.DataFrame  # county × realm: area_ha (+ previous, change, added, removed, flag)
    features: pd.DataFrame  # per change of a redline: FEATURE_COLUMNS (empty without an earlier version)
    cover: pd.DataFrame  # county × realm × land-cover class inside the redlines: COVER_COLUMNS
    cover_check: pd.DataFrame  # county × realm (redline_id ""), then its flagged redlines: CHECK_COLUMNS
    forest: pd.DataFrame  # per redline (× county): forest-stand area and growing stock now and before, flag
    forest_units: pd.DataFrame  # the same per county × realm, with the number of redlines flagged
    sheet: pd.DataFrame  # one row per redline with all its findings: SHEET_COLUMNS
    previous_year: int | None = None  # of the earlier redline version
    cover_year: int | None = None  # of the earlier land-cover map
    stands_year: int | None = None  # of the earlier stand survey

    def tables(self) -> dict[str, pd.DataFrame]:
        """The ledger's output tables, by file name."""
        return {"redline_ledger.csv": self.by_function, "redline_change.csv": self.per_realm,
                "redline_features_changed.csv": self.features, "redline_landcover.csv": self.cover,
                "redline_landcover_check.csv": self.cover_check, "redline_forest.csv": self.forest,
                "redline_checks.csv": self.sheet}


EMPTY_TABLES = {"redline_ledger.csv": LEDGER_COLUMNS, "redline_change.csv": CHANGE_COLUMNS,
                "redline_features_changed.csv": FEATURE_COLUMNS, "redline_landcover.csv": COVER_COLUMNS,
                "redline_landcover_check.csv": CHECK_COLUMNS, "redline_forest.csv": FOREST_COLUMNS,
                "redline_checks.csv": SHEET_COLUMNS}  # the tables' columns, when the survey has no redlines


def _classes_inside(pieces: gpd.GeoDataFrame, landcover: LandCover) -> pd.DataFrame:
    """Categorical zonal table (zone = row of ``pieces``, class, area_ha) of ``landcover`` inside every
    redline piece by the fraction rule, in one pass: the pieces tile each county × realm's footprint once
    (a redline wholly inside an earlier one is an empty piece, left out)."""
    zones = pieces[[pieces.geometry.name]].assign(zone=np.arange(len(pieces)))[~pieces.geometry.is_empty.to_numpy()]
    return landcover.class_areas_fraction(zones, "zone")


def _cover_checks(pieces: gpd.GeoDataFrame, landcover: LandCover, before: LandCover | None,
                  coverage_min: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Land cover inside the redlines: per county × realm × class (COVER_COLUMNS), the check per county ×
    realm followed by its flagged redlines (CHECK_COLUMNS), and the check of every redline."""
    now = _classes_inside(pieces, landcover)
    then = _classes_inside(pieces, before) if before is not None else None
    files = (landcover.name, before.name if before is not None else None)
    piece_ha = pieces.geometry.area / M2_PER_HA  # the pieces are in the equal-area CRS

    def checked(keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The cover table and its check per ``keys`` (county × realm, or redline), from the one pass."""
        table = cover_table(cover_by_class(now, landcover.preset, pieces, keys),
                            cover_by_class(then, before.preset, pieces, keys) if then is not None else None, keys)
        area_ha = piece_ha.groupby([pieces[k] for k in keys]).sum()
        return table, cover_check(table, notes=unmapped_notes(table, area_ha, files, coverage_min), keys=keys)

    cover, per_zone = checked(ZONE_KEYS)
    per_redline = checked(REDLINE_KEYS)[1]
    where = pieces.drop_duplicates("redline_id").set_index("redline_id")[ZONE_KEYS]
    flagged = per_redline[per_redline["flag"] != ""].join(where, on="redline_id")
    combined = pd.concat([per_zone.assign(redline_id=""), flagged], ignore_index=True)
    combined["_summary"] = combined["redline_id"] == ""
    combined = combined.sort_values([*ZONE_KEYS, "_summary", "redline_id"], ascending=[True, True, False, True],
                                    kind="stable", ignore_index=True)
    return cover, combined.reindex(columns=CHECK_COLUMNS), per_redline


def redline_year(layers: dict[str, gpd.GeoDataFrame], earlier: LayerInput | None = None,
                 landcover: LandCover | None = None, landcover_before: LandCover | None = None, *,
                 name: str = "redlines", counties: gpd.GeoDataFrame | None = None,
                 stands: StandForest | None = None, stands_before: tuple[int, pd.DataFrame] | None = None,
                 coverage_min: float = COVERAGE_MIN, tolerance_ha: float = TOLERANCE_HA) -> RedlineYear | None:
    """The ledger of the survey's redline layer (None when there is none); with ``landcover``, the
    land cover inside today's redlines, compared with ``landcover_before`` when given; with
    ``stands`` (this year's stand survey read as forest), the forest stands inside them, compared
    with ``stands_before`` (the earlier survey's year and its ``stands_in_redlines``) when given. ``name``: the redline
    file's name, for the warning about overlapping redlines; ``counties``: the county lines at which
    land redlines without a county code are cut (``county_pieces``); ``coverage_min``: the share of a
    county × realm's (or a redline's) area each land-cover map must map for its check to be flagged;
    ``tolerance_ha``: the area change below which a county or a redline is not flagged."""
    if "redlines" not in layers:
        return None
    current = layers["redlines"]
    before = layers.get(REDLINES_PREVIOUS)
    warn_overlaps(overlapping_pairs(current, "redline_id"), name, "redlines", "redline_id")
    pieces = county_pieces(current, counties)
    by_function, zones = ledger(pieces), footprints(pieces)
    features = None
    if before is not None:
        per_realm = ledger_change(zones, footprints(county_pieces(before, counties)), tolerance_ha)
        features = feature_changes(current, before, tolerance_ha)
    else:
        areas = by_function.groupby(["county", "realm"], as_index=False)["area_ha"].sum()
        per_realm = areas.reindex(columns=CHANGE_COLUMNS)
        earlier = None
    cover, check, per_redline = (pd.DataFrame(columns=COVER_COLUMNS), pd.DataFrame(columns=CHECK_COLUMNS), None)
    if landcover is not None:
        cover, check, per_redline = _cover_checks(pieces, landcover, landcover_before, coverage_min)
    forest, stands_year = pd.DataFrame(columns=FOREST_COLUMNS), None
    if stands is not None:
        then = stands_before[1] if stands_before is not None else None
        forest = forest_check(stands_inside(stands, pieces), then)
        stands_year = stands_before[0] if stands_before is not None else None
    own_ha = own_areas(current).area / M2_PER_HA
    sheet = redline_sheet(current, before, own_area_ha=own_ha, features=features, cover=per_redline,
                          forest=forest if stands is not None else None)
    return RedlineYear(by_function, per_realm, features if features is not None else pd.DataFrame(
                           columns=FEATURE_COLUMNS), cover, check, forest, forest_summary(forest), sheet,
                       earlier.year if earlier else None,
                       landcover_before.year if landcover_before is not None and landcover is not None else None,
                       stands_year)


def stands_in_redlines(stands: StandForest, layers: dict[str, gpd.GeoDataFrame], counties: gpd.GeoDataFrame
                       ) -> pd.DataFrame | None:
    """A stand survey's forest area and stock inside each piece of today's redlines (``stands_inside`` of
    ``redline_year``'s pieces; None without a redline layer): taken from an earlier survey before its stands
    are let go, for ``redline_year``'s ``stands_before``."""
    if "redlines" not in layers:
        return None
    return stands_inside(stands, county_pieces(layers["redlines"], counties))


def redline_tables(ledger: RedlineYear | None) -> dict[str, pd.DataFrame]:
    """The ledger's output tables (with headers only when the survey has no redline layer)."""
    if ledger is None:
        return {name: pd.DataFrame(columns=columns) for name, columns in EMPTY_TABLES.items()}
    return ledger.tables()


def redline_findings(ledger: RedlineYear) -> pd.Series:
    """Per redline id, what the checks found about it (the sheet's findings); redlines with nothing are
    absent. For the map's popups."""
    sheet = ledger.sheet[ledger.sheet["findings"] != ""]
    return sheet.set_index("redline_id")["findings"]
