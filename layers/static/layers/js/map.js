// The coverage map page: wires django-leaflet's map (map:init) to the layers, switcher, legend, search and popups.
import "./compat.js";
import { bboxToBounds, el } from "./dom.js";
import { closeHoverTooltipsOnMove, createBasemaps, createLayers, renderSwitcher, zoomOneLevelPerNotch } from "./layers.js";
import { renderLegend } from "./legend.js";
import { createComplaints } from "./complaint_heat.js";
import { createCoverage } from "./coverage.js";
import { initEditor } from "./edit.js";
import { initExport } from "./export.js";
import { fetchFeature, openFeaturePopup } from "./popup.js";
import { initReports } from "./report.js";
import { initSearch } from "./search.js";

const L = window.L;
const config = JSON.parse(document.getElementById("map-config").textContent);

// Which tile layer draws the objects of a popup kind, to outline the one whose popup is open.
const LAYER_OF_KIND = { estate: "estates", building: "buildings", management_area: "management_areas", enterprise: "jurisdictions" };
const FOCUS_PATTERN = /^(estate|building|management_area|enterprise):(\d+)$/;
const FIT_OPTIONS = { padding: [48, 48], maxZoom: 17, animate: false };

function lonLatToLatLng(point) {
  return Array.isArray(point) && point.length === 2 ? L.latLng(point[1], point[0]) : null;
}

function setup(map) {
  // For the browser tests and for officials' support staff poking at the console.
  window.geoappMap = map;
  window.geoappConfig = config;
  if (map.attributionControl) map.attributionControl.setPrefix(false);
  // Half zoom steps let a whole district fit at the zoom where its estates already draw (tiles pick the
  // nearest whole zoom, so 11.5 shows the estates' zoom-12 tiles).
  map.options.zoomSnap = 0.5;
  zoomOneLevelPerNotch(map);
  closeHoverTooltipsOnMove(map);

  let highlight = null;
  function clearHighlight(token) {
    if (highlight && (token === undefined || token === highlight)) {
      highlight.layer.resetFeatureStyle(highlight.id);
      highlight = null;
    }
  }
  function outline(layerId, featureId) {
    clearHighlight();
    const entry = layers.entries.get(layerId);
    if (!entry || featureId === null || featureId === undefined) return undefined;
    entry.layer.setFeatureStyle(featureId, layers.styles.highlighted(layers.styles.tiles[layerId]));
    highlight = { layer: entry.layer, id: featureId };
    return highlight;
  }
  // Role-dependent buttons in popups (the report form for street offices, planners and administrators).
  let reports = null;
  function showPopup(kind, id, latlng, { featureLayerId, featureId, data } = {}) {
    const token = outline(featureLayerId || LAYER_OF_KIND[kind], featureId ?? id);
    return openFeaturePopup(map, config, kind, id, latlng, {
      data, onClose: () => clearHighlight(token), actions: reports ? reports.popupActions : null,
    });
  }

  // Coverage analysis: choropleth, heatmap, hexagons and the date they show (built before the layers, which
  // take its layer factories).
  const coverage = createCoverage(map, config);
  const complaints = createComplaints(map, config);
  const layers = createLayers(map, config, {
    factories: { ...coverage.factories, ...complaints.factories },
    onFeatureClick({ def, props, featureId, latlng }) {
      const id = props[def.idProperty];
      if (id === undefined || id === null) return;
      showPopup(def.popupKind, id, latlng, { featureLayerId: def.id, featureId });
    },
  });
  // Each tool exists only for a role that may use it (the config says which); an official gets none.
  reports = initReports(map, config, layers);
  const basemaps = createBasemaps(map, config);
  renderSwitcher(document.getElementById("layer-switcher"), map, config, layers, basemaps);
  const syncLegend = renderLegend(document.getElementById("legend"), config, layers, {
    blocks: [...coverage.legendBlocks, ...complaints.legendBlocks], overlay: coverage.legendCard,
  });
  map.on("geoapp:layertoggle", syncLegend);
  document.getElementById("status-date").textContent = config.strings.statusAsOf;

  const DateControl = L.Control.extend({
    options: { position: "topright" },
    onAdd: () => el("div", { class: "map-date", text: config.strings.statusAsOf }),
  });
  new DateControl().addTo(map);
  coverage.attach(layers);
  complaints.attach(layers);
  initEditor(map, config, layers); // its card sits below the date
  initExport(map);

  function zoomToEstate(item) {
    const bounds = bboxToBounds(item.bbox);
    if (bounds) map.fitBounds(bounds, FIT_OPTIONS);
    const latlng = lonLatToLatLng(item.centroid) || (bounds && bounds.getCenter()) || map.getCenter();
    return showPopup("estate", item.id, latlng);
  }

  initSearch(
    {
      form: document.getElementById("search-form"),
      input: document.getElementById("search-input"),
      status: document.getElementById("search-status"),
      results: document.getElementById("search-results"),
    },
    config,
    { onPick: zoomToEstate },
  );

  function fitDistrict() {
    // The user's own area first (street, district or city: config.home); else the district outlines the user
    // sees; without either the view stays at the settings' centre and zoom.
    const home = config.home ? bboxToBounds(config.home.bbox) : null;
    return (home ? Promise.resolve(home) : layers.districtBounds()).then((bounds) => {
      if (bounds && bounds.isValid()) {
        // A large district fits only below the zoom where estates draw; the service colours matter more
        // than seeing the whole outline at once, so stay close enough for them (centred on the district).
        const estates = layers.entries.get("estates");
        const floor = estates ? estates.def.minZoom - 0.5 : 0;
        const zoom = Math.max(map.getBoundsZoom(bounds, false, L.point(32, 32)), floor);
        map.setView(bounds.getCenter(), Math.min(zoom, map.getMaxZoom()), { animate: false });
        layers.setDistrictZoom(zoom);
      }
    });
  }

  // /?focus=estate:123 opens that object; otherwise the view is the whole district.
  const focus = FOCUS_PATTERN.exec(new URLSearchParams(window.location.search).get("focus") || "");
  if (focus) {
    const [, kind, id] = focus;
    fetchFeature(config, kind, Number(id))
      .then((data) => {
        const bounds = bboxToBounds(data.bbox);
        if (bounds) map.fitBounds(bounds, FIT_OPTIONS);
        return bounds ? { data, bounds } : fitDistrict().then(() => ({ data, bounds }));
      })
      .then(({ data, bounds }) => {
        const latlng = lonLatToLatLng(data.point) || (bounds && bounds.getCenter()) || map.getCenter();
        return showPopup(kind, Number(id), latlng, { data });
      })
      .catch(() => fitDistrict())
      .finally(() => document.body.setAttribute("data-map-ready", "true"));
  } else {
    fitDistrict().then(() => document.body.setAttribute("data-map-ready", "true"));
  }
}

window.addEventListener("map:init", (event) => {
  if (event.detail && event.detail.id === "map") setup(event.detail.map);
});
