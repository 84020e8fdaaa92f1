// Keeps each [data-live-count] element on the exact current count from the SSE stream.
// EventSource reconnects by itself after a dropped connection; the stream sends the
// current count first on every (re)connection, so the number is never stale after a drop.
// It gives up for good when a reconnection is answered with an error status (a 503 while
// the database is away, a proxy's 502), so then we open a new one ourselves, backing off
// from 2 s to at most 30 s.
(function () {
  "use strict";
  var MIN_DELAY = 2000;
  var MAX_DELAY = 30000;

  // Numbers as the page's language writes them (1 234 in Norwegian); state texts from
  // the page (translated there), English when a page gives none.
  var lang = document.documentElement.lang || undefined;
  function formatCount(n) {
    try { return n.toLocaleString(lang); } catch (e) { return String(n); }
  }
  function stateText(state, name, fallback) {
    return (state && state.getAttribute("data-text-" + name)) || fallback;
  }

  function watch(el) {
    var state = el.parentElement.querySelector("[data-live-state]");
    var url = el.getAttribute("data-stream");
    var delay = MIN_DELAY;

    function connect() {
      var source = new EventSource(url);
      source.onmessage = function (event) {
        try {
          var data = JSON.parse(event.data);
          if (typeof data.record_count === "number") {
            el.textContent = formatCount(data.record_count);
            el.setAttribute("data-updated", data.timestamp || "");
            if (state) state.textContent = stateText(state, "live", "(live)");
            delay = MIN_DELAY;
          }
        } catch (e) { /* ignore keep-alives and malformed data */ }
      };
      source.onerror = function () {
        if (state) state.textContent = stateText(state, "reconnecting", "(reconnecting…)");
        if (source.readyState === EventSource.CLOSED) {
          setTimeout(connect, delay);
          delay = Math.min(delay * 2, MAX_DELAY);
        }
      };
    }
    connect();
  }

  document.querySelectorAll("[data-live-count]").forEach(watch);
})();
