// The planner's management-area editor (rule 2): draw, reshape, drag, cut, split, merge, with snapping to the
// neighbouring areas, validation before saving, conflicts (409) shown side by side, undo/redo and history.
// Endpoints: docs/EDIT_API.md. The areas on the map come from vector tiles, which cannot be snapped to, so
// the areas around the view are loaded as GeoJSON at editing zooms: they are the snap targets and what is edited.
import { api, ApiError, fmt } from "./api.js";
import { el, fillTemplate, textLines } from "./dom.js";
import { fmtDateTime, fmtInt } from "./format.js";
import { createHistory } from "./history.js";

const L = window.L;
const SNAP = { snappable: true, snapDistance: 15 };
const EDIT_OPTIONS = { ...SNAP, allowSelfIntersection: false, draggable: false };
const STYLE = {
  neighbour: { color: "#37474F", weight: 1.6, opacity: 0.9, fill: true, fillColor: "#37474F", fillOpacity: 0.06 },
  selected: { color: "#1F5F99", weight: 3.5, opacity: 1, fill: true, fillColor: "#1F5F99", fillOpacity: 0.16 },
  mergeTarget: { color: "#00838F", weight: 3.5, opacity: 1, fill: true, fillColor: "#00838F", fillOpacity: 0.22 },
  editing: { color: "#1565C0", weight: 3, opacity: 1, fill: true, fillColor: "#1565C0", fillOpacity: 0.18 },
  theirs: { color: "#E65100", weight: 3.5, opacity: 1, fill: true, fillColor: "#E65100", fillOpacity: 0.14, dashArray: "9 5" },
  merged: { color: "#2E7D32", weight: 3.5, opacity: 1, fill: true, fillColor: "#2E7D32", fillOpacity: 0.2 },
  problem: { color: "#D50000", weight: 2.5, opacity: 1, fill: true, fillColor: "#D50000", fillOpacity: 0.5 },
  splitLine: { color: "#AD1457", weight: 4, opacity: 1, dashArray: "2 6", lineCap: "round" },
  // A merge's preview: the merged boundary dashed, the gap it fills in orange.
  mergedOutline: { color: "#004D40", weight: 3, opacity: 1, fill: false, dashArray: "10 6" },
  bridge: { color: "#E65100", weight: 1.5, opacity: 1, fill: true, fillColor: "#FF9800", fillOpacity: 0.6 },
};
const PANES = { "geoapp-edit-areas": 440, "geoapp-edit-overlay": 445, "geoapp-edit-active": 450 };

function geometryToLatLngs(geometry) {
  if (geometry.type === "Polygon") return L.GeoJSON.coordsToLatLngs(geometry.coordinates, 1);
  if (geometry.type === "MultiPolygon") {
    // One part is edited as a plain polygon (what Geoman handles best); several parts as a multipolygon.
    if (geometry.coordinates.length === 1) return L.GeoJSON.coordsToLatLngs(geometry.coordinates[0], 1);
    return L.GeoJSON.coordsToLatLngs(geometry.coordinates, 2);
  }
  throw new Error(`not a polygon: ${geometry.type}`);
}

/** The layer's geometry at full precision: a vertex snapped to a neighbour's must stay exactly on it. */
function geometryOf(layer) {
  return layer.toGeoJSON(false).geometry;
}

