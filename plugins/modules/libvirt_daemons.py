#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: libvirt_daemons
short_description: Choose, switch, start and verify libvirt's modular or monolithic daemons
version_added: 0.1.0
description:
  - Decides whether a host runs libvirt's modular daemons (C(virtqemud), C(virtnetworkd), ...)
    or the monolithic C(libvirtd), from an override, the units installed, the units in use and
    the distribution's default, in that order.
  - Enables and starts the wanted sockets (and the hypervisor daemons' services, so that guests
    marked autostart start at boot), and stops, disables and masks the other mode's units, in
    libvirt's documented switch order. C(virtlogd) and C(virtlockd) are never stopped,
    disabled or masked.
  - Reads all unit states with one C(systemctl show) call, plans every change first, runs each
    step as one C(systemctl) command, then probes again and verifies the result.
  - Socket-activated daemons exit after 120 seconds idle; an inactive daemon whose socket
    listens is healthy and is not started, unless the same run changes other units (first
    setup, a switch); then the wanted services are started, so autostart guests start at once.
  - The service behind a wanted socket is unmasked when masked (a socket refuses to start
    while its service is masked), but not enabled.
  - Skips (C(skipped=true)) when O(cicd_test=true) or when systemd is not PID 1, after
    validating every option.
author:
  - kvmhost.setup maintainers (@kvmhost)
requirements:
  - systemd as PID 1 (otherwise the module skips)
attributes:
  check_mode:
    support: full
    description: Returns the planned C(systemctl) commands as RV(actions) and the predicted RV(units) and changes nothing.
  diff_mode:
    support: full
    description: Returns the state of each unit before and after, as C(unit_file_state/active_state).
  platform:
    support: full
    platforms: linux
    description: Linux hosts with systemd.
