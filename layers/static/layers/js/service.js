// The service page (/service/): worklists beside a map, assignment by estate or drawn box/lasso, nearby custody.
// Reuses the main map's layers (layers.js), popups (popup.js) and request helpers (api.js); every write goes
// through /api/service/… (docs/SERVICE_API.md).
import "./compat.js";
import { api, ApiError, fmt } from "./api.js";
import { bboxToBounds, el, fillTemplate, textLines } from "./dom.js";
import { numberFormat, pageLang } from "./format.js";
import { closeHoverTooltipsOnMove, createBasemaps, createLayers, createPane, singleClick, zoomOneLevelPerNotch } from "./layers.js";
import { renderLegend } from "./legend.js";
import { openFeaturePopup } from "./popup.js";

const L = window.L;
const config = JSON.parse(document.getElementById("map-config").textContent);
const service = config.service;
const S = service.strings;
// api.js reads its fallback texts and the CSRF token from these keys.
const apiConfig = { csrfToken: service.csrfToken, editStrings: { requestFailed: S.loadFailed } };

const WORKLIST_STYLE = { color: "#7a1fa2", weight: 3, opacity: 1, fillColor: "#f1c40f", fillOpacity: 0.35, dashArray: "6 3" };
// Zoomed out, thick dashed outlines would hide the estates' colours: thin solid ones instead.
const WORKLIST_STYLE_FAR = { ...WORKLIST_STYLE, weight: 1, dashArray: null, fillOpacity: 0.25 };
const SELECTED_STYLE = { color: "#0d47a1", weight: 4, opacity: 1, fillOpacity: 0.1, fill: true, fillColor: "#0d47a1" };
// Outlines in hues the service statuses do not use (green, blue, purple, orange mean a status on this map).
const CANDIDATE_COLOURS = ["#e6007e", "#00a6d6", "#c8a000", "#6b3e26", "#111111", "#7fbf00", "#ff5fa2", "#4b0082"];
const FIT = { padding: [40, 40], maxZoom: 17, animate: false };

const nf = numberFormat();

function today() {
  return config.today;
}

