# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The libvirt_objects module against a fake virsh that keeps networks and pools, answers
the batched probe (commands separated by ';', as virsh does) and adds what libvirt adds to
a definition (a UUID, a MAC address, the bridge's defaults)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
from xml.etree import ElementTree

import pytest

from ansible.module_utils import basic

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_objects, libvirt_virsh
from ansible_collections.kvmhost.setup.plugins.modules import libvirt_objects as module
from ansible_collections.kvmhost.setup.tests.unit.plugins.fake_systemd import ExitJson, FailJson, patch_module_args

VIRSH = '/usr/bin/virsh'
MUTATING = ('define', 'start', 'destroy', 'undefine', 'autostart', 'build')


class FakeVirsh(object):

    def __init__(self, connect_error=None, fail=None):
        self.objects = {'net': {}, 'pool': {}}
        self.calls = []
        self.connect_error = connect_error
        self.fail = fail

    def add(self, kind, xml, active=True, autostart=True):
        name = ElementTree.fromstring(xml).findtext('name')
        self.objects[kind][name] = {'xml': self.completed(kind, xml), 'active': active, 'autostart': autostart}

    def completed(self, kind, xml):
        root = ElementTree.fromstring(xml)
        uuid = ElementTree.Element('uuid')
        uuid.text = '00000000-0000-4000-8000-000000000001'
        root.insert(1, uuid)
        if kind == 'net':
            bridge = root.find('bridge')
            if bridge is None:
                bridge = ElementTree.SubElement(root, 'bridge', name='virbr7')
            bridge.set('stp', 'on')
            bridge.set('delay', '0')
            ElementTree.SubElement(root, 'mac', address='52:54:00:00:00:07')
        return ElementTree.tostring(root).decode()

    def mutating(self):
        return [call for call in self.calls if '-' in call[0] and call[0].split('-', 1)[1] in MUTATING]

    def __call__(self, argv, **kwargs):
        assert argv[:3] == [VIRSH, '-c', 'qemu:///system']
        assert kwargs.get('environ_update') == {'LC_ALL': 'C', 'LANG': 'C'}
        if self.connect_error:
            return 1, '', self.connect_error
        if len(argv) == 4 and ';' in argv[3]:
            outs, errs, rc = [], [], 0
            for command in argv[3].split(' ; '):
                rc, out, err = self.one(command.split())
                outs.append(out)
                errs.append(err)
            return rc, ''.join(outs), ''.join(errs)
        return self.one(argv[3:])

    def one(self, args):
        self.calls.append(args)
        verb = args[0]
        if verb == 'echo':
            return 0, ' '.join(args[1:]) + '\n', ''
        if verb == 'uri':
            return 0, 'qemu:///system\n\n', ''
        if self.fail and verb == self.fail:
            return 1, '', 'error: {0} failed on purpose\n'.format(verb)
        kind, action = verb.split('-', 1)
        objects = self.objects[kind]
        if action == 'list':
            return 0, ''.join(name + '\n' for name in sorted(objects)) + '\n', ''
        if action == 'define':
            with open(args[args.index('--file') + 1]) as handle:
                xml = handle.read()
            name = ElementTree.fromstring(xml).findtext('name')
            old = objects.get(name, {'active': False, 'autostart': False})
            objects[name] = dict(old, xml=self.completed(kind, xml))
            return 0, 'Network {0} defined\n'.format(name), ''
        name = [arg for arg in args[1:] if not arg.startswith('--')][0]
        if name not in objects:
            return 1, '', "error: failed to get {0} '{1}'\n".format(kind, name)
        obj = objects[name]
        if action == 'info':
            lines = ['Name: ' + name, 'Persistent: yes', 'Autostart: ' + ('yes' if obj['autostart'] else 'no')]
            if kind == 'net':
                lines += ['Active: ' + ('yes' if obj['active'] else 'no'), 'Bridge: virbr7']
            else:
                lines += ['State: ' + ('running' if obj['active'] else 'inactive')]
            return 0, '\n'.join(lines) + '\n\n', ''
        if action == 'dumpxml':
            return 0, obj['xml'] + '\n', ''
        if action == 'start':
            if obj['active']:
                return 1, '', 'error: already active\n'
            obj['active'] = True
        elif action == 'destroy':
            obj['active'] = False
        elif action == 'undefine':
            del objects[name]
        elif action == 'autostart':
            obj['autostart'] = '--disable' not in args
        elif action == 'build':
            if obj['active']:
                return 1, '', "error: storage pool '{0}' is already active\n".format(name)
            fields = libvirt_objects.project_pool(obj['xml'])
            if not os.path.isdir(fields['path']):
                os.makedirs(fields['path'])
            if fields['mode'] is not None:
                os.chmod(fields['path'], fields['mode'])
        return 0, '', ''


@pytest.fixture
def virsh(monkeypatch, tmp_path):
    fake = FakeVirsh()
    env = {'fake': fake, 'tmp': tmp_path, 'made': []}
    real_mkdtemp = libvirt_virsh.tempfile.mkdtemp

    def mkdtemp(**kwargs):
        env['made'].append(real_mkdtemp(dir=str(tmp_path), **kwargs))
        return env['made'][-1]

    monkeypatch.setattr(libvirt_virsh.tempfile, 'mkdtemp', mkdtemp)
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None: VIRSH)
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda mod, args, **kw: env['fake'](args, **kw))

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs['msg'] = msg
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    shipped = tmp_path / 'default.xml'
    shipped.write_text(u"<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/>"
                       u"<ip address='192.168.122.1' netmask='255.255.255.0'/></network>\n")
    monkeypatch.setattr(libvirt_objects, 'DEFAULT_NETWORK_XML', str(shipped))
    monkeypatch.setattr(libvirt_objects, 'DEFAULT_POOL_PATH', str(tmp_path / 'images'))
    links = tmp_path / 'autostart'
    monkeypatch.setattr(libvirt_virsh, 'AUTOSTART_OBJECTS', (('network', 'network', str(links / 'net')),
                                                             ('pool', 'storage', str(links / 'pool'))))
    return env


