/* Review dashboard (ADR 0021): draws the charts from the JSON data blocks of the page
   (no inline script under the Content-Security-Policy, ADR 0016). Each chart has a table
   of the same figures beside it. */
(function () {
  "use strict";
  var dataNode = document.getElementById("dashboard-data");
  var labelNode = document.getElementById("dashboard-labels");
  if (!dataNode || !labelNode || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  var labels = JSON.parse(labelNode.textContent);
  var sites = data.sites.map(function (row) { return row.code; });
  var base = { responsive: true, maintainAspectRatio: false, animation: false };

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      config.options = Object.assign({}, base, config.options || {});
      new Chart(canvas, config);
    }
  }

  var curve = data.recruitment.curve;
  draw("chart-recruitment", {
    type: "line",
    data: {
      labels: curve.map(function (p) { return p.month; }),
      datasets: [
        { label: labels.actual, data: curve.map(function (p) { return p.actual; }) },
        { label: labels.expected, data: curve.map(function (p) { return p.expected; }), borderDash: [6, 4] }
      ]
    },
    options: { scales: { y: { beginAtZero: true } } }
  });

  draw("chart-consort", {
    type: "bar",
    data: {
      labels: data.consort.map(function (s) { return s.step; }),
      datasets: [{ label: labels.participants, data: data.consort.map(function (s) { return s.n; }) }]
    },
    options: { indexAxis: "y", plugins: { legend: { display: false } } }
  });

  draw("chart-sites", {
    type: "bar",
    data: {
      labels: sites,
      datasets: [{ label: labels.randomized, data: data.sites.map(function (r) { return r.randomized; }) }]
    },
    options: { scales: { y: { beginAtZero: true } } }
  });

  draw("chart-queries", {
    type: "bar",
    data: {
      labels: sites,
      datasets: data.age_bands.map(function (band) {
        return { label: band.label, data: data.sites.map(function (r) { return r.queries[band.key]; }) };
      })
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
  });

  draw("chart-sdv", {
    type: "bar",
    data: {
      labels: sites,
      datasets: [{ label: labels.sdv, data: data.sites.map(function (r) { return r.sdv_percent; }) }]
    },
    options: { scales: { y: { beginAtZero: true, max: 100 } } }
  });

  draw("chart-safety", {
    type: "bar",
    data: {
      labels: sites,
      datasets: [
        { label: labels.saes, data: data.sites.map(function (r) { return r.saes_awaiting; }) },
        { label: labels.resign, data: data.sites.map(function (r) { return r.to_resign; }) }
      ]
    },
    options: { scales: { y: { beginAtZero: true } } }
  });
})();
