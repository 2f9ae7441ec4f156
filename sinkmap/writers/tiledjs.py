"""The page side of tiled layers (``tiles.py``): a Leaflet layer that draws a grid summary below the
layer's show zoom and, from it on, the features of the tiles in view, read from tile scripts beside
the page.

Why scripts: on file:// Chromium refuses fetch/XHR of sibling files but runs ``<script src>`` of
them, so each tile is a script calling ``sinkmapTile(key, x, y, document)``. Only tiles listed in
the page's index are asked for (no 404s); tiles that leave the view are dropped, and a feature in
several tiles is drawn once (counted by feature number). Values are already HTML-escaped text.
"""

TILED_JS = r"""
window.sinkmapTiled = window.sinkmapTiled || {};
window.sinkmapTile = function (key, x, y, doc) {
  var layer = window.sinkmapTiled[key];
  if (layer) { layer._loaded(x, y, doc); }
};
function sinkmapTiledLayer(spec) {
  var table = function (props) {
    return '<table>' + spec.labels.map(function (label, k) {  // the popup fields come first; _fill has no label
      var value = props[spec.fields[k]];
      return '<tr><th>' + label + '</th><td>' + (value === null ? '' : value) + '</td></tr>';
    }).join('') + '</table>';
  };
  var Layer = L.Layer.extend({
    initialize: function () {
      this._spec = spec; this._tiles = {}; this._features = {}; this._count = 0; this._exists = {};
      this._cellsDrawn = 0; this._pending = 0;
      for (var i = 0, x = 0, y = 0; i < spec.tiles.length; i += 2) {
        x += spec.tiles[i]; y += spec.tiles[i + 1]; this._exists[x + '/' + y] = true;
      }
      this._levels = {};
      spec.summary.levels.forEach(function (level) {
        var x = 0, y = 0;
        level.cx = level.x.map(function (d) { return (x += d); });
        level.cy = level.y.map(function (d) { return (y += d); });
        this._levels[level.z] = level;
      }, this);
      window.sinkmapTiled[spec.key] = this;
    },
    onAdd: function (map) {
      this._renderer = sinkmapCanvas();  // webmap.CANVAS_JS: over the choropleth, which keeps to the back
      this._cells = L.layerGroup().addTo(map);
      this._detail = L.layerGroup().addTo(map);
      var legend = this._legend = L.control({position: 'bottomright'});
      legend.onAdd = function () { var div = L.DomUtil.create('div'); div.innerHTML = spec.summary.legend; return div; };
      legend.addTo(map);
      map.on('moveend', this._update, this);
      this._update();
    },
    onRemove: function (map) {
      map.off('moveend', this._update, this);
      this._drop({});
      this._cells.clearLayers(); this._cellsDrawn = 0; this._cellView = null;
      map.removeLayer(this._cells); map.removeLayer(this._detail); this._legend.remove();
    },
    idle: function () { return this._pending === 0; },
    featureCount: function () { return this._count; },
    _update: function () {
      var map = this._map, zoom = map.getZoom(), bounds = map.getBounds();
      var view = function (z) {
        var nw = map.project(bounds.getNorthWest(), z).divideBy(256).floor();
        var se = map.project(bounds.getSouthEast(), z).divideBy(256).floor();
        return [nw.x, nw.y, se.x, se.y];
      };
      var legend = this._legend.getContainer();
      if (zoom < spec.showZoom) {
        legend.style.display = '';
        this._drop({});
        var z = Math.min(Math.max(zoom + spec.summary.cellZoom, spec.summary.levels[0].z), spec.summary.levels[spec.summary.levels.length - 1].z);
        this._drawCells(this._levels[z], view(z));
        return;
      }
      legend.style.display = 'none';
      this._cells.clearLayers(); this._cellsDrawn = 0; this._cellView = null;
      var t = view(spec.tileZoom), wanted = {};
      for (var x = t[0]; x <= t[2]; x++) {
        for (var y = t[1]; y <= t[3]; y++) {
          var key = x + '/' + y;
          if (!this._exists[key]) { continue; }
          wanted[key] = true;
          if (!this._tiles[key]) { this._request(x, y); }
        }
      }
      this._drop(wanted);
    },
    _drawCells: function (level, v) {
      var id = level.z + ':' + v.join(',');
      if (this._cellView === id) { return; }
      this._cellView = id;
      this._cells.clearLayers();
      var map = this._map, drawn = 0, s = spec.summary;
      for (var i = 0; i < level.cx.length; i++) {
        var x = level.cx[i], y = level.cy[i];
        if (x < v[0] || x > v[2] || y < v[1] || y > v[3]) { continue; }
        var value = level.v[i], k = 0;
        while (k < s.colours.length - 1 && value >= s.breaks[k + 1]) { k++; }
        var cell = L.rectangle([map.unproject([x * 256, y * 256], level.z), map.unproject([(x + 1) * 256, (y + 1) * 256], level.z)],
          {renderer: this._renderer, color: '#555', weight: 0.3, fillColor: s.colours[k], fillOpacity: 0.7});
        cell.bindTooltip(s.tooltip.replace('{n}', level.n[i].toLocaleString('en-US'))
          .replace('{a}', sinkmapNumber(level.a[i])).replace('{v}', value.toFixed(1)), {sticky: true});
        this._cells.addLayer(cell);
        drawn++;
      }
      this._cellsDrawn = drawn;
    },
    _request: function (x, y) {
      var layer = this, script = document.createElement('script'), key = x + '/' + y;
      this._tiles[key] = {ids: null, script: script};
      this._pending++;
      script.onload = script.onerror = function () {
        layer._pending--;
        if (script.parentNode) { script.parentNode.removeChild(script); }
      };
      script.src = spec.folder + '/' + spec.key + '/' + spec.tileZoom + '/' + x + '/' + y + '.js';
      document.head.appendChild(script);
    },
    _drop: function (wanted) {
      for (var key in this._tiles) {
        if (wanted[key]) { continue; }
        var ids = this._tiles[key].ids || [];
        for (var i = 0; i < ids.length; i++) {
          var f = this._features[ids[i]];
          if (--f.refs === 0) { this._detail.removeLayer(f.layer); delete this._features[ids[i]]; this._count--; }
        }
        delete this._tiles[key];
      }
    },
    _loaded: function (x, y, doc) {
      var tile = this._tiles[x + '/' + y];
      if (!tile || tile.ids || !this._map) { return; }  // left the view meanwhile, or a second copy
      var step = spec.step, x0 = spec.origin[0] + doc.o[0] * step, y0 = spec.origin[1] + doc.o[1] * step;
      var c = doc.c, ci = 0, pi = 0, ri = 0, id = 0, ids = tile.ids = [];
      function ring(n) {
        var out = new Array(n), gx = c[ci], gy = c[ci + 1];
        out[0] = [y0 + gy * step, x0 + gx * step]; ci += 2;
        for (var k = 1; k < n; k++) { gx += c[ci]; gy += c[ci + 1]; ci += 2; out[k] = [y0 + gy * step, x0 + gx * step]; }
        return out;
      }
      for (var f = 0; f < doc.i.length; f++) {
        id += doc.i[f];
        var parts = [];
        for (var p = doc.p[f]; p > 0; p--) {
          var rings = [];
          for (var r = doc.r[pi++]; r > 0; r--) { rings.push(ring(doc.v[ri++])); }
          parts.push(rings);
        }
        ids.push(id);
        if (this._features[id]) { this._features[id].refs++; continue; }
        var props = {};
        for (var k = 0; k < spec.fields.length; k++) {
          var dict = spec.dicts[k], value = doc.a[k][f];
          props[spec.fields[k]] = dict ? dict[value] : value;
        }
        var layer = this._shape(parts, props);
        layer.feature = {type: 'Feature', id: String(id), properties: props};
        if (spec.popup) {
          layer.bindTooltip(function (l) { return table(l.feature.properties); }, {sticky: true});
          layer.bindPopup(function (l) { return table(l.feature.properties); }, {maxWidth: 360});
        }
        this._detail.addLayer(layer);
        this._features[id] = {layer: layer, refs: 1};
        this._count++;
      }
    },
    _shape: function (parts, props) {
      var style = L.extend({renderer: this._renderer}, spec.style);
      if (spec.fill >= 0 && props._fill) { style.fillColor = props._fill; }
      if (spec.kind >= 4) { return L.polygon(parts.length === 1 ? parts[0] : parts, style); }
      if (spec.kind >= 2) { return L.polyline(parts[0].length === 1 ? parts[0][0] : parts[0], style); }
      var points = parts[0][0].map(function (ll) { return L.circleMarker(ll, L.extend({radius: spec.style.radius || 5}, style)); });
      return points.length === 1 ? points[0] : L.featureGroup(points);
    }
  });
  return new Layer();
}
function sinkmapNumber(x) {
  var digits = Math.abs(x) < 100 ? 2 : 0;
  return x.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits});
}
"""
