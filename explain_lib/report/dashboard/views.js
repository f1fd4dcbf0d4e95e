/* Dashboard views 1-3: aggregate importance, summary, individual importance (see dashboard.js). */
"use strict";

// --------------------------------------------------------------------------- 1. aggregate importance
const MAX_OUTLIERS = 200;  // dots per feature beyond the box plot's whiskers (the most extreme always among them)
function topFeatures() { return rankOf(Array.from(importance())).slice(0, state.topK); }
function binaryNote() {
  const v = V();
  if (!v.classes || v.classes.length !== 2) return null;
  return el("p", {class: "note", "data-role": "binary-note", text: `A binary model's two classes have the same ` +
    `importance: class ${v.classes[0]}'s local values are class ${v.classes[1]}'s with the sign flipped, so their mean ` +
    "|value| is equal. The class changes the sign of the local values in the other views."});
}
function importanceTab(section) {
  const v = V(), values = importance(), top = topFeatures();
  const what = v.method === "pfi" ? "the mean drop in the model's score when the feature's values are shuffled"
    : state.cls === -1 || !v.per_class
      ? (v.classes ? "mean over classes of mean |local value|" : "mean |local value|")
      : `mean |local value| for class ${v.classes[state.cls]}`;
  section.append(el("h2", {text: `Top ${top.length} of ${v.nf} features`}),
    el("p", {class: "help", text: `Global importance over all ${v.n_rows_total === null ? "" : v.n_rows_total.toLocaleString() + " "}explained rows (${what}). ` +
      "Move the slider to show more or fewer."}));
  const note = binaryNote();
  if (note) section.append(note);  // the DOM's append writes a null as the text "null"
  const bars = el("div", {class: "chart", id: "importance-chart", style: `height:${Math.max(220, 28 * top.length + 60)}px`});
  section.append(bars);
  const names = top.map(j => v.features[j]).reverse(), shown = top.map(j => values[j]).reverse();
  chart(bars, {grid: grid({right: 40, top: 10, bottom: 12}),
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
  if (hasLocal()) boxPlots(section, top, names);
  else section.append(el("p", {class: "note", id: "global-only-note", text: `This ${v.method} explanation has global ` +
    "importances only, so the views of single rows are left out; explain rows with a SHAP or surrogate method to see them."}));
}
// Box plots of local values: whiskers 5th-95th percentile, every value beyond them a dot (thinned evenly past
// MAX_OUTLIERS, keeping the extremes), so a feature with rare large values does not look negligible.
function boxPlots(section, top, names) {
  const v = V(), stats = [], outliers = [];
  top.slice().reverse().forEach((j, y) => {
    const xs = new Float64Array(v.n);
    for (let r = 0; r < v.n; r++) xs[r] = localValue(outputOf(r), r, j);
    xs.sort();
    const q = [0.05, 0.25, 0.5, 0.75, 0.95].map(p => quantile(xs, p));
    stats.push(q);
    const beyond = Array.from(xs).filter(x => x < q[0] || x > q[4]);
    const keep = beyond.length <= MAX_OUTLIERS ? beyond
      : Array.from({length: MAX_OUTLIERS}, (_, i) => beyond[Math.round(i * (beyond.length - 1) / (MAX_OUTLIERS - 1))]);
    for (const x of keep) outliers.push([x, y]);
  });
  section.append(el("h2", {text: "Distribution of local values"}),
    el("p", {class: "help", text: `Box plots of each row's local value toward ${clsLabel()} (box the quartiles, ` +
      `whiskers the 5th-95th percentile, dots the rows beyond them), over the ${v.n.toLocaleString()} rows in this page.`}));
  const box = el("div", {class: "chart", id: "box-chart", "data-outliers": outliers.length,
    style: `height:${Math.max(220, 28 * top.length + 60)}px`});
  section.append(box);
  chart(box, {grid: grid({right: 30, top: 10, bottom: 12}),
    xAxis: {type: "value", name: "local value", nameLocation: "middle", nameGap: 24, scale: true},
    yAxis: {type: "category", data: names, axisLabel: {width: 260, overflow: "truncate"}},
    tooltip: tooltip(p => p.seriesType === "boxplot"
      ? `${esc(p.name)}<br>median ${fmt(p.value[3])}, quartiles ${fmt(p.value[2])} to ${fmt(p.value[4])}`
      : `${esc(names[p.value[1]])}: ${fmt(p.value[0])}`),
    series: [{type: "boxplot", data: stats, itemStyle: {color: "#e7f1fb", borderColor: "#1f6fb2"}},
      {type: "scatter", name: "beyond the whiskers", data: outliers, symbolSize: 4, itemStyle: {color: "#1f6fb2", opacity: 0.5}}]});
}

// ------------------------------------------------------------------------------------ 2. summary
function summaryTab(section) {
  const v = V(), top = topFeatures(), k = top.length;
  const dense = v.n * k > SWARM_POINTS;
  section.append(el("h2", {text: "Summary of local values"}),
    el("p", {class: "help", text: `One ${dense ? "band" : "dot"} per row and feature: its local value toward ` +
      `${clsLabel()}. Colour is the feature's value: numbers from blue (low) to red (high), categories in the colours of ` +
      "their legend below the chart, grey where the value is missing. " +
      (dense ? `${(v.n * k).toLocaleString()} values are binned into a density: band height is the number of rows, ` +
        "colour their mean value (categories: the commonest one)." : "Dots with similar values are stacked.")}));
  const node = el("div", {class: "chart tall", id: "summary-chart", "data-mode": dense ? "density" : "points",
    style: `height:${Math.max(300, 44 * k + 80)}px`});
  section.append(colourLegend("numbers:", "low", "high"), node);
  const names = top.map(j => v.features[j]);
  const bins = 120;
  let lo = Infinity, hi = -Infinity;
  for (const j of top) for (let r = 0; r < v.n; r++) {
    const x = localValue(outputOf(r), r, j); if (x < lo) lo = x; if (x > hi) hi = x;
  }
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const width = (hi - lo) / bins;
  const numericDots = [], categoryDots = [], density = [];
  top.forEach((j, row) => {
    const y = k - 1 - row, col = v.columns.length ? v.columns[j] : null, colours = col ? colourScale(col) : null;
    const categorical = col && col.kind === "categorical";
    const counts = new Int32Array(bins), sums = new Float64Array(bins), known = new Int32Array(bins), modes = [];
    const placed = [];
    for (let r = 0; r < v.n; r++) {
      const x = localValue(outputOf(r), r, j), b = Math.min(bins - 1, Math.floor((x - lo) / width));
      const c = colours ? colours[r] : NaN;
      counts[b]++;
      if (!Number.isNaN(c)) {
        known[b]++; sums[b] += c;
        if (categorical) { modes[b] = modes[b] || new Map(); modes[b].set(c, (modes[b].get(c) || 0) + 1); }
      }
      if (!dense) placed.push([x, b, c]);
    }
    const most = Math.max(...counts);
    if (dense) {
      for (let b = 0; b < bins; b++) if (counts[b]) {
        const colour = !known[b] ? GREY : categorical
          ? categoryColour([...modes[b].entries()].sort((p, q) => q[1] - p[1])[0][0]) : mix(sums[b] / known[b]);
        density.push([lo + b * width, lo + (b + 1) * width, y, counts[b] / most, colour, counts[b]]);
      }
      return;
    }
    const seen = new Int32Array(bins);
    for (const [x, b, c] of placed) {
      const i = seen[b]++, offset = (i % 2 ? -1 : 1) * Math.ceil(i / 2) / Math.max(most, 8) * 0.8;
      (categorical ? categoryDots : numericDots).push([x, y + offset, c]);
    }
  });
  const series = dense ? [{type: "custom", data: density, renderItem: (params, api) => {
    const start = api.coord([api.value(0), api.value(2)]), end = api.coord([api.value(1), api.value(2)]);
    const height = api.size([0, 1])[1] * 0.85 * Math.max(0.04, api.value(3));
    return {type: "rect", shape: {x: start[0], y: start[1] - height / 2, width: Math.max(1, end[0] - start[0]), height},
      style: {fill: density[params.dataIndex][4]}};
  }, encode: {x: [0, 1], y: 2}}]
    : [...colourSeries(numericDots, 4), ...colourSeries(categoryDots, 4, true)];
  chart(node, {grid: grid({right: 30, top: 20, bottom: 12}), animation: false,
    xAxis: {type: "value", name: `local value (${v.task === "regression" ? v.output_name : v.output_space})`,
      nameLocation: "middle", nameGap: 26, scale: true, axisLine: {onZero: false}},
    yAxis: {type: "value", min: -1, max: k, interval: 1, axisLine: {onZero: false}, splitLine: {show: false}, axisTick: {show: false},
      axisLabel: {formatter: y => names[k - 1 - y] ?? "", width: 240, overflow: "truncate"}},
    series});
  for (const j of top) if (v.columns.length && v.columns[j].kind === "categorical") section.append(categoryLegend(v.features[j], v.columns[j]));
}

// ------------------------------------------------------------------------ 3. individual importance
function tableColumns() {
  const v = V(), cols = [];
  if (v.predicted) cols.push({key: "predicted", name: "Predicted Y"});
  if (v["true"]) cols.push({key: "true", name: "True Y"});
  if (v.predicted && v["true"]) cols.push({key: "error", name: v.task === "regression" ? "Error (pred - true)" : "Error"});
  cols.push({key: "output", name: v.task === "regression" ? "f(x)" : `f(x) ${state.cls === -1 ? "of predicted class" : "of class " + v.classes[state.cls]}`});
  if (v.probability) cols.push({key: "probability", name: state.cls === -1 ? "P(predicted class)" : `P(${v.classes[state.cls]})`});
  if (v.columns.length) {
    for (const j of rankOf(Array.from(importance())).slice(0, TABLE_FEATURES)) cols.push({key: j, name: v.features[j]});
  }
  return cols;
}
function tableCell(key, r) {  // a number or text to sort by
  if (key === "output") return rowOutput(outputOf(r), r);
  if (key === "probability") return probabilityOf(rowOutput(outputOf(r), r));
  return cellValue(column(key), r);
}
function tableText(key, r) {  // what the cell shows: data as stored, computed numbers rounded
  if (key === "output" || key === "probability") return fmt(tableCell(key, r), key === "probability" ? 4 : 6);
  return exactText(column(key), r);
}
function visibleRows(cols) {
  const v = V(), mask = activeCohortMask(), term = state.search.trim().toLowerCase();
  let rows = [];
  for (let r = 0; r < v.n; r++) {
    if (mask && !mask[r]) continue;
    if (term) {
      const text = [rowLabel(r), ...cols.map(c => tableText(c.key, r))].join(" ").toLowerCase();
      if (!text.includes(term)) continue;
    }
    rows.push(r);
  }
  if (state.sort) {
    const {key, dir} = state.sort, value = r => key === "row" ? (v.labels ? labelKey(rowLabel(r)) : v.rows[r]) : tableCell(key, r);
    rows = rows.map(r => [value(r), r]).sort((a, b) => {
      if (a[0] === null) return 1; if (b[0] === null) return -1;
      return (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) * dir;
    }).map(p => p[1]);
  }
  return rows;
}
function labelKey(text) { const x = Number(text); return Number.isNaN(x) ? text : x; }
function activeCohortMask() {
  const cohort = allCohorts().find(c => c.name === state.filterCohort);
  return cohort ? cohort.mask : null;
}
function individualTab(section) {
  const v = V(), cols = tableColumns();
  section.append(el("h2", {text: "Individual importance"}),
    el("p", {class: "help", text: `Every row in this page, named by its label in the explained data (column "${rowName()}": ` +
      "the DataFrame's index; for a pipeline's test split, the row's number in the input file, from 0), with the model output f(x) " +
      `(${clsLabel()})${v.probability ? " and the probability it stands for" : ""}. Values are shown as stored. ` +
      `Click a row to see its waterfall; tick up to ${MAX_COMPARE} rows to compare them. Click a column header to sort.`}));
  const search = el("input", {type: "search", id: "row-search", placeholder: "search rows", value: state.search,
    oninput: e => { state.search = e.target.value; state.page = 0; drawTable(); drawDetail(); }});
  const cohortSelect = el("select", {id: "row-cohort", onchange: e => { state.filterCohort = e.target.value; state.page = 0; drawTable(); drawDetail(); }},
    el("option", {value: "", text: "all rows"}),
    allCohorts().filter(c => c.mask).map(c => el("option", {value: c.name, selected: c.name === state.filterCohort, text: c.name})));
  const holder = el("div", {}), pager = el("div", {class: "inline"});
  section.append(el("div", {class: "inline"}, el("label", {}, "Search:", search), el("label", {}, "Cohort:", cohortSelect)),
    holder, pager);
  const detail = el("div", {id: "row-detail"});
  section.append(detail);
  function drawTable() {
    const rows = visibleRows(cols), pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
    const listed = new Set(rows);
    state.selected = state.selected.filter(r => listed.has(r));  // a row the search or cohort hides is not shown below
    state.page = Math.min(state.page, pages - 1);
    const numericKey = key => typeof key === "number" ? column(key).kind === "numeric"
      : ["output", "probability"].includes(key) || (column(key) && column(key).kind === "numeric");
    const head = el("tr", {}, el("th", {text: "compare"}),
      [{key: "row", name: rowName()}, ...cols].map(c => el("th", {class: "sortable" + (numericKey(c.key) ? " num" : ""),
        "data-key": c.key, text: c.name + (state.sort && state.sort.key === c.key ? (state.sort.dir > 0 ? " ▲" : " ▼") : ""),
        onclick: () => { state.sort = {key: c.key, dir: state.sort && state.sort.key === c.key ? -state.sort.dir : 1}; drawTable(); }})));
    const body = el("tbody", {}, rows.slice(state.page * PAGE_ROWS, (state.page + 1) * PAGE_ROWS).map(r => {
      const box = el("input", {type: "checkbox", checked: state.selected.includes(r), "aria-label": `compare row ${rowLabel(r)}`,
        onclick: e => { e.stopPropagation(); toggleRow(r, e.target.checked); drawTable(); drawDetail(); }});
      return el("tr", {"data-row": rowLabel(r), "data-position": r, class: state.selected.includes(r) ? "selected" : null,
        onclick: () => { focusRow(r); drawTable(); drawDetail(); }},
        el("td", {}, box), el("td", {class: "num", "data-role": "row-label", text: rowLabel(r)}),
        cols.map(c => el("td", {class: numericKey(c.key) ? "num" : null, "data-key": c.key, text: tableText(c.key, r)})));
    }));
    holder.replaceChildren(el("div", {class: "scroll"}, el("table", {id: "rows-table"}, el("thead", {}, head), body)));
    pager.replaceChildren(
      el("button", {class: "act secondary", disabled: state.page === 0, text: "previous", onclick: () => { state.page--; drawTable(); }}),
      el("span", {id: "rows-count", text: `${rows.length.toLocaleString()} rows match; page ${state.page + 1} of ${pages}` +
        (v.columns.length > 0 && v.nf > TABLE_FEATURES ? `; table shows the top ${TABLE_FEATURES} of ${v.nf} features` : "")}),
      el("button", {class: "act secondary", disabled: state.page >= pages - 1, text: "next", onclick: () => { state.page++; drawTable(); }}));
    saveState();
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
  const expected = v.expected ? v.expected[k] : 0, output = rowOutput(k, r), p = probabilityOf(output);
  const space = v.task === "regression" ? v.output_name : v.class_output_names[k];
  const contributions = [...Array(v.nf).keys()].map(j => [j, localValue(k, r, j)])
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  const probability = p === null ? null : el("span", {}, " (probability of ", v.classes[k], " ",
    el("b", {"data-role": "probability", "data-value": p, text: fmt(p, 4)}), ")");
  detail.append(el("h2", {"data-role": "detail-title", text: `${rowName()} ${rowLabel(r)}: why f(x) = ${fmt(output)}` +
      (p === null ? "" : `, probability ${fmt(p, 4)}`)}),
    el("p", {class: "help"}, "From the expected value ", el("b", {"data-role": "expected", "data-value": expected, text: fmt(expected, 6)}),
      " to the prediction ", el("b", {"data-role": "prediction", "data-value": output, text: fmt(output, 6)}), probability,
      ", in ", el("b", {"data-role": "output-space", text: space}), ". Red pushes up, blue pushes down."));
  const shown = contributions.slice(0, 12), rest = contributions.slice(12);
  const steps = [], labels = [];
  let at = expected;
  const valueText = j => v.columns.length ? exactText(v.columns[j], r) : "";
  for (const [j, x] of shown) {
    steps.push([at, at + x, x]);
    labels.push(v.columns.length ? `${v.features[j]} = ${valueText(j)}` : v.features[j]);
    at += x;
  }
  if (rest.length) {
    const x = rest.reduce((s, q) => s + q[1], 0);
    steps.push([at, at + x, x]); labels.push(`${rest.length} other features`); at += x;
  }
  const names = ["E[f(x)]", ...labels, p === null ? "f(x)" : `f(x), P = ${fmt(p, 4)}`];
  const data = [[expected, expected, 0, 0], ...steps.map((s, i) => [s[0], s[1], s[2], i + 1]), [output, output, 0, names.length - 1]];
  const node = el("div", {class: "chart", id: "waterfall-chart", "data-labels": JSON.stringify(names),
    style: `height:${Math.max(260, 30 * names.length + 70)}px`});
  detail.append(node);
  chart(node, {grid: grid({right: 60, top: 10, bottom: 12}), animation: false,
    xAxis: {type: "value", scale: true, name: space, nameLocation: "middle", nameGap: 26},
    yAxis: {type: "category", data: names, inverse: true, axisLabel: {width: 320, overflow: "break"}},
    tooltip: tooltip(q => `${esc(names[q.value[3]])}: ${q.value[2] >= 0 ? "+" : ""}${fmt(q.value[2])} (to ${fmt(q.value[1])})`),
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
      el("td", {text: v.features[j]}), el("td", {"data-role": "feature-value", text: valueText(j)}),
      el("td", {class: "num " + (x >= 0 ? "pos" : "neg"), text: fmt(x, 6)})))));
  detail.append(el("details", {}, el("summary", {text: `All ${v.nf} local values of ${rowName()} ${rowLabel(r)}`}), el("div", {class: "scroll"}, table)));
  if (state.selected.length > 1) compareRows(detail);
  whatIfPanel(detail, r);
}
function compareRows(detail) {
  const v = V(), rows = state.selected;
  const strength = [...Array(v.nf).keys()].map(j => [j, Math.max(...rows.map(r => Math.abs(localValue(outputOf(r), r, j))))])
    .sort((a, b) => b[1] - a[1]).slice(0, Math.min(12, v.nf)).map(p => p[0]);
  detail.append(el("h2", {text: `${rows.length} rows side by side`}),
    el("p", {class: "help", text: `Local values of the ${strength.length} features that matter most to these rows.`}));
  const node = el("div", {class: "chart", id: "compare-chart", style: `height:${Math.max(260, 22 * strength.length * Math.min(3, rows.length) + 80)}px`});
  detail.append(node);
  chart(node, {grid: grid({right: 30, top: 30, bottom: 12}), legend: {top: 0},
    xAxis: {type: "value", name: "local value", nameLocation: "middle", nameGap: 22},
    yAxis: {type: "category", inverse: true, data: strength.map(j => v.features[j]), axisLabel: {width: 240, overflow: "truncate"}},
    tooltip: tooltip(p => `${esc(p.seriesName)}, ${esc(p.name)}: ${fmt(p.value)}`),
    series: rows.map(r => ({type: "bar", name: `${rowName()} ${rowLabel(r)}`, data: strength.map(j => localValue(outputOf(r), r, j))}))});
  const head = el("tr", {}, el("th", {text: "feature"}), rows.map(r => el("th", {class: "num", text: `${rowName()} ${rowLabel(r)}`})));
  const body = strength.map(j => el("tr", {"data-feature": v.features[j]}, el("td", {text: v.features[j]}),
    rows.map(r => el("td", {class: "num", "data-row": rowLabel(r), "data-value": localValue(outputOf(r), r, j), text: fmt(localValue(outputOf(r), r, j))}))));
  detail.append(el("div", {class: "scroll"}, el("table", {id: "compare-table"}, el("thead", {}, head), el("tbody", {}, body))));
}
