// The complaints page (/complaints/, docs/COMPLAINTS.md "Intake"): the list with filters, the "to confirm" list
// (pick the estate found by address search or tapped on the map), the entry form (the same two ways) and the
// hotline import (dry run, then commit).
import { api, fmt, getJSON } from "./api.js";
import { el } from "./dom.js";
import { createEstatePicker } from "./estate_picker.js";
import { fmtDate, fmtDateTime } from "./format.js";

const config = JSON.parse(document.getElementById("complaints-config").textContent);
const S = config.strings;
const root = document.querySelector("[data-page=complaints]");

// --- tabs ----------------------------------------------------------------------------------------------------------

const tabs = [...root.querySelectorAll("[data-tab]")];
function show(name) {
  if (!tabs.some((t) => t.dataset.tab === name)) name = "list";
  for (const tab of tabs) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const panel of root.querySelectorAll("[data-panel]")) panel.hidden = panel.dataset.panel !== name;
  root.dataset.tab = name;
  if (name === "list") loadList(1);
  if (name === "confirm") {
    confirmPicker();
    loadToConfirm();
  }
  if (name === "new") entryPicker();
}

// The estate pickers are built when their panel first shows (Leaflet measures its container).
const pickers = {};
function picker(id, onPick) {
  const container = document.getElementById(id);
  if (!container || !config.picker || !window.L || !window.L.vectorGrid) return null;
  if (!pickers[id]) pickers[id] = createEstatePicker(container, config.picker, onPick);
  else pickers[id].resize();
  return pickers[id];
}
for (const tab of tabs) tab.addEventListener("click", () => show(tab.dataset.tab));

// --- the list ------------------------------------------------------------------------------------------------------

const filters = document.getElementById("cp-filters");
const table = document.getElementById("cp-list");
const pager = document.getElementById("cp-pager");

function query(extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(filters)) if (value) params.set(key, value);
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return params.toString();
}

function estateCell(c) {
  if (c.estate) return el("td", {}, c.estate.name, el("span", { class: "sub", text: c.address_text }));
  return el("td", {}, el("span", { class: "badge badge--red", text: S.toConfirm }),
    el("span", { class: "sub", text: c.address_text }));
}

function listRow(c) {
  return el("tr", { "data-complaint": c.id },
    el("td", {}, fmtDateTime(c.received_at)),
    el("td", { class: "mono" }, el("a", { href: c.links.case, text: c.order_no || `#${c.id}` })),
    el("td", {}, c.channel_label),
    el("td", { class: "cp-words" }, c.caller_words),
    el("td", {}, c.category.name),
    estateCell(c),
    el("td", {}, c.street ? c.street.name : ""),
    el("td", {}, c.status_label, c.overdue ? el("span", { class: "badge badge--red", text: S.overdue }) : null),
    el("td", {}, fmtDate(c.close_due)));
}

async function loadList(page) {
  table.dataset.state = "loading";
  let data;
  try {
    data = await getJSON(`${config.urls.complaints}?${query({ page })}`);
  } catch (error) {
    table.replaceChildren(el("caption", { class: "cp-status error", text: error.message }));
    return;
  }
  const C = S.listColumns;
  table.replaceChildren(
    el("thead", {}, el("tr", {}, [C.received, C.order, C.channel, C.words, C.category, C.estate, C.street, C.status,
      C.due].map((t) => el("th", { text: t })))),
    el("tbody", {}, data.complaints.length ? data.complaints.map(listRow) :
      el("tr", {}, el("td", { colspan: 9, class: "empty", text: S.empty }))));
  pager.replaceChildren(
    el("span", { text: fmt(S.page, { page: data.page, pages: data.pages, count: data.count }) }),
    data.page > 1 ? el("button", { type: "button", class: "btn-secondary", text: S.previous,
      onclick: () => loadList(data.page - 1) }) : null,
    data.page < data.pages ? el("button", { type: "button", class: "btn-secondary", text: S.next,
      onclick: () => loadList(data.page + 1) }) : null);
  table.dataset.state = "ready";
  table.dataset.count = String(data.count);
}
filters.addEventListener("change", () => loadList(1));
filters.addEventListener("submit", (event) => { event.preventDefault(); loadList(1); });

