/* What-if in the Individual view: edit the selected row's values and see the model's new prediction and
 * explanation beside the original (exact mode: the page carries the model, model.js and treeshap.js),
 * or move one feature along its ICE grid (grid mode: values the upload computed with the model).
 * Edited rows can be pinned and compared. Numbers are shown in full (shortest round-trip form).
 */
"use strict";

const WATERFALL_LABELS = 190;  // pixels of feature names beside a what-if waterfall
const whatIf = {view: null, row: null, inputs: null, result: null, original: null, pins: [], ms: null};
function roundTrip(x) { return x === null || x === undefined || Number.isNaN(x) ? "missing" : String(x); }
function signedRoundTrip(x) { return (x > 0 ? "+" : "") + String(x); }
// The numbers of the last edit and of the row before it, for tests and the benchmark.
function whatIfState() {
  if (!whatIf.result) return null;
  const plain = a => a && {outputs: a.outputs, probability: a.probability, local: a.local, margin: Array.from(a.margin)};
  return Object.assign({inputs: Array.from(whatIf.inputs), ms: whatIf.ms, original: plain(whatIf.original)}, plain(whatIf.result));
}

function whatIfPanel(detail, r) {
  const v = V(), w = v.whatif;
  if (!w) return;
  const section = el("section", {id: "whatif", class: "whatif"});
  detail.append(section);
  section.append(el("h2", {text: `What if? Edit row ${v.rows[r]}`}));
  if (w.mode === "off") { section.append(el("p", {class: "note", text: `What-if is not available: ${w.reason}.`})); return; }
  if (w.mode === "grid") { gridWhatIf(section, r); return; }
  const copy = carried(v);
  if (whatIf.view !== v.id || whatIf.row !== r) {
    Object.assign(whatIf, {view: v.id, row: r, inputs: rowInputs(copy, r)});
    whatIf.original = explainRow(v, copy, rowInputs(copy, r));
  }
  const algorithm = {path: "path-dependent TreeSHAP", interventional: "interventional TreeSHAP over the " +
    `${copy.explain.n_background} background rows the explanation used`, linear: "the linear closed form"}[copy.explain.algorithm];
  section.append(el("p", {class: "help", text: `This page carries the model (${w.description}): every edit re-predicts ` +
    `the row and re-explains it with ${algorithm}, as the explanation did. Change a value, tick "missing", or pick a category.`}));
  if (copy.model.family === "xgboost") {
    section.append(el("p", {class: "note", text: "XGBoost adds its trees in single precision: the page does the same for " +
      "predictions. Its own SHAP values are single precision too; the page's are double, so they may differ from the " +
      "explanation's in the 7th digit."}));
  }
  const form = el("div", {class: "whatif-form", id: "whatif-form"}), result = el("div", {id: "whatif-result"});
  section.append(form, el("div", {class: "inline"},
    el("button", {class: "act secondary", id: "whatif-reset", text: "reset to the row", onclick: () => {
      whatIf.inputs = rowInputs(copy, r); drawForm(); update(); }}),
    el("button", {class: "act", id: "whatif-pin", text: "pin this edit", onclick: () => { pinEdit(v, r); drawPins(); }})),
  result, el("div", {id: "whatif-pinned"}));
  const k = outputOf(r);
  const order = [...Array(v.nf).keys()].sort((a, b) => Math.abs(whatIf.original.local[k][b]) - Math.abs(whatIf.original.local[k][a]));
  function drawForm() {
    form.replaceChildren(...order.map(j => fieldEditor(copy.fields[j], j, copy, r, update)));
  }
  const redraw = resultView(result, v, r, k);
  function update() {
    const start = performance.now();
    whatIf.result = explainRow(v, copy, whatIf.inputs);
    whatIf.ms = performance.now() - start;
    redraw();
  }
  function drawPins() { pinnedTable(section.querySelector("#whatif-pinned"), v, k); }
  drawForm(); update(); drawPins();
}

