// The field app /m/ (docs/MOBILE.md): tabs, network state, marking a building, the outbox view, the offline map and
// the service worker's updates.
import { el } from "../dom.js";
import { fmtDateTime, fmtInt } from "../format.js";
import { createNear } from "./near.js";
import { CONFLICT, FAILED, SENT, WAITING, enqueue, items, remove, sync, update } from "./outbox.js";
import { download, estimate, offlineMeta, removeOffline } from "./offline.js";
import { preparePhoto } from "./photos.js";
import { createInspect } from "./inspect.js";
import { createComplaints } from "./complaints.js";
import { reportView } from "./report.js";

const config = JSON.parse(document.getElementById("m-config").textContent);
const s = config.strings;
const $ = (id) => document.getElementById(id);

// --- tabs -----------------------------------------------------------------------------------------------------------
function show(tab) {
  for (const section of document.querySelectorAll(".m-tab")) section.hidden = section.dataset.tab !== tab;
  for (const button of document.querySelectorAll(".m-tabs button")) {
    if (button.dataset.tab === tab) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  if (tab === "near") near.resize();
  if (tab === "outbox") renderOutbox();
  if (tab === "inspect") inspect.shown();
  if (tab === "complaints") cases.shown();
}
for (const button of document.querySelectorAll(".m-tabs button")) {
  button.addEventListener("click", () => show(button.dataset.tab));
}

// --- network --------------------------------------------------------------------------------------------------------
function netState() {
  $("m-net").textContent = navigator.onLine ? s.online : s.offline;
  $("m-net").classList.toggle("m-off", !navigator.onLine);
}
window.addEventListener("online", () => {
  netState();
  sendOutbox();
});
window.addEventListener("offline", netState);
netState();

// --- mark a building ------------------------------------------------------------------------------------------------
let picked = null;
let photos = [];

function metresBetween(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008 * Math.asin(Math.sqrt(h));
}

// A role without "Near me" (an enterprise: its complaints only) gets no map and no lists, only the position for
// its photos.
const near = config.tabs.includes("near") ? createNear(config, {
  onPick(building) {
    picked = building;
    const line = $("m-report-building");
    if (line) line.textContent = s.picked.replace("{name}", building.name);
    show("mark");
  },
}) : positionOnly();

function positionOnly() {
  let position = null;
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition((fix) => {
      position = { lon: fix.coords.longitude, lat: fix.coords.latitude, accuracy: fix.coords.accuracy,
                   at: new Date(fix.timestamp || Date.now()).toISOString() };
    }, () => {}, { enableHighAccuracy: true, maximumAge: 10000 });
  }
  return { resize() {}, position: () => position, refresh() {} };
}

// Inspections and complaint steps are queued like reports and sent by the same outbox.
async function queued(record) {
  await enqueue(record);
  await renderOutbox();
  sendOutbox();
}
const inspect = createInspect(config, { near, queue: queued });
const cases = createComplaints(config, { near, queue: queued });

function renderPhotos() {
  $("m-photo-list").replaceChildren(...photos.map((p, i) => el("li", {},
    el("img", { src: URL.createObjectURL(p.blob), alt: p.name, width: 64, height: 48 }),
    el("span", { class: "m-sub", text: `${fmtDateTime(p.takenAt)} · ${fmtInt(Math.round(p.blob.size / 1024))} KB` }),
    el("button", { type: "button", "aria-label": s.removePhoto, text: "×", onclick: () => {
      photos.splice(i, 1);
      renderPhotos();
    } }))));
}

const form = $("m-report");
if (form) {
  $("m-photos").addEventListener("change", async (event) => {
    for (const file of event.target.files) {
      if (photos.length >= config.photosMax) break;
      photos.push(await preparePhoto(file, near.position()));
    }
    event.target.value = "";
    renderPhotos();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = $("m-report-message");
    if (!picked) {
      message.textContent = s.pickFirst;
      return;
    }
    const position = near.position();
    if (position && picked.centroid) {
      const distance = metresBetween([position.lon, position.lat], picked.centroid);
      if (distance > config.farMetres && !window.confirm(s.farAway.replace("{metres}", fmtInt(Math.round(distance))))) {
        return;
      }
    }
    const fields = {
      reason: $("m-reason").value,
      abandoned_since: $("m-date").value,
      description: $("m-text").value,
      lon: position ? position.lon.toFixed(7) : "",
      lat: position ? position.lat.toFixed(7) : "",
      accuracy_m: position ? String(Math.round(position.accuracy * 10) / 10) : "",
    };
    await enqueue({ buildingId: picked.id, buildingName: picked.name, fields, photos });
    message.textContent = s.queued.replace("{name}", picked.name);
    picked = null;
    photos = [];
    renderPhotos();
    form.reset();
    $("m-date").value = config.today;
    $("m-report-building").textContent = s.pickBuilding;
    await renderOutbox();
    sendOutbox();
  });
}

// --- outbox ---------------------------------------------------------------------------------------------------------
const STATE_LABELS = { [WAITING]: s.waiting, [SENT]: s.sent, [FAILED]: s.failed, [CONFLICT]: s.conflict };

