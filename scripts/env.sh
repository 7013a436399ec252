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

# Project venv first on PATH (only once, however often this file is sourced).
case ":${PATH}:" in
    *":$KVMHOST_ROOT/.venv/bin:"*) ;;
    *) PATH="$KVMHOST_ROOT/.venv/bin:$PATH" ;;
esac
export PATH

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
