// The map's export control (docs/EXPORT.md): a layer, a format, and the features in view or inside a drawn area.
import { api, fmt } from "./api.js";
import { el } from "./dom.js";

const L = window.L;

function viewBbox(map) {
  const b = map.getBounds();
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  return [
    clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
    clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90),
  ].map((v) => v.toFixed(6)).join(",");
}

function fileName(response, fallback) {
  const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : fallback;
}

/** A polygon drawn by clicking corners; clicks go to a transparent catcher so features do not open popups. */
function createDrawing(map, { onChange }) {
  const pane = map.getPane("geoapp-export") || map.createPane("geoapp-export");
  pane.style.zIndex = "640";
  const points = [];
  const outline = L.polygon([], { pane, color: "#1f5f99", weight: 2, dashArray: "6 4", fillOpacity: 0.08, interactive: false });
  const catcher = L.rectangle([[-85, -180], [85, 180]], { pane, stroke: false, fillOpacity: 0, interactive: true });
  let drawing = false;
  catcher.on("click", (e) => {
    points.push(e.latlng);
    outline.setLatLngs(points);
    onChange(points.length, false);
  });
  catcher.on("dblclick", (e) => {
    L.DomEvent.stop(e);
    finish();
  });
  function start() {
    points.length = 0;
    outline.setLatLngs([]).addTo(map);
    catcher.addTo(map);
    map.doubleClickZoom.disable();
    map.getContainer().classList.add("is-drawing-export");
    drawing = true;
    onChange(0, false);
  }
  function finish() {
    if (!drawing) return;
    // A double-click adds the same corner twice.
    while (points.length > 1 && points[points.length - 1].equals(points[points.length - 2])) points.pop();
    catcher.remove();
    map.doubleClickZoom.enable();
    map.getContainer().classList.remove("is-drawing-export");
    drawing = false;
    outline.setLatLngs(points);
    onChange(points.length, true);
  }
  function clear() {
    if (drawing) finish();
    points.length = 0;
    outline.remove();
  }
  function geojson() {
    if (points.length < 3) return null;
    const ring = points.map((p) => [Number(p.lng.toFixed(7)), Number(p.lat.toFixed(7))]);
    ring.push(ring[0]);
    return { type: "Polygon", coordinates: [ring] };
  }
  return { start, finish, clear, geojson, isDrawing: () => drawing, count: () => points.length };
}

export function initExport(map) {
  const panel = document.getElementById("export-panel");
  if (!panel) return null;
  const msg = panel.dataset;
  const form = document.getElementById("export-form");
  const layerSelect = document.getElementById("export-layer");
  const formatSelect = document.getElementById("export-format");
  const drawRow = document.getElementById("export-draw-row");
  const drawButton = document.getElementById("export-draw");
  const drawStatus = document.getElementById("export-draw-status");
  const submit = document.getElementById("export-submit");
  const message = document.getElementById("export-message");

  const drawing = createDrawing(map, {
    onChange(count, finished) {
      if (!finished) {
        drawButton.textContent = msg.msgDrawFinish;
        drawStatus.textContent = msg.msgDrawHint;
      } else {
        drawButton.textContent = msg.msgDrawRedo;
        drawStatus.textContent = count >= 3 ? fmt(msg.msgDrawn, { points: count }) : msg.msgTooFew;
      }
      panel.dataset.drawnPoints = String(finished && count >= 3 ? count : 0);
    },
  });

  function scope() {
    return form.querySelector("input[name=scope]:checked").value;
  }
  form.addEventListener("change", (event) => {
    if (event.target.name !== "scope") return;
    const polygon = scope() === "polygon";
    drawRow.hidden = !polygon;
    if (!polygon) drawing.clear();
  });
  drawButton.addEventListener("click", () => {
    if (drawing.isDrawing()) drawing.finish();
    else drawing.start();
  });

  function exportUrl(template = panel.dataset.urlTemplate) {
    const layer = layerSelect.value;
    const base = template.replace("zzlayerzz", encodeURIComponent(layer)).replace("zzfmtzz", formatSelect.value);
    const params = new URLSearchParams();
    if (scope() === "all") {
      // the whole layer: no bbox (a background job, docs/JOBS.md)
    } else if (scope() === "polygon") {
      const polygon = drawing.geojson();
      if (!polygon) return null;
      params.set("polygon", JSON.stringify(polygon));
    } else {
      params.set("bbox", viewBbox(map));
    }
    const option = layerSelect.selectedOptions[0];
    const date = document.getElementById("coverage-date");
    if (option && option.dataset.dated === "true" && date && date.value) params.set("on", date.value);
    return `${base}?${params}`;
  }

  /** Start this export as a background job; the job list shows its progress and offers the file. */
  async function startJob() {
    submit.disabled = true;
    try {
      const job = await api({}, exportUrl(panel.dataset.jobUrlTemplate), { method: "POST" });
      message.replaceChildren(msg.msgJobStarted, " ", el("a", { href: msg.jobListUrl, id: "export-job-link",
                                                                "data-job": job.id, text: msg.msgJobList }));
      panel.dataset.state = "job";
      panel.dataset.job = String(job.id);
    } catch (error) {
      message.textContent = error.message || msg.msgFailed;
      panel.dataset.state = "error";
    } finally {
      submit.disabled = false;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (drawing.isDrawing()) drawing.finish();
    if (scope() === "all") {
      await startJob();
      return;
    }
    const url = exportUrl();
    if (!url) {
      message.textContent = msg.msgDrawFirst;
      return;
    }
    submit.disabled = true;
    message.textContent = msg.msgWorking;
    panel.dataset.state = "working";
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) {
        let text = `${msg.msgFailed} (${response.status})`;
        try {
          text = (await response.json()).error || text;
        } catch (error) { /* not JSON */ }
        message.textContent = text;
        if (response.status === 413) {
          // Too many features for a download: the worker can write the file instead.
          message.append(" ", el("button", { type: "button", class: "btn-secondary", id: "export-as-job",
                                             text: msg.msgAsJob, onclick: startJob }));
        }
        panel.dataset.state = "error";
        return;
      }
      const blob = await response.blob();
      const name = fileName(response, `${layerSelect.value}.${formatSelect.value}`);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
      const count = response.headers.get("X-Feature-Count") || "?";
      message.textContent = fmt(msg.msgDone, { count, file: name });
      panel.dataset.lastUrl = url;
      panel.dataset.lastCount = count;
      panel.dataset.state = "done";
    } catch (error) {
      message.textContent = msg.msgFailed;
      panel.dataset.state = "error";
    } finally {
      submit.disabled = false;
    }
  });
  return { drawing };
}