async function renderOutbox() {
  const all = await items();
  const open = all.filter((item) => item.state !== SENT);
  const badge = $("m-outbox-badge");
  badge.hidden = open.length === 0;
  badge.textContent = s.outboxCount.replace("{n}", open.length);
  $("m-outbox").replaceChildren(...all.slice().reverse().map((item) => {
    const actions = [];
    if (item.state === CONFLICT || item.state === FAILED) {
      // Sending again needs a new key: the old one would only give back the stored refusal.
      actions.push(el("button", { type: "button", text: s.sendAgain, onclick: async () => {
        await update(item.id, { state: WAITING, error: "", key: crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${item.id}` });
        await renderOutbox();
        sendOutbox();
      } }));
      actions.push(el("button", { type: "button", text: s.discard, onclick: async () => {
        if (window.confirm(s.discardConfirm)) {
          await remove(item.id);
          renderOutbox();
        }
      } }));
    }
    if (item.state === SENT && item.reportId) {
      // The report as the server keeps it, with each photo's date and place.
      actions.push(el("button", { type: "button", class: "m-view-report", text: s.viewReport, onclick: async (event) => {
        const row = event.target.closest("li");
        const shown = row.querySelector(".m-report");
        if (shown) return shown.remove();
        row.append(await reportView(config, item.reportId));
      } }));
    }
    if (item.state === SENT) {
      actions.push(el("button", { type: "button", text: s.clear, onclick: async () => {
        await remove(item.id);
        renderOutbox();
      } }));
    }
    return el("li", { class: `m-out m-out-${item.state}`, "data-state": item.state },
      el("strong", { text: item.title || item.buildingName }),
      el("span", { class: "m-state", text: item.kind && item.state === CONFLICT ? config.tasks.strings.conflict
        : STATE_LABELS[item.state] || item.state }),
      el("span", { class: "m-sub", text: `${fmtDateTime(item.createdAt)} · ${s.photoCount.replace("{n}", item.photoCount || 0)}` }),
      item.error ? el("span", { class: "m-error", text: item.error }) : null,
      item.reportId && !item.kind ? el("span", { class: "m-sub", text: s.reportNo.replace("{id}", item.reportId) }) : null,
      el("span", { class: "m-actions" }, actions));
  }));
}

async function sendOutbox() {
  if (!navigator.onLine) return;
  const steps = async () => (await items()).filter((item) => item.kind === "step" && item.state === WAITING).length;
  const before = await steps();
  const taken = await sync(config, renderOutbox);
  await renderOutbox();
  if (taken) near.refresh(); // the buildings' colours changed; nothing sent, nothing to reload
  if (await steps() !== before) cases.refresh(); // the server's list tells what the cases allow now
}
$("m-sync").addEventListener("click", sendOutbox);
renderOutbox();
sendOutbox();

// --- offline map ----------------------------------------------------------------------------------------------------
function mb(bytes) {
  return (bytes / 1024 / 1024).toFixed(1);
}
function showMeta() {
  const meta = offlineMeta();
  $("m-offline-area").textContent = config.area ? s.offlineArea.replace("{area}", config.area.name) : s.noArea;
  $("m-offline-status").textContent = meta
    ? s.offlineKept.replace("{mb}", mb(meta.bytes)).replace("{tiles}", fmtInt(meta.tiles)).replace("{at}", fmtDateTime(meta.at))
    : s.offlineNone;
}
showMeta();
let estimated = null;
$("m-offline-estimate").addEventListener("click", async () => {
  if (!config.area) return;
  $("m-offline-status").textContent = s.estimating;
  try {
    estimated = await estimate(config);
  } catch (error) {
    $("m-offline-status").textContent = s.noNetwork;
    return;
  }
  const tooBig = estimated.bytes > config.offlineMaxBytes;
  $("m-offline-status").textContent = (tooBig ? s.offlineTooBig : s.offlineEstimate)
    .replace("{mb}", mb(estimated.bytes)).replace("{tiles}", fmtInt(estimated.tiles))
    .replace("{limit}", mb(config.offlineMaxBytes));
  $("m-offline-download").disabled = tooBig;
});
$("m-offline-download").addEventListener("click", async () => {
  $("m-offline-download").disabled = true;
  try {
    await download(config, (done, total) => {
      $("m-offline-status").textContent = s.downloading.replace("{done}", fmtInt(done)).replace("{total}", fmtInt(total));
    });
    showMeta();
  } catch (error) {
    $("m-offline-status").textContent = error.message === "limit"
      ? s.offlineTooBig.replace("{mb}", "?").replace("{tiles}", "?").replace("{limit}", mb(config.offlineMaxBytes))
      : `${s.downloadFailed} ${error.message}`;
  } finally {
    $("m-offline-download").disabled = false;
  }
});
$("m-offline-remove").addEventListener("click", async () => {
  await removeOffline();
  showMeta();
});

// --- service worker: installs the shell; a new version waits for "Update now" -----------------------------------
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register(config.urls.sw, { scope: config.urls.scope }).then((registration) => {
    // A deployment while the app stays open: look for a new worker whenever the app comes back to the front.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") registration.update().catch(() => {});
    });
    const offer = (worker) => {
      $("m-update").hidden = false;
      $("m-update-now").onclick = () => worker.postMessage({ type: "SKIP_WAITING" });
    };
    if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker.addEventListener("statechange", () => {
        if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
      });
    });
  }).catch(() => {});
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloading || $("m-update").hidden) return; // the first install takes control without a reload
    reloading = true;
    window.location.reload();
  });
}
if (config.tabs[0] !== "near") show(config.tabs[0]);
window.mobileApp = { config, sendOutbox, items };
