// The printable report's map: the area's children (districts of a city, streets of a district, communities of a
// street) coloured by service rate (by estates), no basemap.
// Leaflet (L) is a global of django-leaflet's classic scripts; django-leaflet announces the map with map:init.
import { getJSON } from "./api.js";
import { el, textLines } from "./dom.js";
import { fmtRate, numberFormat } from "./format.js";

const L = window.L;
const config = JSON.parse(document.getElementById("report-map-config").textContent);
const report = document.getElementById("report");
const BREAKS = [0.2, 0.4, 0.6, 0.8];
const COLOURS = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
const NO_DATA = "#e0e0e0";

// Bound here, not in an onclick attribute: the Content-Security-Policy allows no inline script.
document.querySelectorAll("[data-action=print]").forEach((b) => b.addEventListener("click", () => window.print()));

/** config.rates are percentages (0..100) with one decimal, or null for an area without old estates; keyed by the
 * ids of the report's areas, so the areas of the level elsewhere in the city are left off the map. */
function colour(pct) {
  if (pct === null || pct === undefined) return NO_DATA;
  const r = pct / 100;
  let i = 0;
  while (i < BREAKS.length && r >= BREAKS[i]) i += 1;
  return COLOURS[i];
}

const swatch = (background, label) => el("span", {}, el("i", { style: { background } }), label);

function legend() {
  const pct = numberFormat({ style: "percent" }).format;
  const labels = [`< ${pct(BREAKS[0])}`, ...BREAKS.slice(1).map((b, i) => `${pct(BREAKS[i])}–${pct(b)}`),
    `≥ ${pct(BREAKS[BREAKS.length - 1])}`];
  document.getElementById("report-legend").replaceChildren(
    ...labels.map((label, i) => swatch(COLOURS[i], label)), swatch(NO_DATA, config.noData));
}

window.addEventListener("map:init", (event) => {
  if (!event.detail || event.detail.id !== "report-map") return;
  const map = event.detail.map;
  if (map.attributionControl) map.attributionControl.remove();
  if (map.zoomControl) map.zoomControl.remove();
  map.options.zoomSnap = 0.1;
  for (const handler of ["dragging", "scrollWheelZoom", "doubleClickZoom", "boxZoom", "keyboard", "touchZoom"]) {
    if (map[handler]) map[handler].disable();
  }
  legend();
  getJSON(config.geojson)
    .then((geojson) => {
      const rateOf = (f) => config.rates[f.properties.id];
      const layer = L.geoJSON(geojson, {
        filter: (f) => Object.hasOwn(config.rates, String(f.properties.id)),
        style: (f) => ({ color: "#444", weight: 1.2, fillOpacity: 0.9, fillColor: colour(rateOf(f)) }),
        // Street names are typed or imported by planners: text nodes, never HTML (docs/SECURITY.md).
        onEachFeature: (f, l) => l.bindTooltip(
          textLines(f.properties.name || "", rateOf(f) == null ? "–" : fmtRate(rateOf(f) / 100)),
          { permanent: true, direction: "center", className: "area-label" }),
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [6, 6], animate: false });
      report.dataset.mapReady = "true";
    })
    .catch(() => { report.dataset.mapReady = "error"; });
});
