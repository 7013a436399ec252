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
  - Writes the systemd drop-ins of O(socket_group), O(socket_mode) and O(listen_address) before
    enabling and starting (atomically, one file per socket), reloads systemd only when one
    changed, and restarts an active socket whose drop-in changed in the same pass (its service
    stopped around it) unless systemd already runs it with those settings. A setting turned
    off removes its drop-in.
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
      - With O(units) and V(auto), the mode of the listed units is used; RV(reason) still names
        the rule that decides the mode on this host when it agrees.
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
  remote:
    description:
      - Remote access. V(tls) adds C(virtproxyd-tls.socket) (modular) or C(libvirtd-tls.socket)
        (monolithic) after checking that O(tls_ca_cert), O(tls_server_cert) and O(tls_server_key) exist.
      - V(tcp) adds the C(-tcp.socket) and is refused unless C(auth_tcp) is C(sasl) in
        C(/etc/libvirt/virtproxyd.conf) or C(/etc/libvirt/libvirtd.conf) and C(/etc/sasl2/libvirt.conf)
        has an encrypting C(mech_list) (C(gssapi) or C(digest-md5)), or O(allow_insecure_tcp=true).
      - With O(units), only its safety checks apply; list the C(-tls)/C(-tcp) socket in O(units).
    type: str
    choices: [none, tls, tcp]
    default: none
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
        for example after writing other drop-ins. Does not by itself make the task changed.
      - Not needed for the drop-ins of O(socket_group), O(socket_mode) and O(listen_address),
        since the module reloads systemd itself when one of those changed.
    type: bool
    default: false
  socket_group:
    description:
      - Group of the read-write sockets among the wanted units (each daemon's main socket,
        C(virtlogd)/C(virtlockd) excepted), set by a systemd drop-in
        (C(/etc/systemd/system/<socket>.d/kvmhost-setup.conf)). Under socket activation the daemons
        ignore C(unix_sock_group) in their C(.conf).
      - Empty keeps the unit's own. The group must exist before the socket starts.
    type: str
    default: ''
    version_added: 0.2.0
  socket_mode:
    description:
      - Mode of the same read-write sockets (octal, such as V(0660)), in the same drop-in.
        Empty keeps the unit's own.
    type: str
    default: ''
    version_added: 0.2.0
  listen_address:
    description:
      - Address the remote C(-tls)/C(-tcp) socket among the wanted units listens on
        (C(ListenStream=) in its drop-in, with C(FreeBind=true) so that an address not up yet at
        boot does not fail the socket). Empty keeps the unit's own (all addresses).
      - An IPv4 or IPv6 address, written and compared in canonical form (V(2001:0db8::0001) is
        V([2001:db8::1]:16514)). Host names are refused (systemd does not resolve them in
        C(ListenStream=)), and so are zone indexes (V(fe80::1%eth0)).
      - Needs O(remote) set to V(tls) or V(tcp) (or a remote socket in O(units)).
    type: str
    default: ''
    version_added: 0.2.0
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
  restart_units:
    description:
      - With O(state=restarted), restart only these of the wanted units (each only if active),
        for example the hypervisor service after its driver configuration changed; the rest of
        the request (wanted units, socket settings) still describes the whole host, so nothing
        else is changed. Empty restarts every active wanted unit.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
  lock_timeout:
    description:
      - Seconds to wait for the host lock (C(/run/kvmhost-setup/libvirt-daemons.lock), in a
        directory only root may write, opened without following links; a lock directory or
        file that another user could change is refused) that O(state=started) and O(state=restarted) hold from the probe to the verification, so that
        two runs at the same moment do not apply the same steps twice; the second one plans
        from the first one's result. Fails naming the holder's PID when the wait runs out.
      - Not taken in check mode, which changes nothing.
    type: int
    default: 300
    version_added: 0.2.0
  guest_lifecycle:
    description:
      - What acts on running guests when the host shuts down and boots, one mechanism at a time.
      - V(libvirt-guests) enables and starts C(libvirt-guests.service) (with the O(extra_units)). While
        C(/etc/libvirt/qemu.conf) still turns the hypervisor daemon's own actions on
        (C(auto_shutdown_try_save), C(auto_shutdown_try_shutdown), C(auto_shutdown_poweroff) not C(none)),
        it is left alone and C(pending) in RV(guest_lifecycle) is true, so that the caller turns them off and
        restarts the daemon first (libvirt says the two must never both act on the guests).
      - V(daemon) uses the QEMU driver's own actions (libvirt >= 11.2; refused below, naming the version,
        before anything changes; warned below 11.7, which fixed the ordering of its units at shutdown).
        C(qemu_conf) in RV(guest_lifecycle) holds the C(qemu.conf) settings to write; this module writes no
        C(qemu.conf).
      - V(none) uses neither.
      - V(daemon) and V(none) stop and disable C(libvirt-guests.service) first, without running its
        C(ExecStop), which would save or shut down the running guests. A runtime drop-in empties
        C(ExecStop=) for that stop and is removed right after.
      - While C(libvirt-guests.service) is the mechanism, a drop-in
        (C(/etc/systemd/system/libvirt-guests.service.d/kvmhost-setup-order.conf)) orders it after the
        hypervisor services, so that at shutdown it saves the guests before their daemon stops (the
        unit of libvirt 11.3 orders it only after their sockets); V(daemon) and V(none) remove it.
      - Unset, C(libvirt-guests.service) is a unit like any other (list it in O(extra_units)).
    type: str
    choices: [libvirt-guests, daemon, none]
    version_added: 0.3.0
  guest_daemon_settings:
    description:
      - With O(guest_lifecycle=daemon), the C(qemu.conf) settings of the daemon's own actions, over
        libvirt's defaults for the session daemon, which are C(auto_shutdown_try_save=persistent),
        C(auto_shutdown_try_shutdown=all), C(auto_shutdown_poweroff=all), C(auto_shutdown_wait=30),
        C(auto_shutdown_restore=true), C(auto_save_bypass_cache=false), C(auto_start_delay=0) (ms),
        C(auto_start_bypass_cache=false). Other names and wrongly typed values are refused.
    type: dict
    default: {}
    version_added: 0.3.0
  libvirt_guests_settings:
    description:
      - With O(guest_lifecycle=libvirt-guests), settings for C(libvirt-guests)' environment file
        (C(libvirt_guests_file) in RV(guest_lifecycle)), which are C(ON_BOOT) (V(start), V(ignore)), C(ON_SHUTDOWN)
        (V(suspend), V(shutdown)), C(START_DELAY), C(SHUTDOWN_TIMEOUT), C(PARALLEL_SHUTDOWN) (numbers),
        C(PERSISTENT_ONLY) (V(true), V(false), V(default)), C(BYPASS_CACHE), C(SYNC_TIME) (booleans).
        Validated and returned as lines (C(libvirt_guests_lines) in RV(guest_lifecycle)); this module writes no file.
    type: dict
    default: {}
  autostart_drivers:
    description:
      - Drivers that have (or are about to get) autostart objects, V(network) for networks and
        V(storage) for storage pools. In the modular mode their daemon's C(.service)
        (C(virtnetworkd.service), C(virtstoraged.service)) is wanted too, enabled so that it starts
        at boot and starts those objects before any client connects; socket activation alone
        starts the daemon only when the first client connects. In the monolithic mode
        C(libvirtd.service), already wanted, does this.
      - Each must be among O(drivers). Also added to an explicit O(units) list.
      - A driver left out later is not disabled (its service is harmless when idle).
    type: list
    elements: str
    choices: [network, storage]
    default: []
    version_added: 0.3.0