function fieldEditor(field, j, copy, r, update) {
  const original = copy.inputs[r * copy.nFields + j], value = whatIf.inputs[j];
  const changed = !(value === original || (Number.isNaN(value) && Number.isNaN(original)));
  const label = el("label", {class: "field" + (changed ? " changed" : ""), "data-feature": field.name},
    el("span", {class: "name", text: field.name}));
  const set = x => { whatIf.inputs[j] = x; label.classList.toggle("changed", !(x === original || (Number.isNaN(x) && Number.isNaN(original)))); update(); };
  if (field.kind === "categorical") {
    const select = el("select", {"data-field": j, onchange: e => set(e.target.value === "" ? NaN : Number(e.target.value))},
      field.categories.map((c, i) => el("option", {value: i, selected: value === i, text: c})),
      field.missing ? el("option", {value: "", selected: Number.isNaN(value), text: "missing"}) : null);
    label.append(select);
    return label;
  }
  const input = el("input", {type: "number", step: "any", "data-field": j, value: Number.isNaN(value) ? "" : String(value),
    disabled: Number.isNaN(value), oninput: e => {
      const x = e.target.value.trim() === "" ? null : Number(e.target.value);
      if (x === null || !Number.isFinite(x)) { label.classList.add("invalid"); return; }
      label.classList.remove("invalid"); set(x);
    }});
  label.append(input);
  if (field.missing) {
    label.append(el("label", {class: "missing"}, el("input", {type: "checkbox", "data-missing": j, checked: Number.isNaN(value),
      onchange: e => {
        input.disabled = e.target.checked;
        if (e.target.checked) set(NaN);
        else { const x = Number.isNaN(original) ? (field.low ?? 0) : original; input.value = String(x); set(x); }
      }}), "missing"));
  }
  if (field.low !== null) label.append(el("small", {text: `seen ${field.low} to ${field.high}`}));
  return label;
}

