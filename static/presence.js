// Who else has this comment open: the comment page asks the server every few seconds
// (data-every, in ms) and shows the names in #presence. Without JavaScript the page
// shows who had it open when it was rendered.
(function () {
  "use strict";
  var box = document.getElementById("presence");
  if (!box || !window.fetch) return;
  var names = document.getElementById("presence-names");
  var every = parseInt(box.getAttribute("data-every"), 10) || 30000;
  function tick() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (!v) return;
        names.textContent = (v.viewers || []).join("、");
        box.hidden = !(v.viewers && v.viewers.length);
      })
      .catch(function () {});
  }
  setInterval(tick, every);
})();
