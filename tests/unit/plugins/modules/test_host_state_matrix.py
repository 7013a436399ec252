# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host-state matrix (issue 16): generated host states, a fault at every step, two invariants.

Each state (tests/unit/plugins/host_states.py) is built on the fake systemd, the module runs
in check mode, for real, once more, and then once per fault: the probe fails, each mutating
systemctl call fails in turn, a failing step is followed by a failing rollback step or a
failing rollback probe, each file write raises OSError, the probe after the apply fails.
The invariants are stated from the outside, from the fake's unit table, what its sockets run
with, its services' MainPID/InvocationID and the files, never from the module's own logic:
- a refusal or a failure changes nothing, or its result says exactly what it left
  (rolled_back false and the units it reports as the fake has them);
- a success leaves what clients see as asked, reports the units as the fake has them,
  restarts no daemon it did not have to, and a second run changes nothing.
Check mode changes nothing and predicts the units the real run then reports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil

import pytest

from ansible_collections.kvmhost.setup.tests.unit.plugins import host_states as hs
from ansible_collections.kvmhost.setup.tests.unit.plugins.fake_systemd import make_env, run_any, split_unit
from ansible_collections.kvmhost.setup.tests.unit.plugins.unit_states import missing

STATES = hs.generate()
RUNNING = ('active', 'activating', 'reloading')
ENABLED = ('enabled', 'static', 'indirect', 'alias', 'generated', 'transient')
STATES_JSON = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'molecule', 'states', 'vars',
                           'states.json')


# ---- a state on the fake host ---------------------------------------------------------------

def sync(root, wanted):
    """Make the tree under ``root`` what tree() gave before (cheaper than a new directory)."""
    root = str(root)
    now = tree(root)
    for rel in sorted(set(now) - set(wanted), reverse=True):
        path = os.path.join(root, rel)
        if now[rel] == 'directory':
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.remove(path)
    for rel in sorted(wanted):
        path = os.path.join(root, rel)
        if now.get(rel) == wanted[rel]:
            continue
        if os.path.lexists(path) and not os.path.isdir(path):
            os.remove(path)
        if wanted[rel] == 'directory':
            if not os.path.isdir(path):
                os.makedirs(path)
        elif wanted[rel].startswith('link -> '):
            os.symlink(wanted[rel][len('link -> '):], path)
        else:
            with open(path, 'w') as handle:
                handle.write(wanted[rel])


def tls_paths(env):
    paths = dict((key, str(env.path / key)) for key in hs.TLS_FILES)
    for path in paths.values():
        with open(path, 'w') as handle:
            handle.write(u'x\n')
    return paths


def build(env, state, fail_write=(), **faults):
    """The host of ``state`` as it was before any run, with the faults armed."""
    pristine = getattr(env, 'pristine', None)
    if pristine is None:
        write_host_files(env, state)
    else:
        sync(env.dropin_dir, pristine['files'])
        sync(env.guest_dir, pristine['guests'])
    table, gone, traditional = hs.host_units(state)
    fake = env.host(table, gone=gone, traditional=traditional, **faults)
    fake.reload()
    if state['dropins'] != 'interrupted':
        for unit in hs.dropins(state, table):
            fake.rebind(unit)
    env.fail_write(*fail_write)
    if pristine is None:
        env.pristine = {'files': tree(env.dropin_dir), 'guests': tree(env.guest_dir)}
    return fake


def write_host_files(env, state):
    table = hs.host_units(state)[0]
    for unit, (text, dummy) in hs.dropins(state, table).items():
        os.makedirs(str(env.dropin_dir / (unit + '.d')))
        (env.dropin_dir / (unit + '.d') / 'kvmhost-setup.conf').write_text(text)
    files = hs.host_files(state)
    if 'guest' in files:
        (env.guest_dir / (hs.GUEST + '.xml')).write_text(files['guest'])
    if 'libvirtd_args' in files:
        (env.path / 'default-libvirtd').write_text(files['libvirtd_args'])


