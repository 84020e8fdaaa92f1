// The import job page: polls the job's progress JSON once a second and shows rows
// checked, rows written and the time left; reloads the page when the job is done, so the
// outcome and the bad rows come from the server. A failed poll (a restart, a blip) is
// retried with a growing delay up to 10 s.
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box) return;
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("job-bar");
  var status = document.getElementById("job-status");
  var delay = 1000;

  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }

  function timeLeft(seconds) {
    if (seconds === null || seconds === undefined) return "…";
    if (seconds < 60) return seconds + " s";
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + " min " + (s < 10 ? "0" : "") + s + " s";
  }

  function show(data) {
    field("checked").textContent = data.checked.toLocaleString();
    field("written").textContent = data.written.toLocaleString();
    field("time-left").textContent = timeLeft(data.seconds_left);
    if (status) { status.textContent = data.status_display; status.setAttribute("data-status", data.status); }
    if (bar && data.file_size && data.bytes_read) bar.value = Math.min(100, 100 * data.bytes_read / data.file_size);
    var queued = document.getElementById("job-queued");
    if (queued && data.status !== "queued") queued.remove();
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.done) { window.location.reload(); return; }
        delay = 1000;
        setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 10000);
        setTimeout(poll, delay);
      });
  }
  setTimeout(poll, 500);
})();
