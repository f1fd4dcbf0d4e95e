/* Dashboard views 4-6: dependence, data explorer, cohorts; then the page starts (see dashboard.js). */
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
  if (pred && pred.kind === "categorical" && v.classes.length === 2) {  // the positive class's share
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
