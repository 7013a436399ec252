#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: config_files
short_description: Set KEY = value lines in several configuration files in one run
version_added: 0.3.0
description:
  - Sets setting lines in several files, or writes a small file whole, in one module run; the role
    writes C(qemu.conf), C(libvirt.conf), the file C(libvirt-guests) sources and tuned's profile
    files with it (one run instead of one lineinfile run per line).
  - Each line replaces the last line that sets its key, commented out or not (a line starting
    with the key, optionally after C(#), then C(=)), or is appended, as M(ansible.builtin.lineinfile)
    with C(regexp='^#?\s*KEY\s*=') does. Other lines are kept as they are.
  - Checks every entry before it writes any file; a bad entry fails the run naming the entry, its
    path and why, and nothing is written. A line that would not set its own key, so that no run
    would find it again, is refused.
  - Writes each file atomically (a temporary file, already with its mode, renamed over the old
    one; a symlink's target is written), keeps its SELinux label (a new file gets the policy's
    default), then sets the owner, group and mode also of a file whose content was right.
  - Lines end at C(\n) only; bytes that are not UTF-8 and a C(\r) are kept as they are.
  - The values of password-like settings (a key holding C(password), C(passwd) or C(secret)) are
    shown as C(********) in the diff, C(******** (old value)) and C(******** (new value)) where they
    changed.
author:
  - kvmhost.setup maintainers (@kvmhost)
options:
  files:
    description:
      - The files to write, each once.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - The file, an absolute path. Its directory is created (mode C(0755)) when missing.
        type: path
        required: true
      lines:
        description:
          - The setting lines, in the order to append those the file lacks. An empty list leaves
            the file as it is (its owner, group and mode too), also a missing one.
          - Mutually exclusive with O(files[].content).
        type: list
        elements: dict
        suboptions:
          key:
            description:
              - The setting's name (a letter or C(_), then letters, digits and C(_)).
            type: str
            required: true
          line:
            description:
              - The whole line, which must start with O(files[].lines[].key), then C(=) (spaces allowed).
            type: str
            required: true
          value:
            description:
              - The value the line sets, as the filter C(kvmhost.setup.libvirt_conf_lines) renders it,
                so that its list can be passed as it is. Not written; O(files[].lines[].line) is.
            type: str
      content:
        description:
          - The whole file's content; a final newline is added when it has none.
          - Mutually exclusive with O(files[].lines).
        type: str
      mode:
        description:
          - The file's mode, an octal number as a quoted string. An unquoted V(0644) is the
            number 420 to YAML and is refused.
        type: raw
        default: '0644'
      owner:
        description:
          - The file's owner.
        type: str
        default: root
      group:
        description:
          - The file's group.
        type: str
        default: root
notes:
  - Restarts nothing. RV(changed_files) says which files changed, so a handler can restart only
    what reads them.
extends_documentation_fragment:
  - kvmhost.setup.attributes
attributes:
  check_mode:
    support: full
    description: Reports the same RV(changed_files) and diff, writing nothing.
  diff_mode:
    support: full
    description: Each changed file's content before and after, and its owner, group or mode when they change.
'''

EXAMPLES = r'''
- name: Write the QEMU driver and the client settings
  kvmhost.setup.config_files:
    files:
      - path: /etc/libvirt/qemu.conf
        mode: '0600'
        lines:
          - key: migration_port_min
            line: migration_port_min = 49152
      - path: /etc/libvirt/libvirt.conf
        lines:
          - key: uri_default
            line: uri_default = "qemu:///system"
      - path: /etc/tuned/profile_mode
        content: manual
  register: written

- name: Say whether the QEMU daemon must re-read its file
  ansible.builtin.debug:
    msg: "{{ '/etc/libvirt/qemu.conf' in written.changed_files }}"
'''

RETURN = r'''
changed_files:
  description: The files whose content, owner, group or mode changed (or would, in check mode), in the order given.
  returned: always
  type: list
  elements: str
  sample: [/etc/libvirt/qemu.conf]
'''

import grp
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_conf import (
    LibvirtConfError,
    check_files,
    file_content,
    redact,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_host import read_text, write_text

FILE_SPEC = dict(
    path=dict(type='path', required=True),
    lines=dict(type='list', elements='dict', options=dict(
        key=dict(type='str', required=True, no_log=False),
        line=dict(type='str', required=True),
        value=dict(type='str'),
    )),
    content=dict(type='str'),
    # raw: an unquoted 0644 reaches the module as 420, and must be refused, not converted
    mode=dict(type='raw', default='0644'),
    owner=dict(type='str', default='root'),
    group=dict(type='str', default='root'),
)


def _attribute_diff(entry, ids, before):
    """The owner, group and mode ``entry`` wants that the file (its lstat, None when it does
    not exist yet) lacks, as a diff; None when it has them all or is new (created with them)."""
    if before is None:
        return None
    now = dict(owner=before.st_uid, group=before.st_gid, mode=stat.S_IMODE(before.st_mode))
    wanted = dict(owner=ids[0], group=ids[1], mode=int(entry['mode'], 8))
    differ = [name for name in ('owner', 'group', 'mode') if now[name] != wanted[name]]
    if not differ:
        return None

    def shown(values, name):
        if name == 'mode':
            return '0{0:03o}'.format(values[name])
        lookup = pwd.getpwuid if name == 'owner' else grp.getgrgid
        try:
            return lookup(values[name])[0]
        except KeyError:
            return values[name]

    return dict(before=dict((name, shown(now, name)) for name in differ),
                after=dict((name, entry[name] if name != 'mode' else shown(wanted, name)) for name in differ),
                before_header=entry['path'], after_header=entry['path'])


def _plan(module, files):
    """(entry, the real path, owner and group ids, lstat or None, content before, content after)
    for each file, every file read before any is written."""
    planned = []
    for number, entry in enumerate(files):
        ids = []
        for kind, lookup in (('owner', pwd.getpwnam), ('group', grp.getgrnam)):
            try:
                ids.append(lookup(entry[kind])[2])
            except KeyError:
                module.fail_json(msg='nothing was written: files[{0}] ({1}): {2} {3} does not exist on the host'.format(
                    number, entry['path'], kind, entry[kind]))
        # a symlink's target is the file: written through the link, as lineinfile does
        real = os.path.realpath(entry['path'])
        before = read_text(real)
        exists = os.path.lexists(real)
        if before is None and exists:
            module.fail_json(msg='nothing was written: {0} exists but cannot be read'.format(entry['path']))
        planned.append((entry, real, ids, os.lstat(real) if exists else None, before, file_content(entry, before)))
    return planned


def _write(module, real, content, mode):
    """Write the file; its SELinux label stays what it was (a new file gets the policy's)."""
    context = module.selinux_context(real) if os.path.lexists(real) else module.selinux_default_context(real)
    write_text(real, content, mode)
    module.set_context_if_different(real, context, False)


def main():
    module = AnsibleModule(
        argument_spec=dict(files=dict(type='list', elements='dict', required=True, options=FILE_SPEC)),
        supports_check_mode=True,
    )
    files = module.params['files']
    try:
        check_files(files)
    except LibvirtConfError as exc:
        module.fail_json(msg=to_native(exc))
    planned = _plan(module, files)

    changed_files, diffs = [], []
    for number, (entry, real, ids, before_stat, before, after) in enumerate(planned):
        if after is None:
            continue
        attributes = _attribute_diff(entry, ids, before_stat)
        if after != before:
            diffs.append(dict(before=redact(before or '', after, 'old value'), after=redact(after, before or '', 'new value'),
                              before_header=entry['path'], after_header=entry['path']))
        if attributes:
            diffs.append(attributes)
        if after == before and not attributes:
            continue
        if not module.check_mode:
            try:
                if after != before:
                    _write(module, real, after, int(entry['mode'], 8))
                module.set_owner_if_different(real, entry['owner'], False)
                module.set_group_if_different(real, entry['group'], False)
                module.set_mode_if_different(real, entry['mode'], False)
            except (IOError, OSError) as exc:
                left = [other['path'] for other, dummy, dummy, dummy, old, new in planned[number + 1:]
                        if new not in (None, old)]
                module.fail_json(
                    msg='writing {0} failed: {1}. Changed before it: {2}; not written: {3}'.format(
                        entry['path'], to_native(exc), ', '.join(changed_files) or 'nothing',
                        ', '.join(left) or 'nothing else'),
                    changed=bool(changed_files), changed_files=changed_files)
        changed_files.append(entry['path'])
    result = dict(changed=bool(changed_files), changed_files=changed_files)
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
