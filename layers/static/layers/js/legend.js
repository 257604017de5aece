// The legend in the side panel: one block per theme, swatches drawn in CSS from the config's colours.
import { el } from "./dom.js";

/** Blocks whose layer is switched off are hidden, so the legend only explains what is drawn. */
export function renderLegend(container, config, layers, { blocks = [], overlay = null } = {}) {
  container.replaceChildren();
  for (const block of config.legend) {
    const list = el("ul", { class: "legend__items" });
    for (const item of block.items) {
      list.append(
        el("li", { class: "legend__item" },
          el("span", {
            class: `legend__swatch legend__swatch--${item.swatch}`,
            style: { "--colour": item.colour, "--width": `${item.width || 2}px` },
            "aria-hidden": "true",
          }),
          el("span", { class: "legend__label", text: item.label })),
      );
    }
    container.append(el("section", { class: "legend__block", "data-legend": block.id },
      el("h3", { class: "legend__title", text: block.title }), list));
  }
  // Blocks drawn and updated by other modules (coverage.js: class breaks that change with the chosen rate), in
  // their own card on the map (overlay) when given, so they stay in sight next to the colours they explain.
  (overlay || container).append(...blocks);
  function sync() {
    for (const section of [...container.querySelectorAll("[data-legend]"), ...blocks]) {
      const entry = layers.entries.get(section.dataset.legend);
      section.hidden = Boolean(entry) && !entry.visible;
    }
    if (overlay) overlay.hidden = blocks.every((block) => block.hidden);
  }
  sync();
  return sync;
}
