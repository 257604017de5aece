// One takeover plan (/plans/<id>/): bundles on the map and in a list (easy first), enterprise picking from ranked
// candidates, editing bundles by clicking estates, coverage before/after per street, approval, versions.
// The plan comes in its compact page form (?view=page: bundle rows, no outlines); the estates and the enterprises'
// territories are vector tiles of the plan (/plans/<id>/tiles/plan/…: both layers in one tile), styled here from the
// plan's bundles, so an edit restyles the drawn estates without fetching anything but the plan. The tiles, the
// coverage and the versions are asked beside the plan's JSON (which the page preloads), not after it.
import "./compat.js";
import { api, ApiError, fmt } from "./api.js";
import { bboxToBounds, el, fillTemplate, textLines } from "./dom.js";
import { numberFormat } from "./format.js";
import { zoomOneLevelPerNotch } from "./layers.js";

const L = window.L;
const config = JSON.parse(document.getElementById("plan-config").textContent);
const S = config.strings;
const root = document.getElementById("plan");
const number = numberFormat({ maximumFractionDigits: 0 });
const n = (value) => number.format(value);
const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
// Territories are unions of many estates: a flat tint without outlines reads as one service area.
const TERRITORY_STYLE = { stroke: false, fill: true, fillColor: "#4f6d8a", fillOpacity: 0.16 };
const LABEL_ZOOM = 14;
const FEW_BUNDLES = 60; // numbered at every zoom
const STREET_STYLE = { color: "#4a4a4a", weight: 2, fill: false, interactive: false };

const state = {
  plan: null, // the plan JSON (summary + bundle_rows)
  bundles: new Map(), // bundle id → {id, number, rank, households, …, estate_ids, label_point, bbox}, easy first
  estateBundle: new Map(), // estate id → bundle id
  free: new Set(), // uncovered estates of the plan's scope in no bundle
  seen: new Map(), // estate id → its tile attributes (id, status; name and households when zoomed in)
  enterprises: {}, // enterprise id → [name, grade, list status]
  selected: null, // bundle id
  editing: false,
  creating: null, // Set of estate ids while a new bundle is being picked
  busy: false,
  listed: null, // settles when the list has all its rows
};

function estatesText(count) {
  return count === 1 ? S.oneEstate : fmt(S.estates, { n: n(count) });
}

// A bundle's colour follows its number, which edits never change (the rank does).
function colourOf(bundleNumber) {
  return config.palette[(bundleNumber - 1) % config.palette.length];
}

function message(text, { error = false, problems = [] } = {}) {
  const box = document.getElementById("plan-message");
  box.replaceChildren();
  box.className = `plan__message${error ? " plan__message--error" : ""}`;
  box.setAttribute("role", error ? "alert" : "status");
  box.dataset.problems = problems.map((p) => p.code).join(" ");
  if (!text) return;
  if (problems.length > 1) {
    box.append(el("ul", {}, problems.map((p) => el("li", { "data-code": p.code, text: p.message }))));
  } else {
    box.append(el("span", { text, "data-code": problems.length ? problems[0].code : null }));
  }
}

// --- map ---------------------------------------------------------------------------------------------------------

let map = null;
let estateLayer = null;
let drawnKey = null; // the tiles key of the drawn tiles
let labelLayer = null;
const tooltip = L.tooltip({ sticky: true, direction: "top", offset: [0, -6] });
let hovered = null; // {kind: "estate"|"territory", props, latlng} under the pointer

const HIDDEN = { stroke: false, fill: false };

function estateStyle(props) {
  const bundleId = state.estateBundle.get(props.id);
  const pending = state.creating && state.creating.has(props.id);
  if (pending) return { color: "#111", weight: 2.5, fill: true, fillColor: "#ffd54f", fillOpacity: 0.8 };
  if (bundleId !== undefined) {
    const bundle = state.bundles.get(bundleId);
    const selected = bundleId === state.selected;
    return {
      color: selected ? "#111" : colourOf(bundle.number), weight: selected ? 2.5 : 1, fill: true,
      fillColor: colourOf(bundle.number), fillOpacity: props.status === "enterprise" ? 0.85 : 0.6,
    };
  }
  if (props.status && props.status !== "none") {
    return { color: config.statusColours[props.status], weight: 1, fill: true,
      fillColor: config.statusColours[props.status], fillOpacity: 0.5 };
  }
  if (!state.free.has(props.id)) return HIDDEN; // served from a later date on: not the plan's
  return { color: config.statusColours.none, weight: 1, dashArray: "3 2", fill: true, fillColor: "#ffffff",
    fillOpacity: 0.35 };
}

