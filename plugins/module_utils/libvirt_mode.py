# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which libvirt daemon mode a host should run: modular or monolithic."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    MODULAR_DRIVER_DAEMONS,
    MODULAR_HYPERVISOR_DAEMONS,
    MODULAR_SECONDARY_DAEMONS,
    MONOLITHIC_DAEMON,
    daemon_units_all,
    service_unit,
    socket_unit,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_distros import default_mode
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import _type_name
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import (
    LibvirtInputError,
    validate_mode,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import (
    is_installed,
    is_running,
)

_USER_ENABLED = ('enabled', 'enabled-runtime')


def _by_installed(units):
    modular = [unit for daemon in MODULAR_DRIVER_DAEMONS for unit in daemon_units_all(daemon)
               if is_installed(units.get(unit, {}))]
    monolithic = [unit for unit in daemon_units_all(MONOLITHIC_DAEMON) if is_installed(units.get(unit, {}))]
    if monolithic and not modular:
        return 'monolithic', 'installed: only libvirtd is installed, no modular daemon units ({0} ...)'.format(
            monolithic[0])
    if modular and not monolithic:
        return 'modular', 'installed: modular daemon units are installed ({0} ...) and libvirtd is not'.format(
            modular[0])
    return None


def _hypervisor_units(daemon):
    return [socket_unit(daemon, 'main'), service_unit(daemon)]


def _evidence(units, candidates):
    """(active units, enabled units) among ``candidates``."""
    active = [unit for unit in candidates if is_running(units.get(unit, {}))]
    enabled = [unit for unit in candidates if units.get(unit, {}).get('unit_file_state') in _USER_ENABLED]
    return active, enabled


def _by_use(units):
    """libvirt's own check (docs/daemons.rst, "Checking whether modular/monolithic mode is
    in use"): the hypervisor daemon's socket and service, virtqemud & co against libvirtd.

    Active outranks enabled (a package update can enable a set nobody runs). The
    secondary driver daemons (virtnetworkd, ...) only break a tie. virtproxyd,
    virtlogd and virtlockd serve both modes, so they never count.
    """
    mono = _evidence(units, _hypervisor_units(MONOLITHIC_DAEMON))
    modular = _evidence(units, [unit for daemon in MODULAR_HYPERVISOR_DAEMONS
                                for unit in _hypervisor_units(daemon)])
    secondary = _evidence(units, [socket_unit(daemon, 'main') for daemon in MODULAR_SECONDARY_DAEMONS])
    for level, word in ((0, 'active'), (1, 'enabled')):
        if mono[level] and not modular[level]:
            return 'monolithic', 'in use: {0} {1}, no modular hypervisor daemon {1}'.format(
                ' and '.join(mono[level]), word)
        if modular[level] and not mono[level]:
            return 'modular', 'in use: {0} {1}, libvirtd not {1}'.format(' and '.join(modular[level]), word)
        if modular[level] and mono[level] and secondary[level]:
            return 'modular', 'in use: both hypervisor daemons {0} ({1}); secondary modular daemon(s) {0}: {2}'.format(
                word, ', '.join(mono[level] + modular[level]), ', '.join(secondary[level]))
    return None


def decide_mode(facts, units=None, override='auto'):
    """Return (mode, reason); the first rule that decides wins.

    (a) override 'modular'/'monolithic'; (b) what is installed (only when
    ``units`` is given): one set installed and not the other; (c) what the
    host uses, as libvirt checks it: the hypervisor daemon's socket and service
    (virtqemud & co against libvirtd), active before enabled, secondary driver
    daemons only breaking a tie, virtproxyd never; (d) the distribution's default.
    ``units`` maps unit -> {load_state, unit_file_state, active_state, sub_state}.
    """
    override = validate_mode(override, allow_auto=True)
    if facts is None:
        facts = {}
    if not isinstance(facts, dict):
        raise LibvirtInputError('facts must be a dict like ansible_facts, got {0} {1!r}'.format(
            _type_name(facts), facts))
    if override != 'auto':
        return override, 'override: mode={0} was requested'.format(override)
    if units is not None:
        if not isinstance(units, dict):
            raise LibvirtInputError('units must be a dict unit -> state, got {0} {1!r}'.format(
                _type_name(units), units))
        decided = _by_installed(units) or _by_use(units)
        if decided:
            return decided
    return default_mode(facts)


# libvirtd's own listening (--listen, short -l), which libvirtd refuses under socket activation
_LISTEN_FLAGS = ('--listen', '-l')


def _shell_words(text):
    return text.replace('"', ' ').replace("'", ' ').split()


def traditional_mode(env_files, exec_start=''):
    """Where libvirtd is told to listen itself (libvirt's "traditional" mode), or None.

    ``env_files`` maps each of libvirtd's environment files to its text (None: absent);
    ``exec_start`` is the service's ExecStart as systemctl show prints it. libvirtd refuses
    --listen when systemd passes it sockets, so such a host cannot run libvirtd through its
    sockets until the option goes."""
    for path in sorted(env_files):
        for line in (env_files[path] or '').splitlines():
            key, sep, value = line.strip().partition('=')
            if sep and key.strip() == 'LIBVIRTD_ARGS' and [word for word in _shell_words(value) if word in _LISTEN_FLAGS]:
                return 'LIBVIRTD_ARGS in {0} has --listen ({1})'.format(path, line.strip())
    argv = exec_start.split('argv[]=', 1)[1].split(';', 1)[0] if 'argv[]=' in exec_start else ''
    if [word for word in argv.split() if word in _LISTEN_FLAGS]:
        return "libvirtd.service's ExecStart has --listen ({0})".format(argv.strip())
    return None
