"""Every notebook's code cells run top to bottom on the demo data."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def zonal_results(ns: dict) -> None:
    assert ns["table"].shape[1] == 4  # four counties
    assert 0 < ns["share"].mean() <= 100


def blue_results(ns: dict) -> None:
    assert set(ns["stock"].index) == {"441502", "441521", "441581"}  # the coastal counties; 陆河县 is inland
    assert (ns["stock"]["low"] < ns["stock"]["value"]).all()
    assert 0 < ns["done_mu"] < 7050  # the synthetic planting falls short of the target
    assert set(ns["change"]["flag"]) == {"", "面积减少 area reduced", "边界调整 boundary changed"}


RESULTS = {"zonal_statistics.ipynb": zonal_results, "blue_carbon_and_redlines.ipynb": blue_results}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook, demo_survey, monkeypatch, tmp_path):
    monkeypatch.setenv("SINKMAP_DEMO_DIR", str(demo_survey / "inputs"))
    monkeypatch.chdir(tmp_path)
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{notebook.name}", "exec"), namespace)
    RESULTS[notebook.name](namespace)  # every notebook has its own checks


def test_there_is_a_notebook():
    assert NOTEBOOKS