options:
  state:
    description:
      - V(started) brings the host to the wanted units, enabled and started, with the other mode's
        units handled as O(other_mode_units) says.
      - V(probed) only reads the host and reports every libvirt unit installed, the mode and the
        reason.
      - V(verified) only reads the host and fails listing every unit that is not as wanted.
      - V(restarted) restarts the wanted units that are active (to apply changed drop-ins or
        daemon configuration), then brings the host to V(started). A socket cannot be restarted
        under its running service, so the services behind restarted sockets are stopped first
        and started again after; a service alone gets C(try-restart). Units of C(virtlogd) and
        C(virtlockd) are never restarted (running guests would lose their logs and locks).
    type: str
    choices: [started, probed, verified, restarted]
    default: started
  mode:
    description:
      - V(auto) decides from the units installed, the units in use, then the distribution
        (EL >= 9 and Fedora >= 35 modular; EL 8, older Fedora, Debian, Ubuntu and unknown
        distributions monolithic).
      - V(modular) or V(monolithic) forces the mode.
      - With O(units) and V(auto), the mode of the listed units is used.
    type: str
    choices: [auto, modular, monolithic]
    default: auto
  drivers:
    description:
      - libvirt drivers whose modular daemon sockets are wanted, in this order.
      - The hypervisor drivers (V(qemu), V(lxc), V(libxl), V(ch), V(vbox), V(vz)) also get their
        C(.service) enabled.
      - Validated but without effect on the unit list in monolithic mode (C(libvirtd) serves all).
    type: list
    elements: str
    choices: [qemu, lxc, libxl, ch, vbox, vz, interface, network, nodedev, nwfilter, secret, storage]
    default: [qemu, network, storage, nodedev, secret, interface, nwfilter]
  sockets:
    description:
      - Socket kinds of each daemon to enable and start. V(main) is required, the others are bound to it.
      - C(virtlogd) and C(virtlockd) have no V(ro) socket.
    type: list
    elements: str
    choices: [main, ro, admin]
    default: [main, ro, admin]
  remote:
    description:
      - Remote access. V(tls) adds C(virtproxyd-tls.socket) (modular) or C(libvirtd-tls.socket)
        (monolithic) after checking that O(tls_ca_cert), O(tls_server_cert) and O(tls_server_key) exist.
      - V(tcp) adds the C(-tcp.socket) and is refused unless C(auth_tcp) is C(sasl) in
        C(/etc/libvirt/virtproxyd.conf) or C(/etc/libvirt/libvirtd.conf) and C(/etc/sasl2/libvirt.conf)
        has an encrypting C(mech_list) (C(gssapi) or C(digest-md5)), or O(allow_insecure_tcp=true).
      - Cannot be combined with O(units).
    type: str
    choices: [none, tls, tcp]
    default: none
  proxy:
    description:
      - In modular mode, also enable and start C(virtproxyd)'s sockets (C(/run/libvirt/libvirt-sock)
        for clients that use the legacy socket). Implied by O(remote=tls) and O(remote=tcp).
      - With O(units), only names the intent; list virtproxyd's sockets in O(units).
    type: bool
    default: false
  units:
    description:
      - Explicit list of the wanted libvirt units, used instead of computing them from O(drivers),
        O(sockets), O(remote) and O(proxy).
      - O(remote) still applies its safety checks (certificates for V(tls), SASL for V(tcp)) to an
        explicit list, so list the C(-tls)/C(-tcp) socket in O(units) and set O(remote) too.
      - Must not mix modular and monolithic units.
    type: list
    elements: str
  extra_units:
    description:
      - Other systemd units (for example C(tuned.service)) to unmask, enable and start after the
        libvirt units, without any mode logic. libvirt units belong in O(units).
    type: list
    elements: str
    default: []
  other_mode_units:
    description:
      - What to do with the other mode's installed units. V(mask) stops, disables and masks them,
        V(disable) stops and disables them, V(keep) does not touch them.
      - Running units are stopped in both V(mask) and V(disable). Units not installed are skipped.
    type: str
    choices: [mask, disable, keep]
    default: mask
  allow_switch_with_running_guests:
    description:
      - Allow stopping the other mode's hypervisor daemon (C(libvirtd.service), C(virtqemud.service),
        ...) while guests run. Running QEMU guests survive it (C(KillMode=process)) and the new daemon
        reconnects to them, but libvirt recommends stopping or migrating them first.
    type: bool
    default: false
  daemon_reload:
    description:
      - Run C(systemctl daemon-reload) before unmasking, enabling and starting the wanted units,
        for example after writing drop-ins. Does not by itself make the task changed.
    type: bool
    default: false
  tls_ca_cert:
    description: CA certificate that must exist for O(remote=tls).
    type: path
    default: /etc/pki/CA/cacert.pem
  tls_server_cert:
    description: Server certificate that must exist for O(remote=tls).
    type: path
    default: /etc/pki/libvirt/servercert.pem
  tls_server_key:
    description: Server private key that must exist for O(remote=tls).
    type: path
    default: /etc/pki/libvirt/private/serverkey.pem
  allow_insecure_tcp:
    description:
      - Turn the refusal of an unencrypted or unauthenticated O(remote=tcp) into a warning.
        A read-write libvirt connection is root on the host.
    type: bool
    default: false
  cicd_test:
    description:
      - Skip all systemd work (after validating the options), for CI containers without a usable systemd.
      - The result still holds the mode decided from the distribution and the wanted units.
    type: bool
    default: false
notes:
  - In check mode, wanted units that are not installed yet (an earlier task would install them)
    are reported as warnings and the plan assumes freshly installed units; outside check mode
    they fail before anything is changed.
  - Missing TLS files and an unsafe TCP setup are refused on every host, in check mode and where
    the module skips (O(cicd_test), no systemd) too.
  - The running-guest guard also applies with O(other_mode_units=keep), because the modular and
    monolithic units conflict in systemd, so starting one set stops the daemon of the other anyway.
  - A unit that is only enabled until the next boot (C(enabled-runtime)) is enabled persistently.
