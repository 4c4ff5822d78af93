// Drafts survive an expired session: a form with data-draft-key keeps its unsaved values
// in localStorage (key = URL + user), offers them back after re-login, and forgets them
// once the form is saved (the saved page carries data-draft-clear with the form's path).
(function () {
  "use strict";
  var PREFIX = "platinium-draft:";
  document.querySelectorAll("[data-draft-clear]").forEach(function (el) {
    var path = el.getAttribute("data-draft-clear");
    Object.keys(window.localStorage).forEach(function (key) {
      if (key.indexOf(PREFIX) === 0 && key.indexOf(path.replace(/\/$/, "")) !== -1) {
        window.localStorage.removeItem(key);
      }
    });
    // A new form redirects to its detail page: drop drafts of that form's "new" page too.
    var base = path.replace(/\d+\/$/, "new/");
    Object.keys(window.localStorage).forEach(function (key) {
      if (key.indexOf(PREFIX + base) === 0) { window.localStorage.removeItem(key); }
    });
  });
  var form = document.querySelector("form[data-draft-key]");
  if (!form) { return; }
  var key = PREFIX + form.getAttribute("data-draft-key");
  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.type !== "hidden" && el.type !== "submit";
    });
  }
  function snapshot() {
    var data = {};
    fields().forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        data[el.name + "=" + el.value] = el.checked;
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }
  function restore(data) {
    fields().forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        var k = el.name + "=" + el.value;
        if (k in data) { el.checked = data[k]; }
      } else if (el.name in data) {
        el.value = data[el.name];
      }
    });
  }
  var saved = window.localStorage.getItem(key);
  var banner = document.getElementById("draft-restore");
  if (saved && banner) {
    banner.classList.remove("d-none");
    banner.querySelector("[data-draft-restore]").addEventListener("click", function () {
      restore(JSON.parse(saved)); banner.classList.add("d-none");
      // Restored values change what applies: skip.js listens to the form's changes.
      form.dispatchEvent(new Event("change", { bubbles: true }));
    });
    banner.querySelector("[data-draft-discard]").addEventListener("click", function () {
      window.localStorage.removeItem(key); banner.classList.add("d-none");
    });
  }
  var timer = null;
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      window.localStorage.setItem(key, JSON.stringify(snapshot()));
    }, 300);
  });
  form.addEventListener("change", function () {
    window.localStorage.setItem(key, JSON.stringify(snapshot()));
  });
})();
