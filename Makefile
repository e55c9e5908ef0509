# The registry's everyday commands. `make help` lists them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app registry
HOST ?= 127.0.0.1
PORT ?= 5000
# uv installs every Python package from uv.lock, checking each file's hash. It is itself
# pinned (with hashes) in tools/uv-requirements.txt and kept in .tools/, apart from .venv.
TOOLS := .tools
UV := $(TOOLS)/bin/uv
# Never download a Python: use the machine's python3 (3.11 or later).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help run test lint format upgrade assets db seed install production system system-test clean screenshots

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

system:  ## Install the Debian packages `make run` needs (or say which to install, if not root)
	@tools/system-packages run

system-test:
	@tools/system-packages test

$(UV): tools/uv-requirements.txt
	@test -x $(TOOLS)/bin/pip || python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r tools/uv-requirements.txt
	@touch $@

# --compile-bytecode: a server's first PDF check (a fresh interpreter that imports pyHanko)
# would otherwise spend its time limit compiling, and refuse a genuine file.
$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --compile-bytecode --python python3
	@touch $@

install: system $(VENV)/.installed  ## Create .venv from uv.lock, with the test and lint tools

production: system $(UV) node_modules/.package-lock.json  ## For a server: .venv from uv.lock without the test and lint tools, and the assets
	$(UV) sync --locked --no-dev --compile-bytecode --python python3
	@rm -f $(VENV)/.installed
	$(PY) tools/build_assets.py

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

# The demo's development certificates name where their CA is published: this server.
run seed: export REGISTRY_URL ?= http://$(HOST):$(PORT)

run: assets seed  ## Set everything up, then serve on http://127.0.0.1:5000 with the demo logins
	@echo
	@REGISTRY_DEMO=1 $(FLASK) demo-logins
	@echo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	REGISTRY_DEMO=1 $(FLASK) run --host $(HOST) --port $(PORT)

test: system-test assets  ## Run the whole test suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

screenshots: system-test assets  ## Retake the README's screenshots (docs/screenshots/) from the demo data
	$(PY) tools/screenshots.py

LINTED := registry tests tools benchmarks migrations wsgi.py

lint: install  ## Ruff (rules and formatting) and mypy, as CI runs them
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy

format: install  ## Format the code and apply ruff's safe fixes
	$(VENV)/bin/ruff format $(LINTED)
	$(VENV)/bin/ruff check --fix $(LINTED)

upgrade: $(UV)  ## Move uv.lock to the newest releases pyproject.toml allows, then run the suite
	$(UV) lock --upgrade --python python3
	$(UV) sync --locked --compile-bytecode --python python3
	@touch $(VENV)/.installed
	$(MAKE) test
	@echo
	@echo "The suite passed on the upgraded lock. Review 'git diff --stat uv.lock' and commit it on its own."

clean:  ## Remove the virtualenvs, node_modules and copied assets (not instance/)
	rm -rf $(VENV) $(TOOLS) node_modules registry/static/govuk registry/static/autocomplete
