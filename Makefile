# One way to run everything: the README, CI and developers all use these targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test lint typecheck pytest bench clean help

help:
	@echo "make demo   - install, initialise servanda.db, load examples/metro-isp, serve the API"
	@echo "make test   - install with dev extras, then ruff, mypy and pytest (SQLite, and PostgreSQL when reachable)"
	@echo "make bench  - run the benchmarks in bench/ and print their figures"
	@echo "make lint   - ruff and mypy only"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Servanda needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# PDF reports (WeasyPrint) need Pango; install it from Debian's packages when it is missing.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1
$(VENV)/.system-deps: | $(BIN)/python
	@if ! ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so'; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get install -y -qq $(PDF_LIBS) >/dev/null || { apt-get update -qq && apt-get install -y -qq $(PDF_LIBS); }; \
	  else echo "note: PDF reports need Pango ($(PDF_LIBS)); install it to render PDF"; fi; \
	fi
	@touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/python $(VENV)/.system-deps
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python $(VENV)/.system-deps
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/servanda demo --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

typecheck: lint

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest

test: lint pytest

bench: $(VENV)/.installed-dev
	@set -e; for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
