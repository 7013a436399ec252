#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: libvirt_host_validate
short_description: Run libvirt's virt-host-validate for one hypervisor and return every check
version_added: 0.2.0
description:
  - Runs C(virt-host-validate HYPERVISOR) and parses every check it prints into a list of
    hypervisor, check, result (C(PASS), C(NOTE), C(WARN) or C(FAIL)) and the hint printed with it.
  - Only reads the host; never reports a change. The tool exits 1 when a check fails; that is a
    result, not an error. The module fails only when the tool prints no check at all (for
    example a hypervisor the libvirt build does not know).
  - Skips (C(skipped=true) with RV(skip_reason)) when C(virt-host-validate) is not installed.
  - For O(hypervisor=qemu) one check of its own follows the tool's, a C(WARN) when a loaded
    KVM module (C(kvm_intel), C(kvm_amd)) lets guests use nested virtualization
    (C(/sys/module/kvm_*/parameters/nested)); CVE-2026-53359 and CVE-2026-46113 are
    guest-to-host escapes reachable only that way, fixed in the stable kernels of 2026-07-04
    (7.1.3, 6.18.38, 6.12.95, 6.6.144, 6.1.177, 5.15.211, 5.10.260). Its hint says whether the
    running kernel's version has the fixes or, for a distribution kernel (whose backports make
    version numbers meaningless), to check the vendor's advisory.
  - Deciding whether a C(WARN) or C(FAIL) should stop a play is left to the caller; the role
    C(kvmhost.setup.kvmhost_setup) does it with C(kvmhost_setup_validate_fail_on).
author:
  - kvmhost.setup maintainers (@kvmhost)
requirements:
  - C(virt-host-validate) (Debian and Ubuntu ship it in C(libvirt-daemon-common) or
    C(libvirt-clients), EL and Fedora in C(libvirt-client)); without it the module skips
options:
  hypervisor:
    description:
      - The hypervisor whose checks to run.
    type: str
    choices: [qemu, lxc, bhyve, ch]
    default: qemu
  fail_on:
    description:
      - Which results to list in RV(violations). V(none) lists none, V(fail) the C(FAIL) checks,
        V(warn) the C(WARN) and C(FAIL) checks.
      - The module does not fail on them; the caller decides (see EXAMPLES).
    type: str
    choices: [none, fail, warn]
    default: none
extends_documentation_fragment:
  - kvmhost.setup.attributes
  - kvmhost.setup.attributes.read_only
'''

EXAMPLES = r'''
- name: Validate the host for QEMU/KVM
  kvmhost.setup.libvirt_host_validate:
    hypervisor: qemu
  register: validation

- name: Show the checks that did not pass
  ansible.builtin.debug:
    msg: "{{ validation.checks | rejectattr('result', 'eq', 'PASS') | map(attribute='check') | list }}"

- name: Validate again, listing WARN and FAIL as violations
  kvmhost.setup.libvirt_host_validate:
    fail_on: warn
  register: strict

- name: Stop on them
  ansible.builtin.assert:
    that: strict.violations | length == 0
    fail_msg: "{{ strict.findings }}"
'''

RETURN = r'''
checks:
  description: Every check printed, in order.
  returned: always
  type: list
  elements: dict
  contains:
    hypervisor:
      description: The hypervisor as printed, for example C(QEMU).
      type: str
    check:
      description: What was checked, without the leading C(Checking).
      type: str
      sample: if device /dev/vhost-net exists
    result:
      description: C(PASS), C(NOTE), C(WARN) or C(FAIL).
      type: str
    hint:
      description: The hint printed in parentheses after a result other than C(PASS); empty when none.
      type: str
      sample: Load the 'vhost_net' module to improve performance of virtio networking
summary:
  description: How many checks gave each result, and the total.
  returned: always
  type: dict
  sample: {PASS: 6, NOTE: 0, WARN: 3, FAIL: 2, total: 11}
findings:
  description: "One line per check that did not pass, as C(QEMU: check: RESULT (hint))."
  returned: always
  type: list
  elements: str
  sample: ["QEMU: if device /dev/vhost-net exists: WARN (Load the 'vhost_net' module ...)"]
violations:
  description: The checks (same keys as RV(checks)) whose result O(fail_on) counts as a failure.
  returned: always
  type: list
  elements: dict
other:
  description: Lines of output that are not checks (messages of the tool), stripped.
  returned: always
  type: list
  elements: str
hypervisor:
  description: The hypervisor asked for.
  returned: always
  type: str
exit_code:
  description:
    - Exit code of the tool (1 when a check failed); not returned when skipped.
    - Not named C(rc), which Ansible would take for the module's own failure.
  returned: when the tool ran
  type: int
cmd:
  description: The command run.
  returned: when the tool ran
  type: list
  elements: str
skipped:
  description: Whether the tool was missing and nothing ran.
  returned: always
  type: bool
skip_reason:
  description: Why nothing ran.
  returned: when skipped
  type: str
'''

import platform

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_host import C_LOCALE, read_text
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_nested import KVM_MODULES, nesting_check
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_validate import (
    FAIL_ON,
    HYPERVISORS,
    describe,
    parse,
    summarize,
    violations,
)

TOOL = 'virt-host-validate'
NESTED_PARAMETER = '/sys/module/{0}/parameters/nested'


def nesting_checks():
    """The nested-virtualization check of each loaded KVM module that has nesting on."""
    checks = []
    for name in KVM_MODULES:
        value = read_text(NESTED_PARAMETER.format(name))
        check = nesting_check(name, value, platform.release()) if value is not None else None
        if check:
            checks.append(check)
    return checks


def validate(module, hypervisor, fail_on='none'):
    """Run the tool and return the module result (or fail when it printed no check)."""
    tool = module.get_bin_path(TOOL)
    if tool is None:
        return dict(changed=False, skipped=True, hypervisor=hypervisor, checks=[], other=[],
                    summary=summarize([]), findings=[], violations=[],
                    skip_reason='{0} is not installed (no host validation)'.format(TOOL))
    cmd = [tool, hypervisor]
    rc, stdout, stderr = module.run_command(cmd, environ_update=C_LOCALE)
    checks, other = parse(stdout)
    if not checks:
        module.fail_json(msg='{0} {1} printed no check (exit code {2}): {3}'.format(
            TOOL, hypervisor, rc, (stderr or stdout).strip() or 'no output'),
            rc=rc, stdout=stdout, stderr=stderr, cmd=cmd)
    if hypervisor == 'qemu':
        checks.extend(nesting_checks())
    return dict(changed=False, skipped=False, hypervisor=hypervisor, checks=checks, other=other,
                summary=summarize(checks), exit_code=rc, cmd=cmd,
                findings=[describe(check) for check in checks if check['result'] != 'PASS'],
                violations=violations(checks, fail_on))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hypervisor=dict(type='str', choices=list(HYPERVISORS), default='qemu'),
            fail_on=dict(type='str', choices=sorted(FAIL_ON), default='none'),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**validate(module, module.params['hypervisor'], module.params['fail_on']))


if __name__ == '__main__':
    main()
