# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Generated host states for the libvirt_daemons matrix (issue 16).

A state is one value per dimension (DIMENSIONS). The states are the full cross product of
the dimensions that decide the most (what is installed and how, and the mode asked for),
each cell filled in with seeded random draws for the other dimensions, then topped up
until every pair of values of any two dimensions occurs in some state (pairwise covering).
Combinations a real host cannot have are repaired, not dropped, so that every cell of the
cross product stays. The same states feed the fake systemd (unit_table(), files()) and,
as a fixed sample, the real-systemd scenario molecule/states (real_sample()).

Regenerate the scenario's copy after changing anything here:
    PYTHONPATH=<dir holding ansible_collections> python -m \\
        ansible_collections.kvmhost.setup.tests.unit.plugins.host_states > molecule/states/vars/states.json
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import json
import random
from collections import OrderedDict

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_dropins import render

SEED = 16
DRAWS_PER_CELL = 4
REAL_SAMPLE = 28

# (name, values); the first three are crossed in full
DIMENSIONS = OrderedDict([
    # libvirtd's units; 'gone': masked, unit files removed (a package removed, its masks left);
    # 'traditional': libvirtd --listen, its sockets masked (hosts set up before socket activation)
    ('mono', ('enabled', 'disabled', 'masked', 'static', 'gone', 'absent', 'traditional')),
    # virtqemud's and virtnetworkd's units (virtproxyd's follow: installed the same way, not running)
    ('modular', ('enabled', 'disabled', 'masked', 'static', 'gone', 'absent')),
    ('mode', ('auto', 'modular', 'monolithic')),
    # 'idle': sockets listening, service exited (socket activation's 120 s idle exit)
    ('mono_active', ('active', 'idle', 'inactive')),
    ('modular_active', ('active', 'idle', 'inactive')),
    ('shared', ('on', 'off')),
    ('guests', ('none', 'running', 'paused')),
    # the collection's drop-in on every installed read-write socket, from an earlier run with
    # group libvirt / mode 0660: 'interrupted' = written and reloaded, the socket not restarted
    ('dropins', ('absent', 'applied', 'interrupted', 'hand-edited')),
    ('settings', ('off', 'group-mode', 'tls-listen')),
    ('other', ('mask', 'disable', 'keep')),
    ('state', ('started', 'restarted', 'verified')),
    ('allow', ('no', 'yes')),
])
CROSSED = ('mono', 'modular', 'mode')

MONO = ('libvirtd',)
MODULAR = ('virtqemud', 'virtnetworkd')
PROXY = 'virtproxyd'
SHARED_UNITS = ('virtlogd.socket', 'virtlogd-admin.socket', 'virtlogd.service',
                'virtlockd.socket', 'virtlockd-admin.socket', 'virtlockd.service')
REMOTE_KINDS = ('tcp', 'tls')
GROUP, MODE = 'libvirt', '0660'
LISTEN = '127.0.0.1'
HAND_MODE = '0640'
GUEST = 'web1'
TLS_FILES = ('tls_ca_cert', 'tls_server_cert', 'tls_server_key')
SOCKET_KEYS = ('socket_group', 'socket_mode', 'listen')


def daemon_units(daemon):
    kinds = ('', '-ro', '-admin') + (('-tcp', '-tls') if daemon in ('libvirtd', PROXY) else ())
    return ['{0}.service'.format(daemon)] + ['{0}{1}.socket'.format(daemon, kind) for kind in kinds]


def socket_path_prefix(daemon):
    return 'libvirt' if daemon in ('libvirtd', PROXY) else daemon


def base_settings(unit):
    """A socket's own settings, as systemctl show prints them without a drop-in."""
    name = unit[:-len('.socket')]
    for kind, port in (('-tcp', 16509), ('-tls', 16514)):
        if name.endswith(kind):
            return {'socket_group': '', 'socket_mode': '0666', 'listen': '[::]:{0} (Stream)'.format(port)}
    for kind, suffix, mode in (('-ro', '-sock-ro', '0666'), ('-admin', '-admin-sock', '0600')):
        if name.endswith(kind):
            daemon = name[:-len(kind)]
            return {'socket_group': '', 'socket_mode': mode,
                    'listen': '/run/libvirt/{0}{1} (Stream)'.format(socket_path_prefix(daemon), suffix)}
    return {'socket_group': '', 'socket_mode': '0666',
            'listen': '/run/libvirt/{0}-sock (Stream)'.format(socket_path_prefix(name))}


