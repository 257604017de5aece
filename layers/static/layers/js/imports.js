// The import page (docs/IMPORT.md): upload → mapping and coordinates → dry run with a preview map → commit.
import { api, fmt } from "./api.js";
import { el } from "./dom.js";
import { cancelJob, followJob, jobCard } from "./job_progress.js";

const config = JSON.parse(document.getElementById("import-config").textContent);
const S = config.strings;
const page = document.getElementById("import-page");
const $ = (id) => document.getElementById(id);

let job = null; // the current job, as the API returns it
let gcj02Choice = "";

// --- the preview map ------------------------------------------------------------------------------------------

const map = window.L.map("import-map", { zoomControl: true, attributionControl: false, preferCanvas: true });
map.setView([45.54, 126.96], 12);
const boundaries = window.L.geoJSON(null, {
  style: { color: "#5b6b7a", weight: 1.5, dashArray: "4 3", fill: false, interactive: false },
}).addTo(map);
const stored = window.L.geoJSON(null, {
  style: { color: "#37474f", weight: 1.5, dashArray: "5 4", fillColor: "#90a4ae", fillOpacity: 0.15, interactive: false },
}).addTo(map);
const preview = window.L.geoJSON(null, {
  style: (f) => (f.properties.ok
    ? { color: "#1b7f3b", weight: 1.5, fillColor: "#1b7f3b", fillOpacity: 0.2 }
    : { color: "#c62828", weight: 2.5, fillColor: "#c62828", fillOpacity: 0.35 }),
  pointToLayer: (f, latlng) => window.L.circleMarker(latlng, { radius: 6 }),
  onEachFeature: (f, layer) => {
    const p = f.properties;
    const lines = [el("b", { text: `${S.row} ${p.row} · ${p.key || ""} ${p.name || ""}` })];
    for (const e of p.errors || []) lines.push(el("div", { style: { color: "#8c1d18" }, text: e }));
    for (const w of p.warnings || []) lines.push(el("div", { style: { color: "#6d4c00" }, text: w }));
    layer.bindPopup(el("div", {}, lines));
  },
}).addTo(map);
window.geoappImportMap = map;

fetch(`${config.urls.adminAreas}?level=street`, { credentials: "same-origin" })
  .then((r) => (r.ok ? r.json() : null))
  .then((data) => {
    if (!data) return;
    boundaries.addData(data);
    if (!preview.getLayers().length && boundaries.getBounds().isValid()) map.fitBounds(boundaries.getBounds());
  })
  .catch(() => {});

function showPreview(collection, storedCollection) {
  preview.clearLayers();
  stored.clearLayers();
  if (storedCollection) stored.addData(storedCollection.features || []);
  const features = (collection && collection.features) || [];
  preview.addData(features);
  const container = $("import-map");
  container.dataset.previewFeatures = String(features.length);
  container.dataset.validFeatures = String(features.filter((f) => f.properties.ok).length);
  container.dataset.invalidFeatures = String(features.filter((f) => !f.properties.ok).length);
  if (features.length && preview.getBounds().isValid()) {
    const bounds = preview.getBounds();
    if (stored.getLayers().length) bounds.extend(stored.getBounds());
    map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17, animate: false });
  }
}

// --- steps ----------------------------------------------------------------------------------------------------

function setStep(step) {
  page.dataset.step = step;
  for (const panel of document.querySelectorAll("[data-step-panel]")) {
    const order = ["upload", "mapping", "report", "done"];
    panel.hidden = order.indexOf(panel.dataset.stepPanel) > order.indexOf(step === "done" ? "report" : step);
  }
}

function notice(container, kind, text, ...extra) {
  container.replaceChildren(el("div", { class: `im-notice im-notice--${kind}`, role: kind === "error" ? "alert" : null },
    el("span", { text }), ...extra));
}

function targetOf(name) {
  return config.targets.find((t) => t.target === name);
}

async function upload(file, target) {
  const status = $("upload-status");
  status.textContent = S.uploading;
  $("im-upload").disabled = true;
  const form = new FormData();
  form.append("file", file);
  form.append("target", target);
  try {
    job = await api(config, config.urls.jobs, { method: "POST", form });
    status.textContent = "";
    gcj02Choice = "";
    renderMapping();
    showPreview(null);
    setStep("mapping");
  } catch (error) {
    status.textContent = "";
    notice(status, "error", error.message);
  } finally {
    $("im-upload").disabled = false;
  }
}

