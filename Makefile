# Kizuna — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint types unit system-deps clean-db help messages

help:
	@echo "make run   – set up everything, load the demo company, serve http://127.0.0.1:8000"
	@echo "make test  – lint, type-check and run the whole test suite"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ required"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@mkdir -p var
	$(BIN)/kizuna init
	$(BIN)/kizuna demo --if-empty
	@echo ""
	@echo "  Kizuna: http://127.0.0.1:8000"
	@$(BIN)/python -c "from kizuna.demo import DEMO_PASSWORD, DEMO_USERS; print('  Demo logins (password: ' + DEMO_PASSWORD + '):'); [print(f'    {r:<20} {e}') for e, r, n in DEMO_USERS]"
	@echo ""
	@# A worker process runs the jobs and the schedules beside the web server (which then
	@# runs no embedded worker); Ctrl-C stops the server, and the trap stops the worker.
	@trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/kizuna worker & worker=$$!; \
	KIZUNA_EMBEDDED_WORKER=false $(BIN)/kizuna serve

system-deps:
	@bash scripts/ensure-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

test: $(STAMP) system-deps lint types
	$(BIN)/pytest -q -p no:cacheprovider

clean-db:
	rm -f var/kizuna.db var/kizuna.db-wal var/kizuna.db-shm

LOCALES := src/kizuna/web/locale
messages: $(STAMP)  ## extract msgids and merge them into the ja/en catalogues
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -o $(LOCALES)/messages.pot .
	for l in ja en; do \
	  if [ -f $(LOCALES)/$$l/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update --no-fuzzy-matching -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$l; \
	  else $(BIN)/pybabel init -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$l; fi; \
	done
