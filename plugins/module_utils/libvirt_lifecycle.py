# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What happens to running guests when the host shuts down and boots: one mechanism at a time.

``libvirt-guests``: libvirt-guests.service (its ExecStop saves or shuts down the guests, its
ExecStart starts them again), set in its environment file (ON_BOOT, ON_SHUTDOWN, ...).
``daemon``: the QEMU driver itself (libvirt >= 11.2), set by the auto_shutdown_* and
auto_start_* settings of qemu.conf. ``none``: neither. libvirt says the two must never both
act on the same guests, so a host gets exactly one, and the one left is turned off first.

Pure: the version check, the settings for qemu.conf and for libvirt-guests' file, and
whether qemu.conf still arms the daemon. No I/O, no AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import GUEST_LIFECYCLE_UNIT, hypervisor_services
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import is_running, needs_disable

MECHANISMS = ('libvirt-guests', 'daemon', 'none')
# libvirt 11.2.0 added the QEMU driver's own shutdown and start actions; 11.7.0 fixed the
# ordering of its units at shutdown (NEWS)
DAEMON_SINCE = (11, 2, 0)
DAEMON_ORDERED_SINCE = (11, 7, 0)

_ACTIONS = ('none', 'persistent', 'transient', 'all')
# qemu.conf setting -> (kind, allowed, default for the daemon mechanism). Defaults are
# libvirt's own for the session daemon (the system daemon's are all off).
DAEMON_SETTINGS = (
    # managed save is not implemented for transient guests
    ('auto_shutdown_try_save', 'choice', ('none', 'persistent'), 'persistent'),
    ('auto_shutdown_try_shutdown', 'choice', _ACTIONS, 'all'),
    ('auto_shutdown_poweroff', 'choice', _ACTIONS, 'all'),
    ('auto_shutdown_wait', 'int', None, 30),
    ('auto_shutdown_restore', 'bool', None, True),
    ('auto_save_bypass_cache', 'bool', None, False),
    ('auto_start_delay', 'int', None, 0),
    ('auto_start_bypass_cache', 'bool', None, False),
)
# the settings that make the daemon act at shutdown; "off" is none for each
DAEMON_ACTIONS = ('auto_shutdown_try_save', 'auto_shutdown_try_shutdown', 'auto_shutdown_poweroff')

# libvirt-guests' variables (libvirt-guests(8)) -> (kind, allowed)
GUESTS_SETTINGS = (
    ('ON_BOOT', 'choice', ('start', 'ignore')),
    ('ON_SHUTDOWN', 'choice', ('suspend', 'shutdown')),
    ('START_DELAY', 'int', None),
    ('SHUTDOWN_TIMEOUT', 'int', None),
    ('PARALLEL_SHUTDOWN', 'int', None),
    ('PERSISTENT_ONLY', 'choice', ('true', 'false', 'default')),
    ('BYPASS_CACHE', 'bool', None),
    ('SYNC_TIME', 'bool', None),
)

# A runtime drop-in that empties ExecStop=: stopping libvirt-guests.service runs its
# ExecStop (libvirt-guests.sh stop), which saves or shuts down every running guest. Leaving
# the mechanism must not touch the guests, so the stop runs without it, and the drop-in
# (in /run, gone at the next boot anyway) is removed right after.
NO_STOP_DROPIN = '/run/systemd/system/{0}.d/50-kvmhost-setup-leave.conf'.format(GUEST_LIFECYCLE_UNIT)
NO_STOP_TEXT = ('# kvmhost.setup: leaving libvirt-guests without running its ExecStop on the guests; '
                'removed right after the stop\n[Service]\nExecStop=\n')

# libvirt-guests.service (libvirt 11.3, as Debian 13 ships it) is ordered only after the
# daemons' sockets, not their services: at shutdown systemd stops libvirtd.service (or
# virtqemud.service) while libvirt-guests is still saving the guests ("Disconnected from
# qemu:///system due to end of file ... Failed to save domain"), seen in the lifecycle
# scenario. Ordered after the hypervisor services, libvirt-guests stops first.
ORDER_DROPIN = '/etc/systemd/system/{0}.d/kvmhost-setup-order.conf'.format(GUEST_LIFECYCLE_UNIT)


def order_text():
    """The drop-in that orders libvirt-guests after every hypervisor service, so that at
    shutdown it saves the guests before their daemon stops (After= a unit that is not
    installed is harmless)."""
    return ('# kvmhost.setup: stop libvirt-guests before the hypervisor daemons at shutdown\n'
            '[Unit]\nAfter={0}\n'.format(' '.join(hypervisor_services())))


_VERSION_RE = re.compile(r'\(libvirt\)\s+(\d+)\.(\d+)(?:\.(\d+))?')
# an uncommented setting line of qemu.conf, its value quoted or not
_CONF_LINE_RE = re.compile(r'^\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*"?([^"#\s]*)"?')


def parse_version(text):
    """(major, minor, micro) from a libvirt daemon's --version output
    ('virtqemud (libvirt) 11.3.0'), None when it says no version."""
    match = _VERSION_RE.search(text or '')
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def version_text(version):
    return '.'.join(str(part) for part in version) if version else 'unknown'


def _typed(label, key, kind, allowed, value):
    """The value as it is written, or LibvirtInputError naming the setting and what is allowed."""
    if kind == 'bool':
        if isinstance(value, bool):
            return value
        raise LibvirtInputError('{0} entry {1} is {2!r}: allowed is true or false'.format(label, key, value))
    if kind == 'int':
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise LibvirtInputError('{0} entry {1} is {2!r}: allowed is a whole number, 0 or more'.format(
                label, key, value))
        return value
    if value not in allowed:
        raise LibvirtInputError('{0} entry {1} is {2!r}: allowed are {3}'.format(
            label, key, value, ', '.join(allowed)))
    return value


