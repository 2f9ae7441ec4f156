"""The synthetic demo dataset: reproducible, labelled SYNTHETIC, calibrated, valid input."""


import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pyogrio
import pytest
import rasterio
import yaml

from sinkmap.config import PREVIOUS, VECTOR_LAYERS, load_config
from sinkmap.crs import AREA_CRS
from sinkmap.readers.tables import read_table
from sinkmap.readers.vector import read_layer


@pytest.fixture(scope="module")
def demo_inputs(demo_survey):
    return demo_survey / "inputs"


# That a second generation of the demo gives the same bytes, file for file, is checked by
# test_atomic_runs.py's kill -9 test: its last run (``--demo`` into the session's demo folder) regenerates
# the inputs and compares every file (inputs and outputs) with the session's run.


def test_every_file_says_synthetic(demo_inputs):
    with rasterio.open(demo_inputs / "landcover.tif") as src:
        assert src.tags()["SINKMAP_SYNTHETIC"] == "yes"
        assert "SYNTHETIC" in src.tags()["TIFFTAG_IMAGEDESCRIPTION"]
        assert src.crs.to_epsg() == 4490 and src.nodata == 0
    for name in ("stands.gpkg", "mangroves.gpkg", "mariculture.gpkg"):
        assert "SYNTHETIC" in pyogrio.read_info(demo_inputs / name)["layer_metadata"].get("DESCRIPTION", "") or \
            "SYNTHETIC" in str(pyogrio.read_info(demo_inputs / name))
    assert b"SYNTHETIC" in pq.read_schema(demo_inputs / "redlines.parquet").metadata[b"description"]
    for name in ("stands.gpkg", "mangroves.gpkg", "shelterbelts.shp", "mariculture.gpkg"):
        assert (gpd.read_file(demo_inputs / name)["synthetic"] == 1).all()
    assert yaml.safe_load((demo_inputs / "survey.yaml").read_text(encoding="utf-8"))["synthetic"] is True
    assert "SYNTHETIC" in (demo_inputs / "README.txt").read_text(encoding="utf-8")
    assert read_table(demo_inputs / "mariculture_yields.csv", "mariculture_yields")["备注"].str.contains(
        "SYNTHETIC").all()  # a CSV has no metadata: each row says it


def test_every_layer_passes_its_catalogue_spec(demo_inputs):
    config = load_config(demo_inputs / "survey.yaml")
    counts = {kind: len(read_layer(config.inputs[kind].path, kind)) for kind in VECTOR_LAYERS}
    assert counts["stands"] > 10_000 and counts["mangroves"] > 20 and counts["shelterbelts"] >= 6
    assert counts["redlines"] > 10 and counts["mariculture"] == 11  # tests/test_demo_mariculture.py checks them
    earlier = config.inputs[PREVIOUS]
    assert earlier.year == 2020 and len(read_layer(earlier.path, "stands")) == counts["stands"]
    scenario = read_table(config.inputs["scenario"].path, "scenario")
    assert set(scenario["activity"]) == {"afforestation", "harvest"}
    assert scenario["note"].str.contains("SYNTHETIC").all()


def test_land_cover_is_spatially_coherent_not_noise(demo_inputs):
    with rasterio.open(demo_inputs / "landcover.tif") as src:
        data = src.read(1)
    valid = (data[:, :-1] > 0) & (data[:, 1:] > 0)
    same = (data[:, :-1] == data[:, 1:])[valid].mean()
    # neighbouring pixels share their class far more often than the class shares would by chance
    assert same > 0.85


def test_calibrated_to_published_magnitudes(demo_inputs):
    stands = gpd.read_file(demo_inputs / "stands.gpkg")
    area_ha = stands.to_crs(AREA_CRS).area / 1e4
    volume = (area_ha * stands["volume_per_ha"])[stands["land_class"].isin(["arbor", "mangrove"])].sum()
    assert 6e6 < volume < 8e6  # a few million m³, below the 2025 target of 7.92 million m³
    assert set(stands["land_class"]) >= {"arbor", "bamboo", "sparse", "shrub_special", "unestablished"}
    assert ((stands["canopy_closure"] == 0.20) & (stands["land_class"] == "arbor")).any()  # edge cases present
    mangroves = gpd.read_file(demo_inputs / "mangroves.gpkg")
    assert set(mangroves["status"]) == {"existing", "planted", "restored"}
    assert np.all(mangroves.loc[mangroves["status"] != "existing", "year"].between(2021, 2025))
