# shellcheck shell=sh
# Sourced (never executed) by every project script and Makefile recipe:
#     . scripts/env.sh
# POSIX sh compatible (Makefile recipes run /bin/sh). Prints nothing.

# Repository root: explicit override, else this file's location (bash), else git, else $PWD.
if [ -z "${KVMHOST_ROOT:-}" ]; then
    if [ -n "${BASH_SOURCE:-}" ]; then
        KVMHOST_ROOT=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE}")/.." && pwd)
    else
        KVMHOST_ROOT=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
    fi
fi
export KVMHOST_ROOT

# The project's podman settings (rendered by scripts/bootstrap.sh from
# tests/podman/containers.conf.in). Podman reads the file named here.
export CONTAINERS_CONF="$KVMHOST_ROOT/.cache/containers.conf"

# No pyenv (or other per-user) interpreters: a user's fresh Debian 12 has only
# Debian's /usr/bin/python3, so tests must not find python3.x anywhere else.
_kvmhost_path=""
_kvmhost_ifs=$IFS
IFS=:
for _kvmhost_dir in $PATH; do
    case "$_kvmhost_dir" in
        */.pyenv/*) ;;
        *) _kvmhost_path="${_kvmhost_path:+$_kvmhost_path:}$_kvmhost_dir" ;;
    esac
done
IFS=$_kvmhost_ifs
PATH=$_kvmhost_path
unset _kvmhost_path _kvmhost_ifs _kvmhost_dir PYENV_VERSION

# Project venv first on PATH (only once, however often this file is sourced).
# KVMHOST_VENV names another one: scripts/controller.sh sets it to the venv of
# the ansible-core release it runs.
KVMHOST_VENV="${KVMHOST_VENV:-$KVMHOST_ROOT/.venv}"
export KVMHOST_VENV
case ":${PATH}:" in
    *":$KVMHOST_VENV/bin:"*) ;;
    *) PATH="$KVMHOST_VENV/bin:$PATH" ;;
esac
export PATH

# The ansible-core release series the collection supports and tests (sanity
# and units on each, lint and molecule also on the newest, the last one).
# meta/runtime.yml's requires_ansible says the same.
export KVMHOST_CORE_SERIES="2.19 2.20 2.21"

# Ansible defaults; values already in the environment win.
export ANSIBLE_NOCOWS="${ANSIBLE_NOCOWS:-1}"
export ANSIBLE_RETRY_FILES_ENABLED="${ANSIBLE_RETRY_FILES_ENABLED:-0}"
export ANSIBLE_HOST_KEY_CHECKING="${ANSIBLE_HOST_KEY_CHECKING:-False}"
export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-0}"

# Test images (built locally by tests/images/build.sh, never pulled).
# These names are a contract used by molecule scenarios and harness tests.
export KVMHOST_IMAGE_BASE_BOOKWORM="localhost/kvmhost-test/base:bookworm"
export KVMHOST_IMAGE_BASE_TRIXIE="localhost/kvmhost-test/base:trixie"
export KVMHOST_IMAGE_LIBVIRT_MONOLITHIC="localhost/kvmhost-test/libvirt-monolithic:bookworm"
export KVMHOST_IMAGE_LIBVIRT_MODULAR="localhost/kvmhost-test/libvirt-modular:trixie"
export KVMHOST_IMAGE_LIBVIRT_MONOLITHIC_TRIXIE="localhost/kvmhost-test/libvirt-monolithic:trixie"
# Debian 13's libvirt plus python3-venv, shellcheck and git: the controller
# for the ansible-core releases that need a newer Python than Debian 12's.
export KVMHOST_IMAGE_CONTROLLER="localhost/kvmhost-test/controller:trixie"

# Ansible finds this collection as kvmhost.setup through a link that
# scripts/bootstrap.sh keeps at .cache/collections/ansible_collections/kvmhost/setup.
export ANSIBLE_COLLECTIONS_PATH="$KVMHOST_ROOT/.cache/collections"

# Molecule platforms pass this device in: KVM where the machine has it; where
# it does not, a harmless stand-in, and the test guests fall back to TCG.
if [ -e /dev/kvm ]; then
    export KVMHOST_KVM_DEVICE=/dev/kvm
else
    export KVMHOST_KVM_DEVICE=/dev/null
fi