def _known(label, settings, table):
    if not isinstance(settings, dict):
        raise LibvirtInputError('{0} must be a dict, got {1!r}'.format(label, settings))
    names = [row[0] for row in table]
    unknown = sorted(key for key in settings if key not in names)
    if unknown:
        raise LibvirtInputError('{0} names {1}: allowed are {2}'.format(label, ', '.join(map(str, unknown)),
                                                                        ', '.join(names)))


def daemon_conf(settings):
    """The qemu.conf settings of the daemon mechanism: libvirt's session defaults, then the
    user's ``settings`` (validated), in the table's order."""
    label = 'guest_daemon_settings'
    _known(label, settings, DAEMON_SETTINGS)
    conf = {}
    for key, kind, allowed, default in DAEMON_SETTINGS:
        conf[key] = _typed(label, key, kind, allowed, settings[key]) if key in settings else default
    return conf


def off_conf():
    """qemu.conf with the daemon's shutdown actions turned off (explicitly, not commented)."""
    return dict((key, 'none') for key in DAEMON_ACTIONS)


def guests_lines(settings):
    """[{key, line}] for libvirt-guests' environment file (a shell file it sources), in the
    table's order; every value is one of a few words or a number, so none needs quoting."""
    label = 'libvirt_guests_settings'
    _known(label, settings, GUESTS_SETTINGS)
    lines = []
    for key, kind, allowed in GUESTS_SETTINGS:
        if key not in settings:
            continue
        value = _typed(label, key, kind, allowed, settings[key])
        text = ('1' if value else '0') if kind == 'bool' else str(value)
        lines.append({'key': key, 'line': '{0}={1}'.format(key, text)})
    return lines


def armed(qemu_conf_text):
    """The daemon's shutdown actions that qemu.conf turns on ({setting: value}); {} when
    none is (libvirt's default for the system daemon is off)."""
    found = {}
    for line in (qemu_conf_text or '').splitlines():
        match = _CONF_LINE_RE.match(line)
        if match and match.group(1) in DAEMON_ACTIONS:
            found[match.group(1)] = match.group(2)
    return dict((key, value) for key, value in found.items() if value != 'none')


def check(mechanism, version, extra_units, daemon_settings, guests_settings):
    """Validate a lifecycle request against the host's libvirt version.

    Returns ``(qemu_conf, lines, warnings)``: the qemu.conf settings the role writes (the
    daemon's settings for ``daemon``; its actions explicitly off for the other two where the
    daemon knows them, nothing below 11.2), libvirt-guests' file lines, and warnings.
    Raises LibvirtInputError naming the setting (and the version) otherwise.
    """
    if mechanism not in MECHANISMS:
        raise LibvirtInputError('guest_lifecycle is {0!r}: allowed are {1}'.format(mechanism, ', '.join(MECHANISMS)))
    if mechanism != 'libvirt-guests' and GUEST_LIFECYCLE_UNIT in extra_units:
        raise LibvirtInputError(
            'extra_units (the role\'s kvmhost_services) lists {0}, but guest_lifecycle (the role\'s '
            'kvmhost_setup_guest_lifecycle) is {1!r}: the two must not both act on the guests; remove {0} '
            'from the list, or set guest_lifecycle to libvirt-guests'.format(GUEST_LIFECYCLE_UNIT, mechanism))
    conf = daemon_conf(daemon_settings)
    lines = guests_lines(guests_settings)
    warnings = []
    if mechanism == 'daemon':
        if version is None:
            raise LibvirtInputError(
                "guest_lifecycle is 'daemon', but the hypervisor daemon's libvirt version could not be read; "
                'it needs libvirt >= {0}'.format(version_text(DAEMON_SINCE)))
        if version < DAEMON_SINCE:
            raise LibvirtInputError(
                "guest_lifecycle is 'daemon', but this host's libvirt is {0}: the hypervisor daemon's own "
                'shutdown and start actions (auto_shutdown_*) need libvirt >= {1}; use libvirt-guests '
                'here'.format(version_text(version), version_text(DAEMON_SINCE)))
        if version < DAEMON_ORDERED_SINCE:
            warnings.append(
                "guest_lifecycle is 'daemon' on libvirt {0}: libvirt {1} fixed the ordering of its units at host "
                'shutdown, so on this version a guest may lose a service it needs (its network or storage '
                'daemon) before it is saved or shut down'.format(
                    version_text(version), version_text(DAEMON_ORDERED_SINCE)))
        return conf, lines, warnings
    if version is not None and version >= DAEMON_SINCE:
        return off_conf(), lines, warnings
    return {}, lines, warnings


def leave_steps(state):
    """Steps that turn libvirt-guests.service off without acting on the guests, from its
    probed state: write the drop-in without ExecStop, reload, stop, remove it, reload
    (only when it is active), then disable (when enabled). [] when it is off already.
    A step is a systemctl argument list, or ['write', path, text] / ['remove', path]."""
    steps = []
    if is_running(state):
        steps += [['write', NO_STOP_DROPIN, NO_STOP_TEXT], ['daemon-reload'], ['stop', GUEST_LIFECYCLE_UNIT],
                  ['remove', NO_STOP_DROPIN], ['daemon-reload']]
    if needs_disable(state):
        steps.append(['disable', GUEST_LIFECYCLE_UNIT])
    return steps


def left_on(state):
    """Why libvirt-guests.service is not off (after leaving it), '' when it is."""
    if is_running(state) or needs_disable(state):
        return '{0} is still {1}/{2}'.format(GUEST_LIFECYCLE_UNIT, state.get('unit_file_state', ''),
                                             state.get('active_state', ''))
    return ''
