# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Input validation: every error names the bad value and lists what is allowed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    DRIVERS,
    MODES,
    REMOTES,
    SOCKET_KINDS,
    unit_mode,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_dropins import SOCKET_SETTINGS, check_listen_address
from ansible_collections.kvmhost.setup.plugins.module_utils.ordered import unique

OTHER_ACTIONS = ('mask', 'disable', 'keep')
OVERRIDES = ('auto',) + MODES

UNIT_TYPES = (
    'service', 'socket', 'target', 'timer', 'path', 'mount', 'automount',
    'swap', 'slice', 'scope', 'device',
)
UNIT_NAME_MAX = 255
# \Z, not $: '$' would accept a trailing newline
_UNIT_NAME_RE = re.compile(
    r'^[A-Za-z0-9:_.\\@-]+\.(' + '|'.join(UNIT_TYPES) + r')\Z')

# str and unicode on Python 2, str on Python 3
_STRING_TYPES = (type(u''), type(''))


class LibvirtInputError(ValueError):
    """A caller passed a value the collection does not accept."""


def _allowed(values):
    return ', '.join(values)


def _type_name(value):
    """The plain type name, also for Ansible's tagged and lazy subclasses of the builtins."""
    for base in (bool, int, float, str, bytes, list, tuple, dict):  # bool before int
        if isinstance(value, base):
            return base.__name__
    if value is None:
        return 'None'
    return type(value).__name__


def is_string(value):
    return isinstance(value, _STRING_TYPES)


def validate_string_list(value, what):
    """A list (or tuple) of strings, returned as a list."""
    if is_string(value) or not isinstance(value, (list, tuple)):
        raise LibvirtInputError(
            '{0} must be a list of strings, got {1} {2!r}'.format(what, _type_name(value), value))
    for item in value:
        if not is_string(item):
            raise LibvirtInputError(
                '{0} must be a list of strings, got {1} {2!r} in {3!r}'.format(
                    what, _type_name(item), item, value))
    return list(value)


def _choice(value, what, allowed):
    if not is_string(value) or value not in allowed:
        raise LibvirtInputError(
            'unknown {0} {1!r}: allowed are {2}'.format(what, value, _allowed(allowed)))
    return value


def validate_drivers(drivers):
    """Known drivers, duplicates dropped, order kept; an empty list is refused."""
    drivers = validate_string_list(drivers, 'drivers')
    if not drivers:
        raise LibvirtInputError(
            'drivers must not be empty: allowed drivers are {0}'.format(_allowed(DRIVERS)))
    for drv in drivers:
        if drv not in DRIVERS:
            raise LibvirtInputError(
                'unknown driver {0!r}: allowed drivers are {1}'.format(drv, _allowed(DRIVERS)))
    return unique(drivers)


def validate_sockets(sockets):
    """Known socket kinds in canonical order (main, ro, admin); 'main' is required."""
    sockets = validate_string_list(sockets, 'sockets')
    for kind in sockets:
        if kind not in SOCKET_KINDS:
            raise LibvirtInputError(
                'unknown socket kind {0!r}: allowed socket kinds are {1}'.format(
                    kind, _allowed(SOCKET_KINDS)))
    if 'main' not in sockets:
        raise LibvirtInputError(
            "sockets {0!r} must include 'main': the -ro and -admin sockets are bound to "
            "the main socket (allowed socket kinds are {1})".format(sockets, _allowed(SOCKET_KINDS)))
    return [kind for kind in SOCKET_KINDS if kind in sockets]


def validate_mode(mode, allow_auto=False):
    return _choice(mode, 'mode', OVERRIDES if allow_auto else MODES)


def validate_remote(remote):
    return _choice(remote, 'remote', REMOTES)


def validate_other_action(action):
    return _choice(action, 'other_mode_units action', OTHER_ACTIONS)


def validate_bool(value, what):
    if not isinstance(value, bool):
        raise LibvirtInputError(
            '{0} must be a boolean (true or false), got {1} {2!r}'.format(
                what, _type_name(value), value))
    return value


