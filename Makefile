# activeactive.aws: `make demo` runs the stack on the local cloud, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCALCLOUD_PORT ?= 4566
# Test runs use their own local cloud so they never touch a demo stack on the default port.
TEST_LOCALCLOUD_PORT ?= 4599
LOCALCLOUD_TIME_SCALE ?= 0.05
PYTEST_WORKERS ?= 2

.PHONY: help venv collections up down demo test lint ruff ansible-lint sanity pytest molecule changelog lock clean

help:
	@echo "make demo   build the stack on the local cloud (no AWS account needed)"
	@echo "make test   ruff, ansible-lint, ansible-test sanity, pytest, molecule"
	@echo "make up / make down   start / stop the local cloud on port $(LOCALCLOUD_PORT)"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	@touch $@

# Makes `activeactive.aws` resolve to this checkout (see ansible.cfg).
collections: .collections/ansible_collections/activeactive/aws

.collections/ansible_collections/activeactive/aws:
	@mkdir -p $(@D)
	@ln -sfn ../../.. $@

up: venv
	@LOCALCLOUD_PORT=$(LOCALCLOUD_PORT) LOCALCLOUD_TIME_SCALE=$(LOCALCLOUD_TIME_SCALE) $(BIN)/python -m localcloud up

down: venv
	@LOCALCLOUD_PORT=$(LOCALCLOUD_PORT) $(BIN)/python -m localcloud down

demo: venv collections up
	LOCALCLOUD_PORT=$(LOCALCLOUD_PORT) $(BIN)/ansible-playbook playbooks/site.yml -i inventories/local
	LOCALCLOUD_PORT=$(LOCALCLOUD_PORT) $(BIN)/ansible-playbook playbooks/validate.yml -i inventories/local

test: lint sanity pytest molecule

lint: ruff ansible-lint

ruff: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ansible-lint: venv collections
	PATH=$(CURDIR)/$(BIN):$$PATH ansible-lint --profile production

sanity: venv
	$(BIN)/python tests/sanity/run.py

pytest: venv collections
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile -q

molecule: venv collections
	@LOCALCLOUD_PORT=$(TEST_LOCALCLOUD_PORT) LOCALCLOUD_TIME_SCALE=0.01 $(BIN)/python -m localcloud up
	@trap 'LOCALCLOUD_PORT=$(TEST_LOCALCLOUD_PORT) $(BIN)/python -m localcloud down' EXIT; \
	  LOCALCLOUD_PORT=$(TEST_LOCALCLOUD_PORT) PATH=$(CURDIR)/$(BIN):$$PATH molecule test --all

changelog: venv
	$(BIN)/antsibull-changelog lint

# Re-pin requirements/dev.txt from requirements/dev.in.
lock:
	rm -rf .tmp/lock && $(PYTHON) -m venv .tmp/lock
	.tmp/lock/bin/pip install --quiet -r requirements/dev.in
	.tmp/lock/bin/pip freeze --exclude-editable > requirements/dev.txt

clean: down
	rm -rf $(VENV) .collections .localcloud .tmp build

# Converge site.yml on a fresh local cloud and compare with the critical path of AWS waits (bench/README.md).
# BENCH_TIME_SCALE=0.05 for a quick run, BENCH_INVENTORY=bench/inventories/six for six regions.
.PHONY: bench
bench: venv collections
	$(BIN)/python bench/run.py $(if $(BENCH_TIME_SCALE),--time-scale $(BENCH_TIME_SCALE)) $(if $(BENCH_INVENTORY),--inventory $(BENCH_INVENTORY))
