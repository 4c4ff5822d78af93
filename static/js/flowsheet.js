// Daily ICU flowsheet (templates/crf/daily_grid.html; docs/decisions/0033-daily-flowsheet.md).
// - Tab moves down a day's column (its <form>'s controls, in page order), then to the next
//   day; Shift+Tab goes back the same way.
// - Alt+PageUp / Alt+PageDown open the earlier / later week (asking first when typed values
//   would be lost).
// - "Same as yesterday" copies the previous day's values into the day, every item exactly as
//   the previous day holds it (selects included), after asking before it overwrites a day
//   that already holds values. Client-side only: saving still goes through the audited
//   service, day by day.
// - The day's SOFA and its six components are recomputed as you type (crf:daily_sofa,
//   nothing saved).
(function () {
  "use strict";
  var table = document.getElementById("daily-grid");
  if (!table) { return; }
  var dayForms = Array.prototype.slice.call(table.querySelectorAll("form[id^='row-']"));
  var dirty = false;

  function focusable(el) {
    return el.type !== "hidden" && !el.disabled && el.tagName !== "FIELDSET" && el.tagName !== "OUTPUT";
  }
  function controlsOf(form) {
    return Array.prototype.filter.call(form.elements, focusable);
  }
  function copied(el) {
    return el.name && el.type !== "hidden" && el.type !== "button" && el.type !== "submit" &&
      el.name !== "reason_for_change" && el.name !== "csrfmiddlewaretoken";
  }
  // The value an item holds, in the form its own control takes back.
  function valueOf(el) {
    if (el.type === "checkbox" || el.type === "radio") { return el.checked ? el.value : null; }
    if (el.tagName === "SELECT" && el.multiple) {
      return Array.prototype.filter.call(el.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
    }
    return el.value;
  }
  function isBlank(el) {
    var v = valueOf(el);
    if (v === null || v === "" || v === "unknown") { return true; }
    return Array.isArray(v) && v.length === 0;
  }
  function setValue(el, value) {
    if (el.type === "checkbox" || el.type === "radio") {
      el.checked = Array.isArray(value) ? value.indexOf(el.value) !== -1 : value === el.value;
    } else if (el.tagName === "SELECT" && el.multiple) {
      var wanted = Array.isArray(value) ? value : [value];
      Array.prototype.forEach.call(el.options, function (o) { o.selected = wanted.indexOf(o.value) !== -1; });
    } else if (el.tagName === "SELECT") {
      el.value = value;
      // A value no option carries would leave the select empty: fall back to "not answered".
      if (el.selectedIndex === -1) { el.selectedIndex = 0; }
    } else {
      el.value = value;
    }
  }
  function formValues(form) {
    var source = {};
    Array.prototype.filter.call(form.elements, copied).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (!(el.name in source)) { source[el.name] = []; }
        if (el.checked) { source[el.name].push(el.value); }
      } else {
        source[el.name] = valueOf(el);
      }
    });
    return source;
  }
  // The day before: its column on this week, else its saved values (the previous week).
  function previousValues(form) {
    var index = dayForms.indexOf(form);
    if (index > 0) { return formValues(dayForms[index - 1]); }
    var saved = document.getElementById("flow-previous");
    return saved ? JSON.parse(saved.textContent) : null;
  }

  // Keyboard: Tab down the day, then on to the next day.
  table.addEventListener("keydown", function (event) {
    if (event.key !== "Tab" || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var form = event.target.form;
    if (!form || dayForms.indexOf(form) === -1) { return; }
    var controls = controlsOf(form);
    var at = controls.indexOf(event.target);
    var next = null;
    if (event.shiftKey) {
      if (at > 0) { next = controls[at - 1]; } else {
        var before = dayForms[dayForms.indexOf(form) - 1];
        if (before) { var list = controlsOf(before); next = list[list.length - 1]; }
      }
    } else if (at < controls.length - 1) {
      next = controls[at + 1];
    } else {
      var after = dayForms[dayForms.indexOf(form) + 1];
      if (after) { next = controlsOf(after)[0]; }
    }
    if (next) { event.preventDefault(); next.focus(); }
  });

  // Earlier / later week.
  function leave(link) {
    if (!link) { return; }
    if (dirty && !window.confirm(table.getAttribute("data-leave"))) { return; }
    dirty = false;
    window.location.href = link.href;
  }
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || (event.key !== "PageUp" && event.key !== "PageDown")) { return; }
    event.preventDefault();
    leave(document.getElementById(event.key === "PageUp" ? "week-earlier" : "week-later"));
  });
  ["week-earlier", "week-later"].forEach(function (id) {
    var link = document.getElementById(id);
    if (link) {
      link.addEventListener("click", function (event) { event.preventDefault(); leave(link); });
    }
  });

  // Live SOFA of a day.
  var sofaUrl = table.getAttribute("data-sofa-url");
  function refreshSofa(form) {
    var day = form.id.replace(/^row-/, "");
    var body = new FormData(form);
    fetch(sofaUrl, { method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": body.get("csrfmiddlewaretoken") } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        doc.querySelectorAll("[data-sofa]").forEach(function (part) {
          var cell = document.getElementById("sofa-" + part.getAttribute("data-sofa") + "-" + day);
          if (cell) { cell.textContent = part.textContent.trim(); }
        });
      });
  }
  table.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || dayForms.indexOf(form) === -1) { return; }
    dirty = true;
    if (event.target.name !== "reason_for_change") { refreshSofa(form); }
  });
  table.addEventListener("input", function () { dirty = true; });
  dayForms.forEach(function (form) { form.addEventListener("submit", function () { dirty = false; }); });

  // "Same as yesterday".
  table.querySelectorAll("[data-copy-previous]").forEach(function (button) {
    button.addEventListener("click", function () {
      var form = document.getElementById(button.getAttribute("data-copy-previous"));
      var source = form ? previousValues(form) : null;
      if (!source) { return; }
      var targets = Array.prototype.filter.call(form.elements, copied);
      var holdsData = targets.some(function (el) { return !isBlank(el); });
      if (holdsData && !window.confirm(button.getAttribute("data-confirm"))) { return; }
      targets.forEach(function (el) {
        if (el.name in source) { setValue(el, source[el.name]); }
      });
      dirty = true;
      refreshSofa(form);
      var first = targets[0];
      if (first) { first.focus(); }
    });
  });

  // Focus: the first refused item, else the day named in the address (#enter-<day>: the
  // day after the one just saved), so entering a week goes on from the keyboard. The name
  // matches no element id, so the browser's own fragment focusing leaves it alone.
  var invalid = table.querySelector("[aria-invalid='true']");
  var target = invalid;
  if (!target && window.location.hash.indexOf("#enter-") === 0) {
    var day = document.getElementById("row-" + window.location.hash.slice(7));
    if (day) { target = Array.prototype.filter.call(day.elements, copied)[0]; }
  }
  if (target) { target.focus(); }
})();