export function initEditor(map, config, layers) {
  const permissions = config.permissions || {};
  if (!permissions.canEditAreas || !map.pm || !config.api) return null;
  const s = config.editStrings;
  // The zoom from which the areas are edited comes with the layer's entry (layers/catalogue.py).
  const EDIT_MIN_ZOOM = config.layers.find((def) => def.id === "management_areas").editMinZoom;

  // Only layers created with pmIgnore: false (the edited area) take part in Geoman's global modes; the other
  // layers stay untouched. The map itself was created before, so it keeps its map.pm.
  L.PM.setOptIn(true);
  map.pm.setLang((document.documentElement.lang || "").startsWith("zh") ? "zh" : "en");
  map.pm.setGlobalOptions({
    ...SNAP,
    allowSelfIntersection: false,
    templineStyle: { color: "#1565C0", weight: 2.5 },
    hintlineStyle: { color: "#1565C0", dashArray: [5, 5] },
    pathOptions: { ...STYLE.editing },
  });
  for (const [name, z] of Object.entries(PANES)) {
    const pane = map.getPane(name) || map.createPane(name);
    pane.style.zIndex = String(z);
  }

  // ---- state ----
  const state = {
    open: false,
    selected: null, // the chosen area (Feature)
    session: null, // unsaved geometry: {mode: "new"|"edit", feature, layer, undo: [json], redo: [json]}
    action: null, // null | "split" | "merge-pick" | "merge" | "rename" | "check" | "conflict" | "history"
    mergeWith: null,
    mergePreview: null, // the dry run of the merge (gap, filled part, merged boundary) or {error}
    splitLine: null,
    validation: null, // {problems, warnings}
    conflict: null, // {current, changed_by, changed_at, error}
    rebase: null, // {result: the rebase endpoint's answer, choices: {place key: "mine"|"theirs"}}
    draft: { name: "", code: "", reason: "" },
    message: "",
    messageKind: "",
    busy: false,
  };
  const features = new Map(); // id → Feature of the areas in view

  const areasLayer = L.geoJSON(null, {
    pane: "geoapp-edit-areas",
    style: (feature) => styleOf(feature),
    // Snap targets, but never edited by Geoman's global modes.
    snapIgnore: false,
    pmIgnore: true,
    bubblingMouseEvents: true,
    onEachFeature: (feature, layer) => {
      layer.on("click", () => onAreaClick(feature));
      layer.bindTooltip(() => textLines(feature.properties.name), { sticky: true, className: "edit-area-tooltip" });
    },
  });
  const overlay = L.layerGroup([], { pane: "geoapp-edit-overlay" });
  const history = createHistory(map, config, {
    pane: "geoapp-edit-overlay",
    onRestored: (feature, message) => afterSave(feature, message),
  });

  function styleOf(feature) {
    const id = feature.properties.id;
    if (state.mergeWith && state.mergeWith.properties.id === id) return STYLE.mergeTarget;
    if (state.selected && state.selected.properties.id === id) return STYLE.selected;
    return STYLE.neighbour;
  }

  // ---- the card on the map ----
  const card = el("div", { class: "editor", "data-editor": "" });
  L.DomEvent.disableClickPropagation(card);
  L.DomEvent.disableScrollPropagation(card);
  const Card = L.Control.extend({ options: { position: "topright" }, onAdd: () => card });
  new Card().addTo(map);

  function say(message, kind = "") {
    state.message = message || "";
    state.messageKind = kind;
    render();
  }

  function button(text, action, onclick, { primary = false, disabled = false, kind = "" } = {}) {
    return el("button", {
      type: "button", class: primary ? "btn-primary" : kind === "danger" ? "btn-danger" : "btn-secondary",
      "data-action": action, text, disabled: disabled || state.busy, onclick,
    });
  }

  function field(label, name, value, { multiline = false, required = false, placeholder = "" } = {}) {
    const input = el(multiline ? "textarea" : "input", {
      class: multiline ? "editor__reason" : "editor__input", "data-field": name, rows: multiline ? "2" : null,
      type: multiline ? null : "text", required, placeholder,
      oninput: (e) => { state.draft[name] = e.target.value; },
    });
    input.value = value || "";
    return el("label", { class: "editor__label" }, el("span", { text: label }), input);
  }

  function render() {
    const children = [];
    if (!state.open) {
      card.className = "leaflet-control editor editor--closed";
      card.replaceChildren(button(s.startEditing, "open-editor", () => setOpen(true), { primary: true }));
      return;
    }
    card.className = "leaflet-control editor";
    children.push(el("div", { class: "editor__header" },
      el("h2", { class: "editor__title", text: s.editorTitle }),
      el("button", { type: "button", class: "editor__x", "data-action": "close-editor", title: s.stopEditing,
        "aria-label": s.stopEditing, text: "×", onclick: () => setOpen(false) })));

    children.push(onlyAreasToggle());
    const zoomOk = map.getZoom() >= EDIT_MIN_ZOOM;
    if (!zoomOk && !state.session) {
      // The current level beside the one needed, so the planner knows how far to zoom.
      const current = Number.isInteger(map.getZoom()) ? String(map.getZoom()) : map.getZoom().toFixed(1);
      children.push(el("p", { class: "editor__hint", "data-zoom-hint": "",
        text: fmt(s.zoomToEdit, { zoom: EDIT_MIN_ZOOM, current }) }));
    } else if (state.session) {
      children.push(...sessionView());
    } else if (state.selected) {
      children.push(...selectedView());
    } else {
      children.push(el("p", { class: "editor__hint", text: s.areasLoaded }),
        el("div", { class: "editor__buttons" }, button(s.newArea, "new-area", startDrawing, { primary: true })));
    }
    if (state.message) {
      children.push(el("p", {
        class: `editor__status${state.messageKind ? ` is-${state.messageKind}` : ""}`,
        role: state.messageKind === "error" ? "alert" : "status", text: state.message,
      }));
    }
    card.replaceChildren(...children);
  }

  // ---- "only management areas": estates and buildings fill the ground the planner draws on ----
  const hiddenByEditor = []; // the layers switched off by the toggle, switched on again when it is cleared
  function onlyAreasToggle() {
    const input = el("input", { type: "checkbox", "data-action": "only-areas", checked: hiddenByEditor.length > 0,
      onchange: (e) => showOnlyAreas(e.target.checked) });
    return el("label", { class: "editor__check" }, input, el("span", { text: s.onlyAreas }));
  }

  function showOnlyAreas(only) {
    if (only) {
      for (const entry of layers.entries.values()) {
        // Boundaries and roads are lines that orient the drawing; everything else covers the ground.
        const keep = entry.def.id === "management_areas" || entry.def.source === "admin" || entry.def.id === "roads";
        if (!keep && entry.visible) {
          hiddenByEditor.push(entry.def.id);
          layers.setVisible(entry.def.id, false);
        }
      }
      if (!layers.entries.get("management_areas").visible) layers.setVisible("management_areas", true);
    } else {
      for (const id of hiddenByEditor.splice(0)) layers.setVisible(id, true);
    }
    render();
  }

  function areaSummary(feature) {
    const p = feature.properties;
    return el("div", { class: "editor__area" },
      el("strong", { class: "editor__area-name", text: p.name }),
      el("span", { class: "editor__area-meta", text: [p.code, p.street, fmt(s.version, { version: p.version })].filter(Boolean).join(" · ") }));
  }

  function selectedView() {
    const f = state.selected;
    const out = [el("p", { class: "editor__label-text", text: s.selected }), areaSummary(f)];
    if (state.action === "history") {
      // Built once per opening, so redrawing the card (e.g. on a map move) keeps the chosen version.
      if (!state.historyBox) {
        state.historyBox = el("div", { class: "history" });
        history.render(state.historyBox, f);
      }
      out.push(state.historyBox, el("div", { class: "editor__buttons" }, button(s.close, "close-history", () => setAction(null))));
      return out;
    }
    if (state.action === "split") {
      out.push(el("p", { class: "editor__hint", text: s.splitHint }));
      if (state.splitLine) {
        out.push(field(s.reason, "reason", state.draft.reason, { multiline: true, required: true }),
          el("div", { class: "editor__buttons" },
            button(s.splitConfirm, "confirm-split", confirmSplit, { primary: true }),
            button(s.cancel, "cancel", () => setAction(null))));
      } else {
        out.push(el("div", { class: "editor__buttons" }, button(s.cancel, "cancel", () => setAction(null))));
      }
      return out;
    }
    if (state.action === "rename") {
      out.push(field(s.name, "name", state.draft.name, { required: true }),
        field(s.areaCode, "code", state.draft.code, { required: true }),
        field(s.reason, "reason", state.draft.reason, { multiline: true, required: true }),
        el("div", { class: "editor__buttons" },
          button(s.confirmSave, "confirm-rename", confirmRename, { primary: true }),
          button(s.cancel, "cancel", () => setAction(null))));
      return out;
    }
    if (state.action === "merge-pick" || state.action === "merge") {
      if (state.mergeWith) {
        out.push(el("p", { class: "editor__hint", text: fmt(s.mergeWith, { a: f.properties.name, b: state.mergeWith.properties.name }) }),
          ...mergePreviewView());
      } else {
        out.push(el("p", { class: "editor__hint", text: s.mergeHint }),
          el("div", { class: "editor__buttons" }, button(s.cancel, "cancel", () => setAction(null))));
      }
      return out;
    }
    out.push(el("div", { class: "editor__buttons editor__buttons--grid" },
      button(s.editBoundary, "edit-boundary", () => startSession("edit", f), { primary: true }),
      button(s.split, "split", () => setAction("split")),
      button(s.merge, "merge", () => setAction("merge-pick")),
      button(s.rename, "rename", () => setAction("rename")),
      button(s.history, "history", () => setAction("history")),
      button(s.newArea, "new-area", startDrawing),
      button(s.close, "deselect", () => select(null))));
    return out;
  }

  function mergePreviewView() {
    const preview = state.mergePreview;
    const cancel = button(s.cancel, "cancel", () => setAction(null));
    if (!preview) return [el("p", { class: "editor__hint", text: s.mergeChecking }), el("div", { class: "editor__buttons" }, cancel)];
    if (preview.error) {
      // Too far apart (beyond the limit), or the areas cannot be merged at all: say why, offer nothing to save.
      return [el("p", { class: "editor__status is-error", role: "alert", "data-merge-refused": "", text: preview.error }),
        el("div", { class: "editor__buttons" }, cancel)];
    }
    const out = [];
    if (preview.gap_m > 0) {
      out.push(el("p", { class: "editor__hint", "data-merge-gap": String(preview.gap_m) },
        fmt(s.mergeGap, { gap: fmtInt(Math.round(preview.gap_m)), max: fmtInt(preview.max_gap_m) })),
      el("p", { class: "editor__legend", "data-bridge-area": String(preview.bridge_area_m2) },
        el("span", { class: "editor__swatch editor__swatch--bridge" }),
        fmt(s.mergeBridge, { area: fmtInt(preview.bridge_area_m2) })));
    } else {
      out.push(el("p", { class: "editor__hint", text: s.mergeTouching }));
    }
    if (preview.problems && preview.problems.length) {
      out.push(el("p", { class: "editor__problems-title", text: s.mergeProblems }),
        el("ul", { class: "editor__problems", "data-problems": "" }, preview.problems.map((p) => el("li", { "data-kind": p.kind },
          el("strong", { text: `${problemLabel(p.kind)}: ` }), p.message || ""))),
        el("div", { class: "editor__buttons" }, cancel));
      return out;
    }
    for (const w of preview.warnings || []) {
      out.push(el("div", { class: "editor__warning", "data-warning": w.kind }, el("p", { text: `${s.warningsTitle} ${w.message || ""}` })));
    }
    out.push(field(s.reason, "reason", state.draft.reason, { multiline: true, required: true }),
      el("div", { class: "editor__buttons" },
        button(preview.gap_m > 0 ? s.mergeBridgeConfirm : s.mergeConfirm, "confirm-merge", confirmMerge, { primary: true }),
        cancel));
    return out;
  }

  function sessionView() {
    const session = state.session;
    const out = [];
    if (session.mode === "new") out.push(el("p", { class: "editor__area-name", text: s.newAreaTitle }));
    else out.push(areaSummary(session.feature));
    if (state.action === "conflict") return out.concat(conflictView());
    if (state.action === "rebase") return out.concat(rebaseView());
    out.push(el("p", { class: "editor__hint", text: s.editHint }));
    const dirty = session.undo.length > 1;
    out.push(el("div", { class: "editor__buttons" },
      button(`↶ ${s.undo}`, "undo", undo, { disabled: session.undo.length < 2 }),
      button(`↷ ${s.redo}`, "redo", redo, { disabled: session.redo.length === 0 }),
      dirty ? el("span", { class: "editor__dirty", text: s.unsaved }) : null));
    if (state.action === "check" && state.validation) out.push(...validationView());
    else {
      out.push(el("div", { class: "editor__buttons" },
        button(s.save, "check", check, { primary: true }),
        // Nothing to discard until the boundary was changed.
        button(dirty ? s.discard : s.cancel, "discard", () => discard())));
    }
    return out;
  }

  function validationView() {
    const { problems = [], warnings = [] } = state.validation;
    const out = [];
    if (problems.length) {
      out.push(el("p", { class: "editor__problems-title", text: s.problemsTitle }),
        el("ul", { class: "editor__problems", "data-problems": "" }, problems.map((p) => el("li", { "data-kind": p.kind },
          el("strong", { text: `${problemLabel(p.kind)}: ` }), p.message || ""))));
      const clippable = problems.some((p) => p.kind === "overlap" || p.kind === "outside_district");
      out.push(el("div", { class: "editor__buttons" },
        clippable ? button(s.clipToNeighbours, "clip", clip, { primary: true }) : null,
        button(s.close, "back", () => { clearOverlay(); setAction(null); })));
      return out;
    }
    out.push(el("p", { class: "editor__ok", text: s.okTitle }));
    for (const w of warnings) {
      out.push(el("div", { class: "editor__warning", "data-warning": w.kind },
        el("p", { text: `${s.warningsTitle} ${w.message || ""}` }),
        w.estates && w.estates.length
          ? el("ul", {}, w.estates.map((e) => el("li", { text: e.name }))) : null));
    }
    if (state.session.mode === "new") {
      out.push(field(s.name, "name", state.draft.name, { required: true }), field(s.code, "code", state.draft.code));
    }
    out.push(field(s.reason, "reason", state.draft.reason, { multiline: true, required: true }),
      el("div", { class: "editor__buttons" },
        button(s.confirmSave, "save", () => save(), { primary: true }),
        button(s.close, "back", () => { clearOverlay(); setAction(null); })));
    return out;
  }

  function conflictView() {
    const c = state.conflict;
    const theirs = c.current.properties;
    return [
      el("div", { class: "editor__conflict", role: "alert", "data-conflict": "" },
        el("h3", { text: s.conflictTitle }),
        el("p", { "data-conflict-detail": "", "data-saved-at": c.changed_at || "", text: fmt(s.conflictBody, {
          version: theirs.version, saved: fmt(s.savedBy, { at: fmtDateTime(c.changed_at), user: c.changed_by || "—" }),
        }) }),
        c.error ? el("p", { class: "editor__server-message", text: c.error }) : null,
        el("p", { class: "editor__legend" },
          el("span", { class: "editor__swatch editor__swatch--theirs" }), s.theirs, " ",
          el("span", { class: "editor__swatch editor__swatch--mine" }), s.mine)),
      el("div", { class: "editor__buttons editor__buttons--stack" },
        button(s.reloadTheirs, "reload-theirs", reloadTheirs),
        button(s.reapplyMine, "reapply-mine", reapplyMine, { primary: true })),
    ];
  }

  // My change applied onto their version (docs/EDIT_API.md "rebase"): the result is shown before anything is saved;
  // places both changed are numbered on the map and chosen one by one; overwriting theirs says what it undoes.
  function rebaseView() {
    const { result, choices } = state.rebase;
    const places = result.places || [];
    const out = [el("div", { class: "editor__conflict editor__rebase", "data-rebase": "" },
      el("h3", { text: s.rebaseTitle }),
      el("p", { text: result.mine_changed ? s.rebaseHint : s.rebaseNothing }),
      el("p", { class: "editor__legend" },
        el("span", { class: "editor__swatch editor__swatch--theirs" }), s.theirs, " ",
        el("span", { class: "editor__swatch editor__swatch--merged" }), s.rebaseResult))];
    if (places.length) {
      out.push(el("p", { class: "editor__hint", "data-places-hint": "", text: fmt(s.rebasePlaces, { n: places.length }) }),
        el("ol", { class: "editor__places" }, places.map((place, i) => el("li", { "data-place": place.key },
          el("span", { text: fmt(s.rebasePlace, { n: i + 1 }) }),
          ...[["mine", s.keepMine], ["theirs", s.keepTheirs]].map(([choice, label]) => el("button", {
            type: "button", class: choices[place.key] === choice ? "btn-primary" : "btn-secondary",
            "data-choice": choice, "aria-pressed": String(choices[place.key] === choice), text: label,
            disabled: state.busy, onclick: () => choosePlace(place.key, choice),
          }))))));
    }
    const unresolved = (result.unresolved || []).length;
    const overwrite = result.overwrite || { corners: 0, area_m2: 0 };
    out.push(el("div", { class: "editor__buttons editor__buttons--stack" },
      button(s.rebaseAccept, "accept-rebase", acceptRebase, { primary: true, disabled: unresolved > 0 }),
      unresolved ? el("p", { class: "editor__hint", text: s.rebaseChooseFirst }) : null,
      button(s.reloadTheirs, "reload-theirs", reloadTheirs),
      button(fmt(overwrite.area_m2 >= 1 ? s.overwriteTheirs : s.overwriteTheirsCorners,
        { corners: overwrite.corners, area: fmtInt(overwrite.area_m2) }),
        "overwrite-theirs", overwriteTheirs, { kind: "danger" })));
    return out;
  }

  function problemLabel(kind) {
    return { invalid: s.problemInvalid, overlap: s.problemOverlap, outside_district: s.problemOutside,
      other_area_estate: s.problemOtherAreaEstate }[kind] || kind;
  }

  // ---- loading the areas in view ----
  let loadToken = 0;
  async function loadAreas() {
    if (!state.open || map.getZoom() < EDIT_MIN_ZOOM) {
      areasLayer.clearLayers();
      features.clear();
      if (map.hasLayer(areasLayer)) map.removeLayer(areasLayer);
      return;
    }
    const token = ++loadToken;
    const b = map.getBounds().pad(0.25);
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
    try {
      const data = await api(config, `${config.api.areas}?${new URLSearchParams({ bbox })}`);
      if (token !== loadToken) return;
      features.clear();
      for (const f of (data && data.features) || []) features.set(f.properties.id, f);
      redrawAreas();
      document.body.dataset.editAreasLoaded = String(Date.now());
    } catch (error) {
      if (token === loadToken) say(s.loadAreasFailed, "error");
    }
  }

  function redrawAreas() {
    areasLayer.clearLayers();
    const editedId = state.session && state.session.feature ? state.session.feature.properties.id : null;
    for (const f of features.values()) {
      // The area being edited is drawn (and snapped to) by its editable copy only.
      if (f.properties.id !== editedId) areasLayer.addData(f);
    }
    if (!map.hasLayer(areasLayer)) areasLayer.addTo(map);
  }

  function refreshAll() {
    layers.refresh("management_areas");
    layers.refresh("estates");
    return loadAreas();
  }

  // ---- opening, selecting ----
  function setOpen(open) {
    if (!open && state.session && state.session.undo.length > 1 && !window.confirm(s.confirmDiscard)) return;
    if (!open) {
      endSession();
      select(null, { silent: true });
      clearOverlay();
      history.clear();
      map.pm.disableDraw();
      if (hiddenByEditor.length) showOnlyAreas(false);
    }
    state.open = open;
    state.message = "";
    if (open) {
      map.pm.addControls({
        position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawRectangle: false,
        drawCircle: false, drawText: false, drawPolygon: true, editMode: true, dragMode: true, cutPolygon: true,
        removalMode: false, rotateMode: false,
      });
      if (!layers.entries.get("management_areas").visible) layers.setVisible("management_areas", true);
    } else {
      map.pm.removeControls();
    }
    loadAreas();
    render();
  }

  function select(feature, { silent = false } = {}) {
    state.selected = feature;
    state.action = null;
    state.historyBox = null;
    state.mergeWith = null;
    state.mergePreview = null;
    state.splitLine = null;
    state.draft = { name: "", code: "", reason: "" };
    history.clear();
    clearOverlay();
    areasLayer.setStyle(styleOf);
    if (!silent) say("");
  }

  function onAreaClick(feature) {
    if (map.pm.globalDrawModeEnabled() || map.pm.globalEditModeEnabled() || map.pm.globalDragModeEnabled()
        || map.pm.globalCutModeEnabled()) return;
    if (state.session) return say(s.finishFirst, "error");
    if (state.action === "merge-pick" && state.selected && feature.properties.id !== state.selected.properties.id) {
      state.mergeWith = feature;
      state.action = "merge";
      state.mergePreview = null;
      areasLayer.setStyle(styleOf);
      render();
      return previewMerge();
    }
    if (state.action === "split") return undefined;
    select(feature);
    return undefined;
  }

  function setAction(action) {
    map.pm.disableDraw();
    clearOverlay();
    history.clear();
    state.action = action;
    state.historyBox = null;
    state.mergeWith = null;
    state.mergePreview = null;
    state.splitLine = null;
    state.message = "";
    if (action === "rename") {
      const p = state.selected.properties;
      state.draft = { name: p.name, code: p.code, reason: "" };
    }
    areasLayer.setStyle(styleOf);
    if (action === "split") setTimeout(() => map.pm.enableDraw("Line", { ...SNAP }), 0);
    if (action === null && state.session) state.validation = null;
    render();
  }

  // ---- the edit session ----
  function startDrawing() {
    if (state.session) return say(s.finishFirst, "error");
    select(null, { silent: true });
    // After the button's click has finished, or Geoman would take that click as the first corner.
    setTimeout(() => map.pm.enableDraw("Polygon", { ...SNAP, allowSelfIntersection: false }), 0);
    say(s.drawHint);
    return undefined;
  }

  function attach(layer) {
    layer.on("pm:edit pm:dragend pm:rotateend", record);
  }

  function startSession(mode, feature, geometry) {
    const layer = L.polygon(geometryToLatLngs(geometry || feature.geometry), {
      ...STYLE.editing, pane: "geoapp-edit-active", pmIgnore: false,
    });
    state.session = { mode, feature, layer, undo: [], redo: [] };
    state.action = null;
    state.validation = null;
    state.draft = { name: "", code: "", reason: "" };
    layer.addTo(map);
    attach(layer);
    layer.pm.enable(EDIT_OPTIONS);
    if (mode === "edit") redrawAreas();
    record();
    state.message = "";
    render();
  }

  function endSession() {
    const session = state.session;
    if (!session) return;
    if (session.layer.pm) session.layer.pm.disable();
    map.removeLayer(session.layer);
    state.session = null;
    state.validation = null;
    state.conflict = null;
    state.rebase = null;
    state.action = null;
    redrawAreas();
  }

  let applying = false;
  function record() {
    const session = state.session;
    if (!session || applying) return;
    const json = JSON.stringify(geometryOf(session.layer));
    if (session.undo[session.undo.length - 1] === json) return;
    session.undo.push(json);
    session.redo = [];
    // My boundary changed while its merge onto theirs is shown: merge it again.
    if (state.action === "rebase") loadRebase();
    // A changed boundary must be checked again.
    if (state.action === "check") {
      state.action = null;
      state.validation = null;
      clearOverlay();
    }
    render();
  }

  function applyGeometry(geometry) {
    const session = state.session;
    applying = true;
    const wasEditing = session.layer.pm.enabled();
    session.layer.pm.disable();
    session.layer.setLatLngs(geometryToLatLngs(geometry));
    if (wasEditing || !anyGlobalMode()) session.layer.pm.enable(EDIT_OPTIONS);
    applying = false;
  }

  function anyGlobalMode() {
    return map.pm.globalEditModeEnabled() || map.pm.globalDragModeEnabled() || map.pm.globalCutModeEnabled();
  }

  function undo() {
    const session = state.session;
    if (!session || session.undo.length < 2) return;
    session.redo.push(session.undo.pop());
    applyGeometry(JSON.parse(session.undo[session.undo.length - 1]));
    afterUndoRedo();
  }

  function redo() {
    const session = state.session;
    if (!session || !session.redo.length) return;
    const json = session.redo.pop();
    session.undo.push(json);
    applyGeometry(JSON.parse(json));
    afterUndoRedo();
  }

  function afterUndoRedo() {
    state.validation = null;
    if (state.action === "check") state.action = null;
    clearOverlay();
    render();
  }

  function discard() {
    if (state.session.undo.length > 1 && !window.confirm(s.confirmDiscard)) return;
    const feature = state.session.mode === "edit" ? state.session.feature : null;
    endSession();
    clearOverlay();
    select(feature);
    render();
  }

  document.addEventListener("keydown", (event) => {
    if (!state.session || !(event.ctrlKey || event.metaKey)) return;
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    const key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) { event.preventDefault(); undo(); }
    else if (key === "y" || (key === "z" && event.shiftKey)) { event.preventDefault(); redo(); }
  });

  // Geoman's draw tools (toolbar or the buttons above) end here.
  map.on("pm:create", (event) => {
    const drawn = event.layer;
    const geometry = geometryOf(drawn);
    map.removeLayer(drawn);
    if (event.shape === "Line") {
      if (state.action !== "split" || !state.selected) return;
      state.splitLine = geometry;
      clearOverlay();
      L.geoJSON(geometry, { pane: "geoapp-edit-overlay", style: STYLE.splitLine, interactive: false, snapIgnore: true }).addTo(overlay);
      overlay.addTo(map);
      render();
      return;
    }
    if (event.shape !== "Polygon") return;
    if (state.session) {
      say(s.finishFirst, "error");
      return;
    }
    select(null, { silent: true });
    startSession("new", null, geometry);
  });
  map.on("pm:cut", (event) => {
    const session = state.session;
    if (!session || event.originalLayer !== session.layer) return;
    // Geoman replaces the cut polygon by a new layer: keep editing that one.
    let layer = event.layer;
    if (layer instanceof L.LayerGroup) layer = layer.getLayers()[0];
    const geometry = geometryOf(layer);
    map.removeLayer(event.layer);
    session.layer.setLatLngs(geometryToLatLngs(geometry));
    if (!map.hasLayer(session.layer)) session.layer.addTo(map);
    record();
  });
  // Whichever Geoman mode was switched off, the edited area stays editable by its corners.
  for (const name of ["pm:globaleditmodetoggled", "pm:globaldragmodetoggled", "pm:globalcutmodetoggled"]) {
    map.on(name, (event) => {
      const session = state.session;
      if (session && !event.enabled && !anyGlobalMode() && !session.layer.pm.enabled()) session.layer.pm.enable(EDIT_OPTIONS);
    });
  }

  // ---- checking, saving ----
  function currentFeature(extra = {}) {
    const session = state.session;
    const props = { ...extra };
    if (session.mode === "edit") props.id = session.feature.properties.id;
    return { type: "Feature", geometry: geometryOf(session.layer), properties: props };
  }

  function clearOverlay() {
    overlay.clearLayers();
    if (map.hasLayer(overlay)) map.removeLayer(overlay);
  }

  function drawProblems(problems, { keep = false } = {}) {
    if (!keep) clearOverlay();
    for (const p of problems) {
      if (p.geometry) {
        L.geoJSON(p.geometry, { pane: "geoapp-edit-overlay", style: STYLE.problem, interactive: false, snapIgnore: true })
          .addTo(overlay);
      }
      if (Array.isArray(p.location)) {
        L.circleMarker([p.location[1], p.location[0]], {
          pane: "geoapp-edit-overlay", radius: 9, color: "#fff", weight: 3, fillColor: "#D50000", fillOpacity: 1, snapIgnore: true,
        }).bindTooltip(textLines(p.message || problemLabel(p.kind)),
          { permanent: true, direction: "right", className: "edit-problem-tooltip" })
          .addTo(overlay);
      }
    }
    overlay.addTo(map);
  }

  async function check() {
    const session = state.session;
    if (session.mode === "edit" && session.undo.length < 2) return say(s.noChange);
    state.busy = true;
    say(s.checking);
    try {
      const result = await api(config, config.api.validate, { method: "POST", json: currentFeature() });
      showValidation({ problems: result.problems || [], warnings: result.warnings || [] });
    } catch (error) {
      if (error instanceof ApiError && error.body && error.body.problems) {
        showValidation({ problems: error.body.problems, warnings: error.body.warnings || [] });
      } else {
        state.busy = false;
        say(error.message, "error");
      }
    }
    return undefined;
  }

  function showValidation(validation) {
    state.busy = false;
    state.validation = validation;
    state.action = "check";
    state.message = "";
    drawProblems(validation.problems);
    render();
    const reason = card.querySelector("[data-field=name], [data-field=reason]");
    if (reason) reason.focus();
  }

  async function clip() {
    state.busy = true;
    say(s.checking);
    try {
      const clipped = await api(config, config.api.clip, { method: "POST", json: currentFeature() });
      applyGeometry(clipped.geometry);
      state.busy = false;
      state.action = null;
      record();
      clearOverlay();
      say(s.clipped, "ok");
      return check();
    } catch (error) {
      state.busy = false;
      return say(error.message, "error");
    }
  }

  function requireReason(extraCheck) {
    const reason = (state.draft.reason || "").trim();
    if (extraCheck && !extraCheck()) return null;
    if (!reason) {
      say(s.reasonRequired, "error");
      const input = card.querySelector("[data-field=reason]");
      if (input) input.focus();
      return null;
    }
    return reason;
  }

  async function save(baseFeature) {
    const session = state.session;
    if (session.mode === "new" && !(state.draft.name || "").trim()) {
      say(s.nameRequired, "error");
      const input = card.querySelector("[data-field=name]");
      if (input) input.focus();
      return;
    }
    const reason = requireReason();
    if (!reason) return;
    const base = baseFeature || session.feature;
    state.busy = true;
    say(s.saving);
    try {
      let saved;
      if (session.mode === "new") {
        const properties = { name: state.draft.name.trim(), reason };
        if ((state.draft.code || "").trim()) properties.code = state.draft.code.trim();
        saved = await api(config, config.api.areas, { method: "POST", json: { type: "Feature", geometry: geometryOf(session.layer), properties } });
      } else {
        saved = await api(config, fillTemplate(config.api.area, { id: base.properties.id }), {
          method: "PUT",
          json: {
            type: "Feature", geometry: geometryOf(session.layer),
            properties: { id: base.properties.id, name: base.properties.name, version: base.properties.version, reason },
          },
        });
      }
      endSession();
      clearOverlay();
      afterSave(saved, fmt(s.saved, { name: saved.properties.name, version: saved.properties.version }));
    } catch (error) {
      state.busy = false;
      if (error instanceof ApiError && error.status === 409 && error.body && error.body.current) {
        return showConflict(error);
      }
      if (error instanceof ApiError && error.body && error.body.problems) {
        return showValidation({ problems: error.body.problems, warnings: [] });
      }
      say(error.message, "error");
    }
  }

  function afterSave(feature, message) {
    state.busy = false;
    features.set(feature.properties.id, feature);
    select(feature, { silent: true });
    redrawAreas();
    say(message, "ok");
    refreshAll();
  }

  function showConflict(error) {
    const body = error.body;
    state.conflict = { current: body.current, changed_by: body.changed_by, changed_at: body.changed_at, error: error.message };
    state.action = "conflict";
    clearOverlay();
    const theirs = L.geoJSON(body.current.geometry, { pane: "geoapp-edit-overlay", style: STYLE.theirs, interactive: false, snapIgnore: true });
    theirs.addTo(overlay);
    overlay.addTo(map);
    const bounds = theirs.getBounds().extend(state.session.layer.getBounds());
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [60, 60], maxZoom: map.getZoom(), animate: false });
    state.message = "";
    render();
  }

  function reloadTheirs() {
    const current = state.conflict.current;
    endSession();
    clearOverlay();
    features.set(current.properties.id, current);
    select(current, { silent: true });
    redrawAreas();
    refreshAll();
    render();
  }

  // ---- re-applying my change onto theirs ----
  async function reapplyMine() {
    state.rebase = { result: null, choices: {} };
    return loadRebase();
  }

  async function loadRebase() {
    const session = state.session;
    state.busy = true;
    say(s.checking);
    try {
      const result = await api(config, fillTemplate(config.api.rebase, { id: session.feature.properties.id }), {
        method: "POST",
        json: { base_version: session.feature.properties.version, geometry: geometryOf(session.layer), choices: state.rebase.choices },
      });
      state.busy = false;
      state.rebase.result = result;
      state.conflict.current = result.current;
      state.action = "rebase";
      drawRebase(result);
      say("");
    } catch (error) {
      state.busy = false;
      say(error.message, "error");
    }
  }

  function drawRebase(result) {
    clearOverlay();
    const pane = "geoapp-edit-overlay";
    L.geoJSON(result.current.geometry, { pane, style: STYLE.theirs, interactive: false, snapIgnore: true }).addTo(overlay);
    L.geoJSON(result.geometry, { pane, style: STYLE.merged, interactive: false, snapIgnore: true }).addTo(overlay);
    (result.places || []).forEach((place, i) => {
      L.circleMarker([place.location[1], place.location[0]], {
        pane, radius: 10, color: "#fff", weight: 3, fillColor: "#6A1B9A", fillOpacity: 1, snapIgnore: true,
      }).bindTooltip(textLines(String(i + 1)), { permanent: true, direction: "right", className: "edit-problem-tooltip" })
        .addTo(overlay);
    });
    overlay.addTo(map);
  }

  function choosePlace(key, choice) {
    state.rebase.choices = { ...state.rebase.choices, [key]: choice };
    return loadRebase();
  }

  /** The merged boundary becomes the edited one, based on their version: checked and saved the normal way. */
  function acceptRebase() {
    const { result } = state.rebase;
    const session = state.session;
    session.feature = result.current;
    state.conflict = null;
    state.rebase = null;
    state.action = null;
    applyGeometry(result.geometry);
    record();
    clearOverlay();
    return check();
  }

  /** My boundary saved over theirs as it is (their change is undone; the button said how much). */
  function overwriteTheirs() {
    const current = state.rebase.result.current;
    state.session.feature = current;
    state.conflict = null;
    state.rebase = null;
    state.action = "check";
    clearOverlay();
    save(current);
  }

  // ---- split and merge ----
  async function confirmSplit() {
    const reason = requireReason();
    if (!reason) return;
    const area = state.selected.properties;
    state.busy = true;
    say(s.saving);
    try {
      const result = await api(config, fillTemplate(config.api.split, { id: area.id }), {
        method: "POST", json: { line: state.splitLine, version: area.version, reason },
      });
      const [kept, created] = result.features;
      features.set(created.properties.id, created);
      map.pm.disableDraw();
      clearOverlay();
      afterSave(kept, fmt(s.splitDone, { a: kept.properties.name, b: created.properties.name }));
    } catch (error) {
      state.busy = false;
      if (error.body && error.body.problems) drawProblems(error.body.problems);
      say(error.message, "error");
    }
  }

  async function confirmMerge() {
    const reason = requireReason();
    if (!reason) return;
    const a = state.selected.properties;
    const b = state.mergeWith.properties;
    state.busy = true;
    say(s.saving);
    try {
      const merged = await api(config, config.api.merge, {
        method: "POST",
        json: { ids: [a.id, b.id], versions: { [a.id]: a.version, [b.id]: b.version }, reason,
          tolerance: state.mergePreview ? state.mergePreview.tolerance : 0 },
      });
      features.delete(b.id);
      state.mergeWith = null;
      state.mergePreview = null;
      clearOverlay();
      afterSave(merged, fmt(s.mergeDone, { name: merged.properties.name }));
    } catch (error) {
      state.busy = false;
      if (error.body && error.body.problems) drawProblems(error.body.problems);
      say(error.message, "error");
    }
  }

  /** The dry run of merging the picked area into the selected one: drawn on the map before anything is saved. */
  async function previewMerge() {
    const a = state.selected.properties;
    const b = state.mergeWith.properties;
    clearOverlay();
    let preview;
    try {
      preview = await api(config, config.api.mergePreview, { method: "POST", json: { ids: [a.id, b.id] } });
    } catch (error) {
      preview = { error: error.message };
    }
    if (!state.mergeWith || state.mergeWith.properties.id !== b.id) return; // another pick meanwhile
    state.mergePreview = preview;
    if (!preview.error) {
      if (preview.bridge) {
        L.geoJSON(preview.bridge, { pane: "geoapp-edit-overlay", style: STYLE.bridge, interactive: false, snapIgnore: true })
          .addTo(overlay);
      }
      L.geoJSON(preview.merged, { pane: "geoapp-edit-overlay", style: STYLE.mergedOutline, interactive: false, snapIgnore: true })
        .addTo(overlay);
      overlay.addTo(map);
      if (preview.problems && preview.problems.length) drawProblems(preview.problems, { keep: true });
    }
    render();
  }

  async function confirmRename() {
    const name = (state.draft.name || "").trim();
    const code = (state.draft.code || "").trim();
    if (!name) return say(s.nameRequired, "error");
    if (!code) return say(s.codeRequired, "error");
    const reason = requireReason();
    if (!reason) return undefined;
    const area = state.selected.properties;
    state.busy = true;
    say(s.saving);
    try {
      const saved = await api(config, fillTemplate(config.api.area, { id: area.id }), {
        method: "PUT",
        json: { type: "Feature", geometry: null, properties: { id: area.id, version: area.version, name, code, reason } },
      });
      return afterSave(saved, fmt(s.renamed, { name: saved.properties.name, code: saved.properties.code, version: saved.properties.version }));
    } catch (error) {
      state.busy = false;
      return say(error.message, "error");
    }
  }

  map.on("moveend", () => {
    if (!state.open) return;
    loadAreas();
    render();
  });
  render();

  // For the browser tests: the editor's state, read-only.
  const handle = {
    get state() { return state; },
    get features() { return features; },
    areasLayer,
    layers,
    select: (feature) => select(feature),
    reload: loadAreas,
    geometry: () => (state.session ? geometryOf(state.session.layer) : null),
  };
  window.geoappEditor = handle;
  return handle;
}
