# Two commands matter: `make run` (the demo on the embedded default) and `make test`.
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
# The test suite talks to real services; these are the local defaults (see README).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/vsm
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

# The websocket implementation measured cheapest per delivered frame (BENCHMARKS.md), and the
# hard frame limit the board socket documents (docs/realtime.md).
UVICORN_WS := --ws websockets-sansio --ws-max-size 1048576
# Forwarded headers are believed only from these reverse proxies (none unless set; README).
VSM_TRUSTED_PROXIES ?=
UVICORN_PROXY := --forwarded-allow-ips "$(VSM_TRUSTED_PROXIES)"

.PHONY: install run run-full worker beat test lint typecheck format bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (sign in as facilitator / demo-workshop)"
	$(VENV)/bin/uvicorn vsm_site.asgi:application --host 127.0.0.1 --port $(PORT) --lifespan off $(UVICORN_WS) $(UVICORN_PROXY)

# The full stack on local services: PostgreSQL, Redis, the ASGI server, a worker and beat.
run-full: install
	@test -n "$(DATABASE_URL)" -a -n "$(REDIS_URL)" || (echo "set DATABASE_URL and REDIS_URL"; exit 2)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(VENV)/bin/celery -A vsm_site worker --loglevel=INFO --concurrency=2 & \
	$(VENV)/bin/celery -A vsm_site beat --loglevel=INFO & \
	trap 'kill 0' INT TERM EXIT; \
	$(VENV)/bin/uvicorn vsm_site.asgi:application --host 127.0.0.1 --port $(PORT) --workers 2 $(UVICORN_WS) $(UVICORN_PROXY)

# The browser modules' pure parts under node's test runner, then the whole pytest suite.
test: install
	node --test tests/js/
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with django-stubs and djangorestframework-stubs over the app packages (pyproject.toml,
# [tool.mypy]); tests/test_typecheck.py proves it refuses an id where a model is expected.
typecheck: install
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The benchmarks on the local services (see BENCHMARKS.md): a fresh bench database, the real
# stack and load-generator processes; prints a table and writes bench/results.json (~6 min).
# BENCH_ARGS="--profile" adds py-spy profiles (artifacts/bench/); "--quick" one short window.
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles .pytest_cache
