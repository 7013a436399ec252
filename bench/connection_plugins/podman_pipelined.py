# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark-only: containers.podman.podman with pipelining that works.

The collection's plugin declares ``has_pipelining = False`` (its `podman exec`
is run without ``-i``, so a module sent on stdin never arrives), which makes
ANSIBLE_PIPELINING a no-op: every module costs five `podman exec` calls plus a
`podman mount`. This subclass passes ``-i`` when there is input and declares
pipelining, so a module is one `podman exec`. Used by bench/run.sh only to
measure what pipelining would buy; not part of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
name: podman_pipelined
short_description: containers.podman.podman with pipelining (benchmark only)
description:
  - Same as containers.podman.podman, with C(podman exec -i) and pipelining.
author: kvmhost.setup maintainers (@kvmhost)
extends_documentation_fragment:
  - connection_pipelining
options:
  remote_addr:
    description: The ID of the container.
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_podman_host
  remote_user:
    description: User in the container.
    vars:
      - name: ansible_user
  podman_extra_args:
    description: Extra arguments to pass to the podman command line.
    default: ''
    env:
      - name: ANSIBLE_PODMAN_EXTRA_ARGS
    vars:
      - name: ansible_podman_extra_args
  podman_executable:
    description: Executable for podman command.
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
'''

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection


class Connection(PodmanConnection):
    transport = 'podman_pipelined'
    has_pipelining = True

    def _connect(self):
        # No `podman mount` per task: with pipelining no file is transferred
        # for modules; put_file falls back to `podman cp` when it is needed.
        self._connected = True
        return self

    def exec_command(self, cmd, in_data=None, sudoable=False):
        # The base class's bookkeeping only: PodmanConnection's own exec_command
        # is what this method replaces. Named explicitly, which older pylints
        # (ansible-core 2.16-2.18 sanity) accept, unlike super(PodmanConnection, self).
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        args = ['exec']
        if in_data is not None:
            args.append('-i')
        if self.user:
            args.extend(('--user', self.user))
        return self._podman(args, shlex.split(to_native(cmd, errors='surrogate_or_strict')), in_data)
