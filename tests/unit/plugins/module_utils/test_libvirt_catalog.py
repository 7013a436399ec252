# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_catalog as cat
from ansible_collections.kvmhost.setup.tests.unit.plugins.unit_states import shared_units

MODULAR_FOUR = ('.service', '.socket', '-ro.socket', '-admin.socket')


@pytest.mark.parametrize('driver, daemon', [
    ('qemu', 'virtqemud'),
    ('lxc', 'virtlxcd'),
    ('libxl', 'virtxend'),
    ('ch', 'virtchd'),
    ('vbox', 'virtvboxd'),
    ('vz', 'virtvzd'),
    ('interface', 'virtinterfaced'),
    ('network', 'virtnetworkd'),
    ('nodedev', 'virtnodedevd'),
    ('nwfilter', 'virtnwfilterd'),
    ('secret', 'virtsecretd'),
    ('storage', 'virtstoraged'),
])
def test_driver_daemon_and_units(driver, daemon):
    assert cat.driver_daemon(driver) == daemon
    assert cat.daemon_driver(daemon) == driver
    assert cat.daemon_units_all(daemon) == [daemon + suffix for suffix in MODULAR_FOUR]
    for unit in cat.daemon_units_all(daemon):
        assert cat.unit_daemon(unit) == daemon
        assert cat.unit_mode(unit) == 'modular'


@pytest.mark.parametrize('daemon, units', [
    ('libvirtd', ['libvirtd.service', 'libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket',
                  'libvirtd-tcp.socket', 'libvirtd-tls.socket']),
    ('virtproxyd', ['virtproxyd.service', 'virtproxyd.socket', 'virtproxyd-ro.socket', 'virtproxyd-admin.socket',
                    'virtproxyd-tcp.socket', 'virtproxyd-tls.socket']),
    ('virtlogd', ['virtlogd.service', 'virtlogd.socket', 'virtlogd-admin.socket']),
    ('virtlockd', ['virtlockd.service', 'virtlockd.socket', 'virtlockd-admin.socket']),
])
def test_special_daemons(daemon, units):
    assert cat.daemon_units_all(daemon) == units


def test_hypervisor_drivers_and_defaults():
    assert cat.HYPERVISOR_DRIVERS == ('qemu', 'lxc', 'libxl', 'ch', 'vbox', 'vz')
    assert cat.DEFAULT_DRIVERS == ['qemu', 'network', 'storage', 'nodedev', 'secret', 'interface', 'nwfilter']
    assert cat.SOCKET_KINDS == ('main', 'ro', 'admin')


def test_all_known_units_complete_and_unique():
    units = cat.all_known_units()
    assert len(units) == len(set(units)) == 12 * 4 + 6 + 6 + 3 + 3
    assert 'virtlogd-ro.socket' not in units
    assert 'virtlockd-ro.socket' not in units
    assert 'virtqemud-tcp.socket' not in units


def test_mode_units_partition():
    modular = set(cat.mode_units('modular'))
    monolithic = set(cat.mode_units('monolithic'))
    shared = set(shared_units())
    assert not modular & monolithic
    assert not shared & (modular | monolithic)
    assert modular | monolithic | shared == set(cat.all_known_units())
    assert 'virtproxyd-tls.socket' in modular
    assert cat.other_mode_units('modular') == cat.mode_units('monolithic')
    assert cat.other_mode_units('monolithic') == cat.mode_units('modular')


@pytest.mark.parametrize('func', [cat.mode_units, cat.other_mode, cat.other_mode_units])
def test_unknown_mode_rejected(func):
    with pytest.raises(ValueError, match='hybrid'):
        func('hybrid')


@pytest.mark.parametrize('unit, daemon, kind, mode', [
    ('virtqemud-ro.socket', 'virtqemud', 'ro', 'modular'),
    ('virtproxyd-tls.socket', 'virtproxyd', 'tls', 'modular'),
    ('libvirtd.service', 'libvirtd', 'service', 'monolithic'),
    ('libvirtd-tcp.socket', 'libvirtd', 'tcp', 'monolithic'),
    ('virtlogd-admin.socket', 'virtlogd', 'admin', 'shared'),
    ('virtlockd.socket', 'virtlockd', 'main', 'shared'),
    ('tuned.service', None, None, None),
    ('virtqemud-tcp.socket', None, None, None),
])
def test_unit_classification(unit, daemon, kind, mode):
    assert cat.unit_daemon(unit) == daemon
    assert cat.unit_kind(unit) == kind
    assert cat.unit_mode(unit) == mode


@pytest.mark.parametrize('unit, shared', [
    ('virtlogd.service', True),
    ('virtlogd-admin.socket', True),
    ('virtlockd.socket', True),
    ('virtlogd-ro.socket', True),
    ('virtlockd@x.service', True),
    ('virtqemud.socket', False),
    ('virtlogdx.service', False),
    ('libvirtd.service', False),
])
def test_is_shared_unit(unit, shared):
    assert cat.is_shared_unit(unit) is shared


def test_hypervisor_services_and_daemons():
    assert cat.hypervisor_services() == [
        'libvirtd.service', 'virtqemud.service', 'virtlxcd.service', 'virtxend.service',
        'virtchd.service', 'virtvboxd.service', 'virtvzd.service']
    assert cat.MODULAR_HYPERVISOR_DAEMONS == ('virtqemud', 'virtlxcd', 'virtxend', 'virtchd', 'virtvboxd', 'virtvzd')
    assert 'virtproxyd' not in cat.MODULAR_SECONDARY_DAEMONS + cat.MODULAR_HYPERVISOR_DAEMONS
    assert 'virtnetworkd' in cat.MODULAR_SECONDARY_DAEMONS
    assert cat.unit_daemon('tuned.service') is None
