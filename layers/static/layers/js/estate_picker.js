// A small map on which a person taps an estate to pick it (docs/COMPLAINTS.md "Intake": the "to confirm" list and
// the entry form). The estates come from the vector tiles /tiles/estates/… and the street outlines from
// /api/admin-areas.geojson; no basemap is needed. The tiles give an estate outside the user's jurisdiction no
// status (docs/SECURITY.md "Read scope"): it is drawn grey and cannot be picked (the server refuses it anyway).
// Leaflet (L) and Leaflet.VectorGrid are the vendored classic scripts of the page.
import "./compat.js";
import { el, fillTemplate } from "./dom.js";
import { fetchFeature } from "./popup.js";

const L = window.L;
const MINE = { fill: true, fillColor: "#1f78b4", fillOpacity: 0.3, color: "#1f4e79", weight: 1.5, opacity: 1 };
const OTHER = { fill: true, fillColor: "#bdbdbd", fillOpacity: 0.2, color: "#9e9e9e", weight: 1, opacity: 0.8 };
const PICKED = { fill: true, fillColor: "#d9480f", fillOpacity: 0.55, color: "#a8380b", weight: 3, opacity: 1 };
const STREETS = { color: "#5b6b7a", weight: 1.5, dashArray: "4 3", fill: false, interactive: false };
const WORKING_ZOOM = 14;

/**
 * Builds the picker in `container`. `config` holds tileUrl, popupUrl, adminAreasUrl, home ({bbox}), estatesMinZoom
 * and strings (S.zoomIn, S.outside, S.loading, S.tapHint). `onPick({id, name})` runs when an estate of the user's
 * jurisdiction is tapped. Returns {map, clear(), show(latlng), resize()}.
 */
export function createEstatePicker(container, config, onPick) {
  const S = config.strings;
  const ESTATES_MIN_ZOOM = config.estatesMinZoom; // the estates tiles start there (layers/catalogue.py)
  // No keyboard handler: it focuses the map on mousedown, which scrolls a half-visible map into view between the
  // press and the click, so the tap lands elsewhere (the address search is the keyboard's way to an estate).
  const map = L.map(container, { zoomControl: true, attributionControl: false, keyboard: false,
    minZoom: ESTATES_MIN_ZOOM - 3, maxZoom: 19 });
  const status = el("p", { class: "picker__status", role: "status", text: S.tapHint });
  container.after(status);
  let picked = null;

  const estates = L.vectorGrid.protobuf(fillTemplate(config.tileUrl, { layer: "estates" }), {
    rendererFactory: L.svg.tile,
    interactive: true,
    minZoom: ESTATES_MIN_ZOOM - 0.5,
    maxZoom: 19,
    vectorTileLayerStyles: { estates: (props) => (props.status ? MINE : OTHER) },
    getFeatureId: (f) => f.properties.id,
    attribution: "",
  }).addTo(map);

  estates.on("click", (e) => {
    const props = e.layer && e.layer.properties;
    if (!props) return;
    L.DomEvent.stop(e);
    if (!props.status) {
      status.classList.add("error");
      status.textContent = S.outside;
      container.dataset.refused = String(props.id);
      return;
    }
    status.classList.remove("error");
    status.textContent = S.loading;
    fetchFeature(config, "estate", props.id).then((data) => {
      if (picked !== null) estates.resetFeatureStyle(picked);
      picked = props.id;
      estates.setFeatureStyle(picked, PICKED);
      container.dataset.picked = String(picked);
      status.textContent = "";
      onPick({ id: props.id, name: data.title || `#${props.id}` });
    }).catch((error) => {
      status.classList.add("error");
      status.textContent = error.message;
    });
  });

  const streets = L.geoJSON(null, { style: STREETS }).addTo(map);
  fetch(`${config.adminAreasUrl}?${new URLSearchParams({ level: "street", zoom: "14" })}`,
    { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then((r) => (r.ok ? r.json() : null))
    .then((data) => { if (data) streets.addData(data); })
    .catch(() => {});

  const hint = () => {
    if (map.getZoom() < ESTATES_MIN_ZOOM) {
      status.classList.remove("error");
      status.textContent = S.zoomIn;
    } else if (status.textContent === S.zoomIn) {
      status.textContent = S.tapHint;
    }
  };
  map.on("zoomend", hint);

  const bbox = config.home && config.home.bbox;
  if (bbox) {
    map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]]);
    if (map.getZoom() < WORKING_ZOOM) map.setZoom(Math.min(WORKING_ZOOM, Math.max(map.getZoom(), ESTATES_MIN_ZOOM)));
  } else {
    map.setView([45.54, 126.96], WORKING_ZOOM);
  }
  container.dataset.ready = "true";
  // The browser tests find the maps here, as window.geoappMap on the map page.
  window.geoappPickers = { ...(window.geoappPickers || {}), [container.id]: map };

  return {
    map,
    /** Forgets the pick (after a submission). */
    clear() {
      if (picked !== null) estates.resetFeatureStyle(picked);
      picked = null;
      delete container.dataset.picked;
    },
    /** Centres the map on a point ([lat, lon]) at the working zoom. */
    show(latlng) {
      map.setView(latlng, Math.max(map.getZoom(), WORKING_ZOOM));
    },
    /** Leaflet measures its container: call when a hidden panel is shown. */
    resize() {
      map.invalidateSize();
    },
  };
}
