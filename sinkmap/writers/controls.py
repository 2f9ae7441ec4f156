"""Small Leaflet controls written for sinkmap: fullscreen, search by name or id, distance measure.

folium's plugins for these load their code from CDNs, which a bureau PC without internet cannot
reach; these few lines are inlined in the page instead. Search reads feature properties as
text (``DOMParser``, which never runs scripts or loads images), so escaped values stay inert.
"""

from __future__ import annotations

import folium
from branca.element import MacroElement
from jinja2 import Template

CONTROLS_JS = r"""
(function (map) {
  function button(text, title, onClick) {
    var control = L.control({position: 'topleft'});
    control.onAdd = function () {
      var div = L.DomUtil.create('div', 'leaflet-bar sinkmap-control');
      var a = L.DomUtil.create('a', '', div);
      a.href = '#'; a.title = title; a.setAttribute('role', 'button'); a.textContent = text;
      L.DomEvent.on(a, 'click', function (e) { L.DomEvent.stop(e); onClick(a); });
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    return control.addTo(map);
  }

  button('\u26F6', '全屏 Fullscreen', function () {
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
  });

  var measuring = false, points = [], line = null, label = null;
  function km(latlngs) {
    var d = 0;
    for (var i = 1; i < latlngs.length; i++) { d += latlngs[i - 1].distanceTo(latlngs[i]); }
    return d / 1000;
  }
  function stopMeasure() {
    measuring = false; points = [];
    if (line) { map.removeLayer(line); line = null; }
    if (label) { map.removeLayer(label); label = null; }
    map.getContainer().style.cursor = '';
  }
  button('\u21A6', '测距 Measure distance (click points; click the button again to stop)', function () {
    if (measuring) { stopMeasure(); return; }
    measuring = true; map.getContainer().style.cursor = 'crosshair';
  });
  map.on('click', function (e) {
    if (!measuring) { return; }
    points.push(e.latlng);
    if (line) { line.setLatLngs(points); } else { line = L.polyline(points, {color: '#000', dashArray: '4 4'}).addTo(map); }
    var text = '\u2248 ' + km(points).toFixed(2) + ' km';
    if (label) { label.setLatLng(e.latlng).setContent(text); }
    else { label = L.tooltip({permanent: true, className: 'sinkmap-measure'}).setLatLng(e.latlng).setContent(text).addTo(map); }
  });

  var parser = new DOMParser();
  function asText(value) {
    return parser.parseFromString(String(value), 'text/html').documentElement.textContent;
  }
  var search = L.control({position: 'topleft'});
  search.onAdd = function () {
    var div = L.DomUtil.create('div', 'leaflet-bar sinkmap-search');
    var input = L.DomUtil.create('input', '', div);
    input.type = 'search'; input.placeholder = '搜索名称或编号 Search name / id';
    input.setAttribute('aria-label', input.placeholder);
    input.style.cssText = 'width:190px;padding:4px;border:0;font:12px sans-serif';
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.on(input, 'keydown', function (e) {
      if (e.key !== 'Enter') { return; }
      var query = input.value.trim().toLowerCase(), exact = null, partial = null;
      if (!query) { return; }
      map.eachLayer(function (layer) {
        if (exact || !layer.feature || !layer.feature.properties) { return; }
        var props = layer.feature.properties;
        for (var key in props) {
          var text = asText(props[key]).toLowerCase();
          if (text === query) { exact = layer; return; }
          if (!partial && text.indexOf(query) >= 0) { partial = layer; }
        }
      });
      var found = exact || partial;
      input.style.background = found ? '' : '#ffcdd2';
      if (!found) { return; }
      var centre = found.getBounds ? found.getBounds().getCenter() : found.getLatLng();
      if (found.getBounds) { map.fitBounds(found.getBounds(), {maxZoom: 15}); } else { map.setView(centre, 15); }
      found.fire('click', {latlng: centre}, true);  // propagates to the layer group, which opens its popup
    });
    return div;
  };
  search.addTo(map);
})({{ this._parent.get_name() }});
"""


class _Controls(MacroElement):
    """Renders CONTROLS_JS inside the map's own script, after the map object exists."""

    _template = Template("{% macro script(this, kwargs) %}" + CONTROLS_JS + "{% endmacro %}")


def add_controls(fmap: folium.Map) -> None:
    """Add the fullscreen, measure and search controls to ``fmap`` (inline JavaScript, no CDN)."""
    fmap.add_child(_Controls())
