# One entry point for people and CI. `make test` is what .ci/run runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Local molecule scenarios (podman, real systemd, locally built images).
# The per-distribution scenarios pull from registries and are run by hand:
# see docs/testing.md.
SCENARIOS ?= default ubuntu modular switch skip hardening states migration objects lifecycle
DEMO ?= rocky9
# An RPM-based image with dnf for `make ee` (ansible-builder supports no other).
EE_BASE_IMAGE ?=
EE_TAG ?= kvmhost-setup-ee:$(shell sed -n 's/^version: *//p' galaxy.yml)

.PHONY: help bootstrap images demo test lint sanity units pytest molecule newest bench build ee

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

ee: bootstrap ## Build the execution environment image (needs EE_BASE_IMAGE=<RPM-based image>)
	@if [ -z "$(EE_BASE_IMAGE)" ]; then \
	  echo "make ee: set EE_BASE_IMAGE to an RPM-based image with dnf and Python 3.12 available," >&2; \
	  echo "  e.g. make ee EE_BASE_IMAGE=<registry>/centos/centos:stream9. ansible-builder supports no" >&2; \
	  echo "  Debian, Ubuntu or Alpine base, and none can be pulled without a registry." >&2; \
	  echo "  make test still generates and checks the build context (tests/host/test_ee.py)." >&2; \
	  exit 2; \
	fi
	@. scripts/env.sh && if podman image exists "$(EE_BASE_IMAGE)" \
	  && ! podman run --rm --entrypoint /bin/sh "$(EE_BASE_IMAGE)" -c 'test -x /usr/bin/dnf'; then \
	  echo "make ee: $(EE_BASE_IMAGE) has no /usr/bin/dnf: ansible-builder needs an RPM-based base image" >&2; \
	  exit 2; \
	fi
	@. scripts/env.sh && rm -rf .cache/ee && mkdir -p .cache/ee \
	  && ansible-galaxy collection build --output-path .cache/ee . \
	  && ansible-builder build -f execution-environment.yml -c .cache/ee/context \
	     --container-runtime podman --build-arg EE_BASE_IMAGE="$(EE_BASE_IMAGE)" -t "$(EE_TAG)" -v 2 \
	  && echo "make ee: built $(EE_TAG) from $(EE_BASE_IMAGE)"
