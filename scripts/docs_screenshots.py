"""Screenshots of the dashboard for the docs, taken in real headless Chromium; run by `make docs`.

    python scripts/docs_screenshots.py docs/assets/screenshots

The Adult model of the docs (a LightGBM model over the raw columns, with true labels, the scorecard's
cohorts and the model carried for what-if) is explained and its dashboard written, exactly as an upload
writes it; then each tab is opened in the browser the tests use (scripts/prerequisites.py:
$EXPLAIN_LIB_CHROMIUM, else the usual install paths; the tests' launch arguments) and saved as
``dashboard-<tab>.png``, and the selected row, edited in the what-if form, as ``dashboard-whatif.png``. A tab whose
charts draw nothing, or a page error, stops the script, so a broken dashboard fails the docs build
instead of being photographed. The PNGs are build output (ignored by git): the dashboard changes, and
``make docs`` takes them again every time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import prerequisites

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1280, "height": 860}
# canvas charts that drew at least one pixel
CANVAS_DRAWN = """() => [...document.querySelectorAll('canvas')].filter(c => c.width > 0 && c.height > 0).some(c => {
    const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
    return false;
})"""


def dashboard(path: Path) -> Path:
    """The docs' Adult dashboard, written to ``path``."""
    from lightgbm import LGBMClassifier
    from sklearn.model_selection import train_test_split

    from explain_lib import TabularExplainer
    from explain_lib.datasets import load_adult

    X, y = load_adult()
    income = y.map({0: "<=50K", 1: ">50K"})
    X_train, X_test, y_train, y_test = train_test_split(X, income, test_size=0.25, random_state=0)
    model = LGBMClassifier(n_estimators=100, verbose=-1, random_state=0).fit(X_train, y_train)
    explanation = TabularExplainer(model, X_train).explain(X_test[:3000])
    return Path(explanation.to_html(path, true_ys=y_test[:3000], visualization_points=3000, model=model,
                                    title="Adult income, LightGBM",
                                    cohorts=ROOT / "pipelines" / "scorecards" / "adult_income.yaml"))


def _tab(page, name: str) -> None:
    page.click(f"nav button[data-tab={name}]")
    page.wait_for_selector(f"body[data-rendered={name}] #tab-{name}")


def _prepare_individual(page) -> None:
    """Select a row so the waterfall shows, and tick a second one to compare."""
    rows = page.locator("#rows-table tbody tr[data-row]")
    rows.nth(0).click()
    rows.nth(1).locator("input[type=checkbox]").check()
    page.wait_for_selector("#waterfall-chart canvas")


def _edit_what_if(page) -> None:
    """Edit the selected row in the what-if form, as a reviewer asking "what would it take?" would."""
    for name, value in (("hours_per_week", "60"), ("education_num", "14")):
        page.fill(f"#whatif-form .field:has(.name:text-is('{name}')) input[type=number]", value)
    page.wait_for_selector("#whatif-form .field.changed")
    page.wait_for_timeout(300)


def _prepare_cohorts(page) -> None:
    """Build a cohort in the page, as a reviewer would."""
    page.select_option("#cohort-column", label="hours_per_week")
    page.select_option("#cohort-method", "greater")
    page.fill("#cohort-value", "45")
    page.click("#cohort-add-filter")
    page.fill("#cohort-name", "Over 45 hours")
    page.click("#cohort-save")
    page.wait_for_selector(".cohort[data-cohort='Over 45 hours']")


# tab -> (what to do in it first, whether to photograph the whole page rather than the first screen)
TABS = {"importance": (None, False), "summary": (None, False), "individual": (_prepare_individual, True),
        "dependence": (None, False), "explorer": (None, False), "cohorts": (_prepare_cohorts, True),
        "ice": (None, False)}


def take(out: Path, browser) -> list[Path]:
    """Write one PNG per dashboard tab into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="explain-lib-docs-") as folder:
        page_file = dashboard(Path(folder, "dashboard.html"))
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(page_file.as_uri())
        page.wait_for_selector("body[data-rendered]")
        written = []
        for name, (prepare, whole) in TABS.items():
            _tab(page, name)
            if prepare:
                prepare(page)
            page.wait_for_timeout(400)  # ECharts' entry animation
            if not page.evaluate(CANVAS_DRAWN):
                raise RuntimeError(f"the dashboard's {name} tab drew no chart; not photographing a broken page")
            target = out / f"dashboard-{name}.png"
            page.screenshot(path=str(target), full_page=whole)
            written.append(target)
            if name == "individual":  # the same row, edited in the what-if form
                _edit_what_if(page)
                target = out / "dashboard-whatif.png"
                page.locator("#whatif").screenshot(path=str(target))
                written.append(target)
        page.close()
    if errors:
        raise RuntimeError(f"the dashboard raised errors in Chromium: {errors}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the PNGs to (docs/assets/screenshots)")
    args = parser.parse_args(argv)
    path, problem = prerequisites.find_chromium()
    if path is None:
        print(prerequisites.report({"browser": problem}, command="`make docs`"), file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=prerequisites.CHROMIUM_ARGS)
        try:
            written = take(args.out, browser)
        finally:
            browser.close()
    print(f"explain-lib: {len(written)} dashboard screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
