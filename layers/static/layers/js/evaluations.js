// The annual evaluation page (docs/EVALUATIONS.md): follows the evaluation job just started and reloads the table
// when it has finished.
import { jobCard, followJob } from "./job_progress.js";

const config = JSON.parse(document.getElementById("evaluations-config").textContent);
const box = document.getElementById("ev-job");

if (config.job) {
  followJob(config.job, (job) => {
    box.replaceChildren(jobCard(job, config.strings));
    if (job.finished && job.status === "done") window.location.assign(config.reload);
  });
}
