# OrderHub: set-up, run, test, lint and translations.
#
#   make run           set everything up (Debian packages, .venv, translations, database, demo data)
#                      and run web + worker + scheduler in the foreground; Ctrl-C stops them all
#   make test          the same set-up, then the test suite (JUnit XML under test-reports/)
#   make lint          ruff and import-linter
#   make translations  extract messages, update the catalogs, compile them
#
# DATABASE_URL, REDIS_URL, PORT and the other settings come from the environment (see README.md).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Rebuilt whenever pyproject.toml changes, and with the venv: dependencies are installed only then.
INSTALL_STAMP := $(VENV)/.orderhub-installed

# Debian packages a fresh machine may lack. Checked with dpkg -s on every run (fast), installed only
# when one is missing. WeasyPrint (PDF invoices) needs pango and a CJK font; the browser tests drive
# Debian's Chromium through Playwright (which never downloads a browser of its own).
SYSTEM_PACKAGES ?= python3 python3-venv fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

TRANSLATIONS_DIR := app/translations
POT_FILE := $(TRANSLATIONS_DIR)/messages.pot
LANGUAGES ?= en
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k N_
PROJECT_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
PO_FILES := $(wildcard $(TRANSLATIONS_DIR)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

FLASK := $(BIN)/flask --app wsgi
JUNIT_XML ?= test-reports/junit.xml
PYTEST_ARGS ?=

.PHONY: help setup system-deps venv compile-translations translations run test lint clean

help:
	@sed -n '3,10p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

## ---- set-up ------------------------------------------------------------------------------------

setup: system-deps venv compile-translations

system-deps:
	@if ! command -v dpkg >/dev/null 2>&1; then \
	  echo "system-deps: no dpkg here; make sure these (or their equivalents) are installed: $(SYSTEM_PACKAGES)"; \
	  exit 0; \
	fi; \
	missing=""; \
	for package in $(SYSTEM_PACKAGES); do \
	  dpkg -s "$$package" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: $(INSTALL_STAMP)

$(BIN)/python: | system-deps
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "OrderHub needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

$(INSTALL_STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing OrderHub and its dependencies into $(VENV) ..."
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

## ---- translations --------------------------------------------------------------------------------

# The compiled catalogs (.mo) are build outputs, not committed: rebuilt when their .po changes.
compile-translations: $(MO_FILES)

%.mo: %.po | $(INSTALL_STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Message ids are the Chinese texts (zh_Hans_CN needs no catalog); every other language gets one.
translations: $(INSTALL_STAMP)
	@mkdir -p $(TRANSLATIONS_DIR)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --ignore-dirs '.* __pycache__' \
	  --add-location file --width 120 --project OrderHub --version '$(PROJECT_VERSION)' --copyright-holder OrderHub -o $(POT_FILE) .
	@for language in $(LANGUAGES); do \
	  $(BIN)/pybabel update --init-missing --no-fuzzy-matching --width 120 \
	    -i $(POT_FILE) -d $(TRANSLATIONS_DIR) -l $$language || exit 1; \
	done
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS_DIR)

## ---- run, test, lint ------------------------------------------------------------------------------

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	exec $(FLASK) run-all

test: setup
	@mkdir -p $(dir $(JUNIT_XML))
	$(BIN)/pytest --junitxml=$(JUNIT_XML) $(PYTEST_ARGS)

# Both checks run even when the first fails, so one run shows every problem.
lint: $(INSTALL_STAMP)
	@status=0; \
	echo "$(BIN)/ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "$(BIN)/lint-imports"; $(BIN)/lint-imports || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) test-reports .pytest_cache .ruff_cache .import_linter_cache *.egg-info $(MO_FILES)
