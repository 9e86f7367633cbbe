# Tacit's single entry point. `make run` serves the product; `make test` runs the checks.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install browser clean-data

# The virtualenv is (re)built when pyproject.toml changes. torch comes first, pinned to
# the CPU wheel, so sentence-transformers does not pull a CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	./scripts/run.sh

# Debian's Chromium drives the browser tests; installed once when missing (root only).
browser:
	./scripts/ensure_chromium.sh

lint: install
	$(BIN)/ruff check .

test: install browser
	./scripts/test.sh

clean-data:
	./scripts/stop_db.sh
	rm -rf var
