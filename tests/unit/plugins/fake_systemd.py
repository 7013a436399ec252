# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fake systemd the libvirt_daemons tests run the module against: a state table that
answers the batched show and applies the verbs, plus the module harness (run, make_host).

What it models of systemd and libvirt's units, because the host-state matrix judges the
module by what this fake says clients see:
- ``show`` reports the LOADED socket settings (from the drop-in at the last daemon-reload),
  while ``bound`` holds what the socket was created with at its last start: after a drop-in
  change they differ until the socket restarts, as on a real host;
- each running service has a MainPID and InvocationID that change on every (re)start, so a
  restart is visible even when the unit table ends up the same;
- masked units refuse start and enable; a mask can outlive its unit file (``gone``);
- libvirt's units conflict pairwise (modular against libvirtd), a modular service and the
  -ro/-admin/-tcp/-tls sockets are bound to their main socket (BindsTo=), and the hypervisor
  services pull in virtlogd.socket/virtlockd.socket;
- ``traditional``: libvirtd.service runs with --listen and refuses to start while systemd
  hands it sockets;
- faults: the Nth mutating call or the Nth show fails (``fail_mutating``, ``fail_show``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import json
import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import all_known_units
from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_dropins, libvirt_host
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import is_running
from ansible_collections.kvmhost.setup.plugins.modules import libvirt_daemons
from ansible_collections.kvmhost.setup.tests.unit.plugins.unit_states import host, missing

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    @contextlib.contextmanager
    def patch_module_args(args=None):
        payload = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}))
        with pytest.MonkeyPatch.context() as patcher:
            patcher.setattr(basic, '_ANSIBLE_ARGS', payload)
            yield

SYSTEMCTL = '/usr/bin/systemctl'
EL9 = {'distribution': 'RedHat', 'distribution_major_version': '9', 'os_family': 'RedHat'}
MUTATING = ('stop', 'start', 'enable', 'disable', 'mask', 'unmask', 'daemon-reload', 'restart', 'reload',
            'try-restart', 'reload-or-restart', 'try-reload-or-restart')
DROPIN_NAME = 'kvmhost-setup.conf'
# socket setting keys as the unit table holds them (the names parse_show gives them)
SOCKET_KEYS = ('socket_group', 'socket_mode', 'listen')
SHARED = ('virtlogd', 'virtlockd')
SOCKET_KINDS = ('-ro', '-admin', '-tcp', '-tls')
LISTEN_REFUSED = 'libvirtd: --listen parameter not permitted with systemd activation sockets'


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


def split_unit(unit):
    """('virtqemud', '-ro', 'socket') for 'virtqemud-ro.socket'; kind '' for a main socket or a service."""
    name, dummy, suffix = unit.rpartition('.')
    for kind in SOCKET_KINDS:
        if suffix == 'socket' and name.endswith(kind):
            return name[:-len(kind)], kind, suffix
    return name, '', suffix


def is_libvirt_daemon(daemon):
    return daemon == 'libvirtd' or daemon.startswith('virt')


def parse_dropin(text):
    """The socket settings a drop-in sets, as show would print them once loaded."""
    settings = {}
    for line in (text or '').splitlines():
        key, sep, value = line.partition('=')
        if not sep:
            continue
        if key == 'SocketGroup':
            settings['socket_group'] = value
        elif key == 'SocketMode':
            settings['socket_mode'] = value
        elif key == 'ListenStream' and value:
            settings['listen'] = value + ' (Stream)'
    return settings


