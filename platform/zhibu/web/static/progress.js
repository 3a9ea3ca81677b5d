// A job's progress bar, fed by /t/<tenant>/jobs/<id>.json until the job ends, then the
// page is drawn again with the job's outcome. A job run inline has already ended when the
// page is drawn: then there is nothing to poll.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var names = { finished: box.dataset.finished, failed: box.dataset.failed,
                started: box.dataset.running, queued: box.dataset.queued };

  function show(job) {
    var bar = document.getElementById("job-bar");
    bar.max = job.total || 1;
    bar.value = job.done;
    var status = document.getElementById("job-status");
    status.textContent = names[job.status] || job.status;
    status.className = "status-" + job.status + " outcome-" + job.outcome;
    document.getElementById("job-step").textContent = job.step_name || "";
    document.getElementById("job-count").textContent = job.done + " / " + job.total;
    if (job.error) {
      var error = document.getElementById("job-error");
      error.textContent = job.error.join(" ");
      error.hidden = false;
    }
    document.getElementById("job-next").hidden = job.status !== "finished";
    return job.status === "finished" || job.status === "failed";
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        // ended: draw the page again, with what the job did (an import's rejected rows …)
        if (show(job)) window.location.reload();
        else setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }

  var status = document.getElementById("job-status").classList;
  if (!status.contains("status-finished") && !status.contains("status-failed")) poll();
})();
