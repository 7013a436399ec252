# One entry point for people and CI. `make test` is what .ci/run runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Local molecule scenarios (podman, real systemd, locally built images).
# The per-distribution scenarios pull from registries and are run by hand:
# see docs/testing.md.
SCENARIOS ?= default debian13 modular switch skip hardening
DEMO ?= rocky9

.PHONY: help bootstrap images demo test lint sanity units pytest molecule newest bench build

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

bootstrap: ## System packages, project venv and podman settings (idempotent)
	@bash scripts/bootstrap.sh

images: bootstrap ## Build (or reuse) the local test images
	@bash tests/images/build.sh

demo: bootstrap ## Run the role against a throwaway systemd container and show what it did
	@bash scripts/demo.sh $(DEMO)

test: bootstrap ## Everything: lint, sanity, units, pytest, molecule, newest
	@SCENARIOS="$(SCENARIOS)" bash scripts/run-tests.sh lint sanity units pytest molecule newest

lint: bootstrap ## ansible-lint, production profile
	@bash scripts/run-tests.sh lint

sanity: bootstrap ## ansible-test sanity on ansible-core 2.19, 2.20, 2.21
	@bash scripts/run-tests.sh sanity

units: bootstrap ## ansible-test units on ansible-core 2.19, 2.20, 2.21
	@bash scripts/run-tests.sh units

pytest: bootstrap ## Host-side tests: images, docs, packaging
	@bash scripts/run-tests.sh pytest

molecule: bootstrap ## Local molecule scenarios (SCENARIOS="default modular ...")
	@SCENARIOS="$(SCENARIOS)" bash scripts/run-tests.sh molecule

newest: bootstrap ## ansible-lint and molecule debian13-local on the newest ansible-core
	@bash scripts/run-tests.sh newest

bench: bootstrap ## Benchmark against the per-unit loop (prints ratios)
	@bash bench/run.sh
