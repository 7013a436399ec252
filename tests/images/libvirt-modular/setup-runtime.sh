#!/bin/sh
# Final setup of the modular runtime image (runs once during the image build).
set -eu

ldconfig
systemd-sysusers
getent passwd libvirt-qemu | grep -q ':64055:64055:'
id -nG libvirt-qemu | grep -qw kvm
getent group libvirt >/dev/null

# Every binary and library of the build must resolve its libraries.
missing=$( {
        find /usr/sbin /usr/bin -maxdepth 1 -type f \( -name 'virt*' -o -name 'libvirt*' \)
        find /usr/lib/libvirt /usr/lib/x86_64-linux-gnu/libvirt -type f
        find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name 'libvirt*.so*' -type f
    } | xargs -r ldd 2>/dev/null | grep 'not found' || true)
if [ -n "$missing" ]; then
    echo "ERROR: unresolved libraries:" >&2
    echo "$missing" >&2
    exit 1
fi

# Guests inside an unprivileged container: no xattr ownership memory, no
# cgroup controllers (cgroup v1 is read-only there), no mount namespaces.
cat >>/etc/libvirt/qemu.conf <<'CONF'

# kvmhost-test: guests inside an unprivileged container
remember_owner = 0
cgroup_controllers = [ ]
namespaces = [ ]
CONF
# The nftables backend fails here ("Failed to load TC action module").
cat >>/etc/libvirt/network.conf <<'CONF'

# kvmhost-test: nftables backend fails in this container/kernel
firewall_backend = "iptables"
CONF

# polkitd is here only as a dependency of tuned (libvirt is built without
# polkit). Under trixie's systemd its hardened unit (User= plus sandboxing)
# needs CAP_SYS_ADMIN, which an unprivileged podman container lacks:
#   "Failed to keep CAP_SYS_ADMIN: Operation not permitted" -> 217/USER
# Masked so the container boots "running"; tuned-adm works without it.
ln -sf /dev/null /etc/systemd/system/polkit.service

# Clean slate: no libvirt unit may be enabled.
enabled=$(find /etc/systemd/system -name 'virt*' -o -name 'libvirt*' | sort)
if [ -n "$enabled" ]; then
    echo "ERROR: libvirt units enabled in the image:" >&2
    echo "$enabled" >&2
    exit 1
fi
for d in virtqemud virtnetworkd virtstoraged virtnodedevd virtsecretd \
         virtinterfaced virtnwfilterd virtproxyd virtlogd virtlockd libvirtd; do
    test -x "/usr/sbin/$d"
    test -f "/usr/lib/systemd/system/$d.service"
    test -f "/usr/lib/systemd/system/$d.socket"
done
virsh --version
