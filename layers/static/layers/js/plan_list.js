// The plan list after "propose bundles" (docs/PLANS.md, docs/JOBS.md): the proposal job's progress bar, then its plan.
import { el } from "./dom.js";
import { cancelJob, followJob, jobCard } from "./job_progress.js";

const config = JSON.parse(document.getElementById("plan-job-config").textContent);
const S = config.strings;
const section = document.getElementById("plan-job");
const holder = document.getElementById("plan-job-card");

function show(job) {
  section.dataset.status = job.status;
  holder.replaceChildren(el("ul", { class: "jb-list" }, jobCard(job, S, {
    onCancel: async (current) => {
      try {
        show(await cancelJob(config, current));
      } catch (error) {
        holder.append(el("p", { class: "pl-error", role: "alert", text: error.message }));
      }
    },
  })), el("a", { class: "pl-job-list", href: config.urls.jobList, text: S.list }));
}

show(config.job);
if (!config.job.finished) {
  followJob(config.job.url, show).then((job) => {
    if (job.status === "done" && job.links.result) window.location.assign(job.links.result);
  });
} else if (config.job.status === "done" && config.job.links.result) {
  window.location.assign(config.job.links.result);
}
