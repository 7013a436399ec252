#!/usr/bin/env bash
# kvmhost.setup benchmark (`make bench`): daemon stage, whole role, fleet.
# Prints a table and writes bench/results/latest.json. See bench/README.md.
# Settings: BENCH_STAGES="daemons role fleet", BENCH_CONN=pipelined, BENCH_REPS=5, BENCH_REPS_OTHER=1,
# BENCH_ROLE_REPS=2, BENCH_FLEET="1 5 10 20", BENCH_FLEET_CONVERGED="" (e.g. "1 20").
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# shellcheck source=scripts/env.sh
. scripts/env.sh

export BENCH_PREFIX="kvmbench-$$"
cleanup() {
  local ids
  ids=$(podman ps -aq --filter "name=^${BENCH_PREFIX}-" 2>/dev/null || true)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086 # one id per word
    podman rm -f -t 0 $ids >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for image in "$KVMHOST_IMAGE_LIBVIRT_MODULAR" "$KVMHOST_IMAGE_LIBVIRT_MONOLITHIC"; do
  if ! podman image exists "$image"; then
    echo "bench: $image is missing, building the test images" >&2
    bash tests/images/build.sh
    break
  fi
done

python3 bench/bench.py
