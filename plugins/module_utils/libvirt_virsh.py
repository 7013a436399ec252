# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The libvirt_objects module's host I/O: virsh (one batched probe, one command per step),
the pool directories, the autostart links, user and group names. Decides nothing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import shutil
import stat
import tempfile

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import AUTOSTART_OBJECTS
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_host import C_LOCALE


def lookup_user(name):
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def lookup_group(name):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def stat_dir(path):
    """{'owner', 'group', 'mode'} of a directory (not following a last link), None when it is
    missing or not a directory."""
    try:
        st = os.lstat(path)
    except (IOError, OSError):
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    return {'owner': st.st_uid, 'group': st.st_gid, 'mode': stat.S_IMODE(st.st_mode)}


def drivers_with_autostart_links():
    """Drivers whose system daemon has autostart links on disk (networks, pools)."""
    found = []
    for dummy, driver, directory in AUTOSTART_OBJECTS:
        try:
            names = os.listdir(directory)
        except (IOError, OSError):
            names = []
        if any(name.endswith('.xml') for name in names):
            found.append(driver)
    return found


class Virsh(object):
    """virsh on the target, in the C locale: one batched command string for the probe, one
    command per step (so that a failed step stops the run with its own rc and stderr)."""

    def __init__(self, module, uri):
        self.module = module
        self.uri = uri
        self.virsh = module.get_bin_path('virsh')
        self.tmpdir = None
        self.calls = 0

    def batch(self, script):
        """Run several virsh commands (separated by ';') in one invocation."""
        self.calls += 1
        rc, out, err = self.module.run_command([self.virsh, '-c', self.uri, script], environ_update=C_LOCALE)
        return rc, out, err

    def run(self, step):
        """One step: [command, name] or [command-define, name, xml]."""
        self.calls += 1
        if step[0].endswith('-define'):
            if self.tmpdir is None:
                self.tmpdir = tempfile.mkdtemp(prefix='kvmhost-objects-')
            path = os.path.join(self.tmpdir, '{0}-{1}.xml'.format(step[0], step[1]))
            with open(path, 'w') as handle:
                handle.write(step[2])
            argv = [self.virsh, '-c', self.uri, step[0], '--file', path]
        else:
            # names never start with '-' (libvirt_objects.check_name), so none reads as an option
            argv = [self.virsh, '-c', self.uri] + list(step)
        return self.module.run_command(argv, environ_update=C_LOCALE)

    def cleanup(self):
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