function restyle() {
  if (estateLayer) {
    for (const [id, props] of state.seen) estateLayer.setFeatureStyle(id, estateStyle(props));
  }
  labelLayer.clearLayers();
  // A district plan has hundreds of bundles: then their numbers only from LABEL_ZOOM on, and the selected one's.
  const all = state.bundles.size <= FEW_BUNDLES || map.getZoom() >= LABEL_ZOOM;
  for (const b of state.bundles.values()) {
    if (!b.label_point || (!all && b.id !== state.selected)) continue;
    const [lon, lat] = b.label_point;
    L.marker([lat, lon], {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: "bundle-label",
        html: el("span", { style: { "border-color": colourOf(b.number) }, "data-bundle-number": b.number,
          text: String(b.number) }), iconSize: null }),
    }).addTo(labelLayer);
  }
  refreshTooltip();
}

function estateTooltip(props) {
  const bundleId = state.estateBundle.get(props.id);
  const where = bundleId !== undefined ? fmt(S.inBundle, { number: state.bundles.get(bundleId).number })
    : props.status && props.status !== "none" ? config.statusLabels[props.status] : S.free;
  const name = props.name ? `${props.name} · ${n(props.households)} ${S.households}` : null;
  return textLines(name, where);
}

function territoryTooltip(props) {
  const [name, grade] = state.enterprises[props.enterprise_id] || ["", ""];
  return textLines(fmt(S.territory, { name, grade }));
}

// The one tooltip of the map, rebuilt from the plan as it is now: on hover, and after every change of the plan.
function refreshTooltip() {
  if (!hovered || !map.hasLayer(tooltip)) return;
  const content = hovered.kind === "estate" ? estateTooltip(hovered.props) : territoryTooltip(hovered.props);
  tooltip.setContent(content);
  tooltip.getElement()?.setAttribute("data-estate-id", hovered.kind === "estate" ? hovered.props.id : "");
}

function hover(kind, event) {
  const props = event.layer && event.layer.properties;
  if (!props) return;
  if (kind === "territory" && hovered && hovered.kind === "estate") return; // the estate above wins
  if (kind === "estate" && estateStyle(props) === HIDDEN) return;
  hovered = { kind, props, latlng: event.latlng };
  tooltip.setLatLng(event.latlng);
  if (!map.hasLayer(tooltip)) tooltip.addTo(map);
  refreshTooltip();
}

function unhover(kind) {
  if (!hovered || hovered.kind !== kind) return;
  hovered = null;
  tooltip.remove();
}

function tilesKey() {
  // What the tiles hold, named by the server (plan_tiles_key): an edit of the bundles keeps it, an approval (the
  // estates' new statuses) or a change of the data changes it. Before the plan's JSON is there, the page's.
  return state.plan ? state.plan.tiles_key : root.dataset.tilesKey;
}

function tileUrl(layer) {
  return `${fillTemplate(config.tiles, { layer })}?v=${tilesKey()}`;
}

function pane(name, zIndex) {
  const found = map.getPane(name) || map.createPane(name);
  found.style.zIndex = String(zIndex);
  return name;
}

function tileLayer(layer, options) {
  // 512-pixel tiles: a quarter of the requests. The tile at zoom z of 512 pixels is the server's tile of zoom z − 1.
  return L.vectorGrid.protobuf(tileUrl(layer), {
    rendererFactory: L.svg.tile, interactive: true, maxZoom: map.getMaxZoom(), attribution: "", tileSize: 512,
    tileZoom: (data) => data.z - 1, ...options,
  });
}

// What a feature of the plan's tiles is: an enterprise's territory (enterprise_id) or an estate (id, status).
function kindOf(event) {
  const props = event.layer && event.layer.properties;
  return props && props.enterprise_id !== undefined ? "territory" : "estate";
}

