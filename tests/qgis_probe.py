"""Open GeoPackage layers in QGIS, as a user opening survey.gpkg does, and print what QGIS made of them as JSON.

Run by Debian's python3 with python3-qgis (``make test`` installs it), not by sinkmap's venv:
``/usr/bin/python3 tests/qgis_probe.py survey.gpkg units stands …``. For each layer: whether it is valid,
its CRS and feature count, the renderer its default style (``layer_styles``) gave it, the classified
attribute, each symbol's fill, outline and width, the field aliases, and the fill QGIS draws each
feature with (by feature id; null when it draws none).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsRenderContext,
    QgsVectorLayer,
)


def symbol(sym) -> dict:
    """A fill symbol's first layer: class, fill (#rrggbb and alpha 0–255), outline, width and its unit."""
    layer = sym.symbolLayer(0)
    return {"class": layer.layerType(), "fill": layer.color().name(), "alpha": layer.color().alpha(),
            "outline": layer.strokeColor().name(), "width": layer.strokeWidth(),
            "unit": int(layer.strokeWidthUnit())}


def probe(path: str, name: str) -> dict:
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    renderer = layer.renderer()
    found = {"valid": layer.isValid(), "crs": layer.crs().authid(), "features": layer.featureCount(),
             "renderer": renderer.type(), "aliases": {f.name(): layer.attributeAlias(i)
                                                      for i, f in enumerate(layer.fields()) if layer.attributeAlias(i)}}
    if renderer.type() == "singleSymbol":
        found["symbols"] = [symbol(renderer.symbol())]
    elif renderer.type() == "categorizedSymbol":
        found["attr"] = renderer.classAttribute()
        found["classes"] = [{"value": c.value(), "label": c.label()} for c in renderer.categories()]
        found["symbols"] = [symbol(c.symbol()) for c in renderer.categories()]
    elif renderer.type() == "graduatedSymbol":
        found["attr"] = renderer.classAttribute()
        found["classes"] = [{"lower": r.lowerValue(), "upper": r.upperValue(), "label": r.label()}
                            for r in renderer.ranges()]
        found["symbols"] = [symbol(r.symbol()) for r in renderer.ranges()]
    context = QgsRenderContext()
    context.setExpressionContext(QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer)))
    renderer.startRender(context, layer.fields())
    drawn = {}
    for feature in layer.getFeatures():
        context.expressionContext().setFeature(feature)
        chosen = renderer.symbolForFeature(feature, context)
        drawn[str(feature.id())] = chosen.color().name() if chosen is not None else None
    renderer.stopRender(context)
    found["drawn"] = drawn
    return found


def main(path: str, names: list[str]) -> None:
    app = QgsApplication([], False)
    app.initQgis()
    try:
        print(json.dumps({"qgis": Qgis.QGIS_VERSION, "layers": {name: probe(path, name) for name in names}},
                         ensure_ascii=False))
    finally:
        app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
