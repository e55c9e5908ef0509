# The registry's everyday commands. `make help` lists them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app registry
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: help run test lint assets db seed install clean screenshots

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@test -d $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed  ## Create .venv and install the project with its test tools

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

ASSETS := registry/static/govuk/govuk-frontend.min.css \
          registry/static/autocomplete/accessible-autocomplete.min.js

$(ASSETS) &: node_modules/.package-lock.json tools/build_assets.py
	$(PY) tools/build_assets.py

assets: install $(ASSETS)  ## Fetch GOV.UK Frontend and accessible-autocomplete (pinned) and copy their compiled assets

db: install  ## Upgrade the database to the latest migration
	$(FLASK) db upgrade

seed: db  ## Load the demo partnership if the database is empty
	$(FLASK) seed-demo --if-empty

run: assets seed  ## Set everything up, then serve on http://127.0.0.1:5000 with the demo logins
	@echo
	@REGISTRY_DEMO=1 $(FLASK) demo-logins
	@echo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	REGISTRY_DEMO=1 $(FLASK) run --host $(HOST) --port $(PORT)

test: assets  ## Run the whole test suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

screenshots: assets  ## Retake the README's screenshots (docs/screenshots/) from the demo data
	$(PY) tools/screenshots.py

lint: install  ## Ruff and mypy
	$(VENV)/bin/ruff check registry tests tools benchmarks
	$(VENV)/bin/mypy

clean:  ## Remove the virtualenv, node_modules and copied assets (not instance/)
	rm -rf $(VENV) node_modules registry/static/govuk registry/static/autocomplete
