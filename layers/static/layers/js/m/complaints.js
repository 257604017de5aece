// The Complaints tab (docs/MOBILE.md): the user's open cases with their next deadline, kept in localStorage for use
// without signal; a step (sign for, on-site reply with photos, check, the resident's rating, close) goes through the
// outbox to POST /api/complaints/<id>/steps/. A case closed meanwhile answers 409 and the outbox shows it.
import { el } from "../dom.js";
import { fmtDate, fmtDateTime } from "../format.js";
import { preparePhoto } from "./photos.js";

const KEPT = "geoapp-m-cases";
const WITH_TEXT = new Set(["replied", "checked"]); // the steps whose text the service requires
// What the case allows after a step queued without signal, until the server's list says otherwise.
const AFTER = { checked: ["rated"], rated: ["closed"] };

export function createComplaints(config, { near, queue }) {
  const t = config.tasks;
  const s = t.strings;
  const $ = (id) => document.getElementById(id);
  const list = $("m-cases");
  if (!list) return { shown() {}, refresh() {} };
  let kept = null;
  let editing = false; // a step's form is open: a fresh list waits until it is saved or cancelled

  function read() {
    try {
      return JSON.parse(localStorage.getItem(KEPT));
    } catch (error) {
      return null;
    }
  }
  function keep() {
    localStorage.setItem(KEPT, JSON.stringify(kept));
  }

  async function load() {
    if (navigator.onLine) {
      try {
        const response = await fetch(t.urls.complaints, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.ok) {
          kept = await response.json();
          kept.keptAt = new Date().toISOString();
          keep();
        }
      } catch (error) {
        // no signal: the list kept on the phone
      }
    }
    kept = kept || read();
    draw();
  }

  function stepForm(item, kind, box) {
    const photos = [];
    const note = el("textarea", { rows: 3, maxlength: 2000, "aria-label": t.steps[kind], class: "m-case-note" });
    const rating = kind === "rated" ? el("select", { class: "m-case-rating", "aria-label": t.steps.rated },
      el("option", { value: "", text: s.chooseRating }),
      ...t.ratings.map(([value, label]) => el("option", { value, text: label }))) : null;
    const shots = el("ul", { class: "m-photos" });
    const file = kind === "replied" || kind === "checked" ? el("input", {
      type: "file", accept: "image/*", capture: "environment", multiple: true, class: "m-case-photos",
      "aria-label": config.strings.photoCount.replace("{n}", ""),
      onchange: async (event) => {
        for (const f of event.target.files) {
          if (photos.length >= 6) break;
          photos.push(await preparePhoto(f, near.position()));
        }
        event.target.value = "";
        shots.replaceChildren(...photos.map((p) => el("li", {},
          el("img", { src: URL.createObjectURL(p.blob), alt: p.name, width: 56, height: 42 }))));
      },
    }) : null;
    const message = $("m-case-message");
    editing = true;
    box.replaceChildren(el("form", { class: "m-form m-step", "data-step": kind, onsubmit: async (event) => {
      event.preventDefault();
      if (WITH_TEXT.has(kind) && !note.value.trim()) {
        message.textContent = s.writeNote;
        return;
      }
      if (rating && !rating.value) {
        message.textContent = s.chooseRating;
        return;
      }
      const title = `${item.category} · ${item.estate || item.address} · ${t.steps[kind]}`;
      await queue({
        kind: "step", url: t.urls.steps.replace("{id}", item.id), title,
        fields: { kind, note: note.value, rating: rating ? rating.value : "" },
        photos: photos.map((p) => ({ ...p, field: "attachments" })),
      });
      message.textContent = s.queued.replace("{name}", title);
      editing = false;
      const current = kept.cases.find((c) => c.id === item.id) || item; // the list may have been read again
      current.pending = [...(current.pending || []), t.steps[kind]];
      current.steps = current.steps.filter((step) => step !== kind && step !== "signed").concat(AFTER[kind] || []);
      keep();
      draw();
    } },
    rating, note, file, shots,
    el("span", { class: "m-actions" },
      el("button", { type: "submit", class: "m-primary", text: s.send }),
      el("button", { type: "button", text: s.cancel, onclick: () => {
        editing = false;
        box.replaceChildren();
        draw();
      } }))));
  }

  function card(item) {
    const box = el("div", {});
    const due = (item.overdue ? s.overdue : s.due).replace("{date}", fmtDate(item.due));
    return el("li", { class: "m-case", "data-case": item.id },
      el("strong", { text: `${item.category} · ${item.estate || item.address}` }),
      el("span", { class: "m-sub", text: `${item.status_label} · ${item.level_label}${item.order_no ? ` · ${item.order_no}` : ""}` }),
      el("span", { class: item.overdue ? "m-error" : "m-sub", text: due }),
      el("span", { class: "m-words", text: item.words }),
      item.reply ? el("span", { class: "m-sub", text: s.lastReply.replace("{text}", item.reply) }) : null,
      item.pending && item.pending.length ? el("span", { class: "m-state", text: s.pending.replace("{steps}", item.pending.join("、")) }) : null,
      el("span", { class: "m-actions" }, item.steps.map((kind) => el("button", {
        type: "button", "data-step": kind, text: t.steps[kind], onclick: () => stepForm(item, kind, box) }))),
      box);
  }

  function draw() {
    if (editing) return;
    const status = $("m-cases-status");
    if (!kept) {
      status.textContent = s.worklistOffline;
      list.replaceChildren();
      return;
    }
    status.textContent = kept.cases.length
      ? s.worklistAt.replace("{n}", kept.cases.length).replace("{at}", fmtDateTime(kept.keptAt)) : s.worklistNone;
    list.replaceChildren(...kept.cases.map(card));
  }

  $("m-cases-refresh").addEventListener("click", load);
  load();
  return { shown: load, refresh: load };
}
