#!/usr/bin/env bash
# Build the kvmhost.setup test images locally (never pulled from a registry).
#
# Usage: tests/images/build.sh [IMAGE ...]      (no argument: all images)
#   IMAGE: base-bookworm base-trixie libvirt-monolithic libvirt-monolithic-trixie
#          libvirt-modular controller (or "base" for both base images)
#
# Each image is tagged with a content hash of its recipe (the files of its
# recipe directory, the suite, and the parent image's hash), e.g.
#   localhost/kvmhost-test/base:bookworm-<hash>
# and reused when that tag already exists. The stable alias the tests use
# (localhost/kvmhost-test/base:bookworm, ...) is then pointed at it.
# Env: KVMHOST_BUILD_VERBOSE=1 streams build output instead of logging it.
set -euo pipefail

ROOT=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"

IMAGES_DIR="$ROOT/tests/images"
LOG_DIR="$ROOT/.cache/image-logs"
# Bump when the way base images are assembled (below) changes meaningfully.
BASE_BUILDER_VERSION=1

ALL_IMAGES=(base-bookworm base-trixie libvirt-monolithic libvirt-monolithic-trixie
            libvirt-modular controller)

declare -A ALIAS=(
    [base-bookworm]="$KVMHOST_IMAGE_BASE_BOOKWORM"
    [base-trixie]="$KVMHOST_IMAGE_BASE_TRIXIE"
    [libvirt-monolithic]="$KVMHOST_IMAGE_LIBVIRT_MONOLITHIC"
    [libvirt-monolithic-trixie]="$KVMHOST_IMAGE_LIBVIRT_MONOLITHIC_TRIXIE"
    [libvirt-modular]="$KVMHOST_IMAGE_LIBVIRT_MODULAR"
    [controller]="$KVMHOST_IMAGE_CONTROLLER"
)
declare -A PARENT=(
    [libvirt-monolithic]=base-bookworm
    [libvirt-monolithic-trixie]=base-trixie
    [libvirt-modular]=base-trixie
    [controller]=libvirt-monolithic-trixie
)
# Images built from another image's recipe directory (same Containerfile,
# another parent): Debian 13's monolithic libvirt is packaged like Debian 12's.
declare -A RECIPE=(
    [libvirt-monolithic-trixie]=libvirt-monolithic
)
declare -A HASH=()   # image key -> recipe hash, filled by ensure_image

die() { printf 'build: ERROR: %s\n' "$*" >&2; exit 1; }

if [ ! -f "$CONTAINERS_CONF" ]; then
    die "$CONTAINERS_CONF missing: run scripts/bootstrap.sh first"
fi

# Run a build command; output goes to a log (or the terminal when verbose).
# On failure the end of the log is shown and the script stops.
run_step() {
    local key=$1; shift
    local log="$LOG_DIR/$key.log"
    mkdir -p "$LOG_DIR"
    printf '### %s\n' "$*" >>"$log"
    if [ "${KVMHOST_BUILD_VERBOSE:-0}" = 1 ]; then
        "$@" 2>&1 | tee -a "$log"
        local rc=${PIPESTATUS[0]}
    else
        local rc=0
        "$@" >>"$log" 2>&1 || rc=$?
    fi
    if [ "$rc" -ne 0 ]; then
        printf '\nbuild: %s: command failed (exit %s): %s\n' "$key" "$rc" "$*" >&2
        printf 'build: last 150 lines of %s:\n' "$log" >&2
        tail -n 150 "$log" >&2
        exit "$rc"
    fi
}

# sha256 over: the given strings, then every file of the recipe directory
# (relative path and content), in a stable order.
recipe_hash() {
    local dir=$1; shift
    {
        printf '%s\n' "$@"
        (cd "$dir" && find . -type f ! -name '*~' -print0 | LC_ALL=C sort -z |
            xargs -0 sha256sum)
    } | sha256sum | cut -c1-16
}

# Remove other hash tags of the same image (superseded recipes) so old
# builds do not pile up; the layers go with the next `podman image prune`.
untag_stale() {
    local keep=$2 repo=${1%:*} tag=${1##*:} name
    while read -r name; do
        [ "$name" = "$keep" ] && continue
        case "${name##*:}" in
            "$tag"-????????????????) podman untag "$name" "$name" >/dev/null 2>&1 || true ;;
        esac
    done < <(podman images --format '{{.Repository}}:{{.Tag}}' "$repo" 2>/dev/null)
}