function drawMap() {
  // One tile layer, "plan": the territories and the estates in one tile, the territories first (drawn beneath).
  if (estateLayer) estateLayer.remove();
  drawnKey = tilesKey();
  state.seen.clear();
  estateLayer = tileLayer("plan", {
    pane: pane("plan-estates", 390),
    getFeatureId: (f) => f.properties.id,
    vectorTileLayerStyles: {
      territories: TERRITORY_STYLE,
      estates: (props) => {
        const known = state.seen.get(props.id);
        // A tile of a higher zoom brings the name: keep the richest attributes seen.
        if (!known || props.name !== undefined) state.seen.set(props.id, props);
        return estateStyle(props);
      },
    },
  });
  estateLayer.on("mouseover", (e) => hover(kindOf(e), e));
  estateLayer.on("mouseout", (e) => unhover(kindOf(e)));
  // On every move, not only on entering: a restyled estate under a still pointer gets its tooltip back at once.
  estateLayer.on("mousemove", (e) => hover(kindOf(e), e));
  estateLayer.on("click", (e) => {
    const props = e.layer && e.layer.properties;
    if (props && kindOf(e) === "estate") onEstateClick(state.seen.get(props.id) || props);
  });
  estateLayer.on("loading", () => { root.dataset.estateTiles = "loading"; });
  estateLayer.on("load", () => { root.dataset.estateTiles = "loaded"; });
  estateLayer.addTo(map);
}

// --- plan state --------------------------------------------------------------------------------------------------

function bundlesOf(plan) {
  const { columns, rows } = plan.bundle_rows;
  return rows.map((row) => {
    const b = Object.fromEntries(columns.map((name, i) => [name, row[i]]));
    b.estate_count = b.estate_ids.length;
    b.enterprise = b.enterprise_id ? (plan.bundle_rows.enterprises[b.enterprise_id] || [])[0] : null;
    return b;
  });
}

function setPlan(plan) {
  state.plan = plan;
  state.enterprises = plan.bundle_rows.enterprises;
  state.bundles = new Map(bundlesOf(plan).map((b) => [b.id, b]));
  state.estateBundle = new Map();
  for (const b of state.bundles.values()) for (const id of b.estate_ids) state.estateBundle.set(id, b.id);
  state.free = new Set(plan.free_estate_ids);
  if (state.selected !== null && !state.bundles.has(state.selected)) state.selected = null;
  root.dataset.version = plan.version;
  root.dataset.status = plan.status;
  if (estateLayer && plan.tiles_key !== drawnKey) drawMap(); // other tiles: an approval, a change of the data
  root.dataset.bundles = state.bundles.size;
  config.canEdit = plan.can_edit;
  document.getElementById("plan-version").textContent = `v${plan.version}`;
  const badge = document.getElementById("plan-status");
  badge.textContent = plan.status_label;
  badge.className = `pl-badge pl-badge--${plan.status}`;
  if (!plan.can_edit) {
    for (const id of ["approve-plan", "new-bundle", "discard-plan"]) document.getElementById(id)?.remove();
    state.editing = false;
    state.creating = null;
  }
  renderSummary();
  state.listed = renderBundles();
  renderSelected();
  if (labelLayer) restyle();
}

function missingEnterprise() {
  return [...state.bundles.values()].filter((b) => !b.enterprise_id);
}

function renderSummary() {
  const bundles = [...state.bundles.values()];
  const households = bundles.reduce((s, b) => s + b.households, 0);
  const missing = missingEnterprise().length;
  const parts = [estatesText(bundles.reduce((s, b) => s + b.estate_count, 0)), `${n(households)} ${S.households}`];
  if (missing && state.plan.status === "draft") parts.push(fmt(S.missingEnterprise, { n: n(missing) }));
  const summary = document.getElementById("plan-summary");
  summary.textContent = bundles.length ? parts.join(" · ") : S.noBundles;
  summary.dataset.households = households;
  summary.dataset.missing = missing;
}

