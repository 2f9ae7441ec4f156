"""Writers only present: tables, GeoPackage, map and report. They never compute."""
