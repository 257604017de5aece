// The job list (/jobs/, docs/JOBS.md): every job of the user with its progress, refreshed while any is unfinished.
import { fmt, getJSON } from "./api.js";
import { el } from "./dom.js";
import { cancelJob, jobCard } from "./job_progress.js";

const config = JSON.parse(document.getElementById("jobs-config").textContent);
const S = config.strings;
const list = document.getElementById("job-list");
const POLL_MS = 1000;
let timer = null;

function render(jobs) {
  list.replaceChildren(...(jobs.length ? jobs.map((job) => jobCard(job, S, { onCancel })) :
    [el("li", { class: "jb-empty", text: S.none })]));
  list.dataset.unfinished = String(jobs.filter((j) => !j.finished).length);
  clearTimeout(timer);
  if (jobs.some((j) => !j.finished)) timer = setTimeout(refresh, POLL_MS);
}

async function refresh() {
  try {
    render((await getJSON(config.urls.jobs)).jobs);
  } catch (error) {
    timer = setTimeout(refresh, POLL_MS * 3);
  }
}

async function onCancel(job) {
  try {
    await cancelJob(config, job);
  } catch (error) {
    window.alert(fmt(S.cancelFailed, { error: error.message }));
  }
  refresh();
}

render(config.jobs);
