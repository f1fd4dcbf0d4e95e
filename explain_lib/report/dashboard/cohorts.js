/* Dashboard view 6: cohorts, their metrics against the scorecard's targets, and their export (see dashboard.js). */
"use strict";

const ORDERED = {"greater": ">", "greater and equal": ">=", "less": "<", "less and equal": "<="};
const COLUMN_KEYS = {"Predicted Y": "predicted", "True Y": "true", "Error": "error"};
function allCohorts() {
  return [{name: "All rows", description: "every row in this page", mask: null}, ...V().cohorts, ...state.cohorts];
}
// A filter names its column ("age", "Predicted Y"); the page looks the column up by that name.
function keyOf(name) { return name in COLUMN_KEYS ? COLUMN_KEYS[name] : V().features.indexOf(name); }
function passes(f, r) {
  const col = column(keyOf(f.column));
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
    case "equal": return x === f.arg[0];
    default: return x >= f.arg[0] && x <= f.arg[1];  // in the range of
  }
}
function describe(f) {
  if (ORDERED[f.method]) return `${f.column} ${ORDERED[f.method]} ${f.arg[0]}`;
  if (f.method === "equal") return `${f.column} = ${f.arg[0]}`;
  if (f.method === "in the range of") return `${f.column} in [${f.arg[0]}, ${f.arg[1]}]`;
  return `${f.column} ${f.method === "includes" ? "in" : "not in"} {${f.arg.join(", ")}}`;
}
function cohortMask(filters) {
  const mask = new Uint8Array(V().n);
  for (let r = 0; r < mask.length; r++) mask[r] = filters.every(f => passes(f, r)) ? 1 : 0;
  return mask;
}
function makeCohort(name, filters) { return {name, description: filters.map(describe).join(" and "), mask: cohortMask(filters), filters}; }
function count(mask) { if (!mask) return V().n; let c = 0; for (const x of mask) c += x; return c; }

// ------------------------------------------------------------------------------------------- metrics
// The scorecard's metrics the page can compute from predicted and true labels (scores-based ones it cannot).
function classCounts(mask, positive) {
  const v = V(), out = {n: 0, right: 0, tp: 0, fp: 0, fn: 0, predictedPositive: 0};
  for (let r = 0; r < v.n; r++) {
    if (mask && !mask[r]) continue;
    const p = cellValue(v.predicted, r), t = v["true"] ? cellValue(v["true"], r) : null;
    out.n++;
    if (p === positive) out.predictedPositive++;
    if (t === null) continue;
    if (p === t) out.right++;
    if (p === positive && t === positive) out.tp++;
    if (p === positive && t !== positive) out.fp++;
    if (p !== positive && t === positive) out.fn++;
  }
  return out;
}
function regressionErrors(mask) {
  const v = V(), errors = [], truths = [];
  for (let r = 0; r < v.n; r++) {
    if (mask && !mask[r]) continue;
    errors.push(v.predicted.values[r] - v["true"].values[r]); truths.push(v["true"].values[r]);
  }
  return [errors, truths];
}
function targetValue(metric, mask) {
  const v = V();
  if (!v.predicted) return NaN;
  if (v.task === "regression") {
    if (!v["true"]) return NaN;
    const [e, t] = regressionErrors(mask), n = e.length, sq = e.reduce((s, x) => s + x * x, 0);
    const mean = t.reduce((s, x) => s + x, 0) / n, total = t.reduce((s, x) => s + (x - mean) ** 2, 0);
    const sorted = e.map(Math.abs).sort((a, b) => a - b);
    return {mean_absolute_error: sorted.reduce((s, x) => s + x, 0) / n, mean_squared_error: sq / n,
      root_mean_squared_error: Math.sqrt(sq / n), r2: 1 - sq / total, max_error: sorted[n - 1],
      median_absolute_error: quantile(sorted, 0.5)}[metric] ?? NaN;
  }
  const positive = PAYLOAD.positive_class ?? v.classes[v.classes.length - 1], c = classCounts(mask, positive);
  const precision = c.tp / (c.tp + c.fp), recall = c.tp / (c.tp + c.fn);
  if (!v["true"] && metric !== "selection_rate") return NaN;
  if (v.classes.length > 2 && ["precision", "recall", "f1"].includes(metric)) return NaN;  // macro averages: the scorecard's
  return {accuracy: c.right / c.n, error_rate: 1 - c.right / c.n, precision, recall, f1: 2 * precision * recall / (precision + recall),
    selection_rate: c.predictedPositive / c.n}[metric] ?? NaN;
}
function meets(target, value) {
  if (!target.operator || Number.isNaN(value)) return null;
  return {">=": value >= target.value, "<=": value <= target.value, ">": value > target.value, "<": value < target.value}[target.operator];
}
function metrics(mask) {
  const v = V(), out = {rows: count(mask)};
  if (PAYLOAD.targets.length) {
    for (const target of PAYLOAD.targets) out[target.name] = targetValue(target.metric, mask);
    return out;
  }
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
    out[`predicted ${positive}`] = classCounts(mask, positive).predictedPositive / (n || NaN);
  }
  return out;
}

