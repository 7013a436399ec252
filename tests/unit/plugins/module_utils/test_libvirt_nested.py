# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_nested as nested


@pytest.mark.parametrize('release, fixed, text', [
    ('6.12.95', True, 'has the fixes (from 6.12.95)'),
    ('6.12.94', False, 'lacks the fixes: update to 6.12.95 or later'),
    ('5.10.260', True, 'has the fixes'),
    ('7.1.2', False, 'update to 7.1.3'),
    ('7.2.0', True, 'newer than the fixed 7.1.3'),
    ('7.2', True, 'newer than the fixed 7.1.3'),
    ('6.8.12', False, 'no fixed stable release exists for'),
    ('4.19.300', False, 'no fixed stable release exists for'),
    ('6.1.0-18-amd64', None, "check your vendor's advisory for CVE-2026-53359 and CVE-2026-46113"),
    ('5.14.0-427.13.1.el9_4.x86_64', None, 'distribution kernel'),
    ('6.18.44-fc-v1300', None, 'distribution kernel'),
])
def test_kernel_status(release, fixed, text):
    verdict, message = nested.kernel_status(release)
    assert verdict is fixed
    assert text in message and release in message


@pytest.mark.parametrize('value, on', [('Y\n', True), ('1', True), ('N\n', False), ('0', False), ('', False), (None, False)])
def test_is_on(value, on):
    assert nested.is_on(value) is on


def test_nesting_check_only_when_on():
    assert nested.nesting_check('kvm_intel', 'N\n', '6.12.95') is None
    check = nested.nesting_check('kvm_amd', '1\n', '6.12.95')
    assert check['result'] == 'WARN' and 'options kvm_amd nested=0' in check['hint']
    assert 'kernel 6.12.95 has the fixes' in check['hint']


INTEL = 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx sse\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n'
MANAGED = nested.MODPROBE_FILE


@pytest.mark.parametrize('cpuinfo, expected', [
    (INTEL, ('kvm_intel', True, 'GenuineIntel')),
    ('vendor_id : AuthenticAMD\nflags : fpu svm\n', ('kvm_amd', True, 'AuthenticAMD')),
    ('vendor_id : HygonGenuine\nflags : fpu\n', ('kvm_amd', False, 'HygonGenuine')),
    ('vendor_id : GenuineIntel\nflags : fpu sse\n', ('kvm_intel', False, 'GenuineIntel')),
    ('processor : 0\nBogoMIPS : 50.00\nCPU implementer : 0x41\n', (None, False, '')),
    (None, (None, False, '')),
])
def test_cpu_module(cpuinfo, expected):
    assert nested.cpu_module(cpuinfo) == expected


@pytest.mark.parametrize('text, value', [
    ('Y', True), ('N', False), ('1\n', True), ('0', False), ('on', True), ('off', False), ('maybe', None), ('', None)])
def test_parse_bool(text, value):
    assert nested.parse_bool(text) is value


def test_config_files_in_modprobe_order():
    listing = {'/etc/modprobe.d': ['b.conf', 'kvm.conf', 'notes.txt'],
               '/usr/lib/modprobe.d': ['kvm.conf', 'a.conf', 'systemd.conf'],
               '/lib/modprobe.d': ['a.conf']}
    # a name in /etc hides the same name in /usr/lib; sorted by name across directories
    assert nested.config_files(listing) == ['/usr/lib/modprobe.d/a.conf', '/etc/modprobe.d/b.conf',
                                            '/etc/modprobe.d/kvm.conf', '/usr/lib/modprobe.d/systemd.conf']


def test_nested_settings_reads_options_lines_only():
    text = ('# options kvm_intel nested=1\n'
            'options kvm_intel ept=1 nested=Y # trailing comment nested=0\n'
            'options kvm_amd nested=1\n'
            'options kvm-intel \\\n  nested=0\n'
            'install kvm_intel nested=1\n')
    assert nested.nested_settings('/etc/modprobe.d/kvm.conf', text, 'kvm_intel') == [
        ('/etc/modprobe.d/kvm.conf:2', 'Y'), ('/etc/modprobe.d/kvm.conf:5', '0')]


def test_cmdline_settings_stop_at_init_arguments():
    cmdline = 'quiet kvm_intel.nested=1 kvm-intel.nested=0 -- kvm_intel.nested=1'
    assert [value for dummy, value in nested.cmdline_settings(cmdline, 'kvm_intel')] == ['1', '0']


def test_plan_writes_the_module_line():
    plan = nested.nested_plan('disabled', 'kvm_intel', [], '')
    assert plan['wanted'] is False and plan['effective'] is False and plan['overridden_by'] == []
    assert 'options kvm_intel nested=0\n' in plan['content']
    assert 'options kvm_amd nested=1\n' in nested.nested_plan('enabled', 'kvm_amd', [], '')['content']


def test_plan_ignores_earlier_files_and_its_own_old_content():
    files = [('/etc/modprobe.d/kvm.conf', 'options kvm_intel nested=1\n'),
             (MANAGED, 'options kvm_intel nested=1\n')]
    plan = nested.nested_plan('disabled', 'kvm_intel', files, 'quiet')
    assert plan['overridden_by'] == [] and plan['effective'] is False


@pytest.mark.parametrize('files, cmdline, named', [
    ([('/etc/modprobe.d/zz-nested.conf', 'options kvm_intel nested=1\n')], '', '/etc/modprobe.d/zz-nested.conf:1'),
    ([('/usr/lib/modprobe.d/local.conf', 'options kvm_intel nested=Y\n')], '', '/usr/lib/modprobe.d/local.conf:1'),
    ([], 'ro kvm_intel.nested=1', 'the kernel command line (kvm_intel.nested=1)'),
])
def test_plan_refuses_later_settings_that_override(files, cmdline, named):
    plan = nested.nested_plan('disabled', 'kvm_intel', files, cmdline)
    assert plan['effective'] is True
    assert [entry.split(' sets ')[0] for entry in plan['overridden_by']] == [named]


def test_plan_accepts_a_later_setting_that_agrees():
    files = [('/etc/modprobe.d/zz-nested.conf', 'options kvm_intel nested=0\n')]
    assert nested.nested_plan('disabled', 'kvm_intel', files, 'kvm_intel.nested=N')['overridden_by'] == []


def test_plan_hides_a_same_named_file_in_a_later_directory():
    files = [('/usr/lib/modprobe.d/kvmhost-setup-nested.conf', 'options kvm_intel nested=1\n')]
    plan = nested.nested_plan('disabled', 'kvm_intel', files, '')
    assert plan['overridden_by'] == [] and plan['effective'] is False
