/* Dashboard views 4-5: dependence and the data explorer (see dashboard.js). */
"use strict";

// ---------------------------------------------------------------------------------- 4. dependence
// How strongly feature j's local values vary with feature c at similar values of j (shap's
// approximate_interactions): rows sorted by j's value, cut in chunks, |correlation| summed over chunks.
function interactionOrder(j) {
  const v = V(), step = Math.max(1, Math.floor(v.n / 2000)), sample = [];
  for (let r = 0; r < v.n; r += step) sample.push(r);
  const xj = r => numeric(v.columns[j], r);
  sample.sort((a, b) => (xj(a) || 0) - (xj(b) || 0));
  const chunk = Math.max(20, Math.floor(sample.length / 10)), scores = [];
  for (let c = 0; c < v.nf; c++) {
    if (c === j) continue;
    let score = 0;
    for (let start = 0; start + 2 < sample.length; start += chunk) {
      const part = sample.slice(start, start + chunk), a = [], b = [];
      for (const r of part) { const x = numeric(v.columns[c], r), y = localValue(outputOf(r), r, j); if (!Number.isNaN(x)) { a.push(x); b.push(y); } }
      score += Math.abs(correlation(a, b)) || 0;
    }
    scores.push([c, score]);
  }
  return scores.sort((p, q) => q[1] - p[1]).map(p => p[0]);
}
function correlation(a, b) {
  const n = a.length; if (n < 3) return 0;
  const ma = a.reduce((s, x) => s + x, 0) / n, mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { const da = a[i] - ma, db = b[i] - mb; sab += da * db; saa += da * da; sbb += db * db; }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}
