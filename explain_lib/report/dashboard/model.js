/* The model carried into the page (explain_lib/report/dashboard/_whatif.py): a row of the what-if form's
 * inputs -> the preprocessing -> the model's margins -> probabilities, with every library's own rules
 * (see _carry_trees.py, _carry_inputs.py and _carry_linear.py, which check this arithmetic in numpy
 * against the model before the page is written). Numbers are float64 throughout, except XGBoost's
 * float32 sums (Math.fround), as XGBoost adds them.
 */
"use strict";

const DEFAULT_LEFT = 1, MISSING_ZERO = 2, MISSING_NAN = 4, CATEGORICAL = 8;
const LGBM_ZERO = Math.fround(1e-35);  // LightGBM's kZeroThreshold: the float 1e-35f, compared as a double

// The decoded copy of a view's model, built once per view.
const carriedCache = new Map();
function carried(v) {
  if (!v.whatif || v.whatif.mode !== "exact") return null;
  if (carriedCache.has(v.id)) return carriedCache.get(v.id);
  const w = v.whatif, m = Object.assign({}, w.model);
  for (const key of ["feature", "threshold", "left", "right", "flags", "cover", "value", "root", "group", "bitsets",
                     "bitset_start", "coef"]) {
    if (m[key]) m[key] = decode(m[key]);
  }
  const ex = Object.assign({}, w.explain);
  for (const key of ["offsets", "background"]) if (ex[key]) ex[key] = decode(ex[key]);
  ex.map = {indptr: decode(ex.map.indptr), indices: decode(ex.map.indices), data: decode(ex.map.data)};
  if (m.kind === "trees") m.goes = decider(m);
  const fields = w.fields.fields, inputs = decode(w.inputs);
  const copy = {model: m, explain: ex, fields, layers: w.fields.layers, codes: w.fields.codes, inputs,
                nFields: fields.length, width: m.kind === "trees" ? m.n_features : m.n_inputs};
  if (ex.background) {  // the background rows' margins, once
    const R = ex.n_background;
    copy.backgroundMargins = [];
    for (let r = 0; r < R; r++) copy.backgroundMargins.push(margins(copy, ex.background.subarray(r * copy.width, (r + 1) * copy.width)));
  }
  carriedCache.set(v.id, copy);
  return copy;
}
// The page row r's inputs (a copy the form may edit).
function rowInputs(copy, r) { return Float64Array.from(copy.inputs.subarray(r * copy.nFields, (r + 1) * copy.nFields)); }

// ------------------------------------------------------------------------------ preprocessing
function applyOp(op, part) {
  switch (op.op) {
    case "impute": return part.map((x, i) => Number.isNaN(x) ? op.fill[i] : x);
    case "scale": return part.map((x, i) => {
      let y = x;
      if (op.sub) y -= op.sub[i];
      if (op.div) y /= op.div[i];
      return y;
    });
    case "minmax": return part.map((x, i) => {
      const y = x * op.mul[i] + op.add[i];
      return op.clip ? Math.min(op.clip[1], Math.max(op.clip[0], y)) : y;
    });
    case "onehot": {
      const out = [];
      part.forEach((x, i) => {
        const slot = Number.isNaN(x) ? op.missing[i] : op.maps[i][x];
        for (let k = 0; k < op.widths[i]; k++) out.push(k === slot ? 1 : 0);
      });
      return out;
    }
    case "ordinal": return part.map((x, i) => {
      const code = Number.isNaN(x) ? op.missing[i] : op.maps[i][x];
      return code === null ? NaN : code;
    });
    default: throw new Error(`unknown operation ${op.op}`);
  }
}
// What the final estimator takes for one row of the form's inputs.
function modelInput(copy, inputs) {
  if (!copy.layers) {
    const x = new Float64Array(copy.nFields);
    for (let j = 0; j < copy.nFields; j++) {
      const codes = copy.codes[j];
      x[j] = codes && !Number.isNaN(inputs[j]) ? codes[inputs[j]] : inputs[j];
    }
    return x;
  }
  let values = Array.from(inputs);
  for (const layer of copy.layers) {
    const out = new Float64Array(layer.width);
    for (const block of layer.blocks) {
      let part = block.columns.map(c => values[c]);
      for (const op of block.ops) part = applyOp(op, part);
      for (let k = 0; k < part.length; k++) out[block.out[0] + k] = part[k];
    }
    values = out;
  }
  return Float64Array.from(values);
}

