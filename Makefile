# Everything a newcomer needs, from a clean clone with Python 3.11, Node.js 22 or 24 and npm.
#   make synth   install what is missing, synthesize every vars/*.tfvars.json (or $VARS_FILE)
#   make test    install what is missing, lint, type-check, run the tests, synthesize
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
SCAN_VENV := .venv-scan
PY := $(VENV)/bin/python
# Empty: every vars/*.tfvars.json, each its own stack, named after the file.
VARS_FILE ?=
export VARS_FILE
DEPLOYMENT = $(patsubst %.tfvars.json,%,$(notdir $(VARS_FILE)))
# Every vars file's stack, for scan and validate, apart from what make synth writes.
ALL_OUT := cdktf.out/all
CDKTF := npx --no-install cdktf
# No update checks or telemetry from the cdktf CLI or Terraform.
export CHECKPOINT_DISABLE := 1
export DISABLE_VERSION_CHECK := 1
export CI_NO_SPINNER := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# jsii's runtime calls util.isArray, which Node.js 22 and later report as deprecated on every
# synth ([ERROR] in the cdktf CLI's log); the call is jsii's, not ours.
export NODE_OPTIONS := $(strip $(NODE_OPTIONS) --disable-warning=DEP0044)

.PHONY: help lock install plugin-cache pytest-e2e pytest-rest test-serial synth plan deploy destroy output node-lts test test-fast lint typecheck pytest stacks scan validate e2e image docs bench-synth bench-ci bench-producer cdktn-check local clean rules

help:
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

NEEDS_PY311 := import sys; sys.exit(sys.version_info < (3, 11))

# What the venv was made from: the interpreter and the app and dev locks. Any other (a Python
# upgrade, PYTHON=..., a changed lock) rebuilds it, so that it holds exactly what the locks say.
PYTHON_ID := $(shell $(PYTHON) -c 'import sys; print(sys.implementation.cache_tag, *sys.version_info[:3], sep="-")' 2>/dev/null)
LOCKS_ID := $(shell cat requirements.lock requirements-dev.lock | sha256sum | cut -c1-12)
# pip installs exactly the locked distributions, each checked against its hashes.
PIP_LOCKED := -m pip install --quiet --progress-bar off --no-deps --require-hashes -r

