# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Every module of the collection runs on Linux libvirt hosts.
    DOCUMENTATION = r'''
attributes:
  platform:
    support: full
    platforms: linux
    description: Linux hosts with libvirt.
'''

    # Modules that only read the host.
    READ_ONLY = r'''
attributes:
  check_mode:
    support: full
    description: Only reads the host, so it runs in check mode too and returns the same result.
  diff_mode:
    support: none
    description: Never changes anything, so there is no diff.
'''
