#!/bin/sh
# Runs inside the debootstrapped rootfs (chroot) before `podman import`.
# Usage: customize.sh SUITE MIRROR SECURITY_MIRROR COMPONENTS
set -eu
suite=$1 mirror=$2 security=$3 components=$4

# apt sources of a freshly installed Debian host: release, updates, security.
cat >/etc/apt/sources.list <<SOURCES
deb $mirror $suite $components
deb $mirror $suite-updates $components
deb $security $suite-security $components
SOURCES

# systemd boots cleanly as it is (measured: "running", no failed unit, so
# nothing else is masked: the images keep systemd honest). Only apt's periodic
# jobs are masked: they take the dpkg lock at random times and would make the
# role's apt tasks flaky.
for unit in apt-daily.timer apt-daily-upgrade.timer; do
    ln -sf /dev/null "/etc/systemd/system/$unit"
done

# A container gets its machine id (generated at boot when this file is empty),
# hostname and resolver from the engine.
: >/etc/machine-id
: >/etc/resolv.conf
printf 'localhost\n' >/etc/hostname

# The host's sources/caches must not leak in; keep the package lists (a fresh
# host has them), drop downloaded .debs.
apt-get clean
rm -rf /var/log/apt/* /var/log/dpkg.log /var/log/bootstrap.log /tmp/* /var/tmp/*