def run(args, expect=ExitJson):
    with patch_module_args(args):
        with pytest.raises((ExitJson, FailJson)) as exc:
            module.main()
    assert isinstance(exc.value, expect), exc.value.args[0]
    return exc.value.args[0]


LAB = {'name': 'lab', 'bridge': 'virbr-lab',
       'ipv4': {'address': '192.168.150.1/24', 'dhcp_start': '192.168.150.100', 'dhcp_end': '192.168.150.199'}}
ISO = {'name': 'iso', 'forward': 'isolated', 'autostart': False, 'ipv6': {'address': 'fd00:42::1/64'}}


def args_for(tmp, **extra):
    args = {'networks': [LAB, ISO],
            'pools': [{'name': 'img', 'path': str(tmp / 'img'), 'mode': '0750'}]}
    args.update(extra)
    return args


def test_first_run_then_converged(virsh):
    fake = virsh['fake']
    args = args_for(virsh['tmp'])
    result = run(args)
    assert result['changed'] is True
    assert result['actions'] == [
        'virsh net-define <network lab XML>', 'virsh net-start lab', 'virsh net-autostart lab',
        'virsh net-define <network iso XML>', 'virsh net-start iso',
        'virsh pool-define <pool img XML>', 'virsh pool-build img', 'virsh pool-start img',
        'virsh pool-autostart img']
    # the probe, one command per step, the verification probe
    assert result['virsh_calls'] == 1 + 9 + 1
    assert result['networks']['lab'] == {'defined': True, 'active': True, 'autostart': True, 'bridge': 'virbr7'}
    assert result['networks']['iso']['autostart'] is False
    assert result['pools']['img'] == {'defined': True, 'active': True, 'autostart': True}
    assert stat.S_IMODE(os.stat(str(virsh['tmp'] / 'img')).st_mode) == 0o750
    assert fake.objects['net']['lab']['active'] and fake.objects['pool']['img']['autostart']
    # the definitions were written to a private temporary directory, removed afterwards
    assert virsh['made'] and not any(os.path.exists(path) for path in virsh['made'])

    fake.calls = []
    again = run(args)
    assert again['changed'] is False and again['actions'] == [] and again['virsh_calls'] == 1
    assert fake.mutating() == []