function setup(map) {
  window.geoappMap = map;
  window.geoappConfig = config;
  if (map.attributionControl) map.attributionControl.setPrefix(false);
  map.options.zoomSnap = 0.5;
  zoomOneLevelPerNotch(map);
  closeHoverTooltipsOnMove(map);
  createBasemaps(map, config);

  const layers = createLayers(map, config, {
    onFeatureClick({ def, props, latlng }) {
      const id = props[def.idProperty];
      if (def.popupKind !== "estate" || id === undefined || id === null) return;
      openFeaturePopup(map, config, "estate", id, latlng, { actions: (kind, estateId, data) => estateActions(estateId, data.title) });
    },
  });
  // The status colours of the estates, from the same config as the map's styles (views/map.py STATUS_COLOURS).
  renderLegend(document.getElementById("service-legend"), config, layers);
  // The list on the map, in two layers. The page's estates come as outlines with the answer (as the rows do); the
  // rest of the list is drawn from the estate vector tiles the page already loads (same URLs, so the browser's cache
  // answers), styling only the features whose ids the answer names: outlines of a whole district's list were 1 MB.
  // Both carry the estate's name as a hover tooltip and open its popup on a click; their panes lie above the
  // estates' (380) and below the buildings' (410), the page's above the rest of the list's.
  const estatesDef = config.layers.find((def) => def.id === "estates");
  const worklistMinZoom = (estatesDef ? estatesDef.minZoom : 12) - 0.5;
  let listed = new Set(); // the ids of the whole list shown
  let onPage = new Set(); // those drawn from the page's outlines
  let listedKey = "";
  const names = new Map(); // id → name, from the answer (the tiles carry names from zoom 14 only)
  let tileTarget = null; // the estate of the assignment form when it is drawn from the tiles
  function estatePopup(id, latlng) {
    openFeaturePopup(map, config, "estate", id, latlng, {
      actions: (kind, estateId, data) => estateActions(estateId, data.title),
    });
  }
  const worklistLayer = L.geoJSON(null, {
    pane: createPane(map, "worklist"),
    style: () => worklistStyle(),
    onEachFeature(feature, layer) {
      layer.bindTooltip(() => textLines(feature.properties.name), { sticky: true });
      layer.on("click", (e) => L.DomEvent.stopPropagation(e));
      layer.on("click", singleClick(map, (e) => estatePopup(feature.properties.id, e.latlng)));
    },
  }).addTo(map);
  map.getPane("geoapp-worklist").style.zIndex = "405";
  function worklistStyle() {
    return map.getZoom() < 14 ? WORKLIST_STYLE_FAR : WORKLIST_STYLE;
  }
  map.on("zoomend", () => worklistLayer.setStyle(worklistStyle()));
  const worklistTiles = L.vectorGrid.protobuf(fillTemplate(config.tileUrl, { layer: "estates" }), {
    pane: createPane(map, "worklist-tiles"),
    rendererFactory: L.svg.tile, // SVG: a pointer falls through the parts of a tile that draw nothing
    interactive: true,
    minZoom: worklistMinZoom,
    maxZoom: map.getMaxZoom(),
    vectorTileLayerStyles: {
      // fill: VectorGrid starts from L.Path's options (no fill), and an unfilled outline takes the pointer only on
      // its stroke: the estates' layer below would name the estate instead.
      estates: (props, zoom) => (listed.has(props.id) && !onPage.has(props.id)
        ? { ...(zoom < 14 ? WORKLIST_STYLE_FAR : WORKLIST_STYLE), fill: true } : []),
    },
    getFeatureId: (feature) => feature.properties.id,
    attribution: "",
  }).addTo(map);
  map.getPane("geoapp-worklist-tiles").style.zIndex = "404";
  // The name of an estate drawn from the tiles follows the pointer as the page's estates' do ({sticky: true}); opened
  // here from the feature under the pointer, since a grid's own bindTooltip would be handed the grid, not the feature.
  const tileTooltip = L.tooltip({ sticky: true });
  worklistTiles.on("mouseover mousemove", (e) => {
    const name = e.layer && e.layer.properties ? names.get(e.layer.properties.id) : undefined;
    if (!name) return;
    if (tileTooltip.options.estateId !== e.layer.properties.id) {
      tileTooltip.options.estateId = e.layer.properties.id;
      tileTooltip.setContent(textLines(name));
    }
    map.openTooltip(tileTooltip.setLatLng(e.latlng));
  });
  worklistTiles.on("mouseout", () => map.closeTooltip(tileTooltip));
  worklistTiles.on("click", singleClick(map, (e) => {
    const props = e.layer && e.layer.properties;
    if (props) estatePopup(props.id, e.latlng);
  }));
  function showList(data) {
    worklistLayer.clearLayers();
    worklistLayer.addData(data.features);
    names.clear();
    data.ids.forEach((id, i) => names.set(id, data.names[i]));
    const page = data.features.features.map((f) => f.properties.id);
    const key = `${data.ids.join(",")}|${page.join(",")}`;
    document.body.dataset.worklistShown = String(data.ids.length);
    if (key === listedKey) return;
    listedKey = key;
    listed = new Set(data.ids);
    onPage = new Set(page);
    tileTarget = null;
    // The tiles again (from the browser's cache), styled for the new list. Not redraw(): at a half zoom Leaflet 1.9
    // would ask for /tiles/…/14.5/… (layers.js setTileUrl); re-adding the layer resets its view.
    if (map.hasLayer(worklistTiles)) {
      map.removeLayer(worklistTiles);
      map.addLayer(worklistTiles);
    }
  }
  function showWorklist(shown) {
    for (const layer of [worklistTiles, worklistLayer]) {
      if (shown) layer.addTo(map);
      else map.removeLayer(layer);
    }
  }
  function fitList(bounds) {
    map.fitBounds(bounds, FIT);
    if (map.getZoom() < worklistMinZoom) map.setZoom(worklistMinZoom, { animate: false });
  }
  const candidateLayer = L.featureGroup().addTo(map);
  const targetLayer = L.featureGroup().addTo(map);

  const card = document.getElementById("service-card");
  const rowsEl = document.getElementById("worklist-rows");
  const pagerEl = document.getElementById("worklist-pager");
  const summaryEl = document.getElementById("worklist-summary");
  const streetSelect = document.getElementById("worklist-street");
  const state = { name: service.worklists[0].name, page: 1, street: service.ownStreet || "" };
  let selection = null; // the drawn box or lasso (a Leaflet layer)

  // ---- worklists -------------------------------------------------------------------------------------------
  function worklistUrl() {
    const params = new URLSearchParams({ page: String(state.page) });
    if (state.street) params.set("street", String(state.street));
    return `${fillTemplate(service.urls.worklist, { name: state.name })}?${params}`;
  }

  function load({ fit = false } = {}) {
    document.body.dataset.worklistReady = "false";
    summaryEl.textContent = S.loading;
    return api(apiConfig, worklistUrl())
      .then((data) => {
        render(data);
        showList(data);
        showWorklist(true);
        const bounds = bboxToBounds(data.bbox);
        if (fit && bounds) fitList(bounds);
      })
      .catch((error) => {
        summaryEl.textContent = error.message || S.loadFailed;
      })
      .finally(() => {
        document.body.dataset.worklistReady = "true";
      });
  }

  function render(data) {
    for (const [name, count] of Object.entries(data.counts || {})) {
      const badge = document.querySelector(`[data-count-of="${name}"]`);
      if (badge) {
        badge.textContent = nf.format(count);
        badge.dataset.count = String(count);
      }
    }
    const parts = [fmt(S.estates, { count: nf.format(data.count) }), fmt(S.households, { count: nf.format(data.households) })];
    if (data.name === "abandoned") parts.push(fmt(S.buildings, { count: nf.format(data.buildings) }));
    summaryEl.textContent = parts.join(" · ");
    summaryEl.dataset.count = String(data.count);
    rowsEl.replaceChildren(
      ...(data.rows.length ? data.rows.map(row) : [el("li", { class: "service__empty", text: S.noRows })]),
    );
    pagerEl.replaceChildren();
    if (data.pages > 1) {
      pagerEl.append(
        el("button", { type: "button", class: "btn-secondary", disabled: data.page <= 1, text: S.previous,
          onclick: () => { state.page -= 1; load(); } }),
        el("span", { text: fmt(S.page, { page: data.page, pages: data.pages }) }),
        el("button", { type: "button", class: "btn-secondary", disabled: data.page >= data.pages, text: S.next,
          onclick: () => { state.page += 1; load(); } }),
      );
    }
  }

  function row(item) {
    const status = config.strings.statuses[item.status] || item.status;
    const actions = el("div", { class: "service__row-actions" },
      el("button", { type: "button", class: "btn-link", "data-action": "show", text: S.showOnMap, onclick: () => showEstate(item.id) }),
      service.canAssign ? el("button", { type: "button", class: "btn-link", "data-action": "assign", text: S.assign,
        onclick: () => openForm({ estate: { id: item.id, name: item.name } }) }) : null,
      el("button", { type: "button", class: "btn-link", "data-action": "nearby", text: S.nearby,
        onclick: () => openCandidates(item.id) }),
      el("button", { type: "button", class: "btn-link", "data-action": "history", text: S.history,
        onclick: () => openHistory(item.id) }),
    );
    return el("li", { class: "service__row", "data-estate-id": String(item.id) },
      el("div", { class: "service__row-head" },
        el("a", { class: "service__row-name", href: fillTemplate(service.urls.estate, { id: item.id }), text: item.name }),
        el("span", { class: `service__status service__status--${item.status}`, text: status,
          style: { "--colour": config.styles.status[item.status] || "#8A8A8A" } })),
      el("div", { class: "service__row-sub", text: [item.street_name, item.community_name,
        fmt(S.households, { count: nf.format(item.households) }), item.build_year].filter(Boolean).join(" · ") }),
      item.detail ? el("div", { class: "service__row-detail", text: item.detail }) : null,
      actions);
  }

  function showEstate(id) {
    const found = [];
    worklistLayer.eachLayer((layer) => { if (layer.feature.properties.id === id) found.push(layer); });
    if (found.length) {
      map.fitBounds(found[0].getBounds(), FIT);
      estatePopup(id, found[0].getBounds().getCenter());
    }
  }

  document.getElementById("worklist-tabs").addEventListener("click", (event) => {
    const tab = event.target.closest("[data-worklist]");
    if (!tab) return;
    for (const t of document.querySelectorAll("[data-worklist]")) {
      t.classList.toggle("is-active", t === tab);
      t.setAttribute("aria-selected", t === tab ? "true" : "false");
    }
    state.name = tab.dataset.worklist;
    state.page = 1;
    load({ fit: true });
  });
  if (streetSelect) {
    streetSelect.addEventListener("change", () => {
      state.street = streetSelect.value;
      state.page = 1;
      load({ fit: true });
    });
  }

  // ---- popups: the estate's actions ------------------------------------------------------------------------
  function estateActions(id, name) {
    return el("div", { class: "popup__actions popup__actions--wrap" },
      service.canAssign ? el("button", { type: "button", class: "btn-primary", "data-action": "popup-assign", text: S.assign,
        onclick: () => { map.closePopup(); openForm({ estate: { id, name } }); } }) : null,
      el("button", { type: "button", class: "btn-secondary", "data-action": "popup-nearby", text: S.nearby,
        onclick: () => { map.closePopup(); openCandidates(id); } }),
      el("button", { type: "button", class: "btn-secondary", "data-action": "popup-history", text: S.history,
        onclick: () => { map.closePopup(); openHistory(id); } }));
  }

  // ---- the card on the map ---------------------------------------------------------------------------------
  function showCard(kind, ...children) {
    card.hidden = false;
    card.dataset.card = kind;
    delete card.dataset.streets; // set again when this card's selection has been looked up
    card.replaceChildren(...children);
  }

  function closeCard() {
    card.hidden = true;
    card.dataset.card = "";
    delete card.dataset.streets;
    card.replaceChildren();
    candidateLayer.clearLayers();
    targetLayer.clearLayers();
    clearTarget();
    clearSelection();
    showWorklist(true);
  }

  function header(title) {
    return el("div", { class: "service__card-head" },
      el("h2", { class: "service__card-title", text: title }),
      el("button", { type: "button", class: "editor__x", "aria-label": S.close, title: S.close, text: "×", onclick: closeCard }));
  }

  // ---- selection by box or lasso (Leaflet-Geoman) ----------------------------------------------------------
  function clearSelection() {
    if (selection) map.removeLayer(selection);
    selection = null;
    if (map.pm) map.pm.disableDraw();
  }

  if (service.canAssign && map.pm) {
    map.pm.setLang((pageLang() || "").startsWith("zh") ? "zh" : "en");
    const Tools = L.Control.extend({
      options: { position: "topleft" },
      onAdd() {
        const box = el("div", { class: "leaflet-bar service__tools" },
          el("a", { href: "#", role: "button", id: "select-box", title: S.selectBox, "aria-label": S.selectBox, text: "▭",
            onclick: (e) => { e.preventDefault(); startDraw("Rectangle"); } }),
          el("a", { href: "#", role: "button", id: "select-lasso", title: S.selectLasso, "aria-label": S.selectLasso, text: "✎",
            onclick: (e) => { e.preventDefault(); startDraw("Polygon"); } }),
          el("a", { href: "#", role: "button", id: "select-clear", title: S.clearSelection, "aria-label": S.clearSelection, text: "✕",
            onclick: (e) => { e.preventDefault(); closeCard(); } }));
        L.DomEvent.disableClickPropagation(box);
        return box;
      },
    });
    new Tools().addTo(map);
    map.on("pm:create", (event) => {
      clearSelection();
      selection = event.layer;
      selection.setStyle(SELECTED_STYLE);
      selection.options.pmIgnore = true;
      openForm({ selection: selection.toGeoJSON().geometry });
    });
  }

  function startDraw(shape) {
    closeCard();
    showCard("draw", header(S.assign), el("p", { class: "editor__hint", text: S.drawHint }));
    // After this click has finished, or Geoman would take it as the first corner.
    setTimeout(() => map.pm.enableDraw(shape, { snappable: false, allowSelfIntersection: true,
      pathOptions: SELECTED_STYLE, templineStyle: SELECTED_STYLE, hintlineStyle: { ...SELECTED_STYLE, dashArray: "5 5" } }), 0);
  }

  // ---- the assignment form ---------------------------------------------------------------------------------
  function options(list, selected) {
    return list.map(([value, label]) => el("option", { value, selected: value === selected, text: label }));
  }

  function openForm({ estate = null, selection: shape = null, enterpriseId = null, mode = null, keepCandidates = false } = {}) {
    if (!service.canAssign) return;
    if (estate) clearSelection();
    if (!keepCandidates) candidateLayer.clearLayers();
    const kind = el("select", { id: "assign-provider", name: "provider_kind" },
      options(service.providerKinds, "enterprise"));
    if (!enterpriseId) kind.value = "caretaker_agency";
    const enterprise = el("select", { id: "assign-enterprise", name: "enterprise_id" },
      el("option", { value: "", text: "—" }),
      service.enterprises.map((e) => el("option", { value: String(e.id), selected: e.id === enterpriseId,
        text: `${e.name} (${e.grade})` })));
    const modeSelect = el("select", { id: "assign-mode", name: "mode" }, options(service.enterpriseModes, mode || "single"));
    const agency = el("select", { id: "assign-agency", name: "caretaker_agency_id" },
      el("option", { value: "", text: "—" }),
      service.agencies.map((a) => el("option", { value: String(a.id), "data-street-id": String(a.streetId),
        text: `${a.name} · ${a.kindLabel}` })));
    const start = el("input", { type: "date", id: "assign-start", name: "start_date", value: today(), required: true });
    const end = el("input", { type: "date", id: "assign-end", name: "end_date" });
    const note = el("input", { type: "text", id: "assign-note", name: "note", maxlength: "200" });
    const replace = el("input", { type: "checkbox", id: "assign-replace", name: "replace" });
    const status = el("div", { class: "editor__status", id: "assign-status", role: "status", "aria-live": "polite" });
    const where = el("p", { class: "editor__hint", id: "assign-where", text: S.loading });
    const agencyHint = el("p", { class: "editor__hint", id: "assign-agency-hint", hidden: true, text: S.noAgency });
    const enterpriseRows = [
      el("label", { class: "editor__label" }, el("span", { class: "editor__label-text", text: S.enterprise }), enterprise),
      el("label", { class: "editor__label" }, el("span", { class: "editor__label-text", text: S.mode }), modeSelect),
    ];
    const agencyRow = el("label", { class: "editor__label" }, el("span", { class: "editor__label-text", text: S.agency }), agency);
    let severalStreets = false; // then no street-run agency can serve them all
    function sync() {
      for (const r of enterpriseRows) r.hidden = kind.value !== "enterprise";
      agencyRow.hidden = kind.value !== "caretaker_agency";
      agencyHint.hidden = agencyRow.hidden || !severalStreets;
    }
    kind.addEventListener("change", sync);
    sync();

    function body(dryRun) {
      const data = {
        provider_kind: kind.value, start_date: start.value, end_date: end.value || null, note: note.value,
        replace: replace.checked, dry_run: dryRun,
      };
      if (kind.value === "enterprise") {
        data.mode = modeSelect.value;
        data.enterprise_id = enterprise.value ? Number(enterprise.value) : null;
      }
      if (kind.value === "caretaker_agency") data.caretaker_agency_id = agency.value ? Number(agency.value) : null;
      if (estate) data.estate_ids = [estate.id];
      else data.selection = shape;
      return data;
    }
    function say(text, kindOfMessage) {
      status.textContent = text;
      status.className = `editor__status${kindOfMessage ? ` is-${kindOfMessage}` : ""}`;
      status.dataset.state = kindOfMessage || "";
    }
    function send(dryRun) {
      if (kind.value === "enterprise" && !enterprise.value) return say(S.chooseEnterprise, "error");
      if (kind.value === "caretaker_agency" && !agency.value) return say(S.chooseAgency, "error");
      say(dryRun ? S.checking : S.saving, "");
      submit.disabled = true;
      return api(apiConfig, service.urls.assign, { method: "POST", json: body(dryRun) })
        .then((data) => {
          const values = { count: nf.format(data.count), households: nf.format(data.households) };
          if (dryRun) return say(fmt(S.wouldAssign, values), "ok");
          say(fmt(S.assigned, values), "ok");
          done = true;
          status.dataset.assigned = String(data.count);
          card.dataset.assignedEstates = data.estate_ids.join(",");
          layers.refresh("estates");
          layers.refresh("jurisdictions");
          if (selection) map.removeLayer(selection);
          selection = null;
          candidateLayer.clearLayers();
          return load();
        })
        .catch((error) => say(error instanceof ApiError ? error.message : String(error), "error"))
        .finally(() => {
          submit.disabled = done;
          checkButton.disabled = done;
        });
    }
    let done = false;
    const submit = el("button", { type: "button", class: "btn-primary", id: "assign-submit", text: S.submit, onclick: () => send(false) });
    const checkButton = el("button", { type: "button", class: "btn-secondary", id: "assign-check", text: S.check, onclick: () => send(true) });
    showCard("assign",
      header(S.formTitle),
      el("p", { class: "editor__hint", id: "assign-target", text: estate ? fmt(S.formEstate, { name: estate.name }) : S.formSelection }),
      where,
      el("label", { class: "editor__label" }, el("span", { class: "editor__label-text", text: S.provider }), kind),
      ...enterpriseRows,
      agencyRow,
      agencyHint,
      el("label", { class: "editor__label" }, el("span", { class: "editor__label-text", text: S.startDate }), start),
      el("label", { class: "editor__label" }, el("span", { class: "editor__label-text", text: S.endDate }), end),
      el("label", { class: "editor__label" }, el("span", { class: "editor__label-text", text: S.note }), note),
      el("label", { class: "service__check" }, replace, el("span", { text: S.replace })),
      el("div", { class: "editor__buttons" },
        checkButton, submit),
      status);
    if (estate) highlightTarget(estate.id);

    // The streets of the selection, and only the caretaker agencies that may serve there (a street-run agency
    // serves its own street only; docs/SERVICE_API.md "Rules"). The server refuses the others all the same.
    const query = estate ? { estate_ids: [estate.id] } : { selection: shape, start_date: start.value };
    api(apiConfig, service.urls.selection, { method: "POST", json: query })
      .then((data) => {
        if (!card.contains(where)) return; // the form was closed or replaced meanwhile
        const names = data.streets.map((s) => s.name);
        where.textContent = data.count
          ? fmt(S.selectionStreets, { count: nf.format(data.count), streets: names.join(S.listSeparator) })
          : S.selectionEmpty;
        card.dataset.streets = data.streets.map((s) => s.id).join(",");
        const allowed = new Set(data.agency_ids.map(String));
        for (const option of [...agency.options]) {
          if (option.value && !allowed.has(option.value)) option.remove();
        }
        severalStreets = data.streets.length > 1;
        sync();
      })
      .catch((error) => { where.textContent = error.message || S.loadFailed; });
  }

  function highlightTarget(id) {
    if (!listed.has(id)) return; // not on this list (e.g. opened from the candidates): keep what is drawn
    clearTarget();
    targetLayer.clearLayers();
    card.dataset.targetEstate = String(id);
    const found = [];
    worklistLayer.eachLayer((layer) => { if (layer.feature.properties.id === id) found.push(layer.feature); });
    if (found.length) {
      targetLayer.addLayer(L.geoJSON(found[0], { style: () => SELECTED_STYLE, interactive: false }));
    } else { // on the list but not on this page: outlined on the tiles
      tileTarget = id;
      worklistTiles.setFeatureStyle(id, SELECTED_STYLE);
    }
  }

  function clearTarget() {
    if (tileTarget !== null) worklistTiles.resetFeatureStyle(tileTarget);
    tileTarget = null;
    delete card.dataset.targetEstate;
  }

  // ---- nearby candidates -----------------------------------------------------------------------------------
  function openCandidates(id) {
    clearSelection();
    candidateLayer.clearLayers();
    clearTarget();
    showWorklist(false); // the candidates' territories are easier to read without the list's outlines
    showCard("candidates", header(S.nearby), el("p", { text: S.loading }));
    return api(apiConfig, fillTemplate(service.urls.candidates, { id }))
      .then((data) => {
        const estate = data.estate;
        targetLayer.clearLayers();
        targetLayer.addLayer(L.geoJSON(estate.geometry, { style: () => SELECTED_STYLE, interactive: false }));
        const centre = targetLayer.getBounds().getCenter();
        data.features.forEach((feature, index) => {
          const colour = CANDIDATE_COLOURS[index % CANDIDATE_COLOURS.length];
          if (!feature.geometry) return;
          const shape = L.geoJSON(feature, {
            style: () => ({ color: colour, weight: 3.5, dashArray: "8 4", fillColor: colour, fillOpacity: 0.06 }),
          });
          shape.bindTooltip(() => textLines(`${feature.properties.rank}. ${feature.properties.name}`), { sticky: true });
          candidateLayer.addLayer(shape);
          // The rank, pinned on the part of the territory nearest the estate.
          let nearest = null;
          shape.eachLayer((layer) => {
            for (const part of layer.getLatLngs().flat(0)) {
              const bounds = L.latLngBounds(Array.isArray(part[0]) ? part[0] : part);
              const d = bounds.getCenter().distanceTo(centre);
              if (!nearest || d < nearest.d) nearest = { d, at: bounds.getCenter() };
            }
          });
          if (nearest) {
            candidateLayer.addLayer(L.marker(nearest.at, {
              interactive: false,
              icon: L.divIcon({ className: "service__rank", html: el("span", { text: String(feature.properties.rank) }),
                iconSize: [22, 22] }),
            }));
          }
        });
        // The estate and its surroundings (the territories are district-wide; the estate is what matters).
        const bounds = targetLayer.getBounds();
        if (bounds.isValid()) map.fitBounds(bounds.pad(2.5), FIT);
        const p = (f) => f.properties;
        const list = data.features.length
          ? el("ol", { class: "service__candidates", id: "candidate-list" },
            data.features.map((f, index) => el("li", {
              class: "service__candidate-row", "data-enterprise-id": String(p(f).enterprise_id), "data-rank": String(p(f).rank),
              "data-distance": String(p(f).distance_m),
            },
            el("span", { class: "service__swatch", style: { background: CANDIDATE_COLOURS[index % CANDIDATE_COLOURS.length] } }),
            el("div", { class: "service__candidate-main" },
              el("strong", { text: `${p(f).rank}. ${p(f).name}` }),
              el("div", { class: "service__row-sub", text: [
                `${S.distance} ${fmt(S.metres, { value: nf.format(Math.round(p(f).distance_m)) })}`,
                `${S.grade} ${p(f).grade}`,
                `${S.load} ${nf.format(p(f).households_served)}`,
                `${S.score} ${p(f).score.toFixed(2)}`].join(" · ") })),
            service.canAssign ? el("button", { type: "button", class: "btn-secondary", "data-action": "pick", text: S.pick,
              onclick: () => openForm({ estate: { id: estate.id, name: estate.name }, enterpriseId: p(f).enterprise_id,
                mode: "nearby", keepCandidates: true }) }) : null)))
          : el("p", { text: S.noCandidates });
        showCard("candidates", header(fmt(S.candidatesTitle, { name: estate.name })),
          el("p", { class: "editor__hint", text: S.candidatesHint }), list);
        card.dataset.estateId = String(estate.id);
      })
      .catch((error) => showCard("candidates", header(S.nearby), el("p", { class: "editor__status is-error", text: error.message })));
  }

  // ---- history ---------------------------------------------------------------------------------------------
  function openHistory(id) {
    clearSelection();
    candidateLayer.clearLayers();
    showCard("history", header(S.history), el("p", { text: S.loading }));
    return api(apiConfig, fillTemplate(service.urls.contracts, { id }))
      .then((data) => {
        const items = data.contracts.map((c) => {
          const active = !c.end_date || c.end_date > today();
          const endForm = service.canEnd && active ? endControls(c, id) : null;
          return el("li", { class: "service__history-row", "data-contract-id": String(c.id) },
            el("strong", { text: c.provider }),
            el("div", { class: "service__row-sub", text: `${c.start_date} → ${c.end_date || S.unlimited} · ${c.mode_label}` }),
            c.note ? el("div", { class: "service__row-detail", text: c.note }) : null,
            endForm);
        });
        const changes = data.changes.map((ch) => el("li", { "data-change-id": String(ch.id) },
          el("span", { class: "service__row-sub", text: `${ch.at.slice(0, 10)} · ${ch.action_label} · ${ch.user || "—"}` }),
          ch.reason ? el("span", { class: "service__row-detail", text: ` ${ch.reason}` }) : null));
        showCard("history", header(fmt(S.historyTitle, { name: data.estate.name })),
          items.length ? el("ol", { class: "service__history" }, items) : el("p", { text: S.noHistory }),
          changes.length ? el("h3", { class: "service__subtitle", text: S.changes }) : null,
          changes.length ? el("ul", { class: "service__changes" }, changes) : null);
      })
      .catch((error) => showCard("history", header(S.history), el("p", { class: "editor__status is-error", text: error.message })));
  }

  function endControls(contract, estateId) {
    const date = el("input", { type: "date", value: today(), "aria-label": S.endOn, "data-field": "end_date" });
    const reason = el("input", { type: "text", placeholder: S.endReason, "aria-label": S.endReason, "data-field": "reason", maxlength: "200" });
    const status = el("div", { class: "editor__status", role: "status" });
    return el("div", { class: "service__end" }, date, reason,
      el("button", { type: "button", class: "btn-danger", "data-action": "end", text: S.endContract,
        onclick: () => api(apiConfig, fillTemplate(service.urls.end, { id: contract.id }), {
          method: "POST", json: { end_date: date.value, reason: reason.value },
        }).then(() => {
          layers.refresh("estates");
          layers.refresh("jurisdictions");
          load();
          return openHistory(estateId);
        }).catch((error) => { status.textContent = error.message; status.className = "editor__status is-error"; }) }),
      status);
  }

  // ---- start -----------------------------------------------------------------------------------------------
  function fitHome() {
    // The user's own area first (street, district or city: config.home, as on the main map); else the district
    // outlines the user sees.
    const home = config.home ? bboxToBounds(config.home.bbox) : null;
    return (home ? Promise.resolve(home) : layers.districtBounds()).then((bounds) => {
      if (bounds && bounds.isValid()) {
        const zoom = Math.max(map.getBoundsZoom(bounds, false, L.point(32, 32)), 11.5);
        map.setView(bounds.getCenter(), Math.min(zoom, map.getMaxZoom()), { animate: false });
        layers.setDistrictZoom(zoom);
      }
    });
  }

  window.geoappService = { load, openForm, openCandidates, openHistory, layers };
  // A street office's lists cover its street only: show that street rather than the whole district.
  fitHome()
    .then(() => load({ fit: Boolean(service.ownStreet) }))
    .finally(() => {
      const estate = Number(new URLSearchParams(window.location.search).get("estate"));
      if (estate) openCandidates(estate);
      document.body.setAttribute("data-map-ready", "true");
    });
}

window.addEventListener("map:init", (event) => {
  if (event.detail && event.detail.id === "service-map") setup(event.detail.map);
});