// The result of an edit: outcome lines, the waterfalls before and after (same axis, same features) and the
// table of every local value. Built once per row; each edit updates it in place.
function resultView(holder, v, r, k) {
  const copy = carried(v), names = v.features, before = whatIf.original, base = copy.inputs.subarray(r * v.nf, (r + 1) * v.nf);
  const space = v.task === "regression" ? v.output_name : v.class_output_names[k];
  const expected = v.expected ? v.expected[k] : 0;
  const value = (role, x) => el("b", {"data-role": role, "data-value": x, text: roundTrip(x)});
  const afterOutput = value("whatif-prediction", before.outputs[k]), outputDelta = el("span", {class: "delta"});
  const lines = [el("div", {class: "outcome"}, el("span", {text: `f(x), ${space}: `}), value("whatif-original", before.outputs[k]),
    " → ", afterOutput, outputDelta)];
  const afterProbability = before.probability && value("whatif-probability", before.probability[k]);
  const probabilityDelta = el("span", {class: "delta"}), predicted = el("b", {"data-role": "whatif-class"});
  if (before.probability) {
    lines.push(el("div", {class: "outcome"}, el("span", {text: `probability of ${v.classes[k]}: `}),
      value("whatif-original-probability", before.probability[k]), " → ", afterProbability, probabilityDelta,
      el("span", {class: "delta", text: "; predicted class "}), predicted));
  }
  const timing = el("p", {class: "note"});
  const beforeNode = el("div", {class: "chart", id: "whatif-before"}), afterNode = el("div", {class: "chart", id: "whatif-after"});
  const rows = names.map((name, j) => {
    const cells = [el("td", {text: name}), el("td", {text: inputText(v, j, base[j])}), el("td"),
      el("td", {class: "num", "data-col": "local", "data-value": before.local[k][j], text: roundTrip(before.local[k][j])}),
      el("td", {class: "num", "data-col": "new-local"}), el("td", {class: "num"})];
    return {row: el("tr", {"data-feature": name}, cells), cells};
  });
  const body = el("tbody", {}, rows.map(x => x.row));
  holder.replaceChildren(...lines, timing, el("div", {class: "grid2"},
    el("div", {}, el("h3", {text: "Before the edit"}), beforeNode), el("div", {}, el("h3", {text: "After the edit"}), afterNode)),
  el("details", {open: true}, el("summary", {text: "Every local value, before and after"}), el("div", {class: "scroll"},
    el("table", {id: "whatif-table"}, el("thead", {}, el("tr", {}, ["feature", "value", "edited value", "local value",
      "after the edit", "change"].map((h, i) => el("th", {class: i > 2 ? "num" : null, text: h})))), body))));
  const changed = j => !(whatIf.inputs[j] === base[j] || (Number.isNaN(whatIf.inputs[j]) && Number.isNaN(base[j])));
  const set = (node, x) => { node.dataset.value = x; node.textContent = roundTrip(x); };
  const original = [...Array(v.nf).keys()].sort((a, b) => Math.abs(before.local[k][b]) - Math.abs(before.local[k][a]));
  let drawn = null;  // the axis range and features both waterfalls are drawn with
  return function redraw() {
    const after = whatIf.result;
    set(afterOutput, after.outputs[k]);
    outputDelta.textContent = ` (change ${signedRoundTrip(after.outputs[k] - before.outputs[k])})`;
    if (after.probability) {
      set(afterProbability, after.probability[k]);
      probabilityDelta.textContent = ` (change ${signedRoundTrip(after.probability[k] - before.probability[k])})`;
      predicted.textContent = v.classes[after.probability.indexOf(Math.max(...after.probability))];
    }
    timing.dataset.ms = whatIf.ms;
    timing.textContent = `Predicted and explained in ${whatIf.ms.toFixed(1)} ms.`;
    const order = [...Array(v.nf).keys()].sort((a, b) => Math.abs(after.local[k][b]) - Math.abs(after.local[k][a]));
    order.forEach(j => {
      const {row, cells} = rows[j];
      row.classList.toggle("changed", changed(j));
      cells[2].textContent = inputText(v, j, whatIf.inputs[j]);
      set(cells[4], after.local[k][j]);
      cells[5].textContent = signedRoundTrip(after.local[k][j] - before.local[k][j]);
      body.append(row);  // in the new order
    });
    // Both waterfalls show the same features in the same order (the edited ones first, then the row's largest
    // values) on the same axis; the one before the edit is redrawn only when those change.
    const shown = [...new Set([...original.filter(changed), ...original])].slice(0, 10);
    const stepsBefore = waterfallSteps(names, before.local[k], expected, before.outputs[k], shown);
    const stepsAfter = waterfallSteps(names, after.local[k], expected, after.outputs[k], shown, changed);
    const ends = [stepsBefore, stepsAfter].flatMap(w => w.data.flatMap(d => [d[0], d[1]]));
    const low = Math.min(...ends), high = Math.max(...ends), key = shown.join(",");
    if (!drawn || low < drawn.range[0] || high > drawn.range[1] || key !== drawn.key) {
      const pad = (high - low) * 0.15 || 1;
      drawn = {range: [low - pad, high + pad], key};
      drawWaterfall(beforeNode, stepsBefore, drawn.range, space);
    }
    drawWaterfall(afterNode, stepsAfter, drawn.range, space);
  };
}
function inputText(v, j, x) {
  const field = carried(v).fields[j];
  if (Number.isNaN(x)) return "missing";
  return field.kind === "categorical" ? field.categories[x] : String(x);
}
// The steps of a waterfall of local values (the features `shown`, the rest summed) from E[f(x)] to f(x); the
// features' values are in the form and the table beside it, so the labels hold names only.
function waterfallSteps(names, local, expected, output, shown, edited) {
  const items = shown.map(j => [edited && edited(j) ? `${names[j]} (edited)` : names[j], local[j]]);
  const drawn = new Set(shown), rest = local.reduce((s, x, j) => drawn.has(j) ? s : s + x, 0);
  if (local.length > shown.length) items.push([`${local.length - shown.length} other features`, rest]);
  const labels = ["E[f(x)]", ...items.map(p => p[0]), "f(x)"], data = [];
  let at = expected;
  data.push([expected, expected, 0, 0]);
  items.forEach(([, x], i) => { data.push([at, at + x, x, i + 1]); at += x; });
  data.push([output, output, 0, labels.length - 1]);
  return {labels, data};
}
// Both waterfalls share `range`, so a longer bar is a larger value in either.
function drawWaterfall(node, {labels, data}, range, space) {
  const height = `${Math.max(260, 26 * labels.length + 70)}px`;
  if (node.style.height !== height) { node.style.height = height; if (charts.has(node)) charts.get(node).resize(); }
  // a fixed label column, so both charts put a value at the same place
  chart(node, {grid: {left: WATERFALL_LABELS + 16, right: 30, top: 10, bottom: 40}, animation: false,
    xAxis: {type: "value", min: range[0], max: range[1], name: space, nameLocation: "middle", nameGap: 26,
      axisLabel: {showMinLabel: false, showMaxLabel: false}},
    yAxis: {type: "category", data: labels, inverse: true, axisLabel: {width: WATERFALL_LABELS, overflow: "truncate"}},
    tooltip: tooltip(p => `${esc(labels[p.value[3]])}: ${esc(signedRoundTrip(p.value[2]))}`),
    series: [{type: "custom", data, encode: {x: [0, 1], y: 3}, renderItem: (params, api) => {
      const a = api.coord([api.value(0), api.value(3)]), b = api.coord([api.value(1), api.value(3)]);
      const h = api.size([0, 1])[1] * 0.6, step = api.value(2), ends = params.dataIndex === 0 || params.dataIndex === data.length - 1;
      return {type: "rect", shape: {x: ends ? a[0] - 1.5 : Math.min(a[0], b[0]), y: a[1] - h / 2,
        width: Math.max(ends ? 3 : 1, Math.abs(b[0] - a[0])), height: h},
        style: {fill: ends ? "#343a40" : step >= 0 ? "#d6336c" : "#1c7ed6"}};
    }}]});
}

