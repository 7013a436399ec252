# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``systemctl show`` for many units in one call, and the unit-state vocabulary."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_dropins import SOCKET_SETTINGS
from ansible_collections.kvmhost.setup.plugins.module_utils.ordered import unique

# The socket properties are what systemd runs the socket with, so the same call tells
# whether a changed drop-in needs a restart; systemd prints them for sockets only.
_SOCKET_KEYS = tuple((row.key, row.state) for row in SOCKET_SETTINGS)
# InvocationID changes with every start, so a rollback can tell a daemon it restarted;
# NeedDaemonReload tells a drop-in written by a run that stopped before its daemon-reload.
# ExecStart tells libvirt's traditional mode (libvirtd --listen).
SHOW_PROPERTIES = ('Id', 'LoadState', 'UnitFileState', 'ActiveState', 'SubState', 'InvocationID',
                   'NeedDaemonReload', 'ExecStart') + tuple(prop for prop, dummy in _SOCKET_KEYS)
_STATE_KEYS = (
    ('LoadState', 'load_state'),
    ('UnitFileState', 'unit_file_state'),
    ('ActiveState', 'active_state'),
    ('SubState', 'sub_state'),
)
_OPTIONAL_KEYS = (('InvocationID', 'invocation_id'), ('NeedDaemonReload', 'need_daemon_reload'),
                  ('ExecStart', 'exec_start'))

# ActiveState values of a unit that is up or on its way up
RUNNING_STATES = ('active', 'activating', 'reloading', 'refreshing')
# UnitFileState values for which `systemctl enable` is not needed (or cannot
# change anything): static/indirect/alias/generated/transient units have no
# [Install] of their own to act on.  'enabled-runtime' is NOT here: it lasts
# until the next boot only, so a persistent enable is still wanted.
ENABLED_STATES = ('enabled', 'static', 'indirect', 'alias', 'generated', 'transient')
# UnitFileState values that `systemctl disable` changes
DISABLE_STATES = ('enabled', 'enabled-runtime', 'linked', 'linked-runtime')
MASKED_STATES = ('masked', 'masked-runtime')


def show_args(units):
    """argv tail (after the systemctl path) of the one batched show call."""
    return ['show', '--property=' + ','.join(SHOW_PROPERTIES), '--no-pager', '--'] + list(units)


def fresh_state():
    """State of a unit just installed by a package: loaded, disabled, inactive."""
    return {'load_state': 'loaded', 'unit_file_state': 'disabled', 'active_state': 'inactive', 'sub_state': 'dead'}


NOT_FOUND = {'load_state': 'not-found', 'unit_file_state': '', 'active_state': 'inactive', 'sub_state': 'dead'}


def split_probe(units, always, present):
    """(units to ask systemd about, units known absent without asking).

    Asking systemd about a unit it does not have makes it search every unit
    directory, which made a probe of libvirt's whole catalogue cost ten times
    the probe of the units installed. Units in ``always`` (what the caller asked
    for) are always asked; catalogue units only when ``present`` (found on disk).
    """
    ask, absent = [], []
    for unit in units:
        (ask if unit in always or unit in present else absent).append(unit)
    return ask, absent


def _blocks(output):
    """Split show output into a list of {property: value} dicts."""
    blocks = []
    current = None
    for line in output.splitlines():
        line = line.rstrip('\r')
        if not line.strip():
            current = None
            continue
        key, sep, value = line.partition('=')
        if not sep:
            continue
        if current is None:
            current = {}
            blocks.append(current)
        current[key.strip()] = value.strip()
    return blocks


def _state(block):
    state = dict((key, block.get(prop, '')) for prop, key in _STATE_KEYS)
    state.update((key, block[prop]) for prop, key in _SOCKET_KEYS if prop in block)
    state.update((key, block[prop]) for prop, key in _OPTIONAL_KEYS if block.get(prop))
    return state


def parse_show(output, units):
    """Map the output of ONE ``systemctl show`` call back to the requested unit names.

    systemd prints one block per argument, in argument order, separated by a
    blank line.  The block's Id may differ from the requested name (aliases),
    so blocks are matched by position when the counts agree, otherwise only
    by Id.  A requested unit without a block gets empty states (unknown).
    Returns dict unit -> {load_state, unit_file_state, active_state, sub_state}.
    """
    requested = unique(units)
    blocks = _blocks(output)
    result = {}
    if len(blocks) == len(requested):
        for unit, block in zip(requested, blocks):
            result[unit] = _state(block)
        return result

    # the counts differ: trust only blocks whose Id names a requested unit
    for block in blocks:
        unit = block.get('Id')
        if unit in requested and unit not in result:
            result[unit] = _state(block)
    for unit in requested:
        result.setdefault(unit, _state({}))
    return result


def is_installed(state):
    """Loaded or masked, with a unit file behind a mask: a mask whose unit file is gone (the
    package removed) leaves nothing to unmask."""
    return state.get('load_state', '') not in ('not-found', '') and state.get('unit_file') != 'missing'


def is_running(state):
    return state.get('active_state', '') in RUNNING_STATES


def is_masked(state):
    """Masked at all (persistently or until reboot)."""
    return state.get('unit_file_state', '') in MASKED_STATES or state.get('load_state', '') == 'masked'


def is_enabled(state):
    """Enabled for the next boot, or nothing that `systemctl enable` could add."""
    return state.get('unit_file_state', '') in ENABLED_STATES


def needs_disable(state):
    return state.get('unit_file_state', '') in DISABLE_STATES


def summary(state):
    """'enabled/active' style one-word-per-axis summary for diffs."""
    if not is_installed(state) and not is_masked(state):
        return state.get('load_state') or 'unknown'
    return '{0}/{1}'.format(state.get('unit_file_state') or 'unknown', state.get('active_state') or 'unknown')
