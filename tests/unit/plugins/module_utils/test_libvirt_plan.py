# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    all_known_units,
    daemon_units_all,
    mode_units,
    other_mode_units,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_plan import (
    is_changing,
    plan,
    companion_services,
    predict,
    restart_plan,
    restore_plan,
    service_of_socket,
    socket_of_service,
    state_diff,
    switch_blocked,
    verify,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_units import daemon_units
from ansible_collections.kvmhost.setup.tests.unit.plugins.unit_states import host, masked, missing, off, on, shared_units, state

MONO_SOCKETS = ['libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket']
QEMU_NET = daemon_units_all('virtqemud') + daemon_units_all('virtnetworkd')


def make_host(*layers):
    """Every catalogued unit not found, then each layer (dict) on top."""
    units = host(all_known_units(), missing)
    for layer in layers:
        units.update(layer)
    return units


# fresh EL10: modular units installed, libvirtd not installed at all
FRESH_MODULAR = make_host(host(QEMU_NET + daemon_units_all('virtproxyd') + shared_units(), off))
# fresh Debian: libvirtd installed and nothing enabled yet, no modular units
FRESH_MONOLITHIC = make_host(host(mode_units('monolithic') + shared_units(), off))
# an upgraded EL9 host in monolithic use, modular units installed too
MONOLITHIC_IN_USE = make_host(
    host(QEMU_NET + daemon_units_all('virtproxyd') + mode_units('monolithic') + shared_units(), off),
    host(['libvirtd.service'] + MONO_SOCKETS
         + ['virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket', 'virtlockd-admin.socket'], on),
    {'virtlogd.service': state('static', 'active', unit='virtlogd.service')},
)
# a modular host: virtqemud busy, virtnetworkd idle (exited after 120 s), virtproxyd for old clients,
# libvirtd masked by an earlier switch
MODULAR_IN_USE = make_host(
    host(QEMU_NET + daemon_units_all('virtproxyd') + shared_units(), off),
    host(mode_units('monolithic'), masked),
    host(['virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket', 'virtqemud.service',
          'virtnetworkd.socket', 'virtnetworkd-ro.socket', 'virtnetworkd-admin.socket',
          'virtproxyd.socket', 'virtlogd.socket', 'virtlockd.socket'], on),
    {'virtnetworkd.service': state('disabled', 'inactive')},
)

WANT_QEMU_NET = daemon_units(['qemu', 'network'], sockets=['main'])
WANT_QEMU_NET_ALL = daemon_units(['qemu', 'network'])
WANT_MONO = daemon_units(['qemu'], mode='monolithic', sockets=['main'])

# monolithic again after an earlier switch masked every modular unit, services included
MONOLITHIC_MODULAR_MASKED = dict(MONOLITHIC_IN_USE, **host(QEMU_NET + daemon_units_all('virtproxyd'), masked))

TRANSITIONS = {
    'fresh modular': (WANT_QEMU_NET, FRESH_MODULAR, 'modular', [
        ['enable', 'virtqemud.socket', 'virtnetworkd.socket', 'virtlogd.socket', 'virtlockd.socket',
         'virtqemud.service'],
        ['start', 'virtqemud.socket', 'virtnetworkd.socket', 'virtlogd.socket', 'virtlockd.socket'],
        # sockets first, then the hypervisor daemon, so autostart guests start at once
        ['start', 'virtqemud.service'],
    ]),
    'fresh monolithic': (WANT_MONO, FRESH_MONOLITHIC, 'monolithic', [
        ['enable', 'libvirtd.socket', 'libvirtd.service', 'virtlogd.socket', 'virtlockd.socket'],
        ['start', 'libvirtd.socket', 'virtlogd.socket', 'virtlockd.socket'],
        ['start', 'libvirtd.service'],
    ]),
    'monolithic to modular': (WANT_QEMU_NET_ALL, MONOLITHIC_IN_USE, 'modular', [
        ['stop', 'libvirtd.service'],
        ['stop'] + MONO_SOCKETS,
        ['disable', 'libvirtd.service'] + MONO_SOCKETS,
        ['mask'] + mode_units('monolithic'),
        # the shared sockets are enabled again: disabling libvirtd.service may drop them (Also=)
        ['enable', 'virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket',
         'virtnetworkd.socket', 'virtnetworkd-ro.socket', 'virtnetworkd-admin.socket',
         'virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket', 'virtlockd-admin.socket',
         'virtqemud.service'],
        ['start', 'virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket',
         'virtnetworkd.socket', 'virtnetworkd-ro.socket', 'virtnetworkd-admin.socket'],
        ['start', 'virtqemud.service'],
    ]),
    'monolithic to modular, modular set masked': (WANT_QEMU_NET, MONOLITHIC_MODULAR_MASKED, 'modular', [
        ['stop', 'libvirtd.service'],
        ['stop'] + MONO_SOCKETS,
        ['disable', 'libvirtd.service'] + MONO_SOCKETS,
        ['mask'] + mode_units('monolithic'),
        # the services behind the sockets are unmasked too, or the sockets refuse to start
        ['unmask', 'virtqemud.socket', 'virtnetworkd.socket', 'virtqemud.service', 'virtnetworkd.service'],
        ['enable', 'virtqemud.socket', 'virtnetworkd.socket', 'virtlogd.socket', 'virtlockd.socket',
         'virtqemud.service'],
        ['start', 'virtqemud.socket', 'virtnetworkd.socket'],
        ['start', 'virtqemud.service'],
    ]),
    'modular to monolithic': (WANT_MONO, MODULAR_IN_USE, 'monolithic', [
        ['stop', 'virtqemud.service'],
        ['stop', 'virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket',
         'virtnetworkd.socket', 'virtnetworkd-ro.socket', 'virtnetworkd-admin.socket', 'virtproxyd.socket'],
        ['disable', 'virtqemud.service', 'virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket',
         'virtnetworkd.socket', 'virtnetworkd-ro.socket', 'virtnetworkd-admin.socket', 'virtproxyd.socket'],
        ['mask'] + QEMU_NET + daemon_units_all('virtproxyd'),
        ['unmask', 'libvirtd.socket', 'libvirtd.service'],
        # disabling virtqemud.service disabled virtlogd.socket and virtlockd.socket (Also=)
        ['enable', 'libvirtd.socket', 'libvirtd.service', 'virtlogd.socket', 'virtlockd.socket'],
        ['start', 'libvirtd.socket'],
        ['start', 'libvirtd.service'],
    ]),
}


@pytest.mark.parametrize('name', sorted(TRANSITIONS))
def test_transition(name):
    wanted, current, mode, expected = TRANSITIONS[name]
    steps = plan(wanted, current, other_mode_units(mode))
    assert steps == expected
    assert is_changing(steps)


@pytest.mark.parametrize('name', sorted(TRANSITIONS))
def test_transition_converges(name):
    wanted, current, mode, dummy = TRANSITIONS[name]
    after = predict(current, plan(wanted, current, other_mode_units(mode)))
    assert plan(wanted, after, other_mode_units(mode)) == []
    assert verify(wanted, after, other_mode_units(mode)) == []


@pytest.mark.parametrize('name', sorted(TRANSITIONS))
def test_shared_daemons_never_touched(name):
    wanted, current, mode, dummy = TRANSITIONS[name]
    other = other_mode_units(mode) + shared_units()
    current = dict(current, **host(shared_units(), on))
    for step in plan(wanted, current, other):
        assert step[0] not in ('restart', 'reload', 'try-restart', 'reload-or-restart')
        if step[0] in ('stop', 'disable', 'mask'):
            assert not [unit for unit in step[1:] if unit.startswith(('virtlogd', 'virtlockd'))]


def test_shared_daemons_listed_as_other_only():
    current = host(shared_units(), on)
    assert plan([], current, shared_units() + ['virtlogd-ro.socket']) == []
    assert verify([], current, shared_units()) == []


def test_converged_host_has_empty_plan():
    wanted = WANT_QEMU_NET_ALL
    current = make_host(host(QEMU_NET + shared_units(), on), host(mode_units('monolithic'), masked),
                        {'virtqemud.service': state('enabled', 'inactive')})
    assert plan(wanted, current, other_mode_units('modular')) == []
    assert verify(wanted, current, other_mode_units('modular')) == []


def test_other_units_not_installed_are_skipped():
    # libvirtd-tcp.socket does not exist on this host: never asked to stop, disable or mask it
    current = make_host(host(['libvirtd.service', 'libvirtd.socket'], on), host(['virtqemud.socket'], off))
    steps = plan(['virtqemud.socket'], current, other_mode_units('modular'))
    assert steps == [
        ['stop', 'libvirtd.service'],
        ['stop', 'libvirtd.socket'],
        ['disable', 'libvirtd.service', 'libvirtd.socket'],
        ['mask', 'libvirtd.service', 'libvirtd.socket'],
        ['enable', 'virtqemud.socket'],
        ['start', 'virtqemud.socket'],
    ]


@pytest.mark.parametrize('action, expected', [
    ('mask', [['stop', 'libvirtd.service'], ['stop', 'libvirtd.socket'],
              ['disable', 'libvirtd.service', 'libvirtd.socket'],
              ['mask', 'libvirtd.service', 'libvirtd.socket', 'libvirtd-ro.socket'],
              ['enable', 'virtqemud.socket']]),
    ('disable', [['stop', 'libvirtd.service'], ['stop', 'libvirtd.socket'],
                 ['disable', 'libvirtd.service', 'libvirtd.socket'], ['enable', 'virtqemud.socket']]),
    ('keep', []),
])
def test_other_mode_action(action, expected):
    current = {
        'libvirtd.service': on('libvirtd.service'),
        'libvirtd.socket': on('libvirtd.socket'),
        'libvirtd-ro.socket': off(),
        'libvirtd-tcp.socket': missing(),
        'virtqemud.socket': on('virtqemud.socket'),
    }
    steps = plan(['virtqemud.socket'], current, ['libvirtd.service', 'libvirtd.socket', 'libvirtd-ro.socket',
                                                 'libvirtd-tcp.socket'], other_action=action)
    assert steps == expected
    assert verify(['virtqemud.socket'], predict(current, steps), list(current), other_action=action) == []


@pytest.mark.parametrize('other_state, expected', [
    (masked(), []),
    (state('masked-runtime', 'inactive', load_state='masked'), [['mask', 'libvirtd.socket']]),
    (state('enabled-runtime', 'inactive'), [['disable', 'libvirtd.socket'], ['mask', 'libvirtd.socket'],
                                            ['enable', 'virtqemud.socket']]),
    (state('linked', 'inactive'), [['disable', 'libvirtd.socket'], ['mask', 'libvirtd.socket'],
                                   ['enable', 'virtqemud.socket']]),
    (state('static', 'failed'), [['mask', 'libvirtd.socket']]),
    (state('masked', 'active', load_state='masked'), [['stop', 'libvirtd.socket']]),
    (state('disabled', 'activating'), [['stop', 'libvirtd.socket'], ['mask', 'libvirtd.socket']]),
])
def test_other_unit_states(other_state, expected):
    current = {'libvirtd.socket': other_state, 'virtqemud.socket': on('virtqemud.socket')}
    assert plan(['virtqemud.socket'], current, ['libvirtd.socket']) == expected


@pytest.mark.parametrize('wanted_state, expected', [
    (on('virtqemud-ro.socket'), []),
    # enabled through the main socket's Also=
    (state('enabled', 'active', sub_state='listening'), []),
    # freshly installed sub-socket
    (off(), [['enable', 'virtqemud-ro.socket'], ['start', 'virtqemud-ro.socket']]),
    # enabled only until reboot: enable persistently
    (state('enabled-runtime', 'active'), [['enable', 'virtqemud-ro.socket']]),
    (state('static', 'active'), []),
    (state('indirect', 'active'), []),
    (state('alias', 'active'), []),
    (state('generated', 'active'), []),
    (state('transient', 'active'), []),
    (state('linked', 'active'), [['enable', 'virtqemud-ro.socket']]),
    (state('enabled', 'failed'), [['start', 'virtqemud-ro.socket']]),
    (state('enabled', 'deactivating'), [['start', 'virtqemud-ro.socket']]),
    (state('enabled', 'activating'), []),
    (masked(), [['unmask', 'virtqemud-ro.socket'], ['enable', 'virtqemud-ro.socket'],
                ['start', 'virtqemud-ro.socket']]),
])
def test_wanted_socket_states(wanted_state, expected):
    current = {'virtqemud-ro.socket': wanted_state}
    steps = plan(['virtqemud-ro.socket'], current)
    assert steps == expected
    assert verify(['virtqemud-ro.socket'], predict(current, steps)) == []


@pytest.mark.parametrize('service, sock, expected', [
    # idle socket-activated daemon: healthy, not started
    (state('enabled', 'inactive'), on('virtqemud.socket'), []),
    (state('enabled', 'active'), on('virtqemud.socket'), []),
    # enabling it is a change: then it is started too (autostart guests start at once)
    (state('disabled', 'inactive'), on('virtqemud.socket'),
     [['enable', 'virtqemud.service'], ['start', 'virtqemud.service']]),
    # no listening socket: the service itself is started
    (state('enabled', 'inactive'), off(), [['start', 'virtqemud.service']]),
    (state('enabled', 'inactive'), missing(), [['start', 'virtqemud.service']]),
])
def test_wanted_service_socket_activation(service, sock, expected):
    current = {'virtqemud.service': service, 'virtqemud.socket': sock}
    assert plan(['virtqemud.service'], current) == expected


def test_service_started_after_its_socket_on_first_setup():
    current = {'virtqemud.service': off(), 'virtqemud.socket': off()}
    assert plan(['virtqemud.socket', 'virtqemud.service'], current) == [
        ['enable', 'virtqemud.socket', 'virtqemud.service'],
        ['start', 'virtqemud.socket'],
        ['start', 'virtqemud.service'],
    ]


def test_idle_service_left_to_its_socket_when_nothing_else_changes():
    current = {'virtqemud.service': state('enabled', 'inactive'), 'virtqemud.socket': on('virtqemud.socket')}
    assert plan(['virtqemud.socket', 'virtqemud.service'], current) == []


@pytest.mark.parametrize('extra_state, expected', [
    (off(), [['enable', 'tuned.service'], ['start', 'tuned.service']]),
    (on('tuned.service'), []),
    (state('enabled', 'inactive'), [['start', 'tuned.service']]),
    (state('disabled', 'active'), [['enable', 'tuned.service']]),
    (masked(), [['unmask', 'tuned.service'], ['enable', 'tuned.service'], ['start', 'tuned.service']]),
])
def test_extra_units_last(extra_state, expected):
    current = {'virtqemud.socket': off(), 'tuned.service': extra_state, 'tuned.socket': on('tuned.socket')}
    steps = plan(['virtqemud.socket'], current, extra=['tuned.service'])
    # extra units have no socket-activation logic and come after the libvirt units
    assert steps == [['enable', 'virtqemud.socket'], ['start', 'virtqemud.socket']] + expected
    assert verify(['virtqemud.socket'], predict(current, steps), extra=['tuned.service']) == []


def test_extra_already_wanted_not_repeated():
    current = {'virtqemud.socket': off()}
    assert plan(['virtqemud.socket'], current, extra=['virtqemud.socket']) == [
        ['enable', 'virtqemud.socket'], ['start', 'virtqemud.socket']]


def test_daemon_reload_position():
    wanted, current, mode, expected = TRANSITIONS['monolithic to modular']
    steps = plan(wanted, current, other_mode_units(mode), daemon_reload=True)
    assert steps == expected[:4] + [['daemon-reload']] + expected[4:]


def test_daemon_reload_alone_is_not_a_change():
    steps = plan(['virtqemud.socket'], {'virtqemud.socket': on('virtqemud.socket')}, daemon_reload=True)
    assert steps == [['daemon-reload']]
    assert not is_changing(steps)
    assert not is_changing([])


@pytest.mark.parametrize('shared_state, reenabled', [
    (on('virtlogd.socket'), True),
    (state('enabled-runtime', 'active'), True),
    (state('static', 'active'), False),
])
def test_disable_step_reenables_wanted_units(shared_state, reenabled):
    # `systemctl disable virtqemud.service` follows Also= to virtlogd.socket: enable it again
    current = {'virtqemud.service': on('virtqemud.service'), 'virtlogd.socket': shared_state,
               'libvirtd.socket': on('libvirtd.socket')}
    steps = plan(['libvirtd.socket', 'virtlogd.socket'], current, ['virtqemud.service'])
    assert steps == [
        ['stop', 'virtqemud.service'],
        ['disable', 'virtqemud.service'],
        ['mask', 'virtqemud.service'],
        # every wanted unit that is enabled is enabled again; static ones cannot be
        ['enable', 'libvirtd.socket'] + (['virtlogd.socket'] if reenabled else []),
    ]


def test_no_disable_step_no_reenable():
    current = {'virtqemud.service': masked(), 'virtlogd.socket': on('virtlogd.socket'),
               'libvirtd.socket': on('libvirtd.socket')}
    assert plan(['libvirtd.socket', 'virtlogd.socket'], current, ['virtqemud.service']) == []


def test_wanted_unit_never_in_other():
    current = {'libvirtd.socket': on('libvirtd.socket')}
    assert plan(['libvirtd.socket'], current, ['libvirtd.socket']) == []


def test_plan_bad_other_action():
    with pytest.raises(LibvirtInputError, match="'purge'.*mask, disable, keep"):
        plan([], {}, other_action='purge')
    with pytest.raises(LibvirtInputError, match="'purge'"):
        verify([], {}, other_action='purge')


def test_predict():
    current = {'a.service': on('a.service'), 'b.socket': off(), 'c.socket': masked()}
    after = predict(current, [['stop', 'a.service'], ['mask', 'a.service'], ['unmask', 'c.socket'],
                              ['enable', 'b.socket', 'c.socket'], ['start', 'b.socket', 'c.socket', 'd.timer'],
                              ['daemon-reload']])
    assert after['a.service'] == state('masked', 'inactive', load_state='masked')
    assert after['b.socket'] == state('enabled', 'active', sub_state='listening')
    assert after['c.socket'] == state('enabled', 'active', sub_state='listening')
    assert after['d.timer']['active_state'] == 'active'
    assert after['d.timer']['sub_state'] == 'waiting'
    assert current['a.service'] == on('a.service')


def test_state_diff():
    before = {'libvirtd.socket': on('libvirtd.socket')}
    after = predict(before, [['stop', 'libvirtd.socket'], ['mask', 'libvirtd.socket']])
    assert state_diff(before, after, ['libvirtd.socket', 'gone.socket']) == {
        'before': {'libvirtd.socket': 'enabled/active', 'gone.socket': 'not-found'},
        'after': {'libvirtd.socket': 'masked/inactive', 'gone.socket': 'not-found'},
    }


@pytest.mark.parametrize('wanted, current, other, action, extra, drift', [
    (['virtqemud.socket'], {'virtqemud.socket': on('virtqemud.socket')}, [], 'mask', [], []),
    (['virtqemud.socket'], {'virtqemud.socket': state('enabled', 'inactive')}, [], 'mask', [],
     [('virtqemud.socket', 'not active (inactive/dead)')]),
    (['virtqemud.socket'], {'virtqemud.socket': state('disabled', 'active')}, [], 'mask', [],
     [('virtqemud.socket', 'not enabled (disabled)')]),
    (['virtqemud.socket'], {'virtqemud.socket': off()}, [], 'mask', [],
     [('virtqemud.socket', 'not enabled (disabled), not active (inactive/dead)')]),
    (['virtqemud.socket'], {'virtqemud.socket': state('enabled-runtime', 'active')}, [], 'mask', [],
     [('virtqemud.socket', 'not enabled (enabled-runtime)')]),
    (['virtqemud.socket'], {'virtqemud.socket': masked()}, [], 'mask', [], [('virtqemud.socket', 'masked')]),
    (['virtqemud.socket'], {}, [], 'mask', [], [('virtqemud.socket', 'not installed')]),
    # idle socket-activated service is healthy
    (['virtqemud.service'], {'virtqemud.service': state('enabled', 'inactive'),
                             'virtqemud.socket': on('virtqemud.socket')}, [], 'mask', [], []),
    (['virtqemud.service'], {'virtqemud.service': state('enabled', 'failed'),
                             'virtqemud.socket': off()}, [], 'mask', [],
     [('virtqemud.service', 'its socket virtqemud.socket is not listening')]),
    (['virtqemud.service'], {'virtqemud.service': state('static', 'active')}, [], 'mask', [], []),
    # extra units must run themselves
    ([], {'tuned.service': state('enabled', 'inactive'), 'tuned.socket': on()}, [], 'mask', ['tuned.service'],
     [('tuned.service', 'not active')]),
    # the other set
    ([], {'libvirtd.service': on('libvirtd.service')}, ['libvirtd.service'], 'mask', [],
     [('libvirtd.service', 'still active (active/running), other mode unit not masked (enabled)')]),
    ([], {'libvirtd.service': off()}, ['libvirtd.service'], 'mask', [],
     [('libvirtd.service', 'not masked (disabled)')]),
    ([], {'libvirtd.service': off()}, ['libvirtd.service'], 'disable', [], []),
    ([], {'libvirtd.service': state('enabled', 'inactive')}, ['libvirtd.service'], 'disable', [],
     [('libvirtd.service', 'still enabled (enabled)')]),
    ([], {'libvirtd.service': on('libvirtd.service')}, ['libvirtd.service'], 'keep', [], []),
    ([], {'libvirtd.service': missing()}, ['libvirtd.service'], 'mask', [], []),
    ([], {'libvirtd.service': masked()}, ['libvirtd.service'], 'mask', [], []),
    ([], {'virtlogd.service': on('virtlogd.service')}, ['virtlogd.service'], 'mask', [], []),
])
def test_verify(wanted, current, other, action, extra, drift):
    got = verify(wanted, current, other, action, extra)
    assert [d['unit'] for d in got] == [unit for unit, dummy in drift]
    for item, (unit, reason) in zip(got, drift):
        assert reason in item['reason']


RUNNING = {'libvirtd.service': on('libvirtd.service'), 'virtqemud.service': on('virtqemud.service'),
           'virtlxcd.service': on('virtlxcd.service'), 'libvirtd.socket': on('libvirtd.socket')}


@pytest.mark.parametrize('current, other, guests, allow, blocked_by', [
    (RUNNING, ['libvirtd.service', 'libvirtd.socket'], ['web1'], False, 'libvirtd.service'),
    (RUNNING, other_mode_units('monolithic'), ['web1', 'db'], False, 'virtqemud.service, virtlxcd.service'),
    (RUNNING, ['libvirtd.service'], ['web1'], True, None),
    (RUNNING, ['libvirtd.service'], [], False, None),
    # sockets only: guests keep their daemon
    (RUNNING, ['libvirtd.socket'], ['web1'], False, None),
    # the daemon is not running: nothing to stop
    ({'libvirtd.service': off()}, ['libvirtd.service'], ['web1'], False, None),
    ({}, ['libvirtd.service'], ['web1'], False, None),
    # not a hypervisor daemon
    ({'virtnetworkd.service': on('virtnetworkd.service')}, ['virtnetworkd.service'], ['web1'], False, None),
])
def test_switch_blocked(current, other, guests, allow, blocked_by):
    reason = switch_blocked(current, other, guests, allow)
    if blocked_by is None:
        assert reason is None
    else:
        assert blocked_by in reason
        for guest in guests:
            assert guest in reason


@pytest.mark.parametrize('unit, service', [
    ('virtqemud.socket', 'virtqemud.service'),
    ('virtqemud-ro.socket', 'virtqemud.service'),
    ('virtproxyd-tls.socket', 'virtproxyd.service'),
    ('libvirtd-admin.socket', 'libvirtd.service'),
    ('foo.socket', 'foo.service'),
    ('foo@x.socket', None),
    ('virtqemud.service', None),
])
def test_service_of_socket(unit, service):
    assert service_of_socket(unit) == service


def test_companion_services():
    assert companion_services(['virtqemud.socket', 'virtqemud-ro.socket', 'virtnetworkd.socket',
                               'virtqemud.service', 'tuned.service']) == ['virtnetworkd.service']


def test_masked_service_behind_wanted_socket():
    current = {'virtnetworkd.socket': on('virtnetworkd.socket'), 'virtnetworkd.service': masked()}
    assert plan(['virtnetworkd.socket'], current) == [['unmask', 'virtnetworkd.service']]
    drift = verify(['virtnetworkd.socket'], current)
    assert drift == [{'unit': 'virtnetworkd.socket', 'reason': 'its service virtnetworkd.service is masked'}]
    # never masked as part of the other set either
    assert plan(['virtnetworkd.socket'], dict(current, **{'virtnetworkd.service': off()}),
                ['virtnetworkd.service']) == []


def test_masked_service_behind_extra_socket():
    current = {'foo.socket': off(), 'foo.service': masked()}
    assert plan([], current, extra=['foo.socket']) == [
        ['unmask', 'foo.service'], ['enable', 'foo.socket'], ['start', 'foo.socket']]


@pytest.mark.parametrize('unit, sock', [
    ('virtqemud.service', 'virtqemud.socket'),
    ('libvirtd.service', 'libvirtd.socket'),
    ('virtqemud.socket', None),
    ('getty@tty1.service', None),
])
def test_socket_of_service(unit, sock):
    assert socket_of_service(unit) == sock


# ---- restart_plan ----------------------------------------------------------------------------

@pytest.mark.parametrize('active, reload_, expected', [
    ([], False, []),
    ([], True, [['daemon-reload']]),
    # a service alone (its configuration changed): try-restart, sockets untouched
    (['virtqemud.socket', 'virtqemud.service'], False,
     [['stop', 'virtqemud.service'], ['restart', 'virtqemud.socket'], ['start', 'virtqemud.service']]),
    # idle daemon: only the socket is restarted
    (['virtqemud.socket', 'virtlogd.socket', 'virtlockd.socket'], True,
     [['daemon-reload'], ['restart', 'virtqemud.socket']]),
    (['libvirtd.socket', 'libvirtd.service'], False,
     [['stop', 'libvirtd.service'], ['restart', 'libvirtd.socket'], ['start', 'libvirtd.service']]),
])
def test_restart_plan(active, reload_, expected):
    wanted = ['virtqemud.socket', 'virtlogd.socket', 'virtlockd.socket', 'libvirtd.socket']
    current = dict((unit, {'load_state': 'loaded', 'unit_file_state': 'enabled',
                           'active_state': 'active' if unit in active else 'inactive',
                           'sub_state': 'running' if unit in active else 'dead'})
                   for unit in wanted + ['virtqemud.service', 'libvirtd.service'])
    assert restart_plan(wanted, current, reload_) == expected


def test_restart_plan_service_only():
    current = {'virtqemud.service': {'load_state': 'loaded', 'unit_file_state': 'enabled',
                                     'active_state': 'active', 'sub_state': 'running'}}
    assert restart_plan(['virtqemud.service'], current) == [['try-restart', 'virtqemud.service']]
    current['virtqemud.service'].update(active_state='inactive', sub_state='dead')
    assert restart_plan(['virtqemud.service'], current) == []


# ---- restore_plan (rollback) -----------------------------------------------------------------

def test_restore_plan_undoes_a_half_switch():
    before = dict(MONOLITHIC_IN_USE)
    steps = plan(WANT_QEMU_NET, before, other_mode_units('modular'))
    # everything but the last two steps ran: libvirtd stopped and masked, modular enabled
    half = predict(before, steps[:-2])
    undo = restore_plan(before, half, sorted(set(before) | set(half)))
    assert predict(half, undo) == predict(before, [])
    verbs = [step[0] for step in undo]
    assert verbs == ['unmask', 'disable', 'enable', 'start', 'start']
    assert undo[-1] == ['start', 'libvirtd.service']


def test_restore_plan_never_stops_shared_daemons_and_skips_missing_units():
    before = {'virtlogd.socket': off(), 'virtqemud.socket': off()}
    now = {'virtlogd.socket': on('virtlogd.socket'), 'virtqemud.socket': on('virtqemud.socket'),
           'virtlxcd.socket': on('virtlxcd.socket')}
    undo = restore_plan(before, now, ['virtlogd.socket', 'virtqemud.socket', 'virtlxcd.socket'])
    assert ['stop', 'virtqemud.socket'] in undo
    assert not [step for step in undo if step[0] == 'stop' and 'virtlogd.socket' in step]
    assert not [step for step in undo if 'virtlxcd.socket' in step]


def test_restore_plan_of_an_unchanged_host_is_empty():
    assert restore_plan(MONOLITHIC_IN_USE, MONOLITHIC_IN_USE, list(MONOLITHIC_IN_USE)) == []


# ---- remote sockets on a host whose daemon runs ------------------------------------------------

def test_adding_a_socket_under_a_running_service_stops_it_around_the_start():
    """systemd: 'Socket service virtproxyd.service already active, refusing.'"""
    current = {'virtproxyd.socket': on('virtproxyd.socket'), 'virtproxyd.service': on('virtproxyd.service'),
               'virtproxyd-tls.socket': off()}
    steps = plan(['virtproxyd.socket', 'virtproxyd-tls.socket'], current)
    assert steps == [
        ['enable', 'virtproxyd-tls.socket'],
        ['stop', 'virtproxyd.service'],
        ['start', 'virtproxyd-tls.socket'],
        ['start', 'virtproxyd.service'],
    ]


def test_remote_access_turned_off_closes_the_port():
    """A running service keeps a stopped socket's port open: it is stopped and started again."""
    current = {'virtproxyd.socket': on('virtproxyd.socket'), 'virtproxyd.service': on('virtproxyd.service'),
               'virtproxyd-tcp.socket': on('virtproxyd-tcp.socket')}
    steps = plan(['virtproxyd.socket'], current)
    assert steps == [
        ['stop', 'virtproxyd.service'],
        ['stop', 'virtproxyd-tcp.socket'],
        ['disable', 'virtproxyd-tcp.socket'],
        ['start', 'virtproxyd.service'],
    ]
    after = predict(current, steps)
    assert after['virtproxyd-tcp.socket']['active_state'] == 'inactive'
    assert plan(['virtproxyd.socket'], after) == []


def test_unwanted_remote_socket_that_is_off_is_left_alone():
    current = {'libvirtd.socket': on('libvirtd.socket'), 'libvirtd-tls.socket': off()}
    assert plan(['libvirtd.socket'], current) == []
