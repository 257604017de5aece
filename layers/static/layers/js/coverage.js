// Coverage analysis on the map (docs/COVERAGE_API.md): a choropleth of the city, its districts, streets or
// communities by a chosen rate (or its change since an earlier date) — a click on an area drills down to the areas
// inside it (DOMAIN.md "Levels"), and on a community zooms to its estates —, a heatmap of uncovered households,
// hexagons coloured by service rate, and the date they all show.
import { el, fillTemplate } from "./dom.js";
import { fmt, getJSON } from "./api.js";
import { fmtDate, numberFormat } from "./format.js";
import { setTileUrl } from "./layers.js";

const L = window.L;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** "service_rate.households" → row.service_rate.households (0..1 or null). */
function rateOf(row, key) {
  const [group, measure] = key.split(".");
  const value = row && row[group] ? row[group][measure] : null;
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Index of the class of value among breaks [b0, b1, …, bn] (n classes; the ends are open). */
function classOf(value, breaks, classes) {
  for (let i = 1; i < breaks.length - 1; i += 1) if (value < breaks[i]) return i - 1;
  return classes - 1;
}

/** Index in a diverging scale with inner breaks [c0 … cm] → m+1 classes. */
function changeClassOf(value, breaks) {
  let i = 0;
  while (i < breaks.length && value >= breaks[i]) i += 1;
  return i;
}

export function createCoverage(map, config) {
  const cov = config.coverage;
  const s = cov.strings;
  const state = {
    date: config.today, since: null, compare: false, level: cov.level || "street", rate: "service_rate.estates",
  };
  const CHILD = { city: "district", district: "street", street: "community" };
  const percent = numberFormat({ style: "percent", maximumFractionDigits: 1 });
  const points = numberFormat({ maximumFractionDigits: 1, signDisplay: "exceptZero" });
  const count = numberFormat();
  const showDate = (iso) => fmtDate(iso);

  // ---- choropleth -------------------------------------------------------------------------------------------
  const areaCache = new Map(); // level → promise of GeoJSON features
  function areas(level) {
    if (!areaCache.has(level)) {
      const url = `${config.adminAreasUrl}?${new URLSearchParams({ level, zoom: "14" })}`;
      areaCache.set(level, getJSON(url).then((c) => (c && c.features) || []).catch((error) => {
        areaCache.delete(level);
        throw error;
      }));
    }
    return areaCache.get(level);
  }
  const figureCache = new Map(); // "level|date" → promise of rows by id
  function figures(level, date) {
    const key = `${level}|${date}`;
    if (!figureCache.has(key)) {
      const url = `${cov.api.figures}?${new URLSearchParams({ level, date })}`;
      figureCache.set(key, getJSON(url).then((data) => {
        const rows = new Map();
        for (const row of (data && data.rows) || []) rows.set(Number(row.id), row);
        return rows;
      }).catch((error) => {
        figureCache.delete(key);
        throw error;
      }));
    }
    return figureCache.get(key);
  }

  let choroplethPane = null;
  let choropleth = null; // L.geoJSON, built once per draw
  const choroplethGroup = L.layerGroup();
  let drawn = 0; // a counter, so that a slow answer for an old choice never overwrites a newer one

  function fillOf(value) {
    if (value === null) return cov.noData;
    if (state.compare) return cov.changeColours[changeClassOf(value, cov.changeBreaks)];
    return cov.colours[classOf(value * 100, cov.breaks, cov.colours.length)];
  }

  function tooltipText(name, row, value, before) {
    if (value === null) return `${name}\n${s.noOldEstate}`;
    const rateName = s.rates[state.rate];
    if (state.compare) {
      return `${name}\n${rateName}: ${percent.format(before)} → ${percent.format(rateOf(row, state.rate))}\n`
        + fmt(s.percentagePoints, { value: points.format(value) });
    }
    const lines = [`${name}`, `${rateName}: ${percent.format(value)}`];
    if (row && row.served && typeof row.old_estates === "number") {
      lines.push(fmt(s.estatesCovered, { served: count.format(row.served.estates), total: count.format(row.old_estates) }));
    }
    if (CHILD[state.level]) lines.push(s.drillHint);
    return lines.join("\n");
  }

  function drawChoropleth() {
    if (!map.hasLayer(choroplethGroup)) return Promise.resolve();
    const ticket = ++drawn;
    const { level, date, since, compare } = state;
    const wanted = [areas(level), figures(level, date), compare && since ? figures(level, since) : Promise.resolve(null)];
    choroplethStatus.textContent = config.strings.loading;
    return Promise.all(wanted).then(([features, now, then]) => {
      if (ticket !== drawn) return;
      choroplethStatus.textContent = "";
      const values = {};
      const layer = L.geoJSON({ type: "FeatureCollection", features }, {
        pane: choroplethPane,
        style(feature) {
          const id = Number(feature.properties.id);
          const row = now.get(id);
          let value = rateOf(row, state.rate);
          if (then) {
            const before = rateOf(then.get(id), state.rate);
            value = value === null || before === null ? null : (value - before) * 100;
          }
          feature.properties.coverageValue = value;
          values[id] = value;
          return { fill: true, fillColor: fillOf(value), fillOpacity: 0.78, color: "#ffffff", weight: 1.2, opacity: 0.9 };
        },
        onEachFeature(feature, featureLayer) {
          const id = Number(feature.properties.id);
          const before = then ? rateOf(then.get(id), state.rate) : null;
          const text = tooltipText(feature.properties.name || "", now.get(id), feature.properties.coverageValue, before);
          featureLayer.bindTooltip(() => el("div", { class: "coverage-tip" },
            text.split("\n").map((line, i) => el(i === 0 ? "strong" : "div", { text: line }))), { sticky: true });
          featureLayer.on("mouseover", () => featureLayer.setStyle({ weight: 3, color: "#1f2933" }));
          featureLayer.on("mouseout", () => featureLayer.setStyle({ weight: 1.2, color: "#ffffff" }));
          featureLayer.on("click", (event) => { L.DomEvent.stopPropagation(event); drillInto(featureLayer); });
        },
      });
      choroplethGroup.clearLayers();
      choroplethGroup.addLayer(layer);
      choropleth = layer;
      renderChoroplethLegend();
      map.fire("geoapp:coverage", { layer: "choropleth", values, date, since: then ? since : null });
    }).catch(() => {
      if (ticket !== drawn) return;
      choroplethStatus.textContent = s.loadFailed;
    });
  }

  // Drill-down: zoom to the area and show the level inside it; a community opens onto its estates (the choropleth
  // steps aside so the estates' own colours show).
  function drillInto(featureLayer) {
    map.fitBounds(featureLayer.getBounds(), { padding: [20, 20] });
    const child = CHILD[state.level];
    if (child) {
      state.level = child;
      const select = document.getElementById("coverage-level");
      if (select) select.value = child;
      renderChoroplethLegend();
      drawChoropleth();
    } else if (layers) {
      const box = document.querySelector("input[data-layer=coverage_choropleth]");
      if (box) box.checked = false;
      layers.setVisible("coverage_choropleth", false);
    }
    map.fire("geoapp:coverage-drill", { level: state.level });
  }

  // ---- heatmap ----------------------------------------------------------------------------------------------
  // Yellow to dark red, so the heat stands out over the blue choropleth and hexagons.
  const HEAT_GRADIENT = { 0.25: "#ffffb2", 0.45: "#fecc5c", 0.65: "#fd8d3c", 0.85: "#f03b20", 1: "#bd0026" };
  const heat = L.heatLayer
    ? L.heatLayer([], { radius: 16, blur: 14, maxZoom: 15, minOpacity: 0.15, gradient: HEAT_GRADIENT })
    : L.layerGroup();
  let heatTicket = 0;
  function drawHeat() {
    if (!map.hasLayer(heat) || !heat.setLatLngs) return Promise.resolve();
    const ticket = ++heatTicket;
    const b = map.getBounds().pad(0.2);
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
    const url = `${cov.api.uncoveredHouseholds}?${new URLSearchParams({ date: state.date, bbox })}`;
    return getJSON(url).then((data) => {
      if (ticket !== heatTicket) return;
      const pts = ((data && data.points) || []).filter((p) => Array.isArray(p) && p.length >= 3);
      // Weights are households. leaflet.heat adds up the points of each screen cell (about a radius wide), so
      // the colour scale tops out at the 60th percentile of those sums (uncovered estates are everywhere; the darkest red marks the densest) at the current zoom: the hot spots stand
      // out at district scale as well as in one street.
      const cell = 8; // leaflet.heat groups by half the radius
      const sums = new Map();
      for (const [lat, lon, households] of pts) {
        const p = map.latLngToContainerPoint([lat, lon]);
        const key = `${Math.floor(p.x / cell)}:${Math.floor(p.y / cell)}`;
        sums.set(key, (sums.get(key) || 0) + (Number(households) || 0));
      }
      const sorted = [...sums.values()].sort((a, z) => a - z);
      const max = sorted.length ? Math.max(1, sorted[Math.floor((sorted.length - 1) * 0.6)]) : 1;
      heat.setOptions({ max });
      heat.setLatLngs(pts.map(([lat, lon, households]) => [lat, lon, Number(households) || 0]));
      map.fire("geoapp:coverage", { layer: "heat", points: pts.length, date: state.date });
    }).catch(() => {});
  }
  map.on("moveend", () => { drawHeat(); });

  // ---- hexagons (vector tiles) ------------------------------------------------------------------------------
  const hexUrl = () => `${fillTemplate(config.tileUrl, { layer: "coverage_hex" })}?${new URLSearchParams({ date: state.date })}`;
  let hex = null;
  function hexStyle(props) {
    const total = Number(props.old_estates) || 0;
    const rate = total ? Number(props.service_rate) : null;
    const colour = rate === null || !Number.isFinite(rate) ? cov.noData : cov.colours[classOf(rate * 100, cov.breaks, cov.colours.length)];
    return { fill: true, fillColor: colour, fillOpacity: 0.7, stroke: true, color: "#ffffff", weight: 0.8, opacity: 0.9 };
  }

  const factories = {
    coverage_choropleth(def, pane) {
      choroplethPane = pane;
      choroplethGroup.on("add", () => { drawChoropleth(); });
      return choroplethGroup;
    },
    coverage_heat() {
      heat.on("add", () => { drawHeat(); });
      return heat;
    },
    coverage_hex(def, pane) {
      hex = L.vectorGrid.protobuf(hexUrl(), {
        pane,
        rendererFactory: L.canvas.tile,
        interactive: false,
        minZoom: def.minZoom - 0.5,
        maxZoom: map.getMaxZoom(),
        vectorTileLayerStyles: { coverage_hex: hexStyle },
        attribution: "",
      });
      return hex;
    },
  };

  // ---- legend -----------------------------------------------------------------------------------------------
  const choroplethLegend = el("section", { class: "legend__block", "data-legend": "coverage_choropleth" });
  const choroplethStatus = el("p", { class: "legend__status", role: "status" });
  function legendItem(colour, label, extra = "") {
    return el("li", { class: "legend__item" },
      el("span", { class: `legend__swatch legend__swatch--fill legend__swatch--solid${extra}`, style: { "--colour": colour }, "aria-hidden": "true" }),
      el("span", { class: "legend__label", text: label }));
  }
  function renderChoroplethLegend() {
    const list = el("ul", { class: "legend__items" });
    let title;
    let unit = null;
    if (state.compare && state.since) {
      title = fmt(s.changeTitle, { rate: s.rates[state.rate], since: showDate(state.since), date: showDate(state.date) });
      unit = el("p", { class: "legend__unit", text: s.changeUnit });
      const b = cov.changeBreaks;
      const n = cov.changeColours.length;
      // most improved on top
      for (let i = n - 1; i >= 0; i -= 1) {
        let label;
        if (i === 0) label = `< ${points.format(b[0])}`;
        else if (i === n - 1) label = `≥ ${points.format(b[b.length - 1])}`;
        else if (b[i - 1] < 0 && b[i] > 0) label = s.noChange;
        else label = `${points.format(b[i - 1])} … ${points.format(b[i])}`;
        list.append(legendItem(cov.changeColours[i], label));
      }
    } else {
      title = fmt(s.choroplethTitle, { rate: s.rates[state.rate], level: s.levels[state.level] });
      const b = cov.breaks;
      for (let i = cov.colours.length - 1; i >= 0; i -= 1) {
        list.append(legendItem(cov.colours[i], `${b[i]}–${b[i + 1]} %`));
      }
    }
    list.append(legendItem(cov.noData, s.noOldEstate));
    choroplethLegend.replaceChildren(...[el("h3", { class: "legend__title", text: title }), unit, list, choroplethStatus].filter(Boolean));
    choroplethLegend.dataset.mode = state.compare && state.since ? "change" : "rate";
  }
  renderChoroplethLegend();

  const heatLegend = el("section", { class: "legend__block", "data-legend": "coverage_heat" },
    el("h3", { class: "legend__title", text: s.heatTitle }),
    el("div", { class: "legend__ramp legend__ramp--heat", "aria-hidden": "true" }),
    el("div", { class: "legend__ramp-labels" }, el("span", { text: s.heatLow }), el("span", { text: s.heatHigh })));

  const hexList = el("ul", { class: "legend__items" });
  for (let i = cov.colours.length - 1; i >= 0; i -= 1) hexList.append(legendItem(cov.colours[i], `${cov.breaks[i]}–${cov.breaks[i + 1]} %`));
  const hexLegend = el("section", { class: "legend__block", "data-legend": "coverage_hex" },
    el("h3", { class: "legend__title", text: s.hexTitle }), hexList);

  // ---- the panel's controls ---------------------------------------------------------------------------------
  let layers = null;
  const badges = () => [document.getElementById("status-date"), document.querySelector(".map-date")].filter(Boolean);
  function updateBadges() {
    const text = state.compare && state.since
      ? fmt(s.changeAsOf, { since: showDate(state.since), date: showDate(state.date) })
      : fmt(s.statusAsOf, { date: showDate(state.date) });
    for (const badge of badges()) badge.textContent = text;
  }

  function setDate(date) {
    if (!ISO_DATE.test(date) || date === state.date) return;
    state.date = date;
    if (layers) layers.setDate(date === config.today ? null : date);
    if (hex) setTileUrl(map, hex, hexUrl());
    validateSince();
    updateBadges();
    drawChoropleth();
    drawHeat();
  }

  const message = () => document.getElementById("coverage-message");
  function validateSince() {
    const wrong = state.compare && state.since && state.since >= state.date;
    const box = message();
    if (box) box.textContent = wrong ? s.sinceAfterDate : "";
    return !wrong;
  }

  function bindControls() {
    const date = document.getElementById("coverage-date");
    const rate = document.getElementById("coverage-rate");
    const level = document.getElementById("coverage-level");
    const compare = document.getElementById("coverage-compare");
    const since = document.getElementById("coverage-since");
    if (date) {
      date.value = state.date;
      date.max = config.today;
      date.addEventListener("change", () => setDate(date.value || config.today));
    }
    if (rate) {
      rate.value = state.rate;
      rate.addEventListener("change", () => { state.rate = rate.value; renderChoroplethLegend(); drawChoropleth(); });
    }
    if (level) {
      level.value = state.level;
      level.addEventListener("change", () => { state.level = level.value; renderChoroplethLegend(); drawChoropleth(); });
    }
    if (since) {
      // a year before the status date, by default
      const d = new Date(`${state.date}T00:00:00Z`);
      d.setUTCFullYear(d.getUTCFullYear() - 1);
      since.value = d.toISOString().slice(0, 10);
      since.max = config.today;
      since.disabled = !state.compare;
      since.addEventListener("change", () => {
        if (!ISO_DATE.test(since.value)) return;
        state.since = since.value;
        if (validateSince()) { renderChoroplethLegend(); updateBadges(); drawChoropleth(); }
      });
    }
    if (compare) {
      compare.addEventListener("change", () => {
        state.compare = compare.checked;
        if (since) since.disabled = !state.compare;
        state.since = state.compare && since && ISO_DATE.test(since.value) ? since.value : null;
        // Comparing is about the choropleth: switch it on if it is not.
        if (state.compare && layers) {
          const entry = layers.entries.get("coverage_choropleth");
          if (entry && !entry.visible) {
            const box = document.querySelector("input[data-layer=coverage_choropleth]");
            if (box) box.checked = true;
            layers.setVisible("coverage_choropleth", true);
          }
        }
        if (!validateSince()) state.since = null;
        renderChoroplethLegend();
        updateBadges();
        drawChoropleth();
      });
    }
  }

  // The coverage legends sit in a card in the map's lower right corner (legend.js shows the card and its blocks
  // while their layers are on).
  const legendCard = el("div", { class: "map-legend", "aria-label": config.strings.legend, role: "region" });
  const LegendControl = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: () => {
      L.DomEvent.disableClickPropagation(legendCard);
      L.DomEvent.disableScrollPropagation(legendCard);
      return legendCard;
    },
  });
  new LegendControl().addTo(map);

  return {
    factories,
    legendBlocks: [choroplethLegend, heatLegend, hexLegend],
    legendCard,
    attach(layerApi) {
      layers = layerApi;
      bindControls();
    },
    state,
  };
}
