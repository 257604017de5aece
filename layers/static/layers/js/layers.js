// The map's layers (basemaps, vector tiles, admin boundaries with labels) and the layer switcher that toggles them.
import { el, fillTemplate } from "./dom.js";
import { makeStyles } from "./styles.js";

const L = window.L;

// Drawing order, bottom to top (Leaflet's overlayPane is 400, tooltips 650, popups 700).
const PANE_Z = {
  coverage_choropleth: 372,
  coverage_hex: 374,
  jurisdictions: 360,
  roads: 370,
  estates: 380,
  renovations: 390,
  management_areas: 395,
  buildings: 410,
  admin_community: 420,
  admin_street: 425,
  admin_district: 430,
};

/**
 * Points a tile layer at a new URL. Leaflet 1.9's GridLayer.redraw() (what setUrl calls) takes the map's zoom
 * unrounded, so at a half zoom it would ask for /tiles/…/14.5/…; re-adding the layer resets its view properly.
 */
export function setTileUrl(map, layer, url) {
  layer.setUrl(url, true);
  if (map.hasLayer(layer)) {
    map.removeLayer(layer);
    map.addLayer(layer);
  }
}

/**
 * One wheel notch zooms one whole level (Leaflet's own handler maps the summed wheel distance through a curve and
 * snaps up to the half step: a notch of 100 px makes 1.5 levels, and notches during the zoom animation are lost).
 * Each notch (an event of at least half `wheelPxPerZoomLevel`; smaller touchpad deltas are summed until they make
 * one) moves the target by a level; notches arriving while the map animates add to the same target.
 */
const WheelZoomByLevel = L.Handler.extend({
  addHooks() {
    this._target = null;
    this._going = null; // the level asked of the map whose zoom has not ended yet
    this._rest = 0;
    L.DomEvent.on(this._map.getContainer(), "wheel", this._onWheel, this);
    this._map.on("zoomend", this._onZoomEnd, this);
  },
  removeHooks() {
    L.DomEvent.off(this._map.getContainer(), "wheel", this._onWheel, this);
    this._map.off("zoomend", this._onZoomEnd, this);
    clearTimeout(this._timer);
  },
  _onWheel(e) {
    L.DomEvent.stop(e);
    const map = this._map;
    const delta = L.DomEvent.getWheelDelta(e);
    const notch = map.options.wheelPxPerZoomLevel;
    let step = 0;
    if (Math.abs(delta) >= notch / 2) {
      step = Math.sign(delta);
      this._rest = 0;
    } else {
      this._rest += delta;
      if (Math.abs(this._rest) >= notch) {
        step = Math.sign(this._rest);
        this._rest = 0;
      }
    }
    if (!step) return;
    // Count from where the map is going: a notch during a zoom animation adds to that animation's level, and so
    // does one between the zoom asked and its animation's start (Leaflet starts it on the next animation frame).
    const current = map._animatingZoom ? map._animateToZoom : this._going !== null ? this._going : map.getZoom();
    const from = this._target === null ? current : this._target;
    const whole = step > 0 ? Math.floor(from) + 1 : Math.ceil(from) - 1;
    this._target = Math.max(map.getMinZoom(), Math.min(map.getMaxZoom(), whole));
    this._point = map.mouseEventToContainerPoint(e);
    clearTimeout(this._timer);
    this._timer = setTimeout(() => {
      this._timer = null;
      this._apply();
    }, map.options.wheelDebounceTime);
  },
  _apply() {
    const map = this._map;
    this._waiting = false;
    if (this._target === null) return;
    // A zoom animation swallows a new zoom: apply the target when it has ended.
    if (map._animatingZoom) {
      this._waiting = true;
      return;
    }
    const target = this._target;
    this._target = null;
    if (map.getZoom() !== target) {
      this._going = target;
      map.setZoomAround(this._point, target);
    }
  },
  _onZoomEnd() {
    this._going = null;
    if (this._waiting && !this._timer) this._apply();
  },
});

/** Replaces Leaflet's wheel zoom by WheelZoomByLevel (both maps with tiles: the coverage map and /service/). */
export function zoomOneLevelPerNotch(map) {
  map.scrollWheelZoom.disable();
  map.addHandler("wheelZoomByLevel", WheelZoomByLevel);
  map.wheelZoomByLevel.enable();
}

/**
 * Calls `handler(event)` for a single click only: the clicks of a double click (which zooms) open nothing. The
 * handler runs once the double-click interval has passed without a second click.
 */
export function singleClick(map, handler, delay = 300) {
  let timer = null;
  const cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  map.on("dblclick zoomstart", cancel);
  return (event) => {
    const original = event && event.originalEvent;
    cancel();
    if (original && original.detail > 1) return; // the second click of a double click
    timer = setTimeout(() => {
      timer = null;
      handler(event);
    }, delay);
  };
}

