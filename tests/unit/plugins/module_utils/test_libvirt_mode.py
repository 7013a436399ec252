# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    all_known_units,
    daemon_units_all,
    mode_units,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_distros import distribution, major_version
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import mode_of_units
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_mode import decide_mode
from ansible_collections.kvmhost.setup.tests.unit.plugins.unit_states import host, missing, off, on, shared_units, state


def facts(dist, major, family=None):
    result = {'distribution': dist, 'distribution_major_version': major}
    if family:
        result['os_family'] = family
    return result


# a row per distribution family and version
@pytest.mark.parametrize('host_facts, mode', [
    (facts('RedHat', '10', 'RedHat'), 'modular'),
    (facts('RedHat', '9', 'RedHat'), 'modular'),
    (facts('RedHat', '8', 'RedHat'), 'monolithic'),
    (facts('CentOS', '9', 'RedHat'), 'modular'),
    (facts('CentOS', '10', 'RedHat'), 'modular'),
    (facts('CentOS Stream', '9'), 'modular'),
    (facts('CentOS', '8', 'RedHat'), 'monolithic'),
    (facts('CentOS', '7', 'RedHat'), 'monolithic'),
    (facts('Rocky', '9', 'RedHat'), 'modular'),
    (facts('Rocky', '8', 'RedHat'), 'monolithic'),
    (facts('AlmaLinux', '10', 'RedHat'), 'modular'),
    (facts('AlmaLinux', '8', 'RedHat'), 'monolithic'),
    (facts('OracleLinux', '9', 'RedHat'), 'modular'),
    (facts('OracleLinux', '8', 'RedHat'), 'monolithic'),
    (facts('rhel', '9'), 'modular'),
    (facts('centos', '10'), 'modular'),
    (facts('rocky', '9'), 'modular'),
    (facts('almalinux', '9'), 'modular'),
    (facts('ol', '9'), 'modular'),
    (facts('ol', '8'), 'monolithic'),
    (facts('Redhat', '9.4'), 'modular'),
    (facts('SomeRebuild', '9', 'RedHat'), 'modular'),
    (facts('SomeRebuild', '8', 'RedHat'), 'monolithic'),
    (facts('Fedora', '41', 'RedHat'), 'modular'),
    (facts('Fedora', '35', 'RedHat'), 'modular'),
    (facts('Fedora', '34', 'RedHat'), 'monolithic'),
    (facts('fedora', '40'), 'modular'),
    (facts('Amazon', '2023', 'RedHat'), 'monolithic'),
    (facts('Debian', '12', 'Debian'), 'monolithic'),
    (facts('Debian', '13', 'Debian'), 'monolithic'),
    (facts('debian', '12'), 'monolithic'),
    (facts('Ubuntu', '24', 'Debian'), 'monolithic'),
    (facts('ubuntu', '22'), 'monolithic'),
    (facts('Linuxmint', '22', 'Debian'), 'monolithic'),
    (facts('Gentoo', '2', 'Gentoo'), 'monolithic'),
    (facts('Archlinux', '', 'Archlinux'), 'monolithic'),
    (facts('RedHat', ''), 'monolithic'),
    (facts('RedHat', 'Stream'), 'monolithic'),
    ({}, 'monolithic'),
    (None, 'monolithic'),
    ({'os_family': 'RedHat', 'distribution_major_version': 9}, 'modular'),
    ({'ansible_distribution': 'RedHat', 'ansible_distribution_major_version': '9'}, 'modular'),
])
def test_distribution_default(host_facts, mode):
    got, reason = decide_mode(host_facts)
    assert got == mode
    assert reason.startswith('distribution default: ')
    assert '\n' not in reason


BOTH = all_known_units()
ONLY_MONOLITHIC = mode_units('monolithic') + shared_units()
ONLY_MODULAR = mode_units('modular') + shared_units()
EL9 = facts('RedHat', '9', 'RedHat')
DEBIAN = facts('Debian', '12', 'Debian')


def installed(present, *overrides):
    """All catalogued units: `present` ones disabled/inactive, the rest not found, then overrides."""
    units = host(all_known_units(), missing)
    units.update(host(present, off))
    for override in overrides:
        units.update(override)
    return units


