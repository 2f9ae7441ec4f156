"""The layers of docs/architecture.md import only downwards: a module never imports a layer above it."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sinkmap"
# layer → the sinkmap subpackages it must not import (the layers above it in docs/architecture.md)
ABOVE = {
    "specs": ("readers", "indicators", "zonal", "survey", "pipelines", "writers", "cli"),
    "readers": ("indicators", "survey", "pipelines", "writers", "cli"),
    "indicators": ("survey", "pipelines", "writers", "cli"),
    "zonal": ("survey", "pipelines", "writers", "cli"),
    "survey": ("pipelines", "cli"),
    "writers": ("pipelines", "cli"),
    "pipelines": ("cli",),
}
SPECS = ("catalogue.py", "validation.py", "columns.py", "crs.py", "units.py", "aoi.py", "errors.py", "resources.py", "mappings.py")


def modules(layer: str) -> list[Path]:
    if layer == "specs":
        return [PACKAGE / name for name in SPECS]
    return sorted((PACKAGE / layer).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every sinkmap module ``path`` imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sinkmap"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("sinkmap"))
    return names


@pytest.mark.parametrize("layer", list(ABOVE))
def test_imports_go_down_only(layer):
    found = {f"{path.relative_to(PACKAGE)} imports {name}" for path in modules(layer) for name in imported(path)
             if any(name == f"sinkmap.{up}" or name.startswith(f"sinkmap.{up}.") for up in ABOVE[layer])}
    assert not found, sorted(found)
