# Two commands for a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck pytest schema schema-check sandbox lock clean bench bench-node bench-instructions

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(DEV_STAMP): requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/rewards-gateway serve --sandbox

sandbox: $(STAMP)
	$(BIN)/rewards-gateway sandbox

test: $(DEV_STAMP) lint typecheck pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy gateway schema resolvers tests bench

pytest: $(DEV_STAMP)
	$(BIN)/pytest -q

# The gateway and a plain pass-through under the same load; prints the table and writes it to
# bench/results/<date>.md (README "Performance"). `python -m bench --help` for the options.
bench: $(DEV_STAMP)
	$(BIN)/python -m bench

# The home screen against the Node gateway issue 5 compares us with (bench/node-reference: Hive
# Gateway over GraphQL Mesh's OpenAPI source), in the same run; needs node and npm (npm ci on
# first use). Prints only: a partial run does not overwrite the day's table.
bench-node: $(DEV_STAMP)
	$(BIN)/python -m bench --only home --node-reference --no-write

# Instructions per request under callgrind (valgrind): the same count on a busy machine as on a
# quiet one, so a change's effect shows in one run before and one after (README "Performance").
bench-instructions: $(DEV_STAMP)
	$(BIN)/python -m bench.instructions --only home --only offer_detail --only agent_ticket_search

schema: $(STAMP)
	$(BIN)/rewards-gateway schema export --output schema/schema.graphql

# Lists breaking changes of the code's schema against schema/schema.graphql at git ref BASE.
schema-check: $(STAMP)
	$(BIN)/rewards-gateway schema check --base $(or $(BASE),HEAD)

# Re-resolve the pinned dependency sets (needs only PyPI).
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile --quiet --python-version 3.11 pyproject.toml -o requirements.lock
	$(BIN)/uv pip compile --quiet --python-version 3.11 --extra dev pyproject.toml -o requirements-dev.lock

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
	rm -rf bench/node-reference/node_modules bench/node-reference/supergraph.graphql
