# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""autostart_drivers: the driver daemons whose autostart networks and pools must start at boot."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    autostart_dir,
    autostart_driver,
    autostart_service,
    daemon_units_all,
    mode_units,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_units import (
    daemon_units,
    validate_autostart_drivers,
    with_autostart,
)
from ansible_collections.kvmhost.setup.tests.unit.plugins.fake_systemd import FailJson, make_host, run
from ansible_collections.kvmhost.setup.tests.unit.plugins.unit_states import host, off, shared_units

DRIVERS = ['qemu', 'network', 'storage']
MODULAR = make_host(host([u for d in ('virtqemud', 'virtnetworkd', 'virtstoraged') for u in daemon_units_all(d)]
                         + shared_units(), off))
MONOLITHIC = make_host(host(mode_units('monolithic') + shared_units(), off))


def test_catalogue_knows_the_autostart_objects():
    assert autostart_driver('network') == 'network' and autostart_driver('pool') == 'storage'
    assert autostart_dir('network') == '/etc/libvirt/qemu/networks/autostart'
    assert autostart_dir('storage') == '/etc/libvirt/storage/autostart'
    assert autostart_service('network', 'modular') == 'virtnetworkd.service'
    assert autostart_service('storage', 'modular') == 'virtstoraged.service'
    assert autostart_service('network', 'monolithic') == 'libvirtd.service'
    with pytest.raises(ValueError):
        autostart_driver('domain')


def test_with_autostart_adds_the_services_once():
    units = daemon_units(DRIVERS, sockets=['main'])
    assert with_autostart(units, ['network', 'storage'], 'modular') == units + [
        'virtnetworkd.service', 'virtstoraged.service']
    mono = daemon_units(DRIVERS, mode='monolithic', sockets=['main'])
    assert with_autostart(mono, ['network'], 'monolithic') == mono


@pytest.mark.parametrize('autostart, message', [
    (['qemu'], "autostart_drivers names 'qemu': allowed are network, storage"),
    (['storage'], "autostart_drivers names 'storage', which is not among drivers (qemu, network)"),
    ('network', 'autostart_drivers must be a list of strings'),
])
def test_validate_autostart_drivers(autostart, message):
    with pytest.raises(LibvirtInputError) as error:
        validate_autostart_drivers(autostart, ['qemu', 'network'])
    assert message in str(error.value)


def test_modular_enables_and_starts_the_driver_services(env):
    fake = env.host(MODULAR)
    args = {'mode': 'modular', 'drivers': DRIVERS, 'sockets': ['main'], 'autostart_drivers': ['network', 'storage']}
    result = run(args)
    assert result['changed'] is True
    assert result['wanted'][-3:] == ['virtqemud.service', 'virtnetworkd.service', 'virtstoraged.service']
    enable = [a for a in result['actions'] if a.startswith('systemctl enable')][0]
    assert 'virtnetworkd.service' in enable and 'virtstoraged.service' in enable
    assert 'systemctl start virtqemud.service virtnetworkd.service virtstoraged.service' in result['actions']
    assert fake.states['virtnetworkd.service']['unit_file_state'] == 'enabled'
    # not hypervisors: a changed qemu.conf does not restart them
    assert result['hypervisor_services'] == ['virtqemud.service']
    # converged, and an idle daemon whose socket listens is healthy: no step, no restart
    fake.states['virtnetworkd.service'].update(active_state='inactive', sub_state='dead')
    fake.calls = []
    again = run(args)
    assert again['changed'] is False and again['actions'] == []
    assert [call[1] for call in fake.calls] == ['show']


def test_monolithic_needs_nothing_more(env):
    env.host(MONOLITHIC)
    args = {'mode': 'monolithic', 'drivers': DRIVERS, 'sockets': ['main'], 'autostart_drivers': ['network']}
    result = run(args)
    assert [u for u in result['wanted'] if u.endswith('.service')] == ['libvirtd.service']


def test_explicit_units_get_them_too(env):
    env.host(MODULAR)
    result = run({'units': ['virtqemud.socket', 'virtnetworkd.socket', 'virtqemud.service'],
                  'autostart_drivers': ['network'], '_ansible_check_mode': True})
    assert result['wanted'] == ['virtqemud.socket', 'virtnetworkd.socket', 'virtqemud.service',
                                'virtnetworkd.service']


def test_autostart_driver_not_among_drivers_is_refused(env):
    fake = env.host(MODULAR)
    result = run({'mode': 'modular', 'drivers': ['qemu'], 'autostart_drivers': ['network']}, expect=FailJson)
    assert "autostart_drivers names 'network', which is not among drivers (qemu)" in result['msg']
    assert fake.calls == []
