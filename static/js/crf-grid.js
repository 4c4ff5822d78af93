// Daily grid: "same as yesterday" copies the previous row's inputs into this row
// (client-side only; saving still goes through the audited service, row by row).
(function () {
  "use strict";
  function inputsOf(formId) {
    return document.querySelectorAll("[form='" + formId + "'][name]");
  }
  document.querySelectorAll("[data-copy-previous]").forEach(function (button) {
    button.addEventListener("click", function () {
      var rowId = button.getAttribute("data-copy-previous");
      var row = button.closest("tr");
      var previous = row ? row.previousElementSibling : null;
      if (!previous || !previous.getAttribute("data-form")) { return; }
      var source = {};
      inputsOf(previous.getAttribute("data-form")).forEach(function (el) {
        if (el.type !== "hidden" && el.name !== "reason_for_change") { source[el.name] = el.value; }
      });
      // A read-only (already saved, outside the edit window) row carries its raw values.
      previous.querySelectorAll("td[data-name]").forEach(function (cell) {
        source[cell.getAttribute("data-name")] = cell.getAttribute("data-value");
      });
      inputsOf(rowId).forEach(function (el) {
        if (el.name in source) {
          el.value = source[el.name];
        }
      });
      var first = inputsOf(rowId)[0];
      if (first) { first.dispatchEvent(new Event("change", { bubbles: true })); first.focus(); }
    });
  });
})();