// The list of a district plan has hundreds of rows: the first config.listFirst at once, the others in chunks when
// the browser is idle, so that the map and the rest of the page are not kept waiting (data-list="complete" then).
const LIST_FIRST = config.listFirst;
const LIST_CHUNK = 200;
let listRun = 0;
const idle = window.requestIdleCallback || ((callback) => setTimeout(callback, 1));

function bundleItem(b) {
  return el("li", {
    class: `bundle${b.id === state.selected ? " is-selected" : ""}`,
    "data-bundle-id": b.id, "data-number": b.number, "data-rank": b.rank, "data-enterprise-id": b.enterprise_id ?? "",
    "data-colour": colourOf(b.number),
    tabindex: 0, role: "button",
    onclick: () => select(b.id, { zoom: true }),
    onkeydown: (e) => { if (e.key === "Enter") select(b.id, { zoom: true }); },
  },
  el("span", { class: "bundle__rank", style: { background: colourOf(b.number) }, text: b.number }),
  el("span", { class: "bundle__body" },
    el("span", { class: "bundle__figures" },
      el("b", { "data-v": "households", text: n(b.households) }), ` ${S.households} · `,
      estatesText(b.estate_count), ` · ${n(b.floor_area)} m² · `,
      `${S.score} ${b.score.toFixed(2)}`),
    el("span", { class: `bundle__enterprise${b.enterprise ? "" : " is-missing"}`, text: b.enterprise || "—" })));
}

// The selection moves in the list as it is (rows not yet rendered take it from state.selected).
function markSelected() {
  for (const item of document.querySelectorAll("#bundle-list > li.is-selected")) item.classList.remove("is-selected");
  if (state.selected !== null) {
    document.querySelector(`#bundle-list > li[data-bundle-id="${state.selected}"]`)?.classList.add("is-selected");
  }
}

function renderBundles() {
  const list = document.getElementById("bundle-list");
  const bundles = [...state.bundles.values()];
  const run = ++listRun; // a newer rendering stops the chunks of an older one
  if (list.dataset.list === "complete") {
    // After an edit the list is there: rendered whole, so that it keeps its height and its scroll position.
    list.replaceChildren(...bundles.map(bundleItem));
    return Promise.resolve();
  }
  list.replaceChildren(...bundles.slice(0, LIST_FIRST).map(bundleItem));
  list.dataset.list = bundles.length > LIST_FIRST ? "partial" : "complete";
  const listed = new Promise((resolve) => {
    const more = (from) => {
      if (run !== listRun) return resolve();
      if (from >= bundles.length) {
        list.dataset.list = "complete";
        return resolve();
      }
      list.append(...bundles.slice(from, from + LIST_CHUNK).map(bundleItem));
      idle(() => more(from + LIST_CHUNK));
    };
    idle(() => more(LIST_FIRST));
  });
  return listed;
}

async function loadCandidates(bundle, select) {
  select.replaceChildren(el("option", { value: "", text: S.loadingCandidates }));
  try {
    const data = await api(config, config.api.candidates.replace("{id}", bundle.id));
    const options = [el("option", { value: "", text: S.noEnterprise })];
    const ids = new Set();
    for (const c of data.candidates) {
      ids.add(c.enterprise_id);
      options.push(el("option", { value: c.enterprise_id, "data-rank": c.rank, text: `${c.rank}. ${fmt(S.candidate, {
        name: c.name, grade: c.grade, distance: n(Math.round(c.distance_m)),
        households: n(c.households_served) })}` }));
    }
    if (bundle.enterprise_id && !ids.has(bundle.enterprise_id)) {
      options.push(el("option", { value: bundle.enterprise_id, text: bundle.enterprise }));
    }
    if (!data.candidates.length) options[0].textContent = S.noCandidates;
    select.replaceChildren(...options);
    select.value = bundle.enterprise_id ?? "";
    select.dataset.loaded = "true";
  } catch (error) {
    select.replaceChildren(el("option", { value: "", text: error.message }));
  }
}