// ------------------------------------------------------------------------------ trees
function inBitset(words, start, stop, position) {
  const word = start + Math.floor(position / 32);
  return position >= 0 && word < stop && ((words[word] >>> (position % 32)) & 1) === 1;
}
// (node, value) -> whether the value goes to the node's left child, by the library's rules; one function per
// family, made once per model (the per-node test runs millions of times for ICE curves).
function decider(m) {
  const flags = m.flags, threshold = m.threshold, bits = m.bitsets, starts = m.bitset_start;
  const inSet = (n, x) => inBitset(bits, starts[threshold[n]], starts[threshold[n] + 1], Math.trunc(x));
  switch (m.family) {
    case "lightgbm": return (n, x) => {
      const f = flags[n];
      if (f & CATEGORICAL) return !(Number.isNaN(x) || !(x > -1) || x >= 2147483648) && inSet(n, x);
      let value = x;
      if (Number.isNaN(value) && !(f & MISSING_NAN)) value = 0;
      if (((f & MISSING_ZERO) && Math.abs(value) <= LGBM_ZERO) || ((f & MISSING_NAN) && Number.isNaN(value))) {
        return (f & DEFAULT_LEFT) > 0;
      }
      return value <= threshold[n];
    };
    case "xgboost": return (n, x) => {  // split conditions are float32 values already
      if (Number.isNaN(x)) return (flags[n] & DEFAULT_LEFT) > 0;
      if (flags[n] & CATEGORICAL) return !(x >= 0 && inSet(n, x));
      return Math.fround(x) < threshold[n];
    };
    case "sklearn": return (n, x) => Number.isNaN(x) ? (flags[n] & DEFAULT_LEFT) > 0 : Math.fround(x) <= threshold[n];
    default: return (n, x) => Number.isNaN(x) ? (flags[n] & DEFAULT_LEFT) > 0 : x <= threshold[n];  // hist
  }
}
function goesLeft(m, n, x) { return m.goes(n, x); }
function leafOf(m, tree, x) {
  const feature = m.feature, goes = m.goes;
  let n = m.root[tree];
  while (feature[n] >= 0) n = goes(n, x[feature[n]]) ? m.left[n] : m.right[n];
  return n;
}
// (n_groups) margins: base plus leaf values in tree order (float32 sums for XGBoost), over the divisor.
function margins(copy, x) {
  const m = copy.model, G = m.n_groups, out = new Float64Array(G);
  if (m.kind === "linear") {
    for (let g = 0; g < G; g++) {
      let total = 0;
      for (let e = 0; e < m.n_inputs; e++) total += x[e] * m.coef[g * m.n_inputs + e];
      out[g] = total + m.intercept[g];
    }
    return out;
  }
  const f32 = m.family === "xgboost";
  for (let g = 0; g < G; g++) out[g] = f32 ? Math.fround(m.base[g]) : m.base[g];
  const vector = m.n_values > 1;
  for (let t = 0; t < m.root.length; t++) {
    const leaf = leafOf(m, t, x);
    if (vector) for (let g = 0; g < G; g++) out[g] += m.value[leaf * G + g];
    else if (f32) out[m.group[t]] = Math.fround(out[m.group[t]] + m.value[leaf]);
    else out[m.group[t]] += m.value[leaf];
  }
  if (m.divisor !== 1) for (let g = 0; g < G; g++) out[g] /= m.divisor;
  return out;
}

// ------------------------------------------------------------------------------ links
function sigmoid(z) { return 1 / (1 + Math.exp(-z)); }
// Class probabilities from margins, as the library computes them; null when the page has no link.
function linkProbabilities(m, margin) {
  const f = Math.fround, G = margin.length;
  switch (m.link) {
    case "identity": return Array.from(margin);
    case "sigmoid": { const p = 1 / (1 + Math.exp(-m.link_scale * margin[0])); return [1 - p, p]; }
    case "softmax": {
      const top = Math.max(...margin), e = Array.from(margin, z => Math.exp(z - top)), s = e.reduce((a, b) => a + b, 0);
      return e.map(z => z / s);
    }
    case "ovr": { const p = Array.from(margin, sigmoid), s = p.reduce((a, b) => a + b, 0); return p.map(z => z / s); }
    case "ovr-sigmoid": return Array.from(margin, z => 1 / (1 + Math.exp(-m.link_scale * z)));
    case "sigmoid32": {
      const x = Math.min(-f(margin[0]), f(88.7));
      const p = f(1 / f(f(f(Math.exp(x)) + 1) + f(1e-16)));
      return [f(1 - p), p];
    }
    case "softmax32": {
      const top = Math.max(...Array.from(margin, f)), e = Array.from(margin, z => f(Math.exp(f(f(z) - top))));
      let s = 0;
      for (let g = 0; g < G; g++) s += e[g];
      return e.map(z => f(z / f(s)));
    }
    default: return null;
  }
}
// The model's answer for one row of inputs: margins, the explanation's outputs (one per class) and
// probabilities (classifiers with a link), in the explanation's output space.
function predictRow(v, copy, inputs) {
  const x = modelInput(copy, inputs), margin = margins(copy, x);
  const probability = v.task === "classification" ? linkProbabilities(copy.model, margin) : null;
  return {x, margin, outputs: explanationOutputs(v, copy, margin, probability), probability};
}
function explanationOutputs(v, copy, margin, probability) {
  const groups = copy.explain.groups, n = v.classes ? v.classes.length : 1;
  const space = v.output_space === "probability" && copy.model.link !== "identity" ? probability : margin;
  if (groups.length === n) return Array.from(space);
  const positive = space[space.length === n ? 1 : 0];  // a binary model with one margin: class 1
  return [v.output_space === "probability" ? 1 - positive : -positive, positive];
}
