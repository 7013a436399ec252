# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Plan the systemctl steps from the probed state, predict and verify the result.

A step is a systemctl argv tail such as ['stop', 'libvirtd.service'].  Steps
follow libvirt's documented switch order: stop the other set's services, then
its sockets, disable and mask it, (daemon-reload), unmask, enable and start
the wanted units (sockets first, then services), then the extra units.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    MONOLITHIC_DAEMON,
    hypervisor_services,
    is_remote_socket,
    is_shared_unit,
    service_unit,
    socket_unit,
    unit_daemon,
    unit_kind,
    unit_mode,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import (
    validate_other_action,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import (
    is_enabled,
    is_installed,
    is_masked,
    is_running,
    needs_disable,
    summary,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import DISABLE_STATES, NOT_FOUND
from ansible_collections.kvmhost.setup.plugins.module_utils.ordered import unique

_STARTED_SUB_STATE = {
    'socket': 'listening',
    'service': 'running',
    'timer': 'waiting',
    'path': 'waiting',
    'mount': 'mounted',
    'automount': 'waiting',
    'swap': 'active',
}


def _get(current, unit):
    return current.get(unit) or NOT_FOUND


def _unit_type(unit):
    return unit.rsplit('.', 1)[-1]


def _is_socket(unit):
    return _unit_type(unit) == 'socket'


def socket_of_service(unit):
    """'virtqemud.service' -> 'virtqemud.socket' (the socket that activates it); None otherwise."""
    if _unit_type(unit) != 'service' or '@' in unit:
        return None
    return unit[:-len('service')] + 'socket'


def service_of_socket(unit):
    """Service a socket activates: the daemon's .service for every libvirt socket
    ('virtqemud-ro.socket' -> 'virtqemud.service'), 'foo.service' for 'foo.socket'."""
    if _unit_type(unit) != 'socket':
        return None
    daemon = unit_daemon(unit)
    if daemon is not None:
        return service_unit(daemon)
    if '@' in unit:
        return None
    return unit[:-len('socket')] + 'service'


def companion_services(units):
    """Services activated by the given sockets that are not themselves listed.

    A socket whose service is masked refuses to start ("Socket service ... not
    loaded, refusing"), so these must not stay masked, e.g. after an earlier
    switch masked the whole set.
    """
    units = unique(units)
    return unique(svc for svc in (service_of_socket(unit) for unit in units)
                  if svc is not None and svc not in units)


def _other_units(wanted, other, other_action, extra, current):
    """The other set's installed units the plan may touch (never virtlogd/virtlockd)."""
    if other_action == 'keep':
        return []
    keep = set(wanted) | set(extra) | set(companion_services(wanted))
    return [unit for unit in unique(other)
            if unit not in keep and not is_shared_unit(unit) and is_installed(_get(current, unit))]


def plan(wanted, current, other=(), other_action='mask', extra=(), daemon_reload=False, restart=()):
    """Ordered systemctl steps that bring the host from ``current`` to ``wanted``.

    ``restart`` names active wanted sockets whose settings changed (a new drop-in):
    each is restarted in the same pass, its running service stopped around it.

    ``current`` maps unit -> {load_state, unit_file_state, active_state, sub_state}.
    Units of ``other`` that are not installed are skipped; virtlogd/virtlockd
    units are never stopped, disabled or masked.  A converged host gets [].
    """
    other_action = validate_other_action(other_action)
    wanted = unique(wanted)
    extra = [unit for unit in unique(extra) if unit not in wanted]
    others = _other_units(wanted, other, other_action, extra, current)
    steps = []

    def add(verb, units):
        if units:
            steps.append([verb] + units)

    add('stop', [u for u in others if _unit_type(u) == 'service' and is_running(_get(current, u))])
    add('stop', [u for u in others if _unit_type(u) != 'service' and is_running(_get(current, u))])
    disabling = [u for u in others if needs_disable(_get(current, u))]
    add('disable', disabling)
    if other_action == 'mask':
        add('mask', [u for u in others if _get(current, u).get('unit_file_state') != 'masked'])
    if daemon_reload:
        steps.append(['daemon-reload'])

    # the services behind wanted sockets are unmasked too (not enabled: the socket starts them)
    add('unmask', [u for u in wanted + companion_services(wanted) if is_masked(_get(current, u))])
    # `disable` follows Also=: disabling virtqemud.service also disables virtlogd.socket and
    # virtlockd.socket (and through them their -admin sockets).  After a disable step every
    # wanted enabled unit is enabled again, which is a no-op where nothing was dropped.
    add('enable', [u for u in wanted if is_masked(_get(current, u)) or not is_enabled(_get(current, u))
                   or (disabling and _get(current, u).get('unit_file_state') == 'enabled')])
    sockets = [u for u in wanted if _is_socket(u) and not is_running(_get(current, u))]
    # Remote sockets of the mode in use that are no longer wanted (remote access turned
    # off): stopped and disabled, or their port stays open.
    retired = [u for u in _remote_sockets(current) if u not in wanted and u not in others
               and (is_running(_get(current, u)) or needs_disable(_get(current, u)))]
    # systemd refuses to start a socket whose service already runs, and a running service
    # keeps a stopped socket's port open: such services are stopped around the change and
    # started again after (QEMU guests survive it, KillMode=process).
    restart = [u for u in unique(restart) if u in wanted and is_running(_get(current, u))]
    bounce = unique(service for service in (service_of_socket(u) for u in sockets + retired + restart)
                    if service and is_running(_get(current, service)))
    add('stop', bounce)
    add('stop', [u for u in retired if is_running(_get(current, u))])
    add('disable', [u for u in retired if needs_disable(_get(current, u))])
    add('restart', restart)
    add('start', sockets)
    # A socket-activated service whose socket listens is healthy while idle, so a converged
    # host with an idle daemon gets no step. When this run changes anything (first setup, a
    # switch), the wanted services are started now, so that autostart guests start at once.
    settling = is_changing(steps)
    add('start', unique(bounce + [u for u in wanted if not _is_socket(u) and not is_running(_get(current, u))
                                  and (settling or not _socket_listens(u, current, sockets))]))

    add('unmask', [u for u in extra + companion_services(extra)
                   if u not in wanted and is_masked(_get(current, u))])
    add('enable', [u for u in extra if is_masked(_get(current, u)) or not is_enabled(_get(current, u))])
    add('start', [u for u in extra if not is_running(_get(current, u))])
    return steps


def _remote_sockets(current):
    """The installed -tcp/-tls sockets of virtproxyd and libvirtd."""
    return sorted(unit for unit, state in current.items() if is_remote_socket(unit) and is_installed(state))


def _socket_listens(unit, current, starting=()):
    sock = socket_of_service(unit)
    return sock is not None and (sock in starting or is_running(_get(current, sock)))


def restart_plan(wanted, current, daemon_reload=False):
    """Steps that make the active wanted units pick up changed unit files or configuration.

    Only active units are restarted: an idle socket-activated daemon reads its
    configuration when it next starts. A socket cannot be restarted while its service
    runs (systemd fails the dependency job), so the services behind the restarted
    sockets are stopped first and started again afterwards; QEMU guests survive that
    (KillMode=process). virtlogd and virtlockd are left alone: restarting them would
    cut running guests off their logs and locks.
    """
    steps = [['daemon-reload']] if daemon_reload else []
    active = [unit for unit in unique(wanted)
              if not is_shared_unit(unit) and is_running(_get(current, unit))]
    sockets = [unit for unit in active if _is_socket(unit)]
    services = [unit for unit in active if not _is_socket(unit)]
    if not sockets:
        if services:
            steps.append(['try-restart'] + services)
        return steps
    bound = unique(service for service in (service_of_socket(sock) for sock in sockets)
                   if service and is_running(_get(current, service)))
    running = unique(bound + services)
    if running:
        steps.append(['stop'] + running)
    steps.append(['restart'] + sockets)
    if running:
        steps.append(['start'] + running)
    return steps


def restore_plan(before, now, units, stop_shared=False, enabled=()):
    """Steps that bring ``units`` back from ``now`` to their state in ``before`` (a rollback).

    Used when a step failed half way, so that a switch never leaves the host with neither
    mode working. Order as in a switch: stop what was started (services, then sockets),
    unmask, put enablement back, mask again, start what was stopped (sockets, then
    services). virtlogd and virtlockd are stopped again only with ``stop_shared`` (the
    caller knows that no guest uses them). ``enabled`` names the units this run enabled: a
    unit masked before gets its enablement links removed before it is masked again (a mask
    does not remove them, and a later unmask would bring them back).
    """
    steps = []

    def add(verb, selected):
        if selected:
            steps.append([verb] + selected)

    def was(unit):
        return _get(before, unit)

    def is_(unit):
        return _get(now, unit)

    units = [unit for unit in unique(units) if is_installed(was(unit)) or is_masked(was(unit))]
    # units that failed during this run: their failed state is not what they had
    add('reset-failed', [u for u in units if is_(u).get('active_state') == 'failed'
                         and was(u).get('active_state') != 'failed'])
    started = [u for u in units if is_running(is_(u)) and not is_running(was(u))
               and (stop_shared or not is_shared_unit(u))]
    add('stop', [u for u in started if not _is_socket(u)])
    add('stop', [u for u in started if _is_socket(u)])
    add('unmask', [u for u in units if is_masked(is_(u)) and not is_masked(was(u))])
    disabling = [u for u in units if (not is_masked(was(u))
                                      and is_(u).get('unit_file_state') in DISABLE_STATES
                                      and was(u).get('unit_file_state') not in DISABLE_STATES)
                 or (is_masked(was(u)) and u in enabled)]
    add('disable', disabling)
    # `disable` follows Also= (virtqemud.service takes virtlogd.socket along): after a
    # disable step every unit that was enabled is enabled again, a no-op where none dropped
    add('enable', [u for u in units if was(u).get('unit_file_state') == 'enabled'
                   and (disabling or is_(u).get('unit_file_state') != 'enabled')])
    add('mask', [u for u in units if is_masked(was(u)) and not is_masked(is_(u))])
    stopped = [u for u in units if is_running(was(u)) and not is_running(is_(u))]
    add('start', [u for u in stopped if _is_socket(u)])
    add('start', [u for u in stopped if not _is_socket(u)])
    return steps


def not_restored(before, now, units):
    """What a rollback left different from ``before``: ['unit: was enabled/active, is
    masked/active', 'unit: restarted'], over ``units``. A service counts as restarted when
    it ran before and runs now under another invocation (a new process)."""
    left = []
    for unit in unique(units):
        was, is_ = _get(before, unit), _get(now, unit)
        if summary(was) != summary(is_):
            left.append('{0}: was {1}, is {2}'.format(unit, summary(was), summary(is_)))
        elif (is_running(was) and is_running(is_) and was.get('invocation_id')
              and was.get('invocation_id') != is_.get('invocation_id')):
            left.append('{0}: restarted'.format(unit))
        elif unit in rebound(before, now, [unit]):
            left.append('{0}: clients see {1}, before {2}'.format(unit, _seen_text(is_), _seen_text(was)))
    return left


def _seen_text(state):
    seen = state.get('seen') or {}
    return ', '.join('{0}={1}'.format(key, seen[key]) for key in sorted(seen)) or 'nothing'


def rebound(before, now, units):
    """Sockets active before and now whose clients see other settings than before (a run
    restarted them with a drop-in that the rollback took back)."""
    return [unit for unit in unique(units) if _is_socket(unit) and is_running(_get(before, unit))
            and is_running(_get(now, unit)) and 'seen' in _get(before, unit)
            and _get(before, unit).get('seen') != _get(now, unit).get('seen')]


def is_changing(steps):
    """True when the steps change a unit (a lone daemon-reload does not count)."""
    return any(step[0] != 'daemon-reload' for step in steps)


def _conflicting(unit, units):
    """The other mode's counterparts of a libvirt unit (libvirt's units carry Conflicts= on
    them), so that starting one stops the other."""
    kind, mode = unit_kind(unit), unit_mode(unit)
    if mode == 'monolithic':
        return [other for other in units if unit_mode(other) == 'modular' and unit_kind(other) == kind]
    if mode == 'modular' and kind in ('service', 'main', 'ro', 'admin'):
        return [service_unit(MONOLITHIC_DAEMON) if kind == 'service' else socket_unit(MONOLITHIC_DAEMON, kind)]
    return []


def _bound_to_socket(unit):
    """The main socket a unit stops with (BindsTo=): a daemon's other sockets and a modular service."""
    daemon, kind = unit_daemon(unit), unit_kind(unit)
    if daemon is None or is_shared_unit(unit) or kind == 'main':
        return None
    if kind == 'service' and daemon == MONOLITHIC_DAEMON:
        return None
    return socket_unit(daemon, 'main')


def _stop_in(after, unit):
    state = after.get(unit)
    if state is None or not is_running(state):
        return
    state.update(active_state='inactive', sub_state='dead')
    for other in list(after):
        if _bound_to_socket(other) == unit:
            _stop_in(after, other)


def predict(current, steps):
    """The unit states expected after running ``steps`` (for check mode and diff)."""
    after = dict((unit, dict(state)) for unit, state in current.items())
    for step in steps:
        verb = step[0]
        for unit in step[1:]:
            state = after.setdefault(unit, dict(NOT_FOUND))
            if verb == 'stop':
                _stop_in(after, unit)
            elif verb in ('start', 'restart'):
                for other in _conflicting(unit, list(after)):
                    _stop_in(after, other)
                state.update(active_state='active', sub_state=_STARTED_SUB_STATE.get(_unit_type(unit), 'active'))
            elif verb == 'enable':
                state.update(unit_file_state='enabled')
            elif verb == 'disable':
                state.update(unit_file_state='disabled')
            elif verb == 'mask':
                state.update(unit_file_state='masked', load_state='masked')
            elif verb == 'unmask':
                state.update(unit_file_state='disabled', load_state='loaded')
    return after


def state_diff(before, after, units):
    """{'before': {unit: 'enabled/active'}, 'after': {...}} over ``units``."""
    return {
        'before': dict((unit, summary(_get(before, unit))) for unit in units),
        'after': dict((unit, summary(_get(after, unit))) for unit in units),
    }


def _state_text(state):
    return '{0}/{1}'.format(state.get('active_state') or 'unknown', state.get('sub_state') or 'unknown')


def _wanted_problems(unit, state, current, socket_activation):
    if is_masked(state):
        return ['masked']
    if not is_installed(state):
        return ['not installed']
    problems = []
    if not is_enabled(state):
        problems.append('not enabled ({0})'.format(state.get('unit_file_state') or 'unknown'))
    if not is_running(state):
        if not socket_activation or _is_socket(unit):
            problems.append('not active ({0})'.format(_state_text(state)))
        elif not _socket_listens(unit, current):
            problems.append('not active ({0}) and its socket {1} is not listening either'.format(
                _state_text(state), socket_of_service(unit)))
    service = service_of_socket(unit)
    if service is not None and is_masked(_get(current, service)):
        problems.append('its service {0} is masked'.format(service))
    return problems


def verify(wanted, current, other=(), other_action='mask', extra=()):
    """Units that are not as wanted: a list of {'unit': ..., 'reason': ...}.

    Wanted sockets must be enabled and active; wanted services enabled and
    active or socket-activatable (their socket listens: libvirt daemons exit
    after 120 s idle); extra units enabled and active; the other set's
    installed units inactive and masked (other_action=mask) or disabled.
    """
    other_action = validate_other_action(other_action)
    wanted = unique(wanted)
    extra = [unit for unit in unique(extra) if unit not in wanted]
    drift = []
    for unit in wanted:
        problems = _wanted_problems(unit, _get(current, unit), current, True)
        if problems:
            drift.append({'unit': unit, 'reason': ', '.join(problems)})
    for unit in extra:
        problems = _wanted_problems(unit, _get(current, unit), current, False)
        if problems:
            drift.append({'unit': unit, 'reason': ', '.join(problems)})
    for unit in _other_units(wanted, other, other_action, extra, current):
        state = _get(current, unit)
        problems = []
        if is_running(state):
            problems.append('other mode unit still active ({0})'.format(_state_text(state)))
        if other_action == 'mask' and state.get('unit_file_state') != 'masked':
            problems.append('other mode unit not masked ({0})'.format(state.get('unit_file_state') or 'unknown'))
        elif other_action == 'disable' and needs_disable(state):
            problems.append('other mode unit still enabled ({0})'.format(state.get('unit_file_state')))
        if problems:
            drift.append({'unit': unit, 'reason': ', '.join(problems)})
    return drift


def switch_blocked(current, other, running_guests, allow):
    """Reason to refuse a plan that stops the other mode's hypervisor daemon while guests run.

    Returns None when nothing blocks: ``allow`` is true, no guest runs, or no
    running hypervisor service (libvirtd.service, virtqemud.service, ...) is
    among ``other``.
    """
    if allow or not running_guests:
        return None
    hypervisors = hypervisor_services()
    stopping = [unit for unit in unique(other) if unit in hypervisors and is_running(_get(current, unit))]
    if not stopping:
        return None
    return ('refusing to stop {0} while guests run ({1}): the switch would disconnect their management '
            'daemon; stop or migrate the guests first, or allow the switch explicitly '
            '(running QEMU guests survive the daemon stop)').format(
        ', '.join(stopping), ', '.join(sorted(running_guests)))
