// The abandoned-building report (弃管上报): a "mark abandoned" button in building popups and the form it opens.
// Scope is the server's decision (docs/EDIT_API.md): a building outside the street office's street is refused
// with 404 and a plain message, which the form shows as it is.
import { api, ApiError, fmt } from "./api.js";
import { el, fillTemplate } from "./dom.js";

const MAX_PHOTOS = 5;
const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];

export function initReports(map, config, layers) {
  const permissions = config.permissions || {};
  if (!permissions.canReportAbandonment || !config.api) return null;
  const s = config.editStrings;

  const status = el("div", { class: "report__status", role: "status", "aria-live": "polite" });
  const buildingName = el("p", { class: "report__building" });
  const since = el("input", { type: "date", name: "abandoned_since", id: "report-since", required: true, max: config.today });
  const reason = el("select", { name: "reason", id: "report-reason", required: true },
    config.abandonmentReasons.map(([value, label]) => el("option", { value, text: label })));
  const description = el("textarea", { name: "description", id: "report-description", rows: "3", placeholder: s.descriptionHint });
  const photos = el("input", { type: "file", name: "photos", id: "report-photos", multiple: true, accept: PHOTO_TYPES.join(",") });
  const submit = el("button", { type: "submit", class: "btn-primary", text: s.submitReport });
  const cancel = el("button", { type: "button", class: "btn-secondary", text: s.close, onclick: () => dialog.close() });
  const form = el("form", { class: "report__form", method: "dialog" },
    el("h2", { class: "report__title", text: s.reportTitle }),
    buildingName,
    el("label", { for: "report-since", text: s.abandonedSince }), since,
    el("label", { for: "report-reason", text: s.abandonReason }), reason,
    el("label", { for: "report-description", text: s.description }), description,
    el("label", { for: "report-photos", text: s.photos }), photos,
    status,
    el("div", { class: "report__buttons" }, cancel, submit));
  const dialog = el("dialog", { class: "report-dialog", "aria-labelledby": "report-title" }, form);
  form.querySelector(".report__title").id = "report-title";
  document.body.append(dialog);

  let buildingId = null;

  function say(text, kind) {
    status.textContent = text || "";
    status.className = `report__status${kind ? ` report__status--${kind}` : ""}`;
    status.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  function open(id, data) {
    buildingId = id;
    form.reset();
    since.value = config.today;
    buildingName.textContent = `${s.reportBuilding}: ${(data && data.title) || id}`;
    say("");
    submit.disabled = false;
    submit.hidden = false;
    dialog.showModal();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const files = [...photos.files];
    if (files.length > MAX_PHOTOS) return say(s.tooManyPhotos, "error");
    const large = files.find((file) => file.size > MAX_PHOTO_BYTES);
    if (large) return say(fmt(s.photoTooLarge, { name: large.name }), "error");
    const body = new FormData();
    body.append("abandoned_since", since.value);
    body.append("reason", reason.value);
    body.append("description", description.value.trim());
    for (const file of files) body.append("photos", file);
    submit.disabled = true;
    say(s.sending);
    try {
      await api(config, fillTemplate(config.api.report, { id: buildingId }), { method: "POST", form: body });
      say(s.reportSent, "ok");
      submit.hidden = true;
      layers.refresh("buildings");
      map.closePopup();
    } catch (error) {
      say(error instanceof ApiError ? error.message : String(error), "error");
      submit.disabled = false;
    }
    return undefined;
  });

  /** For openFeaturePopup: the button only where the server says the user may report (popup JSON `can_report`:
   * the role, and a street office's own street); the server still checks when the form is sent. */
  function popupActions(kind, id, data) {
    if (kind !== "building" || !data || !data.can_report) return null;
    return el("div", { class: "popup__actions" },
      el("button", {
        type: "button", class: "btn-danger", "data-action": "mark-abandoned", text: s.markAbandoned,
        onclick: () => open(id, data),
      }));
  }

  return { popupActions, open };
}
