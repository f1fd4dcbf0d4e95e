// The comparison report: draws the payload written by explain_lib.report.comparison._report.
// Every name reaches the page through textContent; numbers keep their full value in data-value.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("payload").textContent);
  var app = document.getElementById("app");
  var COLOURS = {a: "#95a5a6", b: "#2c7fb8", delta: "#2c3e50", flagged: "#c0392b"};

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function fmt(value) {
    if (value === null || value === undefined) return "\u2014";
    if (Number.isInteger(value)) return String(value);
    return Number(value).toPrecision(4);
  }
  function cell(value, cls) {
    var td = el("td", {"class": cls || "num"}, fmt(value));
    if (value !== null && value !== undefined) td.setAttribute("data-value", String(value));
    return td;
  }

  // ---- heading: which runs A and B are, the verdict, the models' metrics, what the statistics mean
  app.appendChild(el("h1", {}, "Explanation comparison"));
  function who(side, about, label) {
    var line = el("p", {"class": "who", "id": "who-" + side});
    line.appendChild(el("span", {"class": "tag " + side}, side.toUpperCase()));
    line.appendChild(el("span", {"class": "name", "id": "name-" + side}, about.name));
    if (about.date) line.appendChild(el("span", {"class": "date", "id": "date-" + side}, about.date));
    line.appendChild(el("span", {"class": "uri", "id": "label-" + side}, label));
    return line;
  }
  app.appendChild(who("a", data.about_a, data.a));
  app.appendChild(who("b", data.about_b, data.b));
  var flaggedText = data.flagged.length + " feature(s) changed beyond noise" +
    (data.flagged.length ? ": " + data.flagged.join(", ") : "");
  app.appendChild(el("p", {"id": "verdict", "class": data.top_unchanged && !data.flagged.length ? "ok" : "changed"},
    "Top " + data.top_gate + " features " + (data.top_unchanged ? "unchanged" : "CHANGED") + "; " + flaggedText +
    "; largest rank shift among the top " + data.top_k + ": " + data.max_rank_shift + "."));
  data.notes.forEach(function (note) { app.appendChild(el("p", {"class": "note"}, note)); });

  if (data.model_metrics.length) {
    app.appendChild(el("h2", {}, "The models' metrics"));
    var metrics = el("table", {"id": "model-metrics"});
    var mhead = el("tr");
    ["metric", "A", "B", "change (B \u2212 A)"].forEach(function (name) { mhead.appendChild(el("th", {}, name)); });
    metrics.appendChild(el("thead")).appendChild(mhead);
    var mbody = metrics.appendChild(el("tbody"));
    data.model_metrics.forEach(function (m) {
      var tr = el("tr", {"data-metric": m.name});
      tr.appendChild(el("td", {"class": "name"}, m.name));
      [m.a, m.b, m.change].forEach(function (v) { tr.appendChild(cell(v)); });
      mbody.appendChild(tr);
    });
    app.appendChild(metrics);
  }
  var alpha = data.params.alpha;
  var glossary = el("details", {"id": "glossary", "open": ""});
  glossary.appendChild(el("summary", {}, "How to read this"));
  var terms = el("dl");
  [["delta (B \u2212 A)", "How much a feature's importance (its mean |local value|) rose or fell from A to B."],
   ["95% band", "The range the delta falls in for 95% of random resamplings of each side's rows: a band that " +
    "excludes 0 means the change is larger than resampling the same rows would give."],
   ["Wasserstein", "How far apart A's and B's distributions of the feature's local values are, in output units " +
    "(0: the same distribution)."],
   ["p (Holm)", "The chance of a distance at least this large if A's and B's local values came from one " +
    "distribution, raised to account for testing every top feature at once."],
   ["changed", "Flagged when both say so: p (Holm) below " + alpha + " and a band that excludes 0; the last column " +
    "says why a feature is not, e.g. a band that excludes 0 while the distributions are not told apart from noise."]
  ].forEach(function (pair) { terms.appendChild(el("dt", {}, pair[0])); terms.appendChild(el("dd", {}, pair[1])); });
  glossary.appendChild(terms);
  app.appendChild(glossary);

  // ---- view selector (global, per class, cohorts)
  var controls = el("p", {"class": "controls"});
  controls.appendChild(el("label", {"for": "view"}, "Show "));
  var select = el("select", {"id": "view"});
  data.views.forEach(function (view, i) { select.appendChild(el("option", {"value": String(i)}, view.name)); });
  controls.appendChild(select);
  app.appendChild(controls);

  var chartBox = el("div", {"id": "chart", "class": "chart"});
  app.appendChild(chartBox);
  var table = el("table", {"id": "features"});
  var head = el("tr");
  ["feature", "rank A", "rank B", "shift", "importance A", "importance B", "delta (B \u2212 A)", "95% band low",
   "95% band high", "Wasserstein", "p (Holm)", "changed", "why"].forEach(function (name) { head.appendChild(el("th", {}, name)); });
  table.appendChild(el("thead")).appendChild(head);
  var body = table.appendChild(el("tbody"));
  app.appendChild(table);

  function extraList(title, id, rows, side) {
    var section = el("section", {"id": id});
    section.appendChild(el("h2", {}, title + " (" + rows.length + ")"));
    var list = section.appendChild(el("ul"));
    if (!rows.length) list.appendChild(el("li", {"class": "none"}, "none"));
    rows.forEach(function (row) {
      var item = list.appendChild(el("li"));
      item.appendChild(el("span", {"class": "name"}, row.feature));
      item.appendChild(el("span", {"class": "num", "data-value": String(row.importance)},
        " importance " + fmt(row.importance) + ", rank " + row.rank + " in " + side));
    });
    app.appendChild(section);
  }
  extraList("Appeared in B", "appeared", data.appeared, "B");
  extraList("Vanished from B", "vanished", data.vanished, "A");
  var params = Object.keys(data.params).map(function (key) { return key + " " + data.params[key]; }).join(", ");
  app.appendChild(el("p", {"class": "note"}, "Task " + data.task + ", importances in " + data.output_space +
    " space. Options: " + params + "."));

  var chart = window.echarts ? echarts.init(chartBox, null, {renderer: "canvas"}) : null;
  // Axis names and labels inside the chart, clear of each other (ECharts 6 lays the plots out around them).
  function grid(left, right) {
    return {left: left, right: right, top: 64, bottom: 8, outerBoundsMode: "same", outerBoundsContain: "all"};
  }

  function draw(view) {
    body.textContent = "";
    view.rows.forEach(function (row) {
      var tr = el("tr", {"class": row.flagged ? "flagged" : ""});
      tr.appendChild(el("td", {"class": "name"}, row.feature));
      [row.rank_a, row.rank_b].forEach(function (v) { tr.appendChild(cell(v)); });
      tr.appendChild(cell(row.rank_shift, "num shift"));
      [row.importance_a, row.importance_b, row.delta, row.delta_low, row.delta_high, row.wasserstein,
       row.p_adjusted].forEach(function (v) { tr.appendChild(cell(v)); });
      tr.appendChild(el("td", {"class": "flag"}, row.flagged ? "yes" : ""));
      tr.appendChild(el("td", {"class": "why"}, row.why));
      body.appendChild(tr);
    });
    if (!chart) return;
    var rows = view.rows.slice(0, 20).reverse();
    var names = rows.map(function (r) { return r.feature; });
    var ends = [0];
    rows.forEach(function (r) { [r.delta, r.delta_low, r.delta_high].forEach(function (v) { if (v !== null) ends.push(v); }); });
    var reach = Math.max(Math.abs(Math.min.apply(null, ends)), Math.abs(Math.max.apply(null, ends))) * 1.1 || 1;
    function deltaSeries(name, flagged, colour) {
      return {name: name, type: "custom", xAxisIndex: 1, yAxisIndex: 1, encode: {x: [1, 2, 3], y: 0},
        itemStyle: {color: colour},
        data: rows.map(function (r, i) { return [i, r.delta, r.delta_low === null ? r.delta : r.delta_low,
                                                 r.delta_high === null ? r.delta : r.delta_high, r.flagged ? 1 : 0]; })
          .filter(function (d) { return Boolean(d[4]) === flagged; }),
        renderItem: function (params, api) {
          var y = api.coord([0, api.value(0)])[1];
          var point = api.coord([api.value(1), api.value(0)]);
          var low = api.coord([api.value(2), api.value(0)]), high = api.coord([api.value(3), api.value(0)]);
          return {type: "group", children: [
            {type: "line", shape: {x1: low[0], y1: y, x2: high[0], y2: y}, style: {stroke: colour, lineWidth: 2}},
            {type: "circle", shape: {cx: point[0], cy: y, r: 4}, style: {fill: colour}}]};
        }};
    }
    chart.setOption({
      animation: false,
      title: {text: "Importance in A and B (bars), delta with its 95% band (right)", textStyle: {fontSize: 13}},
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {top: 26, data: ["A", "B", "delta (within noise)", "delta (changed beyond noise)"]},
      grid: [grid(8, "52%"), grid("52%", 16)],
      xAxis: [{type: "value", gridIndex: 0, name: "importance", nameLocation: "middle"},
              {type: "value", gridIndex: 1, name: "delta (B \u2212 A)", nameLocation: "middle", min: -reach, max: reach,
               axisLabel: {showMinLabel: false, showMaxLabel: false,  // the band's ends are not round numbers
                           formatter: function (v) { return Number(v.toPrecision(2)); }}}],
      yAxis: [{type: "category", gridIndex: 0, data: names, axisLabel: {width: 150, overflow: "truncate"}},
              {type: "category", gridIndex: 1, data: names, axisLabel: {show: false}}],
      series: [
        {name: "A", type: "bar", data: rows.map(function (r) { return r.importance_a; }), itemStyle: {color: COLOURS.a}},
        {name: "B", type: "bar", data: rows.map(function (r) { return r.importance_b; }), itemStyle: {color: COLOURS.b}},
        deltaSeries("delta (within noise)", false, COLOURS.delta),
        deltaSeries("delta (changed beyond noise)", true, COLOURS.flagged)
      ]
    }, true);
  }
  select.addEventListener("change", function () { draw(data.views[Number(select.value)]); });
  draw(data.views[0]);
  window.addEventListener("resize", function () { if (chart) chart.resize(); });
  document.body.setAttribute("data-ready", "true");
})();
