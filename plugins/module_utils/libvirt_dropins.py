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

import re
import socket
import struct
from collections import namedtuple

try:
    import ipaddress
except ImportError:  # Python 2 without the backport: no listen_address then
    ipaddress = None

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
    """'addr:port' as systemd prints ListenStream, the address in canonical form
    ('[2001:db8::1]:16514' for '2001:0db8:0:0::1'), so that every spelling compares equal."""
    host = canonical_address(address) or address
    return '{0}:{1}'.format('[{0}]'.format(host) if ':' in host else host, port)


def canonical_address(text):
    """The address in canonical form, None when it is not an IP address (a host name)."""
    if ipaddress is None:
        return None
    try:
        return ipaddress.ip_address(u'{0}'.format(text)).compressed
    except ValueError:
        return None


def check_listen_address(value):
    """Why systemd could not take ``value`` as a ListenStream address, or None: an IP
    address only, no host name (systemd does not resolve) and no zone index."""
    if not value:
        return None
    if '%' in value:
        return 'a zone index ({0}) is not supported: use a global or unique-local address'.format(
            value.split('%', 1)[1])
    if canonical_address(value.strip('[]') if value.startswith('[') else value) is None:
        return 'not an IP address (systemd does not resolve host names in ListenStream=)'
    return None


def canonical_listen(text):
    """'127.0.0.1:16514', '[::1]:16514', '*:16514' or '[0:0::1]:16514' -> listen_stream() form."""
    host, sep, port = text.rpartition(':')
    if not sep:
        return text
    host = host.strip('[]')
    if host in ('*', ''):
        host = '::'
    return listen_stream(host, port)


# One row per socket setting the module writes into drop-ins:
# - option: the module option (a string, "" for none);
# - key: the systemctl show property that tells how systemd runs the socket, also the key
#   of the wanted settings;
# - state: the key parse_show() gives the property in a unit's state;
# - pattern, allowed: what the option accepts (\Z, not $, so that a trailing newline
#   cannot smuggle in another directive), and how a refusal says it;
# - applies: which sockets get it; value: the wanted value for one socket;
# - lines: the drop-in lines that set it;
# - seen: what clients see of it on the bound socket, from the socket file's
#   {'group', 'mode'} (None when it has none) and the listeners on the socket's port
#   (listen_stream() form): systemctl show prints the loaded settings, which after a
#   daemon-reload are the new ones while the bound socket keeps the old until it restarts.
SocketSetting = namedtuple('SocketSetting', 'option key state pattern allowed applies value lines seen')


def _listen_lines(value):
    # the empty assignment drops the unit's own ListenStream; FreeBind lets the socket
    # bind an address that is not up yet at boot instead of failing
    return ['ListenStream=', 'ListenStream=' + value, 'FreeBind=true']


SOCKET_SETTINGS = (
    SocketSetting('socket_group', 'SocketGroup', 'socket_group', re.compile(r'^([a-z_][a-z0-9_-]{0,31})?\Z'),
                  'a group name (lower case letters, digits, _ and -), or "" to keep the unit\'s own',
                  is_read_write_socket, lambda value, unit: value, lambda value: ['SocketGroup=' + value],
                  lambda socket_file, listeners: None if socket_file is None else socket_file.get('group', '')),
    SocketSetting('socket_mode', 'SocketMode', 'socket_mode', re.compile(r'^(0?[0-7]{3})?\Z'),
                  'an octal mode such as "0660", or "" to keep the unit\'s own',
                  is_read_write_socket, lambda value, unit: normal_mode(value), lambda value: ['SocketMode=' + value],
                  lambda socket_file, listeners: None if socket_file is None else socket_file.get('mode', '')),
    SocketSetting('listen_address', 'Listen', 'listen', re.compile(r'^[A-Fa-f0-9.:]*\Z'),
                  'an IPv4 or IPv6 address (no host name, no zone index), or "" for the unit\'s own addresses',
                  is_remote_socket, lambda value, unit: listen_stream(value, remote_port(unit)), _listen_lines,
                  lambda socket_file, listeners: None if listeners is None else ' '.join(sorted(listeners))),
)


def wanted_settings(wanted, values):
    """{socket: {key: value}} for the wanted sockets that get a drop-in, from ``values``
    ({option: value}, as the module takes them): each setting that is set goes to the
    sockets it applies to (group and mode: the read-write sockets; the listen address:
    the remote -tls/-tcp sockets)."""
    settings = {}
    for unit in wanted:
        for row in SOCKET_SETTINGS:
            if values.get(row.option) and row.applies(unit):
                settings.setdefault(unit, {})[row.key] = row.value(values[row.option], unit)
    return settings


