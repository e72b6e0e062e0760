// Keyboard shortcuts for the officers' workspace. Queue: j/k move, Enter or o opens,
// x selects, / searches. Comment page: 1–7 choose a status, Ctrl+Enter saves and
// moves on, j/k go to the next/previous comment. Keys typed into fields are left alone.
(function () {
  "use strict";
  function typing(ev) {
    var t = ev.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  var queue = document.getElementById("queue");
  var rows = queue ? Array.prototype.slice.call(queue.querySelectorAll("tbody tr[data-href]")) : [];
  var cur = -1;
  function select(i) {
    if (!rows.length) return;
    cur = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, j) { r.classList.toggle("current", j === cur); r.setAttribute("aria-selected", j === cur ? "true" : "false"); });
    var link = rows[cur].querySelector("a.open");
    if (link) link.focus();
  }

  var decide = document.getElementById("decide");

  document.addEventListener("keydown", function (ev) {
    if (decide && ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      // After a conflict, saving over another officer's decision takes a deliberate
      // click: the shortcut only moves the focus to that button.
      var over = document.getElementById("overwrite");
      if (over) { over.focus(); return; }
      decide.requestSubmit ? decide.requestSubmit(document.getElementById("save-next")) : decide.submit();
      return;
    }
    if (typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (queue) {
      if (ev.key === "j") { ev.preventDefault(); select(cur + 1); }
      else if (ev.key === "k") { ev.preventDefault(); select(cur - 1); }
      else if ((ev.key === "Enter" || ev.key === "o") && cur >= 0) { ev.preventDefault(); location.href = rows[cur].getAttribute("data-href"); }
      else if (ev.key === "x" && cur >= 0) { var cb = rows[cur].querySelector("input[type=checkbox]"); if (cb) cb.checked = !cb.checked; }
      else if (ev.key === "/") { ev.preventDefault(); var q = document.getElementById("q"); if (q) q.focus(); }
      return;
    }
    if (decide) {
      if (/^[1-7]$/.test(ev.key)) {
        var r = decide.querySelector('input[name=status][data-key="' + ev.key + '"]');
        if (r) { r.checked = true; r.focus(); ev.preventDefault(); }
      } else if (ev.key === "j" || ev.key === "k") {
        var a = document.getElementById(ev.key === "j" ? "next" : "prev");
        if (a) { ev.preventDefault(); location.href = a.href; }
      }
    }
  });
})();
