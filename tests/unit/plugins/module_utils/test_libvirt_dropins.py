# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_dropins import (
    HEADER,
    dropin_changes,
    dropin_path,
    render,
    running_matches,
    settings_drift,
    sockets_to_restart,
    wanted_settings,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_dropins import SOCKET_SETTINGS
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import SHOW_PROPERTIES, is_running, parse_show
from ansible_collections.kvmhost.setup.plugins.modules.libvirt_daemons import ARGUMENT_SPEC

WANTED = ['virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket', 'virtlogd.socket',
          'virtproxyd.socket', 'virtproxyd-tls.socket', 'virtqemud.service']


def sock(active='active', group='', mode='', listen=''):
    return {'load_state': 'loaded', 'unit_file_state': 'enabled', 'active_state': active,
            'sub_state': 'listening' if active == 'active' else 'dead',
            'socket_group': group, 'socket_mode': mode, 'listen': listen}


@pytest.mark.parametrize('group, mode, address, expected', [
    ('libvirt', '0660', '', {'virtqemud.socket': {'SocketGroup': 'libvirt', 'SocketMode': '0660'},
                             'virtproxyd.socket': {'SocketGroup': 'libvirt', 'SocketMode': '0660'}}),
    ('', '660', '', {'virtqemud.socket': {'SocketMode': '0660'}, 'virtproxyd.socket': {'SocketMode': '0660'}}),
    ('', '', '127.0.0.1', {'virtproxyd-tls.socket': {'Listen': '127.0.0.1:16514'}}),
    ('', '', 'fd00::1', {'virtproxyd-tls.socket': {'Listen': '[fd00::1]:16514'}}),
    ('', '', '', {}),
])
def test_wanted_settings(group, mode, address, expected):
    # never the -ro/-admin sockets, never virtlogd/virtlockd, never a service
    values = {'socket_group': group, 'socket_mode': mode, 'listen_address': address}
    assert wanted_settings(WANTED, values) == expected


def test_tcp_port_and_monolithic_sockets():
    values = {'socket_group': 'kvm', 'socket_mode': '', 'listen_address': 'host1'}
    assert wanted_settings(['libvirtd.socket', 'libvirtd-tcp.socket'], values) == {
        'libvirtd.socket': {'SocketGroup': 'kvm'}, 'libvirtd-tcp.socket': {'Listen': 'host1:16509'}}


def test_render():
    assert render({'SocketGroup': 'libvirt', 'SocketMode': '0660'}) == (
        HEADER + '[Socket]\nSocketGroup=libvirt\nSocketMode=0660\n')
    assert render({'Listen': '[::1]:16514'}) == (
        HEADER + '[Socket]\nListenStream=\nListenStream=[::1]:16514\nFreeBind=true\n')


@pytest.mark.parametrize('row', SOCKET_SETTINGS, ids=[row.option for row in SOCKET_SETTINGS])
def test_each_socket_setting_is_wired_from_the_one_table(row):
    # the module takes it, the one show call asks systemd for it, the parser keeps it, and
    # the running comparison reads it back
    assert ARGUMENT_SPEC[row.option] == {'type': 'str', 'default': ''}
    assert row.key in SHOW_PROPERTIES
    state = parse_show('Id=x.socket\nLoadState=loaded\n{0}=v (Stream)\n'.format(row.key), ['x.socket'])['x.socket']
    assert state[row.state] == 'v (Stream)'
    assert running_matches(state, {row.key: 'v'})
    assert not running_matches(state, {row.key: 'w'})
    assert row.pattern.match('') and not row.pattern.match('a\nExecStartPre=/bin/false')
    assert render({row.key: 'v'}).count('\n') > HEADER.count('\n') + 1


def test_dropin_path():
    assert dropin_path('virtqemud.socket') == '/etc/systemd/system/virtqemud.socket.d/kvmhost-setup.conf'


def test_changes_write_keep_and_remove():
    settings = {'a.socket': {'SocketMode': '0660'}, 'b.socket': {'SocketMode': '0660'}}
    same = render(settings['b.socket'])
    changes = dropin_changes(settings, {'a.socket': None, 'b.socket': same, 'c.socket': 'old', 'd.socket': None})
    assert changes == [('a.socket', None, render(settings['a.socket'])), ('c.socket', 'old', None)]
    assert dropin_changes(settings, {'a.socket': render(settings['a.socket']), 'b.socket': same}) == []


@pytest.mark.parametrize('state, setting, matches', [
    (sock(group='libvirt', mode='0660'), {'SocketGroup': 'libvirt', 'SocketMode': '0660'}, True),
    (sock(group='root', mode='0660'), {'SocketGroup': 'libvirt', 'SocketMode': '0660'}, False),
    (sock(group='libvirt', mode='0666'), {'SocketMode': '0660'}, False),
    (sock(listen='127.0.0.1:16514 (Stream)'), {'Listen': '127.0.0.1:16514'}, True),
    (sock(listen='[::]:16514 (Stream)'), {'Listen': '127.0.0.1:16514'}, False),
])
def test_running_matches(state, setting, matches):
    assert running_matches(state, setting) is matches


def test_restart_only_active_sockets_that_run_otherwise():
    settings = {'a.socket': {'SocketMode': '0660'}, 'b.socket': {'SocketMode': '0660'},
                'c.socket': {'SocketMode': '0660'}}
    current = {'a.socket': sock(mode='0660'),            # already runs so: write, no restart
               'b.socket': sock(mode='0666'),            # runs otherwise: restart
               'c.socket': sock(active='inactive'),      # not running: picks it up when started
               'd.socket': sock(mode='0600')}            # drop-in removed: restart
    changes = [(unit, None, render(settings[unit])) for unit in ('a.socket', 'b.socket', 'c.socket')]
    changes.append(('d.socket', 'old', None))
    assert sockets_to_restart(changes, settings, current, is_running) == ['b.socket', 'd.socket']


def test_settings_drift_names_what_runs():
    settings = {'a.socket': {'SocketGroup': 'libvirt', 'SocketMode': '0660'}, 'b.socket': {'SocketMode': '0660'}}
    current = {'a.socket': sock(group='root', mode='0660'), 'b.socket': sock(active='inactive')}
    assert settings_drift(settings, current, is_running) == [
        {'unit': 'a.socket', 'reason': 'runs with SocketGroup=root, SocketMode=0660, '
                                       'wanted SocketGroup=libvirt, SocketMode=0660'}]
