# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kvmhost.setup.plugins.filter.libvirt import FilterModule

FILTERS = FilterModule().filters()
UNITS = FILTERS['libvirt_daemon_units']
MODE = FILTERS['libvirt_daemon_mode']


def test_filters_exposed():
    assert sorted(FILTERS) == ['libvirt_daemon_mode', 'libvirt_daemon_units']


@pytest.mark.parametrize('drivers, kwargs, expected', [
    (['qemu', 'network', 'storage', 'nodedev', 'secret'], {'sockets': ['main']},
     ['virtqemud.socket', 'virtnetworkd.socket', 'virtstoraged.socket', 'virtnodedevd.socket', 'virtsecretd.socket',
      'virtlogd.socket', 'virtlockd.socket', 'virtqemud.service']),
    (['qemu'], {'mode': 'monolithic', 'sockets': ['main'], 'remote': 'tls'},
     ['libvirtd.socket', 'libvirtd-tls.socket', 'libvirtd.service', 'virtlogd.socket', 'virtlockd.socket']),
    (['network'], {'sockets': ['main'], 'proxy': True},
     ['virtnetworkd.socket', 'virtproxyd.socket', 'virtlogd.socket', 'virtlockd.socket']),
    (['qemu'], {}, ['virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket', 'virtlogd.socket',
                    'virtlogd-admin.socket', 'virtlockd.socket', 'virtlockd-admin.socket', 'virtqemud.service']),
])
def test_units_filter(drivers, kwargs, expected):
    assert UNITS(drivers, **kwargs) == expected


@pytest.mark.parametrize('drivers, kwargs, names', [
    (['qemu', 'bhyve'], {}, ["'bhyve'", 'qemu']),
    ([], {}, ['must not be empty']),
    ('qemu', {}, ['list of strings']),
    (['qemu'], {'sockets': ['ro']}, ["'main'"]),
    (['qemu'], {'sockets': ['main', 'rw']}, ["'rw'", 'main, ro, admin']),
    (['qemu'], {'mode': 'auto'}, ["'auto'", 'modular, monolithic']),
    (['qemu'], {'remote': 'ssh'}, ["'ssh'", 'none, tls, tcp']),
    (['qemu'], {'proxy': 'maybe'}, ["'maybe'"]),
])
def test_units_filter_errors(drivers, kwargs, names):
    with pytest.raises(AnsibleFilterError) as exc:
        UNITS(drivers, **kwargs)
    assert 'libvirt_daemon_units' in str(exc.value)
    for name in names:
        assert name in str(exc.value)


UNITS_MONO_IN_USE = {
    'libvirtd.socket': {'load_state': 'loaded', 'unit_file_state': 'enabled', 'active_state': 'active',
                        'sub_state': 'listening'},
    'virtqemud.socket': {'load_state': 'loaded', 'unit_file_state': 'disabled', 'active_state': 'inactive',
                         'sub_state': 'dead'},
}


@pytest.mark.parametrize('facts, kwargs, mode', [
    ({'distribution': 'RedHat', 'distribution_major_version': '9', 'os_family': 'RedHat'}, {}, 'modular'),
    ({'distribution': 'Debian', 'distribution_major_version': '12', 'os_family': 'Debian'}, {}, 'monolithic'),
    ({'distribution': 'RedHat', 'distribution_major_version': '9'}, {'units': UNITS_MONO_IN_USE}, 'monolithic'),
    ({'distribution': 'Debian', 'distribution_major_version': '12'}, {'override': 'modular'}, 'modular'),
    ({}, {}, 'monolithic'),
])
def test_mode_filter(facts, kwargs, mode):
    assert MODE(facts, **kwargs) == mode


@pytest.mark.parametrize('facts, kwargs, names', [
    ({}, {'override': 'both'}, ["'both'", 'auto, modular, monolithic']),
    ('RedHat', {}, ["'RedHat'", 'dict']),
    ({}, {'units': ['libvirtd.socket']}, ["['libvirtd.socket']", 'dict']),
])
def test_mode_filter_errors(facts, kwargs, names):
    with pytest.raises(AnsibleFilterError) as exc:
        MODE(facts, **kwargs)
    assert 'libvirt_daemon_mode' in str(exc.value)
    for name in names:
        assert name in str(exc.value)
