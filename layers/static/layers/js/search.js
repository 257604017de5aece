// Estate search in the side panel: name or address → result list → zoom to the estate and open its popup.
import { getJSON } from "./api.js";
import { bboxToBounds, el } from "./dom.js";

export function initSearch({ form, input, status, results }, config, { onPick }) {
  const strings = config.strings;
  let timer = null;
  let controller = null;

  function show(items) {
    results.replaceChildren();
    status.textContent = items.length ? "" : strings.noResults;
    for (const item of items) {
      const colour = config.styles.status[item.status] || "#8A8A8A";
      const sub = [item.address, item.community].filter(Boolean).join(" · ");
      const button = el(
        "button",
        { type: "button", class: "result", "data-estate-id": String(item.id), onclick: () => onPick(item) },
        el("span", { class: "result__name", text: item.name }),
        sub ? el("span", { class: "result__sub", text: sub }) : null,
        el("span", { class: "result__status", style: { "--status": colour } },
          el("span", { class: "result__dot", "aria-hidden": "true" }),
          item.status == null ? strings.notShown : strings.statuses[item.status] || item.status),
      );
      results.append(el("li", {}, button));
    }
  }

  function run(query) {
    if (controller) controller.abort();
    const q = query.trim();
    if (!q) {
      results.replaceChildren();
      status.textContent = "";
      return Promise.resolve([]);
    }
    controller = new AbortController();
    status.textContent = strings.searching;
    const url = `${config.searchUrl}?${new URLSearchParams({ q })}`;
    return getJSON(url, { signal: controller.signal })
      .then((data) => {
        const items = (data && data.results) || [];
        show(items);
        return items;
      })
      .catch((error) => {
        if (error.name !== "AbortError") status.textContent = strings.searchFailed;
        return [];
      });
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearTimeout(timer);
    run(input.value).then((items) => {
      if (items.length === 1) onPick(items[0]);
    });
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(input.value), 300);
  });
}

export function resultBounds(item) {
  return bboxToBounds(item.bbox);
}
