# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_distros import (
    DISTRIBUTIONS,
    default_mode,
    missing_text,
    package_hint,
)

FAMILY_FACTS = {
    'el': {'distribution': 'RedHat', 'distribution_major_version': '9', 'os_family': 'RedHat'},
    'fedora': {'distribution': 'Fedora', 'distribution_major_version': '43', 'os_family': 'RedHat'},
    'debian': {'distribution': 'Debian', 'distribution_major_version': '13', 'os_family': 'Debian'},
    'unknown': {'distribution': 'Gentoo', 'os_family': 'Gentoo'},
}


@pytest.mark.parametrize('unit, family, package, note', [
    ('virtqemud.socket', 'el', 'libvirt-daemon-driver-qemu', None),
    ('virtstoraged.service', 'el', 'libvirt-daemon-driver-storage-core', None),
    ('virtnetworkd-ro.socket', 'fedora', 'libvirt-daemon-driver-network', None),
    ('virtproxyd-tls.socket', 'el', 'libvirt-daemon-proxy', None),
    ('virtlogd.socket', 'el', 'libvirt-daemon-log', None),
    ('virtlockd.socket', 'el', 'libvirt-daemon-lock', None),
    ('libvirtd.socket', 'el', 'libvirt-daemon', None),
    ('virtvzd.socket', 'el', None, 'vz driver'),
    ('libvirtd.socket', 'debian', 'libvirt-daemon-system', None),
    ('virtlogd.socket', 'debian', 'libvirt-daemon-system', None),
    ('virtqemud.socket', 'debian', None, 'no modular daemons'),
    ('virtqemud.socket', 'unknown', None, None),
    ('tuned.service', 'el', None, None),
])
def test_package_hint(unit, family, package, note):
    got_package, got_note = package_hint(unit, FAMILY_FACTS[family])
    assert got_package == package
    if note:
        assert note in got_note
    else:
        assert got_note is None


def test_missing_text():
    assert missing_text(['virtstoraged.socket', 'virtvzd.socket', 'tuned.service'], FAMILY_FACTS['el']) == (
        'virtstoraged.socket (package libvirt-daemon-driver-storage-core), '
        'virtvzd.socket (the vz driver is not packaged on this distribution), tuned.service')


def test_every_family_has_one_row_and_a_default():
    families = [row['family'] for row in DISTRIBUTIONS]
    assert sorted(families) == sorted(set(families))
    for family in families:
        assert default_mode(FAMILY_FACTS[family])[0] in ('modular', 'monolithic')


@pytest.mark.parametrize('facts, package', [
    ({'distribution': 'Debian', 'distribution_major_version': '13'}, 'libvirt-daemon-lock'),
    ({'distribution': 'Debian', 'distribution_major_version': '12'}, 'libvirt-daemon-system'),
    ({'distribution': 'Ubuntu', 'distribution_major_version': '24'}, 'libvirt-daemon-system'),
])
def test_virtlockd_moved_out_of_libvirt_daemon_system_in_debian_13(facts, package):
    assert package_hint('virtlockd.socket', facts) == (package, None)
