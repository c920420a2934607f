# The two commands of the README: `make demo` and `make test`.  Both build their own
# virtual environment (.venv, standard library venv + pip) on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.tsalign-installed
TORCH  ?= torch==2.13.0

.PHONY: demo test test-all ci lint bench docs clean venv gpu-wheels gpu-check

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
	$(PY) docs/check_site.py docs/_build/html   # offline (no external script/style/font), links resolve

# The GPU check (issue 18; benchmarks/README.md, "GPU check"). gpu-wheels, here: the wheels
# the bare GPU machine lacks, for its Python; gpu-check, there (or here: "no GPU").
GPU_WHEELS_DIR ?= build/gpu-wheels
GPU_PYVER      ?= 3.12
GPU_WHEELS     ?= array-api-compat tslearn pysdtw dtaidistance pyts platformdirs
GPU_PLATFORMS  := $(foreach n,28 27 17,--platform manylinux_2_$(n)_x86_64) \
                  --platform manylinux2014_x86_64 --platform manylinux1_x86_64

gpu-wheels:
	rm -rf $(GPU_WHEELS_DIR)
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: --implementation cp \
	    --python-version $(GPU_PYVER) $(GPU_PLATFORMS) -d $(GPU_WHEELS_DIR) $(GPU_WHEELS)
	$(PYTHON) -m pip wheel --quiet --no-deps -w $(GPU_WHEELS_DIR) .
	@ls $(GPU_WHEELS_DIR); du -sh $(GPU_WHEELS_DIR)

# the venv's Python where there is one (here), else python3 (the GPU machine's torch Python)
GPU_PYTHON ?= $(if $(wildcard $(PY)),$(PY),$(PYTHON))

gpu-check:
	$(GPU_PYTHON) benchmarks/gpu/check.py --wheels $(GPU_WHEELS_DIR)

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/generated
