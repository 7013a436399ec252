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

import os
import platform

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_host as host_io
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    AUTOSTART_DRIVERS,
    DEFAULT_DRIVERS,
    DRIVERS,
    GUEST_LIFECYCLE_UNIT,
    MONOLITHIC_DAEMON,
    REMOTES,
    SOCKET_KINDS,
    all_known_units,
    driver_daemon,
    is_hypervisor_service,
    is_remote_socket,
    is_shared_unit,
    other_mode_units,
    service_unit,
    unit_daemon,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_distros import (
    env_file,
    hwe_packages,
    install_packages,
    missing_text,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_dropins import (
    SOCKET_SETTINGS,
    dropin_changes,
    dropin_path,
    predict_settings,
    rebind_as_loaded,
    settings_drift,
    sockets_to_restart,
    wanted_settings,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import (
    OVERRIDES,
    LibvirtInputError,
    validate_request,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_lifecycle import (
    MECHANISMS,
    armed,
    check as check_lifecycle,
    ORDER_DROPIN,
    leave_steps,
    left_on,
    order_text,
    parse_version,
    version_text,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_mode import decide_mode, traditional_mode
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_remote import switch_losses
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_plan import (
    companion_services,
    is_changing,
    not_restored,
    plan,
    predict,
    rebound,
    restart_plan,
    restore_plan,
    state_diff,
    switch_blocked,
    verify,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_units import (
    daemon_units,
    validate_autostart_drivers,
    with_autostart,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import (
    NOT_FOUND,
    fresh_state,
    is_installed,
    is_masked,
    is_running,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.ordered import unique


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


def probe_list(requested):
    """Every catalogued libvirt unit, the requested units and the services behind their sockets."""
    return unique(all_known_units() + requested + companion_services(requested))


def action_text(step):
    return ' '.join(['systemctl'] + step)


# read for the decisions, too long to show for every unit
_UNREPORTED = ('exec_start',)


def report(states, units):
    """Installed (or masked) units plus the requested ones."""
    return dict((unit, dict((key, value) for key, value in state.items() if key not in _UNREPORTED))
                for unit, state in states.items() if unit in units or is_installed(state) or is_masked(state))


def drift_text(drift):
    return '; '.join('{0} {1}'.format(item['unit'], item['reason']) for item in drift)


class Run(object):
    """One module run: the request, the host as probed, and the result being built.
    Each state is one method; a refusal or a failed step raises host_io.Failed."""

    def __init__(self, module, request):
        self.module = module
        self.params = module.params
        self.request = request
        self.facts = host_io.host_facts(module)
        self.result = dict(changed=False, skipped=False, skip_reason='', mode='', reason='', units={},
                           actions=[], guests=[], wanted=[], predicted=module.check_mode)
        self.host = None
        self.current = {}
        self.lock_handle = None
        self.created_dirs = []
        # the steps that ran: what the host became when systemd cannot be asked afterwards
        self.ran = []
        # units of a guest lifecycle mechanism being left (turned off before anything else)
        self.leaving = []

    # --- what is wanted --------------------------------------------------------------------

    def wanted_for(self, mode):
        if self.request['units'] is not None:
            units = self.request['units']
        else:
            units = daemon_units(self.request['drivers'], mode, self.request['sockets'],
                                 self.params['remote'], self.params['proxy'])
        return with_autostart(units, self.request['autostart'], mode)

    def decide(self, units=None):
        """(mode, reason): the reason is the rule that decides for the user's setting.
        ``units`` is the probed state, None where nothing could be probed (a skip)."""
        units_mode = self.request['units_mode']
        if self.params['mode'] != 'auto' or not units_mode:
            return decide_mode(self.facts, units=units, override=self.params['mode'])
        # explicit units of one mode, as the role hands over what its probe decided: report
        # the rule that decides on this host, unless the host now says otherwise
        mode, reason = decide_mode(self.facts, units=units)
        if mode != units_mode:
            return units_mode, 'units: the listed units belong to the {0} set ({1})'.format(units_mode, reason)
        return mode, reason

    def refuse_unsafe_remote(self, mode):
        """Unsafe remote settings fail on every host, in check mode too, before any change."""
        errors, warnings = host_io.remote_problems(self.params, mode)
        if errors:
            raise host_io.Failed('; '.join(errors) + '; nothing was changed')
        for text in warnings:
            self.module.warn(text)

    # --- the states ------------------------------------------------------------------------

    def skip(self, why):
        self.lifecycle()
        mode, reason = self.decide()
        self.result.update(mode=mode, reason=reason, wanted=self.wanted_for(mode))
        self.refuse_unsafe_remote(mode)
        self.result.update(skipped=True, skip_reason=why)
        if self.params['state'] == 'probed':
            self.packages()

    def probed(self):
        self.look()
        self.result['units'] = report(self.current, self.request['extra'])
        self.packages()

    def packages(self):
        """What the role installs here, and which of them are missing (packages need no systemd,
        so skips report them too)."""
        names = install_packages(self.facts, platform.machine(),
                                 remote=self.params['remote'] != 'none' or self.params['proxy'],
                                 installed=host_io.installed_packages(self.module, hwe_packages(self.facts)))
        installed = set(host_io.installed_packages(self.module, names))
        self.result.update(packages=names, packages_missing=[name for name in names if name not in installed])

    def verified(self):
        self.look()
        self.result['units'] = report(self.current, self.requested)
        drift = self.drift(self.current, self.read_dropins())
        drift += [{'unit': unit, 'reason': left_on(self.current.get(unit, NOT_FOUND))} for unit in self.leaving
                  if left_on(self.current.get(unit, NOT_FOUND))]
        self.result['drift'] = drift
        if drift:
            raise host_io.Failed('libvirt units are not as wanted ({0} mode): {1}'.format(self.mode, drift_text(drift)))

    def started(self):
        self.lock()
        self.look()
        self.preconditions()
        self.converge(self.leave_guests() + self.order_guests(), self.params['daemon_reload'])

    def restarted(self):
        self.lock()
        self.look()
        self.preconditions()
        left = self.leave_guests() + self.order_guests()
        only = self.request['restart_units']
        unknown = [unit for unit in only if unit not in self.requested]
        if unknown:
            raise host_io.Failed('restart_units names {0}, which are not among the wanted units: allowed are {1}'.format(
                ', '.join(unknown), ', '.join(self.requested)))
        steps = restart_plan(only or self.wanted, self.current, self.params['daemon_reload'])
        if self.module.check_mode:
            done = left + [action_text(step) for step in steps]
            # converge from what the restart would leave: restarted sockets bound as loaded
            self.current = predict(self.current, steps)
            for unit in [unit for step in steps if step[0] == 'restart' for unit in step[1:]]:
                rebind_as_loaded(self.current.get(unit, {}))
        else:
            done = left + self.apply(steps, {}, left)
            if steps:
                # a socket restart stops what is bound to it: converge from what is there now
                self.current = self.probe_after(steps)
        self.converge(done, False)

    # --- the pieces ------------------------------------------------------------------------

    def lock(self):
        if not self.module.check_mode:
            self.lock_handle, waited = host_io.take_lock(host_io.LOCK_FILE, self.params['lock_timeout'])
            self.result['lock_wait'] = round(waited, 1)

    def unlock(self):
        if self.lock_handle is not None:
            self.lock_handle.close()
            self.lock_handle = None

    def look(self):
        """Probe once, decide, and work out what is wanted; refuse unsafe remote settings."""
        self.lifecycle()
        extra = self.request['extra']
        asked = (self.request['units'] or []) + extra + self.leaving
        self.host = host_io.Host(self.module, always=asked + companion_services(asked))
        self.probe_units = probe_list(asked)
        self.current = self.host.probe(self.probe_units)
        # what the host was before this run changed anything (a restart included)
        self.first = self.current
        self.mode, reason = self.decide(self.current)
        self.wanted = self.wanted_for(self.mode)
        self.other = other_mode_units(self.mode)
        self.requested = self.wanted + extra
        self.result['traditional_mode'] = traditional_mode(
            host_io.libvirtd_env_files(), self.current.get('libvirtd.service', NOT_FOUND).get('exec_start', '')) or ''
        self.result.update(mode=self.mode, reason=reason, wanted=self.wanted, guests=host_io.running_guests(),
                           hypervisor_services=[unit for unit in self.wanted if is_hypervisor_service(unit)])
        self.refuse_unsafe_remote(self.mode)

    def lifecycle(self):
        """Read the libvirt version; refuse a guest lifecycle request this host cannot have,
        before anything changes; work out whether libvirt-guests.service is wanted now."""
        mechanism = self.params['guest_lifecycle']
        if mechanism is None:
            return
        version = None
        for daemon in (driver_daemon('qemu'), MONOLITHIC_DAEMON):
            version = parse_version(host_io.libvirt_version_text(self.module, daemon))
            if version:
                break
        self.result['libvirt_version'] = version_text(version) if version else ''
        try:
            qemu_conf, lines, warnings = check_lifecycle(mechanism, version, self.request['extra'],
                                                         self.params['guest_daemon_settings'],
                                                         self.params['libvirt_guests_settings'])
        except LibvirtInputError as exc:
            raise host_io.Failed('{0}; nothing was changed'.format(exc))
        if self.params['state'] in ('probed', 'started'):
            for text in warnings:
                self.module.warn(text)
        where = env_file(self.facts, GUEST_LIFECYCLE_UNIT[:-len('.service')])
        if lines and not where:
            raise host_io.Failed('libvirt_guests_settings: where {0} is not known, the file that libvirt-guests '
                                 'reads is not known either; nothing was changed'.format(
                                     self.facts.get('distribution') or 'this distribution'))
        # libvirt-guests is switched on only once qemu.conf no longer arms the daemon
        on = armed(host_io.read_text(host_io.QEMU_CONF))
        pending = mechanism == 'libvirt-guests' and bool(on)
        self.result['guest_lifecycle'] = dict(
            mechanism=mechanism, qemu_conf=qemu_conf, libvirt_guests_lines=lines, armed=on, pending=pending,
            libvirt_guests_file=where or '')
        extra = [unit for unit in self.request['extra'] if unit != GUEST_LIFECYCLE_UNIT]
        self.request['extra'] = extra + ([GUEST_LIFECYCLE_UNIT] if mechanism == 'libvirt-guests' and not pending else [])
        self.leaving = [GUEST_LIFECYCLE_UNIT] if mechanism != 'libvirt-guests' else []

    def leave_guests(self):
        """Turn the mechanism being left off first (guest_lifecycle daemon or none): stop
        libvirt-guests.service without its ExecStop, so no guest is touched, and disable it.
        Returns the actions; in check mode only predicts them."""
        done = []
        for unit in self.leaving:
            steps = leave_steps(self.current.get(unit, NOT_FOUND))
            texts = [' '.join(step[:2]) if step[0] in ('write', 'remove') else action_text(step) for step in steps]
            if not steps:
                continue
            if self.module.check_mode:
                done += texts
                self.current = dict(self.current)
                self.current[unit] = dict(self.current[unit], unit_file_state='disabled', active_state='inactive',
                                          sub_state='dead')
                continue
            created = None
            for step, text in zip(steps, texts):
                if step[0] in ('write', 'remove'):
                    made = host_io.write_text(step[1], step[2] if step[0] == 'write' else None)
                    created = created or made
                else:
                    rc, out, err = self.host.run(step)
                    if rc != 0:
                        dropin = [item for item in steps if item[0] == 'write']
                        if dropin:
                            host_io.write_text(dropin[0][1], None)
                            self.host.run(['daemon-reload'])
                        self.result['actions'] = done
                        raise host_io.Failed('{0} failed with rc {1}: {2}'.format(text, rc, err.strip()),
                                             step=text, rc=rc, stdout=out, stderr=err)
                done.append(text)
            if created:
                host_io.remove_empty_dir(created)
            self.current = self.host.probe(self.probe_units)
            why = left_on(self.current.get(unit, NOT_FOUND))
            if why:
                self.result['actions'] = done
                raise host_io.Failed('leaving libvirt-guests: {0} after {1}'.format(why, '; '.join(done)))
        return done

    def order_guests(self):
        """libvirt-guests ordered after the hypervisor services (libvirt 11.3's unit is only
        ordered after their sockets), so that at shutdown it saves the guests before their daemon stops:
        the drop-in is written while libvirt-guests is the mechanism, removed when it is
        left, and systemd reloaded when it changed. Returns the actions."""
        mechanism = self.params['guest_lifecycle']
        if mechanism is None:
            return []
        wanted = order_text() if GUEST_LIFECYCLE_UNIT in self.request['extra'] else None
        if mechanism == 'libvirt-guests' and wanted is None:
            return []  # pending: libvirt-guests is not switched on in this call
        if host_io.read_text(ORDER_DROPIN) == wanted:
            return []
        done = ['{0} {1}'.format('write' if wanted is not None else 'remove', ORDER_DROPIN), 'systemctl daemon-reload']
        if self.module.check_mode:
            return done
        try:
            host_io.write_text(ORDER_DROPIN, wanted)
            if wanted is None:
                host_io.remove_empty_dir(os.path.dirname(ORDER_DROPIN))
        except (IOError, OSError) as exc:
            raise host_io.Failed('writing {0} failed: {1}'.format(ORDER_DROPIN, to_native(exc)))
        rc, out, err = self.host.run(['daemon-reload'])
        if rc != 0:
            raise host_io.Failed('systemctl daemon-reload failed with rc {0}: {1}'.format(rc, err.strip()),
                                 step='systemctl daemon-reload', rc=rc, stdout=out, stderr=err)
        return done

    def preconditions(self):
        """Nothing is changed before these hold: units installed, no guest left behind."""
        # a companion service masked with its unit file gone would be unmasked into nothing
        missing = [unit for unit in self.requested if not is_installed(self.current[unit])] + [
            unit for unit in companion_services(self.requested)
            if self.current.get(unit, NOT_FOUND).get('unit_file') == 'missing']
        if missing:
            text = 'requested units are not installed: {0}'.format(missing_text(missing, self.facts))
            gone = [unit for unit in missing if self.current.get(unit, NOT_FOUND).get('unit_file') == 'missing']
            if gone:
                text += '; {0}: only a mask is left, the unit file is gone'.format(', '.join(gone))
            if not self.module.check_mode:
                self.result['units'] = report(self.current, self.requested)
                raise host_io.Failed(text + '; nothing was changed')
            self.module.warn('check mode: {0} (an earlier task may fix this; the real run fails otherwise)'.format(text))
            self.current = dict(self.current)
            for unit in missing:
                self.current[unit] = fresh_state()
        self.refuse_traditional_mode()
        self.refuse_lost_security_settings()
        # even with keep: the sets conflict in systemd, so starting ours stops theirs
        blocked = switch_blocked(self.current, self.other, self.result['guests'],
                                 self.params['allow_switch_with_running_guests'])
        if blocked:
            self.result['units'] = report(self.current, self.requested)
            raise host_io.Failed('{0}: set allow_switch_with_running_guests=true to switch anyway; nothing was changed'.format(
                blocked))

    def refuse_traditional_mode(self):
        """libvirtd told to listen itself cannot start through its sockets (it refuses
        --listen then): refuse the monolithic mode before any change, naming the setting."""
        found = self.result.get('traditional_mode')
        if found and self.mode == 'monolithic':
            self.result['units'] = report(self.current, self.requested)
            raise host_io.Failed(
                "libvirt's traditional mode: {0}, and libvirtd refuses --listen when systemd passes it "
                'sockets, so the monolithic mode with socket activation cannot start it. libvirt\'s way out: '
                'remove --listen from LIBVIRTD_ARGS (or ExecStart), then let the sockets listen instead '
                '(remote=tls or remote=tcp here, for what listen_tls/listen_tcp in libvirtd.conf did), see '
                'https://libvirt.org/daemons.html#switching-to-socket-activation; or switch to mode=modular; '
                'nothing was changed'.format(found))

    def refuse_lost_security_settings(self):
        """A switch never widens who may connect: the settings of the daemons in use that say
        who may (auth_*, tls_allowed_dn_list, ...; host_uuid) must be in the files of the
        daemons that take over, or the switch is refused naming them."""
        in_use = unique(unit_daemon(unit) for unit in self.other if not is_shared_unit(unit) and (
            is_running(self.current.get(unit, NOT_FOUND))
            or self.current.get(unit, NOT_FOUND).get('unit_file_state') in ('enabled', 'enabled-runtime')))
        if not in_use:
            return
        serving = unique(unit_daemon(unit) for unit in self.wanted if unit_daemon(unit) and not is_shared_unit(unit))
        targets = {
            'remote': unique(unit_daemon(unit) for unit in self.wanted if is_remote_socket(unit)),
            'local': serving,
            'host': [daemon for daemon in serving if is_hypervisor_service(service_unit(daemon))],
        }
        losses = switch_losses(host_io.daemon_confs(in_use), dict(
            (scope, host_io.daemon_confs(daemons)) for scope, daemons in targets.items() if daemons))
        if losses:
            self.result['units'] = report(self.current, self.requested)
            raise host_io.Failed(
                'switching to the {0} daemons would leave behind settings that say who may connect (clients '
                'the old daemon refused could connect): {1}; copy them into the new daemons\' files (or remove '
                'them from the old ones) and run again; nothing was changed'.format(self.mode, '; '.join(losses)))

    def settings(self):
        """The socket settings wanted, for the wanted sockets that are installed."""
        installed = [unit for unit in self.wanted if is_installed(self.current.get(unit, NOT_FOUND))]
        return wanted_settings(installed, self.request['socket_settings'])

    def read_dropins(self):
        """{socket: text or None} of the collection's drop-in on every installed libvirt socket."""
        sockets = [unit for unit in self.probe_units if unit.endswith('.socket') and unit_daemon(unit)
                   and (is_installed(self.current.get(unit, NOT_FOUND)) or is_masked(self.current.get(unit, NOT_FOUND)))]
        return dict((unit, host_io.read_text(dropin_path(unit))) for unit in sockets)

    def drift(self, states, dropins):
        settings = self.settings()
        drift = verify(self.wanted, states, self.other, self.params['other_mode_units'], self.request['extra'])
        # only the settings asked for: removing the drop-in of a setting turned off is the
        # apply's business, not a verification's
        drift.extend({'unit': unit, 'reason': 'drop-in {0} is not as wanted'.format(dropin_path(unit))}
                     for unit, dummy, after in dropin_changes(settings, dropins) if after is not None)
        return drift + settings_drift(settings, states, is_running)

    def converge(self, done, daemon_reload):
        """Plan drop-ins and units from the probe, predict in check mode, else apply and verify."""
        settings = self.settings()
        changes = dropin_changes(settings, self.read_dropins())
        # only the wanted sockets: a retired remote socket is stopped, not restarted
        restart = sockets_to_restart([change for change in changes if change[0] in self.wanted],
                                     settings, self.current, is_running)
        # a drop-in written by a run that stopped before its daemon-reload: systemd says so
        stale = [unit for unit in self.probe_units if self.current.get(unit, NOT_FOUND).get('need_daemon_reload') == 'yes']
        steps = plan(self.wanted, self.current, self.other, self.params['other_mode_units'], self.request['extra'],
                     daemon_reload or bool(changes) or bool(stale), restart)
        self.warn_about(steps, restart)
        writes = ['{0} {1}'.format('write' if after is not None else 'remove', dropin_path(unit))
                  for unit, dummy, after in changes]
        self.result['changed'] = bool(done) or bool(changes) or is_changing(steps)
        diff_units = unique(self.requested + [unit for step in steps for unit in step[1:]])
        if self.module.check_mode:
            expected = predict_settings(predict(self.current, steps), settings,
                                        [unit for unit, dummy, after in changes if after is None])
            self.result.update(actions=done + writes + [action_text(step) for step in steps],
                               units=report(expected, self.requested))
            self.add_diff(expected, diff_units, changes)
            return
        before = self.write_dropins(changes, done)
        done = done + writes + self.apply(steps, before, done + writes)
        self.result['actions'] = done
        after = self.probe_after(steps) if steps else self.current
        self.result['units'] = report(after, self.requested)
        self.add_diff(after, diff_units, changes)
        drift = self.drift(after, self.read_dropins())
        if drift:
            self.result['drift'] = drift
            raise host_io.Failed('libvirt units are not as wanted after the change: {0}'.format(drift_text(drift)))

    def warn_about(self, steps, restart):
        self.result['unmasked'] = [unit for step in steps if step[0] == 'unmask' for unit in step[1:]]
        if self.result['unmasked']:
            self.module.warn('unmasking {0}: masked on this host (by an administrator, or by an earlier switch), '
                             'needed for the {1} daemons; remove the unit from the wanted units to keep it '
                             'masked'.format(', '.join(self.result['unmasked']), self.mode))
        bounced = [service_unit(unit_daemon(unit)) for unit in restart]
        hypervisors = [unit for unit in unique(bounced) if is_hypervisor_service(unit)
                       and is_running(self.current.get(unit, NOT_FOUND))]
        if hypervisors and self.result['guests']:
            self.module.warn('restarting {0} to apply changed socket settings while guests run ({1}); running '
                             'QEMU guests keep running (KillMode=process)'.format(
                                 ', '.join(hypervisors), ', '.join(self.result['guests'])))

    def add_diff(self, after, units, changes):
        if not self.module._diff:
            return
        diff = [state_diff(self.current, after, units)]
        for unit, before_text, after_text in changes:
            diff.append({'before_header': dropin_path(unit), 'after_header': dropin_path(unit),
                         'before': before_text or '', 'after': after_text or ''})
        self.result['diff'] = diff

    def probe_after(self, steps):
        """The probe after the apply; when systemd does not answer, the result says what the
        steps that ran made of the host (predicted from the first probe) and fails."""
        after = self.host.try_probe(self.probe_units)
        if after is None:
            self.result.update(rolled_back=False, not_restored=[action_text(step) for step in self.ran],
                               units=report(predict(self.current, self.ran), self.requested))
            raise host_io.Failed('the steps ran, but systemd could not be asked for the units afterwards, so '
                                 'nothing was verified or rolled back: the units in the result are what the steps '
                                 'that ran ({0}) made of the host'.format(len(self.ran)))
        return after

    def write_dropins(self, changes, done):
        """Write the drop-ins; returns {unit: text before}. A failed write puts back those
        already written (and the directories created) before raising host_io.Failed."""
        before = {}
        for unit, text, after in changes:
            try:
                self.created_dirs.extend(filter(None, [host_io.write_text(dropin_path(unit), after)]))
            except (IOError, OSError) as exc:
                self.result['actions'] = list(done)
                msg = self.roll_back('writing {0} failed: {1}'.format(dropin_path(unit), to_native(exc)), before)
                raise host_io.Failed(msg)
            before[unit] = text
        return before

    def apply(self, steps, dropins_before, before=()):
        """Run the steps in order; on a failure put drop-ins and units back, then raise host_io.Failed."""
        done = []
        for step in steps:
            rc, out, err = self.host.run(step)
            if rc == 0:
                self.ran.append(step)
            else:
                self.result['actions'] = list(before) + done
                msg = self.roll_back('{0} failed with rc {1}: {2}'.format(action_text(step), rc, err.strip()),
                                     dropins_before)
                raise host_io.Failed(msg, step=action_text(step), rc=rc, stdout=out, stderr=err)
            done.append(action_text(step))
        return done

    def restore_files(self, dropins_before):
        """Put the drop-ins back and remove the directories this run created; returns what
        could not be restored."""
        left = []
        for unit, text in sorted(dropins_before.items()):
            try:
                host_io.write_text(dropin_path(unit), text)
            except (IOError, OSError) as exc:
                left.append('{0} not restored ({1})'.format(dropin_path(unit), to_native(exc)))
        for directory in reversed(self.created_dirs):
            host_io.remove_empty_dir(directory)
        return left

    def roll_back(self, msg, dropins_before):
        """Put every drop-in and unit back as it was before this run, then compare; returns
        the failure message, which names whatever is not as it was."""
        left = self.restore_files(dropins_before)
        undo = [['daemon-reload']] if dropins_before else []
        now = self.host.try_probe(self.probe_units)
        if now is None:
            self.result.update(rolled_back=False, not_restored=left + [action_text(step) for step in self.ran],
                               units=report(predict(self.current, self.ran), self.requested))
            return msg + ('; systemd could not be asked for the units afterwards, so no unit was rolled back: the '
                          'units in the result are what the steps that ran made of the host') + (
                '; ' + '; '.join(left) if left else '')
        # virtlogd/virtlockd that this run started are stopped again unless a guest uses them now
        undo += restore_plan(self.current, now, self.probe_units, stop_shared=not host_io.running_guests(),
                             enabled=[unit for step in self.ran if step[0] == 'enable' for unit in step[1:]])
        self.result.update(rollback_actions=[])
        failed = None
        for step in undo:
            rc, dummy, err = self.host.run(step)
            if rc != 0:
                failed = 'the rollback failed at {0} (rc {1}: {2})'.format(action_text(step), rc, err.strip())
                break
            self.result['rollback_actions'].append(action_text(step))
        after = self.host.try_probe(self.probe_units)
        if after is None:
            after = predict(now, [step for step in undo if action_text(step) in self.result['rollback_actions']])
            left.append('systemd could not be asked for the units after the rollback: the units in the result '
                        'are what its steps made of the host')
        # sockets restarted with a drop-in the rollback took back: bound as before again
        rebind = restart_plan(rebound(self.current, after, self.probe_units), after) if after and failed is None else []
        for step in rebind:
            rc, dummy, err = self.host.run(step)
            if rc != 0:
                failed = 'the rollback failed at {0} (rc {1}: {2})'.format(action_text(step), rc, err.strip())
                break
            self.result['rollback_actions'].append(action_text(step))
        if rebind:
            after = self.host.try_probe(self.probe_units) or predict(after, rebind)
        left += not_restored(self.first, after, self.probe_units)
        left += ['{0}: not as before this run'.format(dropin_path(unit)) for unit, text in sorted(dropins_before.items())
                 if host_io.read_text(dropin_path(unit)) != text]
        self.result.update(rolled_back=not left and failed is None, not_restored=left,
                           units=report(after, self.requested))
        if failed is None and not left:
            return msg + '; rolled back: every unit is as it was before this run'
        return '{0}; {1}not everything is as it was before this run: {2}'.format(
            msg, failed + '; ' if failed else 'rolled back, but ', '; '.join(left) or 'see the units in the result')


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
