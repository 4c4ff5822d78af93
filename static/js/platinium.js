// Session expiry warning: the server ends an idle session after N minutes;
// warn 5 minutes before, then go to the login page when it has expired.
(function () {
  "use strict";
  var body = document.body;
  var minutes = parseInt(body.getAttribute("data-session-minutes") || "0", 10);
  if (!minutes) { return; }
  var warnAt = Math.max(minutes - 5, 1) * 60 * 1000;
  var expireAt = minutes * 60 * 1000;
  var started = Date.now();
  var banner = document.getElementById("session-warning");
  var countdown = document.getElementById("session-countdown");
  function tick() {
    var elapsed = Date.now() - started;
    if (elapsed >= expireAt) {
      window.location.href = body.getAttribute("data-logout-url") + "?next=" + encodeURIComponent(window.location.pathname);
      return;
    }
    if (elapsed >= warnAt && banner) {
      banner.classList.remove("d-none");
      if (countdown) { countdown.textContent = Math.ceil((expireAt - elapsed) / 60000); }
    }
    window.setTimeout(tick, 15000);
  }
  window.setTimeout(tick, 1000);
  // htmx requests keep the session alive too.
  document.body.addEventListener("htmx:afterRequest", function () { started = Date.now(); if (banner) { banner.classList.add("d-none"); } });
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
