// Live figures without reloading: listen to the server's event stream (/api/v1/events) and,
// when the log has moved past the head this page was rendered at, fetch the same page again and
// swap its live parts (every element with data-live and an id). The page reads fully without
// this script; it only keeps the open page fresh.
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-events");
  var shown = parseInt(body.getAttribute("data-head"), 10);
  if (!url || !window.EventSource || isNaN(shown)) return;
  var busy = false, again = false;

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var next = parseInt(fresh.body.getAttribute("data-head"), 10);
    if (!isNaN(next)) { shown = next; body.setAttribute("data-head", String(next)); }
    document.querySelectorAll("[data-live][id]").forEach(function (old) {
      var found = fresh.getElementById(old.id);
      if (found && found.innerHTML !== old.innerHTML) {
        old.innerHTML = found.innerHTML;
        old.classList.remove("updated"); void old.offsetWidth; old.classList.add("updated");
      }
    });
    var status = document.getElementById("live-status");
    var note = fresh.getElementById("live-status-text");
    if (status) status.textContent = note ? note.textContent : "";
    body.setAttribute("data-refreshed", String(shown));
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(swap)
      .catch(function () { /* the next event tries again */ })
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }

  var stream = new EventSource(url);
  stream.addEventListener("head", function (e) {
    var head;
    try { head = JSON.parse(e.data); } catch (err) { return; }
    if (head.events > shown) refresh();
  });
})();
