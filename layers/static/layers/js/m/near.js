// "Near me": the phone's position with its accuracy, a map centred on it with the user's street (or community),
// the nearest estates and buildings in the user's scope, and search by name or address.
import { el, textLines } from "../dom.js";
import { fmtInt } from "../format.js";
import { fetchNearby, firstNearby } from "./start.js";

const STATE_COLOURS = { none: "#2e7d32", reported: "#e65100", verified: "#b3261e", under_caretaker: "#6a1b9a",
                        resolved: "#1565c0" };

// Leaflet (classic scripts from django-leaflet and npm) is not on the first screen's path: the lists come first, the
// map is loaded once the first list is drawn (docs/MOBILE.md "Figures": usable < 5 s on a slow phone).
function loadScript(src) {
  return new Promise((resolve, reject) => {
    document.head.append(el("script", { src, onload: resolve, onerror: reject }));
  });
}

function loadMapLibrary(urls) {
  document.head.append(el("link", { rel: "stylesheet", href: urls.leafletCss }));
  return loadScript(urls.leaflet).then(() => loadScript(urls.vectorGrid));
}

export function createNear(config, { onPick }) {
  const s = config.strings;
  const positionLine = document.getElementById("m-position");
  let map = null;
  let mapLoading = null;
  let outlines = null;
  let lastOutlines = [];
  let me = null;
  let meCircle = null;
  let position = null;
  let lastCentre = null;
  let pendingView = null;
  const area = config.area;

  function addTiles() {
    const styles = {
      roads: { weight: 2, color: "#9e9e9e" },
      estates: { weight: 1, color: "#607d8b", fill: true, fillOpacity: 0.08 },
      buildings: { weight: 1, color: "#455a64", fill: true, fillOpacity: 0.2 },
      admin_street: { weight: 2, color: "#b3261e", dashArray: "4 4" },
    };
    for (const layer of config.tileLayers) {
      L.vectorGrid.protobuf(config.urls.tile.replace("{layer}", layer), {
        vectorTileLayerStyles: { [layer]: styles[layer] || {} }, interactive: false, minZoom: 14, maxNativeZoom: 18,
      }).addTo(map);
    }
  }

  /** The user's position and its accuracy on the map (once both exist); the first fix centres the map. */
  function drawMe() {
    if (!map || !position) return;
    const latlng = [position.lat, position.lon];
    if (!me) {
      me = L.circleMarker(latlng, { radius: 7, color: "#fff", weight: 2, fillColor: "#1a73e8", fillOpacity: 1 })
        .addTo(map);
      meCircle = L.circle(latlng, { radius: position.accuracy, color: "#1a73e8", weight: 1, fillOpacity: 0.1 })
        .addTo(map);
      if (!pendingView) map.setView(latlng, 17);
    } else {
      me.setLatLng(latlng);
      meCircle.setLatLng(latlng).setRadius(position.accuracy);
    }
  }

  /** The map, its street outline, tiles, the user's position and the tappable buildings; loaded once. */
  function loadMap() {
    if (mapLoading) return mapLoading;
    mapLoading = loadMapLibrary(config.urls).then(() => {
      map = L.map("m-map", { zoomControl: false, attributionControl: false, maxZoom: 19 });
      L.control.zoom({ position: "bottomright" }).addTo(map);
      if (area && area.outline) {
        const areaLayer = L.geoJSON(area.outline, { style: { color: "#b3261e", weight: 2, fill: false }, interactive: false })
          .addTo(map);
        map.fitBounds(areaLayer.getBounds());
      } else {
        map.setView([39.9, 116.4], 14);
      }
      outlines = L.layerGroup().addTo(map);
      drawMe();
      if (pendingView) map.setView(pendingView, 17);
      drawOutlines(lastOutlines);
      addTiles();
    }).catch(() => {
      mapLoading = null; // no signal for the library yet: tried again with the next list
    });
    return mapLoading;
  }
  setTimeout(loadMap, 8000); // at the latest, even when no list comes

  function pickItem(building) {
    onPick({ id: building.id, name: building.name || `${building.estate} ${building.label}`,
             centroid: building.centroid });
  }

  function drawOutlines(list) {
    lastOutlines = list;
    if (!outlines) return;
    outlines.clearLayers();
    for (const b of list) {
      const layer = L.geoJSON(JSON.parse(b.outline), {
        style: { color: STATE_COLOURS[b.abandonment] || "#455a64", weight: 2, fillOpacity: 0.25,
                 className: `m-building m-building-${b.id}` },
      });
      layer.bindTooltip(textLines(b.name));
      layer.on("click", () => pickItem(b));
      outlines.addLayer(layer);
    }
  }

  function listItem(text, sub, onClick) {
    return el("li", {}, el("button", { type: "button", class: "m-item", onclick: onClick },
                           el("span", { text }), el("span", { class: "m-sub", text: sub })));
  }

  function showNearby(data) {
    if (!data) {
      document.getElementById("m-buildings").replaceChildren(el("li", { class: "m-hint", text: s.nearbyOffline }));
      loadMap();
      return;
    }
    drawOutlines(data.outlines);
    document.getElementById("m-buildings").replaceChildren(...data.buildings.map((b) =>
      listItem(`${b.estate} ${b.label}`, `${fmtInt(b.distance_m)} m · ${b.abandonment_label}`, () => pickItem(b)))
    );
    document.getElementById("m-estates").replaceChildren(...data.estates.map((e) =>
      listItem(e.name, `${fmtInt(e.distance_m)} m · ${e.address || ""}`, () => {})));
    setTimeout(loadMap, 0); // after the list is painted
  }

  async function loadNearby(lon, lat) {
    lastCentre = [lon, lat];
    let data = null;
    try {
      data = await fetchNearby(lon, lat);
    } catch (error) {
      data = null;
    }
    showNearby(data);
  }

  function located(fix) {
    position = { lon: fix.coords.longitude, lat: fix.coords.latitude, accuracy: fix.coords.accuracy,
                 at: new Date(fix.timestamp || Date.now()).toISOString() };
    positionLine.textContent = s.position.replace("{accuracy}", fmtInt(Math.round(position.accuracy)));
    drawMe();
    // Reload the lists when the phone moved more than ~30 m.
    if (!lastCentre || Math.hypot(lastCentre[0] - position.lon, lastCentre[1] - position.lat) > 0.0003) {
      loadNearby(position.lon, position.lat);
    }
  }

  function failed(error) {
    positionLine.textContent = s.noPosition.replace("{reason}", error.message || String(error.code));
    if (area && area.centre && !lastCentre) loadNearby(area.centre[0], area.centre[1]);
  }

  // The first position and lists were asked for by start.js while this module loaded; then the position is followed.
  firstNearby.then((first) => {
    if (first.at && !lastCentre) {
      lastCentre = first.at;
      showNearby(first.data);
    }
    if (first.fix) located(first.fix);
    else failed(first.error);
    if (navigator.geolocation) {
      navigator.geolocation.watchPosition(located, failed, { enableHighAccuracy: true, maximumAge: 10000,
                                                             timeout: 20000 });
    }
  });

  document.getElementById("m-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = document.getElementById("m-search-q").value.trim();
    const list = document.getElementById("m-search-results");
    if (!q) return list.replaceChildren();
    try {
      const [found, matched] = await Promise.all([
        fetch(`${config.urls.search}?q=${encodeURIComponent(q)}`, { credentials: "same-origin" }).then((r) => r.json()),
        fetch(`${config.urls.addressMatch}?q=${encodeURIComponent(q)}`, { credentials: "same-origin" })
          .then((r) => (r.ok ? r.json() : null)),
      ]);
      const results = found.results || [];
      const names = new Set(results.map((r) => r.name));
      const go = (r) => () => {
        pendingView = [r.centroid[1], r.centroid[0]];
        if (map) map.setView(pendingView, 17);
        loadNearby(r.centroid[0], r.centroid[1]);
        list.replaceChildren();
      };
      const rows = results.map((r) => listItem(r.name, r.address || r.community || "", go(r)));
      if (matched && matched.estate && !names.has(matched.estate.name)) {
        rows.push(listItem(matched.estate.name, `${s.addressMatch} ${Math.round(matched.confidence * 100)}%`,
          async () => {
            const again = await fetch(`${config.urls.search}?q=${encodeURIComponent(matched.estate.name)}`,
                                      { credentials: "same-origin" }).then((r) => r.json());
            if (again.results && again.results.length) go(again.results[0])();
          }));
      }
      list.replaceChildren(...(rows.length ? rows : [el("li", { class: "m-hint", text: s.nothingFound })]));
    } catch (error) {
      list.replaceChildren(el("li", { class: "m-hint", text: s.noNetwork }));
    }
  });

  return {
    resize: () => map && map.invalidateSize(),
    position: () => position,
    refresh: () => lastCentre && loadNearby(lastCentre[0], lastCentre[1]),
  };
}