def render(setting):
    """Drop-in text for one socket's settings, in the table's order."""
    lines = ['[Socket]']
    for row in SOCKET_SETTINGS:
        if row.key in setting:
            lines.extend(row.lines(setting[row.key]))
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
    """A socket's setting as clients see it (the bound socket), else as systemd shows it;
    show prints 'Listen=127.0.0.1:16514 (Stream)'."""
    if key in state.get('seen', {}):
        return state['seen'][key]
    row = [row for row in SOCKET_SETTINGS if row.key == key][0]
    value = state.get(row.state, '').split(' (', 1)[0]
    return canonical_listen(value) if key == 'Listen' and value else value


def seen_settings(socket_file, listeners):
    """{key: value} of the settings clients can see, by the table's readers: a unix socket
    has a file ({} when it is gone: nothing matches then), a TCP socket has listeners."""
    seen = ((row.key, row.seen(socket_file, listeners)) for row in SOCKET_SETTINGS)
    return dict((key, value) for key, value in seen if value is not None)


# /proc/net/tcp{,6} state of a listening socket
_TCP_LISTEN = '0A'


def parse_proc_net_tcp(text):
    """The listening addresses in /proc/net/tcp or tcp6 text, in listen_stream() form. The
    kernel prints each 32-bit word of an address in the host's byte order."""
    listeners = []
    for line in (text or '').splitlines()[1:]:
        fields = line.split()
        if len(fields) < 4 or fields[3] != _TCP_LISTEN or ':' not in fields[1]:
            continue
        address, port = fields[1].split(':')
        words = [int(address[index:index + 8], 16) for index in range(0, len(address), 8)]
        packed = struct.pack('=' + 'I' * len(words), *words)
        family = socket.AF_INET if len(words) == 1 else socket.AF_INET6
        listeners.append(listen_stream(socket.inet_ntop(family, packed), int(port, 16)))
    return listeners


def running_matches(state, setting):
    """Whether a socket as clients see it already has these settings."""
    return all(_running(state, key) == value for key, value in setting.items())


def rebind_as_loaded(state):
    """What clients see of a socket once it restarts: the settings systemd loaded (for a
    prediction)."""
    if 'seen' not in state:
        return state
    listen = state.get('listen', '').split(' (', 1)[0]
    if not listen or listen.startswith('/'):
        state['seen'] = seen_settings({'group': state.get('socket_group', ''),
                                       'mode': normal_mode(state.get('socket_mode', ''))}, None)
    else:
        state['seen'] = seen_settings(None, [canonical_listen(listen)])
    return state


def predict_settings(states, settings, removed=()):
    """The states as systemd will show them once the drop-ins with ``settings`` are loaded
    (for check mode's prediction). A socket whose drop-in goes away gets the unit's own
    settings, which only its unit file knows: the prediction leaves them out."""
    for unit in removed:
        for row in SOCKET_SETTINGS:
            states.get(unit, {}).pop(row.state, None)
    for unit, setting in settings.items():
        if unit in states:
            for row in SOCKET_SETTINGS:
                if row.key in setting:
                    states[unit][row.state] = setting[row.key] + (' (Stream)' if row.key == 'Listen' else '')
    return states


def sockets_to_restart(changes, settings, current, is_running):
    """Active sockets that clients see otherwise than wanted, or that run with the settings of
    a drop-in that goes away.

    Decided from the bound socket, not from whether this run changed a file, so that a run
    interrupted between writing a drop-in and restarting its socket heals on the next one.
    A removed drop-in needs the restart when the socket runs with its settings (what the unit
    has without it is only known after a daemon-reload), so a socket that does not run with the removed drop-in's settings
    (a run that wrote it was interrupted before the restart) is left alone. Where the bound
    socket already has the new settings the file is written and nothing is restarted."""
    restart = []
    removed = dict((unit, before) for unit, before, after in changes if after is None)
    for unit in sorted(set(settings) | set(removed)):
        state = current.get(unit) or {}
        if not is_running(state):
            continue
        if unit in removed:
            # it runs with what the drop-in set (or clients cannot be asked): that goes away
            if 'seen' not in state or running_matches(state, dropin_settings(removed[unit])):
                restart.append(unit)
        elif not running_matches(state, settings[unit]):
            restart.append(unit)
    return restart


def dropin_settings(text):
    """{key: value} that a drop-in of the collection sets, read back by the table's lines."""
    lines = (text or '').splitlines()
    found = {}
    for row in SOCKET_SETTINGS:
        marker = '\x00'
        directive = [line.split(marker)[0] for line in row.lines(marker) if marker in line][0]
        values = [line[len(directive):] for line in lines if line.startswith(directive) and line != directive]
        if values:
            found[row.key] = values[-1]
    return found


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