# ---- the states -------------------------------------------------------------------------

def state_id(state):
    """Readable, unique: the dimensions in order."""
    return ' '.join('{0}={1}'.format(name, state[name]) for name in DIMENSIONS)


def repair(state):
    """The nearest state a real host can have (deterministic)."""
    state = dict(state)
    for group in ('mono', 'modular'):
        if state[group] in ('gone', 'absent'):
            state[group + '_active'] = 'inactive'  # nothing runs without a unit file
    if state['mono'] == 'traditional':
        state['mono_active'] = 'active'  # libvirtd runs by itself, its sockets masked
    # libvirtd's and the modular daemons' units conflict in systemd: one set runs at a time
    if state['mono_active'] != 'inactive' and state['modular_active'] != 'inactive':
        if state['mono'] == 'traditional' or state['mode'] == 'monolithic':
            state['modular_active'] = 'inactive'
        else:
            state['mono_active'] = 'inactive'
    # a daemon never exits idle while its guests run
    if state['guests'] != 'none':
        for group in ('mono', 'modular'):
            if state[group + '_active'] == 'idle':
                state[group + '_active'] = 'active'
    # a running hypervisor service has pulled in virtlogd.socket (Requires=)
    if 'active' in (state['mono_active'], state['modular_active']):
        state['shared'] = 'on'
    return state


def _draw(rng, fixed):
    state = dict((name, rng.choice(values)) for name, values in DIMENSIONS.items())
    state.update(fixed)
    return repair(state)


def _pairs(state):
    names = list(DIMENSIONS)
    return set(((a, state[a]), (b, state[b])) for a, b in itertools.combinations(names, 2))


def generate():
    """The matrix's states, in a stable order."""
    rng = random.Random(SEED)
    states, seen = [], set()

    def add(state):
        key = state_id(state)
        if key not in seen:
            seen.add(key)
            states.append(state)
            return True
        return False

    for cell in itertools.product(*(DIMENSIONS[name] for name in CROSSED)):
        fixed = dict(zip(CROSSED, cell))
        for dummy in range(DRAWS_PER_CELL):
            for dummy_try in range(20):
                if add(_draw(rng, fixed)):
                    break
    covered = set()
    for state in states:
        covered |= _pairs(state)
    for pair in sorted(all_pairs() - covered):
        for dummy in range(50):
            state = _draw(rng, dict(pair))
            if pair in _pairs(state) and add(state):
                covered |= _pairs(state)
                break
    return states


def all_pairs():
    names = list(DIMENSIONS)
    return set(((a, x), (b, y)) for a, b in itertools.combinations(names, 2)
               for x in DIMENSIONS[a] for y in DIMENSIONS[b])


def feasible_pairs():
    """The pairs that repair() lets a state keep."""
    pairs = set()
    for pair in all_pairs():
        (a, x), (b, y) = pair
        base = dict((name, values[0]) for name, values in DIMENSIONS.items())
        for other in itertools.product(*(DIMENSIONS[name] for name in ('mono_active', 'modular_active', 'mode'))):
            state = dict(base, mono_active=other[0], modular_active=other[1], mode=other[2])
            state.update({a: x, b: y})
            if pair in _pairs(repair(state)):
                pairs.add(pair)
                break
    return pairs


# ---- what a state means on a host ---------------------------------------------------------

def _unit_state(unit_file_state, active_state, unit, load_state='loaded'):
    sub = 'dead'
    if active_state == 'active':
        sub = 'listening' if unit.endswith('.socket') else 'running'
    return {'load_state': load_state, 'unit_file_state': unit_file_state,
            'active_state': active_state, 'sub_state': sub}