// ------------------------------------------------------------------------------ pinned edits
function pinEdit(v, r) {
  whatIf.pins = whatIf.pins.filter(p => p.view === v.id);
  whatIf.pins.push({view: v.id, row: r, name: `row ${v.rows[r]}, edit ${whatIf.pins.length + 1}`,
                    inputs: Float64Array.from(whatIf.inputs), result: whatIf.result});
  if (whatIf.pins.length > MAX_COMPARE) whatIf.pins.shift();
}
function pinnedTable(holder, v, k) {
  holder.replaceChildren();
  const pins = whatIf.pins.filter(p => p.view === v.id);
  if (!pins.length) return;
  const copy = carried(v), head = el("tr", {}, el("th", {text: "pinned"}), pins.map(p => el("th", {class: "num", text: p.name})));
  const line = (name, cells, attrs) => el("tr", attrs || {}, el("td", {text: name}), cells);
  const body = [line("f(x)", pins.map(p => el("td", {class: "num", "data-value": p.result.outputs[k], text: roundTrip(p.result.outputs[k])})),
    {"data-role": "pinned-output"})];
  if (pins[0].result.probability) {
    body.push(line(`probability of ${v.classes[k]}`, pins.map(p => el("td", {class: "num", text: roundTrip(p.result.probability[k])}))));
  }
  for (let j = 0; j < v.nf; j++) {
    if (pins.every(p => p.inputs[j] === copy.inputs[p.row * v.nf + j] || (Number.isNaN(p.inputs[j]) && Number.isNaN(copy.inputs[p.row * v.nf + j])))) continue;
    body.push(line(v.features[j], pins.map(p => el("td", {class: "num", text: inputText(v, j, p.inputs[j])}))));
  }
  holder.append(el("h3", {text: `${pins.length} pinned edit${pins.length > 1 ? "s" : ""}`}),
    el("div", {class: "scroll"}, el("table", {id: "pinned-table"}, el("thead", {}, head), el("tbody", {}, body))),
    el("button", {class: "act secondary", text: "clear pinned edits", onclick: () => { whatIf.pins = []; pinnedTable(holder, v, k); }}));
}

// ------------------------------------------------------------------------------ grid mode
function gridWhatIf(section, r) {
  const v = V(), w = v.whatif, ice = w.ice;
  section.append(el("p", {class: "help", text: `The page does not carry this model (${w.reason}). Move one feature at a time ` +
    "along its ICE grid: the prediction shown is the model's own, computed when the page was written; there is no new explanation."}));
  if (!ice) { section.append(el("p", {class: "note", text: "No ICE curves were computed for this page."})); return; }
  const position = iceRowPosition(v, r);
  if (position < 0) { section.append(el("p", {class: "note", text: "This row is not among the rows with ICE curves (a sample)."})); return; }
  const k = outputOf(r), holder = el("div", {id: "whatif-result"});
  if (whatIf.gridFeature === undefined || !ice.features.some(f => f.feature === whatIf.gridFeature)) whatIf.gridFeature = ice.features[0].feature;
  const entry = () => ice.features.find(f => f.feature === whatIf.gridFeature);
  const valueSelect = el("select", {id: "whatif-grid-value", onchange: () => draw()});
  function fillValues() {
    const e = entry();
    valueSelect.replaceChildren(...e.grid.map((g, i) => el("option", {value: i, text: e.labels ? e.labels[g] : String(g)})));
  }
  function draw() {
    const e = iceEntry(v, entry()), g = Number(valueSelect.value), G = e.grid.length, n = e.nRows;
    const value = e.values[(k * n + position) * G + g], original = e.own[k * n + position];
    const parts = [el("div", {class: "outcome"}, el("span", {text: `f(x) with ${v.features[e.feature]} = ${valueSelect.selectedOptions[0].text}: `}),
      el("b", {"data-role": "whatif-prediction", "data-value": value, text: roundTrip(value)}),
      el("span", {class: "delta", text: ` (row as explained: ${roundTrip(original)})`}))];
    if (e.probability) {
      const p = e.probability[(k * n + position) * G + g];
      parts.push(el("div", {class: "outcome"}, el("span", {text: `probability of ${v.classes[k]}: `}),
        el("b", {"data-role": "whatif-probability", "data-value": p, text: roundTrip(p)})));
    }
    holder.replaceChildren(...parts);
  }
  section.append(el("div", {class: "inline"},
    featureSelect("whatif-grid-feature", ice.features.map(f => [f.feature, v.features[f.feature]]), whatIf.gridFeature,
      x => { whatIf.gridFeature = Number(x); fillValues(); draw(); }, "Feature:"),
    el("label", {}, "Value:", valueSelect)), holder);
  fillValues(); draw();
}