$("step-upload").addEventListener("submit", (event) => {
  event.preventDefault();
  const file = $("im-file").files[0];
  if (file) upload(file, $("im-target").value);
});

// A sample from fixtures/ goes through the same upload as a file the planner chose.
for (const button of document.querySelectorAll("button.sample-try")) {
  button.addEventListener("click", async () => {
    const status = $("upload-status");
    status.textContent = S.sampleLoading;
    try {
      const response = await fetch(button.dataset.url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      const file = new File([await response.blob()], button.dataset.file);
      $("im-target").value = button.dataset.target;
      await upload(file, button.dataset.target);
    } catch (error) {
      status.textContent = "";
      notice(status, "error", error.message);
    }
  });
}

function renderMapping() {
  const file = job.report.file;
  const target = targetOf(job.target);
  page.dataset.job = String(job.id);
  const facts = [
    [S.format, `${file.format}${file.layer ? ` · ${file.layer}` : ""}`],
    [S.encoding, file.encoding || "–"],
    [S.rows, String(file.rows)],
  ];
  $("file-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  const warnings = $("file-warnings");
  warnings.replaceChildren(...(file.warnings || []).map((w) => el("div", { class: "im-notice im-notice--warn", text: w })));

  const body = $("mapping-table").querySelector("tbody");
  body.replaceChildren();
  for (const field of target.fields) {
    const select = el("select", { name: field.name, "data-field": field.name, "aria-label": field.label },
      el("option", { value: "", text: S.notMapped }),
      ...file.columns.map((c) => el("option", { value: c, text: c, selected: job.mapping[field.name] === c })));
    const sample = el("td", { class: "sample" });
    const showSample = () => {
      const value = select.value && file.sample.length ? file.sample[0][select.value] : "";
      sample.textContent = value === null || value === undefined ? "" : String(value);
      sample.title = sample.textContent;
    };
    select.addEventListener("change", showSample);
    showSample();
    body.append(el("tr", {},
      el("td", {}, field.label, field.required ? el("span", { class: "req", text: `* ${S.required}` }) : null),
      el("td", {}, select), sample));
  }

  renderSources(file);
  $("gcj02-notice").replaceChildren();
  $("check-status").replaceChildren();
}

// --- where the coordinates come from (docs/IMPORT.md, Coordinates) ---------------------------------------------

function sourceOfEpsg(epsg) {
  if (epsg === 4490 || epsg === 4326) return { source: "cgcs2000" };
  if (epsg === 3857) return { source: "webmercator" };
  for (const s of config.sources) {
    if (s.base && epsg >= s.base && epsg <= s.base + 20) return { source: s.value, zone: epsg - s.base + 25 };
  }
  return null;
}

function renderSources(file) {
  const info = file.crs;
  const select = $("im-source");
  const options = [];
  if (info.file) options.push(el("option", { value: "file", text: fmt(S.fileCrs, { crs: info.file }) }));
  for (const s of config.sources) options.push(el("option", { value: s.value, text: s.label }));
  select.replaceChildren(...options);
  const guessed = info.guess ? sourceOfEpsg(info.guess) : null;
  select.value = info.file ? "file" : (guessed ? guessed.source : "cgcs2000");
  $("im-zone").replaceChildren(...config.zones.map((z) => el("option", { value: String(z.zone), text: z.label })));
  const zone = (guessed && guessed.zone) || info.zone;
  if (zone) $("im-zone").value = String(zone);
  showZone();
  $("crs-row").hidden = !file.has_geometry;
  if (file.has_geometry && info.confirm) {
    const label = (config.crs.find((c) => c.epsg === info.guess) || {}).label;
    notice($("crs-notice"), "warn", info.guess ? fmt(S.guessed, { crs: label, reason: info.reason }) : S.noGuess);
  } else {
    $("crs-notice").replaceChildren();
  }
}

function chosenSource() {
  return config.sources.find((s) => s.value === $("im-source").value) || null;
}

function showZone() {
  const source = chosenSource();
  $("zone-row").hidden = !(source && source.base);
}

$("im-source").addEventListener("change", () => {
  showZone();
  gcj02Choice = "";
});

// The srid and offset choice the dry run is sent: the source picked (and its zone), else the file's own CRS.
function coordinateChoice() {
  const source = chosenSource();
  if (!source) return { srid: null, gcj02: gcj02Choice };
  const srid = source.base ? source.base + Number($("im-zone").value) - 25 : source.srid;
  return { srid, gcj02: source.offset || gcj02Choice };
}

function currentMapping() {
  const mapping = {};
  for (const select of $("mapping-table").querySelectorAll("select[data-field]")) {
    if (select.value) mapping[select.dataset.field] = select.value;
  }
  return mapping;
}

async function runCheck() {
  const status = $("check-status");
  status.textContent = S.checking;
  $("im-check").disabled = true;
  try {
    job = await api(config, `${config.urls.jobs}${job.id}/check/`, {
      method: "POST",
      json: { mapping: currentMapping(), ...coordinateChoice() },
    });
    if (job.job) {
      // A large file: the background worker checks it; follow its progress, then read the report it stored.
      const finished = await followBackgroundJob(job.job, status);
      job = await api(config, `${config.urls.jobs}${job.id}/`);
      if (finished.status !== "done") return; // the card says why (a refusal, a cancel); the mapping stays
    }
    status.textContent = "";
    renderReport(job.report);
    setStep("report");
  } catch (error) {
    status.textContent = "";
    notice(status, "error", error.message);
  } finally {
    $("im-check").disabled = false;
  }
}

$("step-mapping").addEventListener("submit", (event) => {
  event.preventDefault();
  runCheck();
});

function renderGcj02(verdict) {
  const box = $("gcj02-notice");
  box.dataset.suspected = String(Boolean(verdict && verdict.suspected));
  box.dataset.system = (verdict && verdict.system) || "";
  const choice = verdict && verdict.choice;
  if (choice === "convert" || choice === "bd09") {
    notice(box, "ok", choice === "bd09" ? S.bd09Converted : S.gcj02Converted);
    return;
  }
  if (!verdict || !verdict.suspected || choice === "keep") {
    box.replaceChildren();
    return;
  }
  const bd09 = verdict.system === "bd09";
  const convert = el("button", { type: "button", class: "btn-primary", id: "gcj02-convert",
    text: bd09 ? S.bd09Convert : S.gcj02Convert,
    onclick: () => { $("im-source").value = bd09 ? "bd09" : "gcj02"; showZone(); runCheck(); } });
  const keep = el("button", { type: "button", class: "btn-secondary", id: "gcj02-keep", text: S.gcj02Keep,
    onclick: () => { gcj02Choice = "keep"; runCheck(); } });
  notice(box, "warn", fmt(bd09 ? S.bd09Suspected : S.gcj02Suspected, { m: Math.round(verdict.median_offset_m) }),
    el("div", { class: "im-actions" }, convert, keep));
}

// Rows far from the district or severalfold the stored area: the commit waits for the planner's confirmation.
function renderUnusual(unusual) {
  const box = $("unusual-notice");
  const needed = Boolean(unusual && unusual.needs_confirmation);
  box.dataset.needsConfirmation = String(needed);
  if (!needed) {
    box.replaceChildren();
    return;
  }
  const lines = [];
  if (unusual.far_rows) {
    lines.push(el("div", { "data-unusual": "far", text: fmt(S.unusualFar, { n: unusual.far_rows,
      limit: unusual.far_km, km: unusual.far_max_km }) }));
  }
  if (unusual.ratio_rows) {
    const worst = unusual.ratio.reduce((a, r) => (Math.max(r.ratio, 1 / r.ratio) > Math.max(a, 1 / a) ? r.ratio : a), 1);
    lines.push(el("div", { "data-unusual": "ratio", text: fmt(S.unusualRatio, { n: unusual.ratio_rows,
      limit: unusual.area_ratio, ratio: worst }) }));
  }
  const checkbox = el("input", { type: "checkbox", id: "im-confirm-unusual" });
  checkbox.addEventListener("change", updateCommit);
  box.replaceChildren(el("div", { class: "im-notice im-notice--warn", role: "alert" }, ...lines,
    el("label", { class: "im-confirm" }, checkbox, " ", S.unusualConfirm)));
}

let lastReport = null;

function updateCommit() {
  const report = lastReport;
  if (!report) return;
  const undecided = report.gcj02 && report.gcj02.suspected && !report.gcj02.choice;
  const unconfirmed = report.unusual && report.unusual.needs_confirmation
    && !($("im-confirm-unusual") && $("im-confirm-unusual").checked);
  $("im-commit").disabled = Boolean(report.summary.errors) || undecided || unconfirmed || job.status === "committed";
}

function renderReport(report) {
  const s = report.summary;
  const counts = [["rows", s.rows], ["ok", s.ok], ["errors", s.errors], ["create", s.create], ["update", s.update],
    ["warnings", s.warnings]];
  $("report-counts").replaceChildren(...counts.map(([key, n]) =>
    el("li", { "data-count": key, "data-value": String(n), class: key === "errors" && n ? "has" : null },
      el("b", { text: String(n) }), S[key])));
  const table = $("report-errors");
  const body = table.querySelector("tbody");
  const lines = [
    ...report.errors.map((e) => ({ ...e, kind: "error", text: e.errors })),
    ...report.warnings.map((w) => ({ ...w, kind: "warning", text: w.warnings })),
  ].sort((a, b) => a.row - b.row);
  body.replaceChildren(...lines.map((e) => el("tr", { "data-row": String(e.row), "data-kind": e.kind,
    onclick: () => focusRow(e.row) },
    el("td", { text: String(e.row) }), el("td", { text: e.key || "" }),
    el("td", { style: { color: e.kind === "error" ? "#8c1d18" : "#6d4c00" }, text: e.text.join("; ") }))));
  table.hidden = !lines.length;
  const box = $("report-notice");
  if (report.refused) notice(box, "error", report.refused);
  else if (s.errors) notice(box, "error", fmt(S.hasErrors, { n: s.errors }));
  else notice(box, "ok", S.noErrors);
  if (report.preview && report.preview.truncated) {
    box.append(el("div", { class: "im-notice im-notice--warn", text: fmt(S.previewTruncated, { n: report.preview.features.length }) }));
  }
  renderGcj02(report.gcj02);
  renderUnusual(report.unusual);
  lastReport = report;
  updateCommit();
  showPreview(report.preview, report.stored);
}

function focusRow(row) {
  preview.eachLayer((layer) => {
    if (layer.feature && layer.feature.properties.row === row) {
      if (layer.getBounds) map.fitBounds(layer.getBounds(), { maxZoom: 17 });
      layer.openPopup();
    }
  });
}

$("commit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("commit-status");
  status.textContent = S.committing;
  $("im-commit").disabled = true;
  try {
    const confirm = $("im-confirm-unusual");
    job = await api(config, `${config.urls.jobs}${job.id}/commit/`, { method: "POST",
      json: { reason: $("im-reason").value, confirm_unusual: Boolean(confirm && confirm.checked) } });
    if (job.job) {
      // A large file: the background worker commits it; follow its progress here (and on the job list).
      const finished = await followBackgroundJob(job.job, status);
      if (finished.status !== "done") {
        $("im-commit").disabled = false;
        return;
      }
      job = await api(config, `${config.urls.jobs}${job.id}/`);
    }
    const result = job.report.result || { created: 0, updated: 0 };
    notice(status, "ok", fmt(S.committed, result), " ", el("a", { href: config.urls.map, text: S.openMap }));
    page.dataset.committed = "true";
    setStep("done");
  } catch (error) {
    status.textContent = "";
    notice(status, "error", error.message);
    if (error.body && error.body.report) renderReport({ ...error.body.report, refused: error.message });
  }
});

/** Show a background job's card in `status` until it finishes; resolves to the finished job. */
async function followBackgroundJob(backgroundJob, status) {
  const show = (j) => status.replaceChildren(el("ul", { class: "jb-list im-job" }, jobCard(j, config.jobStrings, {
    onCancel: async (current) => {
      try {
        show(await cancelJob(config, current));
      } catch (error) {
        notice(status, "error", error.message);
      }
    },
  })), el("a", { href: config.urls.jobList, text: config.jobStrings.list }));
  show(backgroundJob);
  return followJob(backgroundJob.url, show);
}

$("im-restart").addEventListener("click", () => {
  job = null;
  $("step-upload").reset();
  $("commit-status").replaceChildren();
  page.dataset.committed = "false";
  showPreview(null);
  setStep("upload");
});

setStep("upload");
page.dataset.ready = "true";
