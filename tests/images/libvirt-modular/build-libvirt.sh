#!/bin/sh
# Configure, build and install libvirt (upstream meson) into a DESTDIR, with
# Debian's paths and the QEMU user Debian uses (libvirt-qemu).
# Usage: build-libvirt.sh SRCDIR DESTDIR
set -eu
src=$1 destdir=$2
cd "$src"

enabled="driver_libvirtd driver_remote driver_qemu driver_network
    driver_interface driver_secrets driver_test udev pciaccess storage_dir
    libnl json_c capng readline"
disabled="driver_lxc driver_libxl driver_vbox driver_ch driver_esx
    driver_hyperv driver_openvz driver_vmware driver_vz driver_bhyve
    polkit sasl libssh libssh2 apparmor selinux nss wireshark_dissector
    dtrace docs tests nls rpath bash_completion"
opts=""
for o in $enabled;  do opts="$opts -D$o=enabled"; done
for o in $disabled; do opts="$opts -D$o=disabled"; done

# shellcheck disable=SC2086
meson setup build \
    --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
    --libdir=lib/x86_64-linux-gnu --libexecdir=/usr/lib/libvirt \
    --buildtype=plain \
    -Drunstatedir=/run \
    -Dunitdir=/usr/lib/systemd/system \
    -Dsysusersdir=/usr/lib/sysusers.d \
    -Dinitconfdir=/etc/default \
    -Dno_git=true \
    -Dinit_script=systemd \
    -Dremote_default_mode=direct \
    -Dqemu_user=libvirt-qemu -Dqemu_group=libvirt-qemu \
    -Dqemu_moddir=/usr/lib/x86_64-linux-gnu/qemu \
    -Dqemu_datadir=/usr/share/qemu \
    $opts

ninja -C build
DESTDIR="$destdir" meson install -C build --strip --no-rebuild
echo "installed into $destdir:"
ls "$destdir/usr/sbin"
