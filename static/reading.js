// Reading controls: font size, text colour and eye-care background. The links work
// without JavaScript (the server sets the "reading" cookie and redirects back); here
// they apply at once and write the same cookie, so every page renders them next time.
(function () {
  "use strict";
  var root = document.documentElement;
  var state = { size: "m", color: "", eye: "0" };

  function load() {
    var m = document.cookie.match(/(?:^|;\s*)reading=([^;]*)/);
    if (!m) return;
    var parts = decodeURIComponent(m[1]).split(".");
    if (parts.length === 3) state = { size: parts[0], color: parts[1], eye: parts[2] };
  }

  function apply() {
    var cls = [];
    if (state.size !== "m") cls.push("fs-" + state.size);
    if (state.color) cls.push("fc-" + state.color);
    if (state.eye === "1") cls.push("bg-eye");
    root.className = cls.join(" ");
    var links = document.querySelectorAll("a[data-pref]");
    for (var i = 0; i < links.length; i++) {
      var a = links[i], k = a.getAttribute("data-pref"), v = a.getAttribute("data-value");
      var on = k === "reset" ? false : state[k] === v;
      a.setAttribute("aria-pressed", on ? "true" : "false");
    }
  }

  function save() {
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = "reading=" + [state.size, state.color, state.eye].join(".") +
      "; Path=/; Max-Age=31536000; SameSite=Lax" + secure;
  }

  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[data-pref]");
    if (!a) return;
    ev.preventDefault();
    var k = a.getAttribute("data-pref"), v = a.getAttribute("data-value");
    if (k === "reset") state = { size: "m", color: "", eye: "0" };
    else state[k] = v;
    save();
    apply();
  });

  load();
  apply();
})();