$(VENV)/.python-$(PYTHON_ID)-$(LOCKS_ID):
	@$(PYTHON) -c '$(NEEDS_PY311)' || { echo "error: Python 3.11 or later is needed, and $(PYTHON) is $$($(PYTHON) --version 2>&1); run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@if test -d $(VENV); then echo ">> $(VENV) was not made with $(PYTHON) ($(PYTHON_ID)) from today's locks: recreating it"; rm -rf $(VENV); fi
	@echo ">> creating $(VENV) with $(PYTHON) ($(PYTHON_ID))"
	@$(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.app-installed: $(VENV)/.python-$(PYTHON_ID)-$(LOCKS_ID)
	@echo ">> installing the app's Python packages from requirements.lock into $(VENV) (about a minute)"
	@$(PY) $(PIP_LOCKED) requirements.lock
	@touch $@

# The dev lock holds the app's and the producer's packages at their own locks' versions.
$(VENV)/.dev-installed: $(VENV)/.app-installed
	@echo ">> installing test, lint and producer packages from requirements-dev.lock into $(VENV)"
	@$(PY) $(PIP_LOCKED) requirements-dev.lock
	@$(PY) -m pip check --quiet >/dev/null || { $(PY) -m pip check; exit 1; }
	@touch $@

SCAN_ID := $(shell cat requirements-scan.lock | sha256sum | cut -c1-12)

# A venv of its own for one lock, made anew whenever the lock changes (its stamp is named by
# the lock's digest): $(1) the venv, $(2) the lock, $(3) what it holds.
define locked_venv
	@rm -rf $(1)
	@echo ">> creating $(1) with $(3) from $(2)"
	@$(PYTHON) -m venv $(1)
	@$(1)/bin/python $(PIP_LOCKED) $(2)
	@touch $@
endef

$(SCAN_VENV)/.installed-$(SCAN_ID):
	$(call locked_venv,$(SCAN_VENV),requirements-scan.lock,the checkov scanner)

CDKTN_VENV := .venv-cdktn
CDKTN_ID := $(shell cat requirements-cdktn.lock | sha256sum | cut -c1-12)

# CDK Terrain (cdktn), cdktf's continuation, in a venv of its own (it takes constructs < 10.8).
$(CDKTN_VENV)/.installed-$(CDKTN_ID):
	$(call locked_venv,$(CDKTN_VENV),requirements-cdktn.lock,CDK Terrain (cdktn; about a minute))

node_modules/.installed: package.json package-lock.json
	@echo ">> installing the cdktf CLI from package-lock.json"
	@npm ci --no-fund --no-audit --ignore-scripts --loglevel=error
	@touch $@

# UPGRADE=1: the newest versions the inputs allow; otherwise what the locks hold stays.
lock: $(VENV)/.dev-installed ## re-resolve every lock (requirements*.lock, producer/, package-lock.json) from its inputs
	$(PY) scripts/locks.py $(if $(UPGRADE),--upgrade)

install: $(VENV)/.dev-installed $(SCAN_VENV)/.installed-$(SCAN_ID) node_modules/.installed ## install everything

# The cdktf CLI's log goes to a temporary file, shown in full when the synth fails.
define cdktf_synth
	@log="$$(mktemp)"; $(2) $(CDKTF) synth --output $(1) > "$$log" 2>&1 \
		|| { cat "$$log"; rm -f "$$log"; exit 1; }; \
		sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$$log" | grep -E '^(Synthesized|warning)|Generated Terraform code'; rm -f "$$log"
endef

synth: $(VENV)/.app-installed node_modules/.installed ## synthesize $VARS_FILE (default: every vars/*.tfvars.json) into cdktf.out/stacks/<name>
	@echo ">> cdktf synth of $(or $(VARS_FILE),every vars/*.tfvars.json) (about 30 s)"
	$(call cdktf_synth,cdktf.out)

# A deployment is named by its vars file; these never fall back to an example.
define need_vars_file
	@test -n "$(VARS_FILE)" || { echo "error: make $@ needs the deployment's vars file: make $@ VARS_FILE=vars/<name>.tfvars.json" >&2; exit 2; }
	@test -f "$(VARS_FILE)" || { echo "error: VARS_FILE=$(VARS_FILE): no such file" >&2; exit 2; }
endef

plan: $(VENV)/.app-installed node_modules/.installed ## terraform plan of the deployment VARS_FILE names (cdktf diff)
	$(need_vars_file)
	$(CDKTF) diff $(CDKTF_FLAGS) $(DEPLOYMENT)

# One command from the producer/ source to a stable service (scripts/deploy): the plan, one
# question, the image module, the image build followed, the rest, the wait for the service.
# DEPLOY_ARGS passes flags through (--auto-approve, --poll-seconds, --stable-timeout).
deploy: $(VENV)/.dev-installed node_modules/.installed ## deploy VARS_FILE from the producer/ source to a stable service: the image module, the image build (followed), the rest (asks first)
	$(need_vars_file)
	@$(MAKE) --no-print-directory synth VARS_FILE=$(VARS_FILE)
	$(PY) -m scripts.deploy --vars-file $(VARS_FILE) $(DEPLOY_ARGS)

# scripts/destroy.py: the notice of what data goes (or a refusal before anything is deleted),
# one question, then everything but the buckets, the buckets emptied, the buckets' controls and
# the buckets last. DESTROY_ARGS passes flags through (--auto-approve).
destroy: $(VENV)/.dev-installed node_modules/.installed ## destroy VARS_FILE's deployment in one go: says what data goes (or refuses before deleting anything), asks, empties each bucket before its controls go
	$(need_vars_file)
	@$(MAKE) --no-print-directory synth VARS_FILE=$(VARS_FILE)
	$(PY) scripts/destroy.py --vars-file $(VARS_FILE) $(DESTROY_ARGS)

output: $(VENV)/.app-installed node_modules/.installed ## the outputs of the deployment VARS_FILE names
	$(need_vars_file)
	$(CDKTF) output $(CDKTF_FLAGS) $(DEPLOYMENT)

# Read-only calls with the operator's credentials, on the names the synth just wrote.
# PREFLIGHT_ARGS passes flags through (--account, --format json).
.PHONY: preflight
preflight: $(VENV)/.dev-installed node_modules/.installed ## read-only checks of the account before the first apply of VARS_FILE (synthesizes it first)
	$(need_vars_file)
	@$(MAKE) --no-print-directory synth VARS_FILE=$(VARS_FILE)
	$(PY) -m scripts.preflight --vars-file $(VARS_FILE) $(PREFLIGHT_ARGS)

lint: $(VENV)/.dev-installed ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev-installed ## mypy (strict) on all of the project's Python, tests included
	$(VENV)/bin/mypy

# The inner loop: no security scan, no emulator, no image, no slow end-to-end tests.
test-fast: lint typecheck $(VENV)/.dev-installed ## lint, mypy and the quick tests (no checkov, emulator or slow tests)
	$(PY) -m pytest -m "not image and not e2e and not slow" --ignore=tests/test_scan.py $(PYTEST_ARGS)

# The image build (minutes, cold) runs in make e2e and make image, not in make test.
pytest: $(VENV)/.dev-installed $(SCAN_VENV)/.installed-$(SCAN_ID) node_modules/.installed ## every test but the image build's (pytest-e2e's and pytest-rest's, one after the other)
	$(PY) -m pytest -m "not image" $(PYTEST_ARGS)

# The Outpost-mode deployment applied to the emulator: minutes, most of them spent in the AWS
# provider's own waiters (docs/benchmarks.md), so it runs beside the rest in make test.
pytest-e2e: $(VENV)/.dev-installed node_modules/.installed plugin-cache
	$(PY) -m pytest tests/e2e -m "e2e and not image" -p no:cacheprovider --junitxml=$(REPORTS)/$@.xml $(PYTEST_ARGS)

pytest-rest: $(VENV)/.dev-installed $(SCAN_VENV)/.installed-$(SCAN_ID) node_modules/.installed plugin-cache
	$(PY) -m pytest -m "not image and not e2e" --junitxml=$(REPORTS)/$@.xml $(PYTEST_ARGS)

# Where the pytest lanes write their JUnit reports (make test sums them up; make bench-ci reads
# the slowest tests there).
REPORTS := cdktf.out/test-reports

# Terraform does not promise that parallel inits may install into one plugin cache: the
# provider goes in once, before the lanes start, and each init then only links it.
plugin-cache: $(VENV)/.app-installed
	@$(PY) scripts/terraform_cli.py warm-plugin-cache

STACK_DIRS = $(patsubst vars/%.tfvars.json,$(ALL_OUT)/stacks/%,$(wildcard vars/*.tfvars.json))

stacks: $(VENV)/.app-installed node_modules/.installed ## cdktf synth of every vars file into cdktf.out/all/ (for scan and validate)
	@echo ">> cdktf synth of every vars/*.tfvars.json into $(ALL_OUT)"
	$(call cdktf_synth,$(ALL_OUT),VARS_FILE=)

scan: $(VENV)/.dev-installed $(SCAN_VENV)/.installed-$(SCAN_ID) stacks ## checkov on the stack of every vars file, against the baseline
	$(PY) scripts/scan.py $(addprefix --stack ,$(STACK_DIRS))

validate: $(VENV)/.app-installed stacks plugin-cache ## terraform init and validate the stack of every vars file
	$(PY) scripts/validate.py $(addprefix --stack ,$(STACK_DIRS))

rules: $(VENV)/.dev-installed stacks ## the AWS rules checker on the stack of every vars file (docs/aws-rules.md)
	$(PY) scripts/aws_rules.py $(addprefix --stack ,$(STACK_DIRS))

# The Node.js LTS the README recommends, from the npm registry's node package, for node-lts.
NODE_LTS := 22.23.3
NODE_LTS_DIR := .node-lts

$(NODE_LTS_DIR)/.installed-$(NODE_LTS):
	@echo ">> installing Node.js $(NODE_LTS) into $(NODE_LTS_DIR) (about 30 MB)"
	@rm -rf $(NODE_LTS_DIR)
	@npm install --prefix $(NODE_LTS_DIR) --no-save --no-fund --no-audit --loglevel=error node@$(NODE_LTS)
	@touch $@

node-lts: $(VENV)/.app-installed node_modules/.installed $(NODE_LTS_DIR)/.installed-$(NODE_LTS) ## cdktf synth under the recommended Node.js LTS, with no warning
	@echo ">> cdktf synth of vars/test.tfvars.json under Node.js $(NODE_LTS)"
	@log="$$(mktemp)"; export PATH="$(CURDIR)/$(NODE_LTS_DIR)/node_modules/.bin:$$PATH"; \
		unset JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION; \
		test "$$(node --version)" = "v$(NODE_LTS)" || { echo "error: node is $$(node --version), not v$(NODE_LTS)"; exit 1; }; \
		VARS_FILE=vars/test.tfvars.json $(CDKTF) synth --output cdktf.out/node-lts > "$$log" 2>&1 \
		|| { cat "$$log"; rm -f "$$log"; exit 1; }; \
		if grep -qiE 'end-of-life|not supported|deprecat' "$$log"; then cat "$$log"; rm -f "$$log"; echo "error: warnings under Node.js $(NODE_LTS)"; exit 1; fi; \
		grep -o 'Synthesized.*' "$$log"; rm -f "$$log"

# make test: the installs, then three jobs at a time, each one's output shown as it ends. The
# end-to-end test (mostly waiting) and the other tests hold a slot each from the start; the
# static checks and the stacks take the third, one after another, and the freed slots after.
# The same work one step after another: make test-serial.
TEST_STEPS := pytest-e2e pytest-rest lint typecheck stacks scan validate rules node-lts

test: ## everything CI runs (three jobs at a time; see test-serial)
	@$(MAKE) --no-print-directory --silent -j3 install $(NODE_LTS_DIR)/.installed-$(NODE_LTS)
	@echo ">> make test: $(TEST_STEPS), three at a time (each one's output shown when it ends)"
	@rm -rf $(REPORTS)
	@$(MAKE) --no-print-directory -j3 --output-sync=target $(TEST_STEPS)
	@$(PY) scripts/test_summary.py $(REPORTS)/pytest-e2e.xml $(REPORTS)/pytest-rest.xml

test-serial: lint typecheck pytest stacks scan validate rules node-lts ## what make test runs, one step after another

cdktn-check: $(VENV)/.app-installed $(CDKTN_VENV)/.installed-$(CDKTN_ID) ## the app on CDK Terrain (cdktn): the same Terraform JSON as on cdktf, but for listed differences
	$(PY) scripts/cdktn_check.py

e2e: cdktn-check $(VENV)/.dev-installed node_modules/.installed plugin-cache ## README's deployment in every mode against a local AWS emulator, then the image
	$(PY) scripts/e2e.py
	$(PY) -m pytest -m image tests/test_image_build.py

image: $(VENV)/.dev-installed ## build the producer image with buildah on a stand-in base, run it and check it
	$(PY) scripts/build_image.py

docs: $(VENV)/.app-installed ## regenerate the tables in README.md, docs/modules/ and docs/benchmarks.md
	$(PY) scripts/gen_docs.py --write

bench-synth: $(VENV)/.dev-installed ## benchmark synthesis against the import floor (records benchmarks/results/synth.json)
	$(PY) benchmarks/bench_synth.py

bench-ci: $(VENV)/.dev-installed ## time make test's steps one by one and make test itself (records benchmarks/results/ci.json; FIRST_RUN=1 adds a fresh clone's install)
	$(PY) benchmarks/bench_ci.py $(if $(FIRST_RUN),--first-run)

bench-producer: $(VENV)/.dev-installed ## benchmark the producer service against moto (records benchmarks/results/producer.json)
	$(PY) benchmarks/bench_producer.py

local: $(VENV)/.dev-installed ## run the producer against a local Kinesis-compatible server
	$(PY) -m producer.tools.local

clean: ## remove generated files (keeps the venv and node_modules)
	rm -rf cdktf.out .pytest_cache .mypy_cache .ruff_cache .terraform-cache $(NODE_LTS_DIR)
