"""Development tools run from a clone (not installed): tools/build_aoi.py rebuilds aoi/shanwei.gpkg."""
