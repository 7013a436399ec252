# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The libvirt daemons and the systemd units each one ships.

Pure data and lookups: no I/O, no AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


MODES = ('modular', 'monolithic')
REMOTES = ('none', 'tls', 'tcp')
SOCKET_KINDS = ('main', 'ro', 'admin')
REMOTE_KINDS = ('tcp', 'tls')

# driver -> modular daemon, in a stable documentation order
DRIVER_DAEMONS = (
    ('qemu', 'virtqemud'),
    ('lxc', 'virtlxcd'),
    ('libxl', 'virtxend'),
    ('ch', 'virtchd'),
    ('vbox', 'virtvboxd'),
    ('vz', 'virtvzd'),
    ('interface', 'virtinterfaced'),
    ('network', 'virtnetworkd'),
    ('nodedev', 'virtnodedevd'),
    ('nwfilter', 'virtnwfilterd'),
    ('secret', 'virtsecretd'),
    ('storage', 'virtstoraged'),
)
DRIVERS = tuple(drv for drv, dummy in DRIVER_DAEMONS)
HYPERVISOR_DRIVERS = ('qemu', 'lxc', 'libxl', 'ch', 'vbox', 'vz')

# libvirt's documented switch list (docs/daemons.rst)
DEFAULT_DRIVERS = ['qemu', 'network', 'storage', 'nodedev', 'secret', 'interface', 'nwfilter']

PROXY_DAEMON = 'virtproxyd'
MONOLITHIC_DAEMON = 'libvirtd'
SHARED_DAEMONS = ('virtlogd', 'virtlockd')
# libvirt's service that saves or shuts down running guests at host shutdown and starts
# them at boot (one of the guest lifecycle mechanisms; not a daemon's unit)
GUEST_LIFECYCLE_UNIT = 'libvirt-guests.service'

# unit suffix of each socket kind
_SOCKET_SUFFIX = {
    'main': '.socket',
    'ro': '-ro.socket',
    'admin': '-admin.socket',
    'tcp': '-tcp.socket',
    'tls': '-tls.socket',
}

# socket kinds each daemon ships, besides its .service
_DAEMON_SOCKETS = {
    MONOLITHIC_DAEMON: ('main', 'ro', 'admin', 'tcp', 'tls'),
    PROXY_DAEMON: ('main', 'ro', 'admin', 'tcp', 'tls'),
    'virtlogd': ('main', 'admin'),
    'virtlockd': ('main', 'admin'),
}
_DAEMON_SOCKETS.update((daemon, ('main', 'ro', 'admin')) for dummy, daemon in DRIVER_DAEMONS)

MODULAR_DRIVER_DAEMONS = tuple(daemon for dummy, daemon in DRIVER_DAEMONS)
MODULAR_HYPERVISOR_DAEMONS = tuple(daemon for drv, daemon in DRIVER_DAEMONS if drv in HYPERVISOR_DRIVERS)
MODULAR_SECONDARY_DAEMONS = tuple(daemon for drv, daemon in DRIVER_DAEMONS if drv not in HYPERVISOR_DRIVERS)
MODULAR_DAEMONS = MODULAR_DRIVER_DAEMONS + (PROXY_DAEMON,)
ALL_DAEMONS = (MONOLITHIC_DAEMON,) + MODULAR_DAEMONS + SHARED_DAEMONS


def driver_daemon(driver):
    """Modular daemon serving ``driver`` ('qemu' -> 'virtqemud'), None if unknown."""
    return dict(DRIVER_DAEMONS).get(driver)


def daemon_driver(daemon):
    """Driver served by a modular daemon ('virtqemud' -> 'qemu'), None otherwise."""
    for drv, name in DRIVER_DAEMONS:
        if name == daemon:
            return drv
    return None


def socket_unit(daemon, kind):
    """Name of a daemon's socket unit of one kind ('virtqemud', 'ro' -> 'virtqemud-ro.socket')."""
    return daemon + _SOCKET_SUFFIX[kind]


def service_unit(daemon):
    return daemon + '.service'


def daemon_units_all(daemon):
    """Every unit a daemon ships: its .service then its sockets."""
    return [service_unit(daemon)] + [socket_unit(daemon, kind) for kind in _DAEMON_SOCKETS[daemon]]


def all_known_units():
    """Every catalogued libvirt unit, monolithic, modular and shared (what the probe asks for)."""
    units = []
    for daemon in ALL_DAEMONS:
        units.extend(daemon_units_all(daemon))
    return units