/**
 * Hover tooltips (not the permanent labels) are closed when the map zooms or moves: the area they named may no
 * longer be under the mouse, and Leaflet only closes one on that area's own mouseout.
 */
export function closeHoverTooltipsOnMove(map) {
  map.on("zoomstart movestart", () => {
    map.eachLayer((layer) => {
      if (layer instanceof L.Tooltip && !layer.options.permanent) map.removeLayer(layer);
    });
  });
}

export function paneName(layerId) {
  return `geoapp-${layerId}`;
}

export function createPane(map, layerId) {
  const name = paneName(layerId);
  const pane = map.getPane(name) || map.createPane(name);
  pane.style.zIndex = String(PANE_Z[layerId] || 400);
  return name;
}

function tileLayer(map, config, def, styles, onFeatureClick) {
  const style = styles.tiles[def.id];
  const interactive = Boolean(def.popupKind);
  const url = fillTemplate(config.tileUrl, { layer: def.id });
  const layer = L.vectorGrid.protobuf(url, {
    pane: createPane(map, def.id),
    // SVG tiles let a click fall through empty parts of a tile to the layers below; the roads are many
    // and never clicked, so they use canvas.
    rendererFactory: interactive ? L.svg.tile : L.canvas.tile,
    interactive,
    // GridLayer requests the nearest whole zoom (11.5 → 12) but prunes on the fractional map zoom, so the
    // half step below the server's minimum keeps the tiles it asked for; 11 still asks for nothing.
    minZoom: def.minZoom - 0.5,
    maxZoom: map.getMaxZoom(),
    vectorTileLayerStyles: { [def.id]: style },
    getFeatureId: interactive ? (f) => f.properties.id ?? f.properties[def.idProperty] : undefined,
    attribution: "",
  });
  if (interactive) {
    layer.on("click", singleClick(map, (e) => {
      const props = e.layer && e.layer.properties;
      if (!props) return;
      const featureId = props.id ?? props[def.idProperty];
      onFeatureClick({ def, layer, props, featureId, latlng: e.latlng, originalEvent: e.originalEvent });
    }));
  }
  return layer;
}

function adminLayer(map, config, def, styles) {
  const pane = createPane(map, def.id);
  const lines = L.geoJSON(null, { pane, style: () => styles.admin[def.level], interactive: false });
  const labels = L.layerGroup();
  const url = `${config.adminAreasUrl}?${new URLSearchParams({ level: def.level, zoom: "15" })}`;
  const loaded = fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then((response) => (response.ok ? response.json() : { features: [] }))
    .catch(() => ({ features: [] }))
    .then((collection) => {
      const features = (collection && collection.features) || [];
      lines.addData({ type: "FeatureCollection", features });
      for (const feature of features) {
        const props = feature.properties || {};
        const point = props.label_point;
        if (!Array.isArray(point) || !props.name) continue;
        const label = L.tooltip({
          permanent: true,
          direction: "center",
          interactive: false,
          className: `admin-label admin-label--${def.level}`,
        })
          .setLatLng([point[1], point[0]])
          .setContent(el("span", { text: props.name }));
        labels.addLayer(label);
      }
      return { features, bounds: features.length ? lines.getBounds() : null };
    });
  return { lines, labels, loaded };
}

