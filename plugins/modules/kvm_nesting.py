#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: kvm_nesting
short_description: Switch nested virtualization on or off for the KVM module the CPU needs
version_added: 0.3.0
description:
  - Writes one C(modprobe.d) file, C(options kvm_intel nested=1|0) or C(options kvm_amd nested=1|0)
    as the CPU's vendor needs (C(/proc/cpuinfo)), which the kernel reads when the module loads.
  - Refuses, writing nothing, when modprobe would still load the module with the other value
    because a C(modprobe.d) file read after this one, or the kernel command line
    (C(kvm_intel.nested=...)), sets it; each such setting is named. modprobe reads C(/etc),
    C(/run), C(/usr/local/lib), C(/usr/lib) and C(/lib/modprobe.d) (a name in an earlier directory
    hides the same name in a later one), the files sorted by name, then the command line.
  - Never unloads or reloads the module, so running guests are never touched. When the loaded
    module runs with the other value (C(/sys/module/MODULE/parameters/nested)), RV(reload_needed)
    is true and a warning says how to apply it (stop all guests, then reload the module, or reboot).
  - Nested virtualization lets guests run their own guests; CVE-2026-53359 and CVE-2026-46113 are
    guest-to-host escapes reachable only that way, fixed in the stable kernels of 2026-07-04.
    M(kvmhost.setup.libvirt_host_validate) warns when it is on.
author:
  - kvmhost.setup maintainers (@kvmhost)
options:
  state:
    description:
      - V(enabled) writes C(nested=1), V(disabled) C(nested=0).
      - Not V(on)/V(off), which YAML reads as booleans.
    type: str
    choices: [enabled, disabled]
    required: true
  path:
    description:
      - The file to write, an absolute path in one of modprobe's configuration directories, ending
        in C(.conf).
    type: path
    default: /etc/modprobe.d/kvmhost-setup-nested.conf
notes:
  - Fails on a CPU that is neither Intel's nor AMD's (or Hygon's), which have no C(kvm_intel) or
    C(kvm_amd).
  - On a CPU without the C(vmx)/C(svm) flag (a guest whose own host gives it no nesting) the file
    is written all the same, and RV(running) is null, as the module cannot load there.
extends_documentation_fragment:
  - kvmhost.setup.attributes
attributes:
  check_mode:
    support: full
    description: Reports what it would write and the same RV(reload_needed), writing nothing.
  diff_mode:
    support: full
    description: The file's content before and after.
'''

EXAMPLES = r'''
- name: Switch nested virtualization off
  kvmhost.setup.kvm_nesting:
    state: disabled
  register: nesting

- name: Say when a reload or reboot is still needed
  ansible.builtin.debug:
    msg: "{{ nesting.kvm_module }} still runs with nested={{ nesting.running }}"
  when: nesting.reload_needed
'''

RETURN = r'''
kvm_module:
  description: The KVM module the CPU needs.
  returned: always
  type: str
  sample: kvm_intel
cpu_supported:
  description: Whether the CPU offers the flag the module needs (C(vmx) or C(svm)).
  returned: always
  type: bool
path:
  description: The file written.
  returned: always
  type: str
configured:
  description: The value modprobe will load the module with once the file is written.
  returned: always
  type: bool
running:
  description: The loaded module's value, null when the module is not loaded.
  returned: always
  type: bool
reload_needed:
  description: Whether the loaded module runs with another value than the one configured.
  returned: always
  type: bool
guests_running:
  description: The running guests (libvirt's status files), which a module reload would have to stop first.
  returned: always
  type: list
  elements: str
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_host import (
    list_dirs,
    read_text,
    running_guests,
    write_text,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_nested import (
    MODPROBE_DIRS,
    STATES,
    config_files,
    cpu_module,
    nested_plan,
    parse_bool,
)

NESTED_PARAMETER = '/sys/module/{0}/parameters/nested'


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=list(STATES), required=True),
            path=dict(type='path', default='/etc/modprobe.d/kvmhost-setup-nested.conf'),
        ),
        supports_check_mode=True,
    )
    state, path = module.params['state'], module.params['path']
    if os.path.dirname(path) not in MODPROBE_DIRS or not path.endswith('.conf'):
        module.fail_json(msg='path is {0}: allowed is a .conf file directly in one of {1}'.format(
            path, ', '.join(MODPROBE_DIRS)))
    kvm_module, cpu_supported, vendor = cpu_module(read_text('/proc/cpuinfo'))
    if kvm_module is None:
        module.fail_json(msg='the CPU vendor is {0!r}: nested virtualization is switched for kvm_intel (GenuineIntel) '
                             'or kvm_amd (AuthenticAMD, HygonGenuine) only'.format(vendor))
    listing = list_dirs(MODPROBE_DIRS)
    files = [(name, read_text(name) or '') for name in config_files(listing)]
    plan = nested_plan(state, kvm_module, files, read_text('/proc/cmdline'), path)
    result = dict(kvm_module=kvm_module, cpu_supported=cpu_supported, path=path, configured=plan['wanted'],
                  guests_running=running_guests())
    if plan['overridden_by']:
        module.fail_json(msg='{0} would still load with nested={1}, whatever {2} says: {3}. Nothing was written; '
                             'remove or change those settings first'.format(
                                 kvm_module, 0 if plan['wanted'] else 1, path, '; '.join(plan['overridden_by'])),
                         overridden_by=plan['overridden_by'], **result)
    before = read_text(path)
    changed = before != plan['content']
    if changed and not module.check_mode:
        write_text(path, plan['content'])
    running_text = read_text(NESTED_PARAMETER.format(kvm_module))
    running = parse_bool(running_text) if running_text is not None else None
    result.update(running=running, reload_needed=running is not None and running != plan['wanted'], changed=changed)
    if result['reload_needed']:
        module.warn('{0} runs with nested={1} until it is reloaded: stop every guest ({2} running), then '
                    '`modprobe -r {0} && modprobe {0}`, or reboot. This module never reloads it.'.format(
                        kvm_module, 1 if running else 0, len(result['guests_running'])))
    elif running is None and changed:
        module.warn('{0} is not loaded{1}: nested={2} applies when it loads'.format(
            kvm_module, '' if cpu_supported else ' (the CPU offers no {0} flag: a guest without nesting?)'.format(
                'vmx' if kvm_module == 'kvm_intel' else 'svm'), 1 if plan['wanted'] else 0))
    if module._diff:
        result['diff'] = dict(before=before or '', after=plan['content'], before_header=path, after_header=path)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
