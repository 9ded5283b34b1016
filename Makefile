# Two commands on a fresh machine with Python 3.11:
#   make demo   set everything up, run the flagship example
#   make test   set everything up, run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SCENARIOS := .cache/pynn-scenarios/scenarios/__init__.py
OUT ?= outputs

.PHONY: demo test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# reinstall (and rebuild the Cython extension) whenever the build inputs change
$(STAMP): $(PY) pyproject.toml setup.py $(wildcard cython_core/*.pyx cython_core/*.h)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

$(SCENARIOS): | $(STAMP)
	$(PY) tools/fetch_pynn_scenarios.py

demo: $(STAMP)
	$(PY) examples/balanced_network.py --out $(OUT)

test: $(STAMP) $(SCENARIOS)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf build .cache $(OUT) $(VENV) *.egg-info
	find . -name '*.so' -path './cython_core/*' -delete
