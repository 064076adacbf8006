# Ischia: the two quick-start commands are `make demo` and `make test`.
# The newest CPython 3.11+ on the machine (.ci/python): from 3.12, coverage measures lines
# through sys.monitoring at a fraction of 3.11's tracing cost (bench/RESULTS.md, issue 13).
PYTHON ?= $(shell .ci/python)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
# Debian packages, installed when missing. The demo needs only the fonts its briefings use for
# Arabic and Japanese names; the tests also need Chromium and poppler-utils, which reads
# briefings back (pdftotext, pdftoppm).
DEMO_PACKAGES := fonts-noto-core fonts-noto-cjk
DEBIAN_PACKAGES := chromium $(DEMO_PACKAGES) poppler-utils

VENDOR := portal/static/vendor
VENDOR_STAMP := $(VENDOR)/node_modules/.package-lock.json

.PHONY: demo test test-fast lint translations system-packages demo-packages clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Browser libraries (Cytoscape.js) from the npm registry, served by the portal itself.
$(VENDOR_STAMP): $(VENDOR)/package.json $(VENDOR)/package-lock.json
	npm ci --prefix $(VENDOR) --ignore-scripts --no-audit --no-fund --loglevel=error

## demo: install, migrate, seed the demo data and serve on http://127.0.0.1:$(PORT) (PORT=5000)
demo: $(STAMP) $(VENDOR_STAMP) demo-packages
	$(FLASK) db upgrade
	ISCHIA_DEMO=1 $(FLASK) seed-demo
	@ISCHIA_DEMO=1 $(FLASK) demo logins
	@echo "Second-factor codes: shown on the sign-in page in demo mode, or"
	@echo "  ISCHIA_DEMO=1 $(FLASK) demo totp EMAIL"
	@echo "Serving Ischia on http://127.0.0.1:$(PORT) (Ctrl-C to stop)"
	ISCHIA_DEMO=1 $(FLASK) run --host 127.0.0.1 --port $(PORT)

## demo-packages: the fonts briefings use, from Debian, when they are missing
demo-packages:
	@$(MAKE) --no-print-directory system-packages DEBIAN_PACKAGES="$(DEMO_PACKAGES)"

## system-packages: Chromium and fonts from Debian, when they are missing
system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "Missing Debian packages:$$missing (install them as root)"; exit 1; fi; \
	  echo "Installing Debian packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

## test: install everything the suite needs, then run all of it (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), with line coverage
test: $(STAMP) $(VENDOR_STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	COVERAGE_CORE=$$($(BIN)/python -c 'import sys; print("sysmon" if sys.version_info >= (3, 12) else "ctrace")') \
	  $(BIN)/pytest -n auto --dist loadscope --durations=25 --cov=portal --cov=crypto --cov=graph --cov-report=term:skip-covered

## test-fast: the suite without the browser tests
test-fast: $(STAMP) $(VENDOR_STAMP)
	$(BIN)/pytest -n auto --dist loadscope -m "not e2e"

## translations: add newly marked messages to the five catalogues (portal/translations) and drop unused ones
translations: $(STAMP)
	$(FLASK) translations update

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

clean:
	rm -rf $(VENV) $(VENDOR)/node_modules .pytest_cache .ruff_cache .mypy_cache .hypothesis
