#!/usr/bin/env bash
# make demo [DEMO=rocky9|debian]: start a throwaway systemd container, run
# the role against it, print what it did (unit, before, after), remove it.
#   rocky9 (default): a fresh Rocky Linux 9 host with real modular libvirt
#     (both daemon sets installed, nothing enabled), built from Debian's
#     libvirt source package; the first run builds that image (about 5 min).
#   debian: a fresh Debian 12 host with Debian's monolithic libvirt.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# shellcheck source=scripts/env.sh
. scripts/env.sh
start=$SECONDS

case "${1:-rocky9}" in
  rocky9)
    note="a Debian-built container (Debian's libvirt) made to report Rocky Linux 9, not a Rocky machine"
    image=$KVMHOST_IMAGE_LIBVIRT_MODULAR
    bash tests/images/build.sh libvirt-modular
    extra=(-e kvmhost_test_release=rocky-9 -e kvmhost_test_release_file=rocky-release
           -e kvmhost_setup_install_packages=false) ;;
  debian)
    note="a Debian 12 container with Debian's own libvirt"
    image=$KVMHOST_IMAGE_LIBVIRT_MONOLITHIC
    bash tests/images/build.sh libvirt-monolithic
    extra=() ;;
  *) echo "unknown demo: $1 (allowed: rocky9, debian)" >&2; exit 2 ;;
esac

name="kvmhost-demo-$$"
result="$here/.cache/demo-result.json"
cleanup() { podman rm -f -t 5 "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "note: the demo host is $note"
echo "starting $name from $image"
podman run -d --name "$name" "$image" /sbin/init >/dev/null
for _ in $(seq 1 60); do
  state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 1
done

ansible-playbook -i "$name," -c containers.podman.podman \
  -e ansible_python_interpreter=/usr/bin/python3 \
  -e kvmhost_demo_result="$result" "${extra[@]}" demo/playbook.yml
echo
python3 demo/table.py "$result"
echo "demo took $((SECONDS - start)) s"
