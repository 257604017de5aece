// 统计分析 (/dashboard/): KPI cards, the sortable ranking with drill-down, the trend chart and the export links.
// Figures from /api/coverage/ (docs/COVERAGE_API.md); the estate list is an HTML fragment of /dashboard/ itself.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const T = config.i18n;
  const root = document.getElementById("dashboard");
  const dateInput = document.getElementById("db-date");
  const statusEl = document.getElementById("db-status");
  const rankBody = document.getElementById("rank-body");
  const crumbs = document.getElementById("crumbs");
  const rankBy = document.getElementById("rank-by");

  const RATE_KEYS = ["soc_e", "soc_h", "srv_e", "srv_h"];
  const COLUMNS = [
    { key: "name", label: () => (state.street ? T.community : T.street), type: "text" },
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
    street: null,       // {id, name} when drilled into a street
    community: null,    // {id, name} when drilled into a community
    rows: [],
    sortKey: "srv_e",
    sortDir: -1,
  };
  let chart = null;
  let generation = 0;   // drops answers of superseded requests

  const fmtInt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("zh-CN"));
  const fmtRate = (r) => (r === null || r === undefined ? "–" : (r * 100).toFixed(1) + "%");
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const fill = (tpl, values) => tpl.replace(/%\((\w+)\)s/g, (_, k) => values[k]);

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

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) {
      const err = new Error(`HTTP ${response.status}`);
      err.status = response.status;
      throw err;
    }
    return response.json();
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
    root.querySelectorAll(`[data-v="${key}"]`).forEach((el) => { el.textContent = text; });
  }
  function setBar(key, rate) {
    root.querySelectorAll(`[data-bar="${key}"]`).forEach((el) => { el.style.width = rate == null ? "0" : (rate * 100).toFixed(1) + "%"; });
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
    const missingA = va === null || va === undefined, missingB = vb === null || vb === undefined;
    if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;   // blanks last
    if (k === "name") return state.sortDir * String(a.code || va).localeCompare(String(b.code || vb), "zh-CN");
    if (k === "rank") return state.sortDir * (va - vb);
    return state.sortDir * (va - vb) || String(a.code).localeCompare(String(b.code));
  }

  function renderTable() {
    const key = rankBy.value;
    const rankOf = ranks(state.rows, key);
    const rows = state.rows.map((r) => ({ ...r, rank: rankOf.get(r.id) ?? null }));
    rows.sort(compare);
    const heading = (col) => {
      const active = state.sortKey === col.key;
      const sort = active ? (state.sortDir > 0 ? "ascending" : "descending") : "none";
      const arrow = active ? (state.sortDir > 0 ? "▲" : "▼") : "↕";
      const cls = (col.type === "text" ? "" : "num") + (RATE_KEYS.includes(col.key) && col.key === key ? " is-rank" : "");
      return `<th scope="col" class="${cls}" aria-sort="${sort}"><button type="button" class="th-sort" data-sort="${col.key}">${esc(col.label())}<span class="arrow" aria-hidden="true">${arrow}</span></button></th>`;
    };
    const cell = (col, r) => {
      const v = r[col.key];
      if (col.key === "name") {
        const next = state.street ? T.openEstates : T.open;
        return `<td class="name"><button type="button" class="drill" data-id="${r.id}" data-name="${esc(r.name)}" title="${esc(next)}">${esc(r.name)}</button></td>`;
      }
      if (col.type === "rate") {
        const bar = v == null ? "" : `<span class="minibar"><span style="width:${(v * 100).toFixed(1)}%"></span></span>`;
        return `<td class="num${col.key === key ? " is-rank" : ""}" data-col="${col.key}" data-value="${v ?? ""}">${fmtRate(v)}${bar}</td>`;
      }
      return `<td class="num" data-col="${col.key}">${fmtInt(v)}</td>`;
    };
    const rankHead = `<th scope="col" class="num" aria-sort="${state.sortKey === "rank" ? (state.sortDir > 0 ? "ascending" : "descending") : "none"}"><button type="button" class="th-sort" data-sort="rank">${esc(T.rank)}<span class="arrow" aria-hidden="true">${state.sortKey === "rank" ? (state.sortDir > 0 ? "▲" : "▼") : "↕"}</span></button></th>`;
    if (!rows.length) {
      rankBody.innerHTML = `<p class="empty">${esc(T.noData)}</p>`;
      return;
    }
    rankBody.innerHTML = `<table class="db-table" id="rank-table" data-level="${state.street ? "community" : "street"}">
      <thead><tr>${rankHead}${COLUMNS.map(heading).join("")}</tr></thead>
      <tbody>${rows.map((r) => `<tr data-id="${r.id}"><td class="num rank"><span class="rank-badge rank-${r.rank ?? "x"}">${r.rank ?? "–"}</span></td>${COLUMNS.map((c) => cell(c, r)).join("")}</tr>`).join("")}</tbody>
    </table>`;
  }

  function renderCrumbs() {
    const parts = [`<button type="button" class="crumb" data-crumb="district">${esc(config.districtName)}</button>`];
    if (state.street) parts.push(`<button type="button" class="crumb" data-crumb="street">${esc(state.street.name)}</button>`);
    if (state.community) parts.push(`<span class="crumb crumb--here">${esc(state.community.name)}</span>`);
    document.querySelector(".db-rate").hidden = Boolean(state.community);
    crumbs.innerHTML = parts.join('<span class="crumb-sep" aria-hidden="true">›</span>');
    const title = document.getElementById("rank-title");
    if (state.community) title.textContent = fill(T.estatesOf, { name: state.community.name });
    else if (state.street) title.textContent = fill(T.communitiesOf, { name: state.street.name });
    else title.textContent = title.dataset.initial || (title.dataset.initial = title.textContent);
  }

  // ---- links ----
  function updateLinks() {
    const level = state.street ? "community" : "street";
    const extra = { level };
    if (state.street) extra.parent = state.street.id;
    const q = query(extra);
    document.getElementById("export-xlsx").href = `${config.urls.exportXlsx}?${q}`;
    document.getElementById("export-csv").href = `${config.urls.exportCsv}?${q}`;
    document.getElementById("report-link").href = `${config.urls.report}?${query({ level })}`;
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
      const district = await getJSON(`${config.urls.figures}?${query({ level: "street" })}`);
      if (gen !== generation) return;
      renderKpis(district.total);
      await loadLevel(gen, district);
      setStatus("");
    } catch (err) {
      if (gen !== generation) return;
      setStatus(err.status === 404 ? T.notYet : T.failed, "error");
    } finally {
      if (gen === generation) root.dataset.ready = "true";
    }
    loadTrend();
  }

  async function loadLevel(gen, districtFigures) {
    renderCrumbs();
    if (state.community) {
      const response = await fetch(`${config.urls.estates}?${new URLSearchParams({ community: state.community.id, date: state.date })}`, { credentials: "same-origin" });
      if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
      const html = await response.text();
      if (gen !== generation) return;
      rankBody.innerHTML = html;
      return;
    }
    let figures = districtFigures;
    if (state.street) {
      figures = await getJSON(`${config.urls.figures}?${query({ level: "community", parent: state.street.id })}`);
      if (gen !== generation) return;
    } else if (!figures) {
      figures = await getJSON(`${config.urls.figures}?${query({ level: "street" })}`);
      if (gen !== generation) return;
    }
    state.rows = figures.rows.map(flat);
    renderTable();
  }

  async function drill() {
    const gen = ++generation;
    root.dataset.ready = "false";
    updateLinks();
    try {
      await loadLevel(gen, null);
      setStatus("");
    } catch (err) {
      if (gen === generation) setStatus(err.status === 404 ? T.notYet : T.failed, "error");
    } finally {
      if (gen === generation) root.dataset.ready = "true";
    }
  }

  // ---- trend chart ----
  async function loadTrend() {
    const el = document.getElementById("trend");
    const to = state.date;
    const from = `${Number(to.slice(0, 4)) - 10}${to.slice(4, 7)}-01`;
    let data;
    try {
      data = await getJSON(`${config.urls.trend}?${new URLSearchParams({ from, to })}`);
    } catch (err) {
      el.dataset.ready = "error";
      el.innerHTML = `<p class="empty">${esc(err.status === 404 ? T.notYet : T.failed)}</p>`;
      chart = null;
      return;
    }
    if (!window.echarts) return;
    if (!chart || chart.getDom() !== el || !el.querySelector("canvas")) {
      el.innerHTML = "";
      chart = window.echarts.init(el, null, { renderer: "canvas" });
    }
    const points = data.points || [];
    const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
    chart.setOption({
      animation: false,
      color: ["#009E73", "#1f5f99"],
      tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "–" : v.toFixed(1) + "%") },
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
    el.dataset.ready = "true";
    el.dataset.points = String(points.length);
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
      const area = { id: Number(drillBtn.dataset.id), name: drillBtn.dataset.name };
      if (state.street) state.community = area;
      else state.street = area;
      drill();
    }
  });
  crumbs.addEventListener("click", (event) => {
    const crumb = event.target.closest("[data-crumb]");
    if (!crumb) return;
    state.community = null;
    if (crumb.dataset.crumb === "district") state.street = null;
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
})();