function renderSelected() {
  const panel = document.getElementById("selected-panel");
  const bundle = state.creating ? null : state.bundles.get(state.selected);
  const body = document.getElementById("selected-body");
  const title = document.getElementById("selected-title");
  if (state.creating) {
    panel.hidden = false;
    title.textContent = S.newBundle;
    const ids = [...state.creating];
    const households = ids.reduce((s, id) => s + (state.seen.get(id)?.households || 0), 0);
    body.replaceChildren(
      el("p", { class: "plan__note", text: S.newBundleHint }),
      el("p", { id: "new-bundle-selection", "data-count": ids.length, "data-households": households,
        text: fmt(S.selection, { n: n(ids.length), households: n(households) }) }),
      el("div", { class: "plan__actions" },
        el("button", { type: "button", class: "btn-primary", id: "create-bundle", disabled: ids.length === 0,
          onclick: createBundle, text: S.createBundle }),
        el("button", { type: "button", class: "btn-secondary", onclick: () => { state.creating = null; restyle();
          renderSelected(); }, text: S.cancel })),
    );
    return;
  }
  if (!bundle) {
    panel.hidden = true;
    state.editing = false;
    return;
  }
  panel.hidden = false;
  panel.dataset.bundleId = bundle.id;
  title.textContent = fmt(S.bundle, { number: bundle.number });
  const figures = el("p", { class: "plan__figures" },
    `${n(bundle.households)} ${S.households} · ${estatesText(bundle.estate_count)} · `,
    `${n(bundle.floor_area)} m² · ${S.score} ${bundle.score.toFixed(2)}`,
    bundle.contracts ? ` · ${fmt(S.contracts, { n: n(bundle.contracts) })}` : "");
  const children = [figures];
  if (config.canEdit) {
    const picker = el("select", { id: "enterprise-picker", "aria-label": S.enterprise,
      onchange: (e) => patchBundle(bundle.id, { enterprise_id: e.target.value ? Number(e.target.value) : null }) });
    children.push(el("label", { class: "plan__label", for: "enterprise-picker", text: S.enterprise }), picker);
    loadCandidates(bundle, picker);
    children.push(el("div", { class: "plan__actions" },
      el("button", { type: "button", class: state.editing ? "btn-primary" : "btn-secondary", id: "edit-bundle",
        "aria-pressed": state.editing ? "true" : "false",
        onclick: () => { state.editing = !state.editing; root.dataset.editing = state.editing; renderSelected(); },
        text: state.editing ? S.stopEdit : S.edit }),
      el("button", { type: "button", class: "btn-danger", id: "delete-bundle", onclick: () => deleteBundle(bundle),
        text: S.deleteBundle })));
    if (state.editing) children.push(el("p", { class: "plan__note", text: S.editHint }));
  } else {
    children.push(el("p", {}, `${S.enterprise}: `, el("b", { id: "bundle-enterprise", text: bundle.enterprise || "—" })));
  }
  body.replaceChildren(...children);
}

function fitAll() {
  const [[south, west], [north, east]] = config.bounds;
  map.fitBounds([[south, west], [north, east]], { padding: [20, 20], animate: false });
}
state.fitAll = fitAll;

function select(bundleId, { zoom = false } = {}) {
  if (state.creating) return;
  if (state.selected !== bundleId) state.editing = false;
  state.selected = bundleId;
  root.dataset.selected = bundleId ?? "";
  root.dataset.editing = state.editing;
  markSelected();
  renderSelected();
  restyle();
  if (zoom && bundleId !== null) {
    // From the list: bring the bundle into view unless it already is.
    const bounds = bboxToBounds(state.bundles.get(bundleId)?.bbox);
    if (bounds && (!map.getBounds().contains(bounds) || map.getZoom() < LABEL_ZOOM)) {
      map.fitBounds(bounds, { padding: [60, 60], maxZoom: 16, animate: false });
    }
  }
}

// --- writes ------------------------------------------------------------------------------------------------------

const PAGE_VIEW = "view=page";

function pageUrl(url) {
  return `${url}${url.includes("?") ? "&" : "?"}${PAGE_VIEW}`;
}

async function write(url, options, okText) {
  if (state.busy) return null;
  state.busy = true;
  root.dataset.busy = "true";
  try {
    const plan = await api(config, pageUrl(url), options);
    setPlan(plan);
    message(fmt(okText || S.saved, { version: plan.version }));
    await Promise.all([loadCoverage(), loadVersions()]);
    return plan;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      await reload();
      message(`${error.message} ${S.conflict}`, { error: true });
    } else {
      message(error.message, { error: true, problems: (error.body && error.body.problems) || [] });
    }
    return null;
  } finally {
    state.busy = false;
    root.dataset.busy = "false";
  }
}

