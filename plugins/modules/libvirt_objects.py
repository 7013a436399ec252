#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: libvirt_objects
short_description: Define, start and autostart libvirt networks and storage pools in one batched pass
version_added: 0.3.0
description:
  - Declares libvirt networks and directory storage pools, each from a few fields or a full XML
    definition, and the distribution's own V(default) network and pool with a switch each.
  - Reads every declared object with ONE C(virsh) invocation (several commands separated by
    C(;)), plans in pure functions, then runs one C(virsh) command per step and reads the host
    again to verify. A converged host costs one C(virsh) call and no change.
  - A network or pool whose definition differs from the declared one is refused, naming it and
    each difference, unless O(redefine) (module-wide or per entry) allows it; a running network
    is then stopped and started again (its guests lose connectivity meanwhile). Nothing is changed
    when anything is refused.
  - Objects that are not declared are left alone; O(networks[].state=absent) stops and undefines one.
    A pool's directory and its volumes are never deleted.
  - Does not need the libvirt Python binding on the host, only C(virsh).
  - In the modular mode the network and storage daemons start autostart objects only when they
    start; the role passes O(kvmhost.setup.libvirt_daemons#module:autostart_drivers) so that
    C(virtnetworkd.service) and C(virtstoraged.service) are enabled and start them at boot.
    RV(autostart_drivers) names the drivers that have autostart objects on the host.
author:
  - kvmhost.setup maintainers (@kvmhost)
requirements:
  - virsh on the host (libvirt's client), and a running or socket-activated libvirt
attributes:
  check_mode:
    support: full
    description: Probes, plans and returns the C(virsh) commands as RV(actions) and the predicted state; changes nothing.
  diff_mode:
    support: full
    description: Returns, for each object a step touches, its state and definition before and after.
extends_documentation_fragment:
  - kvmhost.setup.attributes
options:
  networks:
    description: The networks to manage, each from the fields or from O(networks[].xml).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Network name, 1-64 letters, digits and C(_ . + -), starting with a letter or digit.
        type: str
        required: true
      state:
        description: V(present) defines and starts it; V(absent) stops and undefines it.
        type: str
        choices: [present, absent]
        default: present
      autostart:
        description: Whether libvirt starts the network when its daemon starts (at boot).
        type: bool
        default: true
      redefine:
        description: Redefine (and restart) it when its definition differs. Default from O(redefine).
        type: bool
      xml:
        description:
          - A full network definition, instead of the fields. Its C(<name>) must be O(networks[].name).
          - Compared with the defined one by the modelled fields (forward mode and device, bridge,
            IP blocks with DHCP ranges) both ways, and for everything else it writes, each element
            and attribute written here must be in the definition (libvirt adds defaults such as the
            UUID and MAC address, which are not differences).
        type: str
      forward:
        description:
          - V(nat) (IPv4 NAT to the host's uplink), V(route) (routed, no NAT) or V(isolated) (no forwarding).
          - Omitted, V(nat).
        type: str
        choices: [nat, route, isolated]
      forward_dev:
        description: Only forward through this host interface (V(nat) and V(route)).
        type: str
      bridge:
        description: Bridge device name, at most 15 characters. Omitted, libvirt picks C(virbrN) and it is not compared.
        type: str
      ipv4:
        description: The host's IPv4 address on the network with its prefix, and an optional DHCP range. V(nat) needs it.
        type: dict
        suboptions:
          address:
            description: Such as V(192.168.100.1/24), a host address of the subnet.
            type: str
            required: true
          dhcp_start:
            description: First DHCP address, inside the subnet; with O(networks[].ipv4.dhcp_end).
            type: str
          dhcp_end:
            description: Last DHCP address, inside the subnet, not below the first, the range without the host address.
            type: str
      ipv6:
        description: The same for IPv6, such as V(fd00:1::1/64).
        type: dict
        suboptions:
          address:
            description: The host's IPv6 address with its prefix.
            type: str
            required: true
          dhcp_start:
            description: First DHCPv6 address.
            type: str
          dhcp_end:
            description: Last DHCPv6 address.
            type: str
  pools:
    description: The storage pools to manage, directory pools from the fields or any pool from O(pools[].xml).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Pool name, the same rule as network names.
        type: str
        required: true
      state:
        description: V(present) defines, builds (directory pools), starts it; V(absent) stops and undefines it, keeping its directory and volumes.
        type: str
        choices: [present, absent]
        default: present
      autostart:
        description: Whether libvirt starts the pool when its daemon starts (at boot).
        type: bool
        default: true
      redefine:
        description: Redefine it when its definition differs (a running pool is stopped and started again). Default from O(redefine).
        type: bool
      xml:
        description:
          - A full pool definition instead of the fields, compared like O(networks[].xml).
          - Only pools of type C(dir) are built (C(pool-build)); build other types yourself, since
            building some of them formats devices.
        type: str
      path:
        description:
          - The pool's directory, an absolute path.
          - Built (created, owner and mode set) when missing or when its owner, group or mode on
            disk differ from the declared ones.
        type: path
      owner:
        description: Owner of the directory, a user name or a numeric uid. Omitted, not set or compared.
        type: raw
      group:
        description: Group of the directory, a group name or a numeric gid.
        type: raw
      mode:
        description: Mode of the directory as a quoted octal string such as V("0755") (an unquoted V(0755) is the number 493 in YAML and is refused).
        type: raw
  default_network:
    description:
      - The distribution's own V(default) network. V(keep) leaves it as it is; V(ensure) defines
        it from C(/usr/share/libvirt/networks/default.xml) when it is not defined, starts it and
        turns autostart on; V(remove) stops and undefines it.
    type: str
    choices: [keep, ensure, remove]
    default: keep
  default_pool:
    description:
      - The V(default) storage pool at the distribution's images directory
        (C(/var/lib/libvirt/images)). V(keep) leaves it; V(ensure) defines it there when it is
        not defined, builds its directory when missing, starts it and turns autostart on (a
        defined V(default) pool keeps its own definition); V(remove) stops and undefines it,
        keeping the directory and its images.
    type: str
    choices: [keep, ensure, remove]
    default: keep
  redefine:
    description: Default of each entry's C(redefine).
    type: bool
    default: false
  uri:
    description: The libvirt URI.
    type: str
    default: qemu:///system
  validate_only:
    description:
      - Only validate the declarations and return, without running C(virsh) (the role does
        this before it changes anything). User and group names are not looked up then, since
        the packages that create them may not be installed yet; the real run checks them
        before its first change.
    type: bool
    default: false
notes:
  - The probe runs C(net-list), C(pool-list) and, for each declared name, C(net-info)/C(pool-info)
    and C(net-dumpxml --inactive)/C(pool-dumpxml --inactive) in one C(virsh) call.
  - A step that fails stops the run; the steps before it stay applied (RV(actions) lists them)
    and the failure names the step, its rc and stderr.
seealso:
  - name: libvirt network XML format
    description: Every element a full network definition may hold.
    link: https://libvirt.org/formatnetwork.html
  - name: libvirt storage pool XML format
    description: Every element a full pool definition may hold.
    link: https://libvirt.org/formatstorage.html
'''

EXAMPLES = r'''
- name: A NAT network with DHCP, an isolated one, a directory pool, and the default network running
  kvmhost.setup.libvirt_objects:
    networks:
      - name: lab
        bridge: virbr-lab
        ipv4:
          address: 192.168.150.1/24
          dhcp_start: 192.168.150.100
          dhcp_end: 192.168.150.199
      - name: backplane
        forward: isolated
        bridge: virbr-bp
        ipv6:
          address: fd00:42::1/64
    pools:
      - name: images2
        path: /srv/images
        owner: root
        group: kvm
        mode: "0770"
    default_network: ensure

- name: Remove a network, accept a changed definition of another
  kvmhost.setup.libvirt_objects:
    networks:
      - name: old
        state: absent
      - name: lab
        redefine: true
        ipv4:
          address: 192.168.151.1/24
'''

RETURN = r'''
changed:
  description: Whether a step ran (or would run in check mode).
  returned: always
  type: bool
actions:
  description: The C(virsh) commands run, or that would run in check mode, in order (a definition as C(<network NAME XML>)).
  returned: always
  type: list
  elements: str
  sample: ["virsh net-define <network lab XML>", "virsh net-start lab", "virsh net-autostart lab"]
networks:
  description: State of each managed network after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {lab: {defined: true, active: true, autostart: true, bridge: virbr-lab}}
pools:
  description: State of each managed pool after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {images2: {defined: true, active: true, autostart: true}}
unmanaged:
  description: Networks and pools defined on the host that this run neither declares nor touches.
  returned: always
  type: dict
  sample: {networks: [old-lab], pools: []}
autostart_drivers:
  description:
    - Drivers that have autostart objects on the host after the run (links in
      C(/etc/libvirt/qemu/networks/autostart) or C(/etc/libvirt/storage/autostart); in check
      mode, also those the plan would add). In the modular mode each needs its daemon's
      C(.service) enabled to start them at boot.
  returned: always
  type: list
  elements: str
  sample: [network, storage]
differences:
  description: Each refused object with its differences from the declared definition.
  returned: when a differing definition was refused
  type: list
  elements: dict
  sample: [{kind: network, name: lab, differences: ["IP addresses: declared 192.168.151.1/24, defined 192.168.150.1/24"]}]
virsh_calls:
  description: How many C(virsh) processes the run started (the probe, each step, the verification probe).
  returned: always
  type: int
  sample: 1
predicted:
  description: True in check mode (the states are a prediction).
  returned: always
  type: bool
step:
  description: The failing C(virsh) command.
  returned: when a step failed
  type: str
rc:
  description: Return code of the failing command.
  returned: when a command failed
  type: int
stdout:
  description: Its standard output.
  returned: when a command failed
  type: str
stderr:
  description: Its standard error.
  returned: when a command failed
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_objects as objects
from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_virsh as host_io
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_host import Failed, read_text
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError

_COMMON = dict(
    name=dict(type='str', required=True),
    state=dict(type='str', default='present', choices=list(objects.STATES)),
    autostart=dict(type='bool', default=True),
    redefine=dict(type='bool'),
    xml=dict(type='str'),
)
_IP = dict(type='dict', options=dict(address=dict(type='str', required=True), dhcp_start=dict(type='str'),
                                     dhcp_end=dict(type='str')))
_NETWORK = dict(_COMMON, forward=dict(type='str', choices=list(objects.FORWARDS)), forward_dev=dict(type='str'),
                bridge=dict(type='str'), ipv4=_IP, ipv6=_IP)
_POOL = dict(_COMMON, path=dict(type='path'), owner=dict(type='raw'), group=dict(type='raw'), mode=dict(type='raw'))
_FIELDS = {'network': ['forward', 'forward_dev', 'bridge', 'ipv4', 'ipv6'], 'pool': ['path', 'owner', 'group', 'mode']}

ARGUMENT_SPEC = dict(
    networks=dict(type='list', elements='dict', default=[], options=_NETWORK,
                  mutually_exclusive=[['xml', field] for field in _FIELDS['network']]),
    pools=dict(type='list', elements='dict', default=[], options=_POOL,
               mutually_exclusive=[['xml', field] for field in _FIELDS['pool']]),
    default_network=dict(type='str', default='keep', choices=list(objects.DEFAULT_CHOICES)),
    default_pool=dict(type='str', default='keep', choices=list(objects.DEFAULT_CHOICES)),
    redefine=dict(type='bool', default=False),
    uri=dict(type='str', default='qemu:///system'),
    validate_only=dict(type='bool', default=False),
)


class Run(object):
    """One module run: probe once, plan, predict or apply, probe again and verify."""

    def __init__(self, module, request):
        self.module = module
        self.request = request
        self.virsh = host_io.Virsh(module, module.params['uri'])
        self.result = dict(changed=False, actions=[], networks={}, pools={}, unmanaged={'networks': [], 'pools': []},
                           autostart_drivers=[], predicted=module.check_mode, virsh_calls=0)
        self.shipped = None

    def names(self, kind):
        names = [entry['name'] for entry in self.request[kind + 's']]
        if self.request['default_' + kind] != 'keep':
            names.append(objects.DEFAULT_NAME)
        return names

    def probe(self, first=False):
        if self.virsh.virsh is None:
            why = 'virsh is not installed (libvirt\'s client package ships it)'
            rc, out, err = None, '', ''
        else:
            script = objects.probe_script(self.names('network'), self.names('pool'))
            rc, out, err = self.virsh.batch(script)
            probed = objects.parse_probe(out)
            if probed['complete']:
                return probed
            why = 'virsh could not read the networks and pools ({0}): {1}'.format(
                self.module.params['uri'], err.strip() or 'no output')
        if first and self.module.check_mode:
            # a first check-mode run, before the packages and daemons it would install and start
            self.module.warn('check mode: {0}; planned as for a host without networks or pools (an earlier '
                             'task may install and start libvirt; the real run fails otherwise)'.format(why))
            return {'networks': {}, 'pools': {}, 'complete': True}
        raise Failed(why, **({} if rc is None else dict(rc=rc, stdout=out, stderr=err)))

    def disks(self, probed):
        """Each dir pool's directory as it is on disk: {name: {owner, group, mode} or None}."""
        disks = {}
        for entry in self.request['pools']:
            if entry['state'] == 'present' and entry.get('type') == 'dir':
                disks[entry['name']] = host_io.stat_dir(objects.project_pool(entry['xml'])['path'])
        if self.request['default_pool'] == 'ensure':
            state = objects.state_of(probed, 'pool', objects.DEFAULT_NAME)
            path = objects.project_pool(state['xml'])['path'] if state.get('xml') else objects.DEFAULT_POOL_PATH
            disks[objects.DEFAULT_NAME] = host_io.stat_dir(path) if path else None
        return disks

    def shipped_xml(self, probed):
        if self.request['default_network'] != 'ensure':
            return None
        if objects.state_of(probed, 'network', objects.DEFAULT_NAME)['defined']:
            return None
        text = read_text(objects.DEFAULT_NETWORK_XML)
        if not text:
            raise Failed('default_network is ensure and the network default is not defined, but {0} (the '
                         "distribution's definition, shipped with libvirt's network configuration package) cannot be "
                         'read; nothing was changed'.format(objects.DEFAULT_NETWORK_XML))
        return text

    def report(self, probed):
        self.result['networks'] = objects.report(probed['networks'], self.names('network'))
        self.result['pools'] = objects.report(probed['pools'], self.names('pool'))
        for kind in ('network', 'pool'):
            managed = set(self.names(kind))
            self.result['unmanaged'][kind + 's'] = sorted(name for name in probed[kind + 's'] if name not in managed)

    def add_diff(self, before, after, steps):
        if not self.module._diff:
            return
        diff = []
        for kind in ('network', 'pool'):
            prefix = 'net-' if kind == 'network' else 'pool-'
            for name in [step[1] for step in steps if step[0].startswith(prefix)]:
                header = '{0} {1}'.format(kind, name)
                if any(item['before_header'] == header for item in diff):
                    continue
                diff.append({'before_header': header, 'after_header': header,
                             'before': objects.state_text(before[kind + 's'].get(name)),
                             'after': objects.state_text(after[kind + 's'].get(name))})
        self.result['diff'] = diff

    def go(self):
        probed = self.probe(first=True)
        shipped = self.shipped_xml(probed)
        disks = self.disks(probed)
        steps, refusals = objects.plan(self.request, probed, disks, shipped)
        self.report(probed)
        if refusals:
            self.result['differences'] = refusals
            raise Failed(objects.refusal_text(refusals) + '; nothing was changed')
        self.result['changed'] = bool(steps)
        expected = objects.predict(probed, steps)
        if self.module.check_mode:
            self.result['actions'] = [objects.step_text(step) for step in steps]
            self.report(expected)
            self.result['autostart_drivers'] = sorted(set(host_io.drivers_with_autostart_links())
                                                      | set(objects.autostart_drivers(expected)))
            self.add_diff(probed, expected, steps)
            return
        for step in steps:
            rc, out, err = self.virsh.run(step)
            if rc != 0:
                raise Failed('{0} failed with rc {1}: {2}; the steps before it ran ({3}) and were not undone'.format(
                    objects.step_text(step), rc, err.strip(), len(self.result['actions'])),
                    step=objects.step_text(step), rc=rc, stdout=out, stderr=err)
            self.result['actions'].append(objects.step_text(step))
        after = self.probe() if steps else probed
        self.report(after)
        self.result['autostart_drivers'] = host_io.drivers_with_autostart_links()
        self.add_diff(probed, after, steps)
        if steps:
            left = objects.drift(self.request, after, self.disks(after), shipped)
            if left:
                raise Failed('networks and pools are not as declared after the run: still needed {0}'.format(
                    '; '.join(left)))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    # validate_only: any name stands for an id, resolved by the real run
    lookups = ((lambda name: 0), (lambda name: 0)) if params['validate_only'] else (
        host_io.lookup_user, host_io.lookup_group)
    try:
        request = objects.validate_request(params['networks'], params['pools'], params['default_network'],
                                           params['default_pool'], params['redefine'], *lookups)
    except LibvirtInputError as exc:
        module.fail_json(msg=to_native(exc) + '; nothing was changed')
    if params['validate_only']:
        module.exit_json(changed=False, actions=[], networks={}, pools={}, unmanaged={'networks': [], 'pools': []},
                         autostart_drivers=[], predicted=module.check_mode, virsh_calls=0)
    run = Run(module, request)
    failure = None
    try:
        run.go()
    except Failed as exc:
        failure = exc
        run.result.update(exc.fields)
    finally:
        run.virsh.cleanup()
        run.result['virsh_calls'] = run.virsh.calls
    if failure is not None:
        module.fail_json(msg=failure.msg, **run.result)
    module.exit_json(**run.result)


if __name__ == '__main__':
    main()
