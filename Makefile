# Everything a newcomer needs, from a clean clone with Python 3.11, Node.js 20 and npm.
#   make synth   install what is missing, synthesize vars/test.tfvars.json (or $VARS_FILE)
#   make test    install what is missing, lint, type-check, run the tests, synthesize
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
SCAN_VENV := .venv-scan
PY := $(VENV)/bin/python
VARS_FILE ?= vars/test.tfvars.json
STACK := outposts-ecs
export VARS_FILE
# No update checks or telemetry from the cdktf CLI or Terraform.
export CHECKPOINT_DISABLE := 1
export DISABLE_VERSION_CHECK := 1
export CI_NO_SPINNER := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: help install synth test lint typecheck pytest stacks scan validate e2e image docs bench-synth bench-producer local clean

help:
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

NEEDS_PY311 := import sys; sys.exit(sys.version_info < (3, 11))

$(VENV)/.app-installed: requirements.txt
	@$(PYTHON) -c '$(NEEDS_PY311)' || { echo "error: Python 3.11 or later is needed, and $(PYTHON) is $$($(PYTHON) --version 2>&1); run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@if test -x $(PY) && ! $(PY) -c '$(NEEDS_PY311)'; then echo ">> $(VENV) holds an older Python: recreating it"; rm -rf $(VENV); fi
	@echo ">> creating $(VENV) and installing the app's Python packages (about a minute)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet --progress-bar off -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.app-installed requirements-dev.txt producer/requirements.txt
	@echo ">> installing test, lint and producer packages into $(VENV)"
	@$(PY) -m pip install --quiet --progress-bar off -r requirements-dev.txt
	@touch $@

$(SCAN_VENV)/.installed: requirements-scan.txt
	@echo ">> creating $(SCAN_VENV) with the checkov scanner"
	@test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	@$(SCAN_VENV)/bin/python -m pip install --quiet --upgrade pip
	@$(SCAN_VENV)/bin/python -m pip install --quiet --progress-bar off -r requirements-scan.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo ">> installing the cdktf CLI from package-lock.json"
	@npm ci --no-fund --no-audit --ignore-scripts --loglevel=error
	@touch $@

install: $(VENV)/.dev-installed $(SCAN_VENV)/.installed node_modules/.installed ## install everything

synth: $(VENV)/.app-installed node_modules/.installed ## synthesize the deployment for $VARS_FILE
	@echo ">> cdktf synth with VARS_FILE=$(VARS_FILE)"
	@log="$$(mktemp)"; npx --no-install cdktf synth --output cdktf.out > "$$log" 2>&1 \
		|| { cat "$$log"; rm -f "$$log"; exit 1; }; \
		grep -o 'Generated Terraform code.*' "$$log"; rm -f "$$log"
	@echo ">> Terraform JSON: cdktf.out/stacks/$(STACK)/cdk.tf.json"

lint: $(VENV)/.dev-installed ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev-installed ## mypy on modules/, producer/, scripts/, tests/e2e/ and the entry files
	$(VENV)/bin/mypy

# The image build (minutes, cold) runs in make e2e and make image, not in make test.
pytest: $(VENV)/.dev-installed $(SCAN_VENV)/.installed node_modules/.installed
	$(PY) -m pytest -m "not image" $(PYTEST_ARGS)

# Every vars file's stack, synthesized once for scan and validate.
STACK_DIRS = $(patsubst vars/%.tfvars.json,cdktf.out/vars/%/stacks/$(STACK),$(wildcard vars/*.tfvars.json))

stacks: $(VENV)/.app-installed ## synthesize the stack of every vars file into cdktf.out/vars/
	$(PY) scripts/synth_all.py

scan: $(VENV)/.dev-installed $(SCAN_VENV)/.installed stacks ## checkov on the stack of every vars file, against the baseline
	$(PY) scripts/scan.py $(addprefix --stack ,$(STACK_DIRS))

validate: $(VENV)/.app-installed stacks ## terraform init and validate the stack of every vars file
	$(PY) scripts/validate.py $(addprefix --stack ,$(STACK_DIRS))

test: lint typecheck pytest synth scan validate ## everything CI runs

e2e: $(VENV)/.dev-installed node_modules/.installed ## README's deployment in every mode against a local AWS emulator, then the image
	$(PY) scripts/e2e.py
	$(PY) -m pytest -m image tests/test_image_build.py

image: $(VENV)/.dev-installed ## build the producer image with buildah on a stand-in base, run it and check it
	$(PY) scripts/build_image.py

docs: $(VENV)/.app-installed ## regenerate the variables tables in README.md
	$(PY) scripts/gen_variables_doc.py --write

bench-synth: $(VENV)/.dev-installed ## benchmark synthesis against the import floor
	$(PY) benchmarks/bench_synth.py

bench-producer: $(VENV)/.dev-installed ## benchmark the producer service against moto
	$(PY) benchmarks/bench_producer.py

local: $(VENV)/.dev-installed ## run the producer against a local Kinesis-compatible server
	$(PY) -m producer.local

clean: ## remove generated files (keeps the venv and node_modules)
	rm -rf cdktf.out .pytest_cache .mypy_cache .ruff_cache .terraform-cache
