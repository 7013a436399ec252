#!/usr/bin/env bash
# ansible-test sanity or units on every supported ansible-core release.
#
# Usage: scripts/ansible-test.sh sanity|units [extra ansible-test args]
#   KVMHOST_CORES  the release series to run (default: all of KVMHOST_CORE_SERIES)
#
# The release the project venv has (see tests/requirements.txt) runs here on
# Debian's Python; the others run in the Debian 13 controller container
# (scripts/controller.sh) with the venv of tests/requirements-ansible-core-X.txt.
# Each run uses the controller Python of its venv (never a hard-coded one:
# on a target-only Python ansible-test leaves the controller plugins out), and
# its junit results are checked: a skipped or missing test fails the run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/env.sh
. "$here/scripts/env.sh"

# One release on the ansible-test found on PATH (the caller chose the venv).
run_one() {
    local command=$1 label=$2
    shift 2
    local series dest python
    series=$(ansible --version | sed -n 's/.*\[core \([0-9]*\.[0-9]*\)\..*/\1/p' | head -n1)
    # A copy rather than a symlink: ansible-test resolves the real path of the
    # working directory and would then not find itself under ansible_collections.
    dest="$here/.cache/ansible-test/$series/ansible_collections/kvmhost/setup"
    rm -rf "$dest"
    mkdir -p "$dest"
    (cd "$here" && git ls-files -z --cached --others --exclude-standard \
      | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$dest" -xf -
    # ansible-test only treats the tree as a git checkout when it has .git; a
    # fresh repository of the copied files keeps its "tracked files" view exact.
    (cd "$dest" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm copy)

    # The controller Python of this venv, refused unless ansible-test runs
    # controller code on it.
    python=$(python3 - <<'PY'
import sys
from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS
version = "%d.%d" % sys.version_info[:2]
if version not in CONTROLLER_PYTHON_VERSIONS:
    sys.exit("Python %s is not a controller Python of this ansible-test (%s): the "
             "controller plugins and their tests would be skipped"
             % (version, ", ".join(CONTROLLER_PYTHON_VERSIONS)))
print(version)
PY
)

    # ansible-test bootstraps pip in its venvs with a get-pip script downloaded
    # from a host this machine cannot reach. Put an offline stand-in in its cache:
    # ensurepip, then pip installs what get-pip would have installed.
    local pip_version cache
    pip_version=$(python3 - <<'PY'
import re, ansible_test, pathlib
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", src.read_text()).group(1))
PY
)
    cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    mkdir -p "$(dirname "$cache")"
    cat > "$cache" <<'PY'
"""Offline stand-in for get-pip.py: ensurepip, then install the pinned packages."""
import os
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
env = dict(os.environ)
# ensurepip leaves PIP_CONFIG_FILE=/dev/null, which would hide the machine's
# pip configuration (certificates, indexes).
env.pop("PIP_CONFIG_FILE", None)
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], env=env)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--upgrade"] + args, env=env)
PY

    cd "$dest"
    local rc=0 expected=()
    echo "--- ansible-test $command: $label, controller Python $python"
    case "$command" in
        sanity)
            # Tests with nothing to check in this collection would be marked
            # "skipped" (no tests applicable) every time: leave them out, but
            # only while the files they check are absent.
            local skip=()
            if [ -z "$(git ls-files '*.ps1' '*.psm1' '*.psd1')" ]; then
                skip+=(--skip-test pslint)
            fi
            if [ -z "$(git ls-files 'plugins/modules/*__init__.py' 'plugins/module_utils/*__init__.py' \
                       'tests/unit/plugins/modules/*__init__.py' 'tests/unit/plugins/module_utils/*__init__.py')" ]; then
                skip+=(--skip-test empty-init)
            fi
            mapfile -t expected < <(ansible-test sanity --list-tests --python "$python" "${skip[@]}" "$@" 2>/dev/null)
            ansible-test sanity --python "$python" --venv --color no --junit "${skip[@]}" "$@" || rc=$?
            ;;
        units)
            ansible-test units --python "$python" --venv --color no "$@" || rc=$?
            ;;
    esac
    python3 "$here/scripts/check_ansible_test.py" "$command" "$dest" "$label" "${expected[@]}" || rc=1
    return "$rc"
}

command=${1:?usage: $0 sanity|units [args]}
shift
case "$command" in
    sanity|units) ;;
    --one)
        # Internal: one release, inside the controller container.
        sub=${1:?}; label=${2:?}; shift 2
        run_one "$sub" "$label" "$@"
        exit $? ;;
    *) echo "unknown ansible-test command: $command (allowed: sanity, units)" >&2; exit 2 ;;
esac

host_series=$(sed -n 's/^ansible-core==\([0-9]*\.[0-9]*\)\..*/\1/p' "$here/tests/requirements.txt")
rc=0 results=()
for series in ${KVMHOST_CORES:-$KVMHOST_CORE_SERIES}; do
    t0=$SECONDS
    if [ "$series" = "$host_series" ]; then
        version=$(sed -n 's/^ansible-core==//p' "$here/tests/requirements.txt")
        label="ansible-core $version"
        status=0
        (run_one "$command" "$label" "$@") 2>&1 | tee "$here/.cache/ansible-test-$command-$series.log" || status=$?
    else
        version=$(sed -n 's/^ansible-core==//p' "$here/tests/requirements-ansible-core-$series.txt")
        label="ansible-core $version"
        status=0
        bash "$here/scripts/controller.sh" "$series" bash scripts/ansible-test.sh --one "$command" "$label" "$@" \
            2>&1 | tee "$here/.cache/ansible-test-$command-$series.log" || status=$?
    fi
    line=$(grep -E "^$label: $command: " "$here/.cache/ansible-test-$command-$series.log" | tail -n1 || true)
    if [ "$status" -eq 0 ]; then
        results+=("${line:-$label: $command} [passed, $((SECONDS - t0)) s]")
    else
        results+=("${line:-$label: $command} [FAILED, $((SECONDS - t0)) s]")
        rc=1
    fi
done
echo "--- ansible-test $command per ansible-core release:"
printf '  %s\n' "${results[@]}"
exit "$rc"
