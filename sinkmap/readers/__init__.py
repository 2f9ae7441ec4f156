"""Readers of the survey's inputs: vector layers, rasters, tables."""

ALL_LAYERS = "*"  # as a layer name: every layer of the file that has geometries, read as one
