"""Size of dashboard.html and time to a full first render in headless Chromium, for 5k, 20k and 100k rows.

A binary explanation of 40 features (35 numeric, 5 categorical with 8 categories), local values drawn
at random (the page's cost depends on the shapes, not on how the values were computed), true labels
given, ``visualization_points`` = the number of rows so every row goes into the page.

For each size: build time of the HTML (Python), file size (and, as the peer, the size the local
values and feature values alone would take as JSON numbers), time from navigation to the first view
drawn (``body[data-rendered]``), then the time each other tab takes to draw after its click, and
whether the tab survived (no crash, no page error).

Targets: 20k rows <= 10 MB and interactive within 3 s; 100k rows renders without crashing the tab.

What-if and ICE (``--what-if``): a LightGBM binary classifier of 300 trees x 31 leaves on 40 features
(35 numeric, 5 categorical), trained on 20k rows, explained on 5k rows with TreeShap; the page carries
the model (``model=``). Measured: the page's size and build time with and without the model, the
upload time the ICE curves add (in-page curves: grids only; with ``what_if=False`` the curves of the
top 10 features are computed at upload with the model) against the explain time, the time from an
edit in the what-if form to the new waterfall painted (the form's input event, prediction, TreeSHAP,
both waterfalls and the table, then two animation frames), and the ICE view's first draw.

Targets: edit to new waterfall <= 100 ms; page <= 15 MB with ICE for the top 10 features; upload time
added by ICE <= 25% of the explain time.

    python benchmarks/dashboard.py [--rows 5000 20000 100000] [--repeats 3] [--what-if] [--edits 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from explain_lib import Explanation
from explain_lib.report.dashboard import dashboard_html

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import prerequisites  # noqa: E402 - the browser the tests use: $EXPLAIN_LIB_CHROMIUM, else the usual paths

TABS = ("summary", "individual", "dependence", "explorer", "cohorts")
N_FEATURES, N_CATEGORICAL = 40, 5


def explanation(n_rows: int, seed: int = 0) -> tuple[Explanation, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = [f"feature_{j:02d}" for j in range(N_FEATURES)]
    positive = rng.normal(size=(n_rows, N_FEATURES)) / np.arange(1, N_FEATURES + 1)
    columns = {name: rng.normal(size=n_rows) for name in features[N_CATEGORICAL:]}
    for name in features[:N_CATEGORICAL]:
        columns[name] = rng.choice([f"level {i}" for i in range(8)], size=n_rows)
    data = pd.DataFrame(columns)[features]
    explained = Explanation(local=np.stack([-positive, positive]), expected=np.array([0.4, -0.4]), features=features,
                            task="classification", output_space="margin", method="benchmark", classes=("<=50K", ">50K"),
                            data=data)
    labels = np.where(rng.random(n_rows) < 0.3, ">50K", "<=50K")
    return explained, labels


def measure(browser, path: Path) -> dict[str, float | str]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("crash", lambda _: problems.append("crashed"))
    result: dict[str, float | str] = {}
    try:
        start = time.perf_counter()
        page.goto(path.as_uri(), timeout=120_000)
        page.wait_for_selector("body[data-rendered=importance]", timeout=120_000)
        result["first view s"] = time.perf_counter() - start
        start = time.perf_counter()
        page.fill("#topk", "5")  # an interaction answered: the slider redraws the bars
        page.wait_for_selector("#tab-importance h2:has-text('Top 5 of')")
        result["top-k answer s"] = time.perf_counter() - start
        page.fill("#topk", "20")
        for tab in TABS:
            start = time.perf_counter()
            page.click(f"nav button[data-tab={tab}]")
            page.wait_for_selector(f"body[data-rendered={tab}] #tab-{tab}", timeout=120_000)
            result[f"{tab} s"] = time.perf_counter() - start
        result["heap MB"] = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize / 1e6 : NaN")
    except Exception as error:  # noqa: BLE001 - a benchmark reports what broke and goes on
        problems.append(f"{type(error).__name__}: {str(error)[:200]}")
    finally:
        page.close()
    result["status"] = "ok" if not problems else "; ".join(problems)[:300]
    return result


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def what_if_model(n_train: int = 20000, n_rows: int = 5000, seed: int = 0):
    """LightGBM, 300 trees x 31 leaves, 40 features (5 categorical), and the 5k rows it explains."""
    import lightgbm

    rng = np.random.default_rng(seed)
    n = n_train + n_rows
    features = [f"feature_{j:02d}" for j in range(N_FEATURES)]
    columns = {name: rng.normal(size=n) for name in features[N_CATEGORICAL:]}
    for name in features[:N_CATEGORICAL]:
        columns[name] = pd.Categorical(rng.choice([f"level {i}" for i in range(8)], size=n))
    data = pd.DataFrame(columns)[features]
    data.loc[rng.random(n) < 0.05, features[N_CATEGORICAL]] = np.nan
    codes = np.stack([data[f].cat.codes.to_numpy() for f in features[:N_CATEGORICAL]], axis=1)
    numbers = data[features[N_CATEGORICAL:]].fillna(0).to_numpy()
    margin = numbers[:, :10] @ rng.normal(size=10) + np.sin(numbers[:, 10] * 2) + (codes[:, 0] % 3 == 0) \
        + numbers[:, 11] * numbers[:, 12]
    y = (margin + rng.normal(size=n) > 0).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=300, num_leaves=31, learning_rate=0.05, min_child_samples=10,
                                    verbose=-1, random_state=0).fit(data.iloc[:n_train], y[:n_train])
    return model, data.iloc[n_train:].reset_index(drop=True), y[n_train:]


_EDIT = """async ([selector, value]) => {
  const input = document.querySelector(selector);
  const start = performance.now();
  input.value = value;
  input.dispatchEvent(new Event("input", {bubbles: true}));
  const handled = performance.now() - start;
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  return [performance.now() - start, whatIfState().ms, handled];
}"""


def what_if(browser, tmp: str, edits: int) -> None:
    from explain_lib import TreeShap

    print(f"\nWhat-if and ICE: LightGBM 300 trees x 31 leaves, {N_FEATURES} features, 5,000 rows ({load()})")
    start = time.perf_counter()
    model, rows, labels = what_if_model()
    print(f"  model trained in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    explained = TreeShap(model).explain(rows)
    explain_s = time.perf_counter() - start
    print(f"  explain (TreeShap, {explained.params['algorithm']}): {explain_s:.2f} s ({load()})")
    builds = {}
    for name, options in (("no model", {}), ("what-if, no ICE", {"model": model, "ice_features": 0}),
                          ("what-if, ICE in the page", {"model": model}),
                          ("ICE at upload (what_if=False)", {"model": model, "what_if": False})):
        start = time.perf_counter()
        html = dashboard_html(explained, true_ys=labels, visualization_points=len(rows), **options)
        builds[name] = (time.perf_counter() - start, len(html.encode("utf-8")) / 1e6, html)
    base_s = builds["no model"][0]
    for name, (seconds, megabytes, _) in builds.items():
        added = seconds - base_s
        print(f"  page {name:<32} {megabytes:6.2f} MB, built in {seconds:5.2f} s" +
              ("" if name == "no model" else f"; adds {added:5.2f} s = {added / explain_s:6.1%} of the explain time"))
    ice_s = builds["what-if, ICE in the page"][0] - builds["what-if, no ICE"][0]
    print(f"  upload time added by ICE (the grids; the page computes the curves): {ice_s:5.2f} s = "
          f"{ice_s / explain_s:6.1%} of the explain time (target <= 25%)")
    path = Path(tmp, "what_if.html")
    path.write_text(builds["what-if, ICE in the page"][2], encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(path.as_uri(), timeout=120_000)
    page.wait_for_selector("body[data-rendered=importance]", timeout=120_000)
    page.click("nav button[data-tab=individual]")
    page.wait_for_selector("body[data-rendered=individual]")
    page.click("#rows-table tbody tr[data-row='7']")
    page.wait_for_selector("#whatif-result")
    j = explained.features.index(f"feature_{N_CATEGORICAL + 1:02d}")
    totals, compute, handlers = [], [], []
    for k in range(edits):
        total, ms, handled = page.evaluate(_EDIT, [f"#whatif-form input[data-field='{j}']",
                                                   str(-2.0 + 4.0 * k / edits)])
        totals.append(total)
        compute.append(ms)
        handlers.append(handled)
    print(f"  edit to new waterfall: median {statistics.median(totals):6.1f} ms, max {max(totals):6.1f} ms over "
          f"{edits} edits (predict + TreeSHAP alone: median {statistics.median(compute):5.1f} ms; the input "
          f"handler, redraw included: {statistics.median(handlers):5.1f} ms) ({load()})")
    start = time.perf_counter()
    page.click("nav button[data-tab=ice]")
    page.wait_for_selector("body[data-rendered=ice] #ice-chart canvas", timeout=120_000)
    first = time.perf_counter() - start
    curves_ms = page.evaluate("iceState(state.iceFeature).ms")
    print(f"  ICE view, top feature: drawn {first:5.2f} s after the click (curves of 5,000 rows: {curves_ms:6.0f} ms)")
    print(f"  status {'ok' if not problems else '; '.join(problems)[:300]}")
    page.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[5000, 20000, 100000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--what-if", action="store_true", help="also measure what-if and ICE (LightGBM, 5k rows)")
    parser.add_argument("--edits", type=int, default=20, help="what-if edits timed")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(load())
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        path, problem = prerequisites.find_chromium()
        if path is None:
            print(prerequisites.report({"browser": problem}, command="the benchmark"), file=sys.stderr)
            return 2
        browser = playwright.chromium.launch(executable_path=path, args=prerequisites.CHROMIUM_ARGS)
        if args.what_if:
            what_if(browser, tmp, args.edits)
        for n_rows in args.rows:
            explained, labels = explanation(n_rows)
            start = time.perf_counter()
            html = dashboard_html(explained, true_ys=labels, visualization_points=n_rows)
            build = time.perf_counter() - start
            path = Path(tmp, f"dashboard_{n_rows}.html")
            path.write_text(html, encoding="utf-8")
            size = path.stat().st_size / 1e6
            as_json = len(json.dumps(explained.local[1].tolist())) + len(explained.data.to_json(orient="values"))
            runs = [measure(browser, path) for _ in range(args.repeats)]
            print(f"\n{n_rows:,} rows x {N_FEATURES} features: {size:.2f} MB file (values alone as JSON numbers: "
                  f"{as_json / 1e6:.2f} MB, {as_json / 1e6 / size:.1f}x the whole page); HTML built in {build:.2f} s")
            keys = [k for k in runs[0] if k != "status"]
            for key in keys:
                values = [run[key] for run in runs if isinstance(run.get(key), float)]
                if values:
                    each = ", ".join(f"{v:.2f}" for v in values)
                    print(f"  {key:<16} median {statistics.median(values):7.2f}   runs {each}")
            print(f"  status           {', '.join(str(run['status']) for run in runs)}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
