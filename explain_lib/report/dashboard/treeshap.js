/* Explaining an edited row in the page, with the algorithm the explanation used (see _whatif.py):
 *
 * - path-dependent TreeSHAP (Lundberg et al. 2020, "From local explanations to global understanding
 *   with explainable AI for trees", Algorithm 2), in float64: one walk of each tree keeps, along the
 *   path, each feature's fraction of training cover that reaches here when the feature is unknown
 *   ("zero") and whether the row itself goes this way ("one"), with the permutation weights of the
 *   path's subsets; at a leaf, each path feature gets its weighted share of the leaf value.
 * - interventional TreeSHAP against the carried background rows: for each background row r and tree,
 *   the exact Shapley values of the two-point game f(x_S, r_notS) (a leaf reached when the features
 *   where x goes its own way are in S and those where r does are not); margins are rescaled onto the
 *   probability scale per background row by (g(f(x)) - g(f(r))) / (f(x) - f(r)) as shap does, then averaged.
 * - the closed form of a linear model, phi_f = sum_e M[f, e] x_e coef_e - K_f.
 * Values over a Pipeline's engineered columns are then mapped to the raw features (CSR map M).
 */
"use strict";

// --------------------------------------------------------------------- path-dependent TreeSHAP
function pathBuffers(depth) {
  const size = (depth + 2) * (depth + 3) / 2;
  return {feature: new Int32Array(size), zero: new Float64Array(size), one: new Float64Array(size),
          weight: new Float64Array(size)};
}
// Grow the path at [start, start + depth] by one feature with fractions (zero, one).
function extendPath(p, start, depth, zero, one, feature) {
  p.feature[start + depth] = feature; p.zero[start + depth] = zero; p.one[start + depth] = one;
  p.weight[start + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    p.weight[start + i + 1] += one * p.weight[start + i] * (i + 1) / (depth + 1);
    p.weight[start + i] = zero * p.weight[start + i] * (depth - i) / (depth + 1);
  }
}
// Take element k back out of the path (its feature appears again further down).
function unwindPath(p, start, depth, k) {
  const one = p.one[start + k], zero = p.zero[start + k];
  let carry = p.weight[start + depth];
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const kept = p.weight[start + i];
      p.weight[start + i] = carry * (depth + 1) / ((i + 1) * one);
      carry = kept - p.weight[start + i] * zero * (depth - i) / (depth + 1);
    } else {
      p.weight[start + i] = p.weight[start + i] * (depth + 1) / (zero * (depth - i));
    }
  }
  for (let i = k; i < depth; i++) {
    p.feature[start + i] = p.feature[start + i + 1]; p.zero[start + i] = p.zero[start + i + 1];
    p.one[start + i] = p.one[start + i + 1];
  }
}
// The total permutation weight of the path with element k taken out (without changing it).
function unwoundSum(p, start, depth, k) {
  const one = p.one[start + k], zero = p.zero[start + k];
  let carry = p.weight[start + depth], total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const share = carry * (depth + 1) / ((i + 1) * one);
      total += share;
      carry = p.weight[start + i] - share * zero * (depth - i) / (depth + 1);
    } else if (zero !== 0) {
      total += p.weight[start + i] / (zero * (depth - i) / (depth + 1));
    }
  }
  return total;
}
// phi[g * width + e] += the path-dependent SHAP values of tree t for row x (every group for vector leaves).
function treeShapPath(m, t, x, phi, width, p) {
  const G = m.n_values > 1 ? m.n_groups : 1, group = m.n_values > 1 ? 0 : m.group[t];
  function recurse(node, start, depth, parentStart, zero, one, feature) {
    for (let i = 0; i < depth; i++) {  // this level's copy of the parent's path
      p.feature[start + i] = p.feature[parentStart + i]; p.zero[start + i] = p.zero[parentStart + i];
      p.one[start + i] = p.one[parentStart + i]; p.weight[start + i] = p.weight[parentStart + i];
    }
    extendPath(p, start, depth, zero, one, feature);
    const split = m.feature[node];
    if (split < 0) {
      for (let i = 1; i <= depth; i++) {
        const w = unwoundSum(p, start, depth, i) * (p.one[start + i] - p.zero[start + i]);
        for (let g = 0; g < G; g++) phi[(group + g) * width + p.feature[start + i]] += w * m.value[node * G + g];
      }
      return;
    }
    const left = m.goes(node, x[split]), hot = left ? m.left[node] : m.right[node];
    const cold = left ? m.right[node] : m.left[node], cover = m.cover[node];
    let inZero = 1, inOne = 1, d = depth;
    for (let k = 1; k <= depth; k++) {
      if (p.feature[start + k] === split) {
        inZero = p.zero[start + k]; inOne = p.one[start + k];
        unwindPath(p, start, depth, k);
        d -= 1;
        break;
      }
    }
    const next = start + depth + 1;
    recurse(hot, next, d + 1, start, m.cover[hot] / cover * inZero, inOne, split);
    recurse(cold, next, d + 1, start, m.cover[cold] / cover * inZero, 0, split);
  }
  recurse(m.root[t], 0, 0, 0, 1, 1, -1);
}
function pathDependent(copy, x) {
  const m = copy.model, width = copy.width, phi = new Float64Array(m.n_groups * width);
  const buffers = pathBuffers(m.max_depth);
  for (let t = 0; t < m.root.length; t++) treeShapPath(m, t, x, phi, width, buffers);
  if (m.divisor !== 1) for (let i = 0; i < phi.length; i++) phi[i] /= m.divisor;
  return phi;
}

