# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters libvirt_conf_lines and libvirt_hypervisor_uris (docs in the adjacent .yml files)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_conf import conf_lines, hypervisor_uris
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError


def libvirt_conf_lines(settings, name='settings', owned=None, owner=None):
    """The typed ``key = value`` lines of libvirt configuration settings."""
    try:
        return conf_lines(settings, name=name, owned=owned, owner=owner)
    except LibvirtInputError as exc:
        raise AnsibleFilterError('libvirt_conf_lines: {0}'.format(exc))


def libvirt_hypervisor_uris(services, drivers=(), wanted=()):
    """The URIs to connect to, to prove each hypervisor service answers."""
    if not isinstance(services, (list, tuple)) or not isinstance(drivers, (list, tuple)) \
            or not isinstance(wanted, (list, tuple)):
        raise AnsibleFilterError('libvirt_hypervisor_uris: services, drivers and wanted must be lists of names')
    return hypervisor_uris(services, drivers, wanted)


class FilterModule(object):

    def filters(self):
        return {
            'libvirt_conf_lines': libvirt_conf_lines,
            'libvirt_hypervisor_uris': libvirt_hypervisor_uris,
        }