def mode_units(mode):
    """Every unit that belongs to one mode only (shared units excluded)."""
    if mode == 'monolithic':
        return daemon_units_all(MONOLITHIC_DAEMON)
    if mode == 'modular':
        units = []
        for daemon in MODULAR_DAEMONS:
            units.extend(daemon_units_all(daemon))
        return units
    raise ValueError('unknown mode {0!r}'.format(mode))


def other_mode(mode):
    if mode == 'modular':
        return 'monolithic'
    if mode == 'monolithic':
        return 'modular'
    raise ValueError('unknown mode {0!r}'.format(mode))


def other_mode_units(mode):
    """Units of the mode that is not ``mode``: what a switch to ``mode`` stops."""
    return mode_units(other_mode(mode))


def _split_unit(unit):
    """'virtqemud-ro.socket' -> ('virtqemud', 'ro'); 'virtqemud.service' -> ('virtqemud', 'service');
    (None, None) for a unit that is not catalogued."""
    for daemon in ALL_DAEMONS:
        if unit == service_unit(daemon):
            return daemon, 'service'
        for kind in _DAEMON_SOCKETS[daemon]:
            if unit == socket_unit(daemon, kind):
                return daemon, kind
    return None, None


def unit_daemon(unit):
    """Daemon a catalogued unit belongs to, None for other units."""
    return _split_unit(unit)[0]


def unit_kind(unit):
    """'service', 'main', 'ro', 'admin', 'tcp', 'tls' for a catalogued unit, None otherwise."""
    return _split_unit(unit)[1]


def unit_mode(unit):
    """'modular', 'monolithic', 'shared' or None (not a libvirt unit)."""
    daemon = unit_daemon(unit)
    if daemon is None:
        return None
    if daemon in SHARED_DAEMONS:
        return 'shared'
    if daemon == MONOLITHIC_DAEMON:
        return 'monolithic'
    return 'modular'


def is_shared_unit(unit):
    """True for virtlogd*/virtlockd* units (also ones the catalogue does not list)."""
    name = unit.split('@', 1)[0].split('.', 1)[0]
    return any(name == d or name.startswith(d + '-') for d in SHARED_DAEMONS)


def is_read_write_socket(unit):
    """A daemon's main (read-write) socket, virtlogd/virtlockd excepted: the socket whose
    group and mode decide who may manage the host."""
    daemon = unit_daemon(unit)
    return daemon is not None and daemon not in SHARED_DAEMONS and unit == socket_unit(daemon, 'main')


def is_remote_socket(unit):
    """libvirtd's or virtproxyd's -tls/-tcp socket."""
    return unit_kind(unit) in REMOTE_KINDS


REMOTE_PORTS = {'tcp': 16509, 'tls': 16514}


def remote_port(unit):
    """The port a remote socket listens on (libvirt's defaults)."""
    return REMOTE_PORTS[unit_kind(unit)]


def is_hypervisor_service(unit):
    return unit in hypervisor_services()


def guest_status_dirs():
    """Where the hypervisor drivers keep the status XML of each running guest."""
    return ['/run/libvirt/{0}'.format(drv) for drv in ('qemu', 'lxc', 'libxl', 'ch')]


def hypervisor_services():
    """Services whose stop disconnects the management of running guests."""
    return [service_unit(MONOLITHIC_DAEMON)] + [
        service_unit(driver_daemon(drv)) for drv in HYPERVISOR_DRIVERS]


# Objects a driver daemon starts itself when it starts (libvirt's autostart), the driver
# that serves each kind, and where libvirt keeps the autostart links of the system
# daemon. Socket activation alone does not start a daemon at boot, so in the modular mode
# the driver's .service is enabled where such objects exist; guests (qemu) already have it.
AUTOSTART_OBJECTS = (
    ('network', 'network', '/etc/libvirt/qemu/networks/autostart'),
    ('pool', 'storage', '/etc/libvirt/storage/autostart'),
)
AUTOSTART_DRIVERS = tuple(driver for dummy, driver, dummy2 in AUTOSTART_OBJECTS)


def autostart_driver(kind):
    """Driver serving an autostart object kind ('network' -> 'network', 'pool' -> 'storage')."""
    for name, driver, dummy in AUTOSTART_OBJECTS:
        if name == kind:
            return driver
    raise ValueError('unknown object kind {0!r}'.format(kind))


def autostart_dir(driver):
    """Where the system daemon keeps the autostart links of a driver's objects."""
    for dummy, name, directory in AUTOSTART_OBJECTS:
        if name == driver:
            return directory
    raise ValueError('driver {0!r} has no autostart objects'.format(driver))


def autostart_service(driver, mode):
    """The unit that must start at boot for a driver's autostart objects to start."""
    if mode == 'monolithic':
        return service_unit(MONOLITHIC_DAEMON)
    return service_unit(driver_daemon(driver))
