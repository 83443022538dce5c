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

# End-to-end tests and bench/bench_alertmanager.py run the real Prometheus Alertmanager: install
# Debian's package when its binary is missing. Only the binary is used, on ports the tests pick:
# no service is started (policy-rc.d answers 101 during the install), and one started anyway is
# stopped and disabled. Without root or apt-get those tests are skipped, with a note here.
ALERTMANAGER := /usr/bin/prometheus-alertmanager
$(VENV)/.alertmanager: | $(BIN)/python
	@if [ ! -x $(ALERTMANAGER) ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    policy=; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy=1; fi; \
	    install='apt-get install -y -qq --no-install-recommends prometheus-alertmanager'; \
	    DEBIAN_FRONTEND=noninteractive $$install >/dev/null 2>&1 \
	      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$install >/dev/null; }; \
	    [ -z "$$policy" ] || rm -f /usr/sbin/policy-rc.d; \
	    if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus-alertmanager 2>/dev/null; then \
	      systemctl stop prometheus-alertmanager; systemctl disable --quiet prometheus-alertmanager; \
	    elif [ -x /etc/init.d/prometheus-alertmanager ] && /etc/init.d/prometheus-alertmanager status >/dev/null 2>&1; then \
	      /etc/init.d/prometheus-alertmanager stop >/dev/null; fi; \
	  fi; \
	fi; \
	if [ -x $(ALERTMANAGER) ]; then touch $@; \
	else echo "note: the Alertmanager tests and benchmark need $(ALERTMANAGER) (Debian package prometheus-alertmanager, installed by make as root); they are skipped"; fi

# The export of burn-rate rules is checked by Prometheus' own promtool: install Debian's
# prometheus package (for promtool only; no service is started) when it is missing.
PROMTOOL := /usr/bin/promtool
$(VENV)/.promtool: | $(BIN)/python
	@if [ ! -x $(PROMTOOL) ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    policy=; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy=1; fi; \
	    install='apt-get install -y -qq --no-install-recommends prometheus'; \
	    DEBIAN_FRONTEND=noninteractive $$install >/dev/null 2>&1 \
	      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$install >/dev/null; }; \
	    [ -z "$$policy" ] || rm -f /usr/sbin/policy-rc.d; \
	    if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then \
	      systemctl stop prometheus; systemctl disable --quiet prometheus; fi; \
	  fi; \
	fi; \
	if [ -x $(PROMTOOL) ]; then touch $@; \
	else echo "note: the rules export test needs $(PROMTOOL) (Debian package prometheus, installed by make as root); it is skipped"; fi

# The RADIUS accounting tests send packets with FreeRADIUS' own client: install Debian's
# freeradius-utils when radclient is missing (the client tools only; no server is installed or
# started, and policy-rc.d answers 101 during the install). Without root or apt-get those tests
# are skipped, with a note here.
RADCLIENT := /usr/bin/radclient
$(VENV)/.radclient: | $(BIN)/python
	@if [ ! -x $(RADCLIENT) ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    policy=; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy=1; fi; \
	    install='apt-get install -y -qq --no-install-recommends freeradius-utils'; \
	    DEBIAN_FRONTEND=noninteractive $$install >/dev/null 2>&1 \
	      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$install >/dev/null; }; \
	    [ -z "$$policy" ] || rm -f /usr/sbin/policy-rc.d; \
	  fi; \
	fi; \
	if [ -x $(RADCLIENT) ]; then touch $@; \
	else echo "note: the RADIUS accounting tests need $(RADCLIENT) (Debian package freeradius-utils, installed by make as root); they are skipped"; fi

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

# The browser tests drive Debian's Chromium with Playwright (its Python package, without the
# browsers Playwright would download): install the package chromium when it is missing.
CHROMIUM := /usr/bin/chromium
$(VENV)/.chromium: | $(BIN)/python
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    install='apt-get install -y -qq --no-install-recommends chromium'; \
	    DEBIAN_FRONTEND=noninteractive $$install >/dev/null 2>&1 \
	      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$install >/dev/null; }; \
	  fi; \
	fi; \
	if [ -x $(CHROMIUM) ]; then touch $@; \
	else echo "note: the browser tests need $(CHROMIUM) (Debian package chromium, installed by make as root); they are skipped"; fi

# The browser tests check the pages' accessibility with axe-core, from the npm registry, into
# the virtual environment (nothing is installed globally).
$(VENV)/.axe: | $(BIN)/python
	@if command -v npm >/dev/null; then \
	  npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@4 >/dev/null && touch $@; \
	else echo "note: the accessibility checks need npm (axe-core); they are skipped"; fi

pytest: $(VENV)/.installed-dev $(VENV)/.alertmanager $(VENV)/.promtool $(VENV)/.radclient $(VENV)/.chromium $(VENV)/.axe
	$(BIN)/pytest

test: lint pytest

bench: $(VENV)/.installed-dev $(VENV)/.alertmanager $(VENV)/.radclient
	@set -e; for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
