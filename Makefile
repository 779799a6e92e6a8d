# Two commands: `make run` and `make test`. Everything installs into .venv from pinned versions.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint install worker clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

var/secret_key:
	mkdir -p var
	$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key
	chmod 600 var/secret_key

# The worker (background tasks, the daily job) runs beside the web server and stops with it.
run: $(STAMP) var/secret_key
	SECRET_KEY_FILE=var/secret_key $(BIN)/twohats migrate --no-input
	SECRET_KEY_FILE=var/secret_key $(BIN)/twohats demo --if-empty --then-health
	@export SECRET_KEY_FILE=var/secret_key; \
	$(BIN)/twohats worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	trap 'exit 130' INT TERM; \
	echo "The worker runs in the background (pid $$worker): tasks, and the daily job at $${DAILY_JOB_AT:-06:00}."; \
	$(BIN)/twohats serve

test: $(STAMP)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/mypy twohats

bench: $(STAMP)
	$(BIN)/python -m twohats.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
