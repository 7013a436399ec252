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
