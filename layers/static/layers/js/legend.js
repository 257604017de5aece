// The legend in the side panel: one block per theme, swatches drawn in CSS from the config's colours.
import { el } from "./dom.js";

/** Blocks whose layer is switched off are hidden, so the legend only explains what is drawn. */
export function renderLegend(container, config, layers) {
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
  function sync() {
    for (const section of container.querySelectorAll("[data-legend]")) {
      const entry = layers.entries.get(section.dataset.legend);
      section.hidden = Boolean(entry) && !entry.visible;
    }
  }
  sync();
  return sync;
}