// --------------------------------------------------------------------------------------------- the view
function cohortsTab(section) {
  const v = V();
  state.pending = state.pending || [];
  section.append(el("h2", {text: "Cohorts"}),
    el("p", {class: "help", text: "Build a cohort from filters on features, the predicted and true label or the error, " +
      "then compare cohorts' importance (mean |local value| over their rows) and metrics side by side. " +
      "Cohorts from the pipeline's scorecard config are listed as predefined; cohorts you build are kept in the page's " +
      "address (a link to it opens them again) and can be copied into a scorecard config."}));
  const usable = [...v.features.map((f, i) => [i, f]), ...(v.predicted ? [["predicted", "Predicted Y"]] : []),
    ...(v["true"] ? [["true", "True Y"]] : []), ...(errorColumn() ? [["error", "Error"]] : [])].filter(([key]) => column(key));
  const builder = el("div", {class: "cohort", id: "cohort-builder"});
  section.append(builder);
  if (!usable.length) builder.append(el("p", {class: "note", text: "No feature values or labels were saved, so cohorts cannot be built."}));
  else drawBuilder(builder, usable);
  const list = el("div", {id: "cohort-list"});
  section.append(el("h2", {text: "Compare"}), list);
  const compare = el("div", {id: "cohort-compare"});
  state.compare = state.compare || {};
  for (const c of allCohorts()) if (state.compare[c.name] === undefined) state.compare[c.name] = true;
  list.append(...allCohorts().map(c => el("div", {class: "cohort", "data-cohort": c.name},
    el("label", {}, el("input", {type: "checkbox", checked: state.compare[c.name],
      onchange: e => { state.compare[c.name] = e.target.checked; drawCompare(compare); saveState(); }}),
      el("span", {class: "name", text: c.name}), c.predefined ? el("span", {class: "tag", text: "from the scorecard config"}) : null),
    el("div", {class: "note", text: `${c.description} — ${count(c.mask).toLocaleString()} rows`}),
    c.predefined || !c.mask ? null : el("button", {class: "act secondary", text: "delete", onclick: () => {
      state.cohorts = state.cohorts.filter(x => x !== c); renderTab(); }}))));
  if (state.cohorts.length) list.append(exportBox());
  section.append(compare);
  drawCompare(compare);
}
// The built cohorts as the scorecard config's Cohorts section (YAML; strings quoted JSON-style, which YAML reads).
function cohortsYaml(cohorts) {
  const lines = ["Cohorts:"];
  for (const c of cohorts) {
    lines.push(`  - name: ${JSON.stringify(c.name)}`, "    cohort_filter_list:");
    for (const f of c.filters) lines.push(`      - {method: ${JSON.stringify(f.method)}, arg: ${JSON.stringify(f.arg)}, column: ${JSON.stringify(f.column)}}`);
  }
  return lines.join("\n") + "\n";
}
function exportBox() {
  const exportable = state.cohorts.filter(c => c.filters.every(f => f.column !== "Error"));
  const skipped = state.cohorts.length - exportable.length;
  return el("details", {id: "cohort-export"}, el("summary", {text: "Your cohorts as a scorecard config's Cohorts section"}),
    el("p", {class: "note", text: "Copy this into the scorecard config (YAML) so the scorecard reports these cohorts on the " +
      "whole test set." + (skipped ? ` ${skipped} cohort(s) filter on Error, which a scorecard cannot: left out.` : "")}),
    el("pre", {id: "cohort-yaml", text: cohortsYaml(exportable)}));
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
    state.pending.push({column: columnName(key), method: state.newMethod, arg});
    renderTab();
  }
  function saveCohort() {
    const name = builder.querySelector("#cohort-name").value.trim();
    if (!name) { message.textContent = "Name the cohort."; return; }
    if (allCohorts().some(c => c.name === name)) { message.textContent = "That name is taken."; return; }
    if (!state.pending.length) { message.textContent = "Add at least one filter."; return; }
    state.cohorts.push(makeCohort(name, state.pending));
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
function metricCell(name, value) {
  const target = PAYLOAD.targets.find(t => t.name === name), met = target ? meets(target, value) : null;
  const text = name === "rows" ? value.toLocaleString() : Number.isNaN(value) ? "n/a" : fmt(value);
  return el("td", {class: "num" + (met === false ? " below" : ""), "data-metric": name, "data-value": value,
    "data-met": met === null ? null : String(met)}, text, met === null ? null : el("span", {class: "verdict", text: met ? " meets" : " below"}));
}
function drawCompare(holder) {
  const v = V(), chosen = allCohorts().filter(c => state.compare[c.name]).slice(0, 6), top = topFeatures();
  holder.replaceChildren();
  if (!chosen.length) { holder.append(el("p", {class: "note", text: "Tick cohorts to compare."})); return; }
  const imps = chosen.map(c => cohortImportance(c.mask));
  const node = el("div", {class: "chart", id: "cohort-chart", style: `height:${Math.max(260, 16 * top.length * Math.min(4, chosen.length) + 90)}px`});
  const ms = chosen.map(c => metrics(c.mask)), names = Object.keys(ms[0]);
  const label = name => (PAYLOAD.targets.find(t => t.name === name) || {}).label || name;
  const head = names.map(n => { const t = PAYLOAD.targets.find(x => x.name === n);
    return el("th", {class: "num", text: label(n) + (t && t.text ? ` (target ${t.text})` : "")}); });
  holder.append(el("h2", {text: "Metrics"}),
    el("p", {class: "note", id: "cohort-sample-note", text: `Computed on this page's rows: ${v.rows_text}. ` +
      (PAYLOAD.targets.length ? "The targets are the scorecard config's; the scorecard computes the same metrics on every " +
        "row of its data, so its values differ from these by the sample." : "They are not the whole data's.")}),
    el("div", {class: "scroll"}, el("table", {id: "cohort-metrics"},
      el("thead", {}, el("tr", {}, el("th", {text: "cohort"}), head)),
      el("tbody", {}, chosen.map((c, i) => el("tr", {"data-cohort": c.name}, el("td", {text: c.name}),
        names.map(n => metricCell(n, ms[i][n]))))))));
  holder.append(el("h2", {text: `Importance of the top ${top.length} features, by cohort`}), node);
  chart(node, {grid: grid({top: 36}), legend: {top: 0, type: "scroll"},
    xAxis: {type: "value", name: "mean |local value|", nameLocation: "middle"},
    yAxis: {type: "category", inverse: true, data: top.map(j => v.features[j]), axisLabel: {width: 240, overflow: "truncate"}},
    tooltip: tooltip(p => `${esc(p.seriesName)}, ${esc(p.name)}: ${fmt(p.value)}`),
    series: chosen.map((c, i) => ({type: "bar", name: c.name, data: top.map(j => imps[i][j])}))});
  holder.append(el("details", {}, el("summary", {text: "Cohort importances as a table"}), el("div", {class: "scroll"},
    el("table", {id: "cohort-importance"}, el("thead", {}, el("tr", {}, el("th", {text: "feature"}),
      chosen.map(c => el("th", {class: "num", text: c.name})))),
      el("tbody", {}, top.map(j => el("tr", {"data-feature": v.features[j]}, el("td", {text: v.features[j]}),
        chosen.map((c, i) => el("td", {class: "num", "data-cohort": c.name, "data-value": imps[i][j], text: fmt(imps[i][j])})))))))));
}
