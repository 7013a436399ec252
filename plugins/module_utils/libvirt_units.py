# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The libvirt units a host should run, from drivers, socket kinds and remote access."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    AUTOSTART_DRIVERS,
    HYPERVISOR_DRIVERS,
    MONOLITHIC_DAEMON,
    PROXY_DAEMON,
    SHARED_DAEMONS,
    autostart_service,
    driver_daemon,
    service_unit,
    socket_unit,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import (
    LibvirtInputError,
    validate_bool,
    validate_drivers,
    validate_mode,
    validate_remote,
    validate_sockets,
    validate_string_list,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.ordered import unique


def _shared_sockets(sockets):
    # virtlogd/virtlockd: main always, -admin when asked, never -ro (they ship none)
    units = []
    for daemon in SHARED_DAEMONS:
        units.append(socket_unit(daemon, 'main'))
        if 'admin' in sockets:
            units.append(socket_unit(daemon, 'admin'))
    return units


def daemon_units(drivers, mode='modular', sockets=('main', 'ro', 'admin'), remote='none', proxy=False):
    """Ordered list (no duplicates) of the libvirt units to enable and start.

    modular: each driver's sockets of the asked kinds (in the drivers' order),
    virtproxyd's sockets when ``proxy`` or remote access is asked (plus its
    -tls/-tcp socket for remote), virtlogd/virtlockd sockets, then the .service
    of each hypervisor driver given (boot autostart of guests).
    monolithic: libvirtd's sockets of the asked kinds, its -tls/-tcp socket for
    remote, libvirtd.service, then virtlogd/virtlockd sockets; ``drivers`` is
    validated but does not change the list.
    -tcp/-tls sockets are only ever added by ``remote``.
    """
    drivers = validate_drivers(drivers)
    mode = validate_mode(mode)
    sockets = validate_sockets(sockets)
    remote = validate_remote(remote)
    proxy = validate_bool(proxy, 'proxy')

    units = []
    if mode == 'monolithic':
        units.extend(socket_unit(MONOLITHIC_DAEMON, kind) for kind in sockets)
        if remote != 'none':
            units.append(socket_unit(MONOLITHIC_DAEMON, remote))
        units.append(service_unit(MONOLITHIC_DAEMON))
        units.extend(_shared_sockets(sockets))
        return units

    for drv in drivers:
        units.extend(socket_unit(driver_daemon(drv), kind) for kind in sockets)
    if proxy or remote != 'none':
        units.extend(socket_unit(PROXY_DAEMON, kind) for kind in sockets)
        if remote != 'none':
            units.append(socket_unit(PROXY_DAEMON, remote))
    units.extend(_shared_sockets(sockets))
    units.extend(service_unit(driver_daemon(drv)) for drv in drivers if drv in HYPERVISOR_DRIVERS)
    return units


def validate_autostart_drivers(autostart, drivers):
    """Drivers with autostart objects (networks, pools): known ones, each among ``drivers``."""
    autostart = validate_string_list(autostart, 'autostart_drivers')
    for drv in autostart:
        if drv not in AUTOSTART_DRIVERS:
            raise LibvirtInputError('autostart_drivers names {0!r}: allowed are {1} (guests of the hypervisor drivers '
                                    'already have their service enabled)'.format(drv, ', '.join(AUTOSTART_DRIVERS)))
        if drv not in drivers:
            raise LibvirtInputError('autostart_drivers names {0!r}, which is not among drivers ({1}): add it to '
                                    'drivers, its daemon serves those objects'.format(drv, ', '.join(drivers)))
    return unique(autostart)


def with_autostart(units, autostart, mode):
    """``units`` plus the service that starts each driver's autostart objects at boot
    (virtnetworkd.service, virtstoraged.service; libvirtd.service in the monolithic mode)."""
    return unique(list(units) + [autostart_service(drv, mode) for drv in autostart])
