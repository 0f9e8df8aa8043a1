# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SEED_COUNT ?= 500
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# The suite runs on this many pytest-xdist workers, each taking a whole test file at a time
# (the page tests share a browser per file); PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

.PHONY: run test install install-dev browser node-clients lint typecheck bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The provider SDKs are an optional extra of the package; the product installs them so
# that setting a key is all it takes to use a hosted engine.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[providers]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# The page tests drive Debian's chromium through Playwright; it is installed from Debian's
# packages when this runs as root (CI), never downloaded by Playwright.
browser:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the page tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "Install Debian's chromium (apt-get install chromium) to run the page tests."; \
		fi; }

# The source system's socket.io client for tests/test_socketio.py, from npm at the versions
# in tests/node/package-lock.json, when Node is present (the test skips without it, and
# fails under DREAMS_REQUIRE_SERVICES).
node-clients: tests/node/node_modules/.package-lock.json

tests/node/node_modules/.package-lock.json: tests/node/package.json tests/node/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/node --no-audit --no-fund --loglevel=error; \
	else \
		echo "Node is not installed: the Node client test will be skipped (apt-get install nodejs npm)."; \
	fi

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev node-clients

.env:
	cp .env.example .env

run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_moments --if-empty --count $(SEED_COUNT)
	$(BIN)/python manage.py ensure_admin
	@if grep -qiE '^[[:space:]]*DEBUG[[:space:]]*=[[:space:]]*"?(true|on|yes|1)' .env; then \
		echo "Note: .env turns DEBUG on, which shows Django's debug pages to anyone who reaches the server. Set DEBUG=false there unless you are working on Dreams itself."; \
	fi
	@echo "Dreams is at http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .

# mypy with the Django and DRF plugins ([tool.mypy] in pyproject.toml).
typecheck: install-dev
	$(BIN)/mypy dreamsite dreams engines setup_wizard

# The suite on SQLite, then again on PostgreSQL. The PostgreSQL pass is required when
# DREAMS_REQUIRE_SERVICES is set (CI sets it) and skipped with a note otherwise.
test: install-dev browser
	$(BIN)/ruff check .
	$(BIN)/mypy dreamsite dreams engines setup_wizard
	$(PYTEST) $(PYTEST_ARGS)
	@if [ -n "$$DREAMS_REQUIRE_SERVICES" ] || $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_TEST_URL)', connect_timeout=2).close()" 2>/dev/null; then \
		echo "== The suite again on PostgreSQL"; \
		DATABASE_URL=$(PG_TEST_URL) $(PYTEST) $(PYTEST_ARGS); \
	else \
		echo "PostgreSQL is not reachable at $(PG_TEST_URL): its pass was skipped (DREAMS_REQUIRE_SERVICES=1 makes it required)."; \
	fi

bench: install
	$(BIN)/python manage.py bench_sigils

# The versions the suite passed with (every installed package but the project itself),
# which `make run` and `make test` install: after upgrading a dependency in .venv and
# running `make test`, record them here.
lock: install-dev
	{ echo "# pip freeze of .venv after make test passed; regenerate with make lock."; \
	  $(BIN)/pip freeze --exclude-editable | grep -viE '^dreams( |=|@)'; } > constraints.txt

clean:
	rm -rf $(VENV) var/static
