"""The zonal statistics engine: coverage modes, strip processing, true-area units."""

from sinkmap.zonal.engine import class_areas, iter_zonal_stats, iter_zonal_tables, zonal_stats

__all__ = ["zonal_stats", "iter_zonal_stats", "iter_zonal_tables", "class_areas"]
