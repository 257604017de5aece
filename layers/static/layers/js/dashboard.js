// 统计分析 (/dashboard/): KPI cards, the sortable ranking with drill-down, the trend chart and the export links.
// It opens on the user's home area (config.home: the city for the city official, the district for district roles)
// and drills city → district → street → community → estates (DOMAIN.md "Levels").
// Figures from /api/coverage/ (docs/COVERAGE_API.md); the estate list is an HTML fragment of /dashboard/ itself.
// echarts is a global of the classic script loaded before this module.
import { fmt, get, getJSON } from "./api.js";
import { el } from "./dom.js";
import { compare as compareText, fmtInt, fmtRate } from "./format.js";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const T = config.i18n;
const root = document.getElementById("dashboard");
const dateInput = document.getElementById("db-date");
const statusEl = document.getElementById("db-status");
const rankBody = document.getElementById("rank-body");
const crumbs = document.getElementById("crumbs");
const rankBy = document.getElementById("rank-by");

const RATE_KEYS = ["soc_e", "soc_h", "srv_e", "srv_h"];
const CHILD = { city: "district", district: "street", street: "community" };
const AREAS_OF = { district: "districtsOf", street: "streetsOf", community: "communitiesOf" };
const COLUMNS = [
  { key: "name", label: () => T[childLevel()], type: "text" },
  { key: "old_estates", label: () => T.oldEstates, type: "int" },
  { key: "old_households", label: () => T.oldHouseholds, type: "int" },
  { key: "soc_e", label: () => T.socialisedEstates, type: "rate" },
  { key: "soc_h", label: () => T.socialisedHouseholds, type: "rate" },
  { key: "srv_e", label: () => T.serviceEstates, type: "rate" },
  { key: "srv_h", label: () => T.serviceHouseholds, type: "rate" },
  { key: "uncovered", label: () => T.uncovered, type: "int" },
];

const state = {
  date: config.date,
  // The drill-down path, home first: [{id, name, level}, …]; the last is the area shown. Without a home (no city
  // loaded) the streets of every district are shown.
  path: [config.home || { id: null, name: "", level: "district" }],
  rows: [],
  sortKey: "srv_e",
  sortDir: -1,
};
let chart = null;
let generation = 0;   // drops answers of superseded requests

const here = () => state.path[state.path.length - 1];
const childLevel = () => CHILD[here().level] || null;   // null: a community, whose estates are listed
// The area whose ranking is shown: a community's list of estates sits under its street's figures.
const ranked = () => (childLevel() ? here() : state.path[state.path.length - 2]);
const parentOf = (area) => (area.id === null ? {} : { parent: area.id });

const width = (rate) => (rate == null ? "0" : `${(rate * 100).toFixed(1)}%`);   // CSS, not shown as text
const missing = (value) => value === null || value === undefined;

function flat(row) {
  const sr = row.socialised_rate || {}, vr = row.service_rate || {};
  const served = row.served || {};
  return {
    id: row.id, code: row.code, name: row.name, level: row.level,
    old_estates: row.old_estates, old_households: row.old_households,
    soc_e: sr.estates, soc_h: sr.households, srv_e: vr.estates, srv_h: vr.households,
    uncovered: (row.by_status || {}).none,
    uncovered_households: (row.old_households || 0) - (served.households || 0),
  };
}

function query(extra) {
  const p = new URLSearchParams({ date: state.date, ...extra });
  return p.toString();
}

function setStatus(text, kind) {
  statusEl.textContent = text || "";
  statusEl.className = "db-status" + (kind ? " db-status--" + kind : "");
}

// ---- KPI cards ----
function setV(key, text) {
  root.querySelectorAll(`[data-v="${key}"]`).forEach((node) => { node.textContent = text; });
}
function setBar(key, rate) {
  root.querySelectorAll(`[data-bar="${key}"]`).forEach((node) => { node.style.width = width(rate); });
}
function renderKpis(total) {
  const sr = total.socialised_rate || {}, vr = total.service_rate || {};
  const bs = total.by_status || {}, ab = total.abandoned || {}, ren = total.renovation || {};
  setV("soc_e", fmtRate(sr.estates)); setV("soc_h", fmtRate(sr.households)); setBar("soc_e", sr.estates);
  setV("srv_e", fmtRate(vr.estates)); setV("srv_h", fmtRate(vr.households)); setBar("srv_e", vr.estates);
  setV("old_e", fmtInt(total.old_estates));
  setV("ent_e", fmtInt((total.enterprise || {}).estates));
  setV("served_e", fmtInt((total.served || {}).estates));
  setV("none_e", fmtInt(bs.none));
  setV("none_h", fmtInt((total.old_households || 0) - ((total.served || {}).households || 0)));
  setV("caretaker", fmtInt(bs.caretaker)); setV("self_governed", fmtInt(bs.self_governed));
  for (const k of ["reported", "verified", "under_caretaker", "resolved"]) setV("ab_" + k, fmtInt(ab[k]));
  for (const k of ["planned", "in_progress", "completed"]) setV("ren_" + k, fmtInt(ren[k]));
}

