// The Inspect tab (docs/MOBILE.md): an estate scored item by item with the district's checklist, photos per item,
// the phone's position and accuracy. The checklist and the estates are kept in localStorage, so the tab works with no
// signal; the inspection goes through the outbox (one inspection per Idempotency-Key on the server).
import { el } from "../dom.js";
import { fmtDateTime, fmtInt } from "../format.js";
import { preparePhoto } from "./photos.js";

const KEPT = "geoapp-m-checklist";

function metres(a, b) {
  const rad = Math.PI / 180;
  const h = Math.sin((b[1] - a[1]) * rad / 2) ** 2
    + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin((b[0] - a[0]) * rad / 2) ** 2;
  return 2 * 6371008 * Math.asin(Math.sqrt(h));
}

export function createInspect(config, { near, queue }) {
  const t = config.tasks;
  const s = t.strings;
  const $ = (id) => document.getElementById(id);
  const form = $("m-inspect");
  if (!form) return { shown() {} };
  let kept = null;
  let photos = []; // [{photo, item (id or null)}]

  function read() {
    try {
      return JSON.parse(localStorage.getItem(KEPT));
    } catch (error) {
      return null;
    }
  }

  async function load() {
    if (navigator.onLine) {
      try {
        const response = await fetch(t.urls.checklist, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.ok) {
          const data = await response.json();
          data.keptAt = new Date().toISOString();
          localStorage.setItem(KEPT, JSON.stringify(data));
        }
      } catch (error) {
        // no signal after all: the copy kept on the phone
      }
    }
    kept = read();
    draw();
  }

  function drawEstates() {
    const select = $("m-insp-estate");
    const chosen = select.value;
    const position = near.position();
    const estates = (kept.estates || []).map((e) => ({ ...e, d: position ? metres([position.lon, position.lat], e.at) : null }));
    if (position) estates.sort((a, b) => a.d - b.d);
    select.replaceChildren(el("option", { value: "", text: s.chooseEstate }), ...estates.map((e) => el("option", {
      value: e.id, text: e.d === null ? e.name : `${e.name} · ${s.metres.replace("{m}", fmtInt(Math.round(e.d)))}`,
    })));
    if (chosen) select.value = chosen;
    else if (position && estates.length) select.value = String(estates[0].id);
  }

  function total() {
    let score = 0;
    let max = 0;
    for (const item of kept.checklist.items) {
      score += Number($(`m-insp-score-${item.id}`).value || 0);
      max += item.max_score;
    }
    $("m-insp-total").textContent = s.total.replace("{score}", fmtInt(score)).replace("{max}", fmtInt(max));
  }

  function drawPhotos(list, item) {
    list.replaceChildren(...photos.filter((p) => p.item === item).map((p) => el("li", {},
      el("img", { src: URL.createObjectURL(p.photo.blob), alt: p.photo.name, width: 56, height: 42 }),
      el("button", { type: "button", "aria-label": config.strings.removePhoto, text: "×", onclick: () => {
        photos.splice(photos.indexOf(p), 1);
        drawPhotos(list, item);
      } }))));
  }

  function photoInput(input, list, item) {
    input.addEventListener("change", async (event) => {
      for (const file of event.target.files) {
        if (photos.length >= t.photosMax) {
          $("m-insp-message").textContent = s.tooManyPhotos.replace("{n}", t.photosMax);
          break;
        }
        photos.push({ photo: await preparePhoto(file, near.position()), item });
      }
      event.target.value = "";
      drawPhotos(list, item);
    });
  }

  function draw() {
    const status = $("m-insp-checklist");
    if (!kept || !kept.checklist) {
      status.textContent = s.noChecklist;
      $("m-insp-submit").disabled = true;
      return;
    }
    $("m-insp-submit").disabled = false;
    status.textContent = s.checklistOf.replace("{name}", kept.checklist.name).replace("{at}", fmtDateTime(kept.keptAt));
    drawEstates();
    $("m-insp-items").replaceChildren(...kept.checklist.items.map((item) => {
      const list = el("ul", { class: "m-photos" });
      const input = el("input", { type: "file", accept: "image/*", capture: "environment", multiple: true,
                                  id: `m-insp-photo-${item.id}`, "aria-label": `${item.name} ${config.strings.photoCount.replace("{n}", "")}`.trim() });
      photoInput(input, list, item.id);
      return el("li", { class: "m-check", "data-item": item.id },
        el("label", { for: `m-insp-score-${item.id}`, text: `${item.name}（${item.max_score}）` }),
        item.guidance ? el("span", { class: "m-sub", text: item.guidance }) : null,
        el("span", { class: "m-row" },
          el("input", { id: `m-insp-score-${item.id}`, type: "number", inputmode: "numeric", min: 0, max: item.max_score,
                        step: 1, value: item.max_score, required: true, class: "m-score", oninput: total }),
          el("input", { id: `m-insp-inote-${item.id}`, type: "text", maxlength: 300, class: "m-inote",
                        placeholder: $("m-insp-note").labels[0].textContent,
                        "aria-label": `${item.name} · ${$("m-insp-note").labels[0].textContent}` })),
        input, list);
    }));
    total();
  }

  photoInput($("m-insp-photos"), $("m-insp-photo-list"), null);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = $("m-insp-message");
    const select = $("m-insp-estate");
    if (!select.value) {
      message.textContent = s.chooseEstate;
      return;
    }
    const name = select.options[select.selectedIndex].textContent.split(" · ")[0];
    const scores = {};
    for (const item of kept.checklist.items) {
      const note = $(`m-insp-inote-${item.id}`).value.trim();
      const score = Number($(`m-insp-score-${item.id}`).value);
      scores[item.id] = note ? { score, note } : score;
    }
    const position = near.position();
    const fields = {
      estate: select.value,
      scores: JSON.stringify(scores),
      inspected_on: $("m-insp-date").value,
      note: $("m-insp-note").value,
      lon: position ? position.lon.toFixed(7) : "",
      lat: position ? position.lat.toFixed(7) : "",
      accuracy_m: position ? String(Math.round(position.accuracy * 10) / 10) : "",
    };
    const title = s.inspection.replace("{name}", name);
    await queue({
      kind: "inspection", url: t.urls.inspect, title, fields,
      photos: photos.map((p) => ({ ...p.photo, field: p.item ? `photo_${p.item}` : "photos" })),
    });
    message.textContent = s.queued.replace("{name}", title);
    photos = [];
    form.reset();
    $("m-insp-date").value = config.today;
    $("m-insp-photo-list").replaceChildren();
    draw();
  });

  load();
  return {
    shown() {
      if (kept) drawEstates();
      load();
    },
  };
}
