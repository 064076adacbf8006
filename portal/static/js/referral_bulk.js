// The bulk upload's progress page: asks the portal to store the rows (when no job queue does it)
// and polls the job's progress until it is done, then reloads the page for the report.
// Without this script the page's button stores the rows and the page shows the result.
"use strict";
(() => {
  const box = document.getElementById("bulk-job");
  if (!box) {
    return;
  }
  const statusUrl = box.dataset.statusUrl;
  const runUrl = box.dataset.runUrl;
  const finished = (state) => state === "done" || state === "failed";
  if (finished(box.dataset.state)) {
    return;
  }
  const csrf = document.querySelector(".bulk-run input[name='csrf_token']");
  // The job's state in words, in the page's language (listed in portal/i18n.py SCRIPT_MESSAGES).
  const states = {
    queued: () => window.ischiaText("Queued"),
    running: () => window.ischiaText("Running"),
    done: () => window.ischiaText("Done"),
    failed: () => window.ischiaText("Failed"),
  };

  function show(job) {
    box.dataset.state = job.state;
    for (const name of ["rows_done", "accepted", "duplicates", "refused"]) {
      const field = box.querySelector(`[data-field="${name}"]`);
      if (field) {
        field.textContent = String(job[name]);
      }
    }
    const state = box.querySelector("[data-field='state']");
    if (state) {
      state.textContent = Object.hasOwn(states, job.state) ? states[job.state]() : job.state;
    }
    const bar = box.querySelector("[data-field='progress']");
    if (bar) {
      bar.max = job.rows_total;
      bar.value = job.rows_done;
    }
    const error = box.querySelector("[data-field='error']");
    if (error && job.error) {
      error.textContent = job.error;
      error.hidden = false;
    }
  }

  async function poll() {
    try {
      const answer = await fetch(statusUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (answer.ok) {
        const job = await answer.json();
        show(job);
        if (finished(job.state)) {
          window.location.reload();
          return;
        }
      }
    } catch (problem) {
      // A dropped poll is retried on the next tick.
    }
    window.setTimeout(poll, 1000);
  }

  if (runUrl && csrf) {
    const form = box.querySelector(".bulk-run");
    if (form) {
      form.hidden = true;
    }
    fetch(runUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf.value },
    }).catch(() => {
      if (form) {
        form.hidden = false;
      }
    });
  }
  window.setTimeout(poll, 300);
})();
