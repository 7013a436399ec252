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
