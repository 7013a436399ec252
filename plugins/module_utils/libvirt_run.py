# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One run of the libvirt_daemons module: the request, the host as probed, and the result
being built, one method per state. Kept out of the module file so that file is its
documentation, argument spec and main() (the wiring); the host I/O of one run lives here,
done through libvirt_host and the module object it is given (never AnsibleModule itself)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import platform

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_host as host_io
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    GUEST_LIFECYCLE_UNIT,
    MONOLITHIC_DAEMON,
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
    dropin_changes,
    dropin_path,
    predict_settings,
    rebind_as_loaded,
    settings_drift,
    sockets_to_restart,
    wanted_settings,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_lifecycle import (
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
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_units import daemon_units, with_autostart
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import (
    NOT_FOUND,
    fresh_state,
    is_installed,
    is_masked,
    is_running,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.ordered import unique


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
