# mojo — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

GUNICORN_WORKERS ?= 4
GUNICORN_TIMEOUT ?= 30
PROMETHEUS_MULTIPROC_DIR ?= $(CURDIR)/.prometheus
PORT ?= 8000

.PHONY: help venv install lint typecheck test schemathesis-long demo serve worker beat bench load ensure-redis ensure-browser vendor clean

help:
	@echo "make demo   - offline demo: venv, install, migrate, demo data, sandbox, serve on 127.0.0.1:8000"
	@echo "make test   - venv, install, lint (ruff), type-check (mypy), the whole pytest suite"
	@echo "make serve  - gunicorn with production settings (see README for env vars)"
	@echo "make worker - a Celery worker for the refresh (DJANGO_SETTINGS_MODULE, default local settings)"
	@echo "make beat   - Celery beat: the refresh schedules (django-celery-beat rows, edited in the admin)"
	@echo "make bench  - side-by-side benchmarks (bench/)"
	@echo "make schemathesis-long - the suite's schemathesis run against a live server, 20x longer"
	@echo "make load   - locust load test against make serve (not in CI)"
	@echo "make vendor - fetch the vendored charting library again from npm (needs npm)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "mojo needs Python 3.11+"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

venv install: $(STAMP)

# Installs Debian's redis-server when it is missing and we may (root with apt-get);
# otherwise prints how to install it. The demo then falls back to a local-memory cache.
ensure-redis:
	@command -v redis-server >/dev/null 2>&1 || test -x /usr/bin/redis-server || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$${MOJO_NO_APT:-0}" != 1 ]; then \
	    echo "Installing redis-server (apt-get)..."; \
	    (apt-get install -y -q redis-server >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q redis-server >/dev/null 2>&1)) || \
	    echo "Could not install redis-server; install it with: sudo apt-get install redis-server"; \
	  else \
	    echo "redis-server not found; install it with: sudo apt-get install redis-server (or brew install redis)"; \
	  fi; }

# The browser tests drive Debian's chromium through chromium-driver: installed when missing and
# we may (root with apt-get, unless MOJO_NO_APT=1); otherwise prints how. Without them the
# browser tests skip, or fail under MOJO_REQUIRE_BROWSER=1 (CI).
ensure-browser:
	@{ test -x /usr/bin/chromium && test -x /usr/bin/chromedriver; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$${MOJO_NO_APT:-0}" != 1 ]; then \
	    echo "Installing chromium and chromium-driver (apt-get)..."; \
	    (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1)) || \
	    echo "Could not install chromium; install it with: sudo apt-get install chromium chromium-driver"; \
	  else \
	    echo "chromium or chromedriver not found; install them with: sudo apt-get install chromium chromium-driver"; \
	  fi; }

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

test: $(STAMP) ensure-redis ensure-browser lint typecheck
	$(VENV)/bin/pytest -n 2 --dist loadgroup

# The suite's schemathesis run (tests/reliability/test_schemathesis.py), with 20x the examples.
schemathesis-long: $(STAMP) ensure-redis
	SCHEMATHESIS_MAX_EXAMPLES=500 $(VENV)/bin/pytest -p no:xdist --timeout 7200 \
	  tests/reliability/test_schemathesis.py

demo: $(STAMP) ensure-redis
	$(PY) manage.py demo --port $(PORT)

# gunicorn runs in the background of one shell that forwards SIGINT/SIGTERM to it, waits
# for its graceful stop and always removes the metrics directory (a stale one would
# resurrect dead workers' counters), whether the signal reaches the group or make alone.
serve: $(STAMP)
	rm -rf "$(PROMETHEUS_MULTIPROC_DIR)" && mkdir -p "$(PROMETHEUS_MULTIPROC_DIR)"
	DJANGO_SETTINGS_MODULE=mojo.settings.production $(PY) manage.py collectstatic --noinput -v 0
	DJANGO_SETTINGS_MODULE=mojo.settings.production $(PY) manage.py migrate --noinput -v 0
	trap 'rm -rf "$(PROMETHEUS_MULTIPROC_DIR)"' EXIT; \
	PROMETHEUS_MULTIPROC_DIR="$(PROMETHEUS_MULTIPROC_DIR)" DJANGO_SETTINGS_MODULE=mojo.settings.production \
	  $(VENV)/bin/gunicorn mojo.wsgi:application -c mojo/gunicorn_conf.py \
	  --bind $${BIND:-127.0.0.1:$(PORT)} --workers $(GUNICORN_WORKERS) --timeout $(GUNICORN_TIMEOUT) & \
	pid=$$!; trap 'kill -TERM $$pid 2>/dev/null' INT TERM; \
	wait $$pid; status=$$?; \
	while kill -0 $$pid 2>/dev/null; do wait $$pid; status=$$?; done; exit $$status

# The refresh's workers and schedules; several hosts may each run `make worker`.
CELERY_SETTINGS ?= mojo.settings.local
worker: $(STAMP)
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-$(CELERY_SETTINGS)} \
	  $(VENV)/bin/celery -A mojo worker -l INFO $${CELERY_WORKER_ARGS:-}

beat: $(STAMP)
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-$(CELERY_SETTINGS)} \
	  $(VENV)/bin/celery -A mojo beat -S django -l INFO

bench: $(STAMP) ensure-redis
	$(PY) bench/run_all.py

load: $(STAMP)
	$(PIP) install -q -e '.[load]'
	$(PY) bench/load.py

# The admin's charting library, vendored (installing mojo needs no Node): fetched again from npm.
LIGHTWEIGHT_CHARTS_VERSION := 5.2.1
LIGHTWEIGHT_CHARTS_DIR := watchlist/static/watchlist/vendor/lightweight-charts
vendor:
	rm -rf .vendor && mkdir -p .vendor
	cd .vendor && npm pack --silent lightweight-charts@$(LIGHTWEIGHT_CHARTS_VERSION) >/dev/null
	tar -xzf .vendor/lightweight-charts-$(LIGHTWEIGHT_CHARTS_VERSION).tgz -C .vendor
	cp .vendor/package/dist/lightweight-charts.standalone.production.js .vendor/package/LICENSE \
	  $(LIGHTWEIGHT_CHARTS_DIR)/
	rm -rf .vendor
	@echo "lightweight-charts $(LIGHTWEIGHT_CHARTS_VERSION) vendored in $(LIGHTWEIGHT_CHARTS_DIR) (NOTICE is kept)"

clean:
	rm -rf $(VENV) staticfiles .prometheus .demo db.sqlite3