build_base() {
    local key=$1 suite=$2 hashtag=$3 hash=$4
    # shellcheck source=tests/images/base/debootstrap.conf
    . "$IMAGES_DIR/base/debootstrap.conf"
    local include rootfs changes=()
    include=$(grep -v -e '^#' -e '^[[:space:]]*$' "$IMAGES_DIR/base/packages" | paste -sd, -)
    mkdir -p "$ROOT/.cache/debootstrap/$suite"
    rootfs=$(mktemp -d "$ROOT/.cache/rootfs-$suite.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$rootfs'" EXIT
    run_step "$key" debootstrap --variant="$DEBOOTSTRAP_VARIANT" \
        --components="$DEBIAN_COMPONENTS" --include="$include" \
        --cache-dir="$ROOT/.cache/debootstrap/$suite" \
        "$suite" "$rootfs" "$DEBIAN_MIRROR"
    install -m 0755 "$IMAGES_DIR/base/customize.sh" "$rootfs/customize.sh"
    run_step "$key" chroot "$rootfs" /customize.sh "$suite" "$DEBIAN_MIRROR" \
        "$DEBIAN_SECURITY_MIRROR" "$DEBIAN_COMPONENTS"
    rm -f "$rootfs/customize.sh"
    while IFS= read -r line; do
        [ -n "$line" ] && changes+=(--change "$line")
    done <"$IMAGES_DIR/base/import-changes"
    changes+=(--change "LABEL org.kvmhost.recipe-hash=$hash")
    # shellcheck disable=SC2016  # expanded by the inner bash
    run_step "$key" bash -c 'set -o pipefail; tar --numeric-owner --xattrs -C "$1" -c . |
        podman import "${@:3}" --message "kvmhost-test base $2" - "$2"' \
        _ "$rootfs" "$hashtag" "${changes[@]}"
    rm -rf "$rootfs"
    trap - EXIT
}

build_containerfile() {
    local key=$1 parent_tag=$2 hashtag=$3 hash=$4
    # Builds run apt inside the build container. The default (CNI bridge)
    # network works for RUN steps here; KVMHOST_BUILD_NETWORK overrides it.
    local net=()
    [ -n "${KVMHOST_BUILD_NETWORK:-}" ] && net=(--network "$KVMHOST_BUILD_NETWORK")
    run_step "$key" podman build --pull=never "${net[@]}" \
        --build-arg "BASE_IMAGE=$parent_tag" \
        --label "org.kvmhost.recipe-hash=$hash" \
        -f "$IMAGES_DIR/${RECIPE[$key]:-$key}/Containerfile" -t "$hashtag" \
        "$IMAGES_DIR/${RECIPE[$key]:-$key}"
}

ensure_image() {
    local key=$1
    [ -n "${HASH[$key]:-}" ] && return 0
    local alias=${ALIAS[$key]} parent=${PARENT[$key]:-} parent_tag="" hash dir
    if [ -n "$parent" ]; then
        ensure_image "$parent"
        parent_tag="${ALIAS[$parent]}-${HASH[$parent]}"
    fi
    case "$key" in
        base-*) dir="$IMAGES_DIR/base"
                hash=$(recipe_hash "$dir" "base" "${key#base-}" "$BASE_BUILDER_VERSION") ;;
        *)      dir="$IMAGES_DIR/${RECIPE[$key]:-$key}"
                hash=$(recipe_hash "$dir" "${RECIPE[$key]:-$key}" "parent=$parent_tag") ;;
    esac
    local hashtag="$alias-$hash"
    if podman image exists "$hashtag"; then
        printf 'build: %-20s reused  %s\n' "$key" "$hashtag"
    else
        local t0=$SECONDS
        mkdir -p "$LOG_DIR"; : >"$LOG_DIR/$key.log"
        printf 'build: %-20s building %s (log: %s)\n' "$key" "$hashtag" "${LOG_DIR#"$ROOT"/}/$key.log"
        case "$key" in
            base-*) build_base "$key" "${key#base-}" "$hashtag" "$hash" ;;
            *)      build_containerfile "$key" "$parent_tag" "$hashtag" "$hash" ;;
        esac
        printf 'build: %-20s built in %s s  %s\n' "$key" "$((SECONDS - t0))" "$hashtag"
    fi
    podman tag "$hashtag" "$alias"
    untag_stale "$alias" "$hashtag"
    HASH[$key]=$hash
}

targets=()
if [ $# -eq 0 ]; then
    targets=("${ALL_IMAGES[@]}")
else
    for arg in "$@"; do
        case "$arg" in
            base) targets+=(base-bookworm base-trixie) ;;
            base-bookworm|base-trixie|libvirt-monolithic|libvirt-monolithic-trixie|libvirt-modular|controller)
                targets+=("$arg") ;;
            *) die "unknown image '$arg' (known: base ${ALL_IMAGES[*]})" ;;
        esac
    done
fi

T0=$SECONDS
for key in "${targets[@]}"; do
    ensure_image "$key"
done
printf 'build: done in %s s\n' "$((SECONDS - T0))"
