# Set-up and the two everyday jobs. `make demo` and `make test` each create the virtual
# environment and install the pinned dependencies (constraints.txt) when needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c constraints.txt --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# compileall: our modules' bytecode on disk (Python writes none where PYTHONDONTWRITEBYTECODE
# is set, and then compiles every module at each start: ~0.6 s of the demo).
demo: $(STAMP)
	$(BIN)/python -m compileall -q src >/dev/null
	$(BIN)/chokepoint demo --out out/demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

# pytest exits 5 when it collects no tests: that is a failure here, not a pass.
test: lint
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest ran no tests: failing"; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench_flow
	$(BIN)/python -m benchmarks.bench_criticality_flow
	$(BIN)/python -m benchmarks.bench_redundancy
	$(BIN)/python -m benchmarks.bench_dynamic
	$(BIN)/python -m benchmarks.bench_simulate
	$(BIN)/python -m benchmarks.bench_import
	$(BIN)/python -m benchmarks.bench_sweep
	$(BIN)/python -m benchmarks.bench_serve

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
