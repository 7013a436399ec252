# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the collection knows about distributions, in one table.

Each family: the names Ansible's facts (and os-release ids) give its members, the
os_family that stands for it when the name is unknown, the major version since which
a fresh install runs libvirt's modular daemons (None: never), and the packages that
ship each daemon's units (for "not installed" messages). The role's vars/ hold only
what the package manager installs.
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

# EL and Fedora split libvirt-daemon into per-driver packages; the storage daemon lives
# in the -storage-core subpackage; virtproxyd is its own package (not installed by default).
_RPM_PACKAGES = {
    'daemons': {
        MONOLITHIC_DAEMON: 'libvirt-daemon',
        PROXY_DAEMON: 'libvirt-daemon-proxy',
        'virtlogd': 'libvirt-daemon-log',
        'virtlockd': 'libvirt-daemon-lock',
    },
    'drivers': {'storage': 'libvirt-daemon-driver-storage-core'},
    'driver_default': 'libvirt-daemon-driver-{0}',
    'unpackaged_drivers': ('vz',),
}
_DEB_PACKAGES = {
    'daemons': dict((daemon, 'libvirt-daemon-system') for daemon in (MONOLITHIC_DAEMON,) + SHARED_DAEMONS),
    'drivers': {},
    'driver_default': None,
    'modular_note': 'Debian and Ubuntu ship no modular daemons: use mode=monolithic',
    # (distribution, since major, daemon -> package): Debian 13 moved virtlockd into its own
    # package, which libvirt-daemon-system only recommends
    'moved': (('debian', 13, {'virtlockd': 'libvirt-daemon-lock'}),),
}

# names are normalised: lower case, no blanks, dashes or underscores
DISTRIBUTIONS = (
    {'family': 'fedora', 'label': 'Fedora', 'names': ('fedora',), 'os_family': None,
     'modular_since': 35, 'packages': _RPM_PACKAGES},
    {'family': 'el', 'label': 'EL', 'os_family': 'redhat', 'modular_since': 9, 'packages': _RPM_PACKAGES,
     'names': ('redhat', 'rhel', 'centos', 'centosstream', 'rocky', 'almalinux', 'alma', 'oraclelinux',
               'ol', 'oracle', 'scientific', 'eurolinux', 'navylinux', 'miraclelinux')},
    {'family': 'debian', 'label': 'Debian', 'os_family': 'debian', 'modular_since': None, 'packages': _DEB_PACKAGES,
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


def distro_family(facts):
    """'el', 'fedora', 'debian' or 'unknown'."""
    row = distribution(facts)
    return row['family'] if row else 'unknown'


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


def package_hint(unit, facts):
    """(package or None, note or None): what ships a catalogued unit on this distribution."""
    daemon = unit_daemon(unit)
    row = distribution(facts)
    if daemon is None or row is None:
        return None, None
    packages = row['packages']
    name, major = _norm(_fact(facts, 'distribution')), major_version(facts)
    for dist, since, moved in packages.get('moved', ()):
        if name == dist and major is not None and major >= since and daemon in moved:
            return moved[daemon], None
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
