# make demo   - set up .venv and run the Adult pipeline (train -> explain -> scorecard) into MLflow's local store
# make test   - install the system packages the tests need, set up .venv and run the whole test suite
# make docs   - the docs site into site/: dashboard screenshots taken in Chromium, then mkdocs build --strict
# make dist   - the sdist and wheel into dist/
# make vendor - rebuild the vendored JavaScript (ECharts) from the npm registry
#
# System packages (Chromium, Java 17) are checked, and on Debian / Ubuntu as root or with passwordless
# sudo installed, by scripts/prerequisites.py before anything else runs; elsewhere it stops with one
# message saying what is missing and how to install it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PREREQUISITES := $(PYTHON) scripts/prerequisites.py --install

export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: demo test docs dist lint bench vendor clean prerequisites-test prerequisites-docs

# One virtual environment; each stamp records which extras are installed in it.
define install_venv
	@$(PREREQUISITES) venv --command '`make $(or $(MAKECMDGOALS),demo)`'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.$(1)'
	touch $@
endef

$(VENV)/.installed: pyproject.toml
	$(call install_venv,)

$(VENV)/.installed-test: pyproject.toml
	$(call install_venv,[test])

# a bare comma would split make's call arguments: "[test" and "docs]"
comma := ,
$(VENV)/.installed-docs: pyproject.toml
	$(call install_venv,[test$(comma)docs])

prerequisites-test:
	@$(PREREQUISITES) test --command '`make test`'

prerequisites-docs:
	@$(PREREQUISITES) docs --command '`make docs`'

demo: $(VENV)/.installed
	$(VENV)/bin/explain-lib pipeline run pipelines/adult_income.yaml

test: prerequisites-test $(VENV)/.installed-test
	$(PY) -m pytest -q

docs: prerequisites-docs $(VENV)/.installed-docs
	$(PY) scripts/docs_screenshots.py docs/assets/screenshots
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

dist: $(VENV)/.installed
	$(PY) -m pip install --quiet build
	rm -rf dist
	$(PY) -m build --outdir dist .

lint: $(VENV)/.installed-test
	$(PY) -m pip install --quiet ruff
	$(PY) -m ruff check explain_lib tests benchmarks scripts docs

bench: $(VENV)/.installed-test
	$(PY) benchmarks/tree.py

vendor:
	bash scripts/vendor_js.sh

clean:
	rm -rf $(VENV) mlruns mlflow.db .pytest_cache build dist site docs/assets/screenshots