seealso:
  - name: libvirt daemons
    description: libvirt's documentation of the modular and monolithic daemons and how to switch.
    link: https://libvirt.org/daemons.html
'''

EXAMPLES = r'''
- name: Run the distribution's libvirt daemons, modular where that is the default
  kvmhost.setup.libvirt_daemons:

- name: Switch a host to the modular daemons even if guests run, keep libvirtd disabled but unmasked
  kvmhost.setup.libvirt_daemons:
    mode: modular
    other_mode_units: disable
    allow_switch_with_running_guests: true

- name: Modular daemons with remote access over TLS, then tuned
  kvmhost.setup.libvirt_daemons:
    drivers: [qemu, network, storage]
    remote: tls
    extra_units:
      - tuned.service

- name: Exactly these units
  kvmhost.setup.libvirt_daemons:
    units:
      - virtqemud.socket
      - virtnetworkd.socket
      - virtqemud.service

- name: Report the libvirt units of the host
  kvmhost.setup.libvirt_daemons:
    state: probed
  register: libvirt_probe

- name: Fail if the host drifted
  kvmhost.setup.libvirt_daemons:
    state: verified
    mode: "{{ libvirt_probe.mode }}"
'''

RETURN = r'''
mode:
  description: The mode decided, V(modular) or V(monolithic).
  returned: always
  type: str
  sample: modular
reason:
  description: One line naming the rule that decided the mode.
  returned: always
  type: str
  sample: "distribution default: RedHat 9 (EL >= 9) defaults to modular daemons"
wanted:
  description: The wanted libvirt units, in order.
  returned: always
  type: list
  elements: str
  sample: [virtqemud.socket, virtqemud-ro.socket, virtqemud-admin.socket, virtlogd.socket, virtlockd.socket, virtqemud.service]
units:
  description:
    - State of each installed libvirt unit and of each wanted and extra unit, after the change
      (predicted in check mode, as left behind when a step failed). Empty when skipped.
    - With O(state=probed), every libvirt unit present on the host, plus the O(extra_units).
  returned: always
  type: dict
  sample:
    virtqemud.socket:
      load_state: loaded
      unit_file_state: enabled
      active_state: active
      sub_state: listening
actions:
  description: The C(systemctl) commands run, or that would run in check mode, in order.
  returned: always
  type: list
  elements: str
  sample: ["systemctl stop libvirtd.service", "systemctl stop libvirtd.socket libvirtd-ro.socket"]
changed:
  description: Whether a unit was (or would be) changed. A lone C(daemon-reload) does not count.
  returned: always
  type: bool
predicted:
  description:
    - True when the module ran in check mode, so RV(units) and RV(actions) are a prediction
      and nothing was applied. Lets a later check-mode task tell a prediction from the host.
  returned: always
  type: bool