class FakeSystemd(object):
    """systemctl stand-in: answers show from a state table and applies the verbs to it."""

    # as upstream: virtqemud.service [Install] Also= the shared sockets (and virtlogd.socket Also= its -admin)
    ALSO = {'virtqemud.service': ['virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket',
                                  'virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket',
                                  'virtlockd-admin.socket']}

    def __init__(self, states, fail=None, show_rc=0, fail_units=None, dropin_dir=None, unit_dir=None,
                 fail_mutating=(), fail_show=(), gone=(), traditional=False, bound=None):
        self.dropin_dir = dropin_dir
        self.unit_dir = unit_dir
        self.states = dict((unit, dict(st)) for unit, st in states.items())
        self.fail = fail or {}
        self.fail_units = fail_units or {}  # unit -> verb that fails for it (a broken unit)
        self.show_rc = show_rc
        self.fail_mutating = set(fail_mutating)
        self.fail_show = set(fail_show)
        self.traditional = traditional
        self.calls = []
        # the unit's own socket settings (its unit file): what a reload gives without a drop-in
        self.base = dict((unit, dict((key, st[key]) for key in SOCKET_KEYS if key in st))
                         for unit, st in self.states.items() if unit.endswith('.socket'))
        # unit files present: every loaded unit, except the ones whose package left only a mask
        self.files = set(unit for unit, st in self.states.items()
                         if st['load_state'] != 'not-found' and unit not in gone)
        # what unmask brings back: static units stay static (no [Install]), and mask does not
        # remove enablement symlinks, so an enabled unit that was masked is enabled again
        self.static = set(unit for unit, st in self.states.items() if st['unit_file_state'] == 'static')
        self.links = set(unit for unit, st in self.states.items() if st['unit_file_state'] == 'enabled')
        self.bound = {}
        for unit, st in self.states.items():
            if unit.endswith('.socket') and self._running(unit):
                self.bound[unit] = dict((key, st[key]) for key in SOCKET_KEYS if key in st)
        self.bound.update((unit, dict(settings)) for unit, settings in (bound or {}).items())
        self._pid = 1000
        self.procs = {}
        for unit in sorted(self.states):
            if unit.endswith('.service') and self._running(unit):
                self._new_process(unit)
        self._write_unit_files()
        # the drop-ins as systemd loaded them: a file changed since makes NeedDaemonReload=yes
        self.loaded_text = dict((unit, self._dropin_text(unit)) for unit in self.states if unit.endswith('.socket'))

    # --- setting a host up -----------------------------------------------------------------

    def reload(self):
        """A daemon-reload done before the run (drop-ins written by hand or by an earlier run)."""
        self._reload()

    def rebind(self, unit):
        """The socket was restarted since: it runs with what systemd has loaded."""
        if self._running(unit):
            self.bound[unit] = dict((key, self.states[unit][key]) for key in SOCKET_KEYS if key in self.states[unit])

    # --- what the tests read ---------------------------------------------------------------

    def mutating(self):
        return [call for call in self.calls if call[1] in MUTATING]

    def show_count(self):
        return len([call for call in self.calls if call[1] == 'show'])

    # --- systemctl -------------------------------------------------------------------------

    def __call__(self, args, **kwargs):
        assert isinstance(args, list), 'run_command must get a list'
        assert args[0] == SYSTEMCTL
        assert kwargs.get('environ_update', {}).get('LC_ALL') == 'C'
        self.calls.append(list(args))
        verb = args[1]
        units = [arg for arg in args[2:] if not arg.startswith('-')]
        if verb == 'show':
            assert args[2].startswith('--property=') and '--' in args
            if self.show_rc or self.show_count() in self.fail_show:
                return self.show_rc or 1, '', 'Failed to connect to bus: No such file or directory'
            props = args[2][len('--property='):].split(',')
            return 0, '\n'.join(self._block(unit, props) for unit in units), ''
        if verb in MUTATING and len(self.mutating()) in self.fail_mutating:
            return 1, '', 'Job for {0} failed (injected fault).'.format(units[0] if units else verb)
        if verb in self.fail:
            return self.fail[verb], '', 'Job for {0} failed.'.format(units[0])
        broken = [unit for unit in units if self.fail_units.get(unit) == verb]
        if broken:
            return 1, '', 'Job for {0} failed because the control process exited with error code.'.format(broken[0])
        if verb == 'daemon-reload':
            self._reload()
            return 0, '', ''
        for unit in units:
            st = self.states.setdefault(unit, missing())
            if st['load_state'] == 'not-found' and verb not in ('mask', 'unmask'):
                return 5, '', 'Unit {0} not found.'.format(unit)
            error = getattr(self, '_' + verb.replace('-', '_'), self._noop)(unit, st)
            if error:
                return error
        return 0, '', ''

    @staticmethod
    def _noop(unit, st):
        return None

    def _stop(self, unit, st):
        self._deactivate(unit)

    def _start(self, unit, st):
        if self._running(unit):
            return None  # systemd: starting an active unit is a no-op (no rebind, no new process)
        return self._activate(unit, set())

    def _restart(self, unit, st):
        service = self._service_of(unit)
        if service and self._running(service):
            # what systemd does to a socket restarted under its running service
            return 1, '', 'A dependency job for {0} failed.'.format(unit)
        # a restart propagates to the units bound to this one (Requires=/BindsTo=): they come back
        followers = self._running_followers(unit)
        if self._running(unit):
            self._deactivate(unit)
        error = self._activate(unit, set())
        for other in followers:
            error = error or self._activate(other, set())
        return error

    def _running_followers(self, unit):
        found = []
        for other in sorted(self.states):
            if self._bound_to(other) == unit and self._running(other):
                found.append(other)
                found.extend(self._running_followers(other))
        return found

    def _try_restart(self, unit, st):
        if self._running(unit):
            return self._restart(unit, st)
        return None

    def _reset_failed(self, unit, st):
        if st['active_state'] == 'failed':
            st.update(active_state='inactive', sub_state='dead')

    def _enable(self, unit, st):
        if st['unit_file_state'] in ('masked', 'masked-runtime'):
            return 1, '', 'Failed to enable unit: Unit file {0} is masked.'.format(unit)
        if unit not in self.files:
            return 1, '', 'Failed to enable unit: Unit file {0} does not exist.'.format(unit)
        if st['unit_file_state'] not in ('static', 'indirect'):
            st.update(unit_file_state='enabled')
            self.links.add(unit)
        return None

    def _disable(self, unit, st):
        self.links.discard(unit)
        if st['unit_file_state'] in ('enabled', 'enabled-runtime', 'linked', 'linked-runtime'):
            st.update(unit_file_state='disabled')
        for also in self.ALSO.get(unit, ()):  # disable follows Also=
            self.links.discard(also)
            if self.states.get(also, {}).get('unit_file_state') == 'enabled':
                self.states[also]['unit_file_state'] = 'disabled'

    def _mask(self, unit, st):
        st.update(unit_file_state='masked', load_state='masked')
        self._write_mask(unit)

    def _unmask(self, unit, st):
        if st['load_state'] == 'not-found':
            return None
        if unit in self.files:
            again = 'static' if unit in self.static else 'enabled' if unit in self.links else 'disabled'
            st.update(unit_file_state=again, load_state='loaded')
        else:  # the mask was all that was left of the unit: systemd has nothing of it loaded
            st.update(unit_file_state='', load_state='not-found')
            for key in SOCKET_KEYS:
                st.pop(key, None)
        self._write_mask(unit)
        return None

    # --- dependencies ----------------------------------------------------------------------

    def _running(self, unit):
        return self.states.get(unit, {}).get('active_state') in ('active', 'activating', 'reloading')

    @staticmethod
    def _service_of(unit):
        if not unit.endswith('.socket'):
            return None
        return split_unit(unit)[0] + '.service'

    def _bound_to(self, unit):
        """The main socket a unit is bound to (BindsTo=): modular services, and every -ro,
        -admin, -tcp and -tls socket. libvirtd.service is not: traditional mode runs it alone."""
        daemon, kind, suffix = split_unit(unit)
        if not is_libvirt_daemon(daemon):
            return None
        if suffix == 'socket' and kind:
            return daemon + '.socket'
        if suffix == 'service' and daemon not in ('libvirtd',) + SHARED:
            return daemon + '.socket'
        return None

    def _conflicts(self, unit):
        """Units that cannot run together with this one: libvirtd's against the modular ones."""
        daemon, kind, suffix = split_unit(unit)
        if not is_libvirt_daemon(daemon) or daemon in SHARED:
            return []
        if daemon == 'libvirtd':
            return sorted(other for other in self.states
                          if split_unit(other)[1:] == (kind, suffix) and split_unit(other)[0] not in ('libvirtd',) + SHARED
                          and is_libvirt_daemon(split_unit(other)[0]))
        return ['libvirtd{0}.{1}'.format(kind, suffix)]

    def _requires(self, unit):
        daemon, kind, suffix = split_unit(unit)
        needs = [self._bound_to(unit)] if self._bound_to(unit) else []
        if suffix == 'service' and daemon in ('libvirtd', 'virtqemud'):
            needs += ['virtlogd.socket', 'virtlockd.socket']
        return [need for need in needs if need in self.states]

    def _activate(self, unit, seen):
        st = self.states[unit]
        if st['load_state'] == 'masked' or st['unit_file_state'] in ('masked', 'masked-runtime'):
            return 1, '', 'Failed to start {0}: Unit {0} is masked.'.format(unit)
        if st['load_state'] == 'not-found':
            return 5, '', 'Failed to start {0}: Unit {0} not found.'.format(unit)
        service = self._service_of(unit)
        if service and self.states.get(service, {}).get('load_state') == 'masked':
            # what systemd does: "Socket service X not loaded, refusing."
            return 1, '', 'Job for {0} failed.'.format(unit)
        seen.add(unit)
        for need in self._requires(unit):
            if need not in seen and not self._running(need):
                error = self._activate(need, seen)
                if error:
                    return 1, '', 'A dependency job for {0} failed. See "journalctl -xe" for details.'.format(unit)
        if unit == 'libvirtd.service' and self.traditional and [
                sock for sock in self.states if split_unit(sock)[0] == 'libvirtd' and sock.endswith('.socket')
                and self._running(sock)]:
            st.update(active_state='failed', sub_state='failed')
            return 1, '', 'Job for libvirtd.service failed because the control process exited with error code. ' + \
                LISTEN_REFUSED
        for other in self._conflicts(unit):
            if self._running(other):
                self._deactivate(other)
        if unit.endswith('.socket'):
            st.update(active_state='active', sub_state='listening')
            self.bound[unit] = dict((key, st[key]) for key in SOCKET_KEYS if key in st)
        else:
            st.update(active_state='active', sub_state='running')
            self._new_process(unit)
        return None

    def _deactivate(self, unit):
        st = self.states.get(unit)
        if st is None:
            return
        if st['active_state'] in ('active', 'activating', 'reloading', 'failed'):
            st.update(active_state='inactive', sub_state='dead')
        self.bound.pop(unit, None)
        if unit in self.procs:
            self.procs[unit] = dict(self.procs[unit], main_pid='0')
        for other in sorted(self.states):
            if self._bound_to(other) == unit and self._running(other):
                self._deactivate(other)

    def _new_process(self, unit):
        self._pid += 1
        self.procs[unit] = {'main_pid': str(self._pid), 'invocation_id': '{0:032x}'.format(self._pid)}

    # --- drop-ins and unit files -----------------------------------------------------------

    def _dropin_text(self, unit):
        if self.dropin_dir is None:
            return None
        path = os.path.join(str(self.dropin_dir), unit + '.d', DROPIN_NAME)
        if not os.path.exists(path):
            return None
        with open(path) as handle:
            return handle.read()

    def _reload(self):
        """What daemon-reload does: every socket now shows its unit file plus its drop-ins."""
        for unit in self.states:
            if not unit.endswith('.socket') or unit not in self.base or unit not in self.files:
                continue
            st = self.states[unit]
            for key in SOCKET_KEYS:
                st.pop(key, None)
            st.update(self.base[unit])
            st.update(parse_dropin(self._dropin_text(unit)))
        self.loaded_text = dict((unit, self._dropin_text(unit)) for unit in self.states if unit.endswith('.socket'))

    def _write_unit_files(self):
        """Unit files in the unit directory and mask links in /etc, so that the module's own
        look at the unit directories sees this host."""
        if self.unit_dir is None or self.dropin_dir is None:
            return
        for directory in (self.unit_dir, self.dropin_dir):
            if not os.path.isdir(str(directory)):
                os.makedirs(str(directory))
        for unit in self.states:
            lib = os.path.join(str(self.unit_dir), unit)
            if unit in self.files and not os.path.exists(lib):
                with open(lib, 'w') as handle:
                    handle.write(u'[Unit]\n')
            self._write_mask(unit)

    def _write_mask(self, unit):
        if self.dropin_dir is None:
            return
        link = os.path.join(str(self.dropin_dir), unit)
        masked = self.states[unit]['load_state'] == 'masked'
        if masked and not os.path.lexists(link):
            os.symlink(os.devnull, link)
        elif not masked and os.path.islink(link):
            os.remove(link)

    def _block(self, unit, props=None):
        st = self.states.get(unit, missing())
        block = 'Id={0}\nLoadState={1}\nUnitFileState={2}\nActiveState={3}\nSubState={4}\n'.format(
            unit, st['load_state'], st['unit_file_state'], st['active_state'], st['sub_state'])
        for key, prop in (('socket_group', 'SocketGroup'), ('socket_mode', 'SocketMode'), ('listen', 'Listen')):
            if key in st:
                block += '{0}={1}\n'.format(prop, st[key])
        if unit.endswith('.socket') and props and 'NeedDaemonReload' in props:
            block += 'NeedDaemonReload={0}\n'.format(
                'yes' if self._dropin_text(unit) != getattr(self, 'loaded_text', {}).get(unit) else 'no')
        if unit.endswith('.service') and props:
            proc = self.procs.get(unit, {})
            for key, prop in (('main_pid', 'MainPID'), ('invocation_id', 'InvocationID')):
                if prop in props:
                    block += '{0}={1}\n'.format(prop, proc.get(key, '0' if key == 'main_pid' else ''))
        return block

    # --- what clients see ------------------------------------------------------------------

    def table(self):
        """Each unit as systemctl show reports it (the keys the module's units carry)."""
        return dict((unit, dict(st)) for unit, st in self.states.items())

    def running_services(self):
        """{service: (MainPID, InvocationID)} of the services that run now."""
        return dict((unit, (proc['main_pid'], proc['invocation_id'])) for unit, proc in self.procs.items()
                    if self._running(unit))


