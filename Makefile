# Two commands on a fresh machine with Python 3.11:
#   make demo   set everything up, run the flagship example
#   make test   set everything up, run the whole test suite
#   make docs   the documentation (Sphinx, warnings as errors) into build/docs/html
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SCENARIOS := .cache/pynn-scenarios/scenarios/__init__.py
EXAMPLES := .cache/pynn-examples/examples/.pynn-version
OUT ?= outputs

.PHONY: demo test bench docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# reinstall (and rebuild the Cython extension) whenever the build inputs change
$(STAMP): $(PY) pyproject.toml setup.py $(wildcard cython_core/*.pyx cython_core/*.h)
	$(PY) -m pip install --quiet -e ".[test,docs]"
	touch $@

$(SCENARIOS): | $(STAMP)
	$(PY) tools/fetch_pynn_scenarios.py

$(EXAMPLES): | $(STAMP)
	$(PY) tools/fetch_pynn_examples.py

demo: $(STAMP)
	$(PY) examples/balanced_network.py --out $(OUT)

test: $(STAMP) $(SCENARIOS) $(EXAMPLES)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/run.py $(BENCH_ARGS)

docs: $(STAMP)
	$(PY) docs/build_gallery.py --out build/docs/gallery
	$(PY) -m sphinx -W --keep-going -q -b html docs build/docs/html

clean:
	rm -rf build .cache $(OUT) $(VENV) *.egg-info
	find . -name '*.so' -path './cython_core/*' -delete