function featureSelect(id, options, selected, onchange, label) {
  return el("label", {}, label, el("select", {id, onchange: e => onchange(e.target.value)},
    options.map(([value, text]) => el("option", {value, selected: String(value) === String(selected), text}))));
}
// An axis of a column: numbers as they are, categories as strips around their code (labels rotated when many;
// the chart's layout keeps them clear of the axis name).
function axisFor(col, name) {
  if (col.kind === "categorical") {
    const cats = col.categories;
    return {type: "value", name, nameLocation: "middle", min: -1, max: cats.length, interval: 1, splitLine: {show: false},
      axisLine: {onZero: false}, axisLabel: {formatter: x => cats[x] ?? "", rotate: cats.length > 6 ? 30 : 0, width: 120,
        overflow: "truncate", hideOverlap: false}};
  }
  return {type: "value", name, nameLocation: "middle", scale: true, axisLine: {onZero: false}};
}
// A row's position on an axis; categories are strips, jittered by a fixed function of the row (and axis).
function position(col, r, axis = 0) {
  if (col.kind !== "categorical") return col.values[r];
  return col.codes[r] < 0 ? NaN : col.codes[r] + 0.6 * jitter(r + axis * 7919.5);
}
function dependenceTab(section) {
  const v = V();
  section.append(el("h2", {text: "Dependence"}));
  if (!v.columns.length) { section.append(el("div", {class: "empty", text: "This explanation was saved without its feature values."})); return; }
  if (state.depFeature === undefined || state.depFeature >= v.nf) state.depFeature = rankOf(Array.from(importance()))[0];
  // the exact strongest partners when the page has interaction values for this feature, else a heuristic's guess
  const j = state.depFeature, exact = exactPartners(j);
  const order = v.nf <= 1 ? [] : exact ? [...exact, ...interactionOrder(j).filter(c => !exact.includes(c))] : interactionOrder(j);
  if (state.depColour === undefined || !order.includes(state.depColour)) state.depColour = order.length ? order[0] : null;
  const ranked = rankOf(Array.from(importance()));
  section.append(el("p", {class: "help", text: `The local value of one feature (toward ${clsLabel()}) against its value, ` +
      "coloured by a second feature; the colour list starts with the feature that interacts most strongly" +
      (exact ? " (by the exact interaction values)." : " (a heuristic estimate: give the page interaction values for the exact one).")}),
    el("div", {class: "inline"},
      featureSelect("dep-feature", ranked.map(f => [f, v.features[f]]), j, x => { state.depFeature = Number(x); state.depColour = undefined; renderTab(); }, "Feature:"),
      order.length ? featureSelect("dep-colour", order.map((c, i) => [c, v.features[c] +
        (i === 0 ? (exact ? "  (strongest interaction, exact)" : "  (strongest interaction)") : "")]),
        state.depColour, x => { state.depColour = Number(x); renderTab(); }, "Colour by:") : null));
  const col = v.columns[j], colour = state.depColour === null ? null : v.columns[state.depColour];
  const scale = colourScale(colour), every = stride(v.n), points = [];
  for (let r = 0; r < v.n; r += every) {
    const x = position(col, r); if (Number.isNaN(x)) continue;
    points.push([x, localValue(outputOf(r), r, j), scale[r], r]);
  }
  const node = el("div", {class: "chart", id: "dependence-chart", "data-points": points.length});
  if (colour) {
    section.append(colour.kind === "categorical" ? categoryLegend(v.features[state.depColour], colour)
      : colourLegend(`colour: ${v.features[state.depColour]}`, "low", "high"));
  }
  section.append(node);
  if (every > 1) section.append(el("p", {class: "note", text: `Every ${every}th row drawn (${points.length.toLocaleString()} of ${v.n.toLocaleString()}).`}));
  const colourName = state.depColour === null ? "" : v.features[state.depColour];
  chart(node, {grid: grid({bottom: 12}), animation: false,
    xAxis: axisFor(col, v.features[j]), yAxis: {type: "value", name: "local value", nameLocation: "middle", scale: true, axisLine: {onZero: false}},
    tooltip: tooltip(p => `${esc(rowName())} ${esc(rowLabel(p.value[3]))}<br>${esc(v.features[j])} = ${esc(exactText(col, p.value[3]))}` +
      `<br>local value ${fmt(p.value[1])}` + (colour ? `<br>${esc(colourName)} = ${esc(exactText(colour, p.value[3]))}` : "")),
    series: colour ? colourSeries(points, 5, colour.kind === "categorical")
      : [{type: "scatter", symbolSize: 5, data: points, large: true, itemStyle: {color: "#1f6fb2", opacity: 0.75}}]});
}