// --------------------------------------------------------------------- interventional TreeSHAP
const factorials = [1];
function factorial(n) { while (factorials.length <= n) factorials.push(factorials[factorials.length - 1] * factorials.length); return factorials[n]; }
// phi[e] += the Shapley values of tree t's two-point game between x and the reference r (one group).
function treeShapTwoPoint(m, t, x, r, phi) {
  const side = new Map();  // feature -> +1 (x's way: in S) or -1 (r's way: not in S)
  function recurse(node, inX, inR) {
    const split = m.feature[node];
    if (split < 0) {
      if (inX + inR === 0) return;
      const value = m.value[node], total = factorial(inX + inR);
      const plus = inX ? value * factorial(inX - 1) * factorial(inR) / total : 0;
      const minus = inR ? value * factorial(inX) * factorial(inR - 1) / total : 0;
      side.forEach((s, f) => { phi[f] += s > 0 ? plus : -minus; });
      return;
    }
    const xLeft = m.goes(node, x[split]), rLeft = m.goes(node, r[split]);
    const xChild = xLeft ? m.left[node] : m.right[node], rChild = rLeft ? m.left[node] : m.right[node];
    if (side.has(split)) { recurse(side.get(split) > 0 ? xChild : rChild, inX, inR); return; }
    if (xChild === rChild) { recurse(xChild, inX, inR); return; }
    side.set(split, 1); recurse(xChild, inX + 1, inR);
    side.set(split, -1); recurse(rChild, inX, inR + 1);
    side.delete(split);
  }
  recurse(m.root[t], 0, 0);
}
function interventional(copy, x, marginX) {
  const m = copy.model, ex = copy.explain, width = copy.width, R = ex.n_background;
  const phi = new Float64Array(width), one = new Float64Array(width);
  for (let r = 0; r < R; r++) {
    const ref = ex.background.subarray(r * width, (r + 1) * width), marginR = copy.backgroundMargins[r][0];
    one.fill(0);
    for (let t = 0; t < m.root.length; t++) treeShapTwoPoint(m, t, x, ref, one);
    let scale = 1;
    if (ex.transform === "logistic" && marginX !== marginR) scale = (sigmoid(marginX) - sigmoid(marginR)) / (marginX - marginR);
    for (let e = 0; e < width; e++) phi[e] += one[e] * scale;
  }
  for (let e = 0; e < width; e++) phi[e] /= R;
  return phi;
}

// --------------------------------------------------------------------- linear, raw mapping, one row
function linearValues(copy, x) {
  const m = copy.model, map = copy.explain.map, nf = copy.nFields, phi = new Float64Array(m.n_groups * nf);
  for (let g = 0; g < m.n_groups; g++) {
    for (let f = 0; f < nf; f++) {
      let total = 0;
      for (let k = map.indptr[f]; k < map.indptr[f + 1]; k++) {
        const e = map.indices[k];
        total += map.data[k] * (x[e] * m.coef[g * m.n_inputs + e]);
      }
      phi[g * nf + f] = total - copy.explain.offsets[g * nf + f];
    }
  }
  return phi;
}
function toRaw(copy, phi, groups) {  // (groups x width) engineered values -> (groups x features)
  const map = copy.explain.map, nf = copy.nFields, width = copy.width, out = new Float64Array(groups * nf);
  for (let g = 0; g < groups; g++) {
    for (let f = 0; f < nf; f++) {
      let total = 0;
      for (let k = map.indptr[f]; k < map.indptr[f + 1]; k++) total += map.data[k] * phi[g * width + map.indices[k]];
      out[g * nf + f] = total;
    }
  }
  return out;
}
// Predict and explain one row of inputs: {outputs, probability, local: [per explanation output, per feature]}.
function explainRow(v, copy, inputs) {
  const answer = predictRow(v, copy, inputs), algorithm = copy.explain.algorithm, m = copy.model;
  let phi, groups = m.n_groups;
  if (algorithm === "linear") phi = linearValues(copy, answer.x);
  else if (algorithm === "interventional") { phi = toRaw(copy, interventional(copy, answer.x, answer.margin[0]), 1); groups = 1; }
  else phi = toRaw(copy, pathDependent(copy, answer.x), groups);
  const nf = copy.nFields, n = v.classes ? v.classes.length : 1, local = [];
  for (let g = 0; g < groups; g++) local.push(Array.from(phi.subarray(g * nf, (g + 1) * nf)));
  if (copy.explain.groups.length !== n) local.unshift(local[0].map(value => -value));  // binary, one margin
  return Object.assign(answer, {local});
}