# a row per host state
@pytest.mark.parametrize('host_facts, units, mode, rule', [
    # (b) what is installed
    (EL9, installed(ONLY_MONOLITHIC), 'monolithic', 'installed'),
    (EL9, installed(ONLY_MONOLITHIC, {'libvirtd.socket': on('libvirtd.socket')}), 'monolithic', 'installed'),
    (DEBIAN, installed(ONLY_MODULAR), 'modular', 'installed'),
    (DEBIAN, installed(daemon_units_all('virtqemud')), 'modular', 'installed'),
    # (c) what the host uses: see test_in_use_table for every combination
    (EL9, installed(BOTH, {'libvirtd.service': state('disabled', 'active')}), 'monolithic', 'in use'),
    (EL9, installed(BOTH, {'libvirtd.service': state('enabled-runtime', 'inactive')}), 'monolithic', 'in use'),
    (DEBIAN, installed(BOTH, {'virtlxcd.socket': state('enabled', 'inactive')}), 'modular', 'in use'),
    # shared daemons do not count
    (DEBIAN, installed(BOTH, {'virtlogd.socket': on(), 'virtlockd.socket': on()}), 'monolithic', 'distribution'),
    (EL9, installed(BOTH, {'virtlogd.socket': on()}), 'modular', 'distribution'),
    # nothing installed or nothing used: the distribution decides
    (EL9, installed([]), 'modular', 'distribution'),
    (DEBIAN, installed([]), 'monolithic', 'distribution'),
    (EL9, installed(BOTH), 'modular', 'distribution'),
    (facts('RedHat', '8'), installed(BOTH), 'monolithic', 'distribution'),
    (EL9, {}, 'modular', 'distribution'),
    # masked units are installed
    (DEBIAN, installed(ONLY_MODULAR, host(mode_units('modular'), lambda u: state('masked', load_state='masked'))),
     'modular', 'installed'),
])
def test_host_state(host_facts, units, mode, rule):
    got, reason = decide_mode(host_facts, units=units)
    assert got == mode
    assert reason.startswith(rule)


LEVELS = ('active', 'enabled', 'disabled')


def _level(level, unit):
    return {'active': on, 'enabled': lambda u: state('enabled', 'inactive', unit=u), 'disabled': off}[level](unit)


def _in_use_expected(libvirtd, virtqemud, secondary, dist_mode):
    """The rule written out independently of the code: active beats enabled, a tie at a
    level goes to modular only when a secondary modular socket has that level too."""
    rank = {'active': 2, 'enabled': 1, 'disabled': 0}  # an 'active' row is enabled too
    for need in (2, 1):
        mono, modular = rank[libvirtd] >= need, rank[virtqemud] >= need
        if mono != modular:
            return ('monolithic' if mono else 'modular'), 'in use'
        if mono and modular and rank[secondary] >= need:
            return 'modular', 'in use'
    return dist_mode, 'distribution'


# libvirtd x virtqemud x virtproxyd x a secondary driver socket, on a host with both sets
# installed, for a modular-default and a monolithic-default distribution
@pytest.mark.parametrize('dist, dist_mode', [(EL9, 'modular'), (DEBIAN, 'monolithic')])
@pytest.mark.parametrize('libvirtd', LEVELS)
@pytest.mark.parametrize('virtqemud', LEVELS)
@pytest.mark.parametrize('virtproxyd', LEVELS)
@pytest.mark.parametrize('secondary', LEVELS)
@pytest.mark.parametrize('hypervisor_unit', ['socket', 'service'])
def test_in_use_table(dist, dist_mode, libvirtd, virtqemud, virtproxyd, secondary, hypervisor_unit):
    units = installed(BOTH, {
        'libvirtd.' + hypervisor_unit: _level(libvirtd, 'libvirtd.' + hypervisor_unit),
        'virtqemud.' + hypervisor_unit: _level(virtqemud, 'virtqemud.' + hypervisor_unit),
        'virtproxyd.socket': _level(virtproxyd, 'virtproxyd.socket'),
        'virtnetworkd.socket': _level(secondary, 'virtnetworkd.socket'),
    })
    mode, rule = _in_use_expected(libvirtd, virtqemud, secondary, dist_mode)
    got, reason = decide_mode(dist, units=units)
    assert got == mode and reason.startswith(rule), reason
    assert 'virtproxyd' not in reason


