// Skip logic of a CRF form (issue #11, ADR 0034). The page carries its form's declaration
// as JSON (crf.rules.conditions.as_json, <script type="application/json" id="skip-logic">);
// this file hides the items that do not apply, live, and lifts their `required`. The save
// applies the same declaration with the Python evaluator: the two must agree
// (tests/browser/test_skip_logic.py compares them on every form).
(function () {
  "use strict";

  function filled(v) {
    return !(v === null || v === undefined || v === false || v === "" || v === 0 ||
      (Array.isArray(v) && v.length === 0));
  }

  function holds(c, values) {
    if (c.all) { return c.all.every(function (x) { return holds(x, values); }); }
    if (c.any) { return c.any.some(function (x) { return holds(x, values); }); }
    var v = Object.prototype.hasOwnProperty.call(values, c.field) ? values[c.field] : null;
    if (v === undefined) { v = null; }
    if ("equals" in c) { return v === c.equals; }
    if ("not_equals" in c) { return v !== c.not_equals; }
    if ("in" in c) { return c["in"].indexOf(v) !== -1; }
    if ("filled" in c) { return filled(v) === c.filled; }
    throw new Error("skip.js: unknown condition");
  }

  function skipped(showWhen, values) {
    return Object.keys(showWhen).filter(function (name) {
      return !holds(showWhen[name], values);
    }).sort();
  }

  window.PlatiniumSkip = { holds: holds, skipped: skipped };

  var form = document.querySelector("form[data-skip-logic]");
  if (!form) { return; }
  var source = document.getElementById(form.getAttribute("data-skip-logic"));
  if (!source) { return; }
  var logic = JSON.parse(source.textContent);
  var showWhen = logic.show_when || {};
  if (!Object.keys(showWhen).length) { return; }

  // A control's value as the model holds it: yes/no → true/false/null, a number → a
  // number, a list of boxes → the ticked codes, an empty answer → null.
  function valueOf(name) {
    var controls = form.querySelectorAll("[name='" + name + "']");
    if (!controls.length) { return undefined; }
    var first = controls[0];
    if (first.type === "checkbox") {
      if (controls.length === 1 && first.id === "id_" + name) {
        return first.checked;
      }
      return Array.prototype.filter.call(controls, function (c) { return c.checked; })
        .map(function (c) { return c.value; });
    }
    if (first.type === "radio") {
      var on = Array.prototype.find.call(controls, function (c) { return c.checked; });
      return on ? on.value : null;
    }
    var raw = first.value;
    if (first.tagName === "SELECT") {
      var options = Array.prototype.map.call(first.options, function (o) { return o.value; });
      if (options.indexOf("unknown") !== -1 && options.indexOf("true") !== -1) {
        return raw === "true" ? true : raw === "false" ? false : null;
      }
    }
    if (raw === "") { return null; }
    if (first.type === "number") {
      var n = Number(raw);
      return isNaN(n) ? raw : n;
    }
    return raw;
  }

  function values() {
    var out = {};
    Object.keys(logic.constants || {}).forEach(function (k) { out[k] = logic.constants[k]; });
    var names = {};
    Object.keys(showWhen).forEach(function (name) { names[name] = true; });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name) { names[el.name] = true; }
    });
    Object.keys(names).forEach(function (name) {
      var v = valueOf(name);
      if (v !== undefined) { out[name] = v; }
    });
    return out;
  }

  function setShown(name, shown) {
    var wrapper = document.getElementById("div_id_" + name);
    if (!wrapper) { return; }
    wrapper.hidden = !shown;
    wrapper.setAttribute("data-skipped", shown ? "false" : "true");
    wrapper.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!shown && el.required) {
        el.required = false;
        el.setAttribute("data-skip-required", "true");
      } else if (shown && el.getAttribute("data-skip-required") === "true") {
        el.required = true;
        el.removeAttribute("data-skip-required");
      }
    });
  }

  function apply() {
    var off = {};
    skipped(showWhen, values()).forEach(function (name) { off[name] = true; });
    Object.keys(showWhen).forEach(function (name) { setShown(name, !off[name]); });
  }

  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  apply();
})();
