# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The systemd drop-ins that carry libvirt's socket settings, and when a socket needs a restart.

Under socket activation the daemons ignore unix_sock_group, unix_sock_*_perms, listen_addr
and the ports in their .conf: systemd creates the sockets, so the settings belong in the
socket units. Pure functions: the caller reads and writes the files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    is_read_write_socket,
    is_remote_socket,
    remote_port,
)

DROPIN_DIR = '/etc/systemd/system'
DROPIN_NAME = 'kvmhost-setup.conf'
HEADER = ('# Managed by kvmhost.setup (libvirt_daemons). Under socket activation libvirt\'s\n'
          '# daemons ignore the socket settings of their .conf: systemd owns the socket.\n')


def dropin_path(unit):
    """The one drop-in file the collection owns for a socket unit."""
    return '{0}/{1}.d/{2}'.format(DROPIN_DIR, unit, DROPIN_NAME)


def normal_mode(mode):
    """'660' -> '0660': how systemd shows SocketMode."""
    return mode if not mode or len(mode) == 4 else '0' + mode


def listen_stream(address, port):
    host = '[{0}]'.format(address) if ':' in address else address
    return '{0}:{1}'.format(host, port)


def wanted_settings(wanted, group='', mode='', address=''):
    """{socket: {'SocketGroup': ..., 'SocketMode': ..., 'Listen': ...}} for the wanted sockets
    that get a drop-in: the read-write sockets when a group or mode is set, the remote
    (-tls/-tcp) sockets when a listen address is set."""
    settings = {}
    for unit in wanted:
        if is_read_write_socket(unit) and (group or mode):
            wanted_unit = {}
            if group:
                wanted_unit['SocketGroup'] = group
            if mode:
                wanted_unit['SocketMode'] = normal_mode(mode)
            settings[unit] = wanted_unit
        elif is_remote_socket(unit) and address:
            settings[unit] = {'Listen': listen_stream(address, remote_port(unit))}
    return settings


def render(setting):
    """Drop-in text for one socket's settings."""
    lines = ['[Socket]']
    if 'SocketGroup' in setting:
        lines.append('SocketGroup=' + setting['SocketGroup'])
    if 'SocketMode' in setting:
        lines.append('SocketMode=' + setting['SocketMode'])
    if 'Listen' in setting:
        # the empty assignment drops the unit's own ListenStream; FreeBind lets the socket
        # bind an address that is not up yet at boot instead of failing
        lines.extend(['ListenStream=', 'ListenStream=' + setting['Listen'], 'FreeBind=true'])
    return HEADER + '\n'.join(lines) + '\n'


def dropin_changes(settings, existing):
    """Drop-ins to write or remove: a list of (unit, before, after), in unit order.

    ``existing`` maps each socket the caller looked at to the current text of its drop-in
    (None when absent); ``after`` None means remove. Sockets not in ``settings`` lose
    the collection's drop-in (a setting turned off)."""
    changes = []
    for unit in sorted(set(settings) | set(existing)):
        before = existing.get(unit)
        after = render(settings[unit]) if unit in settings else None
        if before != after:
            changes.append((unit, before, after))
    return changes


def _running(state, key):
    """A socket's setting as systemd runs it; show prints 'Listen=127.0.0.1:16514 (Stream)'."""
    if key == 'Listen':
        return state.get('listen', '').split(' (', 1)[0]
    return state.get({'SocketGroup': 'socket_group', 'SocketMode': 'socket_mode'}[key], '')


def running_matches(state, setting):
    """Whether a socket as systemd runs it already has these settings."""
    return all(_running(state, key) == value for key, value in setting.items())


def sockets_to_restart(changes, settings, current, is_running):
    """Active sockets whose drop-in changes and whose running settings differ from it.

    A removed drop-in always needs the restart: what the unit has without it is only
    known after a daemon-reload. Where the running socket already has the new settings
    the file is written and nothing is restarted."""
    restart = []
    for unit, dummy, after in changes:
        state = current.get(unit) or {}
        if not is_running(state):
            continue
        if after is None or not running_matches(state, settings[unit]):
            restart.append(unit)
    return restart


def settings_drift(settings, current, is_running):
    """[{'unit', 'reason'}] for active sockets whose running settings are not the wanted ones."""
    drift = []
    for unit in sorted(settings):
        state = current.get(unit) or {}
        if is_running(state) and not running_matches(state, settings[unit]):
            keys = sorted(settings[unit])
            drift.append({'unit': unit, 'reason': 'runs with {0}, wanted {1}'.format(
                ', '.join('{0}={1}'.format(key, _running(state, key)) for key in keys),
                ', '.join('{0}={1}'.format(key, settings[unit][key]) for key in keys))})
    return drift
