// A detail page's small map: the object's geometry (json_script "object-geojson"), outlined and zoomed to.
// Leaflet (L) is a global of django-leaflet's classic scripts; django-leaflet announces the map with map:init.
const L = window.L;
const STYLE = { color: "#d9480f", weight: 2, fillOpacity: 0.15 };

window.addEventListener("map:init", (event) => {
  if (!event.detail || event.detail.id !== "detailmap") return;
  const map = event.detail.map;
  const geojson = JSON.parse(document.getElementById("object-geojson").textContent);
  if (!geojson) return;
  const layer = L.geoJSON(geojson, { style: STYLE }).addTo(map);
  const bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 18 });
});
