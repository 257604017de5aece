// The printable report's map: the district's streets coloured by service rate (by estates), no basemap.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("report-map-config").textContent);
  // Bound here, not in an onclick attribute: the Content-Security-Policy allows no inline script.
  document.querySelectorAll("[data-action=print]").forEach((b) => b.addEventListener("click", () => window.print()));
  const BREAKS = [0.2, 0.4, 0.6, 0.8];
  const COLOURS = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
  const colour = (pct) => {
    if (pct === null || pct === undefined) return "#e0e0e0";
    const r = pct / 100;
    let i = 0;
    while (i < BREAKS.length && r >= BREAKS[i]) i += 1;
    return COLOURS[i];
  };

  // Classic script (no import of dom.js): every text below is a text node, never HTML, as street names are typed
  // or imported by planners.
  function swatch(background, label) {
    const item = document.createElement("span");
    const mark = document.createElement("i");
    mark.style.background = background;
    item.append(mark, document.createTextNode(label));
    return item;
  }

  function tooltip(name, rate) {
    const box = document.createElement("div");
    box.append(document.createTextNode(name || ""), document.createElement("br"),
      document.createTextNode(rate === null || rate === undefined ? "–" : rate + "%"));
    return box;
  }

  function legend() {
    const labels = ["< 20%", "20–40%", "40–60%", "60–80%", "≥ 80%"];
    document.getElementById("report-legend").replaceChildren(
      ...labels.map((l, i) => swatch(COLOURS[i], l)), swatch("#e0e0e0", config.noData));
  }

  window.addEventListener("map:init", (event) => {
    if (!event.detail || event.detail.id !== "report-map") return;
    const map = event.detail.map;
    map.attributionControl && map.attributionControl.remove();
    map.zoomControl && map.zoomControl.remove();
    map.options.zoomSnap = 0.1;
    ["dragging", "scrollWheelZoom", "doubleClickZoom", "boxZoom", "keyboard", "touchZoom"].forEach((h) => map[h] && map[h].disable());
    legend();
    fetch(config.geojson, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((geojson) => {
        const layer = L.geoJSON(geojson, {
          style: (f) => ({ color: "#444", weight: 1.2, fillOpacity: 0.9, fillColor: colour(config.rates[f.properties.id]) }),
          onEachFeature: (f, l) => {
            l.bindTooltip(tooltip(f.properties.name, config.rates[f.properties.id]),
              { permanent: true, direction: "center", className: "area-label" });
          },
        }).addTo(map);
        map.fitBounds(layer.getBounds(), { padding: [6, 6], animate: false });
        document.getElementById("report").dataset.mapReady = "true";
      })
      .catch(() => { document.getElementById("report").dataset.mapReady = "error"; });
  });
})();
