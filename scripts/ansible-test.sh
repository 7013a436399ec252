#!/usr/bin/env bash
# Run ansible-test (sanity or units) on a copy of the collection placed where
# ansible-test insists it lives: .../ansible_collections/kvmhost/setup/.
# Usage: scripts/ansible-test.sh sanity|units [extra ansible-test args]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/env.sh
. "$here/scripts/env.sh"

command=${1:?usage: $0 sanity|units [args]}
shift

# A copy rather than a symlink: ansible-test resolves the real path of the
# working directory and would then not find itself under ansible_collections.
dest="$here/.cache/ansible-test/ansible_collections/kvmhost/setup"
rm -rf "$dest"
mkdir -p "$dest"
(cd "$here" && git ls-files -z --cached --others --exclude-standard \
  | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$dest" -xf -
# ansible-test only treats the tree as a git checkout when it has .git; a
# fresh repository of the copied files keeps its "tracked files" view exact.
(cd "$dest" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm copy)

# ansible-test bootstraps pip in its venvs with a get-pip script downloaded
# from a host this machine cannot reach. Put an offline stand-in in its cache:
# ensurepip, then pip installs what get-pip would have installed.
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
case "$command" in
  sanity) exec ansible-test sanity --python 3.11 --venv --color no "$@" ;;
  units) exec ansible-test units --python 3.11 --venv --color no "$@" ;;
  *) echo "unknown ansible-test command: $command (allowed: sanity, units)" >&2; exit 2 ;;
esac
