# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import DEFAULT_DRIVERS
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_units import daemon_units

RHEL_DRIVERS = ['qemu', 'network', 'storage', 'nodedev', 'secret']
RHEL_SOCKETS = ['virtqemud.socket', 'virtnetworkd.socket', 'virtstoraged.socket', 'virtnodedevd.socket',
                'virtsecretd.socket', 'virtlockd.socket', 'virtlogd.socket']


def test_rhel10_role_sockets_exactly():
    units = daemon_units(RHEL_DRIVERS, sockets=['main'])
    assert set(u for u in units if u.endswith('.socket')) == set(RHEL_SOCKETS)
    assert units[-1] == 'virtqemud.service'
    assert len(units) == len(RHEL_SOCKETS) + 1


def test_rhel10_role_sockets_with_ro_admin():
    units = daemon_units(RHEL_DRIVERS)
    sockets = set(u for u in units if u.endswith('.socket'))
    expected = set(RHEL_SOCKETS)
    for unit in RHEL_SOCKETS:
        if unit not in ('virtlogd.socket', 'virtlockd.socket'):
            expected.add(unit.replace('.socket', '-ro.socket'))
        expected.add(unit.replace('.socket', '-admin.socket'))
    assert sockets == expected
    assert [u for u in units if u.endswith('.service')] == ['virtqemud.service']


@pytest.mark.parametrize('kwargs, expected', [
    (dict(drivers=['qemu']), [
        'virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket',
        'virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket', 'virtlockd-admin.socket',
        'virtqemud.service']),
    (dict(drivers=['network', 'qemu'], sockets=['main']), [
        'virtnetworkd.socket', 'virtqemud.socket', 'virtlogd.socket', 'virtlockd.socket', 'virtqemud.service']),
    (dict(drivers=['qemu', 'lxc', 'network'], sockets=['main', 'ro']), [
        'virtqemud.socket', 'virtqemud-ro.socket', 'virtlxcd.socket', 'virtlxcd-ro.socket',
        'virtnetworkd.socket', 'virtnetworkd-ro.socket', 'virtlogd.socket', 'virtlockd.socket',
        'virtqemud.service', 'virtlxcd.service']),
    (dict(drivers=['network']), [
        'virtnetworkd.socket', 'virtnetworkd-ro.socket', 'virtnetworkd-admin.socket',
        'virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket', 'virtlockd-admin.socket']),
    (dict(drivers=['qemu'], sockets=['main'], proxy=True), [
        'virtqemud.socket', 'virtproxyd.socket', 'virtlogd.socket', 'virtlockd.socket', 'virtqemud.service']),
    (dict(drivers=['qemu'], sockets=['main'], remote='tls'), [
        'virtqemud.socket', 'virtproxyd.socket', 'virtproxyd-tls.socket', 'virtlogd.socket', 'virtlockd.socket',
        'virtqemud.service']),
    (dict(drivers=['qemu'], sockets=['main', 'admin'], remote='tcp', proxy=True), [
        'virtqemud.socket', 'virtqemud-admin.socket', 'virtproxyd.socket', 'virtproxyd-admin.socket',
        'virtproxyd-tcp.socket', 'virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket',
        'virtlockd-admin.socket', 'virtqemud.service']),
    (dict(drivers=['qemu'], mode='monolithic'), [
        'libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket', 'libvirtd.service',
        'virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket', 'virtlockd-admin.socket']),
    (dict(drivers=['network', 'storage'], mode='monolithic', sockets=['main'], remote='tls'), [
        'libvirtd.socket', 'libvirtd-tls.socket', 'libvirtd.service', 'virtlogd.socket', 'virtlockd.socket']),
    (dict(drivers=['qemu'], mode='monolithic', sockets=['main'], remote='tcp', proxy=True), [
        'libvirtd.socket', 'libvirtd-tcp.socket', 'libvirtd.service', 'virtlogd.socket', 'virtlockd.socket']),
    # duplicates dropped, socket kinds in canonical order
    (dict(drivers=['qemu', 'qemu'], sockets=['admin', 'main', 'admin']), [
        'virtqemud.socket', 'virtqemud-admin.socket', 'virtlogd.socket', 'virtlogd-admin.socket',
        'virtlockd.socket', 'virtlockd-admin.socket', 'virtqemud.service']),
    (dict(drivers=('qemu',), sockets=('main',)), [
        'virtqemud.socket', 'virtlogd.socket', 'virtlockd.socket', 'virtqemud.service']),
])
def test_daemon_units(kwargs, expected):
    drivers = kwargs.pop('drivers')
    assert daemon_units(drivers, **kwargs) == expected


def test_default_drivers_modular_has_no_network_sockets():
    units = daemon_units(DEFAULT_DRIVERS)
    assert len(units) == len(set(units))
    assert not [u for u in units if u.endswith(('-tcp.socket', '-tls.socket'))]
    assert not [u for u in units if u.startswith(('libvirtd', 'virtproxyd'))]


@pytest.mark.parametrize('mode', ['modular', 'monolithic'])
def test_monolithic_drivers_do_not_change_list(mode):
    if mode == 'monolithic':
        assert daemon_units(['qemu'], mode=mode) == daemon_units(DEFAULT_DRIVERS, mode=mode)
    else:
        assert daemon_units(['qemu'], mode=mode) != daemon_units(DEFAULT_DRIVERS, mode=mode)


@pytest.mark.parametrize('args, kwargs, names', [
    (['xen'], {}, ["'xen'", 'qemu', 'storage']),
    ([], {}, ['must not be empty', 'qemu']),
    ('qemu', {}, ['list of strings', "'qemu'"]),
    (None, {}, ['list of strings', 'None']),
    (['qemu', 5], {}, ['list of strings', '5']),
    (['qemu'], {'sockets': ['rw']}, ["'rw'", 'main, ro, admin']),
    (['qemu'], {'sockets': ['ro', 'admin']}, ["'main'", "['ro', 'admin']"]),
    (['qemu'], {'sockets': []}, ["'main'"]),
    (['qemu'], {'sockets': 'main'}, ['sockets must be a list', "'main'"]),
    (['qemu'], {'mode': 'hybrid'}, ["'hybrid'", 'modular, monolithic']),
    (['qemu'], {'mode': 'auto'}, ["'auto'", 'modular, monolithic']),
    (['qemu'], {'remote': 'ssh'}, ["'ssh'", 'none, tls, tcp']),
    (['qemu'], {'remote': None}, ['None', 'none, tls, tcp']),
    (['qemu'], {'proxy': 'yes'}, ['proxy', "'yes'", 'true or false']),
])
def test_daemon_units_bad_input(args, kwargs, names):
    with pytest.raises(LibvirtInputError) as exc:
        daemon_units(args, **kwargs)
    for name in names:
        assert name in str(exc.value)
