# make demo  - set up .venv and run the Adult pipeline (train -> explain -> scorecard) into MLflow's local store
# make test  - set up .venv and run the whole test suite
# make vendor - rebuild the vendored JavaScript (ECharts) from the npm registry
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: demo test lint bench vendor clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "explain-lib needs Python >= 3.10 (found $$($(PYTHON) --version)); set PYTHON=python3.11"; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/explain-lib pipeline run pipelines/adult_income.yaml

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m pip install --quiet ruff
	$(PY) -m ruff check explain_lib tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/tree.py

vendor:
	bash scripts/vendor_js.sh

clean:
	rm -rf $(VENV) mlruns mlflow.db .pytest_cache
