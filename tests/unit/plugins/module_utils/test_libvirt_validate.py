# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_validate import (
    describe,
    parse,
    summarize,
    violations,
)

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'virt_host_validate')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


# Real output of the test images: (file, hypervisor, PASS, WARN, FAIL, NOTE).
@pytest.mark.parametrize('name, hypervisor, passed, warned, failed', [
    ('debian12-libvirt9-qemu.txt', 'QEMU', 6, 3, 2),
    ('trixie-libvirt11-qemu.txt', 'QEMU', 6, 3, 2),
    ('debian12-libvirt9-lxc.txt', 'LXC', 15, 0, 0),
])
def test_parse_real_output(name, hypervisor, passed, warned, failed):
    text = fixture(name)
    checks, other = parse(text)
    assert other == []
    # every non-empty line of the tool is one check
    assert len(checks) == len([line for line in text.splitlines() if line.strip()])
    assert set(check['hypervisor'] for check in checks) == {hypervisor}
    assert summarize(checks) == {'PASS': passed, 'WARN': warned, 'FAIL': failed, 'NOTE': 0,
                                 'total': passed + warned + failed}
    assert all(check['hint'] == '' for check in checks if check['result'] == 'PASS')
    assert all(check['hint'] for check in checks if check['result'] != 'PASS')
    assert all(not check['check'].startswith('Checking') and check['check'] == check['check'].strip()
               for check in checks)


@pytest.mark.parametrize('name, index, expected', [
    ('debian12-libvirt9-qemu.txt', 0, {
        'hypervisor': 'QEMU', 'check': 'for hardware virtualization', 'result': 'FAIL',
        'hint': 'Host not compatible with KVM; HW virtualization CPU features not found. Only emulated '
                'CPUs are available; performance will be significantly limited'}),
    ('debian12-libvirt9-qemu.txt', 1, {
        'hypervisor': 'QEMU', 'check': 'if device /dev/vhost-net exists', 'result': 'WARN',
        'hint': "Load the 'vhost_net' module to improve performance of virtio networking"}),
    # libvirt 11 quotes the device paths
    ('trixie-libvirt11-qemu.txt', 2, {
        'hypervisor': 'QEMU', 'check': "if device '/dev/net/tun' exists", 'result': 'FAIL',
        'hint': "Load the 'tun' module to enable networking for QEMU guests"}),
    ('trixie-libvirt11-qemu.txt', 3, {
        'hypervisor': 'QEMU', 'check': "for cgroup 'cpu' controller support", 'result': 'PASS', 'hint': ''}),
    ('debian12-libvirt9-lxc.txt', 0, {
        'hypervisor': 'LXC', 'check': 'for Linux >= 2.6.26', 'result': 'PASS', 'hint': ''}),
])
def test_parse_real_lines(name, index, expected):
    checks, dummy = parse(fixture(name))
    assert checks[index] == expected


@pytest.mark.parametrize('name, message', [
    ('debian12-libvirt9-bhyve-stderr.txt', 'virt-host-validate: unsupported hypervisor name bhyve'),
    ('trixie-libvirt11-lxc-stderr.txt', 'virt-host-validate: unsupported hypervisor name lxc'),
])
def test_error_output_is_no_check(name, message):
    assert parse(fixture(name)) == ([], [message])


@pytest.mark.parametrize('line, expected', [
    # colours, as printed to a terminal
    ('\x1b[1m  QEMU: Checking for secure guest support            : \x1b[0m\x1b[33mWARN\x1b[0m '
     '\x1b[33m(Unknown)\x1b[0m', ('QEMU', 'for secure guest support', 'WARN', 'Unknown')),
    ('  QEMU: Checking for something new : NOTE (read the docs)',
     ('QEMU', 'for something new', 'NOTE', 'read the docs')),
    # a FAIL without hint, no padding, hint holding parentheses
    ('QEMU: Checking x: FAIL', ('QEMU', 'x', 'FAIL', '')),
    ('    CH: Checking if device /dev/kvm exists : FAIL (modprobe kvm (or kvm_intel))',
     ('CH', 'if device /dev/kvm exists', 'FAIL', 'modprobe kvm (or kvm_intel)')),
])
def test_parse_line_shapes(line, expected):
    checks, other = parse(line + '\n')
    assert other == []
    assert [(c['hypervisor'], c['check'], c['result'], c['hint']) for c in checks] == [expected]


@pytest.mark.parametrize('text', [
    None,
    '',
    '\n  \n',
])
def test_parse_empty(text):
    assert parse(text) == ([], [])
    assert summarize([]) == {'PASS': 0, 'WARN': 0, 'FAIL': 0, 'NOTE': 0, 'total': 0}


@pytest.mark.parametrize('line', [
    'QEMU: Checking for x : MAYBE',
    'Checking for x : PASS',
    'QEMU: for x : PASS',
])
def test_parse_rejects_other_shapes(line):
    assert parse(line) == ([], [line])


@pytest.mark.parametrize('fail_on, results', [
    ('none', []),
    ('fail', ['FAIL', 'FAIL']),
    ('warn', ['WARN', 'FAIL', 'WARN', 'WARN', 'FAIL']),
])
def test_violations(fail_on, results):
    checks, dummy = parse(fixture('trixie-libvirt11-qemu.txt'))
    assert sorted(c['result'] for c in violations(checks, fail_on)) == sorted(results)


def test_violations_refuses_unknown_level():
    with pytest.raises(ValueError, match="fail_on is 'error': allowed are fail, none, warn"):
        violations([], 'error')


@pytest.mark.parametrize('check, text', [
    ({'hypervisor': 'QEMU', 'check': 'x', 'result': 'PASS', 'hint': ''}, 'QEMU: x: PASS'),
    ({'hypervisor': 'QEMU', 'check': 'x', 'result': 'WARN', 'hint': 'y'}, 'QEMU: x: WARN (y)'),
])
def test_describe(check, text):
    assert describe(check) == text
