// Comment form helpers. The form works without any of this; here we keep the
// person's draft in localStorage (offered back if the tab was closed), count
// characters, and show the text of the section they pick.
(function () {
  "use strict";
  var KEY = "consult-draft:";
  var FIELDS = ["section", "body", "name", "identity", "organization"];

  // On the receipt page: the comment arrived, forget the draft.
  var receipt = document.getElementById("receipt");
  if (receipt) {
    try { localStorage.removeItem(KEY + receipt.getAttribute("data-slug")); } catch (e) {}
    return;
  }

  var form = document.getElementById("comment-form");
  if (!form) return;
  var key = KEY + form.getAttribute("data-slug");
  var body = form.elements.body;
  var max = parseInt(form.getAttribute("data-max"), 10) || 15000;

  function read() {
    var d = { savedAt: Date.now() };
    FIELDS.forEach(function (f) {
      var el = form.elements[f];
      if (!el) return;
      d[f] = el.value;
    });
    return d;
  }

  function write(d) {
    FIELDS.forEach(function (f) {
      var el = form.elements[f];
      if (!el || d[f] == null) return;
      if (el instanceof RadioNodeList || (el.length && el[0] && el[0].type === "radio")) {
        for (var i = 0; i < el.length; i++) el[i].checked = el[i].value === d[f];
      } else {
        el.value = d[f];
      }
    });
    count();
  }

  function save() {
    try {
      if (body.value.trim() === "") return;
      localStorage.setItem(key, JSON.stringify(read()));
    } catch (e) {}
  }

  function count() {
    var n = Array.from(body.value).length;
    var out = document.getElementById("body-count");
    if (out) out.textContent = "已输入 " + n + " 字" + (n > max ? ",超出 " + (n - max) + " 字" : "") + "。";
  }

  var timer;
  form.addEventListener("input", function () {
    count();
    clearTimeout(timer);
    timer = setTimeout(save, 400);
  });
  form.addEventListener("submit", save);

  // Offer back a draft the server did not re-render (the tab was closed).
  var saved = null;
  try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) {}
  if (saved && saved.body && body.value.trim() === "" ) {
    var box = document.createElement("div");
    box.className = "notice";
    box.id = "draft-restore";
    box.setAttribute("role", "status");
    var when = new Date(saved.savedAt);
    box.appendChild(document.createTextNode("发现您在 " + when.toLocaleString("zh-CN") + " 未提交的意见草稿。"));
    var yes = document.createElement("button");
    yes.type = "button";
    yes.textContent = "恢复草稿";
    yes.addEventListener("click", function () { write(saved); box.remove(); body.focus(); });
    var no = document.createElement("button");
    no.type = "button";
    no.className = "linkish";
    no.textContent = "不用了";
    no.addEventListener("click", function () { try { localStorage.removeItem(key); } catch (e) {} box.remove(); });
    box.appendChild(yes);
    box.appendChild(no);
    form.parentNode.insertBefore(box, form);
  }

  // Show the text of the section being commented on.
  var sel = form.elements.section;
  var target = document.getElementById("section-text");
  var draftDoc = null;
  sel.addEventListener("change", function () {
    var anchor = sel.value;
    function show(doc) {
      var el = anchor === "general" ? null : doc.getElementById(anchor);
      target.textContent = "";
      if (!el) {
        var p = document.createElement("p");
        p.textContent = "对全文提出总体意见。";
        target.appendChild(p);
        return;
      }
      var copy = el.cloneNode(true);
      copy.removeAttribute("id");
      var drop = copy.querySelectorAll(".actions, article, [id]");
      for (var i = 0; i < drop.length; i++) {
        if (drop[i].matches(".actions, article")) drop[i].remove(); else drop[i].removeAttribute("id");
      }
      target.appendChild(copy);
    }
    if (draftDoc) return show(draftDoc);
    fetch(target.getAttribute("data-draft-url"), { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) { draftDoc = new DOMParser().parseFromString(html, "text/html"); show(draftDoc); })
      .catch(function () {});
  });

  count();
})();