def tree(root):
    """{path: what is there}: directories too, since an empty one is a leftover."""
    found = {}
    root = str(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                found[rel] = 'link -> ' + os.readlink(path)
            elif os.path.isdir(path):
                found[rel] = 'directory'
            else:
                with open(path) as handle:
                    found[rel] = handle.read()
    return found


def snapshot(env):
    fake = env.systemd
    return {
        'units': fake.table(),
        'bound': dict((unit, dict(settings)) for unit, settings in fake.bound.items()),
        'services': fake.running_services(),
        'files': tree(env.dropin_dir),
        'guests': tree(env.guest_dir),
    }


def differences(before, after, limit=3):
    """'what: before -> after' for the first few things that differ."""
    found = []
    for part in ('units', 'bound', 'services', 'files', 'guests'):
        for key in sorted(set(before[part]) | set(after[part])):
            if before[part].get(key) != after[part].get(key):
                found.append('{0} {1}: {2} -> {3}'.format(part, key, short(before[part].get(key)),
                                                          short(after[part].get(key))))
    return '; '.join(found[:limit]) + ('; ...{0} more'.format(len(found) - limit) if len(found) > limit else '')


def short(value):
    if isinstance(value, dict) and 'unit_file_state' in value:
        text = '{0}/{1}'.format(value['unit_file_state'] or value['load_state'], value['active_state'])
        extra = dict((key, value[key]) for key in ('socket_group', 'socket_mode', 'listen') if key in value)
        return text + (' ' + json.dumps(extra, sort_keys=True) if extra else '')
    if isinstance(value, str) and '\n' in value:
        return repr(value[-40:])
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list, tuple)) else repr(value)


# ---- the invariants ------------------------------------------------------------------------

def refusal_changes_nothing(before, after, outcome, result):
    """Invariant 1: the first problem, or None."""
    if outcome == 'traceback':
        return 'the module raised {0} instead of failing with a result'.format(result['msg'])
    diff = differences(before, after)
    if not diff:
        return None
    if 'every unit is as it was' in result.get('msg', ''):
        return 'the message says "every unit is as it was", but: ' + diff
    if result.get('rolled_back') is not False:
        return 'changed the host and did not say so (rolled_back: {0}): {1}'.format(
            result.get('rolled_back', 'absent'), diff)
    if 'could not be asked for the units' in result.get('msg', ''):
        # systemd did not answer: what the run can say is which steps ran, every one of them
        ran = [action for action in result.get('actions', []) + result.get('rollback_actions', [])
               if action.startswith('systemctl ')]
        missing = [action for action in ran if action not in result.get('not_restored', []) + result.get(
            'rollback_actions', [])]
        return 'systemd did not answer, and the result leaves out steps that ran: {0}'.format(missing) if missing else None
    reported = result.get('units') or {}
    for unit, st in sorted(after['units'].items()):
        if st != before['units'].get(unit) and unit not in reported:
            return 'rolled_back false, but the result leaves out {0}, now {1}'.format(unit, short(st))
    return units_as_reported(reported, after, 'rolled_back false, but')


# what the module adds to a unit's state besides the fake's table: what clients see of a socket
# (judged through the fake's bound settings instead), the service's invocation, the reload
# flag, a mask without its unit file
MODULE_KEYS = ('seen', 'invocation_id', 'need_daemon_reload', 'unit_file')


def as_table(st):
    return dict((key, value) for key, value in st.items() if key not in MODULE_KEYS)


def units_as_reported(reported, after, prefix):
    for unit, st in sorted((unit, as_table(st)) for unit, st in reported.items()):
        # a unit the fake never heard of is what systemd shows for a unit without a file
        if st != after['units'].get(unit, missing()):
            return '{0} the result says {1} is {2}, the host has {3}'.format(
                prefix, unit, short(st), short(after['units'].get(unit, missing())))
    return None


def installed(st):
    return st is not None and st['load_state'] != 'not-found'


def clients_see_what_was_asked(state, before, after, result):
    """Invariant 2 on a success: the first problem, or None."""
    mode = result['mode']
    if state['mode'] != 'auto' and mode != state['mode']:
        return 'asked for mode {0}, got {1}'.format(state['mode'], mode)
    if state['mono'] == 'traditional' and mode == 'monolithic' and traditional_kept(before, after):
        return None
    units = after['units']
    for unit in hs.wanted_units(mode, state['settings']):
        problem = wanted_problem(unit, units, after['bound'], state['settings'])
        if problem:
            return 'wanted {0} {1}'.format(unit, problem)
    for unit in hs.other_units(mode):
        problem = other_problem(unit, before['units'].get(unit), units.get(unit), state['other'])
        if problem:
            return 'other mode unit {0} {1}'.format(unit, problem)
    reported = result.get('units') or {}
    problem = units_as_reported(reported, after, '')
    if problem:
        return problem.strip()
    for unit, st in sorted(units.items()):
        if (installed(st) or st['load_state'] == 'masked') and unit not in reported:
            return 'the result leaves out {0} ({1})'.format(unit, short(st))
    if state['state'] != 'restarted':
        return needless_restart(state, mode, before, after)
    return None


