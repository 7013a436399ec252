# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The unit-set options of the libvirt_daemons module and the libvirt_daemon_units filter.
    DOCUMENTATION = r'''
options:
  sockets:
    description:
      - Socket kinds of each daemon to enable and start. V(main) is required, the others are bound to it.
      - C(virtlogd) and C(virtlockd) have no V(ro) socket.
    type: list
    elements: str
    choices: [main, ro, admin]
    default: [main, ro, admin]
  proxy:
    description:
      - In modular mode, also enable and start C(virtproxyd)'s sockets (C(/run/libvirt/libvirt-sock)
        for clients that use the legacy socket). Implied by remote access (V(tls) or V(tcp)).
    type: bool
    default: false
'''