export function createLayers(map, config, { onFeatureClick, factories = {} }) {
  const styles = makeStyles(config.styles);
  const entries = new Map();
  // The state date of the dated tile layers (?date=); null = today (the server's default).
  let date = null;
  function tileUrlOf(id, extra = {}) {
    const params = new URLSearchParams({ ...(date ? { date } : {}), ...extra });
    const query = params.toString();
    return fillTemplate(config.tileUrl, { layer: id }) + (query ? `?${query}` : "");
  }

  for (const def of config.layers) {
    if (def.source === "tiles") {
      entries.set(def.id, { def, layer: tileLayer(map, config, def, styles, onFeatureClick), visible: def.visible });
    } else if (def.source === "admin") {
      const { lines, labels, loaded } = adminLayer(map, config, def, styles);
      entries.set(def.id, { def, layer: lines, labels, loaded, visible: def.visible });
    } else if (factories[def.source]) {
      // Layers drawn by another module (coverage.js): it builds the layer, the switcher and legend toggle it.
      entries.set(def.id, { def, layer: factories[def.source](def, createPane(map, def.id)), visible: def.visible });
    }
  }

  // Labels follow the zoom at which the whole district fits (districtZoom): the district's own name when
  // zoomed out further, street names around it, community names once zoomed in closer.
  let districtZoom = config.fallbackView.zoom;
  function labelsWanted(entry) {
    const zoom = Math.round(map.getZoom());
    const [from, to] = {
      district: [0, districtZoom - 1],
      street: [districtZoom - 1, districtZoom + 1],
      community: [districtZoom + 2, Infinity],
    }[entry.def.level] || [0, -1];
    return entry.visible && zoom >= from && zoom <= to;
  }

  function sync() {
    const zoom = Math.round(map.getZoom());
    for (const entry of entries.values()) {
      // Admin outlines have no server-side minimum zoom, so it is enforced here; tile layers do it themselves.
      const shown = entry.visible && (entry.def.source !== "admin" || zoom >= entry.def.minZoom);
      if (shown && !map.hasLayer(entry.layer)) map.addLayer(entry.layer);
      if (!shown && map.hasLayer(entry.layer)) map.removeLayer(entry.layer);
      if (entry.labels) {
        const want = labelsWanted(entry);
        if (want && !map.hasLayer(entry.labels)) map.addLayer(entry.labels);
        if (!want && map.hasLayer(entry.labels)) map.removeLayer(entry.labels);
      }
    }
  }

  map.on("zoomend", sync);
  sync();

  return {
    entries,
    styles,
    setVisible(id, visible) {
      const entry = entries.get(id);
      if (!entry) return;
      entry.visible = visible;
      sync();
      map.fire("geoapp:layertoggle", { id, visible });
    },
    setDistrictZoom(zoom) {
      districtZoom = zoom;
      sync();
    },
    /** Asks the server again for a tile layer (after an edit): a new query string bypasses every cache. */
    refresh(id) {
      const entry = entries.get(id);
      if (!entry || entry.def.source !== "tiles") return;
      setTileUrl(map, entry.layer, tileUrlOf(id, { v: String(Date.now()) }));
    },
    /** The state on another date (YYYY-MM-DD): the dated tile layers ask the server again with ?date=. */
    setDate(value) {
      date = value || null;
      for (const entry of entries.values()) {
        if (entry.def.source === "tiles" && entry.def.dated) setTileUrl(map, entry.layer, tileUrlOf(entry.def.id));
      }
    },
    districtBounds() {
      const district = entries.get("admin_district");
      return district ? district.loaded.then((result) => result.bounds) : Promise.resolve(null);
    },
  };
}

export function createBasemaps(map, config) {
  return config.basemaps.map((basemap, index) => {
    const layer = L.tileLayer(basemap.url, {
      attribution: basemap.attribution || "",
      maxZoom: map.getMaxZoom(),
      maxNativeZoom: basemap.maxZoom || undefined,
    });
    if (index === 0) layer.addTo(map);
    return { name: basemap.name, layer };
  });
}

/** Builds the switcher in the side panel: basemap radios (only when basemaps exist), then layer checkboxes. */
export function renderSwitcher(container, map, config, layers, basemaps) {
  const strings = config.strings;
  container.replaceChildren();

  if (basemaps.length) {
    const group = el("fieldset", { class: "switcher__group" }, el("legend", { text: strings.basemap }));
    const choices = [...basemaps, { name: strings.noBasemap, layer: null }];
    choices.forEach((choice, index) => {
      const input = el("input", {
        type: "radio", name: "basemap", value: String(index), checked: index === 0,
        onchange: () => {
          for (const b of basemaps) if (map.hasLayer(b.layer)) map.removeLayer(b.layer);
          if (choice.layer) choice.layer.addTo(map);
        },
      });
      group.append(el("label", { class: "switcher__item" }, input, el("span", { class: "switcher__name", text: choice.name })));
    });
    container.append(group);
  }

  const list = el("div", { class: "switcher__group" });
  let group = null;
  for (const entry of layers.entries.values()) {
    const { def } = entry;
    if (def.group && def.group !== group && strings.groups && strings.groups[def.group]) {
      list.append(el("div", { class: "switcher__heading", text: strings.groups[def.group] }));
    }
    group = def.group || null;
    const input = el("input", {
      type: "checkbox", checked: entry.visible, "data-layer": def.id,
      onchange: (e) => layers.setVisible(def.id, e.target.checked),
    });
    const hint = el("span", { class: "switcher__hint", text: strings.zoomIn });
    const row = el(
      "label",
      { class: "switcher__item", "data-layer-row": def.id },
      input,
      el("span", { class: `switcher__swatch switcher__swatch--${def.id}`, "aria-hidden": "true" }),
      el("span", { class: "switcher__name", text: def.name }),
      hint,
    );
    list.append(row);
  }
  container.append(list);
  // A layer switched on or off elsewhere (the editor's "only management areas") shows in its checkbox.
  map.on("geoapp:layertoggle", (e) => {
    const input = container.querySelector(`[data-layer="${e.id}"]`);
    if (input) input.checked = e.visible;
  });

  function updateRanges() {
    const zoom = Math.round(map.getZoom()); // as GridLayer picks its tile zoom
    for (const entry of layers.entries.values()) {
      const row = container.querySelector(`[data-layer-row="${entry.def.id}"]`);
      if (row) row.classList.toggle("is-out-of-range", zoom < entry.def.minZoom);
    }
  }
  map.on("zoomend", updateRanges);
  updateRanges();
}
