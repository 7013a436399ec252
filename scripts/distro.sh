#!/usr/bin/env bash
# Run the per-distribution scenario (molecule/distro) for one row of
# molecule/distro/vars/distros.yml. Needs registry and package mirror access, so
# make test does not run it; CI that has them runs every row.
# Usage: scripts/distro.sh NAME [MOLECULE_ACTION]     (action default: test)
set -euo pipefail
ROOT=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"

name=${1:?usage: $0 NAME [molecule action]}
action=${2:-test}
row=$(python3 - "$name" <<'PY'
import sys
import yaml
with open("molecule/distro/vars/distros.yml", encoding="utf-8") as f:
    table = yaml.safe_load(f)["kvmhost_test_distros"]
name = sys.argv[1]
if name not in table:
    sys.exit(f"unknown distribution {name!r}; known: {', '.join(sorted(table))}")
print(table[name]["image"], table[name]["mode"])
PY
)
read -r image mode <<<"$row"
export MOLECULE_DISTRO="$name" MOLECULE_DISTRO_IMAGE="$image" KVMHOST_EXPECT_MODE="$mode"
echo "distro: $name: image $image, expected mode $mode"
exec molecule "$action" -s distro
