/* The explanation dashboard's page script: plain JS, no framework, no build step.
 *
 * Reads the JSON payload (see explain_lib/report/dashboard/_payload.py), decodes its base64 arrays and
 * draws six views with ECharts. Every user string (feature, class and category names, comments) goes
 * into the DOM through textContent, or into charts drawn on canvas; tooltips escape it.
 *
 * Files are inlined in this order: dashboard.js (helpers, data, page frame), views.js (views 1-3),
 * model.js and treeshap.js (the carried model and its explanation), whatif.js (what-if in the
 * Individual view), ice.js (ICE and partial dependence) and analysis.js (views 4-6, then the page starts).
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
  const Type = {float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array}[array.dtype];
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
              ["dependence", "Dependence"], ["explorer", "Data explorer"], ["cohorts", "Cohorts"],
              ["ice", "ICE / PDP"]];
function tabs() {
  const shown = TABS.filter(([id]) => id !== "ice" || (V().whatif && V().whatif.ice));  // ICE needs the model
  return el("nav", {role: "tablist"}, shown.map(([id, name]) => el("button", {role: "tab", "data-tab": id,
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
    explorer: explorerTab, cohorts: cohortsTab, ice: iceTab})[state.tab](section);
  document.body.dataset.rendered = state.tab;
}
