/* Dashboard view: exact SHAP interaction values (explain_lib.Interactions; see _interactions.py for the payload).
 *
 * A heatmap of the mean |interaction| matrix of the k features computed (the diagonal, each feature's main effect,
 * drawn apart in grey so it does not set the colour scale of the pairs), each feature's strongest partner, and,
 * for the clicked cell (i, j), the pair's value in every shown row against feature i's value, coloured by j's.
 * The Dependence view (analysis.js) asks exactPartners() for its colour feature.
 */
"use strict";

const IX_LABELS = 12;  // cell labels drawn up to this many features (beyond, the tooltip and the table tell)
function ix() { return V().interactions; }
// The mean |value| matrix shown and the strongest partners by it: the chosen class's, else the mean over classes.
function ixMatrix() { const x = ix(); return x.per_class && state.cls !== null && state.cls >= 0 ? x.per_class[state.cls] : x.matrix; }
function ixPartner() { const x = ix(); return x.per_class_partner && state.cls !== null && state.cls >= 0 ? x.per_class_partner[state.cls] : x.partner; }
// Row r's value of the pair (a, b) (positions among the computed features) toward output k; symmetric, so the
// payload holds each row's upper triangle only.
function ixValue(k, r, a, b) {
  const x = ix(), m = x.features.length, i = Math.min(a, b), j = Math.max(a, b);
  const cells = m * (m + 1) / 2, t = i * m - i * (i - 1) / 2 + (j - i);
  if (x.binary_mirrored) return (k === 0 ? -1 : 1) * x.values[r * cells + t];
  return x.values[(k * V().n + r) * cells + t];
}
// The view's features ordered by their exact mean |interaction| with feature j (a view position), strongest first;
// null when the page has no interactions or j is not among the features computed.
function exactPartners(j) {
  const x = ix(); if (!x) return null;
  const a = x.features.indexOf(j); if (a < 0 || x.features.length < 2) return null;
  const row = ixMatrix()[a], first = ixPartner()[a];
  const others = x.features.map((f, b) => b).filter(b => b !== a && b !== first).sort((p, q) => row[q] - row[p]);
  return [first, ...others].map(b => x.features[b]);
}
function interactionsTab(section) {
  const v = V(), x = ix();
  section.append(el("h2", {text: "Interactions"}));
  if (!x) { section.append(el("div", {class: "empty", text: `No interaction values were given for the ${v.kind} features.`})); return; }
  const m = x.features.length, names = x.features.map(f => v.features[f]), matrix = ixMatrix(), partner = ixPartner();
  const what = v.classes && state.cls >= 0 ? `class ${v.classes[state.cls]}` : v.classes ? "mean over classes" : v.output_name;
  section.append(el("p", {class: "help", text: `Exact SHAP interaction values (${x.method}) of ${m === v.nf ? "all " : "the top "}${m} ` +
    `features: each cell is a mean |value| over all ${x.n_rows_total.toLocaleString()} explained rows (${what}). Off the diagonal, ` +
    "cell (row i, column j) is the part of feature i's local value that comes from its interaction with feature j (a pair's " +
    "joint effect is split evenly between its two features); on the diagonal (grey, outlined), each feature's main effect: its " +
    "local value without its interactions. Click a cell to plot that pair below."}));
  let most = 0;
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) if (a !== b) most = Math.max(most, matrix[a][b]);
  const pairs = [], mains = [];
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) (a === b ? mains : pairs).push([b, a, matrix[a][b]]);
  const longest = Math.max(...names.map(s => s.length));
  const node = el("div", {class: "chart", id: "interaction-chart", "data-features": m,
    style: `height:${Math.max(320, 36 * m + Math.min(240, 6 * longest) + 60)}px; max-width:${Math.max(560, 60 * m + 360)}px`});
  section.append(node);
  const label = {show: m <= IX_LABELS, formatter: p => fmt(p.value[2], 3), fontSize: 11};
  const instance = chart(node, {grid: grid({right: 100, top: 10}), animation: false,
    xAxis: {type: "category", data: names, position: "bottom", splitArea: {show: false},
      axisLabel: {rotate: m > 4 ? 35 : 0, interval: 0, width: 320, overflow: "truncate"}},
    yAxis: {type: "category", data: names, inverse: true, axisLabel: {width: 320, overflow: "truncate"}},
    visualMap: {seriesIndex: 0, min: 0, max: Math.max(most, Number.MIN_VALUE), calculable: false, orient: "vertical", right: 0,
      top: "middle", itemHeight: 120, text: [fmt(most), "0"], textGap: 6, inRange: {color: ["#f8f9fa", mix(1)]},
      formatter: value => fmt(value)},
    tooltip: tooltip(p => p.value[0] === p.value[1]
      ? `main effect of ${esc(names[p.value[0]])}<br>mean |value| ${pyRepr(p.value[2])}`
      : `${esc(names[p.value[1]])} × ${esc(names[p.value[0]])}<br>mean |interaction| ${pyRepr(p.value[2])}`),
    series: [{type: "heatmap", name: "pairs", data: pairs, label},
      {type: "heatmap", name: "main effects", data: mains, label, itemStyle: {color: "#dee2e6", borderColor: "#343a40", borderWidth: 1.5}}]});
  instance.on("click", p => { state.ixPair = [p.value[1], p.value[0]]; renderTab(); });
  partnerTable(section, names, matrix, partner);
  if (state.ixPair && state.ixPair.every(a => a < m)) pairPlot(section, state.ixPair[0], state.ixPair[1]);
  else section.append(el("p", {class: "note", id: "pair-note", text: "Click a cell to see its values row by row."}));
}
function partnerTable(section, names, matrix, partner) {
  const body = names.map((name, a) => el("tr", {"data-feature": name, "data-partner": partner[a] < 0 ? "" : names[partner[a]]},
    el("td", {text: name}), el("td", {text: partner[a] < 0 ? "(none)" : names[partner[a]]}),
    el("td", {class: "num", "data-value": partner[a] < 0 ? "" : matrix[a][partner[a]], text: partner[a] < 0 ? "" : fmt(matrix[a][partner[a]], 6)}),
    el("td", {class: "num", "data-value": matrix[a][a], text: fmt(matrix[a][a], 6)})));
  section.append(el("h3", {text: "Strongest partner of each feature"}), el("div", {class: "scroll"}, el("table", {id: "partner-table"},
    el("thead", {}, el("tr", {}, el("th", {text: "feature"}), el("th", {text: "strongest partner"}),
      el("th", {class: "num", text: "mean |interaction|"}), el("th", {class: "num", text: "main effect"}))), el("tbody", {}, body))));
  const cells = names.map((name, a) => el("tr", {"data-feature": name}, el("td", {text: name}),
    names.map((other, b) => el("td", {class: "num", "data-partner": other, "data-value": matrix[a][b], text: fmt(matrix[a][b], 6)}))));
  section.append(el("details", {}, el("summary", {text: "The matrix as a table"}), el("div", {class: "scroll"},
    el("table", {id: "interaction-table"}, el("thead", {}, el("tr", {}, el("th", {text: "feature"}), names.map(n => el("th", {class: "num", text: n})))),
      el("tbody", {}, cells)))));
}
// Cell (a, b): feature a's value against the pair's value in each shown row, coloured by feature b's value
// (the diagonal, a's main effect, is coloured by a's strongest partner).
function pairPlot(section, a, b) {
  const v = V(), x = ix(), i = x.features[a], colourBy = a === b ? x.features[ixPartner()[a]] : x.features[b];
  const title = a === b ? `Main effect of ${v.features[i]}` : `Interaction of ${v.features[i]} and ${v.features[x.features[b]]}`;
  section.append(el("h3", {id: "pair-title", text: title}));
  if (!x.values || !v.columns.length) { section.append(el("div", {class: "empty", text: "This page holds no rows' values to plot."})); return; }
  if (state.cls === -1) { section.append(el("div", {class: "empty", id: "pair-pick-class", text: "Interaction values differ by class: pick a class in the Class selector above to plot them row by row."})); return; }
  const k = state.cls || 0, col = v.columns[i], colour = colourBy === undefined ? null : v.columns[colourBy];
  const scale = colourScale(colour), every = stride(v.n), points = [];
  for (let r = 0; r < v.n; r += every) {
    const p = position(col, r); if (Number.isNaN(p)) continue;
    points.push([p, ixValue(k, r, a, b), scale[r], r]);
  }
  section.append(el("p", {class: "help", text: `Each dot is a row: ${v.features[i]}'s value against the ${a === b ? "main effect" : "interaction value"} ` +
    `(toward ${clsLabel()})${colour ? `, coloured by ${v.features[colourBy]}` : ""}.`}));
  if (colour) section.append(colour.kind === "categorical" ? categoryLegend(v.features[colourBy], colour) : colourLegend(`colour: ${v.features[colourBy]}`, "low", "high"));
  const node = el("div", {class: "chart", id: "pair-chart", "data-points": points.length, "data-pair": JSON.stringify([v.features[i], v.features[x.features[b]]])});
  section.append(node);
  if (every > 1) section.append(el("p", {class: "note", text: `Every ${every}th row drawn (${points.length.toLocaleString()} of ${v.n.toLocaleString()}).`}));
  const yName = a === b ? `main effect of ${v.features[i]}` : `interaction ${v.features[i]} × ${v.features[x.features[b]]}`;
  chart(node, {grid: grid(), animation: false, xAxis: axisFor(col, v.features[i]),
    yAxis: {type: "value", name: yName, nameLocation: "middle", scale: true, axisLine: {onZero: false}},
    tooltip: tooltip(p => `${esc(rowName())} ${esc(rowLabel(p.value[3]))}<br>${esc(v.features[i])} = ${esc(exactText(col, p.value[3]))}` +
      `<br>${esc(yName)}: ${pyRepr(p.value[1], true)}` + (colour ? `<br>${esc(v.features[colourBy])} = ${esc(exactText(colour, p.value[3]))}` : "")),
    series: colour ? colourSeries(points, 5, colour.kind === "categorical")
      : [{type: "scatter", symbolSize: 5, data: points, large: true, itemStyle: {color: "#1f6fb2", opacity: 0.75}}]});
}
