#!/usr/bin/env bash
# Run test stages in order, keep going after a failure so one run shows every
# problem, print each stage's time, and end with a summary line.
# Usage: scripts/run-tests.sh STAGE... (lint sanity units pytest molecule newest)
#   sanity, units: on every supported ansible-core (KVMHOST_CORE_SERIES, see
#                  scripts/ansible-test.sh); lint, pytest, molecule: on the
#                  project venv's; newest: ansible-lint and the debian13-local
#                  scenario on the newest ansible-core, in the controller container.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1
# shellcheck source=scripts/env.sh
. scripts/env.sh

stage_lint() { ansible-lint --profile production --strict; }
stage_sanity() { bash scripts/ansible-test.sh sanity; }
stage_units() { bash scripts/ansible-test.sh units; }
stage_pytest() {
  bash tests/images/build.sh && pytest -q -p no:cacheprovider tests/harness tests/host
}
stage_newest() {
  local newest=${KVMHOST_CORE_SERIES##* } rc=0
  echo "--- ansible-lint on ansible-core $newest"
  bash scripts/controller.sh "$newest" bash -c \
    'ansible --version | head -n1 && ansible-lint --profile production --strict' || rc=1
  echo "--- molecule scenario debian13-local on ansible-core $newest"
  bash scripts/controller.sh "$newest" bash -c \
    'ansible --version | head -n1 && molecule test -s debian13-local' || rc=1
  return $rc
}
stage_molecule() {
  bash tests/images/build.sh || return 1
  local rc=0 scenario
  for scenario in ${SCENARIOS:-default ubuntu modular switch skip hardening states migration objects lifecycle}; do
    echo "--- molecule scenario: $scenario"
    local t0=$SECONDS
    if molecule test -s "$scenario"; then
      echo "--- molecule scenario $scenario passed in $((SECONDS - t0)) s"
    else
      echo "--- molecule scenario $scenario FAILED after $((SECONDS - t0)) s"
      rc=1
    fi
  done
  return $rc
}

passed=0 failed=0 summary=()
start=$SECONDS
for stage in "$@"; do
  if ! declare -F "stage_$stage" >/dev/null; then
    echo "unknown stage: $stage (allowed: lint sanity units pytest molecule newest)" >&2
    exit 2
  fi
  echo "=== $stage"
  t0=$SECONDS
  if "stage_$stage"; then
    passed=$((passed + 1)); summary+=("$stage: passed in $((SECONDS - t0)) s")
  else
    failed=$((failed + 1)); summary+=("$stage: FAILED after $((SECONDS - t0)) s")
  fi
done
echo "=== summary"
printf '  %s\n' "${summary[@]}"
echo "  total: $((SECONDS - start)) s"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
