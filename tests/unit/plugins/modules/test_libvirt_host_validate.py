# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.kvmhost.setup.plugins.modules import libvirt_host_validate

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'virt_host_validate')


class FailJson(Exception):
    pass


@pytest.fixture(autouse=True)
def sys_module(tmp_path, monkeypatch):
    """The KVM modules' parameters, none loaded unless a test writes them: the checks must
    not depend on the machine running the tests."""
    monkeypatch.setattr(libvirt_host_validate, 'NESTED_PARAMETER', str(tmp_path / '{0}' / 'nested'))
    return tmp_path


class FakeModule(object):
    """Only what validate() uses: get_bin_path, run_command, fail_json."""

    def __init__(self, tool, rc=0, stdout='', stderr=''):
        self.tool = tool
        self.answer = (rc, stdout, stderr)
        self.commands = []

    def get_bin_path(self, name):
        assert name == 'virt-host-validate'
        return self.tool

    def run_command(self, cmd, environ_update=None):
        self.commands.append((cmd, environ_update))
        return self.answer

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)


def read(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def test_missing_tool_skips():
    module = FakeModule(None)
    result = libvirt_host_validate.validate(module, 'qemu')
    assert result['skipped'] is True
    assert 'virt-host-validate is not installed' in result['skip_reason']
    assert result['checks'] == [] and result['summary']['total'] == 0
    assert module.commands == []


@pytest.mark.parametrize('name, rc, total, failed', [
    ('debian12-libvirt9-qemu.txt', 1, 11, 2),
    ('debian12-libvirt9-lxc.txt', 0, 15, 0),
])
def test_runs_the_tool_in_c_locale(name, rc, total, failed):
    module = FakeModule('/usr/bin/virt-host-validate', rc=rc, stdout=read(name))
    result = libvirt_host_validate.validate(module, 'qemu')
    assert module.commands == [(['/usr/bin/virt-host-validate', 'qemu'], {'LC_ALL': 'C', 'LANG': 'C'})]
    assert result['changed'] is False and result['skipped'] is False
    assert result['exit_code'] == rc and 'rc' not in result
    assert result['summary']['total'] == total and result['summary']['FAIL'] == failed


def test_no_check_printed_fails_with_the_message():
    module = FakeModule('/usr/bin/virt-host-validate', rc=1, stderr=read('trixie-libvirt11-lxc-stderr.txt'))
    with pytest.raises(FailJson) as error:
        libvirt_host_validate.validate(module, 'lxc')
    assert error.value.args[0]['msg'] == (
        'virt-host-validate lxc printed no check (exit code 1): '
        'virt-host-validate: unsupported hypervisor name lxc')
    assert error.value.args[0]['rc'] == 1


@pytest.mark.parametrize('module, value', [('kvm_intel', 'Y\n'), ('kvm_amd', '1\n')])
def test_nesting_on_adds_a_warning_with_the_cves(sys_module, monkeypatch, module, value):
    (sys_module / module).mkdir()
    (sys_module / module / 'nested').write_text(value)
    monkeypatch.setattr(libvirt_host_validate.platform, 'release', lambda: '6.1.0-18-amd64')
    with open(os.path.join(FIXTURES, 'trixie-libvirt11-qemu.txt')) as handle:
        text = handle.read()
    result = libvirt_host_validate.validate(FakeModule('/usr/bin/virt-host-validate', 0, text), 'qemu', 'warn')
    check = result['checks'][-1]
    assert check['hypervisor'] == 'KVM' and check['result'] == 'WARN'
    assert check['check'] == 'if nested virtualization is off ({0} nested={1})'.format(module, value.strip())
    assert 'CVE-2026-53359 and CVE-2026-46113' in check['hint']
    assert "distribution kernel: its version does not tell" in check['hint']
    assert check in result['violations'] and result['summary']['WARN'] >= 1


def test_nesting_off_or_unknown_adds_nothing(sys_module):
    (sys_module / 'kvm_intel').mkdir()
    (sys_module / 'kvm_intel' / 'nested').write_text(u'N\n')
    with open(os.path.join(FIXTURES, 'trixie-libvirt11-qemu.txt')) as handle:
        text = handle.read()
    result = libvirt_host_validate.validate(FakeModule('/usr/bin/virt-host-validate', 0, text), 'qemu')
    assert not [check for check in result['checks'] if check['hypervisor'] == 'KVM']