function patchBundle(bundleId, changes) {
  return write(config.api.bundle.replace("{id}", bundleId), {
    method: "PATCH", json: { version: state.plan.version, ...changes } });
}

function estateLabel(props) {
  return props.name || fmt(S.estateNumber, { id: props.id });
}

function onEstateClick(props) {
  if (!config.canEdit) {
    const bundleId = state.estateBundle.get(props.id);
    if (bundleId !== undefined) select(bundleId);
    return;
  }
  if (state.creating) {
    if (state.estateBundle.has(props.id) || !state.free.has(props.id)) return;
    if (state.creating.has(props.id)) state.creating.delete(props.id);
    else state.creating.add(props.id);
    restyle();
    renderSelected();
    return;
  }
  const bundleId = state.estateBundle.get(props.id);
  if (!state.editing || state.selected === null) {
    if (bundleId !== undefined) select(bundleId);
    return;
  }
  if (bundleId === state.selected) {
    patchBundle(state.selected, { remove: [props.id] });
  } else if (bundleId !== undefined) {
    const from = state.bundles.get(bundleId).number;
    const to = state.bundles.get(state.selected).number;
    if (window.confirm(fmt(S.moveConfirm, { estate: estateLabel(props), from, to }))) {
      patchBundle(state.selected, { move: [props.id] });
    }
  } else if (state.free.has(props.id)) {
    patchBundle(state.selected, { add: [props.id] });
  }
}

async function createBundle() {
  const ids = [...state.creating];
  const plan = await write(config.api.bundles, { method: "POST", json: { version: state.plan.version, estates: ids } });
  if (plan) {
    state.creating = null;
    select(plan.bundle_id ?? null);
  }
}

async function deleteBundle(bundle) {
  if (!window.confirm(fmt(S.deleteConfirm, { number: bundle.number }))) return;
  state.selected = null;
  await write(`${config.api.bundle.replace("{id}", bundle.id)}?version=${state.plan.version}`, { method: "DELETE" });
}

async function approve() {
  const bundles = [...state.bundles.values()];
  const missing = missingEnterprise();
  if (missing.length) {
    // Approval needs an enterprise for every bundle: say how many are missing, and show the first of them.
    window.alert(fmt(S.approveMissing, { n: n(missing.length),
      numbers: missing.map((b) => `#${b.number}`).slice(0, 20).join(", ") }));
    select(missing[0].id, { zoom: true });
    return;
  }
  const text = fmt(S.approveConfirm, { name: state.plan.name, n: n(bundles.reduce((s, b) => s + b.estate_count, 0)),
    bundles: n(bundles.length), date: state.plan.start_date });
  if (!window.confirm(text)) return;
  const plan = await write(config.api.approve, { method: "POST", json: { version: state.plan.version } }, S.approved);
  // The estates now have their contracts: setPlan() has redrawn them with their status on the start date.
  if (plan) root.dataset.mapStatus = plan.status;
}

async function discard() {
  if (!window.confirm(S.discardConfirm)) return;
  await write(`${config.api.plan}?version=${state.plan.version}`, { method: "DELETE" });
}

// --- coverage and versions ---------------------------------------------------------------------------------------

function coverageRow(row, tag = "td") {
  return el("tr", { "data-street-id": row.id ?? "" },
    el(tag, { text: row.name }),
    el("td", { class: "num", "data-v": "before", text: pct(row.before.socialised_rate_households) }),
    el("td", { class: `num${row.moved.households ? " is-up" : ""}`, "data-v": "after",
      text: pct(row.after.socialised_rate_households) }),
    el("td", { class: "num", "data-v": "moved", text: n(row.moved.households) }),
    el("td", { class: "num", "data-v": "uncovered-after", text: n(row.after.uncovered_estates) }));
}

