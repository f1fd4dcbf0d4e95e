"""Size of dashboard.html and time to a full first render in headless Chromium, for 5k, 20k and 100k rows.

A binary explanation of 40 features (35 numeric, 5 categorical with 8 categories), local values drawn
at random (the page's cost depends on the shapes, not on how the values were computed), true labels
given, ``visualization_points`` = the number of rows so every row goes into the page.

For each size: build time of the HTML (Python), file size (and, as the peer, the size the local
values and feature values alone would take as JSON numbers), time from navigation to the first view
drawn (``body[data-rendered]``), then the time each other tab takes to draw after its click, and
whether the tab survived (no crash, no page error).

Targets: 20k rows <= 10 MB and interactive within 3 s; 100k rows renders without crashing the tab.

    python benchmarks/dashboard.py [--rows 5000 20000 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[5000, 20000, 100000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        path, problem = prerequisites.find_chromium()
        if path is None:
            print(prerequisites.report({"browser": problem}, command="the benchmark"), file=sys.stderr)
            return 2
        browser = playwright.chromium.launch(executable_path=path, args=prerequisites.CHROMIUM_ARGS)
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