def _group_table(daemons, how, active):
    table, gone = {}, []
    for daemon in daemons:
        for unit in daemon_units(daemon):
            remote = unit.endswith(('-tcp.socket', '-tls.socket'))
            running = (active == 'active' or (active == 'idle' and unit.endswith('.socket'))) and not remote
            if daemon == PROXY:
                running = False
            if how == 'absent':
                continue
            if how == 'gone':
                table[unit] = _unit_state('masked', 'inactive', unit, 'masked')
                gone.append(unit)
                continue
            if how == 'traditional':
                if unit.endswith('.socket'):
                    table[unit] = _unit_state('masked', 'inactive', unit, 'masked')
                else:
                    table[unit] = _unit_state('enabled', 'active', unit)
                continue
            file_state = {'enabled': 'enabled', 'disabled': 'disabled', 'masked': 'masked'}.get(how, 'enabled')
            if how == 'static' and unit.endswith('.service'):
                file_state = 'static'
            if remote and file_state == 'enabled':
                file_state = 'disabled'  # enabling a main socket never enables a port
            if daemon == PROXY and how != 'masked':
                file_state = 'disabled'
            table[unit] = _unit_state(file_state, 'active' if running else 'inactive', unit,
                                      'masked' if file_state == 'masked' else 'loaded')
    for unit, st in table.items():
        if unit.endswith('.socket') and unit not in gone:
            st.update(base_settings(unit))
    return table, gone


def host_units(state):
    """(unit table, units whose unit file is gone, traditional) as the fake systemd takes them."""
    table, gone = {}, []
    for daemons, how, active in ((MONO, state['mono'], state['mono_active']),
                                 (MODULAR + (PROXY,), state['modular'], state['modular_active'])):
        part, part_gone = _group_table(daemons, how, active)
        table.update(part)
        gone.extend(part_gone)
    shared_on = state['shared'] == 'on'
    for unit in SHARED_UNITS:
        socket = unit.endswith('.socket')
        table[unit] = _unit_state('enabled' if shared_on and socket else ('static' if not socket else 'disabled'),
                                  'active' if shared_on and socket else 'inactive', unit)
        if socket:
            table[unit].update(base_settings(unit))
    return table, sorted(gone), state['mono'] == 'traditional'


def earlier_setting(unit):
    return {'socket_group': GROUP, 'socket_mode': MODE} if is_read_write_socket(unit) else {}


def is_read_write_socket(unit):
    name = unit[:-len('.socket')] if unit.endswith('.socket') else ''
    return bool(name) and not name.endswith(('-ro', '-admin', '-tcp', '-tls')) and not name.startswith(
        ('virtlogd', 'virtlockd'))


def dropins(state, table):
    """{socket: (drop-in text, settings it sets)} of the collection's drop-ins on this host."""
    if state['dropins'] == 'absent':
        return {}
    found = {}
    for unit, st in sorted(table.items()):
        if not is_read_write_socket(unit) or st['load_state'] == 'not-found' or unit.startswith(PROXY):
            continue
        if state['mono'] == 'gone' and unit.startswith('libvirtd') or \
                state['modular'] == 'gone' and not unit.startswith('libvirtd'):
            continue
        text = render({'SocketGroup': GROUP, 'SocketMode': MODE})
        settings = {'socket_group': GROUP, 'socket_mode': MODE}
        if state['dropins'] == 'hand-edited':
            text = text.replace('SocketMode=' + MODE, 'SocketMode=' + HAND_MODE) + '# edited by hand\n'
            settings['socket_mode'] = HAND_MODE
        found[unit] = (text, settings)
    return found


def host_files(state):
    """Files the state puts on the host besides the unit table: {role: content}."""
    files = {}
    if state['guests'] != 'none':
        files['guest'] = "<domstatus state='{0}' reason='booted' pid='4242'>\n</domstatus>\n".format(state['guests'])
    if state['mono'] == 'traditional':
        files['libvirtd_args'] = 'LIBVIRTD_ARGS="--listen"\n'
    return files


def request(state, tls_paths=None):
    """The module arguments of a state."""
    args = {'state': state['state'], 'mode': state['mode'], 'drivers': ['qemu', 'network'],
            'other_mode_units': state['other'], 'allow_switch_with_running_guests': state['allow'] == 'yes'}
    if state['settings'] != 'off':
        args.update(socket_group=GROUP, socket_mode=MODE)
    if state['settings'] == 'tls-listen':
        args.update(remote='tls', listen_address=LISTEN)
        args.update(tls_paths or {})
    return args


