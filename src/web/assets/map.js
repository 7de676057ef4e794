// Draws the Leaflet maps of the page from their JSON data (<script type="application/json">).
// Without a tile URL the map shows markers only and requests nothing from a tile server.
(function () {
  'use strict';
  if (!window.L) return;
  var L = window.L;

  function popupContent(m) {
    var box = document.createElement('div');
    var title = document.createElement('p');
    title.className = 'pl-popup-title';
    title.textContent = m.name;
    box.appendChild(title);
    if (m.detail) {
      var detail = document.createElement('p');
      detail.className = 'pl-popup-detail';
      detail.textContent = m.detail;
      box.appendChild(detail);
    }
    if (m.href) {
      var link = document.createElement('a');
      link.href = m.href;
      link.textContent = 'Voir la fiche';
      link.setAttribute('aria-label', 'Voir la fiche de ' + m.name);
      box.appendChild(link);
    }
    return box;
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute('data-map'));
    if (!source) return;
    var data;
    try {
      data = JSON.parse(source.textContent || '{}');
    } catch (e) {
      return;
    }
    el.hidden = false;
    var map = L.map(el, { zoomControl: false, attributionControl: false, scrollWheelZoom: false, zoomSnap: 0.5 });
    L.control.zoom({ zoomInTitle: 'Zoomer', zoomOutTitle: 'Dézoomer' }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    if (data.tileUrl) {
      L.control.attribution({ prefix: false }).addTo(map);
      L.tileLayer(data.tileUrl, { attribution: data.attribution || '', maxZoom: 19 }).addTo(map);
    } else {
      el.classList.add('pl-map--no-tiles');
    }
    var bounds = [];
    if (data.circle) {
      var c = data.circle;
      if (c.radiusKm > 0) {
        L.circle([c.lat, c.lon], { radius: c.radiusKm * 1000, color: '#000091', weight: 2, fillOpacity: 0.05, interactive: false }).addTo(map);
        var r = L.latLng(c.lat, c.lon).toBounds(c.radiusKm * 2000);
        bounds.push(r.getNorthWest(), r.getSouthEast());
      }
      L.circleMarker([c.lat, c.lon], { radius: 5, color: '#000091', fillColor: '#000091', fillOpacity: 1, interactive: false }).addTo(map);
      bounds.push(L.latLng(c.lat, c.lon));
    }
    (data.markers || []).forEach(function (m) {
      var marker = L.marker([m.lat, m.lon], { alt: m.name, title: m.name, riseOnHover: true });
      marker.bindPopup(popupContent(m));
      marker.addTo(map);
      bounds.push(L.latLng(m.lat, m.lon));
    });
    if (bounds.length > 1) map.fitBounds(L.latLngBounds(bounds), { padding: [30, 30], maxZoom: 13 });
    else if (bounds.length === 1) map.setView(bounds[0], data.zoom || 12);
    else map.setView([50.1, 2.8], 7);
    el.setAttribute('data-map-ready', 'true');
  }

  function init() {
    var maps = document.querySelectorAll('[data-map]');
    for (var i = 0; i < maps.length; i++) draw(maps[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
