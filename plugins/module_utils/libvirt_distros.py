# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the collection knows about distributions, in one table.

Each family: the names Ansible's facts (and os-release ids) give its members, the
os_family that stands for it when the name is unknown, the major version since which
a fresh install runs libvirt's modular daemons (None: never), the packages that ship
each daemon's units (for "not installed" messages), and the packages the role
installs. Releases that differ from their family say so in ``releases``. The names
are checked against each distribution's own package metadata
(tests/unit/plugins/module_utils/fixtures/packages/).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    MONOLITHIC_DAEMON,
    PROXY_DAEMON,
    SHARED_DAEMONS,
    daemon_driver,
    unit_daemon,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.ordered import unique

# EL and Fedora split libvirt-daemon into per-driver packages; the storage daemon lives
# in the -storage-core subpackage; virtproxyd is its own package (not installed by default).
# qemu-kvm is QEMU for the host's own architecture; libvirt-daemon-kvm pulls in every
# driver a KVM host needs.
_RPM_PACKAGES = {
    'daemons': {
        MONOLITHIC_DAEMON: 'libvirt-daemon',
        PROXY_DAEMON: 'libvirt-daemon-proxy',
        'virtlogd': 'libvirt-daemon-log',
        'virtlockd': 'libvirt-daemon-lock',
    },
    'drivers': {'storage': 'libvirt-daemon-driver-storage-core'},
    'driver_default': 'libvirt-daemon-driver-{0}',
    # the spec has no vz package; for RHEL it builds no lxc, libxl, vbox or ch either
    'unpackaged_drivers': ('vz',),
    'install': ('qemu-kvm', 'libvirt-daemon-kvm', 'libvirt-client', 'tuned'),
    'install_remote': ('libvirt-daemon-proxy',),
}
_EL_PACKAGES = dict(_RPM_PACKAGES, unpackaged_drivers=('lxc', 'libxl', 'vbox', 'ch', 'vz'))
# {qemu} stands for the QEMU system emulator of the host's architecture.
_DEB_PACKAGES = {
    'daemons': dict((daemon, 'libvirt-daemon-system') for daemon in (MONOLITHIC_DAEMON,) + SHARED_DAEMONS),
    'drivers': {},
    'driver_default': None,
    'modular_note': 'Debian and Ubuntu ship no modular daemons: use mode=monolithic',
    'install': ('libvirt-daemon-system', 'libvirt-clients', '{qemu}', 'qemu-utils', 'tuned'),
    'install_remote': (),
    'qemu': {'x86_64': 'qemu-system-x86', 'aarch64': 'qemu-system-arm', 'ppc64le': 'qemu-system-ppc',
             's390x': 'qemu-system-s390x'},
    'qemu_default': 'qemu-system-x86',
    # Releases that differ from the family (distribution, since major version, until the
    # major version where given):
    # - qemu: the QEMU emulator packages for these architectures instead;
    # - daemons: the packages that ship these daemons instead;
    # - install: installed besides the family's list;
    # - hwe: an opt-in stack whose packages conflict with the base ones. A host that has
    #   any of ``detect`` installed keeps that stack: each base name in ``replace`` becomes
    #   its counterpart, or is left out (None) where the stack has no counterpart known.
    'releases': (
        # Debian 12 builds s390x's emulator into qemu-system-misc; 13 has qemu-system-s390x.
        {'distribution': 'debian', 'since': 0, 'until': 13, 'qemu': {'s390x': 'qemu-system-misc'}},
        # Debian 13 moved virtlockd into its own package, which libvirt-daemon-system only
        # recommends: without it virtlockd.socket, which both modes use, is missing.
        {'distribution': 'debian', 'since': 13,
         'daemons': {'virtlockd': 'libvirt-daemon-lock'},
         'install': ('libvirt-daemon-lock', 'libvirt-daemon-plugin-lockd')},
        # Ubuntu 26.04 splits virtlockd out as Debian 13 does, and has an opt-in -hwe stack
        # (libvirt and QEMU of a newer release) whose packages all conflict with the base
        # stack's: only x86's emulator has a counterpart.
        {'distribution': 'ubuntu', 'since': 26,
         'daemons': {'virtlockd': 'libvirt-daemon-lock'},
         'install': ('libvirt-daemon-lock', 'libvirt-daemon-plugin-lockd'),
         'hwe': {'detect': ('libvirt-clients-hwe', 'libvirt-daemon-driver-qemu-hwe', 'libvirt-daemon-hwe',
                            'libvirt-daemon-lock-hwe', 'libvirt-daemon-plugin-lockd-hwe',
                            'libvirt-daemon-system-hwe', 'qemu-system-x86-hwe', 'qemu-utils-hwe',
                            'ubuntu-virt-hwe'),
                 'replace': {'libvirt-daemon-system': 'libvirt-daemon-system-hwe',
                             'libvirt-clients': 'libvirt-clients-hwe',
                             'libvirt-daemon-lock': 'libvirt-daemon-lock-hwe',
                             'libvirt-daemon-plugin-lockd': 'libvirt-daemon-plugin-lockd-hwe',
                             'qemu-system-x86': 'qemu-system-x86-hwe',
                             'qemu-utils': 'qemu-utils-hwe',
                             'qemu-system-arm': None, 'qemu-system-ppc': None, 'qemu-system-s390x': None}}},
    ),
}

