# The two commands of the README: `make demo` and `make test`.  Both build their own
# virtual environment (.venv, standard library venv + pip) on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.tsalign-installed
TORCH  ?= torch==2.13.0

.PHONY: demo test test-all ci lint bench docs clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[test,plot,docs]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/demo.py --write-series build/demo
	@echo
	@echo "The command line on the same data (python -m tsalign / tsalign):"
	$(PY) -m tsalign align build/demo/cylinder.npy build/demo/bell.npy --plot build/demo/dtw_path.png
	$(PY) -m tsalign align build/demo/cylinder.npy build/demo/bell.npy --sakoe-chiba-radius 10
	@echo "plot written to build/demo/dtw_path.png"

test: $(STAMP)
	$(PY) -m pytest -q

# the default run leaves out tests marked slow; this runs everything
test-all: $(STAMP)
	$(PY) -m pytest -q -m "slow or not slow"

# CI: the test suite, then the documentation (Sphinx -W, gallery executed)
ci: test docs

LINTED := tsalign tests examples benchmarks docs

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/run_all.py

# the docs extra is part of the venv: tests/test_docs.py needs Sphinx too
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/generated