def test_check_mode_changes_nothing_and_predicts(virsh):
    fake = virsh['fake']
    result = run(dict(args_for(virsh['tmp']), _ansible_check_mode=True, _ansible_diff=True))
    assert result['changed'] is True and result['predicted'] is True
    assert len(result['actions']) == 9 and result['virsh_calls'] == 1
    assert fake.mutating() == [] and fake.objects == {'net': {}, 'pool': {}}
    assert not os.path.exists(str(virsh['tmp'] / 'img'))
    assert result['networks']['lab']['active'] is True
    assert result['autostart_drivers'] == ['network', 'storage']
    assert [item['before_header'] for item in result['diff']] == ['network lab', 'network iso', 'pool img']
    assert result['diff'][0]['before'] == 'not defined\n'
    assert result['diff'][0]['after'].startswith('active: yes\nautostart: yes\n<network>')


def test_differing_definition_refused_and_nothing_changed(virsh):
    fake = virsh['fake']
    run(args_for(virsh['tmp']))
    fake.calls = []
    changed = dict(LAB, ipv4=dict(LAB['ipv4'], dhcp_end='192.168.150.150'))
    result = run(args_for(virsh['tmp'], networks=[changed, dict(ISO, autostart=True)]), expect=FailJson)
    assert "network 'lab' differs from its definition (IP addresses: declared 192.168.150.1/24 dhcp " \
        "192.168.150.100-192.168.150.150, defined 192.168.150.1/24 dhcp 192.168.150.100-192.168.150.199)" in result['msg']
    assert result['msg'].endswith('nothing was changed')
    assert result['differences'][0]['name'] == 'lab'
    assert fake.mutating() == []
    assert fake.objects['net']['iso']['autostart'] is False

    allowed = run(args_for(virsh['tmp'], networks=[dict(changed, redefine=True), ISO]))
    assert allowed['actions'] == ['virsh net-define <network lab XML>', 'virsh net-destroy lab', 'virsh net-start lab']
    assert 'end="192.168.150.150"' in fake.objects['net']['lab']['xml']


def test_removed_from_the_list_is_left_alone_absent_removes(virsh):
    fake = virsh['fake']
    run(args_for(virsh['tmp']))
    left = run(args_for(virsh['tmp'], networks=[LAB]))
    assert left['changed'] is False and 'iso' in fake.objects['net']
    assert left['unmanaged'] == {'networks': ['iso'], 'pools': []}
    gone = run(args_for(virsh['tmp'], networks=[LAB, {'name': 'iso', 'state': 'absent'}],
                        pools=[{'name': 'img', 'state': 'absent'}]))
    assert gone['actions'] == ['virsh net-destroy iso', 'virsh net-undefine iso',
                               'virsh pool-destroy img', 'virsh pool-undefine img']
    assert 'iso' not in fake.objects['net'] and 'img' not in fake.objects['pool']
    # the pool's directory stays
    assert os.path.isdir(str(virsh['tmp'] / 'img'))


def test_default_switches(virsh):
    fake = virsh['fake']
    result = run({'default_network': 'ensure', 'default_pool': 'ensure'})
    assert result['actions'] == [
        'virsh net-define <network default XML>', 'virsh net-start default', 'virsh net-autostart default',
        'virsh pool-define <pool default XML>', 'virsh pool-build default', 'virsh pool-start default',
        'virsh pool-autostart default']
    assert os.path.isdir(str(virsh['tmp'] / 'images'))
    assert run({'default_network': 'ensure', 'default_pool': 'ensure'})['changed'] is False
    # keep: not even probed
    fake.calls = []
    kept = run({})
    assert kept['changed'] is False and not [c for c in fake.calls if c[0] in ('net-info', 'pool-info')]
    removed = run({'default_network': 'remove', 'default_pool': 'remove'})
    assert removed['actions'] == ['virsh net-destroy default', 'virsh net-undefine default',
                                  'virsh pool-destroy default', 'virsh pool-undefine default']
    assert os.path.isdir(str(virsh['tmp'] / 'images'))


