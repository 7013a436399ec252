# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Nested virtualization as a security finding: whether KVM lets guests run their own guests,
and what is known about the guest-to-host escapes reachable only that way.

Pure functions over what the caller read (/sys/module/kvm_*/parameters/nested, the kernel
release).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

KVM_MODULES = ('kvm_intel', 'kvm_amd')
# guest-to-host escapes in KVM/x86's shadow MMU, reachable only through nested virtualization
CVES = ('CVE-2026-53359', 'CVE-2026-46113')
# the stable kernels of 2026-07-04 that fix them, per series
FIXED_STABLE = ('7.1.3', '6.18.38', '6.12.95', '6.6.144', '6.1.177', '5.15.211', '5.10.260')

_UPSTREAM_RE = re.compile(r'^(\d+)\.(\d+)(?:\.(\d+))?\Z')


def is_on(value):
    """The nested parameter as the kernel prints it: 'Y'/'N' (kvm_intel) or '1'/'0' (kvm_amd)."""
    return (value or '').strip() in ('Y', 'y', '1')


def _version(text):
    match = _UPSTREAM_RE.match(text)
    return tuple(int(part or 0) for part in match.groups()) if match else None


def kernel_status(release):
    """What the kernel release says about the fixes: (fixed, text); fixed is None when the
    version cannot tell (a distribution kernel, whose backports make numbers meaningless)."""
    version = _version(release)
    if version is None:
        return None, ('kernel {0} is a distribution kernel: its version does not tell whether the fixes are '
                      'backported; check your vendor\'s advisory for {1}').format(release, ' and '.join(CVES))
    fixes = dict((_version(fixed)[:2], _version(fixed)) for fixed in FIXED_STABLE)
    newest = max(fixes)
    series = version[:2]
    if series in fixes:
        if version >= fixes[series]:
            return True, 'kernel {0} has the fixes (from {1})'.format(release, '.'.join(map(str, fixes[series])))
        return False, 'kernel {0} lacks the fixes: update to {1} or later'.format(
            release, '.'.join(map(str, fixes[series])))
    if series > newest:
        return True, 'kernel {0} is newer than the fixed {1}'.format(release, '.'.join(map(str, fixes[newest])))
    return False, 'kernel {0} is of a series no fixed stable release exists for (fixed: {1})'.format(
        release, ', '.join(FIXED_STABLE))


def nesting_check(module, value, release):
    """A virt-host-validate style check for nested virtualization, None when it is off or
    unknown. Always a WARN, never a FAIL: nesting is a choice, and for distribution kernels
    only the vendor can say whether the fixes are in."""
    if not is_on(value):
        return None
    dummy, text = kernel_status(release)
    return {'hypervisor': 'KVM', 'check': 'if nested virtualization is off ({0} nested={1})'.format(module, value.strip()),
            'result': 'WARN',
            'hint': 'guests may run their own guests, which reaches the guest-to-host escapes {0}; {1}; turn it off '
                    'unless guests need it (options {2} nested=0)'.format(' and '.join(CVES), text, module)}
