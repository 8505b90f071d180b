# Tasdeeq: `make run` serves the API on its embedded default; `make test` runs the whole suite.
# Both go through `make setup`, which is idempotent: it (re)creates .venv only when pyproject changes.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DATA_DIR ?= $(CURDIR)/var

# What the test suite talks to (the machine's own services on loopback).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: setup run test lint typecheck bench specimens system-packages clean

$(BIN)/.installed: pyproject.toml clients/python/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# The Python client package (tasdeeq-client) lives in the repository; its tests run in the suite.
	$(BIN)/python -m pip install --quiet -e clients/python
	@touch $@

# Debian packages the suite needs (fonts to render specimen documents; chromium for the reviewer
# console's browser test); installed only when missing.
system-packages:
	@missing=""; \
	for pkg in fonts-ocr-b fonts-dejavu-core chromium; do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

setup: $(BIN)/.installed
	@mkdir -p "$(DATA_DIR)"
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0

# The API under gunicorn and a real Celery worker on kombu's filesystem broker; Ctrl-C (or a
# SIGTERM to make) stops both. `set -m` puts each in its own process group, so the stop reaches
# celery's pool and beat children and gunicorn's workers too: TERM to both groups, then, past
# STOP_TIMEOUT seconds, KILL to whatever is left; further signals are ignored meanwhile so a second
# Ctrl-C or TERM cannot cut the stop short and orphan them.
STOP_TIMEOUT ?= 20
run: setup
	@echo "Tasdeeq on http://127.0.0.1:$(PORT)  (data in $(DATA_DIR); Ctrl-C to stop)"
	@set -m; groups=""; \
	stop() { \
	  trap '' INT TERM; trap - EXIT; \
	  for g in $$groups; do kill -TERM -- -$$g 2>/dev/null; done; \
	  for _ in $$(seq $$(( $(STOP_TIMEOUT) * 10 ))); do \
	    alive=""; for g in $$groups; do kill -0 -- -$$g 2>/dev/null && alive=1; done; \
	    [ -z "$$alive" ] && break; sleep 0.1; \
	  done; \
	  for g in $$groups; do kill -KILL -- -$$g 2>/dev/null; done; \
	  wait; \
	}; \
	trap 'stop; exit 143' TERM; trap 'stop; exit 130' INT; trap stop EXIT; \
	$(BIN)/celery -A config worker --beat --schedule "$(DATA_DIR)/celerybeat-schedule" --concurrency 1 \
	  --loglevel INFO --without-gossip --without-mingle & groups="$$groups $$!"; \
	$(BIN)/gunicorn config.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --timeout 60 --access-logfile - \
	  --logger-class config.gunicorn_logging.ScrubbingLogger & groups="$$groups $$!"; \
	wait -n

test: setup system-packages
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(BIN)/pytest -q

# A specimen passport and selfie for the README's walk-through (invented data).
specimens: $(BIN)/.installed system-packages
	$(BIN)/python -m tests.specimens "$(DATA_DIR)/specimens"

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy .

bench: setup system-packages
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