# names are normalised: lower case, no blanks, dashes or underscores
DISTRIBUTIONS = (
    {'family': 'fedora', 'label': 'Fedora', 'names': ('fedora',), 'os_family': None,
     'modular_since': 35, 'packages': _RPM_PACKAGES, 'initconf_dir': '/etc/sysconfig'},
    {'family': 'el', 'label': 'EL', 'os_family': 'redhat', 'modular_since': 9, 'packages': _EL_PACKAGES,
     'initconf_dir': '/etc/sysconfig',
     'names': ('redhat', 'rhel', 'centos', 'centosstream', 'rocky', 'almalinux', 'alma', 'oraclelinux',
               'ol', 'oracle', 'scientific', 'eurolinux', 'navylinux', 'miraclelinux')},
    {'family': 'debian', 'label': 'Debian', 'os_family': 'debian', 'modular_since': None, 'packages': _DEB_PACKAGES,
     'initconf_dir': '/etc/default',
     'names': ('debian', 'ubuntu', 'linuxmint', 'pop', 'raspbian', 'devuan', 'kali')},
)
# os_family RedHat, but versions that are not EL majors
NOT_EL_NAMES = ('amazon', 'amzn')


def _norm(value):
    if value is None:
        return ''
    return re.sub(r'[\s_-]+', '', str(value)).lower()


def _fact(facts, key):
    value = facts.get(key)
    if value in (None, ''):
        value = facts.get('ansible_' + key)
    return value


def distribution(facts):
    """The table row for Ansible-style facts, None when the distribution is not known."""
    name = _norm(_fact(facts, 'distribution'))
    for row in DISTRIBUTIONS:
        if name in row['names']:
            return row
    if name in NOT_EL_NAMES:
        return None
    family = _norm(_fact(facts, 'os_family'))
    for row in DISTRIBUTIONS:
        if row['os_family'] and family == row['os_family']:
            return row
    return None


def major_version(facts):
    """Major version as an int, None when missing or not numeric."""
    for key in ('distribution_major_version', 'distribution_version'):
        value = _fact(facts, key)
        match = re.match(r'\s*(\d+)', str(value)) if value not in (None, '') else None
        if match:
            return int(match.group(1))
    return None


def _describe(facts):
    """The distribution as the facts spell it, with its major version."""
    dist = _fact(facts, 'distribution') or _fact(facts, 'os_family') or 'unknown distribution'
    major = major_version(facts)
    return '{0} {1}'.format(dist, major) if major is not None else str(dist)


