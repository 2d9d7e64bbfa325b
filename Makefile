# Marmots: `make demo` and `make test` do all the set-up on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP_QUIET := --quiet --disable-pip-version-check --no-warn-script-location
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: demo test lint format migrate demo-data serve clean lock

$(VENV)/.installed: requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -m pip install $(PIP_QUIET) --require-hashes -r requirements.lock 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c 'import django, weasyprint, eopayment, pytest, playwright' || (echo "dependency install failed" && exit 1)
	touch $@

demo: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The opening-rush benchmark on PostgreSQL (benchmarks/README.md); RUSH_ARGS="--families 200".
RUSH_ARGS ?=
.PHONY: rush
rush: $(VENV)/.installed
	$(PY) benchmarks/rush.py $(RUSH_ARGS)

# The invoicing benchmark on PostgreSQL (benchmarks/README.md); INVOICING_ARGS="--children 500".
INVOICING_ARGS ?=
.PHONY: invoicing-bench
invoicing-bench: $(VENV)/.installed
	$(PY) benchmarks/invoicing.py $(INVOICING_ARGS)

# The places benchmark on PostgreSQL (benchmarks/README.md); PLACES_ARGS="--families 300".
PLACES_ARGS ?=
.PHONY: places-bench
places-bench: $(VENV)/.installed
	$(PY) benchmarks/places.py $(PLACES_ARGS)

# Re-pin the dependencies after changing pyproject.toml.
lock: $(VENV)/.installed
	$(PY) -m pip install $(PIP_QUIET) pip-tools
	$(VENV)/bin/pip-compile --quiet --extra test --generate-hashes --strip-extras \
		-o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) var/
