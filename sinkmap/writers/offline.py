"""Make a folium map self-contained: Leaflet's JS and CSS inline, no CDN at all.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and plugins from CDNs; a bureau PC
without internet would show a blank page. sinkmap's maps use only Leaflet itself, which
comes from the ``django-js-lib-leaflet`` wheel (the official Leaflet 1.9.4 dist, BSD-2-Clause;
Django is not needed: we only read its static files).
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib.resources import files

import folium
from branca.element import Element

LEAFLET_PACKAGE = "js_lib_leaflet"
LEAFLET_DIR = "static/js_lib_leaflet"
LEAFLET_NOTICE = "Leaflet 1.9.4 © 2010-2023 Vladimir Agafonkin, © 2010-2011 CloudMade (BSD-2-Clause)"


@cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's CSS (images inlined as data URIs) and JS, as text."""
    root = files(LEAFLET_PACKAGE).joinpath(LEAFLET_DIR)
    css = root.joinpath("leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = root.joinpath(match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    js = root.joinpath("leaflet.js").read_text(encoding="utf-8")
    js = js.replace("//# sourceMappingURL=leaflet.js.map", "")  # the map file is not shipped beside the page
    return css, js


def _clear_cdn_links(element) -> None:
    """Drop the CDN <script>/<link> lists of ``element`` and all its children."""
    if hasattr(element, "default_js"):
        element.default_js = []
    if hasattr(element, "default_css"):
        element.default_css = []
    for child in element._children.values():
        _clear_cdn_links(child)


def make_offline(fmap: folium.Map) -> folium.Map:
    """Inline Leaflet into ``fmap``'s page and remove every CDN link; returns ``fmap``."""
    _clear_cdn_links(fmap)
    css, js = leaflet_assets()
    header = fmap.get_root().header
    header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline", index=0)
    header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline", index=1)
    return fmap
