# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters libvirt_daemon_units and libvirt_daemon_mode (docs in the adjacent .yml files)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_mode import decide_mode
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_units import daemon_units


def libvirt_daemon_units(drivers, mode='modular', sockets=('main', 'ro', 'admin'), remote='none', proxy=False):
    """The libvirt units to enable and start for ``drivers``."""
    try:
        return daemon_units(drivers, mode=mode, sockets=sockets, remote=remote, proxy=proxy)
    except LibvirtInputError as exc:
        raise AnsibleFilterError('libvirt_daemon_units: {0}'.format(exc))


def libvirt_daemon_mode(facts, units=None, override='auto'):
    """'modular' or 'monolithic' for a host's facts (and probed units)."""
    try:
        return decide_mode(facts, units=units, override=override)[0]
    except LibvirtInputError as exc:
        raise AnsibleFilterError('libvirt_daemon_mode: {0}'.format(exc))


class FilterModule(object):

    def filters(self):
        return {
            'libvirt_daemon_units': libvirt_daemon_units,
            'libvirt_daemon_mode': libvirt_daemon_mode,
        }