// --- finding an estate by address (entry form and "to confirm") ------------------------------------------------------

async function findEstates(text, list, onPick) {
  list.replaceChildren(el("li", { text: S.loading }));
  let match;
  try {
    match = await getJSON(`${config.urls.addressMatch}?${new URLSearchParams({ q: text })}`);
  } catch (error) {
    list.replaceChildren(el("li", { class: "cp-status error", text: error.message }));
    return;
  }
  if (!match.candidates.length) {
    list.replaceChildren(el("li", { text: S.noCandidates }));
    return;
  }
  list.replaceChildren(...match.candidates.map((c) => el("li", { "data-estate": c.id },
    el("button", { type: "button", class: "btn-secondary", text: S.pick, onclick: () => onPick(c) }),
    el("span", {}, c.name, " ", el("span", { class: "sub", text: `${c.address} · ${fmt(S.confidence,
      { value: c.score.toFixed(2) })}` })))));
}

// --- "to confirm" ---------------------------------------------------------------------------------------------------

const confirmList = document.getElementById("cp-confirm-list");
const confirmForm = document.getElementById("cp-confirm-form");
const confirmFor = document.getElementById("cp-confirm-for");
const pickbar = document.getElementById("cp-confirm-pickbar");
let activeCase = null; // the order whose estate the map picks
let mapPick = null;

function confirmEstate(complaintId, estateId) {
  confirmForm.elements.complaint.value = complaintId;
  confirmForm.elements.estate.value = estateId;
  confirmForm.submit();
}

function caseLabel(c) {
  return c.order_no || `#${c.id}`;
}

function activate(c) {
  activeCase = c;
  for (const card of confirmList.querySelectorAll(".cp-confirm")) {
    card.classList.toggle("is-active", card.dataset.complaint === String(c.id));
  }
  confirmFor.textContent = fmt(S.pickingFor, { no: caseLabel(c) });
  showPick();
}

function showPick() {
  pickbar.hidden = !(activeCase && mapPick);
  if (pickbar.hidden) return;
  document.getElementById("cp-confirm-picked").textContent = fmt(S.confirmPick,
    { no: caseLabel(activeCase), name: mapPick.name });
}

function confirmPicker() {
  return picker("cp-confirm-map", (estate) => {
    mapPick = estate;
    showPick();
  });
}
if (pickbar) {
  document.getElementById("cp-confirm-pick").addEventListener("click", () => {
    if (activeCase && mapPick) confirmEstate(activeCase.id, mapPick.id);
  });
}

function confirmCard(c) {
  const input = el("input", { type: "text", value: c.address_text, "aria-label": S.find });
  const candidates = el("ul", { class: "cp-candidates" });
  const search = () => findEstates(input.value, candidates, (estate) => confirmEstate(c.id, estate.id));
  return el("div", { class: "cp-confirm", "data-complaint": c.id },
    el("div", {}, el("a", { class: "mono", href: c.links.case, text: caseLabel(c) }), " · ",
      fmtDateTime(c.received_at), " · ", c.category.name),
    el("div", { class: "cp-words", text: c.caller_words }),
    el("div", { class: "cp-search" }, input,
      el("button", { type: "button", class: "btn-secondary", text: S.find, onclick: search }),
      el("button", { type: "button", class: "btn-secondary", "data-action": "pick-on-map", text: S.pickOnMap,
        onclick: () => {
          activate(c);
          document.getElementById("cp-confirm-map").scrollIntoView({ block: "nearest" });
        } })),
    candidates);
}

async function loadToConfirm() {
  if (!confirmList) return;
  confirmList.dataset.state = "loading";
  const data = await getJSON(`${config.urls.complaints}?to_confirm=true`);
  confirmList.replaceChildren(...(data.complaints.length ? data.complaints.map(confirmCard) :
    [el("p", { class: "empty", text: S.empty })]));
  if (data.complaints.length) activate(data.complaints[0]);
  confirmList.dataset.state = "ready";
}

// --- the entry form ---------------------------------------------------------------------------------------------------

