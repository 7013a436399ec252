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
    peer and back, as the rolling switch (C(kvmhost.setup.rolling_switch)) does it, with the exact
    C(virsh migrate) command of each move.
  - Fails, naming every guest and reason, when the peer cannot take the guests (not reachable over
    TLS, same host UUID), when the peer cannot reach this host (O(peer_to_host)), when the role's
    running-guest guard counts a guest the plan does not move (O(guard_guests)), when a guest is not
    migratable (host devices, virtiofs, shared memory without role master, transient disks, invtsc
    without TSC frequency, snapshots), or when a guest has a disk layer that is not on
    O(shared_storage).
  - Every layer of a disk counts (the image, its external data file and each backing file, as
    libvirt records the backing chain of a running guest). File and block layers must be on
    O(shared_storage); network layers must use a protocol every host opens the same way (nbd, iscsi,
    rbd, gluster, nfs, http, https, ftp, ftps, tftp, ssh) and not a UNIX socket of this host. Every
    other disk type (storage pool C(volume), C(dir), C(nvme), C(vhostuser), C(vhostvdpa), ...) is
    refused, naming the guest, the disk and the type. Empty CD-ROMs are fine.
  - IPv6 addresses are written in brackets in the URIs (C(qemu+tls://[2001:db8::1]/system),
    C(tcp://[2001:db8::1])).
  - Only reads; never changes the host or the peer.
author:
  - kvmhost.setup maintainers (@kvmhost)
requirements:
  - virsh on the host, a client certificate for TLS (C(/etc/pki/libvirt/clientcert.pem))
options:
  peer:
    description: Migration address (IP address or resolvable host name) of the peer that takes the guests.
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
  address:
    description:
      - This host's migration address, where the guests come back to (an IP address or a host name);
        default O(host).
    type: str
  migrate_options:
    description:
      - Extra C(virsh migrate) options for every move, for example C([--tls]) for an encrypted QEMU
        stream.
      - Options the plan sets or that contradict it are refused (C(--live), C(--p2p), C(--migrateuri),
        C(--desturi), C(--domain), C(--persistent), C(--undefinesource), C(--offline), C(--suspend),
        C(--copy-storage-all), C(--copy-storage-inc), C(--copy-storage-synchronous-writes)).
    type: list
    elements: str
    default: []
  guard_guests:
    description:
      - The guests that the role's running-guest guard counts on this host, as
        M(kvmhost.setup.libvirt_daemons) returns them in RV(kvmhost.setup.libvirt_daemons#module:guests).
      - Each must be a running guest that the plan moves, or the plan is refused naming it (a paused
        guest, a status file libvirt does not list); otherwise the role would refuse the switch after
        the other guests left.
    type: list
    elements: str
    default: []
  peer_to_host:
    description:
      - What C(virsh -c URI capabilities) returned when run on the peer, URI being this host's TLS URI
        (C(host_uri) in RV(plan)), which is the way back. Refused when it failed, or when it answered
        with another host UUID than this host's.
      - Not checked when omitted.
    type: dict
    suboptions:
      rc:
        description: Exit status.
        type: int
        required: true
      stdout:
        description: Standard output (the capabilities XML).
        type: str
        default: ''
      stderr:
        description: Standard error.
        type: str
        default: ''
extends_documentation_fragment:
  - kvmhost.setup.attributes
  - kvmhost.setup.attributes.read_only
'''

EXAMPLES = r'''
- name: Plan the evacuation of this host to its peer
  kvmhost.setup.libvirt_migration_plan:
    peer: 192.0.2.12
    address: 192.0.2.11
    shared_storage: [/srv/vm-images]
    host: "{{ inventory_hostname }}"
    mode: modular
  register: plan

- name: Read the guests that the role's running-guest guard counts
  kvmhost.setup.libvirt_daemons:
    state: probed
  register: probe

- name: Plan it with the guests the role's running-guest guard counts, refusing any the plan leaves behind
  kvmhost.setup.libvirt_migration_plan:
    peer: 2001:db8::1
    address: 2001:db8::2
    host: "{{ inventory_hostname }}"
    guard_guests: "{{ probe.guests }}"
    migrate_options: [--tls]
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
  description:
    - C(host), C(peer), C(mode), C(refused), C(host_uri) and C(peer_uri) (the TLS URIs of this host's and
      the peer's migration addresses), and the migrations C(out) (host to peer, run on the host) and
      C(back) (run on the peer), each with C(guest), C(uuid), C(from), C(to) and C(argv), the exact
      C(virsh migrate) command.
  returned: always
  type: dict
  sample:
    host: kvm2
    peer: 2001:db8::1
    mode: modular
    refused: false
    host_uri: qemu+tls://[2001:db8::2]/system
    peer_uri: qemu+tls://[2001:db8::1]/system
    out:
      - guest: web1
        uuid: 5a4c1f2e-3b6d-4e8f-9a0b-1c2d3e4f5a6b
        from: kvm2
        to: 2001:db8::1
        argv: [virsh, -c, "qemu:///system", migrate, --live, --p2p, web1, "qemu+tls://[2001:db8::1]/system",
               --migrateuri, "tcp://[2001:db8::1]"]
    back:
      - guest: web1
        uuid: 5a4c1f2e-3b6d-4e8f-9a0b-1c2d3e4f5a6b
        from: 2001:db8::1
        to: kvm2
        argv: [virsh, -c, "qemu:///system", migrate, --live, --p2p, web1, "qemu+tls://[2001:db8::2]/system",
               --migrateuri, "tcp://[2001:db8::2]"]
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
    guard_refusals,
    host_uuid,
    make_plan,
    parse_domain,
    peer_refusals,
    return_refusals,
    tls_uri,
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
    peer_uri = params['peer_uri'] or tls_uri(params['peer'])
    dummy, names, dummy = virsh(module, uri, 'list', '--state-running', '--name')
    domains, refusals = [], []
    for name in [line.strip() for line in names.splitlines() if line.strip()]:
        dummy, xml, dummy = virsh(module, uri, 'dumpxml', name)
        domain = parse_domain(xml)
        rc, snaps, dummy = virsh(module, uri, 'snapshot-list', name, '--name', allow_fail=True)
        count = len([line for line in snaps.splitlines() if line.strip()]) if rc == 0 else 0
        domains.append(domain)
        refusals.extend(guest_refusals(domain, params['shared_storage'], count))
    planned = [domain['name'] for domain in domains]
    states = {}
    for name in [name for name in params['guard_guests'] if name not in planned]:
        rc, state, dummy = virsh(module, uri, 'domstate', name, allow_fail=True)
        states[name] = state.strip() if rc == 0 else None
    dummy, caps, dummy = virsh(module, uri, 'capabilities')
    rc, peer_caps, err = virsh(module, peer_uri, 'capabilities', allow_fail=True, timeout=params['timeout'])
    if rc == 124:
        err = 'no answer within {0} s'.format(params['timeout'])
    mine, theirs = host_uuid(caps), host_uuid(peer_caps) if rc == 0 else ''
    plan = make_plan(params['host'], params['peer'], params['mode'], domains, refusals,
                     address=params['address'], uri=uri, options=params['migrate_options'])
    refusals = (peer_refusals(params['peer'], rc == 0, err, mine, theirs)
                + return_refusals(params['host'], params['peer'], plan['host_uri'], params['peer_to_host'], mine)
                + guard_refusals(params['guard_guests'], planned, states)
                + refusals)
    plan['refused'] = bool(refusals)
    result = dict(changed=False, guests=domains, refusals=refusals, peer_uri=peer_uri,
                  host_uuid=mine, peer_host_uuid=theirs, plan=plan)
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
            address=dict(type='str'),
            migrate_options=dict(type='list', elements='str', default=[]),
            guard_guests=dict(type='list', elements='str', default=[]),
            peer_to_host=dict(type='dict', options=dict(
                rc=dict(type='int', required=True),
                stdout=dict(type='str', default=''),
                stderr=dict(type='str', default=''),
            )),
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
