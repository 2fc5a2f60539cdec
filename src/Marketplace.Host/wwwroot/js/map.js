// Draws the page's map with Leaflet (served from /lib/leaflet, copied from npm by the build). The markers come from the
// map element's data-markers; tiles only when data-tiles names a tile server, else a plain background, so the map works
// without any outside host. Without script the page's list shows the same lots.
(function () {
    var element = document.getElementById('map');
    if (!element || !window.L) { return; }
    var markers = JSON.parse(element.getAttribute('data-markers') || '[]');
    var map = L.map(element, { scrollWheelZoom: false, attributionControl: true });
    var tiles = element.getAttribute('data-tiles');
    if (tiles) {
        L.tileLayer(tiles, { maxZoom: 18, attribution: element.getAttribute('data-attribution') || '' }).addTo(map);
    }
    var points = [];
    markers.forEach(function (m) {
        var marker = L.circleMarker([m.lat, m.lon], { radius: 8, color: '#0b4fa8', weight: 2, fillColor: '#3d7ddb', fillOpacity: 0.8 }).addTo(map);
        // Leaflet puts a string popup or tooltip into the page as HTML: a seller's title goes in as a text node, always.
        var popup = document.createElement(m.url ? 'a' : 'span');
        popup.textContent = m.title;
        if (m.url) { popup.href = m.url; }
        marker.bindPopup(popup);
        var tooltip = document.createElement('span');
        tooltip.textContent = m.title;
        marker.bindTooltip(tooltip);
        points.push([m.lat, m.lon]);
    });
    if (points.length === 1) { map.setView(points[0], 11); }
    else if (points.length > 1) { map.fitBounds(points, { padding: [24, 24], maxZoom: 12 }); }
    else { map.setView([60.3, 24.9], 8); }
    element.setAttribute('data-ready', String(points.length));
})();
