// Daily grid: "same as yesterday" copies the previous row's values into this row, every
// item exactly as the previous row holds it (selects included), after asking before it
// overwrites a row that already holds data (client-side only; saving still goes through
// the audited service, row by row).
(function () {
  "use strict";
  function inputsOf(formId) {
    return Array.prototype.slice.call(document.querySelectorAll("[form='" + formId + "'][name]"));
  }
  function copied(el) {
    return el.type !== "hidden" && el.name !== "reason_for_change" && el.name !== "csrfmiddlewaretoken";
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
  function sourceValues(previous) {
    var source = {};
    inputsOf(previous.getAttribute("data-form")).filter(copied).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (!(el.name in source)) { source[el.name] = []; }
        if (el.checked) { source[el.name].push(el.value); }
      } else {
        source[el.name] = valueOf(el);
      }
    });
    // A read-only (saved, outside the edit window) row carries its values as its inputs take them.
    previous.querySelectorAll("td[data-name]").forEach(function (cell) {
      source[cell.getAttribute("data-name")] = cell.getAttribute("data-value");
    });
    return source;
  }
  document.querySelectorAll("[data-copy-previous]").forEach(function (button) {
    button.addEventListener("click", function () {
      var rowId = button.getAttribute("data-copy-previous");
      var row = button.closest("tr");
      var previous = row ? row.previousElementSibling : null;
      if (!previous || !previous.getAttribute("data-form")) { return; }
      var targets = inputsOf(rowId).filter(copied);
      var holdsData = targets.some(function (el) { return !isBlank(el); });
      if (holdsData && !window.confirm(button.getAttribute("data-confirm"))) { return; }
      var source = sourceValues(previous);
      targets.forEach(function (el) {
        if (el.name in source) { setValue(el, source[el.name]); }
      });
      var first = targets[0];
      if (first) { first.dispatchEvent(new Event("change", { bubbles: true })); first.focus(); }
    });
  });
})();