// ---- ranking table ----
function ranks(rows, key) {
  // Competition ranking (1, 2, 2, 4) by `key`, highest first; areas without old estates are unranked.
  const sorted = rows.filter((r) => r[key] !== null && r[key] !== undefined).sort((a, b) => b[key] - a[key]);
  const out = new Map();
  sorted.forEach((r, i) => {
    out.set(r.id, i > 0 && sorted[i - 1][key] === r[key] ? out.get(sorted[i - 1].id) : i + 1);
  });
  return out;
}

function compare(a, b) {
  const k = state.sortKey;
  const va = a[k], vb = b[k];
  if (missing(va) || missing(vb)) return missing(va) === missing(vb) ? 0 : missing(va) ? 1 : -1;   // blanks last
  // Names sort by the areas' official codes (their usual order in the district's papers), then by name.
  if (k === "name") return state.sortDir * compareText(a.code || va, b.code || vb);
  if (k === "rank") return state.sortDir * (va - vb);
  return state.sortDir * (va - vb) || compareText(a.code, b.code);
}

function sortHeading(key, label, cls) {
  const active = state.sortKey === key;
  const ascending = state.sortDir > 0;
  return el("th", { scope: "col", class: cls || null, "aria-sort": active ? (ascending ? "ascending" : "descending") : "none" },
    el("button", { type: "button", class: "th-sort", "data-sort": key }, label,
      el("span", { class: "arrow", "aria-hidden": "true", text: active ? (ascending ? "▲" : "▼") : "↕" })));
}

function cell(col, r, rankKey) {
  const v = r[col.key];
  if (col.key === "name") {
    return el("td", { class: "name" },
      el("button", { type: "button", class: "drill", "data-id": r.id, "data-name": r.name,
        title: { district: T.openStreets, street: T.open, community: T.openEstates }[childLevel()], text: r.name }));
  }
  if (col.type === "rate") {
    return el("td", { class: `num${col.key === rankKey ? " is-rank" : ""}`, "data-col": col.key, "data-value": v ?? "" },
      fmtRate(v),
      missing(v) ? null : el("span", { class: "minibar" }, el("span", { style: { width: width(v) } })));
  }
  return el("td", { class: "num", "data-col": col.key, text: fmtInt(v) });
}

function renderTable() {
  const key = rankBy.value;
  const rankOf = ranks(state.rows, key);
  const rows = state.rows.map((r) => ({ ...r, rank: rankOf.get(r.id) ?? null }));
  rows.sort(compare);
  if (!rows.length) {
    rankBody.replaceChildren(el("p", { class: "empty", text: T.noData }));
    return;
  }
  const headings = COLUMNS.map((col) => sortHeading(col.key, col.label(),
    (col.type === "text" ? "" : "num") + (RATE_KEYS.includes(col.key) && col.key === key ? " is-rank" : "")));
  const body = rows.map((r) => el("tr", { "data-id": r.id },
    el("td", { class: "num rank" }, el("span", { class: `rank-badge rank-${r.rank ?? "x"}`, text: r.rank ?? "–" })),
    COLUMNS.map((c) => cell(c, r, key))));
  rankBody.replaceChildren(el("table", { class: "db-table", id: "rank-table", "data-level": childLevel() },
    el("thead", {}, el("tr", {}, sortHeading("rank", T.rank, "num"), headings)),
    el("tbody", {}, body)));
}

function renderCrumbs() {
  const last = state.path.length - 1;
  const parts = state.path.map((area, i) => (area.level === "community"
    ? el("span", { class: "crumb crumb--here", text: area.name })
    : el("button", { type: "button", class: "crumb", "data-crumb": area.level, "data-index": i, text: area.name })));
  document.querySelector(".db-rate").hidden = !childLevel();
  crumbs.replaceChildren(...parts.flatMap((part, i) => (i ? [el("span", { class: "crumb-sep", "aria-hidden": "true", text: "›" }), part] : [part])));
  const title = document.getElementById("rank-title");
  const area = here();
  if (!childLevel()) title.textContent = fmt(T.estatesOf, { name: area.name });
  else if (last > 0) title.textContent = fmt(T[AREAS_OF[childLevel()]], { name: area.name });
  else title.textContent = title.dataset.initial || (title.dataset.initial = title.textContent);
  document.getElementById("db-scope").textContent = fmt(T.figuresOf, { name: ranked().name });
}

// ---- links ----
function updateLinks() {
  const area = ranked();
  const q = query({ level: CHILD[area.level], ...parentOf(area) });
  document.getElementById("export-xlsx").href = `${config.urls.exportXlsx}?${q}`;
  document.getElementById("export-csv").href = `${config.urls.exportCsv}?${q}`;
  document.getElementById("report-link").href = `${config.urls.report}?${query(area.id === null ? {} : { area: area.id })}`;
  const url = new URL(window.location.href);
  url.searchParams.set("date", state.date);
  window.history.replaceState(null, "", url);
}