def default_mode(facts):
    """(mode, reason) of a fresh install of this distribution."""
    row = distribution(facts)
    what = _describe(facts)
    if row is None:
        return 'monolithic', 'distribution default: {0} is not known, monolithic libvirtd assumed'.format(what)
    since = row['modular_since']
    if since is None:
        return 'monolithic', 'distribution default: {0} ships only monolithic libvirtd'.format(what)
    major = major_version(facts)
    if major is not None and major >= since:
        return 'modular', 'distribution default: {0} ({1} >= {2}) defaults to modular daemons'.format(
            what, row['label'], since)
    return 'monolithic', 'distribution default: {0} ({1} < {2}) uses monolithic libvirtd'.format(
        what, row['label'], since)


def env_file(facts, name):
    """Where this distribution keeps a service's environment file (libvirt's
    @initconfdir@: /etc/sysconfig/NAME or /etc/default/NAME), None when it is not known."""
    row = distribution(facts)
    return '{0}/{1}'.format(row['initconf_dir'], name) if row else None


def _releases(facts):
    """The release rules of the table that apply to these facts, oldest first."""
    row = distribution(facts)
    if row is None:
        return []
    name, major = _norm(_fact(facts, 'distribution')), major_version(facts)
    return [release for release in row['packages'].get('releases', ())
            if release['distribution'] == name and major is not None
            and release['since'] <= major < release.get('until', major + 1)]


def hwe_packages(facts):
    """The opt-in stack's package names to look for on this host (sorted), none for most."""
    names = set()
    for release in _releases(facts):
        names.update(release.get('hwe', {}).get('detect', ()))
    return sorted(names)


def install_packages(facts, architecture, remote=False, installed=()):
    """The packages the role installs on this host, in order.

    ``architecture`` as Ansible's facts spell it (x86_64, aarch64, ...); ``remote``: the
    host serves remote clients or the proxy; ``installed``: those of hwe_packages() that
    the host has installed (a host on the opt-in stack keeps it)."""
    row = distribution(facts)
    if row is None:
        return []
    packages = row['packages']
    releases = _releases(facts)
    qemu_names = dict(packages.get('qemu', {}))
    for release in releases:
        qemu_names.update(release.get('qemu', {}))
    qemu = qemu_names.get(architecture, packages.get('qemu_default'))
    names = [name.format(qemu=qemu) for name in packages['install']]
    if remote:
        names.extend(packages['install_remote'])
    on_stack = set(installed)
    for release in releases:
        names.extend(release.get('install', ()))
        hwe = release.get('hwe', {})
        if on_stack & set(hwe.get('detect', ())):
            replace = hwe['replace']
            names = [replace.get(name, name) for name in names]
    return unique(name for name in names if name is not None)


def parse_dpkg_installed(text):
    """Names that ``dpkg-query -W -f '${Package} ${db:Status-Status}\\n'`` reports installed."""
    names = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1] == 'installed':
            names.append(fields[0])
    return sorted(set(names))


def parse_rpm_missing(text):
    """Names that ``rpm -q --whatprovides NAME...`` says no installed package provides."""
    prefix = 'no package provides '
    return sorted(set(line[len(prefix):].strip() for line in text.splitlines() if line.startswith(prefix)))


def package_hint(unit, facts):
    """(package or None, note or None): what ships a catalogued unit on this distribution."""
    daemon = unit_daemon(unit)
    row = distribution(facts)
    if daemon is None or row is None:
        return None, None
    packages = row['packages']
    for release in _releases(facts):
        if daemon in release.get('daemons', {}):
            return release['daemons'][daemon], None
    if daemon in packages['daemons']:
        return packages['daemons'][daemon], None
    if packages['driver_default'] is None:
        return None, packages.get('modular_note')
    drv = daemon_driver(daemon)
    if drv in packages.get('unpackaged_drivers', ()):
        return None, 'the {0} driver is not packaged on this distribution'.format(drv)
    return packages['drivers'].get(drv, packages['driver_default'].format(drv)), None


def missing_text(missing, facts):
    """'unit (package X)' for each unit, for the "not installed" refusal."""
    parts = []
    for unit in missing:
        package, note = package_hint(unit, facts)
        parts.append('{0} ({1})'.format(unit, 'package ' + package if package else note) if package or note else unit)
    return ', '.join(parts)
