#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: libvirt_migration_plan
short_description: Check that a host's running guests can be live-migrated to a peer, and plan it
version_added: 0.2.0
description:
  - Reads the running guests of the host (C(virsh list), C(dumpxml), C(snapshot-list)) and asks the
    peer over TLS for its capabilities, then plans a live migration of every running guest to the
    peer and back, as the rolling switch (C(kvmhost.setup.rolling_switch)) does it.
  - Fails, naming every guest and reason, when the peer cannot take the guests (not reachable over
    TLS, same host UUID), when a guest is not migratable (host devices, virtiofs, shared memory
    without role master, transient disks, invtsc without TSC frequency, snapshots), or when a
    guest has a disk that is not on O(shared_storage). Network disks and empty CD-ROMs are fine.
  - Only reads; never changes the host or the peer.
author:
  - kvmhost.setup maintainers (@kvmhost)
requirements:
  - virsh on the host, a client certificate for TLS (C(/etc/pki/libvirt/clientcert.pem))
options:
  peer:
    description: Address (or resolvable name) of the peer that takes the guests.
    type: str
    required: true
  peer_uri:
    description: libvirt URI of the peer; default C(qemu+tls://PEER/system).
    type: str
  uri:
    description: libvirt URI of this host's hypervisor.
    type: str
    default: qemu:///system
  shared_storage:
    description:
      - Absolute paths of the storage that the host and the peer share (NFS, cluster file systems).
        A guest disk file outside them is refused.
    type: list
    elements: path
    default: []
  host:
    description: Name of this host in the plan (for example C(inventory_hostname)).
    type: str
    default: this host
  mode:
    description: The daemon mode the host is switched to, for the plan.
    type: str
    choices: [modular, monolithic]
    default: modular
  timeout:
    description: Seconds to wait for the peer's answer.
    type: int
    default: 30
extends_documentation_fragment:
  - kvmhost.setup.attributes
  - kvmhost.setup.attributes.read_only
'''

EXAMPLES = r'''
- name: Plan the evacuation of this host to its peer
  kvmhost.setup.libvirt_migration_plan:
    peer: 192.0.2.12
    shared_storage: [/srv/vm-images]
    host: "{{ inventory_hostname }}"
    mode: modular
  register: plan

- name: Show which guest goes where and back
  ansible.builtin.debug:
    var: plan.plan
'''

RETURN = r'''
guests:
  description: The running guests, with name, uuid, disks and blockers.
  returned: always
  type: list
  elements: dict
refusals:
  description: Every reason to refuse, as guest (null for the peer) and reason. Empty on success.
  returned: always
  type: list
  elements: dict
plan:
  description: host, peer, mode, refused, and the migrations C(out) (host to peer) and C(back), each guest, uuid, from, to.
  returned: always
  type: dict
peer_uri:
  description: The peer URI used.
  returned: always
  type: str
host_uuid:
  description: This host's libvirt host UUID.
  returned: always
  type: str
peer_host_uuid:
  description: The peer's libvirt host UUID (empty when unreachable).
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_host import C_LOCALE
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_migration import (
    MigrationInputError,
    describe_refusals,
    guest_refusals,
    host_uuid,
    make_plan,
    parse_domain,
    peer_refusals,
)


class VirshError(Exception):
    pass


def virsh(module, uri, *args, **kwargs):
    """stdout of one virsh call; raises VirshError unless allow_fail."""
    cmd = [module.get_bin_path('virsh', required=True), '-c', uri] + list(args)
    if kwargs.get('timeout'):
        timeout = module.get_bin_path('timeout')
        if timeout:
            cmd = [timeout, str(kwargs['timeout'])] + cmd
    rc, out, err = module.run_command(cmd, environ_update=C_LOCALE)
    if rc != 0 and not kwargs.get('allow_fail'):
        raise VirshError('{0} failed (rc {1}): {2}'.format(' '.join(cmd), rc, err.strip() or out.strip()))
    return rc, out, err


def plan_host(module, params):
    uri = params['uri']
    peer_uri = params['peer_uri'] or 'qemu+tls://{0}/system'.format(params['peer'])
    dummy, names, dummy = virsh(module, uri, 'list', '--state-running', '--name')
    domains, refusals = [], []
    for name in [line.strip() for line in names.splitlines() if line.strip()]:
        dummy, xml, dummy = virsh(module, uri, 'dumpxml', name)
        domain = parse_domain(xml)
        rc, snaps, dummy = virsh(module, uri, 'snapshot-list', name, '--name', allow_fail=True)
        count = len([line for line in snaps.splitlines() if line.strip()]) if rc == 0 else 0
        domains.append(domain)
        refusals.extend(guest_refusals(domain, params['shared_storage'], count))
    dummy, caps, dummy = virsh(module, uri, 'capabilities')
    rc, peer_caps, err = virsh(module, peer_uri, 'capabilities', allow_fail=True, timeout=params['timeout'])
    if rc == 124:
        err = 'no answer within {0} s'.format(params['timeout'])
    mine, theirs = host_uuid(caps), host_uuid(peer_caps) if rc == 0 else ''
    refusals = peer_refusals(params['peer'], rc == 0, err, mine, theirs) + refusals
    result = dict(changed=False, guests=domains, refusals=refusals, peer_uri=peer_uri,
                  host_uuid=mine, peer_host_uuid=theirs,
                  plan=make_plan(params['host'], params['peer'], params['mode'], domains, refusals))
    if refusals:
        result['msg'] = 'live migration of {0} to {1} refused, nothing changed: {2}'.format(
            params['host'], params['peer'], describe_refusals(refusals))
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            peer=dict(type='str', required=True),
            peer_uri=dict(type='str'),
            uri=dict(type='str', default='qemu:///system'),
            shared_storage=dict(type='list', elements='path', default=[]),
            host=dict(type='str', default='this host'),
            mode=dict(type='str', choices=['modular', 'monolithic'], default='modular'),
            timeout=dict(type='int', default=30),
        ),
        supports_check_mode=True,
    )
    try:
        result = plan_host(module, module.params)
    except (VirshError, MigrationInputError) as exc:
        module.fail_json(msg=str(exc))
    if result['refusals']:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