// ---- loading ----
async function loadAll() {
  const gen = ++generation;
  root.dataset.ready = "false";
  setStatus(T.loading);
  updateLinks();
  try {
    await loadLevel(gen);
    setStatus("");
  } catch (err) {
    if (gen !== generation) return;
    setStatus(err.status === 404 ? T.notYet : T.failed, "error");
  } finally {
    if (gen === generation) root.dataset.ready = "true";
  }
  loadTrend();
}

async function loadLevel(gen) {
  renderCrumbs();
  if (!childLevel()) {
    const url = `${config.urls.estates}?${new URLSearchParams({ community: here().id, date: state.date })}`;
    const html = await (await get(url, { accept: "text/html" })).text();
    if (gen !== generation) return;
    // A fragment rendered by Django's templates (autoescaped) from this site, not built from strings here.
    rankBody.innerHTML = html;
    return;
  }
  // One request: the children's rows and, as the total, the area's own row for the KPI cards.
  const figures = await getJSON(`${config.urls.figures}?${query({ level: childLevel(), ...parentOf(here()) })}`);
  if (gen !== generation) return;
  renderKpis(figures.total);
  state.rows = figures.rows.map(flat);
  renderTable();
}

async function drill() {
  const gen = ++generation;
  root.dataset.ready = "false";
  updateLinks();
  try {
    await loadLevel(gen);
    setStatus("");
  } catch (err) {
    if (gen === generation) setStatus(err.status === 404 ? T.notYet : T.failed, "error");
  } finally {
    if (gen === generation) root.dataset.ready = "true";
  }
  loadTrend();
}

// ---- trend chart ----
async function loadTrend() {
  const box = document.getElementById("trend");
  const to = state.date;
  const from = `${Number(to.slice(0, 4)) - 10}${to.slice(4, 7)}-01`;
  let data;
  try {
    const area = ranked();
    data = await getJSON(`${config.urls.trend}?${new URLSearchParams({ from, to, ...(area.id === null ? {} : { area: area.id }) })}`);
  } catch (err) {
    box.dataset.ready = "error";
    box.replaceChildren(el("p", { class: "empty", text: err.status === 404 ? T.notYet : T.failed }));
    chart = null;
    return;
  }
  if (!window.echarts) return;
  if (!chart || chart.getDom() !== box || !box.querySelector("canvas")) {
    box.replaceChildren();
    chart = window.echarts.init(box, null, { renderer: "canvas" });
  }
  const points = data.points || [];
  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
  chart.setOption({
    animation: false,
    color: ["#009E73", "#1f5f99"],
    tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "–" : fmtRate(v / 100)) },
    legend: { top: 0, data: [T.socialisedRate, T.serviceRate] },
    grid: { left: 48, right: 18, top: 36, bottom: 56 },
    xAxis: { type: "category", boundaryGap: false, data: points.map((p) => p.date.slice(0, 7)) },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    dataZoom: [{ type: "slider", height: 18, bottom: 8 }],
    series: [
      { name: T.socialisedRate, type: "line", showSymbol: false, data: points.map((p) => pct(p.socialised_rate)) },
      { name: T.serviceRate, type: "line", showSymbol: false, areaStyle: { opacity: 0.08 }, data: points.map((p) => pct(p.service_rate)) },
    ],
  }, true);
  box.dataset.ready = "true";
  box.dataset.points = String(points.length);
}

// ---- events ----
rankBody.addEventListener("click", (event) => {
  const th = event.target.closest(".th-sort");
  if (th) {
    const key = th.dataset.sort;
    if (state.sortKey === key) state.sortDir = -state.sortDir;
    else {
      state.sortKey = key;
      state.sortDir = key === "name" || key === "rank" ? 1 : -1;
    }
    if (RATE_KEYS.includes(key)) rankBy.value = key;
    renderTable();
    return;
  }
  const drillBtn = event.target.closest(".drill");
  if (drillBtn) {
    state.path.push({ id: Number(drillBtn.dataset.id), name: drillBtn.dataset.name, level: childLevel() });
    drill();
  }
});
crumbs.addEventListener("click", (event) => {
  const crumb = event.target.closest("[data-crumb]");
  if (!crumb) return;
  state.path = state.path.slice(0, Number(crumb.dataset.index) + 1);
  drill();
});
rankBy.addEventListener("change", () => {
  state.sortKey = rankBy.value;
  state.sortDir = -1;
  renderTable();
});
dateInput.addEventListener("change", () => {
  if (!dateInput.value || !/^\d{4}-\d{2}-\d{2}$/.test(dateInput.value)) return;
  state.date = dateInput.value;
  loadAll();
});
document.getElementById("db-today").addEventListener("click", () => {
  dateInput.value = config.today;
  state.date = config.today;
  loadAll();
});
document.getElementById("db-controls").addEventListener("submit", (event) => event.preventDefault());
window.addEventListener("resize", () => chart && chart.resize());

loadAll();
