#!/bin/sh
# Everything the role could change: libvirt/tuned unit state, unit files and
# links under /etc/systemd/system, and the config files it writes.
# Printed sorted so two snapshots compare as text.
if [ -d /run/systemd/system ]; then
  systemctl list-unit-files --no-pager --no-legend --all 2>/dev/null \
    | grep -E '^(libvirt|virt|tuned)' | sort
  systemctl list-units --all --no-pager --no-legend --plain 2>/dev/null \
    | grep -E '^(libvirt|virt|tuned)' | awk '{print $1, $2, $3}' | sort
fi
find /etc/systemd/system -printf '%p %y %l\n' 2>/dev/null | sort
# "units" asks for unit state only (what a skipped run must not change).
[ "${1:-all}" = units ] && exit 0
find /etc/libvirt /etc/tuned /etc/default -type f 2>/dev/null | sort | xargs -r sha256sum
getent group libvirt
