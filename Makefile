# Musanada: `make run` sets up and serves the product; `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MUSANADA_DATA_DIR ?= $(CURDIR)/var

LOCK := requirements.lock
# The hash of what the lock is compiled from (pyproject.toml's Python range, dependencies and test extra),
# written in the lock's first line by `make lock` and compared by `make test`.
DEPS_HASH = $(PYTHON) -c 'import hashlib, json, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	print(hashlib.sha256(json.dumps([p["requires-python"], p["dependencies"], p["optional-dependencies"]["test"]]).encode()).hexdigest())'

.PHONY: run test lint setup demo clean lock check-lock

# Every dependency, direct and transitive, at the version and with the hashes of the lock; then the project alone.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	@$(MAKE) --no-print-directory check-lock || echo "(installed from the old lock meanwhile)" >&2
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	DEBUG=1 $(BIN)/musanada migrate --noinput -v0
	DEBUG=1 $(BIN)/musanada demo

run: demo
	DEBUG=1 $(BIN)/musanada runserver 127.0.0.1:8000

# On SQLite always; on PostgreSQL too when DATABASE_URL points at one.
test: check-lock $(STAMP)
	SECRET_KEY=test-only-not-secret $(BIN)/ruff check musanada tests
	$(BIN)/ruff format --check musanada tests
	@# Type checking of the packages listed in pyproject.toml ([tool.mypy] files); it imports the settings.
	SECRET_KEY=test-only-not-secret $(BIN)/mypy
	@# A SQLite file, as in production (WAL, writers wait for each other), rather than an in-memory database,
	@# whose shared cache makes threads (live server, jobs worker) fail with "table is locked".
	SECRET_KEY=test-only-not-secret DATABASE_URL= SQLITE_TEST_NAME=$(MUSANADA_DATA_DIR)/test.sqlite3 \
		$(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$DATABASE_URL"; \
		SECRET_KEY=test-only-not-secret $(BIN)/pytest $(PYTEST_ARGS); \
	fi

# Recompile the lock after a change to pyproject.toml's dependencies; versions already in the lock are kept
# where they still fit (`make lock LOCK_ARGS=--upgrade` moves everything to the newest allowed).
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command 'make lock' --quiet $(LOCK_ARGS) -o $(LOCK)
	sed -i "1i # pyproject-deps-sha256: $$($(DEPS_HASH))" $(LOCK)

check-lock:
	@test "$$(sed -n 's/^# pyproject-deps-sha256: //p' $(LOCK))" = "$$($(DEPS_HASH))" || { \
		echo "$(LOCK) is out of date: pyproject.toml's dependencies changed since it was compiled." >&2; \
		echo "Run 'make lock' and commit $(LOCK) with pyproject.toml." >&2; exit 1; }

lint: $(STAMP)
	$(BIN)/ruff check musanada tests
	$(BIN)/ruff format --check musanada tests
	SECRET_KEY=test-only-not-secret $(BIN)/mypy

clean:
	rm -rf $(VENV) var