def wanted_units(mode, settings):
    """What the request asks for, written out (the module's documented unit lists)."""
    if mode == 'monolithic':
        units = ['libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket']
        if settings == 'tls-listen':
            units.append('libvirtd-tls.socket')
        units.append('libvirtd.service')
    else:
        units = ['{0}{1}.socket'.format(daemon, kind) for daemon in MODULAR for kind in ('', '-ro', '-admin')]
        if settings == 'tls-listen':
            units += ['virtproxyd.socket', 'virtproxyd-ro.socket', 'virtproxyd-admin.socket', 'virtproxyd-tls.socket']
    units += ['virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket', 'virtlockd-admin.socket']
    if mode == 'modular':
        units.append('virtqemud.service')
    return units


def wanted_settings(unit, settings):
    """The socket settings a success must leave running on a wanted socket."""
    wanted = dict((key, value) for key, value in base_settings(unit).items())
    if settings != 'off' and is_read_write_socket(unit):
        wanted.update(socket_group=GROUP, socket_mode=MODE)
    if settings == 'tls-listen' and unit.endswith('-tls.socket'):
        wanted['listen'] = '{0}:16514 (Stream)'.format(LISTEN)
    return wanted


def other_units(mode):
    if mode == 'monolithic':
        return [unit for daemon in MODULAR + (PROXY,) for unit in daemon_units(daemon)]
    return daemon_units('libvirtd')


def real_sample(states):
    """A fixed sample for real systemd: spread over the list, every family of interest in it."""
    wanted = [lambda s: s['mono'] == 'traditional', lambda s: s['dropins'] == 'interrupted',
              lambda s: s['mono'] == 'gone' or s['modular'] == 'gone', lambda s: s['guests'] != 'none',
              lambda s: s['settings'] == 'tls-listen', lambda s: s['state'] == 'restarted']
    rng = random.Random(SEED)
    picked = []
    for test in wanted:
        picked.extend(rng.sample([s for s in states if test(s) and s not in picked], 2))
    rest = [s for s in states if s not in picked]
    picked.extend(rng.sample(rest, REAL_SAMPLE - len(picked)))
    return sorted(picked, key=states.index)


REAL_FAULTS = ('none', 'socket-cannot-bind', 'none', 'readonly-dropin-dir', 'no-bus')


def real_expectations(mode, settings):
    """{unit: what clients must see} for the wanted units of one mode: the socket file's
    group and mode where a setting asks for them (else the unit's own), the TCP listener."""
    expect = OrderedDict()
    for unit in wanted_units(mode, settings):
        want = OrderedDict()
        listen = base_settings(unit)['listen'].split(' (', 1)[0] if unit.endswith('.socket') else ''
        if listen.startswith('/'):
            want['path'] = listen
        wanted = wanted_settings(unit, settings)
        if settings != 'off' and is_read_write_socket(unit):
            want['group'] = wanted['socket_group']
            want['mode'] = wanted['socket_mode'].lstrip('0')
        if unit.endswith('-tls.socket') and settings == 'tls-listen':
            want['listen'] = wanted['listen'].split(' (', 1)[0]
        expect[unit] = want
    return expect


def real_states():
    """The sample as the real-systemd scenario reads it (molecule/states/vars/states.json)."""
    states = generate()
    out = []
    for number, state in enumerate(real_sample(states)):
        table, gone, traditional = host_units(state)
        out.append(OrderedDict([
            ('id', state_id(state)),
            ('dims', OrderedDict((name, state[name]) for name in DIMENSIONS)),
            ('fault', REAL_FAULTS[number % len(REAL_FAULTS)]),
            ('units', OrderedDict(sorted((unit, OrderedDict([('file', st['unit_file_state']),
                                                             ('active', st['active_state'])]))
                                         for unit, st in table.items()))),
            ('gone', gone),
            ('traditional', traditional),
            ('dropins', OrderedDict(sorted((unit, text) for unit, (text, dummy) in dropins(state, table).items()))),
            ('files', OrderedDict(sorted(host_files(state).items()))),
            ('args', OrderedDict(sorted(request(state).items()))),
            ('expect', OrderedDict((mode, real_expectations(mode, state['settings']))
                                   for mode in ('modular', 'monolithic'))),
            ('other', OrderedDict((mode, other_units(mode)) for mode in ('modular', 'monolithic'))),
        ]))
    return out


def real_states_json():
    return json.dumps({'kvmhost_test_states': real_states()}, indent=1, sort_keys=False) + '\n'


if __name__ == '__main__':
    print(real_states_json(), end='')
