# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= cdisc-map-out

.PHONY: run test lint wheel clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/cdisc-map run --out $(OUT)

wheel: $(VENV)/.installed
	$(BIN)/python -m build --outdir dist

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q -n auto  # one worker per core (pytest-xdist)

lint: $(VENV)/.installed
	$(BIN)/ruff check cdisc_map define_xml tests fixtures

clean:
	rm -rf $(OUT) $(VENV) *.egg-info build dist .hypothesis
