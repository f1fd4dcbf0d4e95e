// The comparison report: draws the payload written by explain_lib.compare._report.
// Every name reaches the page through textContent; numbers keep their full value in data-value.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("payload").textContent);
  var app = document.getElementById("app");

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

  // ---- heading and verdict
  app.appendChild(el("h1", {}, "Explanation comparison"));
  var who = el("p", {"class": "who"});
  who.appendChild(el("span", {"class": "tag a"}, "A"));
  who.appendChild(el("span", {"id": "label-a"}, data.a));
  who.appendChild(el("span", {"class": "tag b"}, "B"));
  who.appendChild(el("span", {"id": "label-b"}, data.b));
  app.appendChild(who);
  var verdict = el("p", {"id": "verdict", "class": data.top_unchanged ? "ok" : "changed"},
    "Top " + data.top_gate + " features " + (data.top_unchanged ? "unchanged" : "CHANGED") +
    "; largest rank shift among the top " + data.top_k + ": " + data.max_rank_shift + "; " +
    data.flagged.length + " feature(s) changed beyond noise" +
    (data.flagged.length ? ": " + data.flagged.join(", ") : "") + ".");
  app.appendChild(verdict);
  data.notes.forEach(function (note) { app.appendChild(el("p", {"class": "note"}, note)); });

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
   "95% band high", "Wasserstein", "p (Holm)", "changed"].forEach(function (name) { head.appendChild(el("th", {}, name)); });
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
      body.appendChild(tr);
    });
    if (!chart) return;
    var rows = view.rows.slice(0, 20).reverse();
    var names = rows.map(function (r) { return r.feature; });
    var ends = [0];
    rows.forEach(function (r) { [r.delta, r.delta_low, r.delta_high].forEach(function (v) { if (v !== null) ends.push(v); }); });
    var reach = Math.max(Math.abs(Math.min.apply(null, ends)), Math.abs(Math.max.apply(null, ends))) * 1.1 || 1;
    chart.setOption({
      animation: false,
      title: {text: "Importance in A and B (bars), delta with its 95% band (right)", textStyle: {fontSize: 13}},
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {top: 22, data: ["A", "B", "delta"]},
      grid: [{left: 150, right: "52%", top: 60, bottom: 30}, {left: "53%", right: 20, top: 60, bottom: 30}],
      xAxis: [{type: "value", gridIndex: 0, name: "importance"}, {type: "value", gridIndex: 1, name: "delta", min: -reach, max: reach,
                                                                 axisLabel: {formatter: function (v) { return Number(v.toPrecision(2)); }}}],
      yAxis: [{type: "category", gridIndex: 0, data: names},
              {type: "category", gridIndex: 1, data: names, axisLabel: {show: false}}],
      series: [
        {name: "A", type: "bar", data: rows.map(function (r) { return r.importance_a; }), itemStyle: {color: "#95a5a6"}},
        {name: "B", type: "bar", data: rows.map(function (r) { return r.importance_b; }), itemStyle: {color: "#2c7fb8"}},
        {name: "delta", type: "custom", xAxisIndex: 1, yAxisIndex: 1, encode: {x: [1, 2, 3], y: 0},
         data: rows.map(function (r, i) { return [i, r.delta, r.delta_low === null ? r.delta : r.delta_low,
                                                  r.delta_high === null ? r.delta : r.delta_high, r.flagged ? 1 : 0]; }),
         renderItem: function (params, api) {
           var y = api.coord([0, api.value(0)])[1];
           var point = api.coord([api.value(1), api.value(0)]);
           var low = api.coord([api.value(2), api.value(0)]), high = api.coord([api.value(3), api.value(0)]);
           var color = api.value(4) ? "#c0392b" : "#2c3e50";
           return {type: "group", children: [
             {type: "line", shape: {x1: low[0], y1: y, x2: high[0], y2: y}, style: {stroke: color, lineWidth: 2}},
             {type: "circle", shape: {cx: point[0], cy: y, r: 4}, style: {fill: color}}]};
         }}
      ]
    }, true);
  }
  select.addEventListener("change", function () { draw(data.views[Number(select.value)]); });
  draw(data.views[0]);
  window.addEventListener("resize", function () { if (chart) chart.resize(); });
  document.body.setAttribute("data-ready", "true");
})();