// ------------------------------------------------------------------------------- 5. data explorer
function explorerTab(section) {
  const v = V();
  section.append(el("h2", {text: "Data explorer"}));
  const targets = [["predicted", "Predicted Y"], ["output", v.task === "regression" ? "f(x)" : "f(x) " + clsLabel()]];
  if (v["true"]) targets.push(["true", "True Y"]);
  if (v.predicted && v["true"]) targets.push(["error", "Error"]);
  const usable = targets.filter(t => t[0] === "output" || column(t[0]));
  if (!v.columns.length) { section.append(el("div", {class: "empty", text: "This explanation was saved without its feature values."})); return; }
  if (state.exFeature === undefined || state.exFeature >= v.nf) state.exFeature = rankOf(Array.from(importance()))[0];
  if (!usable.some(t => t[0] === state.exTarget)) state.exTarget = usable[0][0];
  const col = v.columns[state.exFeature];
  const yCol = state.exTarget === "output" ? {kind: "numeric", format: "computed", values: Float64Array.from({length: v.n}, (_, r) => rowOutput(outputOf(r), r))}
    : column(state.exTarget);
  const heatmap = col.kind === "categorical" && yCol.kind === "categorical";
  section.append(el("p", {class: "help", text: heatmap
      ? "Two categories against each other: each cell counts the rows with that pair of values (darker: more rows)."
      : "Any feature against the prediction, the true label or the error; categories are drawn as jittered strips. " +
        "Colour shows whether the prediction was right (classification) when labels were uploaded."}),
    el("div", {class: "inline"},
      featureSelect("ex-feature", v.features.map((f, i) => [i, f]), state.exFeature, x => { state.exFeature = Number(x); renderTab(); }, "Feature:"),
      featureSelect("ex-target", usable, state.exTarget, x => { state.exTarget = x; renderTab(); }, "Against:")));
  const name = usable.find(t => t[0] === state.exTarget)[1];
  if (heatmap) { countsHeatmap(section, col, yCol, v.features[state.exFeature], name); return; }
  const err = v.task !== "regression" ? errorColumn() : null;
  const groups = err ? [[], []] : [[]], every = stride(v.n);
  for (let r = 0; r < v.n; r += every) {
    const x = position(col, r), y = position(yCol, r, 1);
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    groups[err ? err.codes[r] : 0].push([x, y, r]);
  }
  const node = el("div", {class: "chart", id: "explorer-chart", "data-mode": "points"});
  section.append(node);
  chart(node, {grid: grid({top: err ? 36 : 24}), animation: false,
    legend: err ? {top: 0} : undefined,
    xAxis: axisFor(col, v.features[state.exFeature]), yAxis: axisFor(yCol, name),
    tooltip: tooltip(p => `${esc(rowName())} ${esc(rowLabel(p.value[2]))}<br>${esc(v.features[state.exFeature])} = ${esc(exactText(col, p.value[2]))}` +
      `<br>${esc(name)} = ${esc(exactText(yCol, p.value[2]))}`),
    series: groups.map((data, i) => ({type: "scatter", name: err ? ["correct", "wrong"][i] : name, data, symbolSize: 5,
      large: true, largeThreshold: 400, itemStyle: {opacity: 0.7, color: err ? ["#2b8a3e", "#e03131"][i] : "#1f6fb2"}}))});
}
// Category x category: a heatmap of row counts (rows with a missing value on either side are left out and counted).
function countsHeatmap(section, xCol, yCol, xName, yName) {
  const v = V(), counts = new Map();
  let missing = 0, most = 0;
  for (let r = 0; r < v.n; r++) {
    const x = xCol.codes[r], y = yCol.codes[r];
    if (x < 0 || y < 0) { missing++; continue; }
    const key = x * 65536 + y, count = (counts.get(key) || 0) + 1;
    counts.set(key, count); most = Math.max(most, count);
  }
  const data = [...counts.entries()].map(([key, count]) => [Math.floor(key / 65536), key % 65536, count]);
  const node = el("div", {class: "chart", id: "explorer-chart", "data-mode": "heatmap",
    "data-counts": JSON.stringify(data.map(([x, y, c]) => [xCol.categories[x], yCol.categories[y], c])),
    style: `height:${Math.max(300, 34 * yCol.categories.length + 140)}px`});
  section.append(node);
  if (missing) section.append(el("p", {class: "note", text: `${missing.toLocaleString()} rows with a missing value are not counted.`}));
  chart(node, {grid: grid({right: 90}), animation: false,
    xAxis: {type: "category", data: xCol.categories, name: xName, nameLocation: "middle",
      axisLabel: {rotate: xCol.categories.length > 6 ? 30 : 0, width: 120, overflow: "truncate", interval: 0}},
    yAxis: {type: "category", data: yCol.categories, name: yName, nameLocation: "middle", axisLabel: {width: 160, overflow: "truncate"}},
    visualMap: {min: 0, max: Math.max(1, most), calculable: false, orient: "vertical", right: 0, top: "middle",
      inRange: {color: ["#f1f3f5", "#1f6fb2"]}, text: ["more rows", "fewer"], itemHeight: 120},
    tooltip: tooltip(p => `${esc(xName)} = ${esc(xCol.categories[p.value[0]])}<br>${esc(yName)} = ${esc(yCol.categories[p.value[1]])}` +
      `<br>${p.value[2].toLocaleString()} rows`),
    series: [{type: "heatmap", data, label: {show: true, formatter: p => p.value[2].toLocaleString(), fontSize: 11}}]});
}
