/* ICE curves and partial dependence (see _ice.py): for one feature, every row's prediction as the feature
 * moves along its grid (ICE), their mean (partial dependence, PDP) with the band the rows spread over,
 * the selected rows' own curves and the PDP of each cohort. With a carried model the page computes the
 * curves itself (each tree walked once per row for the whole grid); otherwise it reads the ones the
 * upload computed with the model.
 */
"use strict";

const iceCache = new Map();
const ICE_LINES = 40;  // rows drawn as thin lines under the band
const BAND = "#a5c8ec";

function iceFeatureList(v) {
  const ice = v.whatif && v.whatif.ice;
  if (!ice) return [];
  if (ice.computed === "upload") return ice.features.map(f => f.feature);
  const ranked = rankOf(Array.from(importance()));
  return [...ice.default, ...ranked.filter(j => !ice.default.includes(j))];
}
// Where page row r sits among the rows with curves (-1: not among them).
function iceRowPosition(v, r) {
  const ice = v.whatif.ice;
  if (ice.computed === "page" || !ice.rows) return r;
  if (!ice.rowsDecoded) ice.rowsDecoded = decode(ice.rows);
  return ice.rowsDecoded.indexOf(r);
}
function iceRowsOf(v) {  // page row of each curve
  const ice = v.whatif.ice;
  if (ice.computed === "page" || !ice.rows) return Int32Array.from({length: v.n}, (_, r) => r);
  return ice.rowsDecoded || (ice.rowsDecoded = decode(ice.rows));
}
// The curves of a feature the upload computed: values[(k * n + i) * G + g] for output k, curve i, grid point g.
function iceEntry(v, entry) {
  const key = `${v.id}/${entry.feature}`;
  if (!iceCache.has(key)) {
    const values = decode(entry.values), G = entry.grid.length, n = G ? values.length / G / (v.nClasses || 1) : 0;
    iceCache.set(key, {feature: entry.feature, grid: entry.grid, labels: entry.labels, kind: entry.kind, values, nRows: n,
      probability: entry.probability ? decode(entry.probability) : null, own: decode(v.whatif.ice.own), ms: null});
  }
  return iceCache.get(key);
}

