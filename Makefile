# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_OUT ?= demo-out

.PHONY: demo test bench clean scenes schemas browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,sim,ray]'
	touch $(STAMP)

DEMO_SCENE ?= sample_scenes/hospital_corridor/hospital_corridor.usda
DEMO_CONFIG ?= sample_scenes/hospital_corridor/twin.yaml

# The demo owns $(DEMO_OUT): it is replaced on every run. Seeds come from the OS and are recorded.
demo: $(STAMP)
	rm -rf $(DEMO_OUT)
	$(BIN)/twinsplit keygen --out $(DEMO_OUT)/keys
	$(BIN)/twinsplit generate $(DEMO_SCENE) --config $(DEMO_CONFIG) --out $(DEMO_OUT)/set \
		--train 40 --holdout 10 --sign $(DEMO_OUT)/keys/twinsplit.key
	$(BIN)/twinsplit verify $(DEMO_OUT)/set --pubkey $(DEMO_OUT)/keys/twinsplit.pub
	$(BIN)/twinsplit validate $(DEMO_OUT)/set
	$(BIN)/twinsplit report $(DEMO_OUT)/set -o $(DEMO_OUT)/report.html --pubkey $(DEMO_OUT)/keys/twinsplit.pub
	@echo
	@echo "demo output:  $(abspath $(DEMO_OUT))/set  (open train/train-00000.usdc in Isaac Sim)"
	@echo "manifest:     $(abspath $(DEMO_OUT))/set/manifest.json"
	@echo "report:       $(abspath $(DEMO_OUT))/report.html"
	@echo "public key:   $(abspath $(DEMO_OUT))/keys/twinsplit.pub"

# The report's browser test needs Debian's chromium. In CI (root, apt-get present) install it, best effort;
# elsewhere, or if the install fails, that test skips with its reason.
browser:
	@if [ -n "$$CI" ] && ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the browser test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium could not be installed: the browser test will skip"; fi

# pytest exit 5 means "no tests ran": treat it as a failure, never as a pass.
test: $(STAMP) browser
	$(BIN)/ruff check src tests bench sample_scenes
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py

scenes: $(STAMP)
	for s in sample_scenes/*/build.py; do $(BIN)/python $$s; done

schemas: $(STAMP)
	$(BIN)/twinsplit schema config > schemas/config.schema.json
	$(BIN)/twinsplit schema manifest > schemas/manifest.schema.json

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
