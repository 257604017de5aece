// A sent report as the server keeps it: its state and each photo with the date and place it was taken (the phone's
// photo fields, or the camera's EXIF for a desktop upload), shown under the outbox record.
import { el } from "../dom.js";
import { fmtDateTime } from "../format.js";

function place(point, s) {
  return point ? s.photoWhere.replace("{lat}", point[1].toFixed(5)).replace("{lon}", point[0].toFixed(5)) : s.placeUnknown;
}

/** An element showing report `id` (fetched now), or the network error in its place. */
export async function reportView(config, id) {
  const s = config.strings;
  try {
    const response = await fetch(config.urls.reportDetail.replace("{id}", id),
                                 { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    const report = await response.json();
    return el("div", { class: "m-report", "data-report": report.id },
      el("span", { class: "m-sub", text: `${report.building} · ${report.state_label}` }),
      el("ul", { class: "m-report-photos" }, report.photo_details.map((photo, i) => el("li", {},
        el("a", { href: photo.url, target: "_blank", rel: "noopener" },
           el("img", { src: photo.url, alt: `${s.photo} ${i + 1}`, width: 96, height: 72, loading: "lazy" })),
        el("span", { class: "m-photo-at", text: photo.taken_at ? fmtDateTime(photo.taken_at) : s.dateUnknown }),
        el("span", { class: "m-photo-where", text: place(photo.point, s) })))));
  } catch (error) {
    return el("p", { class: "m-error", text: s.noNetwork });
  }
}
