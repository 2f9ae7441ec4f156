"""Every notebook's code cells run top to bottom on the demo data."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook, demo_survey, monkeypatch, tmp_path):
    monkeypatch.setenv("SINKMAP_DEMO_DIR", str(demo_survey / "inputs"))
    monkeypatch.chdir(tmp_path)
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{notebook.name}", "exec"), namespace)
    assert namespace["table"].shape[1] == 4  # four counties
    assert 0 < namespace["share"].mean() <= 100


def test_there_is_a_notebook():
    assert NOTEBOOKS
