// Tiny DOM helpers: every text goes through textContent, so names from the database are never parsed as HTML.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "style") {
      for (const [name, v] of Object.entries(value)) node.style.setProperty(name, v);
    }
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * Tooltip and popup content: one line of text per argument (empty ones left out), as text nodes. Leaflet's
 * bindTooltip/bindPopup/setContent and L.divIcon parse a string as HTML, and names are typed by planners or imported.
 */
export function textLines(...lines) {
  const kept = lines.flat().filter((line) => line !== null && line !== undefined && line !== "");
  return el("div", {}, kept.flatMap((line, i) => (i ? [el("br"), line] : [line])));
}

export function fillTemplate(template, values) {
  return template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? encodeURIComponent(values[key]) : match));
}

/** [minx, miny, maxx, maxy] (lon/lat) → Leaflet bounds, or null when absent or malformed. */
export function bboxToBounds(bbox) {
  if (!Array.isArray(bbox) || bbox.length !== 4 || bbox.some((v) => typeof v !== "number" || !isFinite(v))) {
    return null;
  }
  const [minx, miny, maxx, maxy] = bbox;
  return window.L.latLngBounds([miny, minx], [maxy, maxx]);
}
