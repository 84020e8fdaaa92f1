// Keeps each [data-live-count] element on the exact current count from the SSE stream.
// EventSource reconnects by itself; the stream sends the current count first on every
// (re)connection, so the number is never stale after a drop.
(function () {
  "use strict";
  document.querySelectorAll("[data-live-count]").forEach(function (el) {
    var state = el.parentElement.querySelector("[data-live-state]");
    var source = new EventSource(el.getAttribute("data-stream"));
    source.onmessage = function (event) {
      try {
        var data = JSON.parse(event.data);
        if (typeof data.record_count === "number") {
          el.textContent = String(data.record_count);
          el.setAttribute("data-updated", data.timestamp || "");
          if (state) state.textContent = "(live)";
        }
      } catch (e) { /* ignore keep-alives and malformed data */ }
    };
    source.onerror = function () { if (state) state.textContent = "(reconnecting…)"; };
  });
})();