const entry = document.getElementById("cp-entry");
let entryPicker = () => null;
if (entry) {
  const status = document.getElementById("cp-entry-status");
  const candidates = document.getElementById("cp-entry-candidates");
  const picked = document.getElementById("cp-estate-picked");
  const pick = (estate) => {
    entry.elements.estate.value = estate.id;
    picked.textContent = fmt(S.picked, { name: estate.name });
    picked.dataset.estate = String(estate.id);
    candidates.replaceChildren();
  };
  entryPicker = () => picker("cp-entry-map", pick);
  document.getElementById("cp-find").addEventListener("click", () => {
    findEstates(entry.elements.address_text.value, candidates, pick);
  });
  entry.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = entry.elements;
    const body = { channel: f.channel.value, caller_words: f.caller_words.value, address_text: f.address_text.value,
      caller_name: f.caller_name.value, caller_phone: f.caller_phone.value };
    if (f.received_at.value.trim()) body.received_at = f.received_at.value.trim();
    if (f.estate.value) body.estate = Number(f.estate.value);
    if (f.category.value) body.category = Number(f.category.value);
    status.classList.remove("error");
    try {
      const created = await api(config, config.urls.complaints, { method: "POST", json: body });
      status.replaceChildren(fmt(S.created, { no: created.order_no || `#${created.id}` }), " ",
        el("a", { href: created.links.case, text: S.case }));
      entry.reset();
      f.estate.value = "";
      if (pickers["cp-entry-map"]) pickers["cp-entry-map"].clear();
    } catch (error) {
      status.classList.add("error");
      status.textContent = error.message;
    }
  });
}

// --- the hotline import ------------------------------------------------------------------------------------------------

const importForm = document.getElementById("cp-import");
if (importForm) {
  const status = document.getElementById("cp-import-status");
  const report = document.getElementById("cp-import-report");
  const commit = importForm.querySelector("[data-action=commit]");
  const C = S.columns;

  const send = async (dryRun) => {
    const form = new FormData(importForm);
    form.set("dry_run", dryRun ? "true" : "false");
    status.classList.remove("error");
    status.textContent = S.loading;
    try {
      return await api(config, config.urls.import, { method: "POST", form });
    } catch (error) {
      status.classList.add("error");
      status.textContent = error.message;
      if (error.body && error.body.report) showReport(error.body.report);
      return null;
    }
  };

  const showReport = (r) => {
    report.replaceChildren(
      el("thead", {}, el("tr", {}, [C.row, C.order, C.status, C.estate, C.confidence, C.category, C.errors]
        .map((t) => el("th", { text: t })))),
      el("tbody", {}, r.orders.map((o) => el("tr", { class: `cp-row-${o.status}`, "data-status": o.status },
        el("td", { class: "num", text: o.row }), el("td", { class: "mono", text: o.order_no }),
        el("td", { text: S.statusLabels[o.status] || o.status }),
        el("td", {}, o.estate ? o.estate.name : "", el("span", { class: "sub", text: o.address })),
        el("td", { class: "num", text: o.confidence === null ? "" : o.confidence.toFixed(2) }),
        el("td", { text: o.category || "" }),
        el("td", { text: o.errors.map((e) => `${e.column}：${e.message}`).join("；") })))));
  };

  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    commit.disabled = true;
    const r = await send(true);
    if (!r) return;
    showReport(r);
    status.textContent = fmt(S.dryRunDone, { add: r.to_add, confirm: r.counts.to_confirm,
      existing: r.counts.existing, errors: r.errors.length });
    commit.disabled = r.errors.length > 0 || r.to_add === 0;
  });
  importForm.elements.file.addEventListener("change", () => { commit.disabled = true; });
  commit.addEventListener("click", async () => {
    commit.disabled = true;
    const r = await send(false);
    if (!r) return;
    if (r.job) {
      status.replaceChildren(S.jobStarted, " ", el("a", { href: config.urls.jobs, text: S.jobs }));
      importForm.dataset.state = "job";
      return;
    }
    showReport(r);
    status.textContent = fmt(S.committed, { added: r.added, existing: r.already_there });
    importForm.dataset.state = "committed";
  });
}

show(config.tab);
