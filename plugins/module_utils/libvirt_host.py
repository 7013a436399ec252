# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The libvirt_daemons module's host I/O: systemctl, the host lock, atomic file writes, the
running guests, whether systemd runs, the distribution and installed packages. Each function
takes the module object where it runs a command; nothing here decides anything."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import glob
import grp
import io
import os
import stat
import tempfile
import time

from ansible.module_utils.facts.system.distribution import DistributionFactCollector

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import guest_status_dirs
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_distros import parse_dpkg_installed, parse_rpm_missing
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_dropins import parse_proc_net_tcp, seen_settings
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_remote import (
    SASL_CONF,
    check_tcp,
    missing_tls_files,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.ordered import unique
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import (
    NOT_FOUND,
    is_masked,
    is_running,
    parse_show,
    show_args,
    split_probe,
)

PROC1_COMM = '/proc/1/comm'
# A directory only root can write: in world-writable /run/lock any user could create or
# hold the lock file first (and fs.protected_regular then keeps root from opening it).
LOCK_DIR = '/run/kvmhost-setup'
LOCK_FILE = LOCK_DIR + '/libvirt-daemons.lock'
# where libvirtd's command line options are set (LIBVIRTD_ARGS), EL and Debian
LIBVIRTD_ARGS_FILES = ('/etc/sysconfig/libvirtd', '/etc/default/libvirtd')
# systemd's unit search path for system units (runtime, admin, packages)
UNIT_DIRS = ('/etc/systemd/system', '/run/systemd/system', '/run/systemd/transient',
             '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system')
SYSTEMD_RUN_DIR = '/run/systemd/system'
GUEST_STATUS_DIRS = tuple(guest_status_dirs())
LIBVIRT_CONF_DIR = '/etc/libvirt'
QEMU_CONF = LIBVIRT_CONF_DIR + '/qemu.conf'
DAEMON_CONF = {
    'modular': '/etc/libvirt/virtproxyd.conf',
    'monolithic': '/etc/libvirt/libvirtd.conf',
}
PROC_NET_TCP = ('/proc/net/tcp', '/proc/net/tcp6')
# commands whose output is parsed run in the C locale
C_LOCALE = {'LC_ALL': 'C', 'LANG': 'C'}


class Failed(Exception):
    """A refusal or a failed step: the message, and what the failed result carries besides."""

    def __init__(self, msg, **fields):
        super(Failed, self).__init__(msg)
        self.msg = msg
        self.fields = fields


def host_facts(module):
    """The distribution facts exactly as Ansible's own fact gathering spells them ('CentOS', 'AlmaLinux')."""
    facts = DistributionFactCollector().collect(module=module)
    return dict((key, facts.get(key, '')) for key in ('distribution', 'distribution_major_version', 'os_family'))


def installed_packages(module, names):
    """Those of ``names`` that the package database has installed (dpkg), or that an installed
    package provides (rpm, as dnf decides it); none where there is neither."""
    if not names:
        return []
    dpkg_query = module.get_bin_path('dpkg-query')
    if dpkg_query:
        # exit code 1 only says that some names are unknown to dpkg
        dummy, out, dummy = module.run_command([dpkg_query, '-W', '-f', '${Package} ${db:Status-Status}\n', '--']
                                               + list(names), environ_update=C_LOCALE)
        return parse_dpkg_installed(out)
    rpm = module.get_bin_path('rpm')
    if rpm:
        dummy, out, dummy = module.run_command([rpm, '-q', '--whatprovides', '--'] + list(names),
                                               environ_update=C_LOCALE)
        missing = set(parse_rpm_missing(out))
        return sorted(name for name in set(names) if name not in missing)
    return []


def systemd_offline():
    """Why systemd cannot be used here, or None when it is PID 1."""
    try:
        with open(PROC1_COMM) as comm_file:
            comm = comm_file.read().strip()
    except (IOError, OSError):
        comm = ''
    if comm != 'systemd':
        return 'systemd is not PID 1 (PID 1 is {0!r})'.format(comm or 'unknown')
    if not os.path.isdir(SYSTEMD_RUN_DIR):
        return 'systemd is not running ({0} is missing)'.format(SYSTEMD_RUN_DIR)
    return None


def running_guests():
    """Names of running guests, from libvirt's status files of running domains."""
    return unique(os.path.basename(path)[:-len('.xml')]
                  for directory in GUEST_STATUS_DIRS
                  for path in sorted(glob.glob(os.path.join(directory, '*.xml'))))


def libvirt_version_text(module, daemon):
    """What ``<daemon> --version`` prints ('virtqemud (libvirt) 11.3.0'), '' when the
    daemon's binary is missing or does not answer."""
    binary = module.get_bin_path(daemon, opt_dirs=['/usr/sbin', '/sbin'])
    if not binary:
        return ''
    rc, out, dummy = module.run_command([binary, '--version'], environ_update=C_LOCALE)
    return out if rc == 0 else ''


# Files as they are: UTF-8 where they are, any other byte kept through surrogateescape
# (a Latin-1 comment is written back as it was), and no newline translation.
_TEXT = dict(encoding='utf-8', errors='surrogateescape', newline='')


def read_text(path):
    """File content, None when it cannot be read."""
    try:
        with io.open(path, **_TEXT) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def write_text(path, content, mode=0o644):
    """Write atomically (a temporary file, already with its ``mode``, renamed over the old
    one); None removes the file. Returns the directory when this call created it (so that a
    rollback can remove it)."""
    if content is None:
        if os.path.lexists(path):
            os.remove(path)
        return None
    directory = os.path.dirname(path)
    created = None
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
        created = directory
    handle, tmp = tempfile.mkstemp(dir=directory, prefix='.kvmhost-setup.')
    try:
        with io.open(handle, 'w', **_TEXT) as out:
            out.write(content)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.remove(tmp)
        raise
    return created


def list_dirs(directories):
    """{directory: sorted file names} for each directory that exists (unreadable ones count as empty)."""
    listing = {}
    for directory in directories:
        try:
            listing[directory] = sorted(os.listdir(directory))
        except OSError:
            listing[directory] = []
    return listing


def remove_empty_dir(directory):
    """Remove a directory this run created, if nothing else was put into it since."""
    try:
        os.rmdir(directory)
    except OSError:
        pass


def _is_mask(path):
    return os.path.islink(path) and os.path.realpath(path) == os.devnull


def masked_without_file(units):
    """The units whose only entries in systemd's unit directories are masks (links to
    /dev/null): unmasking them leaves no unit, so they are not installed."""
    gone = set()
    for unit in units:
        entries = [os.path.join(directory, unit) for directory in UNIT_DIRS
                   if os.path.lexists(os.path.join(directory, unit))]
        if entries and all(_is_mask(path) for path in entries):
            gone.add(unit)
    return gone


def units_on_disk(units):
    """The units that have a unit file (or a mask link) in one of systemd's unit directories."""
    return set(unit for unit in units
               if any(os.path.lexists(os.path.join(directory, unit)) for directory in UNIT_DIRS))


def libvirtd_env_files():
    """{path: text or None} of libvirtd's environment files (LIBVIRTD_ARGS)."""
    return dict((path, read_text(path)) for path in LIBVIRTD_ARGS_FILES)


def daemon_confs(daemons):
    """{path: text or None} of each daemon's .conf in /etc/libvirt."""
    return dict((path, read_text(path)) for path in (os.path.join(LIBVIRT_CONF_DIR, daemon + '.conf')
                                                     for daemon in daemons))


def socket_file(path):
    """{'group', 'mode'} of a unix socket file as clients meet it; {} when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return {}
    if not stat.S_ISSOCK(info.st_mode):
        return {}
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return {'group': group, 'mode': '{0:04o}'.format(stat.S_IMODE(info.st_mode))}


def tcp_listeners():
    """Every listening TCP address of this network namespace."""
    return [address for path in PROC_NET_TCP for address in parse_proc_net_tcp(read_text(path))]


def client_view(states):
    """Add to each active socket what clients see of it ('seen'): its socket file's group and
    mode, or the addresses listening on its TCP port."""
    listeners = None
    for unit, state in states.items():
        listen = state.get('listen', '').split(' (', 1)[0]
        if not unit.endswith('.socket') or not listen or not is_running(state):
            continue
        if listen.startswith('/'):
            state['seen'] = seen_settings(socket_file(listen), None)
            continue
        if listeners is None:
            listeners = tcp_listeners()
        port = listen.rpartition(':')[2]
        state['seen'] = seen_settings(None, [address for address in listeners if address.rpartition(':')[2] == port])


def remote_problems(params, mode):
    """(errors, warnings) of the TLS/TCP safety checks."""
    if params['remote'] == 'tls':
        missing = missing_tls_files([(params[key], os.path.exists(params[key]))
                                     for key in ('tls_ca_cert', 'tls_server_cert', 'tls_server_key')])
        if missing:
            return ['remote=tls needs the CA certificate, server certificate and server key; missing: {0} '
                    '(the TLS socket would start a daemon that fails)'.format(', '.join(missing))], []
    elif params['remote'] == 'tcp':
        conf_path = DAEMON_CONF[mode]
        error, warning = check_tcp(read_text(conf_path), read_text(SASL_CONF),
                                   params['allow_insecure_tcp'], conf_path)
        return ([error] if error else []), ([warning] if warning else [])
    return [], []


def _lock_dir(directory):
    """Create the lock directory root-only, or refuse one that another user could change."""
    try:
        os.mkdir(directory, 0o700)
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise Failed('cannot create the lock directory {0}: {1}; nothing was changed'.format(directory, exc))
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise Failed('the lock directory {0} is not a directory that only this user (uid {1}) can write '
                     '(owner uid {2}, mode {3:04o}{4}): remove it, the next run creates it; nothing was changed'.format(
                         directory, os.geteuid(), info.st_uid, stat.S_IMODE(info.st_mode),
                         ', a symbolic link' if stat.S_ISLNK(info.st_mode) else ''))


def _open_lock(path):
    """The lock file, opened without following a symbolic link, mode 0600, ours alone."""
    _lock_dir(os.path.dirname(path))
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0), 0o600)
    except OSError as exc:
        raise Failed('cannot open the lock file {0}: {1}; nothing was changed'.format(path, exc))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_nlink != 1:
        os.close(fd)
        raise Failed('the lock file {0} is not a regular file of uid {1} with one link (owner uid {2}, {3} links): '
                     'remove it; nothing was changed'.format(path, os.geteuid(), info.st_uid, info.st_nlink))
    if stat.S_IMODE(info.st_mode) != 0o600:
        os.fchmod(fd, 0o600)
    return os.fdopen(fd, 'r+')


def take_lock(path, timeout):
    """An exclusive lock on the host, held until the module's process ends, so that a second
    run at the same moment plans from the first run's result instead of repeating its steps.
    Returns (the open lock file, the seconds waited for it)."""
    handle = _open_lock(path)
    started = time.time()
    deadline = started + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except (IOError, OSError):
            if time.time() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or 'unknown'
                handle.close()
                raise Failed('another libvirt_daemons run (pid {0}) holds {1}; gave up after lock_timeout={2} s: '
                             'wait for it to finish, or raise lock_timeout; nothing was changed'.format(
                                 holder, path, timeout))
            time.sleep(0.2)
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle, time.time() - started


class Host(object):
    """systemctl on the target: one batched show per probe, one command per step."""

    def __init__(self, module, always=()):
        self.module = module
        self.systemctl = module.get_bin_path('systemctl', required=True)
        self.always = set(always)

    def probe(self, units):
        """Unit states from one batched show; catalogue units with no unit file on disk are
        reported not-found without asking. Raises Failed when systemd does not answer."""
        ask, absent = split_probe(units, self.always, units_on_disk(units))
        rc, out, err = self.module.run_command([self.systemctl] + show_args(ask), environ_update=C_LOCALE)
        if rc != 0:
            raise Failed('systemctl show failed with rc {0}: {1}'.format(rc, err.strip()), rc=rc, stdout=out, stderr=err)
        states = parse_show(out, ask)
        for unit in absent:
            states[unit] = dict(NOT_FOUND)
        for unit in masked_without_file([unit for unit in ask if is_masked(states[unit])]):
            states[unit]['unit_file'] = 'missing'
        client_view(states)
        return states

    def try_probe(self, units):
        try:
            return self.probe(units)
        except Failed:
            return None

    def run(self, step):
        verb, units = step[0], step[1:]
        argv = [self.systemctl, verb] + (['--'] + units if units else [])
        return self.module.run_command(argv, environ_update=C_LOCALE)
