// The history panel of one management area: every recorded version (who, when, why); a chosen version is drawn
// dashed over the current boundary, and can be restored (as a new version, with a reason).
import { api, ApiError, fmt } from "./api.js";
import { el, fillTemplate } from "./dom.js";
import { fmtDateTime } from "./format.js";

const L = window.L;
const GHOST_STYLE = { color: "#6A1B9A", weight: 3, opacity: 1, fill: true, fillColor: "#6A1B9A", fillOpacity: 0.08, dashArray: "8 6" };

export function createHistory(map, config, { pane, onRestored }) {
  const s = config.editStrings;
  const ghost = L.layerGroup([], { pane });

  function clear() {
    ghost.clearLayers();
    if (map.hasLayer(ghost)) map.removeLayer(ghost);
  }

  function draw(geometry) {
    clear();
    if (!geometry) return;
    L.geoJSON(geometry, { pane, style: GHOST_STYLE, interactive: false, snapIgnore: true }).addTo(ghost);
    ghost.addTo(map);
  }

  /** Fills `container` with the history of `feature` (a management-area Feature). */
  async function render(container, feature) {
    const props = feature.properties;
    const status = el("p", { class: "editor__status", role: "status", text: config.strings.loading });
    const list = el("ol", { class: "history__list" });
    const restoreBox = el("div", { class: "history__restore" });
    container.replaceChildren(
      el("h3", { class: "editor__subtitle", text: fmt(s.historyTitle, { name: props.name }) }),
      el("p", { class: "editor__hint", text: s.historyHint }),
      status, list, restoreBox,
    );
    let versions;
    try {
      const data = await api(config, fillTemplate(config.api.history, { id: props.id }));
      versions = (data && data.versions) || [];
    } catch (error) {
      status.textContent = error.message;
      status.classList.add("is-error");
      return;
    }
    status.textContent = versions.length ? "" : s.historyEmpty;
    for (const v of versions) {
      const isCurrent = Number(v.version) === Number(props.version);
      const item = el("button", {
        type: "button", class: "history__item", "data-version": String(v.version),
        onclick: () => choose(v, item, isCurrent),
      },
      el("span", { class: "history__head" },
        el("strong", { text: `v${v.version}` }),
        el("span", { class: "history__action", text: v.action_label || v.action }),
        isCurrent ? el("span", { class: "history__current", text: s.current }) : null),
      el("span", { class: "history__meta", text: fmt(s.savedBy, { at: fmtDateTime(v.changed_at), user: v.user || "—" }) }),
      v.reason ? el("span", { class: "history__reason", text: v.reason }) : null,
      v.action === "update" && v.attributes
        ? el("span", { class: "history__attrs", text: [v.attributes.name, v.attributes.code].filter(Boolean).join(" · ") }) : null);
      // A merge names the other area; its history page stays readable once it is removed.
      const other = v.merged_with
        ? el("a", {
          class: "history__merged", "data-merged-with": String(v.merged_with.id),
          href: fillTemplate(config.api.historyPage, { id: v.merged_with.id }),
          text: fmt(v.merged_with.removed ? s.mergedFrom : s.mergedInto, { name: v.merged_with.name }),
        }) : null;
      list.append(el("li", {}, item, other));
    }

    function choose(v, item, isCurrent) {
      for (const other of list.querySelectorAll(".history__item")) other.classList.toggle("is-selected", other === item);
      draw(v.geometry);
      restoreBox.replaceChildren();
      if (isCurrent || !v.geometry) return;
      const reason = el("textarea", { rows: "2", class: "editor__reason", "data-field": "restore-reason", placeholder: s.restoreReason });
      const message = el("p", { class: "editor__status", role: "status" });
      const button = el("button", {
        type: "button", class: "btn-primary", "data-action": "restore", text: s.restore,
        onclick: async () => {
          if (!reason.value.trim()) {
            message.textContent = s.reasonRequired;
            message.className = "editor__status is-error";
            reason.focus();
            return;
          }
          button.disabled = true;
          message.textContent = s.saving;
          message.className = "editor__status";
          try {
            const restored = await api(config, fillTemplate(config.api.restore, { id: props.id }), {
              method: "POST",
              json: { version: v.version, base_version: props.version, reason: reason.value.trim() },
            });
            clear();
            onRestored(restored, fmt(s.restored, { version: v.version, new: restored.properties.version }));
          } catch (error) {
            message.textContent = error instanceof ApiError ? error.message : String(error);
            message.className = "editor__status is-error";
            button.disabled = false;
          }
        },
      });
      restoreBox.append(el("label", { class: "editor__label", text: s.restoreReason }), reason, button, message);
    }
  }

  return { render, clear };
}
