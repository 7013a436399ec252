#!/usr/bin/env bash
# Prepare this machine for the kvmhost.setup test harness. Idempotent and fast
# when everything is already in place:
#   1. system packages (only the missing ones; apt-get update only if needed)
#   2. project venv .venv/ from tests/requirements.txt (reinstalled only when it changed)
#   3. the project's podman config .cache/containers.conf (no system-wide config)
# Usage: bash scripts/bootstrap.sh
set -euo pipefail

ROOT=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"

T0=$(date +%s.%N)
step() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# Run a command quietly; on failure show its output and stop.
run_logged() {
    local log=$1; shift
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        die "command failed: $*  (log: $log)"
    fi
}

mkdir -p "$ROOT/.cache"

# --- 1. system packages ---------------------------------------------------------
# podman + runc (crun fails on this hybrid cgroup host), rootless helpers podman
# expects, debootstrap + keyring + xz for the base images, iproute2 for testinfra,
# python3-venv for the project venv, shellcheck so ansible-test's shellcheck
# sanity test runs instead of being skipped, git for ansible-test's file list.
PACKAGES=(podman runc uidmap slirp4netns fuse-overlayfs debootstrap
          debian-archive-keyring iproute2 xz-utils ca-certificates python3-venv
          shellcheck git)
missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    step "packages: all ${#PACKAGES[@]} present"
else
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "missing system packages: ${missing[*]} -- install them as root (apt-get install ${missing[*]}) and rerun"
    fi
    t=$(date +%s.%N)
    export DEBIAN_FRONTEND=noninteractive
    run_logged "$ROOT/.cache/bootstrap-apt.log" apt-get update
    run_logged "$ROOT/.cache/bootstrap-apt.log" \
        apt-get install -y --no-install-recommends "${missing[@]}"
    step "packages: installed ${missing[*]} in $(elapsed "$t") s"
fi

# --- 2. project venv --------------------------------------------------------------
# Always Debian's own interpreter: a python3 found first on PATH (pyenv, a
# hand-built one) is not what a user's fresh Debian 12 has.
SYSTEM_PYTHON=/usr/bin/python3
REQ="$ROOT/tests/requirements.txt"
[ -f "$REQ" ] || die "$REQ not found"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
have=$(cat "$ROOT/.venv/.requirements.sha256" 2>/dev/null || true)
# A venv made from another interpreter (home is not /usr/bin) is rebuilt.
if ! grep -qx 'home = /usr/bin' "$ROOT/.venv/pyvenv.cfg" 2>/dev/null; then
    rm -rf "$ROOT/.venv"
fi
if [ "$want" = "$have" ] && "$ROOT/.venv/bin/python" -c '' 2>/dev/null; then
    step "venv: up to date (.venv, requirements sha256 ${want:0:12})"
else
    t=$(date +%s.%N)
    if ! "$ROOT/.venv/bin/python" -c '' 2>/dev/null; then
        rm -rf "$ROOT/.venv"
        run_logged "$ROOT/.cache/bootstrap-venv.log" "$SYSTEM_PYTHON" -m venv "$ROOT/.venv"
    fi
    rm -f "$ROOT/.venv/.requirements.sha256"
    run_logged "$ROOT/.cache/bootstrap-pip.log" \
        "$ROOT/.venv/bin/python" -m pip install -r "$REQ"
    printf '%s\n' "$want" >"$ROOT/.venv/.requirements.sha256"
    step "venv: installed tests/requirements.txt in $(elapsed "$t") s"
fi

# --- 2b. test collections ------------------------------------------------------------
# tests/requirements.yml must be met by what the venv carries (the `ansible`
# package): offline, so a missing one fails here instead of in a test.
run_logged "$ROOT/.cache/bootstrap-collections.log" \
    "$ROOT/.venv/bin/ansible-galaxy" collection install --offline -r "$ROOT/tests/requirements.yml"
step "collections: tests/requirements.yml satisfied offline"

# --- 3. podman config -------------------------------------------------------------
nofile=$(ulimit -Hn)
# "unlimited" cannot be passed to setrlimit as a number podman accepts; use a big value.
[ "$nofile" = "unlimited" ] && nofile=1048576
TEMPLATE="$ROOT/tests/podman/containers.conf.in"
tmp=$(mktemp "$ROOT/.cache/containers.conf.XXXXXX")
sed "s/@NOFILE_HARD@/$nofile/g" "$TEMPLATE" >"$tmp"
if cmp -s "$tmp" "$CONTAINERS_CONF"; then
    rm -f "$tmp"
    state=unchanged
else
    mv -f "$tmp" "$CONTAINERS_CONF"
    state=written
fi
if ! out=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Store.GraphDriverName}}' 2>&1); then
    printf '%s\n' "$out" >&2
    die "podman does not work with CONTAINERS_CONF=$CONTAINERS_CONF"
fi
read -r rt cg drv <<<"$(printf '%s\n' "$out" | tail -n1)"
[ "$rt" = "runc" ] || die "podman uses runtime '$rt', expected runc (is CONTAINERS_CONF honoured?)"
step "podman: .cache/containers.conf $state (nofile=$nofile), podman info ok (runtime=$rt cgroups=$cg storage=$drv)"

# --- 4. the collection where Ansible looks for it -----------------------------------
link="$ROOT/.cache/collections/ansible_collections/kvmhost/setup"
if [ "$(readlink "$link" 2>/dev/null)" != "$ROOT" ]; then
    mkdir -p "$(dirname "$link")"
    ln -sfn "$ROOT" "$link"
fi
step "collection: kvmhost.setup linked at .cache/collections"

step "done in $(elapsed "$T0") s"
