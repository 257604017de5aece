// Feature popups: fetch /api/features/<kind>/<id>/ and show its title, fields and a link to the detail page.
import { el, fillTemplate } from "./dom.js";
import { fmt } from "./api.js";

const L = window.L;

export function fetchFeature(config, kind, id) {
  const url = fillTemplate(config.popupUrl, { kind, id });
  return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((response) => {
    if (!response.ok) throw new Error(`${response.status}`);
    return response.json();
  });
}

/** The estate's complaints (only in the popup of a role that may view them): figures and the last few cases. */
function complaintsBlock(config, complaints) {
  const s = (config.complaints && config.complaints.strings) || {};
  const figures = fmt(s.popupFigures || "%(year)s / %(open)s", { year: complaints.year, open: complaints.open });
  return el("div", { class: "popup__complaints" },
    el("h4", { class: "popup__subtitle", text: s.popupTitle || "" }),
    el("p", { class: "popup__figures", text: figures }),
    complaints.last.length ? el("ul", { class: "popup__list" }, complaints.last.map((c) =>
      el("li", { class: c.overdue ? "popup__overdue" : null },
        el("a", { href: c.url, text: c.received }),
        el("span", { text: ` ${c.category} · ${c.status}${c.overdue ? ` · ${s.overdue}` : ""}` })))) : null);
}

function render(config, data) {
  const strings = config.strings;
  const rows = (data.fields || []).map(([label, value]) =>
    el("tr", {}, el("th", { scope: "row", text: label }), el("td", { text: value === null || value === undefined || value === "" ? "—" : String(value) })),
  );
  return el(
    "div",
    { class: "popup" },
    el("h3", { class: "popup__title", text: data.title || "" }),
    rows.length ? el("table", { class: "popup__fields" }, el("tbody", {}, rows)) : null,
    data.complaints ? complaintsBlock(config, data.complaints) : null,
    data.detail_url ? el("a", { class: "popup__detail", href: data.detail_url, text: `${strings.details} →` }) : null,
  );
}

/**
 * Opens a popup at latlng straight away (showing "loading"), then fills it.
 * `data`, when given, is popup JSON fetched already; `actions(kind, id, data, popup)` may return buttons to append.
 * Returns a promise of the popup JSON (or null on failure).
 */
export function openFeaturePopup(map, config, kind, id, latlng, { onClose, data = null, actions = null } = {}) {
  const popup = L.popup({ maxWidth: 360, minWidth: 220, className: "feature-popup", autoPanPadding: [40, 40] })
    .setLatLng(latlng)
    .setContent(el("div", { class: "popup popup--loading", text: config.strings.loading }))
    .openOn(map);
  if (onClose) popup.on("remove", onClose);
  return (data ? Promise.resolve(data) : fetchFeature(config, kind, id))
    .then((data) => {
      if (map.hasLayer(popup)) {
        const content = render(config, data);
        // Role-dependent buttons (e.g. "mark abandoned" for a street office), from the caller.
        const extra = actions ? actions(kind, id, data, popup) : null;
        if (extra) content.append(extra);
        popup.setContent(content);
      }
      return data;
    })
    .catch(() => {
      if (map.hasLayer(popup)) popup.setContent(el("div", { class: "popup popup--error", text: config.strings.loadFailed }));
      return null;
    });
}
