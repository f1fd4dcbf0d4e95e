/* The explanation dashboard's page script: plain JS, no framework, no build step.
 *
 * Reads the JSON payload (see explain_lib/report/dashboard/_payload.py), decodes its base64 arrays and
 * draws six views with ECharts. Every user string (feature, class and category names, comments, row
 * labels) goes into the DOM through textContent, or into charts drawn on canvas; tooltips escape it.
 *
 * Files are inlined in this order: dashboard.js (helpers, data, page frame), views.js (views 1-3),
 * model.js and treeshap.js (the carried model and its explanation), whatif.js (what-if in the
 * Individual view), ice.js (ICE and partial dependence), analysis.js (views 4-5), interactions.js (exact
 * interaction values), cohorts.js (view 6) and state.js (the URL fragment; then the page starts).
 */
"use strict";

const PAYLOAD = JSON.parse(document.getElementById("payload").textContent);
const MAX_COMPARE = 5;
const PAGE_ROWS = 50;
const TABLE_FEATURES = 12;
const MAX_POINTS = 20000;      // drawn points per scatter; more rows are thinned with a fixed stride
const SWARM_POINTS = 40000;    // beyond this many dots the summary becomes a density
const BLUE = [28, 126, 214], RED = [214, 51, 108], GREY = "#adb5bd", OTHER = "#dee2e6";
// Categories get distinct colours (Tableau 10); those past the tenth share OTHER, missing values GREY.
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
                 "#17becf"];

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
  const Type = {float64: Float64Array, float32: Float32Array, int32: Int32Array, uint8: Uint8Array}[array.dtype];
  return new Type(bytes.buffer);
}
// A computed number (an importance, a local value, f(x)) rounded for reading; data values use exactText.
function fmt(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "missing";
  if (typeof value !== "number") return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(digits)));
}
// Python's repr of a float from its shortest round-trip digits ("34568.0", "1e-05", "1.2345e+16").
function pyFloat(digits, exponent, sign) {
  if (exponent < -4 || exponent >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  return `${sign}${digits.slice(0, exponent + 1).padEnd(exponent + 1, "0")}.${digits.slice(exponent + 1) || "0"}`;
}
function shortest(x, single) {  // [digits, exponent] of the shortest decimal that reads back as x (float64 / float32)
  let text = x.toExponential();
  if (single) {
    for (let p = 1; p <= 9; p++) {
      const candidate = x.toExponential(p - 1);
      if (Math.fround(Number(candidate)) === x) { text = candidate; break; }
    }
  }
  const [mantissa, exponent] = text.split("e");
  return [mantissa.replace("-", "").replace(".", "").replace(/0+$/, "") || "0", Number(exponent)];
}
function pyRepr(x, single = false) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [digits, exponent] = shortest(Math.abs(x), single);
  return pyFloat(digits, exponent, x < 0 ? "-" : "");
}
function mix(t) {  // 0 = blue (low), 1 = red (high)
  const c = BLUE.map((b, i) => Math.round(b + (RED[i] - b) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
function categoryColour(code) { return code < 0 ? GREY : code < PALETTE.length ? PALETTE[code] : OTHER; }
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
// Every chart keeps its axis names and labels inside its box: ECharts 6 lays the plot out around them.
function grid(extra) {
  return Object.assign({left: 12, right: 30, top: 24, bottom: 12, outerBoundsMode: "same", outerBoundsContain: "all"},
    extra || {});
}
const STEPS = 8;
// Points [x, y, colour, ...] as one canvas-fast ("large") series per colour: the colour is a position in [0, 1]
// on the blue-red ramp (numbers) or, with `categorical`, a category's code; NaN / -1 for missing (grey).
function colourSeries(points, symbolSize, categorical = false) {
  const groups = new Map();
  for (const p of points) {
    const key = categorical ? (Number.isNaN(p[2]) ? -1 : Math.min(p[2], PALETTE.length))
      : Number.isNaN(p[2]) ? -1 : Math.min(STEPS - 1, Math.floor(p[2] * STEPS));
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(p);
  }
  return [...groups.entries()].map(([key, data]) => ({type: "scatter", data, symbolSize, large: true, largeThreshold: 400,
    itemStyle: {color: key < 0 ? GREY : categorical ? categoryColour(key) : mix((key + 0.5) / STEPS), opacity: 0.8}}));
}
function colourLegend(title, low, high) {
  return el("div", {class: "legend"}, el("span", {text: title}), el("span", {text: low}),
    el("span", {class: "ramp", style: `background: linear-gradient(90deg, ${mix(0)}, ${mix(0.5)}, ${mix(1)})`}),
    el("span", {text: high}), el("span", {class: "ramp grey", style: `background: ${GREY}`}), el("span", {text: "missing"}));
}
// A categorical column's colours: a swatch per category (the first ten), "other" and "missing".
function categoryLegend(title, col) {
  const shown = col.categories.slice(0, PALETTE.length).map((name, code) =>
    el("span", {class: "swatch-item", "data-category": name}, el("span", {class: "swatch", style: `background: ${PALETTE[code]}`}), name));
  const other = col.categories.length > PALETTE.length
    ? [el("span", {class: "swatch-item"}, el("span", {class: "swatch", style: `background: ${OTHER}`}),
      `${col.categories.length - PALETTE.length} other categories`)] : [];
  return el("div", {class: "legend categories", "data-feature": title}, el("span", {class: "legend-title", text: `${title}:`}),
    ...shown, ...other, el("span", {class: "swatch-item"}, el("span", {class: "swatch", style: `background: ${GREY}`}), "missing"));
}

// --------------------------------------------------------------------------------------- the data
function decodeColumn(c) {
  if (!c) return null;
  if (c.kind === "numeric") {
    const raw = decode(c.values), scale = 10 ** (c.scale || 0);
    // int32 counts of 10^-scale: divided here exactly as the writer checked (IEEE division), so each value is the
    // stored double; the smallest int32 marks a missing value
    const values = c.scale === undefined ? (raw instanceof Int32Array ? Float64Array.from(raw) : raw)
      : Float64Array.from(raw, x => x === -2147483648 ? NaN : x / scale);
    return {kind: "numeric", format: c.format || "float", text: c.text || null, values};
  }
  const raw = decode(c.codes), codes = raw instanceof Uint8Array ? Int32Array.from(raw, x => x === 255 ? -1 : x) : raw;
  return {kind: "categorical", categories: c.categories, codes};
}
function prepare(view) {
  const v = Object.assign({}, view);
  v.nf = v.features.length;
  v.local = decode(view.local);
  v.rows = decode(view.rows);
  v.n = v.rows ? v.rows.length : 0;
  v.labels = !view.row_labels ? null : view.row_labels.kind === "int" ? Array.from(decode(view.row_labels.values), String)
    : view.row_labels.values;
  v.nClasses = v.classes ? v.classes.length : 1;
  v.columns = (view.columns || []).map(decodeColumn);
  v.predicted = decodeColumn(view.predicted);
  v["true"] = decodeColumn(view["true"]);
  v.interactions = view.interactions ? Object.assign({}, view.interactions, {values: decode(view.interactions.values)}) : null;
  v.cohorts = view.cohorts.map(c => ({name: c.name, description: c.description, mask: decode(c.mask), predefined: true,
    filters: c.filters}));
  return v;
}
const VIEWS = PAYLOAD.views.map(prepare);
const state = {view: 0, cls: null, topK: 10, cohorts: [], selected: [], page: 0, sort: null, search: "",
               tab: "importance"};

function V() { return VIEWS[state.view]; }
function hasLocal() { return V().local !== null; }
// A row's label: the explained DataFrame's index (its row number in the input file for a pipeline's test split).
function rowLabel(r) { const v = V(); return v.labels ? v.labels[r] : String(v.rows[r]); }
function rowName() { return V().index_name || "row"; }
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
// A binary classifier's log-odds f(x) as the probability of that class; null when the output is not log-odds.
function probabilityOf(f) { return V().probability === "sigmoid" ? 1 / (1 + Math.exp(-f)) : null; }
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
    const values = new Float64Array(v.n);
    for (let r = 0; r < v.n; r++) values[r] = v.predicted.values[r] - v["true"].values[r];
    col = {kind: "numeric", format: "computed", values};
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
function cellValue(col, r) {  // for sorting and filtering: a number, a category's name, or null when missing
  if (!col) return null;
  if (col.kind === "numeric") { const x = col.values[r]; return Number.isNaN(x) ? null : x; }
  const code = col.codes[r];
  return code < 0 ? null : col.categories[code];
}
// A value as stored: integers as integers, floats as the shortest text that reads back as the same number.
function exactText(col, r) {
  const x = cellValue(col, r);
  if (x === null) return "missing";
  if (col.kind !== "numeric") return x;
  if (col.text && col.text[r] !== null) return col.text[r];
  switch (col.format) {
    case "int": return String(x);
    case "bool": return x ? "True" : "False";
    case "float32": return pyRepr(x, true);
    case "computed": return fmt(x, 6);
    default: return pyRepr(x);
  }
}
function numeric(col, r) { return col.kind === "numeric" ? col.values[r] : (col.codes[r] < 0 ? NaN : col.codes[r]); }
// Colour of each row's value: a position in [0, 1] (5th-95th percentile) for numbers, the code for categories.
const scales = new WeakMap();
function colourScale(col) {
  if (!col) return new Float32Array(V().n).fill(NaN);
  if (!scales.has(col)) scales.set(col, computeScale(col));
  return scales.get(col);
}
function computeScale(col) {
  const v = V(), out = new Float32Array(v.n);
  if (col.kind === "categorical") {
    for (let r = 0; r < v.n; r++) out[r] = col.codes[r] < 0 ? NaN : col.codes[r];
    return out;
  }
  const sorted = Float64Array.from(col.values).sort();  // numeric order, NaN last
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
    el("span", {"data-role": "rows", text: v.n ? v.rows_text : "global only"}),
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
              ["dependence", "Dependence"], ["interactions", "Interactions"], ["explorer", "Data explorer"],
              ["cohorts", "Cohorts"], ["ice", "ICE / PDP"]];
// Every view but the aggregate one needs local values; ICE needs the model too, Interactions the interaction values
function tabShown(id) {
  if (id === "importance") return true;
  if (!hasLocal()) return false;
  return id === "ice" ? Boolean(V().whatif && V().whatif.ice) : id === "interactions" ? Boolean(V().interactions) : true;
}
function tabs() {
  const shown = TABS.filter(([id]) => tabShown(id));
  return el("nav", {role: "tablist"}, shown.map(([id, name]) => el("button", {role: "tab", "data-tab": id,
    "aria-selected": state.tab === id ? "true" : "false", text: name,
    onclick: () => { state.tab = id; render(); }})));
}
function switchView(index) {
  state.view = index;
  state.cls = VIEWS[index].classes ? (VIEWS[index].classes.length === 2 ? 1 : -1) : null;
  state.topK = Math.min(state.topK, VIEWS[index].nf);
  state.selected = []; state.page = 0; state.cohorts = []; errorCache = null; state.ixPair = null;
  if (!tabShown(state.tab)) state.tab = "importance";
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
  ({importance: importanceTab, summary: summaryTab, individual: individualTab, dependence: dependenceTab,
    interactions: interactionsTab, explorer: explorerTab, cohorts: cohortsTab, ice: iceTab})[state.tab](section);
  saveState();
  document.body.dataset.rendered = state.tab;
}