def test_default_ensure_without_the_shipped_definition_fails_first(virsh, monkeypatch):
    monkeypatch.setattr(libvirt_objects, 'DEFAULT_NETWORK_XML', str(virsh['tmp'] / 'missing.xml'))
    result = run({'default_network': 'ensure', 'networks': [LAB]}, expect=FailJson)
    assert 'missing.xml' in result['msg'] and result['msg'].endswith('nothing was changed')
    assert virsh['fake'].mutating() == []


@pytest.mark.parametrize('args, message', [
    ({'networks': [{'name': 'lab', 'forward': 'isolated', 'bridge': 'x' * 16}]}, "bridge 'xxxxxxxxxxxxxxxx'"),
    ({'networks': [{'name': 'lab', 'ipv4': {'address': '10.0.0.1/24', 'dhcp_start': '10.0.0.9',
                                            'dhcp_end': '10.0.0.2'}}]}, 'is reversed'),
    ({'pools': [{'name': 'p', 'path': '/srv/p', 'mode': 493}]}, 'mode 493 is not allowed'),
    ({'pools': [{'name': 'p', 'path': '/srv/p', 'owner': 'no-such-user-here'}]}, "user 'no-such-user-here'"),
    ({'networks': [{'name': 'lab', 'xml': '<network><name>lab</name></network>', 'bridge': 'b'}]},
     'mutually exclusive'),
])
def test_bad_input_fails_before_virsh(virsh, args, message):
    result = run(args, expect=FailJson)
    assert message in result['msg']
    assert virsh['fake'].calls == []


def test_failed_step_stops_and_says_what_ran(virsh):
    virsh['fake'].fail = 'net-start'
    result = run(args_for(virsh['tmp']), expect=FailJson)
    assert result['step'] == 'virsh net-start lab' and result['rc'] == 1
    assert 'failed on purpose' in result['stderr']
    assert result['actions'] == ['virsh net-define <network lab XML>']
    assert 'the steps before it ran (1) and were not undone' in result['msg']
    assert 'iso' not in virsh['fake'].objects['net']


def test_probe_that_cannot_connect_fails(virsh):
    virsh['fake'].connect_error = 'error: failed to connect to the hypervisor\n'
    result = run(args_for(virsh['tmp']), expect=FailJson)
    assert 'virsh could not read the networks and pools (qemu:///system): error: failed to connect' in result['msg']
    assert result['rc'] == 1


def test_autostart_drivers_from_the_links_on_disk(virsh):
    links = virsh['tmp'] / 'autostart' / 'pool'
    links.mkdir(parents=True)
    (links / 'img.xml').write_text(u'')
    assert run({})['autostart_drivers'] == ['storage']


def test_check_mode_before_libvirt_is_installed_warns_and_plans(virsh, monkeypatch):
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None: None)
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, text: warned.append(text))
    result = run(dict(args_for(virsh['tmp']), _ansible_check_mode=True))
    assert result['changed'] is True and len(result['actions']) == 9
    assert 'virsh is not installed' in warned[0]
    failed = run(args_for(virsh['tmp']), expect=FailJson)
    assert failed['msg'].startswith('virsh is not installed')


def test_validate_only_runs_no_virsh_and_defers_names(virsh):
    result = run({'networks': [LAB], 'pools': [{'name': 'p', 'path': '/srv/p', 'owner': 'made-by-a-package'}],
                  'validate_only': True})
    assert result['changed'] is False and result['virsh_calls'] == 0
    assert virsh['fake'].calls == []
    bad = run({'networks': [dict(LAB, bridge='x' * 16)], 'validate_only': True}, expect=FailJson)
    assert "bridge 'xxxxxxxxxxxxxxxx'" in bad['msg'] and virsh['fake'].calls == []
