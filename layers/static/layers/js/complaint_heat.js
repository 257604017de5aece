// Complaints on the map (docs/COMPLAINTS.md "Officials' view"): the legend of the complaint points and the hotspot
// heat layer over a chosen date range, fed by /api/supervision/hotspots.json (the complaints of the user's scope).
import { el } from "./dom.js";
import { fmt, getJSON } from "./api.js";
import { numberFormat } from "./format.js";

const L = window.L;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const HEAT_GRADIENT = { 0.2: "#fde0dd", 0.4: "#fa9fb5", 0.6: "#f768a1", 0.8: "#c51b8a", 1: "#7a0177" };

function yearBefore(iso) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() - 1);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export function createComplaints(map, config) {
  const cfg = config.complaints || { strings: { statuses: {} } };
  const s = cfg.strings;
  const count = numberFormat();
  const state = { from: yearBefore(config.today), to: config.today };

  const heat = L.heatLayer
    ? L.heatLayer([], { radius: 18, blur: 15, maxZoom: 15, minOpacity: 0.2, gradient: HEAT_GRADIENT })
    : L.layerGroup();
  const status = el("p", { class: "legend__status", role: "status" });
  let ticket = 0;
  function drawHeat() {
    if (!map.hasLayer(heat) || !heat.setLatLngs || !cfg.hotspots) return Promise.resolve();
    const mine = ++ticket;
    const b = map.getBounds().pad(0.2);
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
    status.textContent = config.strings.loading;
    const url = `${cfg.hotspots}?${new URLSearchParams({ from: state.from, to: state.to, bbox })}`;
    return getJSON(url).then((data) => {
      if (mine !== ticket) return;
      const pts = ((data && data.points) || []).filter((p) => Array.isArray(p) && p.length >= 2);
      // Each complaint weighs 1; leaflet.heat sums a screen cell's points, so the top of the scale is the 90th
      // percentile of those sums at this zoom: the hot spots stand out in a district and in one street alike.
      const cell = 9;
      const sums = new Map();
      for (const [lat, lon] of pts) {
        const p = map.latLngToContainerPoint([lat, lon]);
        const key = `${Math.floor(p.x / cell)}:${Math.floor(p.y / cell)}`;
        sums.set(key, (sums.get(key) || 0) + 1);
      }
      const sorted = [...sums.values()].sort((a, z) => a - z);
      const max = sorted.length ? Math.max(2, sorted[Math.floor((sorted.length - 1) * 0.9)]) : 1;
      heat.setOptions({ max });
      heat.setLatLngs(pts.map(([lat, lon]) => [lat, lon, 1]));
      status.textContent = fmt(s.points, { count: count.format(pts.length) });
      map.fire("geoapp:complaints", { layer: "heat", points: pts.length, from: state.from, to: state.to });
    }).catch(() => {
      if (mine === ticket) status.textContent = config.strings.loadFailed;
    });
  }
  map.on("moveend", () => { drawHeat(); });
  heat.on("add", () => { drawHeat(); });

  // ---- legend blocks ----------------------------------------------------------------------------------------
  // The points coloured by status or by category (the radio buttons switch config.styles.complaintMode and redraw
  // the tiles); the overdue ring in both.
  const styles = config.styles;
  let layers = null;
  const item = (colour, label, extra = "") => el("li", { class: "legend__item" },
    el("span", { class: `legend__swatch legend__swatch--point${extra}`, style: { "--colour": colour },
      "aria-hidden": "true" }),
    el("span", { class: "legend__label", text: label }));
  const pointItems = el("ul", { class: "legend__items", "data-colour-by": styles.complaintMode || "status" });
  function fillItems() {
    const byCategory = styles.complaintMode === "category";
    const entries = byCategory
      ? [...Object.entries(s.categories || {}).map(([code, label]) => [(styles.complaintCategory || {})[code], label]),
        ["#333333", s.otherCategory]]
      : Object.entries(s.statuses || {}).map(([key, label]) => [(styles.complaintStatus || {})[key], label]);
    pointItems.replaceChildren(...entries.map(([colour, label]) => item(colour || "#8A8A8A", label)),
      item(styles.complaintOverdue || "#b10026", s.overdue, " legend__swatch--overdue"));
    pointItems.dataset.colourBy = byCategory ? "category" : "status";
  }
  fillItems();
  const modes = el("div", { class: "legend__range", role: "radiogroup", "aria-label": s.colourBy },
    el("span", { text: s.colourBy }),
    ...[["status", s.byStatus], ["category", s.byCategory]].map(([mode, label]) => el("label", {},
      el("input", { type: "radio", name: "complaint-colour", value: mode,
        checked: (styles.complaintMode || "status") === mode,
        onchange: () => {
          styles.complaintMode = mode;
          fillItems();
          if (layers) layers.refresh("complaints");
        } }),
      ` ${label}`)));
  const pointsLegend = el("section", { class: "legend__block", "data-legend": "complaints" },
    el("h3", { class: "legend__title", text: s.pointsTitle }), modes, pointItems);

  const fromInput = el("input", { type: "date", id: "complaint-heat-from", value: state.from, max: config.today });
  const toInput = el("input", { type: "date", id: "complaint-heat-to", value: state.to, max: config.today });
  function onRange() {
    if (!ISO_DATE.test(fromInput.value) || !ISO_DATE.test(toInput.value) || fromInput.value > toInput.value) return;
    state.from = fromInput.value;
    state.to = toInput.value;
    drawHeat();
  }
  fromInput.addEventListener("change", onRange);
  toInput.addEventListener("change", onRange);
  const heatLegend = el("section", { class: "legend__block", "data-legend": "complaint_heat" },
    el("h3", { class: "legend__title", text: s.heatTitle }),
    el("div", { class: "legend__range" },
      el("label", { for: "complaint-heat-from", text: s.from }), fromInput,
      el("label", { for: "complaint-heat-to", text: s.to }), toInput),
    el("div", { class: "legend__ramp legend__ramp--complaints", "aria-hidden": "true" }),
    el("div", { class: "legend__ramp-labels" }, el("span", { text: s.few }), el("span", { text: s.many })),
    status);

  return {
    factories: { complaint_heat: () => heat },
    legendBlocks: [pointsLegend, heatLegend],
    state,
    drawHeat,
    /** The map's layers (layers.js), built after this module: the colour switch redraws the complaint tiles. */
    attach(mapLayers) {
      layers = mapLayers;
    },
  };
}