// Margins of one row under several inputs xs that differ in a few columns: each tree is walked once, the
// grid indices split where they disagree; every input still adds its trees in tree order.
function manyMargins(copy, xs) {
  const m = copy.model;
  if (m.kind !== "trees") return xs.map(x => margins(copy, x));
  const K = xs.length, G = m.n_groups, f32 = m.family === "xgboost", vector = m.n_values > 1, width = xs[0].length;
  const feature = m.feature, left = m.left, right = m.right, value = m.value, goes = m.goes;
  const varies = new Uint8Array(width), first = xs[0];
  for (let e = 0; e < width; e++) {
    const a = first[e];
    for (let i = 1; i < K; i++) if (!(xs[i][e] === a || (Number.isNaN(a) && Number.isNaN(xs[i][e])))) { varies[e] = 1; break; }
  }
  const out = new Float64Array(K * G);
  for (let i = 0; i < K; i++) for (let g = 0; g < G; g++) out[i * G + g] = f32 ? Math.fround(m.base[g]) : m.base[g];
  const index = new Int32Array(K), scratch = new Int32Array(K);
  let group = 0;
  function walk(node, lo, hi) {
    let f = feature[node];
    while (f >= 0) {
      if (!varies[f]) { node = goes(node, first[f]) ? left[node] : right[node]; f = feature[node]; continue; }
      let l = lo, r = hi;
      for (let i = lo; i < hi; i++) {
        if (goes(node, xs[index[i]][f])) scratch[l++] = index[i]; else scratch[--r] = index[i];
      }
      for (let i = lo; i < hi; i++) index[i] = scratch[i];
      if (l === hi) { node = left[node]; f = feature[node]; continue; }
      if (l === lo) { node = right[node]; f = feature[node]; continue; }
      walk(left[node], lo, l); walk(right[node], l, hi);
      return;
    }
    for (let i = lo; i < hi; i++) {
      const at = index[i] * G;
      if (vector) for (let g = 0; g < G; g++) out[at + g] += value[node * G + g];
      else if (f32) out[at + group] = Math.fround(out[at + group] + value[node]);
      else out[at + group] += value[node];
    }
  }
  for (let t = 0; t < m.root.length; t++) {
    for (let i = 0; i < K; i++) index[i] = i;
    group = vector ? 0 : m.group[t];
    walk(m.root[t], 0, K);
  }
  if (m.divisor !== 1) for (let i = 0; i < out.length; i++) out[i] /= m.divisor;
  return xs.map((_, i) => out.subarray(i * G, (i + 1) * G));
}
// The curves of field j over every page row, computed with the carried model, a block of rows per step(),
// so the view can show its progress between blocks; curves.ms is the computing time alone.
function iceJob(v, j) {
  const copy = carried(v), spec = v.whatif.ice.grids[j], G = spec.grid.length, n = v.n;
  const nOut = v.classes ? v.classes.length : 1, values = new Float64Array(nOut * n * G);
  const probability = v.task === "classification" && copy.model.link ? new Float64Array(nOut * n * G) : null;
  const codes = copy.layers ? null : copy.codes[j];  // a plain model: only column j changes along the grid
  const curves = {feature: j, grid: spec.grid, labels: spec.labels, kind: spec.kind, values, probability, nRows: n,
                  own: null, ms: 0};
  let r = 0;
  function row() {
    const inputs = rowInputs(copy, r), x = copy.layers ? null : modelInput(copy, inputs);
    const xs = spec.grid.map(g => {
      if (copy.layers) { inputs[j] = g; return modelInput(copy, inputs); }
      const moved = Float64Array.from(x);
      moved[j] = codes ? codes[g] : g;
      return moved;
    });
    manyMargins(copy, xs).forEach((margin, g) => {
      const p = probability ? linkProbabilities(copy.model, margin) : null, outputs = explanationOutputs(v, copy, margin, p);
      for (let k = 0; k < nOut; k++) {
        values[(k * n + r) * G + g] = outputs[k];
        if (p) probability[(k * n + r) * G + g] = p[k];
      }
    });
  }
  return {curves, done: () => r >= n, progress: () => r / n, step(rows) {
    const start = performance.now();
    for (const end = Math.min(n, r + rows); r < end; r++) row();
    curves.ms += performance.now() - start;
    if (r >= n) iceCache.set(`${v.id}/${j}`, curves);
    return r >= n;
  }};
}
function computeIce(v, j) {
  const key = `${v.id}/${j}`;
  if (!iceCache.has(key)) { const job = iceJob(v, j); while (!job.step(v.n)); }
  return iceCache.get(key);
}
const ICE_BLOCK = 250;  // rows computed between two repaints of the progress note
let iceRunning = null;
function runIce(v, j, note) {
  if (iceRunning && iceRunning.key === `${v.id}/${j}`) return;
  const job = iceJob(v, j), key = `${v.id}/${j}`;
  iceRunning = {key};
  const tick = () => {
    if (!iceRunning || iceRunning.key !== key) return;  // another feature was chosen
    if (iceCache.has(key) || job.step(ICE_BLOCK)) {
      iceRunning = null;
      if (state.tab === "ice" && state.iceFeature === j && V() === v) renderTab();
      return;
    }
    note.textContent = `Computing the curves of ${v.n.toLocaleString()} rows with the carried model: ` +
      `${Math.round(job.progress() * 100)}%`;
    setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
}
function curvesOf(v, j) {
  const ice = v.whatif.ice;
  return ice.computed === "page" ? computeIce(v, j) : iceEntry(v, ice.features.find(f => f.feature === j));
}
// For tests and benchmarks: the curves of feature j as plain arrays.
function iceState(j) {
  const c = curvesOf(V(), j);
  return {grid: c.grid, labels: c.labels, nRows: c.nRows, values: Array.from(c.values), ms: c.ms,
          probability: c.probability && Array.from(c.probability), rows: Array.from(iceRowsOf(V()))};
}

// ------------------------------------------------------------------------------ the view
function iceTab(section) {
  const v = V(), features = iceFeatureList(v), ice = v.whatif && v.whatif.ice;
  section.append(el("h2", {text: "ICE and partial dependence"}));
  if (!features.length) {
    const home = VIEWS.find(w => w.whatif && w.whatif.ice);
    section.append(el("div", {class: "empty", text: home ? `ICE curves are in the ${home.kind} features view.` :
      v.whatif ? "No ICE curves were computed for this page." :
        "ICE curves need the model: write the page with model= (the explain step passes it)."}));
    return;
  }
  if (state.iceFeature === undefined || !features.includes(state.iceFeature)) state.iceFeature = features[0];
  const hasProbability = v.task === "classification" && v.output_space !== "probability";
  if (!hasProbability) state.iceOutput = "output";
  state.iceOutput = state.iceOutput || "output";
  state.iceCohorts = state.iceCohorts || {};
  const j = state.iceFeature;
  if (ice.computed === "page" && !iceCache.has(`${v.id}/${j}`)) {  // computed in blocks; the view comes back when done
    const note = el("p", {class: "note", id: "ice-progress", text: "Computing the curves with the carried model…"});
    section.append(el("div", {class: "inline"}, featureSelect("ice-feature", features.map(f => [f, v.features[f]]), j,
      x => { state.iceFeature = Number(x); renderTab(); }, "Feature:")), note);
    runIce(v, j, note);
    return;
  }
  const curves = curvesOf(v, j);
  const outputName = state.iceOutput === "probability" ? "probability" : (v.task === "regression" ? v.output_name : `f(x), ${v.output_space}`);
  const how = ice.computed === "page"
    ? `computed in this page with the carried model: ${curves.nRows.toLocaleString()} rows × ${curves.grid.length} grid points in ${curves.ms.toFixed(0)} ms`
    : `computed with the model when the page was written, for ${curves.nRows.toLocaleString()} of ${v.n.toLocaleString()} rows`;
  section.append(...[el("p", {class: "help", text: "Each row's prediction as one feature moves along its grid (ICE), the " +
    "mean over rows (partial dependence) and the band holding the middle 80% of rows; selected rows (Individual view) " +
    `and ticked cohorts are drawn too. Curves ${how}.`}),
  el("div", {class: "inline"},
    featureSelect("ice-feature", features.map(f => [f, v.features[f]]), j, x => { state.iceFeature = Number(x); renderTab(); }, "Feature:"),
    hasProbability && (curves.probability || ice.computed === "upload") ? featureSelect("ice-output",
      [["output", `f(x) (${v.output_space})`], ...(curves.probability ? [["probability", "probability"]] : [])], state.iceOutput,
      x => { state.iceOutput = x; renderTab(); }, "Show:") : null),
  allCohorts().some(c => c.mask) ? el("div", {class: "inline", id: "ice-cohorts"}, el("span", {text: "PDP of cohorts:"}),
    allCohorts().filter(c => c.mask).map(c => el("label", {}, el("input", {type: "checkbox", checked: !!state.iceCohorts[c.name],
      onchange: e => { state.iceCohorts[c.name] = e.target.checked; renderTab(); }}), c.name))) : null].filter(Boolean));
  const source = state.iceOutput === "probability" ? curves.probability : curves.values;
  const classes = state.cls === -1 ? [...Array(v.nClasses).keys()] : [state.cls || 0];
  const G = curves.grid.length, n = curves.nRows, rowsOf = iceRowsOf(v);
  const at = (k, i, g) => source[(k * n + i) * G + g];
  const mean = (k, keep) => Array.from({length: G}, (_, g) => {
    let total = 0, count = 0;
    for (let i = 0; i < n; i++) if (!keep || keep(i)) { total += at(k, i, g); count++; }
    return count ? total / count : NaN;
  });
  const xs = curves.grid.map((g, i) => curves.labels ? curves.labels[g] : g);
  const point = (g, y) => curves.labels ? [g, y] : [curves.grid[g], y];
  const series = [], table = {columns: [], rows: xs.map(() => [])};
  const k0 = classes[0];
  if (classes.length === 1) {
    const lo = [], hi = [];
    for (let g = 0; g < G; g++) {
      const column = Float64Array.from({length: n}, (_, i) => at(k0, i, g)).sort();
      lo.push(quantile(column, 0.1)); hi.push(quantile(column, 0.9));
    }
    series.push({type: "custom", name: "middle 80% of rows", silent: true, itemStyle: {color: BAND},
      data: [[0, 0]], renderItem: (params, api) => {  // one polygon: along the lower edge, back along the upper
        const along = lo.map((y, g) => api.coord(point(g, y))), back = hi.map((y, g) => api.coord(point(g, y))).reverse();
        return {type: "polygon", shape: {points: along.concat(back)}, style: {fill: BAND, opacity: 0.35}};
      }});
    const step = Math.max(1, Math.ceil(n / ICE_LINES));
    for (let i = 0; i < n; i += step) {
      series.push({type: "line", name: "ICE", data: xs.map((_, g) => point(g, at(k0, i, g))), symbol: "none", silent: true,
        lineStyle: {width: 0.6, color: GREY, opacity: 0.5}});
    }
    table.columns.push(["p10", "10th percentile"], ["p90", "90th percentile"]);
    table.rows.forEach((row, g) => row.push(lo[g], hi[g]));
  }
  for (const k of classes) {
    const pdp = mean(k), name = classes.length > 1 ? `PDP, class ${v.classes[k]}` : "partial dependence";
    series.push({type: "line", name, data: pdp.map((y, g) => point(g, y)), symbolSize: 5, lineStyle: {width: 3},
      itemStyle: classes.length === 1 ? {color: "#0b4f8a"} : undefined});
    table.columns.unshift([`pdp-${k}`, name]);
    table.rows.forEach((row, g) => row.unshift(pdp[g]));
  }
  for (const c of allCohorts().filter(c => c.mask && state.iceCohorts[c.name])) {
    const pdp = mean(k0, i => c.mask[rowsOf[i]]);
    series.push({type: "line", name: `cohort ${c.name}`, data: pdp.map((y, g) => point(g, y)), lineStyle: {type: "dashed", width: 2}});
    table.columns.push([`cohort-${c.name}`, `PDP of ${c.name}`]);
    table.rows.forEach((row, g) => row.push(pdp[g]));
  }
  for (const r of state.selected) {
    const i = iceRowPosition(v, r);
    if (i < 0) continue;
    series.push({type: "line", name: `row ${v.rows[r]}`, data: xs.map((_, g) => point(g, at(k0, i, g))), lineStyle: {width: 2}});
    table.columns.push([`row-${v.rows[r]}`, `row ${v.rows[r]}`]);
    table.rows.forEach((row, g) => row.push(at(k0, i, g)));
  }
  const node = el("div", {class: "chart", id: "ice-chart"});
  section.append(node);
  const slanted = curves.labels && xs.length > 6;
  if (slanted) node.style.height = "480px";
  chart(node, {grid: {left: 40, right: 40, top: 40, bottom: slanted ? 30 : 50, containLabel: true}, animation: false,
    color: ["#d6336c", "#f08c00", "#2b8a3e", "#7048e8", "#0c8599", "#e8590c"],
    legend: {top: 0, type: "scroll", data: series.filter(s => s.name !== "ICE").map(s => s.name)},
    xAxis: curves.labels ? {type: "category", data: xs, name: v.features[j], nameLocation: "middle", nameGap: slanted ? 100 : 30,
      axisLabel: {rotate: slanted ? 30 : 0, width: 170, overflow: "truncate", interval: 0}}
      : {type: "value", min: curves.grid[0], max: curves.grid[G - 1], name: v.features[j], nameLocation: "middle", nameGap: 28,
        axisLabel: {showMinLabel: false, showMaxLabel: false}},  // the grid's ends in full would run off the chart
    yAxis: {type: "value", scale: true, name: outputName, nameLocation: "middle", nameGap: 45},
    tooltip: {trigger: "axis", confine: true, formatter: items => items.filter(p => p.seriesType === "line" && p.seriesName !== "ICE")
      .map(p => `${esc(p.seriesName)}: ${esc(String(p.value[1]))}`).join("<br>")},
    series});
  section.append(el("details", {}, el("summary", {text: "The curves as a table"}), el("div", {class: "scroll"},
    el("table", {id: "ice-table"}, el("thead", {}, el("tr", {}, el("th", {text: v.features[j]}),
      table.columns.map(([, name]) => el("th", {class: "num", text: name})))),
    el("tbody", {}, xs.map((x, g) => el("tr", {"data-grid": g}, el("td", {text: String(x)}),
      table.rows[g].map((y, c) => el("td", {class: "num", "data-series": table.columns[c][0], "data-value": y, text: roundTrip(y)})))))))));
}
