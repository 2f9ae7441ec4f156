"""GeoPackage layers go to GDAL through its Arrow writer (writers/gpkglayer.py), their geometries encoded to
WKB a few at a time: the file is the one pyogrio's write_dataframe writes, byte for byte."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pandas.testing import assert_frame_equal
from shapely.geometry import MultiPolygon, Point, box

import sinkmap.writers.gpkglayer as gpkglayer
import sinkmap.writers.vector as vector
from sinkmap.catalogue import MapStyle
from sinkmap.writers.gpkglayer import arrow_writable, layer_geometry, wkb_array
from sinkmap.writers.layerstyle import STYLES_TABLE, map_layer_style
from sinkmap.writers.vector import write_gpkg

N = 23  # stands: parts of 7 are 7, 7, 7 and 2


def stands() -> gpd.GeoDataFrame:
    """Every column type the Arrow writer takes, with missing values; Polygons and MultiPolygons mixed, one
    stand without a geometry."""
    i = np.arange(N)
    geometry = [box(x, 0, x + 1, 1) if x % 3 else MultiPolygon([box(x, 0, x + 1, 1), box(x, 2, x + 1, 3)])
                for x in i]
    geometry[5] = None
    return gpd.GeoDataFrame({
        "stand_id": pd.array([f"林{x:03d}" if x % 4 else None for x in i], dtype="str"),
        "species": pd.array(["杉木" if x % 2 else None for x in i], dtype="string"),
        "pieces": i.astype("int64"), "age": (i * 3).astype("int32"),
        "area_ha": np.where(i % 5 == 0, np.nan, i * 0.25),
        "forest": i % 2 == 0,
        "checked": pd.array([[True, False, None][x % 3] for x in i], dtype="boolean"),
        "stock_m3": pd.array([x * 10 if x % 6 else None for x in i], dtype="Int64"),
        "plots": pd.array([x if x % 7 else None for x in i], dtype="Int32"),
        "share": pd.array([x / N if x % 8 else None for x in i], dtype="Float64"),
    }, geometry=geometry, crs=4490)


def layers() -> dict[str, pd.DataFrame]:
    wells = gpd.GeoDataFrame({"depth": [1.5, 2.0, 3.5]}, geometry=[Point(0, 0, 5), Point(1, 1, 6), Point(2, 2, 7)],
                             crs=4490)
    table = pd.DataFrame({"adcode": pd.array(["441502", "441581"], dtype="str"), "area_ha": [1.5, 2.5]})
    return {"stands": stands(), "wells": wells, "class_areas": table}


def write(path: Path) -> Path:
    style = MapStyle(1, "林分 Stands", {"color": "#1b5e20"}, (("species", "树种 Species"),))
    return write_gpkg(layers(), path, descriptions=dict.fromkeys(layers(), "测试 test"),
                      styles={"stands": map_layer_style(style, None)})


def test_layers_written_in_parts_are_write_dataframes_bytes(tmp_path, monkeypatch):
    assert all(arrow_writable(frame) for frame in layers().values())  # else both files are write_dataframe's
    monkeypatch.setattr(gpkglayer, "WKB_PART", 7)
    parts = write(tmp_path / "parts.gpkg")
    monkeypatch.setattr(vector, "arrow_writable", lambda frame: False)  # as before: pyogrio.write_dataframe
    before = write(tmp_path / "before.gpkg")
    assert parts.read_bytes() == before.read_bytes()
    for name in [*layers(), STYLES_TABLE]:
        assert_frame_equal(pyogrio.read_dataframe(parts, layer=name, fid_as_index=True),
                           pyogrio.read_dataframe(before, layer=name, fid_as_index=True), check_exact=True)
    read = pyogrio.read_dataframe(parts, layer="stands", fid_as_index=True)
    assert read.index.tolist() == list(range(1, N + 1))  # feature ids in the frame's order
    assert pyogrio.read_info(parts, layer="stands")["geometry_type"] == "MultiPolygon"
    assert read.geometry[2].equals(MultiPolygon([box(1, 0, 2, 1)]))  # a Polygon, promoted
    assert read.geometry[6] is None
    assert read["stock_m3"].isna().tolist() == [x % 6 == 0 for x in range(N)]
    assert pyogrio.read_info(parts, layer="wells")["geometry_type"] == "Point Z"


def test_wkb_array_is_shapelys_wkb_part_by_part(monkeypatch):
    monkeypatch.setattr(gpkglayer, "WKB_PART", 7)
    geometry = stands().geometry
    assert wkb_array(geometry).to_pylist() == list(shapely.to_wkb(np.asarray(geometry.array)))
    promoted = wkb_array(geometry, promote=True).to_pylist()
    assert shapely.from_wkb(promoted[1]).equals(MultiPolygon([box(1, 0, 2, 1)]))
    assert [promoted[k] is None for k in range(N)] == [k == 5 for k in range(N)]
    assert {shapely.from_wkb(b).geom_type for b in promoted if b is not None} == {"MultiPolygon"}


def test_layer_geometry_as_write_dataframe_settles_it():
    geometry = stands().geometry
    assert layer_geometry(geometry) == ("MultiPolygon", True)  # Polygons and MultiPolygons
    assert layer_geometry(geometry[1:3]) == ("Polygon", False)
    assert layer_geometry(gpd.GeoSeries([Point(0, 0, 1), box(0, 0, 1, 1)])) == ("Unknown", False)
    assert layer_geometry(gpd.GeoSeries([Point(0, 0, 1)])) == ("Point Z", False)
    assert layer_geometry(geometry, "Polygon") == ("Polygon", True)
    assert layer_geometry(geometry[1:3], "MultiPolygon") == ("MultiPolygon", True)


GEOMETRIES = {"polygons": [box(0, 0, 1, 1), box(1, 0, 2, 1)],
              "mixed": [box(0, 0, 1, 1), MultiPolygon([box(1, 0, 2, 1)])],
              "points_z": [Point(0, 0, 1), Point(1, 1, 2)]}


@pytest.mark.filterwarnings("ignore:A geometry of type", "ignore:Layer .* has been declared")  # GDAL's, in both
@pytest.mark.parametrize("declared", [None, "MultiPolygon", "Polygon", "GeometryCollection", "MultiPolygon Z"])
@pytest.mark.parametrize("kind", list(GEOMETRIES))
def test_a_declared_geometry_type_as_write_dataframe(tmp_path, monkeypatch, kind, declared):
    """tools/build_aoi.py declares MultiPolygon: GDAL then makes each Polygon (each Point) a multi one."""
    frame = {kind: gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=GEOMETRIES[kind], crs=4490)}
    arrow = write_gpkg(frame, tmp_path / "arrow.gpkg", geometry_type=declared)
    monkeypatch.setattr(vector, "arrow_writable", lambda frame: False)
    assert arrow.read_bytes() == write_gpkg(frame, tmp_path / "before.gpkg", geometry_type=declared).read_bytes()


@pytest.mark.parametrize("change", [
    lambda f: f.assign(note=pd.Series(["a"] * N, dtype=object)),  # Python objects: write_dataframe's conversions
    lambda f: f.assign(when=pd.Timestamp("2025-01-01")),
    lambda f: f.assign(FID=np.arange(N)),  # a GeoPackage's feature id column
    lambda f: f.set_crs(None, allow_override=True),
    lambda f: f.iloc[:0],
    lambda f: f.rename_geometry("geom"),
])
def test_other_frames_are_left_to_write_dataframe(change):
    assert not arrow_writable(change(stands()))


@pytest.mark.slow
def test_the_demo_survey_gpkg_rewritten_in_parts(demo_survey, tmp_path, monkeypatch):
    gpkg = demo_survey / "survey.gpkg"
    names = [name for name, _ in pyogrio.list_layers(gpkg) if name != STYLES_TABLE]
    read = {name: pyogrio.read_dataframe(gpkg, layer=name) for name in names}
    assert arrow_writable(read["stands"]) and len(read["stands"]) > 10_000
    monkeypatch.setattr(gpkglayer, "WKB_PART", 1000)
    parts = write_gpkg(read, tmp_path / "parts.gpkg")
    monkeypatch.setattr(vector, "arrow_writable", lambda frame: False)
    assert parts.read_bytes() == write_gpkg(read, tmp_path / "before.gpkg").read_bytes()