guests:
  description: Names of the running guests found in C(/run/libvirt/{qemu,lxc,libxl,ch}/*.xml).
  returned: always
  type: list
  elements: str
  sample: [web1]
skipped:
  description: True when the module skipped (O(cicd_test=true) or systemd not PID 1).
  returned: always
  type: bool
skip_reason:
  description: Why the module skipped, empty otherwise.
  returned: always
  type: str
  sample: systemd is not PID 1 (PID 1 is 'bash')
drift:
  description: Units not as wanted, with a short reason each (O(state=verified) and after a change).
  returned: when O(state=verified) or verification after a change failed
  type: list
  elements: dict
  sample: [{unit: virtqemud.socket, reason: "not active (inactive/dead)"}]
diff:
  description: Per unit C(unit_file_state/active_state) before and after, in diff mode.
  returned: when diff mode is on and O(state=started)
  type: dict
  sample: {before: {libvirtd.socket: enabled/active}, after: {libvirtd.socket: masked/inactive}}
step:
  description: The failing C(systemctl) command.
  returned: when a step failed
  type: str
rolled_back:
  description:
    - After a failed step, whether every unit was put back as it was before the run (so a
      failed switch leaves the host in the mode it had). False when the rollback failed too.
  returned: when a step failed
  type: bool
rollback_actions:
  description: The C(systemctl) commands of the rollback, in order.
  returned: when a step failed and a rollback ran
  type: list
  elements: str
  sample: ["systemctl stop virtqemud.socket", "systemctl unmask libvirtd.socket", "systemctl start libvirtd.socket"]
rc:
  description: Return code of the failing C(systemctl) command.
  returned: when a command failed
  type: int
stdout:
  description: Standard output of the failing C(systemctl) command.
  returned: when a command failed
  type: str
stderr:
  description: Standard error of the failing C(systemctl) command.
  returned: when a command failed
  type: str
'''

import glob
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.sys_info import get_distribution, get_distribution_version
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils import distro

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    DEFAULT_DRIVERS,
    DRIVERS,
    SOCKET_KINDS,
    all_known_units,
    other_mode_units,
    package_hint,
    unit_mode,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import (
    LibvirtInputError,
    validate_drivers,
    validate_sockets,
    validate_unit_names,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_mode import (
    decide_mode,
    distro_family,
    facts_from_distro,
    mode_of_units,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_plan import (
    companion_services,
    is_changing,
    plan,
    predict,
    restart_plan,
    restore_plan,
    state_diff,
    switch_blocked,
    verify,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_remote import (
    SASL_CONF,
    check_tcp,
    missing_tls_files,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_units import daemon_units
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import (
    NOT_FOUND,
    fresh_state,
    is_installed,
    is_masked,
    parse_show,
    show_args,
    split_probe,
)

PROC1_COMM = '/proc/1/comm'
# systemd's unit search path for system units (runtime, admin, packages)
UNIT_DIRS = ('/etc/systemd/system', '/run/systemd/system', '/run/systemd/transient',
             '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system')
SYSTEMD_RUN_DIR = '/run/systemd/system'
GUEST_STATUS_DIRS = ('/run/libvirt/qemu', '/run/libvirt/lxc', '/run/libvirt/libxl', '/run/libvirt/ch')
DAEMON_CONF = {
    'modular': '/etc/libvirt/virtproxyd.conf',
    'monolithic': '/etc/libvirt/libvirtd.conf',
}
C_LOCALE = {'LC_ALL': 'C'}


def host_facts():
    """Distribution facts gathered on the target, shaped like ansible_facts."""
    facts = facts_from_distro(get_distribution(), get_distribution_version(), distro.like())
    facts['distribution_major_version'] = distro.major_version() or facts['distribution_major_version']
    return facts


def systemd_offline():
    """Why systemd cannot be used here, or None when it is PID 1."""
    try:
        with open(PROC1_COMM) as comm_file:
            comm = comm_file.read().strip()
    except (IOError, OSError):
        comm = ''
    if comm != 'systemd':
        return 'systemd is not PID 1 (PID 1 is {0!r})'.format(comm or 'unknown')
    if not os.path.isdir(SYSTEMD_RUN_DIR):
        return 'systemd is not running ({0} is missing)'.format(SYSTEMD_RUN_DIR)
    return None


def running_guests():
    """Names of running guests, from libvirt's status files of running domains."""
    names = []
    for directory in GUEST_STATUS_DIRS:
        for path in sorted(glob.glob(os.path.join(directory, '*.xml'))):
            name = os.path.basename(path)[:-len('.xml')]
            if name not in names:
                names.append(name)
    return names


def read_text(path):
    """File content, None when it cannot be read."""
    try:
        with open(path) as conf:
            return conf.read()
    except (IOError, OSError):
        return None


def validate(params):
    """Check every option before anything else; returns the normalised request."""
    request = {
        'drivers': validate_drivers(params['drivers']),
        'sockets': validate_sockets(params['sockets']),
        'extra': validate_unit_names(params['extra_units'], 'extra_units'),
        'units': None,
        'units_mode': None,
    }
    for unit in request['extra']:
        if unit_mode(unit) in ('modular', 'monolithic'):
            raise LibvirtInputError(
                'extra_units entry {0!r} is a libvirt {1} unit: list libvirt units in units, '
                'extra_units is for other units such as tuned.service'.format(unit, unit_mode(unit)))
    if params['units'] is not None:
        units = validate_unit_names(params['units'], 'units')
        if not units:
            raise LibvirtInputError('units must list at least one unit; omit units to compute them from drivers')
        units_mode = mode_of_units(units)
        if params['mode'] != 'auto' and units_mode not in (None, params['mode']):
            raise LibvirtInputError(
                'units {0!r} are {1} units but mode is {2!r}: allowed are units of the {2} set'.format(
                    units, units_mode, params['mode']))
        request['units'] = units
        request['units_mode'] = units_mode
    return request


class Runner(object):
    """Runs systemctl: one batched show per probe, one command per step."""

    def __init__(self, module, always=()):
        self.module = module
        self.systemctl = module.get_bin_path('systemctl', required=True)
        self.always = set(always)

    def probe(self, units, result=None, fail=True):
        """Unit states from one batched show; None on failure when fail is false.

        Catalogue units with no unit file on disk are reported not-found without asking.
        """
        ask, absent = split_probe(units, self.always, units_on_disk(units))
        rc, out, err = self.module.run_command([self.systemctl] + show_args(ask), environ_update=C_LOCALE)
        if rc != 0:
            if not fail:
                return None
            self.module.fail_json(msg='systemctl show failed with rc {0}: {1}'.format(rc, err.strip()),
                                  rc=rc, stdout=out, stderr=err, **(result or {}))
        states = parse_show(out, ask)
        for unit in absent:
            states[unit] = dict(NOT_FOUND)
        return states

    def run(self, step):
        verb, units = step[0], step[1:]
        argv = [self.systemctl, verb] + (['--'] + units if units else [])
        return self.module.run_command(argv, environ_update=C_LOCALE)

    def run_all(self, steps, probe_units, current, requested, result, before=()):
        """Run the steps in order; on a failure roll back, then fail reporting the state left."""
        done = []
        for step in steps:
            rc, out, err = self.run(step)
            if rc != 0:
                msg = '{0} failed with rc {1}: {2}'.format(action_text(step), rc, err.strip())
                result.update(actions=list(before) + done)
                msg = self.roll_back(msg, probe_units, current, requested, result)
                self.module.fail_json(msg=msg, step=action_text(step), rc=rc, stdout=out, stderr=err, **result)
            done.append(action_text(step))
        return done

    def roll_back(self, msg, probe_units, current, requested, result):
        """Put every unit back as it was before this run; returns the failure message."""
        now = self.probe(probe_units, fail=False)
        if now is None:
            result.update(rolled_back=False, units=_report(current, requested))
            return msg + '; systemd could not be asked for the units afterwards, so nothing was rolled back'
        undo = restore_plan(current, now, probe_units)
        result.update(rolled_back=True, rollback_actions=[])
        for step in undo:
            rc, dummy, err = self.run(step)
            if rc != 0:
                result.update(rolled_back=False,
                              units=_report(self.probe(probe_units, fail=False) or now, requested))
                return ('{0}; the rollback failed too at {1} (rc {2}: {3}): the units in the result show '
                        'where the host is').format(msg, action_text(step), rc, err.strip())
            result['rollback_actions'].append(action_text(step))
        result['units'] = _report(self.probe(probe_units, fail=False) or current, requested)
        return msg + '; rolled back: every unit is as it was before this run'


def units_on_disk(units):
    """The units that have a unit file (or a mask link) in one of systemd's unit directories."""
    return set(unit for unit in units
               if any(os.path.lexists(os.path.join(directory, unit)) for directory in UNIT_DIRS))


def probe_list(requested):
    """Every catalogued libvirt unit, the requested units and the services behind their sockets."""
    units = []
    for unit in all_known_units() + requested + companion_services(requested):
        if unit not in units:
            units.append(unit)
    return units


def action_text(step):
    return ' '.join(['systemctl'] + step)


def _report(states, units):
    """Installed (or masked) units plus the requested ones."""
    return dict((unit, state) for unit, state in states.items()
                if unit in units or is_installed(state) or is_masked(state))


def _missing_text(missing, family):
    parts = []
    for unit in missing:
        package, note = package_hint(unit, family)
        if package:
            parts.append('{0} (package {1})'.format(unit, package))
        elif note:
            parts.append('{0} ({1})'.format(unit, note))
        else:
            parts.append(unit)
    return ', '.join(parts)


def _remote_problems(module, mode, remote):
    """(errors, warnings) of the TLS/TCP safety checks."""
    params = module.params
    if remote == 'tls':
        missing = missing_tls_files([(params[key], os.path.exists(params[key]))
                                     for key in ('tls_ca_cert', 'tls_server_cert', 'tls_server_key')])
        if missing:
            return ['remote=tls needs the CA certificate, server certificate and server key; missing: {0} '
                    '(the TLS socket would start a daemon that fails)'.format(', '.join(missing))], []
    elif remote == 'tcp':
        conf_path = DAEMON_CONF[mode]
        error, warning = check_tcp(read_text(conf_path), read_text(SASL_CONF),
                                   params['allow_insecure_tcp'], conf_path)
        return ([error] if error else []), ([warning] if warning else [])
    return [], []


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', default='started', choices=['started', 'probed', 'verified', 'restarted']),
            mode=dict(type='str', default='auto', choices=['auto', 'modular', 'monolithic']),
            drivers=dict(type='list', elements='str', default=list(DEFAULT_DRIVERS), choices=list(DRIVERS)),
            sockets=dict(type='list', elements='str', default=list(SOCKET_KINDS), choices=list(SOCKET_KINDS)),
            remote=dict(type='str', default='none', choices=['none', 'tls', 'tcp']),
            proxy=dict(type='bool', default=False),
            units=dict(type='list', elements='str'),
            extra_units=dict(type='list', elements='str', default=[]),
            other_mode_units=dict(type='str', default='mask', choices=['mask', 'disable', 'keep']),
            allow_switch_with_running_guests=dict(type='bool', default=False),
            daemon_reload=dict(type='bool', default=False),
            tls_ca_cert=dict(type='path', default='/etc/pki/CA/cacert.pem'),
            tls_server_cert=dict(type='path', default='/etc/pki/libvirt/servercert.pem'),
            tls_server_key=dict(type='path', default='/etc/pki/libvirt/private/serverkey.pem'),
            allow_insecure_tcp=dict(type='bool', default=False),
            cicd_test=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        request = validate(params)
    except LibvirtInputError as exc:
        module.fail_json(msg=to_native(exc))

    facts = host_facts()
    extra = request['extra']
    result = dict(changed=False, skipped=False, skip_reason='', mode='', reason='', units={},
                  actions=[], guests=[], wanted=[], predicted=module.check_mode)

    def wanted_for(mode):
        if request['units'] is not None:
            return request['units']
        return daemon_units(request['drivers'], mode, request['sockets'], params['remote'], params['proxy'])

    def refuse_unsafe_remote(mode):
        """Unsafe remote settings fail on every host, in check mode too, before any change."""
        errors, warnings = _remote_problems(module, mode, params['remote'])
        if errors:
            module.fail_json(msg='; '.join(errors) + '; nothing was changed', **result)
        for text in warnings:
            module.warn(text)

    skip_reason = 'cicd_test is true' if params['cicd_test'] else systemd_offline()
    if skip_reason:
        mode, reason = decide_mode(facts, override=request['units_mode'] or params['mode'])
        result.update(mode=mode, reason=reason, wanted=wanted_for(mode))
        refuse_unsafe_remote(mode)
        result.update(skipped=True, skip_reason=skip_reason)
        module.exit_json(**result)

    asked = (request['units'] or []) + extra
    runner = Runner(module, always=asked + companion_services(asked))
    probe_units = probe_list(asked)
    current = runner.probe(probe_units)

    if params['mode'] != 'auto':
        mode, reason = decide_mode(facts, override=params['mode'])
    elif request['units_mode']:
        mode, reason = request['units_mode'], 'units: the listed units belong to the {0} set'.format(
            request['units_mode'])
    else:
        mode, reason = decide_mode(facts, units=current)
    wanted = wanted_for(mode)
    other = other_mode_units(mode)
    action = params['other_mode_units']
    result.update(mode=mode, reason=reason, wanted=wanted, guests=running_guests())
    requested = wanted + extra
    refuse_unsafe_remote(mode)

    if params['state'] == 'probed':
        result['units'] = _report(current, extra)
        module.exit_json(**result)

    if params['state'] == 'verified':
        result['units'] = _report(current, requested)
        drift = verify(wanted, current, other, action, extra)
        result['drift'] = drift
        if drift:
            module.fail_json(msg='libvirt units are not as wanted ({0} mode): {1}'.format(
                mode, '; '.join('{0} {1}'.format(d['unit'], d['reason']) for d in drift)), **result)
        module.exit_json(**result)

    # state=started: preconditions, nothing is changed before they hold
    errors = []
    warnings = []
    missing = [unit for unit in requested if not is_installed(current[unit]) and not is_masked(current[unit])]
    if missing:
        errors.append('requested units are not installed: {0}'.format(
            _missing_text(missing, distro_family(facts))))
    if errors and not module.check_mode:
        result['units'] = _report(current, requested)
        module.fail_json(msg='; '.join(errors) + '; nothing was changed', **result)
    for text in errors:
        warnings.append('check mode: {0} (an earlier task may fix this; the real run fails otherwise)'.format(text))
    for text in warnings:
        module.warn(text)
    if missing:
        current = dict(current)
        for unit in missing:
            current[unit] = fresh_state()

    # even with keep: the sets conflict in systemd, so starting ours stops theirs
    blocked = switch_blocked(current, other, result['guests'], params['allow_switch_with_running_guests'])
    if blocked:
        result['units'] = _report(current, requested)
        module.fail_json(msg='{0}: set allow_switch_with_running_guests=true to switch anyway; nothing was changed'.format(
            blocked), **result)

    done = []
    daemon_reload = params['daemon_reload']
    if params['state'] == 'restarted':
        restart_steps = restart_plan(wanted, current, daemon_reload)
        daemon_reload = False
        if module.check_mode:
            done = [action_text(step) for step in restart_steps]
        else:
            done = runner.run_all(restart_steps, probe_units, current, requested, result)
            # a socket restart stops what is bound to it: converge from what is there now
            current = runner.probe(probe_units, result) if restart_steps else current

    steps = plan(wanted, current, other, action, extra, daemon_reload)
    expected = predict(current, steps)
    result['changed'] = bool(done) or is_changing(steps)
    diff_units = list(requested) + [unit for step in steps for unit in step[1:] if unit not in requested]
    if module._diff:
        result['diff'] = state_diff(current, expected, diff_units)

    if module.check_mode:
        result.update(actions=done + [action_text(step) for step in steps], units=_report(expected, requested))
        module.exit_json(**result)

    done = done + runner.run_all(steps, probe_units, current, requested, result, done)
    result['actions'] = done

    if steps:
        after = runner.probe(probe_units, result)
    else:
        after = current
    result['units'] = _report(after, requested)
    if module._diff:
        result['diff'] = state_diff(current, after, diff_units)
    drift = verify(wanted, after, other, action, extra)
    if drift:
        result['drift'] = drift
        module.fail_json(msg='libvirt units are not as wanted after the change: {0}'.format(
            '; '.join('{0} {1}'.format(d['unit'], d['reason']) for d in drift)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
