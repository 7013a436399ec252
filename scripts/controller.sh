#!/usr/bin/env bash
# Run a command on a controller with a given ansible-core release series,
# inside the project's own Debian 13 controller image (Python 3.13): the
# releases from 2.20 on need Python >= 3.12, which Debian 12 does not have.
#
# Usage: scripts/controller.sh SERIES COMMAND [ARG...]     e.g. 2.21 ansible --version
#
# - The container boots systemd as PID 1 (it is also a real libvirt host, the
#   target of the molecule run with connection local), the command runs in it
#   through `podman exec` in the repository, mounted at its own path.
# - The venv for SERIES comes from tests/requirements-ansible-core-SERIES.txt and
#   lives in .cache/controller/venv-SERIES (created inside the container, so
#   with the image's Python); it is rebuilt only when that file's sha256 or
#   the image's Python changes.
# - ansible-test's own venvs and caches (~/.ansible) are kept in
#   .cache/controller/ansible-home, so warm runs install nothing.
set -euo pipefail
ROOT=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"

series=${1:?usage: $0 SERIES COMMAND [ARG...]}
shift
[ $# -gt 0 ] || { echo "usage: $0 SERIES COMMAND [ARG...]" >&2; exit 2; }
req="$ROOT/tests/requirements-ansible-core-$series.txt"
if [ ! -f "$req" ]; then
    known=("$ROOT"/tests/requirements-ansible-core-*.txt)
    known=("${known[@]##*/requirements-ansible-core-}")
    echo "controller: no requirements for ansible-core $series ($req); known: ${known[*]%.txt}" >&2
    exit 2
fi

bash "$ROOT/tests/images/build.sh" controller >/dev/null
image=$KVMHOST_IMAGE_CONTROLLER
venv="$ROOT/.cache/controller/venv-$series"
home="$ROOT/.cache/controller/ansible-home"
mkdir -p "$home" "$(dirname "$venv")"

name="kvmhost-controller-$series-$$"
mounts=(-v "$ROOT:$ROOT" -v "$home:/root/.ansible")
# In a git worktree .git is a file naming the main repository's git dir.
common=$(git -C "$ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
case "$common" in
    ""|"$ROOT"/*) ;;
    *) mounts+=(-v "$common:$common:ro") ;;
esac
# The machine's CA bundle, so pip inside trusts what pip outside trusts.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mounts+=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
fi
podman run -d --name "$name" --hostname kvmhost-controller "${mounts[@]}" \
    --device "$KVMHOST_KVM_DEVICE" "$image" >/dev/null
cleanup() { podman rm -f -t 5 "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# systemd answers "Failed to connect to bus" for a moment after the start.
for _ in $(seq 1 60); do
    state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) break ;; esac
    sleep 1
done
case "$state" in
    running) ;;
    *) echo "controller: systemd in $name is '$state', not running:" >&2
       podman exec "$name" systemctl --failed --no-pager >&2 || true
       exit 1 ;;
esac

# Inside: the series venv instead of the project's .venv (whose interpreter is
# the host's Python 3.11), everything else from scripts/env.sh as outside.
in_container() {
    podman exec -i -w "$ROOT" -e KVMHOST_VENV="$venv" -e HOME=/root -e KVMHOST_CONTROLLER=podman \
        -e PIP_DEFAULT_TIMEOUT="${PIP_DEFAULT_TIMEOUT:-180}" -e PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "$name" bash -c '. scripts/env.sh && exec "$@"' _ "$@"
}

want="$(sha256sum "$req" | cut -d' ' -f1) $(podman exec "$name" python3 -c 'import sys; print(sys.version.split()[0])')"
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null || true)" != "$want" ]; then
    t0=$SECONDS
    log="$ROOT/.cache/controller/venv-$series.log"
    echo "controller: creating venv-$series (log: ${log#"$ROOT"/})"
    rm -rf "$venv"
    # shellcheck disable=SC2016  # expanded by the inner bash
    if ! in_container bash -c 'python3 -m venv "$1" && "$1/bin/pip" install -r "$2"' _ "$venv" "$req" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "controller: venv-$series could not be created (log: $log)" >&2
        exit 1
    fi
    printf '%s\n' "$want" >"$venv/.requirements.sha256"
    echo "controller: venv-$series created in $((SECONDS - t0)) s"
fi

in_container "$@"
