# duban: `make demo` to see it work, `make test` to run every test (SQLite, PostgreSQL, MariaDB).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/duban: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/duban
	$(BIN)/duban demo --dir demo-data

test: $(BIN)/duban
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(BIN)/duban
	$(BIN)/ruff check .

bench: $(BIN)/duban
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info demo-data
