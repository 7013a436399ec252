# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module's wiring: which virsh calls it makes and how their answers reach the plan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_migration import MigrationInputError
from ansible_collections.kvmhost.setup.plugins.modules.libvirt_migration_plan import plan_host

GUEST = ("<domain type='kvm'><name>{0}</name><uuid>uuid-{0}</uuid><devices>"
         "<emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>")
CAPS = "<capabilities><host><uuid>{0}</uuid></host></capabilities>"


class FakeModule(object):
    """virsh answers per (uri, subcommand, argument); records every command."""

    def __init__(self, running=('g1',), states=None, peer_rc=0):
        self.running = list(running)
        self.states = states or {}
        self.peer_rc = peer_rc
        self.commands = []

    def get_bin_path(self, name, required=False):
        return '/usr/bin/' + name

    def run_command(self, cmd, environ_update=None):
        assert environ_update and environ_update.get('LC_ALL') == 'C'
        self.commands.append(cmd)
        args = cmd[cmd.index('/usr/bin/virsh') + 1:]
        uri, sub = args[1], args[2]
        if sub == 'list':
            return 0, '\n'.join(self.running) + '\n\n', ''
        if sub == 'dumpxml':
            return 0, GUEST.format(args[3]), ''
        if sub == 'snapshot-list':
            return 0, '\n', ''
        if sub == 'domstate':
            state = self.states.get(args[3])
            return (0, state + '\n', '') if state else (1, '', "error: failed to get domain '{0}'".format(args[3]))
        if sub == 'capabilities' and uri == 'qemu:///system':
            return 0, CAPS.format('u-host'), ''
        if sub == 'capabilities':
            return (0, CAPS.format('u-peer'), '') if self.peer_rc == 0 else (self.peer_rc, '', '')
        raise AssertionError(cmd)


def params(**kwargs):
    base = dict(peer='2001:db8::1', peer_uri=None, uri='qemu:///system', shared_storage=[], host='kvm2',
                mode='modular', timeout=30, address='2001:db8::2', migrate_options=[], guard_guests=[],
                peer_to_host=None)
    base.update(kwargs)
    return base


def test_plan_with_ipv6_addresses():
    module = FakeModule()
    result = plan_host(module, params())
    assert result['refusals'] == [] and 'msg' not in result
    assert result['peer_uri'] == 'qemu+tls://[2001:db8::1]/system'
    assert ['/usr/bin/timeout', '30', '/usr/bin/virsh', '-c', 'qemu+tls://[2001:db8::1]/system',
            'capabilities'] in module.commands
    assert result['plan']['host_uri'] == 'qemu+tls://[2001:db8::2]/system'
    assert result['plan']['back'][0]['argv'][7:10] == ['qemu+tls://[2001:db8::2]/system', '--migrateuri',
                                                       'tcp://[2001:db8::2]']


def test_guard_guests_the_plan_leaves_behind_are_refused_with_their_state():
    module = FakeModule(running=['g1'], states={'p1': 'paused'})
    result = plan_host(module, params(guard_guests=['g1', 'p1', 'ghost']))
    assert [r['guest'] for r in result['refusals']] == ['p1', 'ghost']
    assert 'virsh reports it paused' in result['msg']
    assert 'guest ghost: the role' in result['msg'] and 'libvirt does not list it' in result['msg']
    assert result['plan']['refused'] is True
    # the planned guest's state is not asked: only the gaps are
    assert not [cmd for cmd in module.commands if 'domstate' in cmd and 'g1' in cmd]


def test_every_refusal_at_once():
    module = FakeModule(running=['g1'], peer_rc=1)
    result = plan_host(module, params(guard_guests=['p1'], peer_to_host={'rc': 1, 'stdout': '', 'stderr': 'error: x'}))
    reasons = result['msg']
    assert 'peer 2001:db8::1 is not reachable over TLS' in reasons
    assert 'this host (kvm2) is not reachable from peer 2001:db8::1 over TLS (qemu+tls://[2001:db8::2]/system)' in reasons
    assert 'guest p1:' in reasons


def test_peer_to_host_must_find_this_host():
    result = plan_host(FakeModule(), params(peer_to_host={'rc': 0, 'stdout': CAPS.format('u-other'), 'stderr': ''}))
    assert "answers with host UUID u-other, not kvm2's u-host" in result['msg']
    ok = plan_host(FakeModule(), params(peer_to_host={'rc': 0, 'stdout': CAPS.format('u-host'), 'stderr': ''}))
    assert ok['refusals'] == []


@pytest.mark.parametrize('kwargs, message', [
    (dict(peer='kvm1/x'), "migration address 'kvm1/x'"),
    (dict(address='fe80::1%eth0'), 'has a zone index'),
    (dict(migrate_options=['--persistent']), 'migrate options --persistent are set by the plan'),
])
def test_bad_input_is_refused(kwargs, message):
    with pytest.raises(MigrationInputError, match=message):
        plan_host(FakeModule(), params(**kwargs))
