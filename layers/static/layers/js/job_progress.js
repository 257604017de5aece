// One background job as a card with a progress bar, cancel and download (docs/JOBS.md); shared by the job list
// and the import page. Texts come from the page's config (job_strings()).
import { api, fmt, getJSON } from "./api.js";
import { el } from "./dom.js";
import { fmtDateTime, fmtInt } from "./format.js";

const POLL_MS = 1000;

/** The card of one job; `onCancel(job)` is called when its cancel button is pressed. */
export function jobCard(job, strings, { onCancel } = {}) {
  const bar = el("progress", { max: job.total || 1, value: job.finished && job.status === "done" ? (job.total || 1) : job.done,
                               "aria-label": job.title });
  const count = job.total ? fmt(strings.of, { done: fmtInt(job.done), total: fmtInt(job.total) }) : "";
  const actions = el("div", { class: "jb-actions" },
    job.links.download ? el("a", { class: "jb-download", href: job.links.download, download: job.result_name || true,
                                   text: `${strings.download} ${job.result_name || ""}` }) : null,
    job.links.result ? el("a", { class: "jb-result", href: job.links.result, text: strings.open }) : null,
    job.cancellable ? el("button", { type: "button", class: "btn-secondary jb-cancel", text: strings.cancel,
                                     onclick: () => onCancel && onCancel(job) }) : null);
  return el("li", { class: "jb-job", "data-job": job.id, "data-status": job.status, "data-kind": job.kind },
    el("div", { class: "jb-head" },
      el("span", { class: "jb-title", text: job.title }),
      el("span", { class: "jb-status", "data-status": job.status, text: job.status_label }),
      el("span", { class: "jb-meta", text: [job.kind_label, job.user, fmtDateTime(job.created_at),
        job.attempts > 1 ? fmt(strings.attempt, { n: job.attempts }) : ""].filter(Boolean).join(" · ") })),
    job.finished ? null : el("div", { class: "jb-bar" }, bar, el("span", { class: "jb-count", text: `${job.percent}% ${count}` })),
    el("p", { class: `jb-message${job.status === "failed" ? " error" : ""}`, role: job.status === "failed" ? "alert" : null,
              text: job.message }),
    actions);
}

/** Ask to cancel a job; resolves to the job as the server now has it. */
export function cancelJob(config, job) {
  return api(config, job.cancel_url, { method: "POST" });
}

/** Poll one job until it has finished, calling onUpdate(job) with every answer; resolves to the finished job. */
export async function followJob(url, onUpdate, { onError } = {}) {
  for (;;) {
    try {
      const job = await getJSON(url);
      onUpdate(job);
      if (job.finished) return job;
    } catch (error) {
      if (onError) onError(error);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