def validate_unit_name(name, what='unit'):
    """A systemd unit name, safe to pass as one argument to systemctl.

    Letters, digits and ``:_.\\@-``, a known unit type suffix, at most 255
    characters, no leading '-', at most one '@' (template or instance).
    """
    if not is_string(name):
        raise LibvirtInputError(
            '{0} name must be a string, got {1} {2!r}'.format(what, _type_name(name), name))
    problem = None
    if not name:
        problem = 'it is empty'
    elif len(name) > UNIT_NAME_MAX:
        problem = 'it is longer than {0} characters'.format(UNIT_NAME_MAX)
    elif name.startswith('-'):
        problem = "it starts with '-'"
    elif not _UNIT_NAME_RE.match(name):
        problem = ('a unit name is made of letters, digits and :_.\\@- and ends in .'
                   + ', .'.join(UNIT_TYPES))
    elif name.count('@') > 1 or name.startswith('@'):
        problem = "a unit name holds at most one '@', after the prefix"
    if problem:
        raise LibvirtInputError('invalid {0} name {1!r}: {2}'.format(what, name, problem))
    return name


def validate_unit_names(names, what='units'):
    """A list of unit names, duplicates dropped, order kept."""
    names = validate_string_list(names, what)
    for name in names:
        validate_unit_name(name, what='{0} entry'.format(what))
    return unique(names)


def validate_socket_settings(params):
    """The socket settings written into drop-ins ({option: value}), each refused unless it
    matches its pattern in the drop-ins' table."""
    values = {}
    for row in SOCKET_SETTINGS:
        value = params[row.option]
        if not is_string(value) or not row.pattern.match(value):
            raise LibvirtInputError('{0} is {1!r}: allowed is {2}'.format(row.option, value, row.allowed))
        values[row.option] = value
    problem = check_listen_address(params['listen_address'])
    if problem:
        raise LibvirtInputError('listen_address is {0!r}: {1}'.format(params['listen_address'], problem))
    if params['listen_address'] and params['remote'] == 'none' and params['units'] is None:
        raise LibvirtInputError(
            "listen_address is {0!r} but remote is 'none': set remote to tls or tcp, or leave the "
            'address empty'.format(params['listen_address']))
    return values


def mode_of_units(units):
    """Mode that explicit libvirt units belong to: 'modular', 'monolithic' or None.

    Shared (virtlogd/virtlockd) and non-libvirt units do not count; a list that
    mixes both modes is refused.
    """
    found = {'modular': [], 'monolithic': []}
    for unit in units:
        mode = unit_mode(unit)
        if mode in found:
            found[mode].append(unit)
    if found['modular'] and found['monolithic']:
        raise LibvirtInputError(
            'units mix modular ({0}) and monolithic ({1}) libvirt units: list the units of one '
            'mode only (modular: virt*d units, monolithic: libvirtd units)'.format(
                ', '.join(found['modular']), ', '.join(found['monolithic'])))
    for mode in ('modular', 'monolithic'):
        if found[mode]:
            return mode
    return None


def validate_request(params):
    """Check every module option before anything else; returns the normalised request."""
    request = {
        'drivers': validate_drivers(params['drivers']),
        'sockets': validate_sockets(params['sockets']),
        'extra': validate_unit_names(params['extra_units'], 'extra_units'),
        'units': None,
        'units_mode': None,
    }
    for unit in request['extra']:
        if unit_mode(unit) in ('modular', 'monolithic'):
            raise LibvirtInputError(
                'extra_units entry {0!r} is a libvirt {1} unit: list libvirt units in units, '
                'extra_units is for other units such as tuned.service'.format(unit, unit_mode(unit)))
    if params['units'] is not None:
        units = validate_unit_names(params['units'], 'units')
        if not units:
            raise LibvirtInputError('units must list at least one unit; omit units to compute them from drivers')
        units_mode = mode_of_units(units)
        if params['mode'] != 'auto' and units_mode not in (None, params['mode']):
            raise LibvirtInputError(
                'units {0!r} are {1} units but mode is {2!r}: allowed are units of the {2} set'.format(
                    units, units_mode, params['mode']))
        request['units'] = units
        request['units_mode'] = units_mode
    request['socket_settings'] = validate_socket_settings(params)
    request['restart_units'] = validate_unit_names(params['restart_units'], 'restart_units')
    if params['lock_timeout'] < 0:
        raise LibvirtInputError('lock_timeout is {0}: allowed is a number of seconds, 0 or more'.format(
            params['lock_timeout']))
    return request
