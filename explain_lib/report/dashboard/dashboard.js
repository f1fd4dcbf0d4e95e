/* The explanation dashboard's page script: plain JS, no framework, no build step.
 *
 * Reads the JSON payload (see explain_lib/report/dashboard/_payload.py), decodes its base64 arrays and
 * draws six views with ECharts. Every user string (feature, class and category names, comments) goes
 * into the DOM through textContent, or into charts drawn on canvas; tooltips escape it.
 */
"use strict";

const PAYLOAD = JSON.parse(document.getElementById("payload").textContent);
const MAX_COMPARE = 5;
const PAGE_ROWS = 50;
const TABLE_FEATURES = 12;
const MAX_POINTS = 20000;      // drawn points per scatter; more rows are thinned with a fixed stride
const SWARM_POINTS = 40000;    // beyond this many dots the summary becomes a density
const BLUE = [28, 126, 214], RED = [214, 51, 108], GREY = "#adb5bd";

// ------------------------------------------------------------------------------------------- helpers
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}
function esc(text) {
  return String(text).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
}
function decode(array) {
  if (!array) return null;
  const text = atob(array.b64), bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const Type = {float32: Float32Array, int32: Int32Array, uint8: Uint8Array}[array.dtype];
  return new Type(bytes.buffer);
}
function fmt(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "missing";
  if (typeof value !== "number") return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(digits)));
}
function mix(t) {  // 0 = blue (low), 1 = red (high)
  const c = BLUE.map((b, i) => Math.round(b + (RED[i] - b) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
function stride(n) { return Math.max(1, Math.ceil(n / MAX_POINTS)); }
function jitter(i) { const x = Math.sin(i * 12.9898) * 43758.5453; return (x - Math.floor(x)) - 0.5; }
const charts = new Map();
function chart(node, option) {
  let instance = charts.get(node);
  if (!instance) { instance = echarts.init(node, null, {renderer: "canvas"}); charts.set(node, instance); }
  // Draw everything in one pass (ECharts otherwise spreads big series over frames).
  for (const series of option.series || []) Object.assign(series, {progressive: 0, animation: false});
  instance.setOption(option, true);
  return instance;
}
window.addEventListener("resize", () => charts.forEach(c => c.resize()));
function tooltip(formatter) { return {trigger: "item", confine: true, formatter}; }
const STEPS = 8;
// Points [x, y, colour in 0..1 or NaN, ...] as one canvas-fast ("large") series per colour step, plus grey.
function colourSeries(points, symbolSize) {
  const groups = Array.from({length: STEPS + 1}, () => []);
  for (const p of points) groups[Number.isNaN(p[2]) ? STEPS : Math.min(STEPS - 1, Math.floor(p[2] * STEPS))].push(p);
  return groups.map((data, i) => ({type: "scatter", data, symbolSize, large: true, largeThreshold: 400,
    itemStyle: {color: i === STEPS ? GREY : mix((i + 0.5) / STEPS), opacity: 0.8}}));
}
function colourLegend(title, low, high) {
  return el("div", {class: "legend"}, el("span", {text: title}), el("span", {text: low}),
    el("span", {class: "ramp", style: `background: linear-gradient(90deg, ${mix(0)}, ${mix(0.5)}, ${mix(1)})`}),
    el("span", {text: high}), el("span", {class: "ramp grey", style: `background: ${GREY}`}), el("span", {text: "missing"}));
}

// --------------------------------------------------------------------------------------- the data
function decodeColumn(c) {
  if (!c) return null;
  if (c.kind === "numeric") return {kind: "numeric", values: decode(c.values)};
  const raw = decode(c.codes), codes = raw instanceof Uint8Array ? Int32Array.from(raw, x => x === 255 ? -1 : x) : raw;
  return {kind: "categorical", categories: c.categories, codes};
}
function prepare(view) {
  const v = Object.assign({}, view);
  v.nf = v.features.length;
  v.local = decode(view.local);
  v.rows = decode(view.rows);
  v.n = v.rows ? v.rows.length : 0;
  v.nClasses = v.classes ? v.classes.length : 1;
  v.columns = (view.columns || []).map(decodeColumn);
  v.predicted = decodeColumn(view.predicted);
  v["true"] = decodeColumn(view["true"]);
  v.cohorts = view.cohorts.map(c => ({name: c.name, description: c.description, mask: decode(c.mask), predefined: true}));
  return v;
}
const VIEWS = PAYLOAD.views.map(prepare);
const state = {view: 0, cls: null, topK: 10, cohorts: [], selected: [], page: 0, sort: null, search: "",
               tab: "importance"};

function V() { return VIEWS[state.view]; }
function hasLocal() { return V().local !== null; }
// The signed local value of row r, feature j, toward output k (a class index, or 0 for regression).
function localValue(k, r, j) {
  const v = V();
  if (v.binary_mirrored) return (k === 0 ? -1 : 1) * v.local[r * v.nf + j];
  return v.local[(k * v.n + r) * v.nf + j];
}
function predictedIndex(r) {
  const v = V();
  if (!v.predicted || v.predicted.kind !== "categorical") return 0;
  const name = v.predicted.categories[v.predicted.codes[r]];
  const k = v.classes.indexOf(name);
  return k < 0 ? 0 : k;
}
// Which output the local views show: the chosen class, or each row's predicted class for "mean of classes".
function outputOf(r) { return state.cls === -1 ? predictedIndex(r) : (state.cls || 0); }
function clsLabel() {
  const v = V();
  if (v.task === "regression") return v.output_name;
  if (state.cls === -1) return "each row's predicted class";
  return v.class_output_names[state.cls];
}
function rowOutput(k, r) {
  const v = V();
  let total = v.expected ? v.expected[k] : 0;
  for (let j = 0; j < v.nf; j++) total += localValue(k, r, j);
  return total;
}
function importance() {  // the explanation's own global / per-class values
  const v = V();
  if (state.cls === -1 || !v.per_class) return v.global;
  return v.per_class[state.cls];
}
function rankOf(values) { return values.map((x, j) => [x, j]).sort((a, b) => b[0] - a[0]).map(p => p[1]); }
function cohortImportance(mask) {  // mean |local| over a cohort's rows, for the chosen class (or mean of classes)
  const v = V(), out = new Float64Array(v.nf);
  const classes = state.cls === -1 ? [...Array(v.nClasses).keys()] : [state.cls || 0];
  let count = 0;
  for (let r = 0; r < v.n; r++) {
    if (mask && !mask[r]) continue;
    count++;
    for (const k of classes) for (let j = 0; j < v.nf; j++) out[j] += Math.abs(localValue(k, r, j));
  }
  return Array.from(out, x => count ? x / count / classes.length : NaN);
}
// A column as numbers (categorical: codes) with display names; "features" index into v.columns.
function column(key) {
  const v = V();
  if (key === "predicted" || key === "true") return v[key];
  if (key === "error") return errorColumn();
  return v.columns.length ? v.columns[key] : null;
}
function columnName(key) {
  return {predicted: "Predicted Y", true: "True Y", error: "Error"}[key] || V().features[key];
}
let errorCache = null;
function errorColumn() {
  const v = V();
  if (!v.predicted || !v["true"]) return null;
  if (errorCache && errorCache.view === state.view) return errorCache.column;
  let col;
  if (v.predicted.kind === "numeric") {
    const values = new Float32Array(v.n);
    for (let r = 0; r < v.n; r++) values[r] = v.predicted.values[r] - v["true"].values[r];
    col = {kind: "numeric", values};
  } else {
    const codes = new Int32Array(v.n);
    for (let r = 0; r < v.n; r++) {
      codes[r] = v.predicted.categories[v.predicted.codes[r]] === v["true"].categories[v["true"].codes[r]] ? 0 : 1;
    }
    col = {kind: "categorical", categories: ["correct", "wrong"], codes};
  }
  errorCache = {view: state.view, column: col};
  return col;
}
function cellValue(col, r) {
  if (!col) return null;
  if (col.kind === "numeric") { const x = col.values[r]; return Number.isNaN(x) ? null : x; }
  const code = col.codes[r];
  return code < 0 ? null : col.categories[code];
}
function numeric(col, r) { return col.kind === "numeric" ? col.values[r] : (col.codes[r] < 0 ? NaN : col.codes[r]); }
// Colour position in [0, 1] of each row's value (5th-95th percentile for numbers), NaN when missing.
const scales = new WeakMap();
function colourScale(col) {
  if (!col) return new Float32Array(V().n).fill(NaN);
  if (!scales.has(col)) scales.set(col, computeScale(col));
  return scales.get(col);
}
function computeScale(col) {
  const v = V(), out = new Float32Array(v.n);
  if (col.kind === "categorical") {
    const m = Math.max(1, col.categories.length - 1);
    for (let r = 0; r < v.n; r++) out[r] = col.codes[r] < 0 ? NaN : col.codes[r] / m;
    return out;
  }
  const sorted = Float32Array.from(col.values).sort();  // numeric order, NaN last
  let known = sorted.length;
  while (known > 0 && Number.isNaN(sorted[known - 1])) known--;
  const finite = sorted.subarray(0, known);
  let lo = quantile(finite, 0.05), hi = quantile(finite, 0.95);
  if (!(hi > lo)) { lo = finite[0]; hi = finite[finite.length - 1]; }
  for (let r = 0; r < v.n; r++) {
    const x = col.values[r];
    out[r] = Number.isNaN(x) ? NaN : hi > lo ? Math.min(1, Math.max(0, (x - lo) / (hi - lo))) : 0.5;
  }
  return out;
}

// --------------------------------------------------------------------------------------- the frame
const app = document.getElementById("app");
function header() {
  const v = V();
  const meta = el("div", {class: "meta"},
    el("span", {text: `${v.method} explanation, ${v.task}`}),
    el("span", {text: `values in ${v.task === "regression" ? v.output_name : v.output_space + " space"}`}),
    el("span", {text: v.n ? `${v.n.toLocaleString()} of ${v.n_rows_total.toLocaleString()} rows shown` : "global only"}),
    el("span", {text: `${v.nf} features`}), el("span", {text: `id ${v.id}`}), el("span", {text: PAYLOAD.created}));
  return el("header", {}, el("h1", {text: PAYLOAD.title}),
    PAYLOAD.comment ? el("div", {class: "comment", "data-role": "comment", text: PAYLOAD.comment}) : null, meta);
}
function controls() {
  const v = V(), bar = el("div", {class: "controls"});
  if (VIEWS.length > 1) {
    const select = el("select", {id: "view-select", onchange: e => { switchView(Number(e.target.value)); }},
      VIEWS.map((w, i) => el("option", {value: i, selected: i === state.view, text: `${w.kind} features (${w.nf})`})));
    bar.append(el("label", {}, "Features:", select));
  }
  if (v.classes) {
    const options = v.classes.map((c, k) => el("option", {value: k, selected: state.cls === k, text: `class ${c}`}));
    if (v.classes.length > 2) options.unshift(el("option", {value: -1, selected: state.cls === -1, text: "mean of classes"}));
    bar.append(el("label", {}, "Class:", el("select", {id: "class-select",
      onchange: e => { state.cls = Number(e.target.value); render(); }}, options)));
  }
  bar.append(el("label", {}, "Top k:", el("input", {type: "range", id: "topk", min: 1, max: v.nf, value: state.topK,
    oninput: e => { state.topK = Number(e.target.value); document.getElementById("topk-value").textContent = state.topK;
      renderTab(); }}), el("span", {id: "topk-value", text: state.topK})));
  return bar;
}
const TABS = [["importance", "Aggregate importance"], ["summary", "Summary"], ["individual", "Individual importance"],
              ["dependence", "Dependence"], ["explorer", "Data explorer"], ["cohorts", "Cohorts"]];
function tabs() {
  return el("nav", {role: "tablist"}, TABS.map(([id, name]) => el("button", {role: "tab", "data-tab": id,
    "aria-selected": state.tab === id ? "true" : "false", text: name,
    onclick: () => { state.tab = id; render(); }})));
}
function switchView(index) {
  state.view = index;
  state.cls = VIEWS[index].classes ? (VIEWS[index].classes.length === 2 ? 1 : -1) : null;
  state.topK = Math.min(state.topK, VIEWS[index].nf);
  state.selected = []; state.page = 0; state.cohorts = []; errorCache = null;
  render();
}
function render() {
  charts.forEach(c => c.dispose()); charts.clear();
  app.replaceChildren(header(), controls(), tabs(), el("main", {id: "main"}));
  renderTab();
}
function renderTab() {
  const main = document.getElementById("main");
  charts.forEach(c => c.dispose()); charts.clear();
  const section = el("section", {id: `tab-${state.tab}`, "data-tab": state.tab});
  main.replaceChildren(section);
  const needsLocal = state.tab !== "importance";
  if (needsLocal && !hasLocal()) {
    section.append(el("div", {class: "empty", text: `This ${V().method} explanation has global importances only; ` +
      "explain rows with a SHAP or surrogate method to see this view."}));
    document.body.dataset.rendered = state.tab;
    return;
  }
  ({importance: importanceTab, summary: summaryTab, individual: individualTab, dependence: dependenceTab,
    explorer: explorerTab, cohorts: cohortsTab})[state.tab](section);
  document.body.dataset.rendered = state.tab;
}

// --------------------------------------------------------------------------- 1. aggregate importance
function topFeatures() { return rankOf(Array.from(importance())).slice(0, state.topK); }
function importanceTab(section) {
  const v = V(), values = importance(), top = topFeatures();
  const what = state.cls === -1 || !v.per_class
    ? (v.classes ? "mean over classes of mean |local value|" : "mean |local value|")
    : `mean |local value| for class ${v.classes[state.cls]}`;
  section.append(el("h2", {text: `Top ${top.length} of ${v.nf} features`}),
    el("p", {class: "help", text: `Global importance over all ${v.n_rows_total ?? ""} explained rows (${what}` +
      `${v.method === "pfi" ? ", here the drop in the model's score" : ""}). Move the slider to show more or fewer.`}));
  const bars = el("div", {class: "chart", id: "importance-chart", style: `height:${Math.max(220, 28 * top.length + 60)}px`});
  section.append(bars);
  const names = top.map(j => v.features[j]).reverse(), shown = top.map(j => values[j]).reverse();
  chart(bars, {grid: {left: 10, right: 40, top: 10, bottom: 30, containLabel: true},
    xAxis: {type: "value", name: "importance", nameLocation: "middle", nameGap: 24},
    yAxis: {type: "category", data: names, axisLabel: {width: 260, overflow: "truncate"}},
    tooltip: tooltip(p => `${esc(p.name)}: ${fmt(p.value)}`),
    series: [{type: "bar", data: shown, itemStyle: {color: "#1f6fb2"},
      label: {show: true, position: "right", formatter: p => fmt(p.value, 3)}}]});
  const table = el("table", {id: "importance-table"}, el("thead", {}, el("tr", {},
    el("th", {text: "rank"}), el("th", {text: "feature"}), el("th", {class: "num", text: "importance"}))),
    el("tbody", {}, top.map((j, i) => el("tr", {"data-feature": v.features[j], "data-value": values[j]},
      el("td", {text: i + 1}), el("td", {text: v.features[j]}), el("td", {class: "num", text: fmt(values[j], 6)})))));
  section.append(el("details", {}, el("summary", {text: "Importance values as a table"}), el("div", {class: "scroll"}, table)));
  if (!hasLocal()) return;
  section.append(el("h2", {text: "Distribution of local values"}),
    el("p", {class: "help", text: `Box plots of each row's local value toward ${clsLabel()} (whiskers 5th-95th ` +
      `percentile, box the quartiles), over the ${v.n.toLocaleString()} rows in this page.`}));
  const stats = top.map(j => {
    const xs = new Float64Array(v.n);
    for (let r = 0; r < v.n; r++) xs[r] = localValue(outputOf(r), r, j);
    xs.sort();
    return [0.05, 0.25, 0.5, 0.75, 0.95].map(q => quantile(xs, q));
  }).reverse();
  const box = el("div", {class: "chart", id: "box-chart", style: `height:${Math.max(220, 28 * top.length + 60)}px`});
  section.append(box);
  chart(box, {grid: {left: 10, right: 30, top: 10, bottom: 30, containLabel: true},
    xAxis: {type: "value", name: "local value", nameLocation: "middle", nameGap: 24, scale: true},
    yAxis: {type: "category", data: names, axisLabel: {width: 260, overflow: "truncate"}},
    tooltip: tooltip(p => `${esc(p.name)}<br>median ${fmt(p.value[3])}, quartiles ${fmt(p.value[2])} to ${fmt(p.value[4])}`),
    series: [{type: "boxplot", data: stats, itemStyle: {color: "#e7f1fb", borderColor: "#1f6fb2"}}]});
}

// ------------------------------------------------------------------------------------ 2. summary
function summaryTab(section) {
  const v = V(), top = topFeatures(), k = top.length;
  const dense = v.n * k > SWARM_POINTS;
  section.append(el("h2", {text: "Summary of local values"}),
    el("p", {class: "help", text: `One ${dense ? "band" : "dot"} per row and feature: its local value toward ` +
      `${clsLabel()}; colour is the feature's value (blue low, red high, grey missing or not numeric). ` +
      (dense ? `${(v.n * k).toLocaleString()} values are binned into a density: band height is the number of rows, ` +
        "colour their mean feature value." : "Dots with similar values are stacked.")}));
  const node = el("div", {class: "chart tall", id: "summary-chart", "data-mode": dense ? "density" : "points",
    style: `height:${Math.max(300, 44 * k + 80)}px`});
  section.append(node);
  const names = top.map(j => v.features[j]);
  const bins = 120;
  let lo = Infinity, hi = -Infinity;
  for (const j of top) for (let r = 0; r < v.n; r++) {
    const x = localValue(outputOf(r), r, j); if (x < lo) lo = x; if (x > hi) hi = x;
  }
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const width = (hi - lo) / bins;
  const colourData = [], greyData = [], density = [];
  top.forEach((j, row) => {
    const y = k - 1 - row, colours = v.columns.length ? colourScale(v.columns[j]) : null;
    const counts = new Int32Array(bins), sums = new Float64Array(bins), known = new Int32Array(bins);
    const placed = [];
    for (let r = 0; r < v.n; r++) {
      const x = localValue(outputOf(r), r, j), b = Math.min(bins - 1, Math.floor((x - lo) / width));
      const c = colours ? colours[r] : NaN;
      counts[b]++; if (!Number.isNaN(c)) { sums[b] += c; known[b]++; }
      if (!dense) placed.push([x, b, c]);
    }
    const most = Math.max(...counts);
    if (dense) {
      for (let b = 0; b < bins; b++) if (counts[b]) {
        density.push([lo + b * width, lo + (b + 1) * width, y, counts[b] / most, known[b] ? sums[b] / known[b] : NaN, counts[b]]);
      }
      return;
    }
    const seen = new Int32Array(bins);
    for (const [x, b, c] of placed) {
      const i = seen[b]++, offset = (i % 2 ? -1 : 1) * Math.ceil(i / 2) / Math.max(most, 8) * 0.8;
      (Number.isNaN(c) ? greyData : colourData).push([x, y + offset, c]);
    }
  });
  const series = dense ? [{type: "custom", data: density, renderItem: (params, api) => {
    const start = api.coord([api.value(0), api.value(2)]), end = api.coord([api.value(1), api.value(2)]);
    const height = api.size([0, 1])[1] * 0.85 * Math.max(0.04, api.value(3));
    const c = api.value(4);
    return {type: "rect", shape: {x: start[0], y: start[1] - height / 2, width: Math.max(1, end[0] - start[0]), height},
      style: {fill: Number.isNaN(c) ? GREY : mix(c)}};
  }, encode: {x: [0, 1], y: 2}}]
    : colourSeries(colourData.concat(greyData), 4);
  section.insertBefore(colourLegend("feature value:", "low", "high"), node);
  chart(node, {grid: {left: 10, right: 30, top: 20, bottom: 40, containLabel: true}, animation: false,
    xAxis: {type: "value", name: `local value (${v.task === "regression" ? v.output_name : v.output_space})`,
      nameLocation: "middle", nameGap: 26, scale: true, axisLine: {onZero: false}},
    yAxis: {type: "value", min: -1, max: k, interval: 1, axisLine: {onZero: false}, splitLine: {show: false}, axisTick: {show: false},
      axisLabel: {formatter: y => names[k - 1 - y] ?? "", width: 240, overflow: "truncate"}},
    series});
}

// ------------------------------------------------------------------------ 3. individual importance
function tableColumns() {
  const v = V(), cols = [];
  if (v.predicted) cols.push({key: "predicted", name: "Predicted Y"});
  if (v["true"]) cols.push({key: "true", name: "True Y"});
  if (v.predicted && v["true"]) cols.push({key: "error", name: v.task === "regression" ? "Error (pred - true)" : "Error"});
  cols.push({key: "output", name: v.task === "regression" ? "f(x)" : `f(x) ${state.cls === -1 ? "of predicted class" : "of class " + v.classes[state.cls]}`});
  if (v.columns.length) {
    for (const j of rankOf(Array.from(importance())).slice(0, TABLE_FEATURES)) cols.push({key: j, name: v.features[j]});
  }
  return cols;
}
function tableCell(key, r) {
  if (key === "output") return rowOutput(outputOf(r), r);
  return cellValue(column(key), r);
}
function visibleRows(cols) {
  const v = V(), mask = activeCohortMask(), term = state.search.trim().toLowerCase();
  let rows = [];
  for (let r = 0; r < v.n; r++) {
    if (mask && !mask[r]) continue;
    if (term) {
      const text = [String(v.rows[r]), ...cols.map(c => fmt(tableCell(c.key, r), 6))].join(" ").toLowerCase();
      if (!text.includes(term)) continue;
    }
    rows.push(r);
  }
  if (state.sort) {
    const {key, dir} = state.sort, value = r => key === "row" ? v.rows[r] : tableCell(key, r);
    rows = rows.map(r => [value(r), r]).sort((a, b) => {
      if (a[0] === null) return 1; if (b[0] === null) return -1;
      return (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) * dir;
    }).map(p => p[1]);
  }
  return rows;
}
function activeCohortMask() {
  const cohort = allCohorts().find(c => c.name === state.filterCohort);
  return cohort ? cohort.mask : null;
}
function individualTab(section) {
  const v = V(), cols = tableColumns();
  section.append(el("h2", {text: "Individual importance"}),
    el("p", {class: "help", text: `Every row in this page, with the model output f(x) (${clsLabel()}). ` +
      `Click a row to see its waterfall; tick up to ${MAX_COMPARE} rows to compare them. Click a column header to sort.`}));
  const search = el("input", {type: "search", id: "row-search", placeholder: "search rows", value: state.search,
    oninput: e => { state.search = e.target.value; state.page = 0; drawTable(); }});
  const cohortSelect = el("select", {id: "row-cohort", onchange: e => { state.filterCohort = e.target.value; state.page = 0; drawTable(); }},
    el("option", {value: "", text: "all rows"}),
    allCohorts().filter(c => c.mask).map(c => el("option", {value: c.name, selected: c.name === state.filterCohort, text: c.name})));
  const holder = el("div", {}), pager = el("div", {class: "inline"});
  section.append(el("div", {class: "inline"}, el("label", {}, "Search:", search), el("label", {}, "Cohort:", cohortSelect)),
    holder, pager);
  const detail = el("div", {id: "row-detail"});
  section.append(detail);
  function drawTable() {
    const rows = visibleRows(cols), pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
    state.page = Math.min(state.page, pages - 1);
    const head = el("tr", {}, el("th", {text: "compare"}),
      [{key: "row", name: "row"}, ...cols].map(c => el("th", {class: "sortable" + (typeof c.key === "number" || c.key === "output" ? " num" : ""),
        text: c.name + (state.sort && state.sort.key === c.key ? (state.sort.dir > 0 ? " ▲" : " ▼") : ""),
        onclick: () => { state.sort = {key: c.key, dir: state.sort && state.sort.key === c.key ? -state.sort.dir : 1}; drawTable(); }})));
    const body = el("tbody", {}, rows.slice(state.page * PAGE_ROWS, (state.page + 1) * PAGE_ROWS).map(r => {
      const box = el("input", {type: "checkbox", checked: state.selected.includes(r), "aria-label": `compare row ${v.rows[r]}`,
        onclick: e => { e.stopPropagation(); toggleRow(r, e.target.checked); drawTable(); drawDetail(); }});
      return el("tr", {"data-row": v.rows[r], class: state.selected.includes(r) ? "selected" : null,
        onclick: () => { focusRow(r); drawTable(); drawDetail(); }},
        el("td", {}, box), el("td", {class: "num", text: v.rows[r]}),
        cols.map(c => { const x = tableCell(c.key, r); return el("td", {class: typeof x === "number" ? "num" : null, text: fmt(x)}); }));
    }));
    holder.replaceChildren(el("div", {class: "scroll"}, el("table", {id: "rows-table"}, el("thead", {}, head), body)));
    pager.replaceChildren(
      el("button", {class: "act secondary", disabled: state.page === 0, text: "previous", onclick: () => { state.page--; drawTable(); }}),
      el("span", {id: "rows-count", text: `${rows.length.toLocaleString()} rows match; page ${state.page + 1} of ${pages}` +
        (v.columns.length > 0 && v.nf > TABLE_FEATURES ? `; table shows the top ${TABLE_FEATURES} of ${v.nf} features` : "")}),
      el("button", {class: "act secondary", disabled: state.page >= pages - 1, text: "next", onclick: () => { state.page++; drawTable(); }}));
  }
  function drawDetail() { detail.replaceChildren(); if (state.selected.length) rowDetail(detail); }
  drawTable(); drawDetail();
}
function focusRow(r) {
  state.selected = state.selected.filter(x => x !== r);
  state.selected.push(r);
  if (state.selected.length > MAX_COMPARE) state.selected.shift();
}
function toggleRow(r, on) { if (on) focusRow(r); else state.selected = state.selected.filter(x => x !== r); }
function rowDetail(detail) {
  const v = V(), r = state.selected[state.selected.length - 1], k = outputOf(r);
  const expected = v.expected ? v.expected[k] : 0, output = rowOutput(k, r);
  const space = v.task === "regression" ? v.output_name : v.class_output_names[k];
  const contributions = [...Array(v.nf).keys()].map(j => [j, localValue(k, r, j)])
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  detail.append(el("h2", {text: `Row ${v.rows[r]}: why f(x) = ${fmt(output)}`}),
    el("p", {class: "help"}, "From the expected value ", el("b", {"data-role": "expected", "data-value": expected, text: fmt(expected, 6)}),
      " to the prediction ", el("b", {"data-role": "prediction", "data-value": output, text: fmt(output, 6)}),
      ", in ", el("b", {"data-role": "output-space", text: space}), ". Red pushes up, blue pushes down."));
  const shown = contributions.slice(0, 12), rest = contributions.slice(12);
  const steps = [], labels = [];
  let at = expected;
  for (const [j, x] of shown) { steps.push([at, at + x, x]); labels.push(`${v.features[j]} = ${fmt(cellValue(v.columns[j], r))}`); at += x; }
  if (rest.length) {
    const x = rest.reduce((s, p) => s + p[1], 0);
    steps.push([at, at + x, x]); labels.push(`${rest.length} other features`); at += x;
  }
  const names = ["E[f(x)]", ...labels, "f(x)"];
  const data = [[expected, expected, 0, 0], ...steps.map((s, i) => [s[0], s[1], s[2], i + 1]), [output, output, 0, names.length - 1]];
  const node = el("div", {class: "chart", id: "waterfall-chart", style: `height:${Math.max(260, 30 * names.length + 70)}px`});
  detail.append(node);
  chart(node, {grid: {left: 10, right: 60, top: 10, bottom: 40, containLabel: true}, animation: false,
    xAxis: {type: "value", scale: true, name: space, nameLocation: "middle", nameGap: 26},
    yAxis: {type: "category", data: names, inverse: true, axisLabel: {width: 280, overflow: "truncate"}},
    tooltip: tooltip(p => `${esc(names[p.value[3]])}: ${p.value[2] >= 0 ? "+" : ""}${fmt(p.value[2])} (to ${fmt(p.value[1])})`),
    series: [{type: "custom", data, encode: {x: [0, 1], y: 3}, renderItem: (params, api) => {
      const a = api.coord([api.value(0), api.value(3)]), b = api.coord([api.value(1), api.value(3)]);
      const h = api.size([0, 1])[1] * 0.6, step = api.value(2), ends = params.dataIndex === 0 || params.dataIndex === data.length - 1;
      const x0 = Math.min(a[0], b[0]), w = Math.max(ends ? 3 : 1, Math.abs(b[0] - a[0]));
      return {type: "group", children: [
        {type: "rect", shape: {x: ends ? a[0] - 1.5 : x0, y: a[1] - h / 2, width: w, height: h},
         style: {fill: ends ? "#343a40" : step >= 0 ? "#d6336c" : "#1c7ed6"}},
        {type: "text", style: {text: ends ? fmt(api.value(0)) : (step >= 0 ? "+" : "") + fmt(step, 3),
         x: Math.max(a[0], b[0]) + 4, y: a[1], verticalAlign: "middle", fontSize: 11, fill: "#495057"}}]};
    }}]});
  const table = el("table", {id: "waterfall-table"}, el("thead", {}, el("tr", {}, el("th", {text: "feature"}),
    el("th", {text: "value"}), el("th", {class: "num", text: "local value"}))),
    el("tbody", {}, contributions.map(([j, x]) => el("tr", {"data-feature": v.features[j], "data-value": x},
      el("td", {text: v.features[j]}), el("td", {text: fmt(cellValue(v.columns[j], r))}),
      el("td", {class: "num " + (x >= 0 ? "pos" : "neg"), text: fmt(x, 6)})))));
  detail.append(el("details", {}, el("summary", {text: `All ${v.nf} local values of row ${v.rows[r]}`}), el("div", {class: "scroll"}, table)));
  if (state.selected.length > 1) compareRows(detail);
}
function compareRows(detail) {
  const v = V(), rows = state.selected;
  const strength = [...Array(v.nf).keys()].map(j => [j, Math.max(...rows.map(r => Math.abs(localValue(outputOf(r), r, j))))])
    .sort((a, b) => b[1] - a[1]).slice(0, Math.min(12, v.nf)).map(p => p[0]);
  detail.append(el("h2", {text: `${rows.length} rows side by side`}),
    el("p", {class: "help", text: `Local values of the ${strength.length} features that matter most to these rows.`}));
  const node = el("div", {class: "chart", id: "compare-chart", style: `height:${Math.max(260, 22 * strength.length * Math.min(3, rows.length) + 80)}px`});
  detail.append(node);
  chart(node, {grid: {left: 10, right: 30, top: 30, bottom: 30, containLabel: true}, legend: {top: 0},
    xAxis: {type: "value", name: "local value", nameLocation: "middle", nameGap: 22},
    yAxis: {type: "category", inverse: true, data: strength.map(j => v.features[j]), axisLabel: {width: 240, overflow: "truncate"}},
    tooltip: tooltip(p => `${esc(p.seriesName)}, ${esc(p.name)}: ${fmt(p.value)}`),
    series: rows.map(r => ({type: "bar", name: `row ${v.rows[r]}`, data: strength.map(j => localValue(outputOf(r), r, j))}))});
  const head = el("tr", {}, el("th", {text: "feature"}), rows.map(r => el("th", {class: "num", text: `row ${v.rows[r]}`})));
  const body = strength.map(j => el("tr", {"data-feature": v.features[j]}, el("td", {text: v.features[j]}),
    rows.map(r => el("td", {class: "num", "data-row": v.rows[r], "data-value": localValue(outputOf(r), r, j), text: fmt(localValue(outputOf(r), r, j))}))));
  detail.append(el("div", {class: "scroll"}, el("table", {id: "compare-table"}, el("thead", {}, head), el("tbody", {}, body))));
}

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
// x positions of a column: numbers as they are, categories as jittered strips around their code.
function axisFor(col, name) {
  if (col.kind === "categorical") {
    const cats = col.categories;
    return {type: "value", name, nameLocation: "middle", nameGap: cats.length > 6 ? 64 : 28, min: -1, max: cats.length,
      interval: 1, splitLine: {show: false}, axisLine: {onZero: false}, axisLabel: {formatter: x => cats[x] ?? "", rotate: cats.length > 6 ? 30 : 0, width: 120, overflow: "truncate"}};
  }
  return {type: "value", name, nameLocation: "middle", nameGap: 28, scale: true, axisLine: {onZero: false}};
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
  const j = state.depFeature, order = v.nf > 1 ? interactionOrder(j) : [];
  if (state.depColour === undefined || !order.includes(state.depColour)) state.depColour = order.length ? order[0] : null;
  const ranked = rankOf(Array.from(importance()));
  section.append(el("p", {class: "help", text: `The local value of one feature (toward ${clsLabel()}) against its value, ` +
      "coloured by a second feature; the colour list starts with the feature that interacts most strongly."}),
    el("div", {class: "inline"},
      featureSelect("dep-feature", ranked.map(f => [f, v.features[f]]), j, x => { state.depFeature = Number(x); state.depColour = undefined; renderTab(); }, "Feature:"),
      order.length ? featureSelect("dep-colour", order.map((c, i) => [c, v.features[c] + (i === 0 ? "  (strongest interaction)" : "")]),
        state.depColour, x => { state.depColour = Number(x); renderTab(); }, "Colour by:") : null));
  const col = v.columns[j], colour = state.depColour === null ? null : v.columns[state.depColour];
  const scale = colourScale(colour), every = stride(v.n), coloured = [], grey = [];
  for (let r = 0; r < v.n; r += every) {
    const x = position(col, r); if (Number.isNaN(x)) continue;
    (Number.isNaN(scale[r]) ? grey : coloured).push([x, localValue(outputOf(r), r, j), scale[r], r]);
  }
  const node = el("div", {class: "chart", id: "dependence-chart", "data-points": coloured.length + grey.length});
  if (colour) {
    const ends = colour.kind === "categorical" ? [colour.categories[0], colour.categories[colour.categories.length - 1]] : ["low", "high"];
    section.append(colourLegend(`colour: ${v.features[state.depColour]}`, ends[0], ends[1]));
  }
  section.append(node);
  if (every > 1) section.append(el("p", {class: "note", text: `Every ${every}th row drawn (${(coloured.length + grey.length).toLocaleString()} of ${v.n.toLocaleString()}).`}));
  const colourName = state.depColour === null ? "" : v.features[state.depColour];
  chart(node, {grid: {left: 10, right: 30, top: 30, bottom: 50, containLabel: true}, animation: false,
    xAxis: axisFor(col, v.features[j]), yAxis: {type: "value", name: "local value", scale: true, axisLine: {onZero: false}},
    tooltip: tooltip(p => `row ${v.rows[p.value[3]]}<br>${esc(v.features[j])} = ${esc(fmt(cellValue(col, p.value[3])))}` +
      `<br>local value ${fmt(p.value[1])}` + (colour ? `<br>${esc(colourName)} = ${esc(fmt(cellValue(colour, p.value[3])))}` : "")),
    series: colour ? colourSeries(coloured.concat(grey), 5)
      : [{type: "scatter", symbolSize: 5, data: coloured.concat(grey), large: true, itemStyle: {color: "#1f6fb2", opacity: 0.75}}]});
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
  section.append(el("p", {class: "help", text: "Any feature against the prediction, the true label or the error; " +
      "categories are drawn as jittered strips. Colour shows whether the prediction was right (classification) when labels were uploaded."}),
    el("div", {class: "inline"},
      featureSelect("ex-feature", v.features.map((f, i) => [i, f]), state.exFeature, x => { state.exFeature = Number(x); renderTab(); }, "Feature:"),
      featureSelect("ex-target", usable, state.exTarget, x => { state.exTarget = x; renderTab(); }, "Against:")));
  const col = v.columns[state.exFeature];
  const yCol = state.exTarget === "output" ? {kind: "numeric", values: Float32Array.from({length: v.n}, (_, r) => rowOutput(outputOf(r), r))}
    : column(state.exTarget);
  const err = v.task !== "regression" ? errorColumn() : null;
  const groups = err ? [[], []] : [[]], every = stride(v.n);
  for (let r = 0; r < v.n; r += every) {
    const x = position(col, r), y = position(yCol, r, 1);
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    groups[err ? err.codes[r] : 0].push([x, y, r]);
  }
  const node = el("div", {class: "chart", id: "explorer-chart"});
  section.append(node);
  const name = usable.find(t => t[0] === state.exTarget)[1];
  chart(node, {grid: {left: 10, right: 30, top: 30, bottom: 50, containLabel: true}, animation: false,
    legend: err ? {top: 0} : undefined,
    xAxis: axisFor(col, v.features[state.exFeature]), yAxis: Object.assign(axisFor(yCol, name), {nameLocation: "end", nameGap: 10, nameTextStyle: {align: "left"}}),
    tooltip: tooltip(p => `row ${v.rows[p.value[2]]}<br>${esc(v.features[state.exFeature])} = ${esc(fmt(cellValue(col, p.value[2])))}` +
      `<br>${esc(name)} = ${esc(fmt(cellValue(yCol, p.value[2])))}`),
    series: groups.map((data, i) => ({type: "scatter", name: err ? ["correct", "wrong"][i] : name, data, symbolSize: 5,
      large: true, largeThreshold: 400, itemStyle: {opacity: 0.7, color: err ? ["#2b8a3e", "#e03131"][i] : "#1f6fb2"}}))});
}

// ------------------------------------------------------------------------------------- 6. cohorts
const ORDERED = {"greater": ">", "greater and equal": ">=", "less": "<", "less and equal": "<="};
function allCohorts() {
  return [{name: "All rows", description: "every row in this page", mask: null}, ...V().cohorts, ...state.cohorts];
}
function passes(f, r) {
  const col = column(f.key);
  if (col.kind === "categorical") {
    const inside = col.codes[r] >= 0 && f.arg.includes(col.categories[col.codes[r]]);
    return f.method === "includes" ? inside : !inside;
  }
  const x = col.values[r];
  if (Number.isNaN(x)) return false;
  switch (f.method) {
    case "greater": return x > f.arg[0];
    case "greater and equal": return x >= f.arg[0];
    case "less": return x < f.arg[0];
    case "less and equal": return x <= f.arg[0];
    case "equal": return x === Math.fround(f.arg[0]) || x === f.arg[0];
    default: return x >= f.arg[0] && x <= f.arg[1];  // in the range of
  }
}
function describe(f) {
  const name = columnName(f.key);
  if (ORDERED[f.method]) return `${name} ${ORDERED[f.method]} ${f.arg[0]}`;
  if (f.method === "equal") return `${name} = ${f.arg[0]}`;
  if (f.method === "in the range of") return `${name} in [${f.arg[0]}, ${f.arg[1]}]`;
  return `${name} ${f.method === "includes" ? "in" : "not in"} {${f.arg.join(", ")}}`;
}
function cohortMask(filters) {
  const mask = new Uint8Array(V().n);
  for (let r = 0; r < mask.length; r++) mask[r] = filters.every(f => passes(f, r)) ? 1 : 0;
  return mask;
}
function count(mask) { if (!mask) return V().n; let c = 0; for (const x of mask) c += x; return c; }
function metrics(mask) {
  const v = V(), out = {rows: count(mask)};
  const pred = v.predicted, truth = v["true"];
  let n = 0, right = 0, abs = 0, sq = 0, sum = 0;
  for (let r = 0; r < v.n; r++) {
    if (mask && !mask[r]) continue;
    if (pred && pred.kind === "numeric") {
      sum += pred.values[r];
      if (truth) { const e = pred.values[r] - truth.values[r]; abs += Math.abs(e); sq += e * e; }
    } else if (pred && truth) {
      right += cellValue(pred, r) === cellValue(truth, r) ? 1 : 0;
    }
    n++;
  }
  if (pred && pred.kind === "numeric") {
    out["mean prediction"] = n ? sum / n : NaN;
    if (truth) { out["mean absolute error"] = n ? abs / n : NaN; out["root mean squared error"] = n ? Math.sqrt(sq / n) : NaN; }
  } else if (pred && truth) {
    out.accuracy = n ? right / n : NaN; out["error rate"] = n ? 1 - right / n : NaN;
  }
  if (pred && pred.kind === "categorical") {
    const positive = v.classes[v.classes.length - 1];
    let hits = 0;
    for (let r = 0; r < v.n; r++) if ((!mask || mask[r]) && cellValue(pred, r) === positive) hits++;
    out[`predicted ${positive}`] = n ? hits / n : NaN;
  }
  return out;
}
function cohortsTab(section) {
  const v = V();
  state.pending = state.pending || [];
  section.append(el("h2", {text: "Cohorts"}),
    el("p", {class: "help", text: "Build a cohort from filters on features, the predicted and true label or the error, " +
      "then compare cohorts' importance (mean |local value| over their rows) and metrics side by side. " +
      "Cohorts from the pipeline's scorecard config are listed as predefined."}));
  const keys = [...v.features.map((f, i) => [i, f])];
  if (v.predicted) keys.push(["predicted", "Predicted Y"]);
  if (v["true"]) keys.push(["true", "True Y"]);
  if (errorColumn()) keys.push(["error", "Error"]);
  const usable = keys.filter(([key]) => column(key));
  const builder = el("div", {class: "cohort", id: "cohort-builder"});
  section.append(builder);
  if (!usable.length) builder.append(el("p", {class: "note", text: "No feature values or labels were saved, so cohorts cannot be built."}));
  else drawBuilder(builder, usable);
  const list = el("div", {id: "cohort-list"});
  section.append(el("h2", {text: "Compare"}), list);
  const compare = el("div", {id: "cohort-compare"});
  section.append(compare);
  state.compare = state.compare || {};
  for (const c of allCohorts()) if (state.compare[c.name] === undefined) state.compare[c.name] = true;
  list.append(...allCohorts().map(c => el("div", {class: "cohort", "data-cohort": c.name},
    el("label", {}, el("input", {type: "checkbox", checked: state.compare[c.name],
      onchange: e => { state.compare[c.name] = e.target.checked; drawCompare(compare); }}),
      el("span", {class: "name", text: c.name}), c.predefined ? el("span", {class: "tag", text: "from the scorecard config"}) : null),
    el("div", {class: "note", text: `${c.description} — ${count(c.mask).toLocaleString()} rows`}),
    c.predefined || !c.mask ? null : el("button", {class: "act secondary", text: "delete", onclick: () => {
      state.cohorts = state.cohorts.filter(x => x !== c); renderTab(); }}))));
  drawCompare(compare);
}
function drawBuilder(builder, usable) {
  if (state.newKey === undefined || !usable.some(u => String(u[0]) === String(state.newKey))) state.newKey = usable[0][0];
  const key = isNaN(Number(state.newKey)) ? state.newKey : Number(state.newKey), col = column(key);
  const methods = col.kind === "categorical" ? ["includes", "excludes"]
    : ["greater", "greater and equal", "less", "less and equal", "equal", "in the range of"];
  if (!methods.includes(state.newMethod)) state.newMethod = methods[0];
  const values = el("span", {class: "inline"});
  if (col.kind === "categorical") {
    values.append(el("div", {class: "checklist", id: "cohort-values"}, col.categories.map(c =>
      el("label", {}, el("input", {type: "checkbox", value: c}), " ", c))));
  } else {
    values.append(el("input", {type: "number", id: "cohort-value", step: "any"}));
    if (state.newMethod === "in the range of") values.append("and", el("input", {type: "number", id: "cohort-value2", step: "any"}));
  }
  const message = el("span", {class: "warn", id: "cohort-message"});
  function addFilter() {
    let arg;
    if (col.kind === "categorical") arg = [...builder.querySelectorAll("#cohort-values input:checked")].map(i => i.value);
    else arg = [...builder.querySelectorAll("input[type=number]")].map(i => Number(i.value === "" ? NaN : i.value));
    if (!arg.length || arg.some(x => typeof x === "number" && Number.isNaN(x))) { message.textContent = "Give the filter a value."; return; }
    if (state.newMethod === "in the range of" && arg[0] > arg[1]) { message.textContent = "The range is empty: give low, then high."; return; }
    state.pending.push({key, method: state.newMethod, arg});
    renderTab();
  }
  function saveCohort() {
    const name = builder.querySelector("#cohort-name").value.trim();
    if (!name) { message.textContent = "Name the cohort."; return; }
    if (allCohorts().some(c => c.name === name)) { message.textContent = "That name is taken."; return; }
    if (!state.pending.length) { message.textContent = "Add at least one filter."; return; }
    const mask = cohortMask(state.pending);
    state.cohorts.push({name, description: state.pending.map(describe).join(" and "), mask, filters: state.pending});
    state.pending = [];
    renderTab();
  }
  builder.append(el("div", {class: "inline"},
    featureSelect("cohort-column", usable, state.newKey, x => { state.newKey = x; renderTab(); }, "Column:"),
    featureSelect("cohort-method", methods.map(m => [m, m]), state.newMethod, x => { state.newMethod = x; renderTab(); }, "Condition:"),
    values, el("button", {class: "act secondary", id: "cohort-add-filter", text: "add filter", onclick: addFilter})),
  el("div", {class: "chips"}, state.pending.map((f, i) => el("span", {class: "chip"}, describe(f),
    el("button", {"aria-label": "remove filter", text: "×", onclick: () => { state.pending.splice(i, 1); renderTab(); }})))),
  el("div", {class: "inline"}, el("label", {}, "Name:", el("input", {type: "text", id: "cohort-name", placeholder: "cohort name"})),
    el("button", {class: "act", id: "cohort-save", text: "save cohort", onclick: saveCohort}),
    el("span", {class: "note", text: state.pending.length ? `${count(cohortMask(state.pending)).toLocaleString()} rows pass these filters` : ""}),
    message));
}
function drawCompare(holder) {
  const v = V(), chosen = allCohorts().filter(c => state.compare[c.name]).slice(0, 6), top = topFeatures();
  holder.replaceChildren();
  if (!chosen.length) { holder.append(el("p", {class: "note", text: "Tick cohorts to compare."})); return; }
  const imps = chosen.map(c => cohortImportance(c.mask));
  const node = el("div", {class: "chart", id: "cohort-chart", style: `height:${Math.max(260, 16 * top.length * Math.min(4, chosen.length) + 90)}px`});
  const ms = chosen.map(c => metrics(c.mask)), names = Object.keys(ms[0]);
  holder.append(el("h2", {text: "Metrics"}), el("div", {class: "scroll"}, el("table", {id: "cohort-metrics"},
    el("thead", {}, el("tr", {}, el("th", {text: "cohort"}), names.map(n => el("th", {class: "num", text: n})))),
    el("tbody", {}, chosen.map((c, i) => el("tr", {"data-cohort": c.name}, el("td", {text: c.name}),
      names.map(n => el("td", {class: "num", "data-metric": n, "data-value": ms[i][n],
        text: n === "rows" ? ms[i][n].toLocaleString() : fmt(ms[i][n])}))))))));
  holder.append(el("h2", {text: `Importance of the top ${top.length} features, by cohort`}), node);
  chart(node, {grid: {left: 10, right: 30, top: 30, bottom: 30, containLabel: true}, legend: {top: 0, type: "scroll"},
    xAxis: {type: "value", name: "mean |local value|", nameLocation: "middle", nameGap: 22},
    yAxis: {type: "category", inverse: true, data: top.map(j => v.features[j]), axisLabel: {width: 240, overflow: "truncate"}},
    tooltip: tooltip(p => `${esc(p.seriesName)}, ${esc(p.name)}: ${fmt(p.value)}`),
    series: chosen.map((c, i) => ({type: "bar", name: c.name, data: top.map(j => imps[i][j])}))});
  holder.append(el("details", {}, el("summary", {text: "Cohort importances as a table"}), el("div", {class: "scroll"},
    el("table", {id: "cohort-importance"}, el("thead", {}, el("tr", {}, el("th", {text: "feature"}),
      chosen.map(c => el("th", {class: "num", text: c.name})))),
      el("tbody", {}, top.map(j => el("tr", {"data-feature": v.features[j]}, el("td", {text: v.features[j]}),
        chosen.map((c, i) => el("td", {class: "num", "data-cohort": c.name, "data-value": imps[i][j], text: fmt(imps[i][j])})))))))));
}

// ------------------------------------------------------------------------------------------ start
switchView(0);
