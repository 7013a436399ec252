#!/bin/sh
# Everything the role could change: libvirt/tuned unit state, unit files and
# links under /etc/systemd/system, and the config files it writes.
# Printed sorted so two snapshots compare as text.
if [ -d /run/systemd/system ]; then
  systemctl list-unit-files --no-pager --no-legend --all 2>/dev/null \
    | grep -E '^(libvirt|virt|tuned)' | sort
  # A socket-activated daemon exits after its idle timeout (--timeout 120) on its own:
  # a service whose socket listens counts as "socket-activated", running or idle, so
  # the snapshot shows what the role did, not how long the test took.
  systemctl list-units --all --no-pager --no-legend --plain 2>/dev/null \
    | grep -E '^(libvirt|virt|tuned)' \
    | awk '{ state[$1] = $2 " " $3 }
           END { for (unit in state) {
                   shown = state[unit]; sock = unit
                   if (sub(/[.]service$/, ".socket", sock) && state[sock] == "loaded active")
                     shown = "loaded socket-activated"
                   print unit, shown } }' | sort
fi
find /etc/systemd/system -printf '%p %y %l\n' 2>/dev/null | sort
# "units" asks for unit state only (what a skipped run must not change).
[ "${1:-all}" = units ] && exit 0
find /etc/libvirt /etc/tuned /etc/default /etc/modprobe.d -type f 2>/dev/null | sort | xargs -r sha256sum
getent group libvirt
