# Musanada: `make run` sets up and serves the product; `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MUSANADA_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint setup demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	DEBUG=1 $(BIN)/musanada migrate --noinput -v0
	DEBUG=1 $(BIN)/musanada demo

run: demo
	DEBUG=1 $(BIN)/musanada runserver 127.0.0.1:8000

# On SQLite always; on PostgreSQL too when DATABASE_URL points at one.
test: $(STAMP)
	SECRET_KEY=test-only-not-secret $(BIN)/ruff check musanada tests
	$(BIN)/ruff format --check musanada tests
	@# A SQLite file, as in production (WAL, writers wait for each other), rather than an in-memory database,
	@# whose shared cache makes threads (live server, jobs worker) fail with "table is locked".
	SECRET_KEY=test-only-not-secret DATABASE_URL= SQLITE_TEST_NAME=$(MUSANADA_DATA_DIR)/test.sqlite3 \
		$(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$DATABASE_URL"; \
		SECRET_KEY=test-only-not-secret $(BIN)/pytest $(PYTEST_ARGS); \
	fi

lint: $(STAMP)
	$(BIN)/ruff check musanada tests
	$(BIN)/ruff format --check musanada tests

clean:
	rm -rf $(VENV) var