def make_env(monkeypatch, tmp_path):
    """The module on a host with systemd as PID 1, no guests, EL9 facts; returns a setter for the rest."""
    comm = tmp_path / 'comm'
    comm.write_text(u'systemd\n')
    rundir = tmp_path / 'systemd-system'
    rundir.mkdir()
    guests = tmp_path / 'qemu'
    guests.mkdir()
    monkeypatch.setattr(libvirt_host, 'PROC1_COMM', str(comm))
    dropins = tmp_path / 'etc-systemd-system'
    units = tmp_path / 'lib-systemd-system'
    monkeypatch.setattr(libvirt_dropins, 'DROPIN_DIR', str(dropins))
    monkeypatch.setattr(libvirt_host, 'UNIT_DIRS', (str(dropins), str(units)))
    monkeypatch.setattr(libvirt_host, 'SYSTEMD_RUN_DIR', str(rundir))
    monkeypatch.setattr(libvirt_host, 'GUEST_STATUS_DIRS', (str(guests), str(tmp_path / 'lxc')))
    monkeypatch.setattr(libvirt_host, 'SASL_CONF', str(tmp_path / 'sasl-libvirt.conf'))
    monkeypatch.setattr(libvirt_host, 'DAEMON_CONF', {
        'modular': str(tmp_path / 'virtproxyd.conf'),
        'monolithic': str(tmp_path / 'libvirtd.conf'),
    })
    # where libvirtd's --listen would be set (traditional mode), for a module that looks
    monkeypatch.setattr(libvirt_host, 'LIBVIRTD_ARGS_FILES', (str(tmp_path / 'default-libvirtd'),
                                                              str(tmp_path / 'sysconfig-libvirtd')), raising=False)
    monkeypatch.setattr(libvirt_host, 'host_facts', lambda module: dict(EL9))
    monkeypatch.setattr(libvirt_host, 'LOCK_FILE', str(tmp_path / 'libvirt-daemons.lock'))
    conf_dir = tmp_path / 'etc-libvirt'
    conf_dir.mkdir()
    monkeypatch.setattr(libvirt_host, 'LIBVIRT_CONF_DIR', str(conf_dir))
    # the fake host has systemd and no package database (packages are tested in module_utils)
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None:
                        None if name in ('dpkg-query', 'rpm') else SYSTEMCTL)

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs['msg'] = msg
        raise FailJson(kwargs)

    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, text: warnings.append(text))
    real_write = libvirt_host.write_text

    class Env(object):
        path = tmp_path
        conf_dir = tmp_path / 'etc-libvirt'
        libvirtd_env = tmp_path / 'sysconfig-libvirtd'
        dropin_dir = dropins
        unit_dir = units
        guest_dir = guests
        warned = warnings
        systemd = None
        writes = 0
        fail_writes = ()

        def host(self, states, **kwargs):
            self.systemd = FakeSystemd(states, dropin_dir=dropins, unit_dir=units, **kwargs)
            monkeypatch.setattr(basic.AnsibleModule, 'run_command',
                                lambda module, args, **kw: self.systemd(args, **kw))
            return self.systemd

        def facts(self, facts):
            monkeypatch.setattr(libvirt_host, 'host_facts', lambda module: dict(facts))

        def fail_write(self, *numbers):
            """The Nth file write of the module (drop-ins, rollback included) raises OSError."""
            self.writes = 0
            self.fail_writes = numbers

    env = Env()

    def write_text(path, content):
        env.writes += 1
        if env.writes in env.fail_writes:
            raise OSError(errno.EROFS, 'Read-only file system (injected fault)', path)
        return real_write(path, content)

    monkeypatch.setattr(libvirt_host, 'write_text', write_text)

    def client_view(states):
        """What clients see of each active socket: what the fake bound it with at its last
        start, which after a drop-in change and a daemon-reload differs from what show prints."""
        fake = env.systemd
        for unit, state in states.items():
            if fake is None or not unit.endswith('.socket') or not is_running(state) or unit not in fake.bound:
                continue
            bound = fake.bound[unit]
            listen = bound.get('listen', state.get('listen', '')).split(' (', 1)[0]
            # the hand-written test states give sockets no Listen: unix sockets, as most are
            if not listen or listen.startswith('/'):
                socket_file = {'group': bound.get('socket_group', ''),
                               'mode': libvirt_dropins.normal_mode(bound.get('socket_mode', ''))}
                state['seen'] = libvirt_dropins.seen_settings(socket_file, None)
            else:
                state['seen'] = libvirt_dropins.seen_settings(None, [libvirt_dropins.canonical_listen(listen)])

    monkeypatch.setattr(libvirt_host, 'client_view', client_view)
    return env


def run(args, expect=ExitJson):
    with patch_module_args(args):
        with pytest.raises((ExitJson, FailJson)) as exc:
            libvirt_daemons.main()
    assert isinstance(exc.value, expect), exc.value.args[0]
    return exc.value.args[0]


def run_any(args):
    """('ok' | 'failed' | 'traceback', result): a traceback is an exception the module let out."""
    with patch_module_args(args):
        try:
            libvirt_daemons.main()
        except ExitJson as exc:
            return 'ok', exc.args[0]
        except FailJson as exc:
            return 'failed', exc.args[0]
        except Exception as exc:  # pylint: disable=broad-except
            return 'traceback', {'msg': '{0}: {1}'.format(type(exc).__name__, exc)}
    return 'traceback', {'msg': 'the module returned without exit_json or fail_json'}


def make_host(*layers):
    units = host(all_known_units(), missing)
    for layer in layers:
        units.update(layer)
    return units
