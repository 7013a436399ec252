# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kvmhost.setup.plugins.filter.libvirt_conf import FilterModule

FILTERS = FilterModule().filters()
LINES = FILTERS['libvirt_conf_lines']
URIS = FILTERS['libvirt_hypervisor_uris']


def test_filters_exposed():
    assert sorted(FILTERS) == ['libvirt_conf_lines', 'libvirt_hypervisor_uris']


def test_lines_filter():
    assert [line['line'] for line in LINES({'user': '+0', 'remember_owner': False})] == ['user = "+0"', 'remember_owner = 0']


def test_lines_filter_with_owned_settings():
    lines = LINES({}, name='kvmhost_setup_qemu_conf', owned={'migration_port_min': 49152}, owner='migration')
    assert lines == [{'key': 'migration_port_min', 'value': '49152', 'line': 'migration_port_min = 49152'}]


@pytest.mark.parametrize('settings, fragment', [
    ({'max_files': 1.5}, 'kvmhost_setup_qemu_conf entry "max_files": float 1.5'),
    ({'x': None}, 'kvmhost_setup_qemu_conf entry "x": None null'),
    ([1], 'kvmhost_setup_qemu_conf must be a dict'),
])
def test_lines_filter_errors(settings, fragment):
    with pytest.raises(AnsibleFilterError) as err:
        LINES(settings, name='kvmhost_setup_qemu_conf')
    assert str(err.value).startswith('libvirt_conf_lines: ')
    assert fragment in str(err.value)


def test_uris_filter():
    assert URIS(['virtqemud.service'], wanted=['virtqemud-ro.socket']) == [
        {'uri': 'qemu:///system', 'service': 'virtqemud.service', 'read_only': True,
         'units': ['virtqemud.service', 'virtqemud.socket', 'virtqemud-ro.socket']}]


@pytest.mark.parametrize('args', [('virtqemud.service',), (['libvirtd.service'], 'qemu'), ([], [], 'x')])
def test_uris_filter_wants_lists(args):
    with pytest.raises(AnsibleFilterError) as err:
        URIS(*args)
    assert 'must be lists of names' in str(err.value)
