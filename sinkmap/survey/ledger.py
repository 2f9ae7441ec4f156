"""One survey year's redline ledger (生态保护红线台账): its change since an earlier version, the land
cover inside the redlines now and in an earlier map, and the forest stands inside them at this and the
earlier stand survey. Reads the land-cover rasters through the zonal engine; writes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from sinkmap.config import REDLINES_PREVIOUS, LayerInput
from sinkmap.indicators.coverage import COVERAGE_MIN
from sinkmap.indicators.forest import StandForest
from sinkmap.indicators.redline import (
    CHANGE_COLUMNS,
    FEATURE_COLUMNS,
    LEDGER_COLUMNS,
    county_pieces,
    feature_changes,
    footprints,
    ledger,
    ledger_change,
)
from sinkmap.indicators.redline_cover import (
    CHECK_COLUMNS,
    COVER_COLUMNS,
    ZONE_KEYS,
    cover_by_class,
    cover_check,
    cover_table,
    unmapped_notes,
)
from sinkmap.indicators.redline_forest import FOREST_COLUMNS, forest_check, forest_summary, stands_inside
from sinkmap.indicators.stands import overlapping_pairs
from sinkmap.readers.crs import area_m2
from sinkmap.readers.raster import raster_crs
from sinkmap.survey.notices import warn_overlaps
from sinkmap.units import M2_PER_HA
from sinkmap.zonal import zonal_stats
from sinkmap.zonal.zones import reproject_zones


@dataclass(frozen=True)
class RedlineYear:
    """The ledger per county × realm × function type and, with an earlier version, what changed."""

    by_function: pd.DataFrame  # county, realm, function_type, redlines, area_ha
    per_realm: pd.DataFrame  # county × realm: area_ha (+ previous, change, added, removed, flag)
    features: pd.DataFrame  # redline_id, county, change, before, after (empty without an earlier version)
    cover: pd.DataFrame  # county × realm × land-cover class inside the redlines: COVER_COLUMNS
    cover_check: pd.DataFrame  # county × realm: forest and human-use area now and before, flag
    forest: pd.DataFrame  # per redline (× county): forest-stand area and growing stock now and before, flag
    forest_units: pd.DataFrame  # the same per county × realm, with the number of redlines flagged
    previous_year: int | None = None  # of the earlier redline version
    cover_year: int | None = None  # of the earlier land-cover map
    stands_year: int | None = None  # of the earlier stand survey


def _cover_inside(zones: gpd.GeoDataFrame, landcover: LayerInput) -> pd.DataFrame:
    """Area (ha) per county × realm × sinkmap class of ``landcover`` inside the redline ``zones``."""
    shapes = reproject_zones(zones[[zones.geometry.name]], raster_crs(landcover.path))
    areas = zonal_stats(landcover.path, shapes, categorical=True, coverage="fraction")
    return cover_by_class(areas, landcover.preset, zones)


def redline_year(layers: dict[str, gpd.GeoDataFrame], earlier: LayerInput | None = None,
                 landcover: LayerInput | None = None, landcover_before: LayerInput | None = None, *,
                 name: str = "redlines", counties: gpd.GeoDataFrame | None = None,
                 stands: StandForest | None = None, stands_before: tuple[int, StandForest] | None = None,
                 coverage_min: float = COVERAGE_MIN) -> RedlineYear | None:
    """The ledger of the survey's redline layer (None when there is none); with ``landcover``, the
    land cover inside today's redlines, compared with ``landcover_before`` when given; with
    ``stands`` (this year's stand survey read as forest), the forest stands inside them, compared
    with ``stands_before`` (the earlier survey's year and forest) when given. ``name``: the redline
    file's name, for the warning about overlapping redlines; ``counties``: the county lines at which
    land redlines without a county code are cut (``county_pieces``); ``coverage_min``: the share of a
    county × realm's redlines each land-cover map must map for its land-cover check to be flagged."""
    if "redlines" not in layers:
        return None
    current = layers["redlines"]
    warn_overlaps(overlapping_pairs(current, "redline_id"), name, "redlines", "redline_id")
    pieces = county_pieces(current, counties)
    by_function, zones = ledger(pieces), footprints(pieces)
    if REDLINES_PREVIOUS in layers:
        before = layers[REDLINES_PREVIOUS]
        per_realm = ledger_change(zones, footprints(county_pieces(before, counties)))
        features = feature_changes(current, before)
    else:
        areas = by_function.groupby(["county", "realm"], as_index=False)["area_ha"].sum()
        per_realm = areas.reindex(columns=CHANGE_COLUMNS)
        features = pd.DataFrame(columns=FEATURE_COLUMNS)
        earlier = None
    cover, check = pd.DataFrame(columns=COVER_COLUMNS), pd.DataFrame(columns=CHECK_COLUMNS)
    if landcover is not None:
        previous = _cover_inside(zones, landcover_before) if landcover_before is not None else None
        cover = cover_table(_cover_inside(zones, landcover), previous)
        footprint_ha = pd.Series(area_m2(zones.geometry) / M2_PER_HA,
                                 index=pd.MultiIndex.from_frame(zones[ZONE_KEYS]))
        files = (landcover.path.name, landcover_before.path.name if landcover_before is not None else None)
        check = cover_check(cover, notes=unmapped_notes(cover, footprint_ha, files, coverage_min))
    forest, stands_year = pd.DataFrame(columns=FOREST_COLUMNS), None
    if stands is not None:
        then = stands_inside(stands_before[1], pieces) if stands_before is not None else None
        forest = forest_check(stands_inside(stands, pieces), then)
        stands_year = stands_before[0] if stands_before is not None else None
    return RedlineYear(by_function, per_realm, features, cover, check, forest, forest_summary(forest),
                       earlier.year if earlier else None,
                       landcover_before.year if landcover_before is not None and landcover is not None else None,
                       stands_year)


def redline_tables(ledger: RedlineYear | None) -> dict[str, pd.DataFrame]:
    """The ledger's output tables (with headers only when the survey has no redline layer)."""
    if ledger is None:
        return {"redline_ledger.csv": pd.DataFrame(columns=LEDGER_COLUMNS),
                "redline_change.csv": pd.DataFrame(columns=CHANGE_COLUMNS),
                "redline_features_changed.csv": pd.DataFrame(columns=FEATURE_COLUMNS),
                "redline_landcover.csv": pd.DataFrame(columns=COVER_COLUMNS),
                "redline_landcover_check.csv": pd.DataFrame(columns=CHECK_COLUMNS),
                "redline_forest.csv": pd.DataFrame(columns=FOREST_COLUMNS)}
    return {"redline_ledger.csv": ledger.by_function, "redline_change.csv": ledger.per_realm,
            "redline_features_changed.csv": ledger.features, "redline_landcover.csv": ledger.cover,
            "redline_landcover_check.csv": ledger.cover_check, "redline_forest.csv": ledger.forest}


def redline_checks(ledger: RedlineYear) -> pd.Series:
    """Per redline id, what the checks found about it ("; "-joined): 功能降低 from the forest check,
    and a function type or realm changed since the earlier version; redlines with nothing are absent."""
    found = [ledger.forest.loc[ledger.forest["flag"] != "", ["redline_id", "flag"]],
             ledger.features.loc[ledger.features["change"] != "removed", ["redline_id", "change"]]
             .rename(columns={"change": "flag"})]
    rows = pd.concat(found, ignore_index=True).drop_duplicates()
    return rows.groupby("redline_id", sort=False)["flag"].agg("; ".join)