async function loadCoverage() {
  const data = await api(config, config.api.coverage);
  const table = document.getElementById("coverage-table");
  table.tBodies[0].replaceChildren(...data.streets.map((r) => coverageRow(r)));
  // One street (a street's plan): its row is the total already.
  table.tFoot.replaceChildren(...(data.streets.length > 1 ? [coverageRow(data.total, "th")] : []));
  table.dataset.asApproved = data.as_approved ? "true" : "false";
  table.dataset.movedHouseholds = data.total.moved.households;
  document.getElementById("coverage-note").textContent = data.date;
}

async function loadVersions() {
  const data = await api(config, config.api.versions);
  document.getElementById("version-list").replaceChildren(...data.versions.map((v) => el("li", {
    "data-version": v.version,
    text: fmt(S.versionLine, { version: v.version, when: (v.saved_at || "").slice(0, 16).replace("T", " "),
      user: v.user || "—", note: v.note }) })));
}

async function reload() {
  setPlan(await api(config, pageUrl(config.api.plan)));
  await Promise.all([loadCoverage(), loadVersions()]);
}

// --- start -------------------------------------------------------------------------------------------------------

function addLegend() {
  const Legend = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: () => el("div", { class: "plan-legend" },
      el("div", {}, el("i", { style: { background: config.palette[0] } }), el("i", { style: { background: config.palette[1] } }),
        el("i", { style: { background: config.palette[2] } }), ` ${S.legendBundle}`),
      el("div", {}, el("i", { class: "is-free", style: { "border-color": config.statusColours.none } }), ` ${S.free}`),
      el("div", {}, el("i", { style: { background: "rgba(79,109,138,.3)" } }), ` ${S.legendTerritory}`),
      el("div", {}, el("i", { class: "is-line" }), ` ${S.legendStreet}`)),
  });
  new Legend().addTo(map);
}

async function drawStreets() {
  try {
    const data = await api(config, config.api.streets);
    L.geoJSON(data, { style: STREET_STYLE, interactive: false }).addTo(map).bringToBack();
  } catch (error) {
    // the boundaries are context only; the plan works without them
  }
}

async function setup(leafletMap) {
  map = leafletMap;
  addLegend();
  window.geoappMap = map; // for the browser tests' pixel helper, as on the main map
  window.geoappPlan = state;
  if (map.attributionControl) map.attributionControl.setPrefix(false);
  map.options.zoomSnap = 0.5;
  zoomOneLevelPerNotch(map);
  labelLayer = L.layerGroup().addTo(map);
  // The map moves under the pointer: what was hovered is no longer there (its tile may be gone).
  map.on("movestart", () => { hovered = null; tooltip.remove(); });
  let labelled = null;
  map.on("zoomend", () => {
    const now = map.getZoom() >= LABEL_ZOOM;
    if (state.plan && now !== labelled) restyle();
    labelled = now;
  });
  document.getElementById("approve-plan")?.addEventListener("click", approve);
  document.getElementById("discard-plan")?.addEventListener("click", discard);
  document.getElementById("new-bundle")?.addEventListener("click", () => {
    state.creating = new Set();
    state.selected = null;
    state.editing = false;
    markSelected();
    renderSelected();
    restyle();
  });
  fitAll();
  // The tiles (addressed by the plan's id and version, both in the page), the coverage, the versions and the
  // streets do not need the plan's JSON: they are all asked at once, beside it (the map is styled from the plan
  // when it comes: restyle()).
  drawMap();
  const coverage = loadCoverage();
  const versions = loadVersions();
  const streets = drawStreets();
  try {
    const plan = await firstPlan;
    setPlan(plan); // redraws the tiles if they changed since the page was served
    await Promise.all([coverage, versions, streets, state.listed]);
    root.dataset.ready = "true";
  } catch (error) {
    message(`${S.loadFailed} ${error.message}`, { error: true });
    root.dataset.ready = "error";
  }
}

// Asked as soon as this module runs, before the map is made (when the document is parsed: plan_detail.html).
const firstPlan = api(config, pageUrl(config.api.plan));
firstPlan.catch(() => {}); // reported by setup()

window.addEventListener("map:init", (event) => {
  if (event.detail && event.detail.id === "plan-map") setup(event.detail.map);
});
