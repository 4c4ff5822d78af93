// Session expiry warning (docs/decisions/0022): the server ends a session N minutes after
// its last renewal. Reading pages (GET) does not renew it, so that a GET writes nothing;
// a save (POST) does, and so does this script when the user is active in the page (a page
// load, a key or a click) and the last renewal is more than 5 minutes old. Warn 5 minutes
// before the end, then go to the login page.
(function () {
  "use strict";
  var body = document.body;
  var minutes = parseInt(body.getAttribute("data-session-minutes") || "0", 10);
  if (!minutes) { return; }
  var age = minutes * 60 * 1000;
  var warnBefore = Math.min(5 * 60 * 1000, age / 2);
  var renewAfter = Math.min(5 * 60 * 1000, age / 6);
  var renewUrl = body.getAttribute("data-session-renew-url");
  var banner = document.getElementById("session-warning");
  var countdown = document.getElementById("session-countdown");
  var button = document.getElementById("session-renew");
  var deadline = Date.now() + age;
  var renewing = false;
  function setSecondsLeft(seconds) {
    if (isNaN(seconds)) { return; }
    deadline = Date.now() + seconds * 1000;
    if (banner && seconds * 1000 > warnBefore) { banner.classList.add("d-none"); }
  }
  function renew() {
    if (renewing || !renewUrl) { return; }
    renewing = true;
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    window.fetch(renewUrl, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: {"X-CSRFToken": token ? token.value : ""}
    }).then(function (response) {
      var left = response.headers.get("X-Session-Expires-In");
      if (response.status === 204 && left) { setSecondsLeft(parseInt(left, 10)); }
    }).catch(function () { return null; }).then(function () { renewing = false; });
  }
  function active() {
    if (age - (deadline - Date.now()) > renewAfter) { renew(); }
  }
  function tick() {
    var left = deadline - Date.now();
    if (left <= 0) {
      window.location.href = body.getAttribute("data-logout-url") + "?next=" + encodeURIComponent(window.location.pathname);
      return;
    }
    if (left <= warnBefore && banner) {
      banner.classList.remove("d-none");
      if (countdown) { countdown.textContent = Math.ceil(left / 60000); }
    }
    window.setTimeout(tick, 15000);
  }
  setSecondsLeft(parseInt(body.getAttribute("data-session-seconds-left") || "", 10));
  ["keydown", "pointerdown"].forEach(function (type) {
    document.addEventListener(type, active, {capture: true, passive: true});
  });
  if (button) { button.addEventListener("click", renew); }
  active();  // opening a page is activity
  window.setTimeout(tick, 1000);
  // Every answer to htmx says how long the session has left (a POST renewed it).
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var left = xhr ? xhr.getResponseHeader("X-Session-Expires-In") : null;
    if (left) { setSecondsLeft(parseInt(left, 10)); }
  });
  // CSRF token for htmx POSTs.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.value; }
  });
})();

// A select marked data-autosubmit sends its form when changed (the site switcher).
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