def test_upgraded_host_with_virtproxyd_enabled_keeps_libvirtd():
    """Issue 10: libvirtd enabled and active, virtproxyd's sockets enabled, no guest."""
    units = installed(BOTH, host(['libvirtd.socket', 'libvirtd.service', 'libvirtd-ro.socket'], on),
                      host(['virtproxyd.socket', 'virtproxyd-ro.socket', 'virtproxyd-admin.socket'],
                           lambda u: state('enabled', 'inactive', unit=u)))
    assert decide_mode(EL9, units=units) == (
        'monolithic', 'in use: libvirtd.socket and libvirtd.service active, no modular hypervisor daemon active')


@pytest.mark.parametrize('override', ['modular', 'monolithic'])
@pytest.mark.parametrize('host_facts, units', [
    (EL9, installed(ONLY_MONOLITHIC)),
    (DEBIAN, installed(ONLY_MODULAR)),
    ({}, None),
])
def test_override_wins(override, host_facts, units):
    got, reason = decide_mode(host_facts, units=units, override=override)
    assert got == override
    assert reason == 'override: mode={0} was requested'.format(override)


def test_units_ignored_unless_given():
    assert decide_mode(DEBIAN, units=None)[0] == 'monolithic'


@pytest.mark.parametrize('kwargs, names', [
    (dict(host_facts=EL9, override='hybrid'), ["'hybrid'", 'auto, modular, monolithic']),
    (dict(host_facts=EL9, override=None), ['None', 'auto, modular, monolithic']),
    (dict(host_facts='RedHat'), ['facts must be a dict', "'RedHat'"]),
    (dict(host_facts=EL9, units=['virtqemud.socket']), ['units must be a dict', "['virtqemud.socket']"]),
])
def test_decide_mode_bad_input(kwargs, names):
    with pytest.raises(LibvirtInputError) as exc:
        decide_mode(kwargs.pop('host_facts'), **kwargs)
    for name in names:
        assert name in str(exc.value)


@pytest.mark.parametrize('host_facts, family', [
    (facts('Fedora', '40', 'RedHat'), 'fedora'),
    (facts('CentOS Stream', '9'), 'el'),
    (facts('Oracle_Linux', '9'), 'el'),
    (facts('Kali', '2024', 'Debian'), 'debian'),
    (facts('Amazon', '2', 'RedHat'), 'unknown'),
    (facts('Foo', '1', 'Suse'), 'unknown'),
    ({'os_family': 'Debian'}, 'debian'),
    ({}, 'unknown'),
])
def test_distribution_family(host_facts, family):
    row = distribution(host_facts)
    assert (row['family'] if row else 'unknown') == family


@pytest.mark.parametrize('host_facts, major', [
    ({'distribution_major_version': '9'}, 9),
    ({'distribution_major_version': 10}, 10),
    ({'distribution_version': '9.4'}, 9),
    ({'distribution_major_version': 'NA'}, None),
    ({}, None),
])
def test_major_version(host_facts, major):
    assert major_version(host_facts) == major


# reasons quote the facts as Ansible spells them (the module gathers them with Ansible's
# own distribution collector, so 'CentOS', not 'Centos')
@pytest.mark.parametrize('host_facts, text', [
    (facts('CentOS', '10', 'RedHat'), 'distribution default: CentOS 10 (EL >= 9)'),
    (facts('AlmaLinux', '10', 'RedHat'), 'distribution default: AlmaLinux 10 (EL >= 9)'),
    (facts('OracleLinux', '8', 'RedHat'), 'distribution default: OracleLinux 8 (EL < 9)'),
    (facts('Ubuntu', '24', 'Debian'), 'distribution default: Ubuntu 24 ships only monolithic libvirtd'),
])
def test_reason_quotes_the_facts(host_facts, text):
    assert decide_mode(host_facts)[1].startswith(text)


@pytest.mark.parametrize('units, mode', [
    (['virtqemud.socket', 'virtlogd.socket'], 'modular'),
    (['virtproxyd-tls.socket'], 'modular'),
    (['libvirtd.socket', 'virtlockd.socket', 'tuned.service'], 'monolithic'),
    (['virtlogd.socket'], None),
    (['tuned.service'], None),
    ([], None),
])
def test_mode_of_units(units, mode):
    assert mode_of_units(units) == mode


def test_mode_of_units_mixed():
    with pytest.raises(LibvirtInputError) as exc:
        mode_of_units(['virtqemud.socket', 'libvirtd.socket'])
    assert 'virtqemud.socket' in str(exc.value)
    assert 'libvirtd.socket' in str(exc.value)