def traditional_kept(before, after):
    """Keeping libvirt's traditional mode is a choice the issue allows: libvirtd untouched."""
    pid = before['services'].get('libvirtd.service')
    return pid is not None and after['services'].get('libvirtd.service') == pid and all(
        after['units'][unit]['load_state'] == 'masked' for unit in hs.daemon_units('libvirtd')[1:])


def wanted_problem(unit, units, bound, settings):
    st = units.get(unit)
    if not installed(st) or st['load_state'] == 'masked':
        return 'is {0}'.format(short(st))
    if st['unit_file_state'] not in ENABLED:
        return 'is not enabled ({0})'.format(st['unit_file_state'])
    if unit.endswith('.socket'):
        if st['active_state'] not in RUNNING:
            return 'is not listening ({0})'.format(st['active_state'])
        wanted = hs.wanted_settings(unit, settings)
        running = dict((key, bound.get(unit, {}).get(key)) for key in wanted)
        if running != wanted:
            return 'runs with {0}, asked {1}'.format(json.dumps(running, sort_keys=True),
                                                     json.dumps(wanted, sort_keys=True))
        service = units.get(split_unit(unit)[0] + '.service') or {}
        if service.get('load_state') == 'masked':
            return 'cannot activate its masked service'
        return None
    socket = units.get(unit.replace('.service', '.socket')) or {}
    if st['active_state'] not in RUNNING and socket.get('active_state') not in RUNNING:
        return 'is not running and its socket does not listen'
    return None


def other_problem(unit, was, now, how):
    if not installed(was) and (was or {}).get('load_state') != 'masked':
        return None
    if how == 'keep':
        if now['unit_file_state'] != was['unit_file_state']:
            return 'was to be kept {0}, is {1}'.format(was['unit_file_state'], now['unit_file_state'])
        return None
    if now['active_state'] in RUNNING:
        return 'still runs'
    if how == 'mask' and now['load_state'] != 'masked':
        return 'is not masked ({0})'.format(now['unit_file_state'])
    if how == 'disable' and now['unit_file_state'] in ('enabled', 'enabled-runtime'):
        return 'is still enabled'
    return None


def needless_restart(state, mode, before, after):
    """A running service keeps its process unless one of its wanted sockets did not run with
    the settings asked (starting or restarting a socket stops its service around it)."""
    wanted = hs.wanted_units(mode, state['settings'])
    for service, process in sorted(before['services'].items()):
        now = after['services'].get(service)
        if now is None or now == process:
            continue
        daemon = split_unit(service)[0]
        sockets = [unit for unit in hs.daemon_units(daemon)[1:] if unit in wanted]
        if any(before['bound'].get(unit) != hs.wanted_settings(unit, state['settings']) for unit in sockets):
            continue
        return '{0} was restarted (MainPID/InvocationID {1} -> {2}) with nothing to apply'.format(
            service, '/'.join(process), '/'.join(now))
    return None


# ---- running a state ------------------------------------------------------------------------

class Outcome(object):
    """One module run: its result and what the fake saw."""

    def __init__(self, env, args):
        self.before = snapshot(env)
        self.kind, self.result = run_any(args)
        self.after = snapshot(env)
        self.steps = [' '.join(call[1:]) for call in env.systemd.mutating()]
        self.shows = env.systemd.show_count()
        self.writes = env.writes


def fault_plan(clean):
    """(name, faults) to arm, from the fault-free run's calls."""
    yield 'the probe fails', {'fail_show': (1,)}
    steps = clean.steps
    for number, step in enumerate(steps, 1):
        yield 'step {0} ({1}) fails'.format(number, step), {'fail_mutating': (number,)}
    # the last step's rollback has the most to undo
    for number in [len(steps)] if steps else []:
        if number:
            yield 'step {0} ({1}) fails and so does the rollback\'s first step'.format(number, steps[number - 1]), {
                'fail_mutating': (number, number + 1)}
            yield 'step {0} ({1}) fails and the rollback\'s probe fails'.format(number, steps[number - 1]), {
                'fail_mutating': (number,), 'fail_show': (2,)}
    for number in range(1, clean.writes + 1):
        yield 'file write {0} raises OSError'.format(number), {'fail_write': (number,)}
    if clean.shows >= 2:
        yield 'the probe after the apply fails', {'fail_show': (2,)}


