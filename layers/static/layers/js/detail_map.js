// A detail page's small map: the object's geometry (json_script "object-geojson"), outlined and zoomed to.
// django-leaflet calls window.detailMapInit once the map exists (leaflet_map … callback=).
window.detailMapInit = function (map) {
  "use strict";
  var geojson = JSON.parse(document.getElementById("object-geojson").textContent);
  if (!geojson) return;
  var layer = L.geoJSON(geojson, {style: {color: "#d9480f", weight: 2, fillOpacity: 0.15}}).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, {padding: [20, 20], maxZoom: 18});
};
