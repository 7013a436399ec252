# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which libvirt daemon mode a host should run: modular or monolithic."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    MODULAR_DRIVER_DAEMONS,
    MONOLITHIC_DAEMON,
    daemon_units_all,
    modular_main_sockets,
    service_unit,
    socket_unit,
    unit_mode,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import _type_name
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import (
    LibvirtInputError,
    validate_mode,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import (
    is_installed,
    is_running,
)

# distribution names as Ansible facts spell them and as os-release ids, normalised
# (lower case, no blanks, dashes or underscores)
EL_NAMES = (
    'redhat', 'rhel', 'centos', 'centosstream', 'rocky', 'almalinux', 'alma',
    'oraclelinux', 'ol', 'oracle', 'scientific', 'eurolinux', 'navylinux', 'miraclelinux',
)
FEDORA_NAMES = ('fedora',)
DEBIAN_NAMES = ('debian', 'ubuntu', 'linuxmint', 'pop', 'raspbian', 'devuan', 'kali')
# os_family RedHat, but versions that are not EL majors
NOT_EL_NAMES = ('amazon', 'amzn')

EL_MODULAR_SINCE = 9
FEDORA_MODULAR_SINCE = 35

_USER_ENABLED = ('enabled', 'enabled-runtime')


def _norm(value):
    if value is None:
        return ''
    return re.sub(r'[\s_-]+', '', str(value)).lower()


def _fact(facts, key):
    value = facts.get(key)
    if value in (None, ''):
        value = facts.get('ansible_' + key)
    return value


def distro_family(facts):
    """'el', 'fedora', 'debian' or 'unknown' from Ansible-style facts."""
    dist = _norm(_fact(facts, 'distribution'))
    family = _norm(_fact(facts, 'os_family'))
    if dist in FEDORA_NAMES:
        return 'fedora'
    if dist in EL_NAMES:
        return 'el'
    if dist in DEBIAN_NAMES:
        return 'debian'
    if dist in NOT_EL_NAMES:
        return 'unknown'
    if family == 'redhat':
        return 'el'
    if family == 'debian':
        return 'debian'
    return 'unknown'


def major_version(facts):
    """Major version as an int, None when missing or not numeric."""
    for key in ('distribution_major_version', 'distribution_version'):
        value = _fact(facts, key)
        match = re.match(r'\s*(\d+)', str(value)) if value not in (None, '') else None
        if match:
            return int(match.group(1))
    return None


def facts_from_distro(dist_id, version, like=''):
    """Ansible-style facts from os-release data (distro.id(), version, distro.like())."""
    like_ids = _norm_words(like)
    os_family = ''
    if like_ids & set(('rhel', 'centos', 'fedora')):
        os_family = 'RedHat'
    elif like_ids & set(('debian', 'ubuntu')):
        os_family = 'Debian'
    return {
        'distribution': dist_id or '',
        'distribution_major_version': str(version or '').split('.', 1)[0],
        'os_family': os_family,
    }


def _norm_words(text):
    return set(_norm(word) for word in str(text or '').split())


def _describe(facts):
    dist = _fact(facts, 'distribution') or _fact(facts, 'os_family') or 'unknown distribution'
    major = major_version(facts)
    return '{0} {1}'.format(dist, major) if major is not None else str(dist)


def _by_installed(units):
    modular = [unit for daemon in MODULAR_DRIVER_DAEMONS for unit in daemon_units_all(daemon)
               if is_installed(units.get(unit, {}))]
    monolithic = [unit for unit in daemon_units_all(MONOLITHIC_DAEMON) if is_installed(units.get(unit, {}))]
    if monolithic and not modular:
        return 'monolithic', 'installed: only libvirtd is installed, no modular daemon units ({0} ...)'.format(
            monolithic[0])
    if modular and not monolithic:
        return 'modular', 'installed: modular daemon units are installed ({0} ...) and libvirtd is not'.format(
            modular[0])
    return None


def _by_use(units):
    mono = [unit for unit in (socket_unit(MONOLITHIC_DAEMON, 'main'), service_unit(MONOLITHIC_DAEMON))
            if units.get(unit, {}).get('unit_file_state') in _USER_ENABLED or is_running(units.get(unit, {}))]
    modular = [unit for unit in modular_main_sockets()
               if units.get(unit, {}).get('unit_file_state') in _USER_ENABLED]
    if mono and not modular:
        return 'monolithic', 'in use: {0} enabled or active and no modular socket enabled'.format(
            ' and '.join(mono))
    if modular:
        return 'modular', 'in use: modular socket(s) enabled: {0}'.format(', '.join(modular))
    return None


def _by_distribution(facts):
    family = distro_family(facts)
    major = major_version(facts)
    what = _describe(facts)
    if family == 'el':
        if major is not None and major >= EL_MODULAR_SINCE:
            return 'modular', 'distribution default: {0} (EL >= {1}) defaults to modular daemons'.format(
                what, EL_MODULAR_SINCE)
        return 'monolithic', 'distribution default: {0} (EL < {1}) uses monolithic libvirtd'.format(
            what, EL_MODULAR_SINCE)
    if family == 'fedora':
        if major is not None and major >= FEDORA_MODULAR_SINCE:
            return 'modular', 'distribution default: {0} (Fedora >= {1}) defaults to modular daemons'.format(
                what, FEDORA_MODULAR_SINCE)
        return 'monolithic', 'distribution default: {0} (Fedora < {1}) uses monolithic libvirtd'.format(
            what, FEDORA_MODULAR_SINCE)
    if family == 'debian':
        return 'monolithic', 'distribution default: {0} ships only monolithic libvirtd'.format(what)
    return 'monolithic', 'distribution default: {0} is not known, monolithic libvirtd assumed'.format(what)


def decide_mode(facts, units=None, override='auto'):
    """Return (mode, reason); the first rule that decides wins.

    (a) override 'modular'/'monolithic'; (b) what is installed (only when
    ``units`` is given): one set installed and not the other; (c) what the
    host uses: libvirtd enabled or active without an enabled modular socket,
    or any modular main socket enabled; (d) the distribution's default.
    ``units`` maps unit -> {load_state, unit_file_state, active_state, sub_state}.
    """
    override = validate_mode(override, allow_auto=True)
    if facts is None:
        facts = {}
    if not isinstance(facts, dict):
        raise LibvirtInputError('facts must be a dict like ansible_facts, got {0} {1!r}'.format(
            _type_name(facts), facts))
    if override != 'auto':
        return override, 'override: mode={0} was requested'.format(override)
    if units is not None:
        if not isinstance(units, dict):
            raise LibvirtInputError('units must be a dict unit -> state, got {0} {1!r}'.format(
                _type_name(units), units))
        decided = _by_installed(units) or _by_use(units)
        if decided:
            return decided
    return _by_distribution(facts)


def mode_of_units(units):
    """Mode that explicit libvirt units belong to: 'modular', 'monolithic' or None.

    Shared (virtlogd/virtlockd) and non-libvirt units do not count; a list that
    mixes both modes is refused.
    """
    found = {'modular': [], 'monolithic': []}
    for unit in units:
        mode = unit_mode(unit)
        if mode in found:
            found[mode].append(unit)
    if found['modular'] and found['monolithic']:
        raise LibvirtInputError(
            'units mix modular ({0}) and monolithic ({1}) libvirt units: list the units of one '
            'mode only (modular: virt*d units, monolithic: libvirtd units)'.format(
                ', '.join(found['modular']), ', '.join(found['monolithic'])))
    for mode in ('modular', 'monolithic'):
        if found[mode]:
            return mode
    return None
