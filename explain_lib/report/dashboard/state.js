/* The view in the page's address: what is shown (tab, class, top k, search, chosen rows) and the cohorts built,
 * kept in the URL's fragment (#...) so a reload or a link opens the same view; then the page starts.
 *
 * The fragment is JSON, URI-encoded: {"view", "tab", "cls", "topK", "search", "filter", "rows": [row labels],
 * "pair": [feature, feature] (the Interactions view's chosen cell) | null,
 * "cohorts": [{"name", "filters": [{"column", "method", "arg"}]}], "hidden": [cohort names not compared]}.
 * Cohorts refer to columns by name; one naming a column this page lacks is left out (and said so). Inside the
 * MLflow UI the page lives in a sandboxed frame whose address is not shown: its fragment holds only while
 * the preview is open.
 */
"use strict";

let restoring = false;  // no writes to the address while the view is being rebuilt from it
function snapshot() {
  return {view: state.view, tab: state.tab, cls: state.cls, topK: state.topK, search: state.search || "",
    filter: state.filterCohort || "", rows: state.selected.map(rowLabel),
    pair: state.ixPair && ix() ? state.ixPair.map(a => V().features[ix().features[a]]) : null,
    cohorts: state.cohorts.map(c => ({name: c.name, filters: c.filters})),
    hidden: Object.entries(state.compare || {}).filter(([, shown]) => !shown).map(([name]) => name)};
}
function saveState() {
  if (restoring) return;
  const text = "#" + encodeURIComponent(JSON.stringify(snapshot()));
  if (location.hash === text) return;
  try {
    history.replaceState(null, "", text);
  } catch (error) {  // a sandboxed frame may refuse history: the fragment then changes the plain way
    try { location.hash = text; } catch (ignored) { /* the view is not kept; the page still works */ }
  }
}
function readFragment() {
  if (location.hash.length < 2) return null;
  try {
    const saved = JSON.parse(decodeURIComponent(location.hash.slice(1)));
    return saved && typeof saved === "object" ? saved : null;
  } catch (error) {
    return null;  // somebody else's fragment: start from the defaults
  }
}
function validFilter(f) {
  if (!f || typeof f.column !== "string" || !Array.isArray(f.arg) || typeof f.method !== "string") return false;
  const key = keyOf(f.column), col = key === -1 ? null : column(key);
  if (!col) return false;
  return col.kind === "categorical" ? ["includes", "excludes"].includes(f.method) && f.arg.every(x => typeof x === "string")
    : f.arg.length > 0 && f.arg.every(x => typeof x === "number") && (f.method in ORDERED || ["equal", "in the range of"].includes(f.method));
}
function restoreState(saved) {
  const dropped = [];
  if (Number.isInteger(saved.view) && saved.view >= 0 && saved.view < VIEWS.length) state.view = saved.view;
  const v = V();
  state.cls = v.classes ? (v.classes.length === 2 ? 1 : -1) : null;
  if (v.classes && Number.isInteger(saved.cls) && saved.cls >= (v.classes.length > 2 ? -1 : 0) && saved.cls < v.classes.length) state.cls = saved.cls;
  if (Number.isInteger(saved.topK) && saved.topK >= 1) state.topK = Math.min(saved.topK, v.nf);
  else state.topK = Math.min(state.topK, v.nf);
  if (TABS.some(([id]) => id === saved.tab) && tabShown(saved.tab)) state.tab = saved.tab;
  const computed = ix() ? ix().features.map(f => v.features[f]) : [];
  if (Array.isArray(saved.pair) && saved.pair.length === 2 && saved.pair.every(name => computed.includes(name))) {
    state.ixPair = saved.pair.map(name => computed.indexOf(name));
  }
  if (typeof saved.search === "string") state.search = saved.search;
  for (const c of Array.isArray(saved.cohorts) ? saved.cohorts : []) {
    if (!c || typeof c.name !== "string" || !Array.isArray(c.filters) || !c.filters.length) continue;
    if (allCohorts().some(x => x.name === c.name)) continue;
    if (c.filters.every(validFilter)) state.cohorts.push(makeCohort(c.name, c.filters));
    else dropped.push(c.name);
  }
  if (typeof saved.filter === "string" && allCohorts().some(c => c.name === saved.filter)) state.filterCohort = saved.filter;
  state.compare = {};
  for (const name of Array.isArray(saved.hidden) ? saved.hidden : []) if (typeof name === "string") state.compare[name] = false;
  const positions = new Map(Array.from({length: v.n}, (_, r) => [rowLabel(r), r]));
  state.selected = (Array.isArray(saved.rows) ? saved.rows : []).filter(label => positions.has(String(label)))
    .map(label => positions.get(String(label))).slice(-MAX_COMPARE);
  return dropped;
}

// ------------------------------------------------------------------------------------------ start
(function start() {
  const saved = readFragment();
  state.cls = V().classes ? (V().classes.length === 2 ? 1 : -1) : null;
  state.topK = Math.min(state.topK, V().nf);
  let dropped = [];
  if (saved) {
    restoring = true;
    dropped = restoreState(saved);
    restoring = false;
  }
  render();
  if (dropped.length) {
    document.getElementById("main").prepend(el("p", {class: "warn", id: "restore-note", text: `Cohorts ${dropped.join(", ")} ` +
      "from the page's address filter on columns this page does not have: left out."}));
  }
})();
