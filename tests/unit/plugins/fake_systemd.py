# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fake systemd the libvirt_daemons tests run the module against: a state table that
answers the batched show and applies the verbs, plus the module harness (run, make_host)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import all_known_units
from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_dropins, libvirt_host
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
MUTATING = ('stop', 'start', 'enable', 'disable', 'mask', 'unmask', 'daemon-reload', 'restart', 'reload')


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


class FakeSystemd(object):
    """systemctl stand-in: answers show from a state table and applies the verbs to it."""

    # as upstream: virtqemud.service [Install] Also= the shared sockets (and virtlogd.socket Also= its -admin)
    ALSO = {'virtqemud.service': ['virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket',
                                  'virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket',
                                  'virtlockd-admin.socket']}

    def __init__(self, states, fail=None, show_rc=0, fail_units=None, dropin_dir=None):
        self.dropin_dir = dropin_dir
        self.states = dict((unit, dict(st)) for unit, st in states.items())
        self.fail = fail or {}
        self.fail_units = fail_units or {}  # unit -> verb that fails for it (a broken unit)
        self.show_rc = show_rc
        self.calls = []

    def mutating(self):
        return [call for call in self.calls if call[1] in MUTATING]

    def __call__(self, args, **kwargs):
        assert isinstance(args, list), 'run_command must get a list'
        assert args[0] == SYSTEMCTL
        assert kwargs.get('environ_update', {}).get('LC_ALL') == 'C'
        self.calls.append(list(args))
        verb = args[1]
        units = [arg for arg in args[2:] if not arg.startswith('-')]
        if verb == 'show':
            assert args[2].startswith('--property=') and '--' in args
            if self.show_rc:
                return self.show_rc, '', 'Failed to connect to bus'
            return 0, '\n'.join(self._block(unit) for unit in units), ''
        if verb in self.fail:
            return self.fail[verb], '', 'Job for {0} failed.'.format(units[0])
        broken = [unit for unit in units if self.fail_units.get(unit) == verb]
        if broken:
            return 1, '', 'Job for {0} failed because the control process exited with error code.'.format(broken[0])
        if verb == 'daemon-reload':
            for st in self.states.values():
                st.pop('need_daemon_reload', None)
        for unit in units:
            st = self.states.setdefault(unit, missing())
            if st['load_state'] == 'not-found' and verb != 'mask':
                return 5, '', 'Unit {0} not found.'.format(unit)
            if verb == 'stop':
                st.update(active_state='inactive', sub_state='dead')
            elif verb == 'start':
                service = self._service_of(unit)
                if service and self.states.get(service, {}).get('load_state') == 'masked':
                    # what systemd does: "Socket service X not loaded, refusing."
                    return 1, '', 'Job for {0} failed.'.format(unit)
                st.update(active_state='active', sub_state='listening' if unit.endswith('.socket') else 'running')
                self._take_dropin(unit, st)
            elif verb == 'enable':
                st.update(unit_file_state='enabled')
            elif verb == 'disable':
                st.update(unit_file_state='disabled')
                for also in self.ALSO.get(unit, ()):  # disable follows Also=
                    self.states[also]['unit_file_state'] = 'disabled'
            elif verb == 'mask':
                st.update(unit_file_state='masked', load_state='masked')
            elif verb == 'unmask':
                st.update(unit_file_state='disabled', load_state='loaded')
            elif verb == 'restart':
                service = self._service_of(unit)
                if service and self.states.get(service, {}).get('active_state') == 'active':
                    # what systemd does to a socket restarted under its running service
                    return 1, '', 'A dependency job for {0} failed.'.format(unit)
                st.update(active_state='active', sub_state='listening' if unit.endswith('.socket') else 'running')
                self._take_dropin(unit, st)
        return 0, '', ''

    @staticmethod
    def _service_of(unit):
        if not unit.endswith('.socket'):
            return None
        name = unit[:-len('.socket')]
        for suffix in ('-ro', '-admin', '-tcp', '-tls'):
            if name.endswith(suffix):
                name = name[:-len(suffix)]
        return name + '.service'

    def _take_dropin(self, unit, st):
        """What systemd does when it (re)starts a socket: its drop-in's settings now run."""
        if not unit.endswith('.socket') or self.dropin_dir is None:
            return
        st.pop('bound', None)  # a (re)started socket is bound as loaded
        path = self.dropin_dir / (unit + '.d') / 'kvmhost-setup.conf'
        lines = path.read_text().splitlines() if path.exists() else []
        for line in lines:
            key, sep, value = line.partition('=')
            if key == 'SocketGroup':
                st['socket_group'] = value
            elif key == 'SocketMode':
                st['socket_mode'] = value
            elif key == 'ListenStream' and value:
                st['listen'] = value + ' (Stream)'

    def _block(self, unit):
        st = self.states.get(unit, missing())
        block = 'Id={0}\nLoadState={1}\nUnitFileState={2}\nActiveState={3}\nSubState={4}\n'.format(
            unit, st['load_state'], st['unit_file_state'], st['active_state'], st['sub_state'])
        for key, prop in (('socket_group', 'SocketGroup'), ('socket_mode', 'SocketMode'), ('listen', 'Listen'),
                          ('invocation_id', 'InvocationID'), ('need_daemon_reload', 'NeedDaemonReload')):
            if key in st:
                block += '{0}={1}\n'.format(prop, st[key])
        return block


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
    monkeypatch.setattr(libvirt_dropins, 'DROPIN_DIR', str(dropins))
    monkeypatch.setattr(libvirt_host, 'SYSTEMD_RUN_DIR', str(rundir))
    monkeypatch.setattr(libvirt_host, 'GUEST_STATUS_DIRS', (str(guests), str(tmp_path / 'lxc')))
    monkeypatch.setattr(libvirt_host, 'SASL_CONF', str(tmp_path / 'sasl-libvirt.conf'))
    monkeypatch.setattr(libvirt_host, 'DAEMON_CONF', {
        'modular': str(tmp_path / 'virtproxyd.conf'),
        'monolithic': str(tmp_path / 'libvirtd.conf'),
    })
    monkeypatch.setattr(libvirt_host, 'host_facts', lambda module: dict(EL9))
    monkeypatch.setattr(libvirt_host, 'LOCK_FILE', str(tmp_path / 'libvirt-daemons.lock'))
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None: SYSTEMCTL)

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs['msg'] = msg
        raise FailJson(kwargs)

    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, text: warnings.append(text))

    class Env(object):
        path = tmp_path
        dropin_dir = dropins
        guest_dir = guests
        warned = warnings
        systemd = None

        def host(self, states, **kwargs):
            self.systemd = FakeSystemd(states, dropin_dir=dropins, **kwargs)
            fake = self.systemd
            # unit files on disk: those the fake systemd has (masked ones as /dev/null links)
            monkeypatch.setattr(libvirt_host, 'units_on_disk', lambda units: set(
                unit for unit in units if fake.states.get(unit, missing())['load_state'] != 'not-found'))
            monkeypatch.setattr(basic.AnsibleModule, 'run_command',
                                lambda module, args, **kw: self.systemd(args, **kw))
            return self.systemd

        def facts(self, facts):
            monkeypatch.setattr(libvirt_host, 'host_facts', lambda module: dict(facts))

    return Env()


def run(args, expect=ExitJson):
    with patch_module_args(args):
        with pytest.raises((ExitJson, FailJson)) as exc:
            libvirt_daemons.main()
    assert isinstance(exc.value, expect), exc.value.args[0]
    return exc.value.args[0]


def make_host(*layers):
    units = host(all_known_units(), missing)
    for layer in layers:
        units.update(layer)
    return units
