#!/usr/bin/env bash
# make demo: start a throwaway systemd container, run the role against it,
# print what it did (unit, before, after), remove the container.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# shellcheck source=scripts/env.sh
. scripts/env.sh
start=$SECONDS

image=$KVMHOST_IMAGE_LIBVIRT_MONOLITHIC
bash tests/images/build.sh libvirt-monolithic

name="kvmhost-demo-$$"
result="$here/.cache/demo-result.json"
cleanup() { podman rm -f -t 5 "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "starting $name from $image"
podman run -d --name "$name" "$image" /sbin/init >/dev/null
for _ in $(seq 1 60); do
  state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 1
done

ansible-playbook -i "$name," -c containers.podman.podman \
  -e ansible_python_interpreter=/usr/bin/python3 \
  -e kvmhost_demo_result="$result" demo/playbook.yml
echo
python3 demo/table.py "$result"
echo "demo took $((SECONDS - start)) s"
