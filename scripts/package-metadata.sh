#!/usr/bin/env bash
# Write the Debian package-name test data from the real Debian images' own
# archive metadata: every binary package (not a virtual one) whose name starts
# with libvirt, qemu or tuned, as `apt-cache show` knows it in the image.
# The unit tests check the names the role installs against these files;
# tests/harness/test_package_metadata.py checks the files against the images.
# Usage: bash scripts/package-metadata.sh [--check]
set -euo pipefail
ROOT=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
OUT="$ROOT/tests/unit/plugins/module_utils/fixtures/packages"
PREFIXES="libvirt qemu tuned"

# The names, one a line, sorted: pkgnames lists virtual packages too, and
# apt-cache show prints a record only for the real ones.
names_in() {
    podman run --rm --network none "$1" sh -c '
        names=$(for p in '"$PREFIXES"'; do apt-cache pkgnames "$p"; done | sort -u)
        # shellcheck disable=SC2086
        apt-cache show --no-all-versions $names 2>/dev/null | sed -n "s/^Package: //p" | sort -u'
}

render() { # image label release
    local image=$1 label=$2 release=$3
    printf '# %s\n' "$label"
    printf '# source: apt-cache show in %s (the archive metadata debootstrap and\n' "$image"
    printf '#   apt-get update put into the image; suites %s, %s-updates, %s-security, main, amd64):\n' \
        "$release" "$release" "$release"
    printf '#   every binary package whose name starts with %s\n' "${PREFIXES// /, }"
    printf '# architectures: x86_64 aarch64 ppc64le s390x (the index is amd64'"'"'s; Debian builds the same\n'
    printf '#   libvirt and qemu-system-* binary packages on each of these)\n'
    printf '# regenerate: bash scripts/package-metadata.sh\n'
    names_in "$image"
}

check=false
[ "${1:-}" = --check ] && check=true
status=0
for row in "debian-12 localhost/kvmhost-test/libvirt-monolithic:bookworm bookworm" \
           "debian-13 localhost/kvmhost-test/libvirt-monolithic:trixie trixie"; do
    # shellcheck disable=SC2086 # the row's three words
    set -- $row
    label="Debian ${1#debian-} ($3)"
    if $check; then
        if ! diff -u "$OUT/$1.txt" <(render "$2" "$label" "$3"); then
            echo "package-metadata: $OUT/$1.txt differs from $2's metadata" >&2
            status=1
        fi
    else
        render "$2" "$label" "$3" >"$OUT/$1.txt"
        echo "package-metadata: wrote $OUT/$1.txt ($(grep -vc '^#' "$OUT/$1.txt") names)"
    fi
done
exit $status