def check_state(env, state):
    """Every problem of one state: ['<run>: <first failing invariant>']."""
    args = hs.request(state, tls_paths(env))
    problems = []

    build(env, state)
    check = Outcome(env, dict(args, _ansible_check_mode=True))
    if differences(check.before, check.after):
        problems.append('check mode: changed the host: ' + differences(check.before, check.after))
    if check.kind == 'traceback':
        problems.append('check mode: raised ' + check.result['msg'])

    build(env, state)
    clean = Outcome(env, args)
    label = 'run ({0})'.format(clean.kind if clean.kind == 'ok' else clean.kind + ', ' + clean.result['msg'][:160])
    problems.extend('{0}: {1}'.format(label, problem) for problem in judge(state, clean) if problem)
    if clean.kind == 'ok' and check.kind == 'ok':
        if check.result['changed'] != clean.result['changed']:
            problems.append('check mode: predicted changed={0}, the run gave {1}'.format(
                check.result['changed'], clean.result['changed']))
        predicted = prediction_problems(check.result['units'], clean.result['units'])
        problems.extend('check mode: ' + problem for problem in predicted)
    elif clean.kind == 'ok' and check.kind == 'failed':
        problems.append('check mode: refused ({0}) what the run then did'.format(check.result['msg'][:120]))
    if clean.kind == 'ok' and state['state'] != 'verified':
        again = Outcome(env, dict(args, state='started'))
        if again.kind != 'ok' or again.result['changed'] or differences(again.before, again.after):
            problems.append('second run: {0}, changed={1}: {2} {3}'.format(
                again.kind, again.result.get('changed'), again.result.get('msg', '')[:200],
                differences(again.before, again.after)))

    for name, faults in (fault_plan(clean) if state['state'] != 'verified' else
                         [('the probe fails', {'fail_show': (1,)})]):
        build(env, state, **faults)
        faulted = Outcome(env, args)
        problems.extend('{0}: {1}'.format(name, problem) for problem in judge(state, faulted) if problem)
    return problems


def prediction_problems(predicted, real):
    """The unit states first: a wrong socket setting in a prediction is the lesser error."""
    keys = ('load_state', 'unit_file_state', 'active_state', 'sub_state')
    for label, pick in (('unit states', keys), ('socket settings', hs.SOCKET_KEYS)):
        for unit in sorted(set(predicted) | set(real)):
            # a prediction that leaves a socket setting out does not know it (a drop-in removed:
            # the unit's own value); one that states it must be right
            known = [key for key in pick if label == 'unit states' or key in (predicted.get(unit) or {})]
            was = dict((key, (predicted.get(unit) or {}).get(key)) for key in known)
            now = dict((key, (real.get(unit) or {}).get(key)) for key in known)
            if was != now:
                return ['predicted {0} differ from the run\'s: {1} predicted {2}, the run reports {3}'.format(
                    label, unit, json.dumps(was, sort_keys=True), json.dumps(now, sort_keys=True))]
    return []


def judge(state, outcome):
    if state['state'] == 'verified' and differences(outcome.before, outcome.after):
        yield 'verified changed the host: ' + differences(outcome.before, outcome.after)
    if outcome.kind == 'ok':
        if not outcome.result.get('skipped'):
            yield clients_see_what_was_asked(state, outcome.before, outcome.after, outcome.result)
    else:
        yield refusal_changes_nothing(outcome.before, outcome.after, outcome.kind, outcome.result)


# ---- the tests ------------------------------------------------------------------------------

@pytest.mark.parametrize('state', STATES, ids=[hs.state_id(state) for state in STATES])
def test_host_state(monkeypatch, tmp_path, state):
    env = make_env(monkeypatch, tmp_path)
    problems = check_state(env, state)
    assert not problems, '\n'.join(problems)


def test_at_least_500_states_and_every_pair_of_values():
    covered = set()
    for state in STATES:
        covered |= set(hs._pairs(state))  # pylint: disable=protected-access
    assert len(STATES) >= 500
    assert hs.feasible_pairs() - covered == set()
    assert len(set(hs.state_id(state) for state in STATES)) == len(STATES)


def test_states_are_what_a_host_can_have():
    for state in STATES:
        assert hs.repair(state) == state, hs.state_id(state)


def test_real_systemd_sample_is_current():
    """molecule/states runs this sample; regenerate it as host_states.py says."""
    with open(STATES_JSON) as handle:
        assert handle.read() == hs.real_states_json()