notes:
  - A switch never widens who may connect. When the other mode's daemons are in use, the
    settings of their C(/etc/libvirt/*.conf) that say who may connect (C(auth_unix_rw),
    C(auth_unix_ro), C(access_drivers) for every daemon that takes over; C(auth_tls),
    C(auth_tcp), C(tls_allowed_dn_list), C(sasl_allowed_username_list), the TLS file and
    priority settings for the daemon serving the wanted C(-tls)/C(-tcp) socket; C(host_uuid),
    C(host_uuid_source) for the hypervisor daemon) must be set alike in the files of the
    daemons that take over, or O(state=started) refuses the switch before any change, naming
    each setting and file.
  - In check mode, wanted units that are not installed yet (an earlier task would install them)
    are reported as warnings and the plan assumes freshly installed units; outside check mode
    they fail before anything is changed.
  - Missing TLS files and an unsafe TCP setup are refused on every host, in check mode and where
    the module skips (O(cicd_test), no systemd) too.
  - The running-guest guard also applies with O(other_mode_units=keep), because the modular and
    monolithic units conflict in systemd, so starting one set stops the daemon of the other anyway.
  - A unit that is only enabled until the next boot (C(enabled-runtime)) is enabled persistently.
extends_documentation_fragment:
  - kvmhost.setup.attributes
  - kvmhost.setup.libvirt_units
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
    - An active socket also has C(seen), what clients see of it (C(SocketGroup) and C(SocketMode)
      of its socket file, or C(Listen), the addresses listening on its TCP port). Socket
      settings are applied and verified against these, not against the loaded unit that
      C(systemctl show) prints, so that a run interrupted before a socket restart heals.
    - C(unit_file=missing) marks a masked unit whose unit file is gone (not installed).
  returned: always
  type: dict
  sample:
    virtqemud.socket:
      load_state: loaded
      unit_file_state: enabled
      active_state: active
      sub_state: listening
actions:
  description:
    - The C(systemctl) commands run and the drop-ins written or removed (C(write <path>),
      C(remove <path>)), or that would be in check mode, in order.
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
  description:
    - In diff mode, first the C(unit_file_state/active_state) of each unit before and after,
      then one entry per drop-in written or removed, with its text before and after.
  returned: when diff mode is on and O(state=started) or O(state=restarted)
  type: list
  elements: dict
  sample: [{before: {libvirtd.socket: enabled/active}, after: {libvirtd.socket: masked/inactive}}]
packages:
  description:
    - The packages the role installs on this host, from the collection's distribution table
      (by its family and release and the architecture), with the proxy package when O(remote)
      or O(proxy) asks for it. On a release with an opt-in stack of conflicting packages
      (Ubuntu 26.04's C(-hwe) stack), a host that has any of them installed gets that
      stack's names. Empty for a distribution the table does not know.
  returned: when O(state=probed)
  type: list
  elements: str
  sample: [qemu-kvm, libvirt-daemon-kvm, libvirt-client, tuned]
  version_added: 0.3.0
packages_missing:
  description:
    - Those of RV(packages) that are not installed, by C(dpkg-query) or, on RPM hosts, by
      C(rpm -q --whatprovides) (a name another package provides counts as installed, as for dnf).
      All of them on a host with neither tool. The role installs only when one is missing.
  returned: when O(state=probed)
  type: list
  elements: str
  sample: []
  version_added: 0.3.0
hypervisor_services:
  description:
    - The hypervisor services among the wanted units (C(virtqemud.service), C(libvirtd.service), ...),
      which a changed driver configuration such as C(qemu.conf) restarts.
  returned: unless skipped
  type: list
  elements: str
  sample: [virtqemud.service]
  version_added: 0.2.0
unmasked:
  description:
    - Units this run unmasks (or would unmask, in check mode) because they are wanted or
      activated by a wanted socket. Each run that unmasks also warns naming them, since a
      mask may be an administrator's decision.
  returned: when O(state=started) or O(state=restarted) got as far as planning
  type: list
  elements: str
  sample: [virtqemud-admin.socket]
  version_added: 0.2.0
lock_wait:
  description: Seconds this run waited for the host lock while another run held it.
  returned: when O(state=started) or O(state=restarted) took the lock (not in check mode)
  type: float
  sample: 0.0
  version_added: 0.3.0
traditional_mode:
  description:
    - Where libvirtd is told to listen itself (C(--listen) in C(LIBVIRTD_ARGS) of
      C(/etc/sysconfig/libvirtd) or C(/etc/default/libvirtd), or in the service's C(ExecStart)),
      libvirt's traditional mode; empty otherwise. libvirtd refuses C(--listen) under socket
      activation, so O(state=started) refuses the monolithic mode on such a host before any
      change, naming the setting and libvirt's way out; the modular mode (which stops and masks
      libvirtd) is not refused.
  returned: unless skipped
  type: str
  sample: LIBVIRTD_ARGS in /etc/sysconfig/libvirtd has --listen (LIBVIRTD_ARGS="--listen")
  version_added: 0.3.0
libvirt_version:
  description: The libvirt version of the hypervisor daemon's binary (C(virtqemud --version), else C(libvirtd --version)), empty when none answers.
  returned: when O(guest_lifecycle) is set
  type: str
  sample: 11.3.0
  version_added: 0.3.0
guest_lifecycle:
  description:
    - The guest lifecycle mechanism and what the caller writes for it.
    - C(mechanism) is O(guest_lifecycle).
    - C(qemu_conf) holds the C(qemu.conf) settings to write, for V(daemon) its settings, for the
      others the daemon's three actions explicitly V(none) where libvirt >= 11.2 knows them, none
      below 11.2.
    - C(libvirt_guests_file) is the distribution's environment file of C(libvirt-guests) (empty when
      the distribution is not known), C(libvirt_guests_lines) the lines for it (C(key), C(line)
      C(KEY=value)) from O(libvirt_guests_settings).
    - C(armed) names the daemon's shutdown actions that C(qemu.conf) turned on when probed.
    - C(pending) is true when O(guest_lifecycle=libvirt-guests) but C(qemu.conf) still turns the
      daemon's actions on, so C(libvirt-guests.service) was left alone; write C(qemu_conf), restart
      the hypervisor daemon, then run again.
  returned: when O(guest_lifecycle) is set
  type: dict
  sample:
    mechanism: daemon
    qemu_conf: {auto_shutdown_try_save: persistent, auto_shutdown_restore: true}
    libvirt_guests_file: /etc/default/libvirt-guests
    libvirt_guests_lines: []
    armed: {}
    pending: false
  version_added: 0.3.0
step:
  description: The failing C(systemctl) command.
  returned: when a step failed
  type: str
rolled_back:
  description:
    - After a failed step or drop-in write, whether the host was put back as it was before the
      run (so a failed switch leaves the host in the mode it had), that is every unit's file and active
      state, no service restarted, every drop-in as before. False when anything differs, which
      RV(not_restored) then names.
  returned: when a step failed
  type: bool
not_restored:
  description:
    - After a failed step, what the rollback could not put back, compared with the probe before
      the run, one line each, such as C(unit - was enabled/active, is masked/inactive) with a
      colon after the unit, or C(restarted) for a service that had to stop and runs again as a
      new process, or a drop-in not as before.
  returned: when a step failed
  type: list
  elements: str
  sample: ["virtqemud.service: restarted"]
  version_added: 0.3.0
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

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_host as host_io
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    AUTOSTART_DRIVERS,
    DEFAULT_DRIVERS,
    DRIVERS,
    REMOTES,
    SOCKET_KINDS,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_dropins import SOCKET_SETTINGS
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import (
    OVERRIDES,
    LibvirtInputError,
    validate_request,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_lifecycle import MECHANISMS
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_run import Run
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_units import validate_autostart_drivers


ARGUMENT_SPEC = dict(
    state=dict(type='str', default='started', choices=['started', 'probed', 'verified', 'restarted']),
    mode=dict(type='str', default='auto', choices=list(OVERRIDES)),
    drivers=dict(type='list', elements='str', default=list(DEFAULT_DRIVERS), choices=list(DRIVERS)),
    sockets=dict(type='list', elements='str', default=list(SOCKET_KINDS), choices=list(SOCKET_KINDS)),
    remote=dict(type='str', default='none', choices=list(REMOTES)),
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
    lock_timeout=dict(type='int', default=300),
    restart_units=dict(type='list', elements='str', default=[]),
    guest_lifecycle=dict(type='str', choices=list(MECHANISMS)),
    guest_daemon_settings=dict(type='dict', default={}),
    libvirt_guests_settings=dict(type='dict', default={}),
    autostart_drivers=dict(type='list', elements='str', default=[], choices=list(AUTOSTART_DRIVERS)),
)
# the socket settings, one str option per row of the drop-ins' table
ARGUMENT_SPEC.update((row.option, dict(type='str', default='')) for row in SOCKET_SETTINGS)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        request = validate_request(module.params)
        request['autostart'] = validate_autostart_drivers(module.params['autostart_drivers'], request['drivers'])
        run = Run(module, request)
    except LibvirtInputError as exc:
        module.fail_json(msg=to_native(exc))
    failure = None
    try:
        why = 'cicd_test is true' if module.params['cicd_test'] else host_io.systemd_offline()
        if why:
            run.skip(why)
        else:
            getattr(run, module.params['state'])()
    except host_io.Failed as exc:
        failure = exc
        run.result.update(exc.fields)
    finally:
        run.unlock()
    if failure is not None:
        module.fail_json(msg=failure.msg, **run.result)
    module.exit_json(**run.result)


if __name__ == '__main__':
    main()
