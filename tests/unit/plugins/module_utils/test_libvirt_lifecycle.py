# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_lifecycle import (
    DAEMON_ACTIONS,
    NO_STOP_DROPIN,
    armed,
    check,
    guests_lines,
    leave_steps,
    left_on,
    parse_version,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_distros import env_file


@pytest.mark.parametrize('text, version', [
    ('virtqemud (libvirt) 11.3.0\n', (11, 3, 0)),
    ('libvirtd (libvirt) 9.0.0\n', (9, 0, 0)),
    ('libvirtd (libvirt) 12.10\n', (12, 10, 0)),
    ('', None),
    ('virtqemud: command not found', None),
])
def test_parse_version(text, version):
    assert parse_version(text) == version


@pytest.mark.parametrize('version, names', [
    ((9, 0, 0), ['9.0.0', '>= 11.2.0', 'libvirt-guests']),
    ((11, 1, 0), ['11.1.0', '>= 11.2.0']),
    (None, ['could not be read', '>= 11.2.0']),
])
def test_daemon_refused_below_11_2(version, names):
    with pytest.raises(LibvirtInputError) as exc:
        check('daemon', version, [], {}, {})
    for name in names:
        assert name in str(exc.value)


@pytest.mark.parametrize('version, warned', [((11, 2, 0), True), ((11, 6, 9), True), ((11, 7, 0), False), ((12, 8, 0), False)])
def test_daemon_warned_below_11_7(version, warned):
    conf, lines, warnings = check('daemon', version, [], {}, {})
    assert bool(warnings) is warned
    if warned:
        assert '11.7.0' in warnings[0]
    assert conf['auto_shutdown_try_save'] == 'persistent' and conf['auto_shutdown_restore'] is True
    assert lines == []


def test_daemon_settings_over_defaults():
    conf, dummy, dummy = check('daemon', (11, 7, 0), [], {'auto_shutdown_try_save': 'none', 'auto_shutdown_wait': 90}, {})
    assert conf['auto_shutdown_try_save'] == 'none' and conf['auto_shutdown_wait'] == 90
    assert conf['auto_shutdown_poweroff'] == 'all'


@pytest.mark.parametrize('settings, names', [
    ({'auto_shutdown_try_save': 'all'}, ['auto_shutdown_try_save', "'all'", 'none, persistent']),
    ({'auto_shutdown_wait': -1}, ['auto_shutdown_wait', 'whole number']),
    ({'auto_shutdown_wait': '30'}, ['auto_shutdown_wait', "'30'"]),
    ({'auto_shutdown_restore': 'yes'}, ['auto_shutdown_restore', 'true or false']),
    ({'auto_start_delay': True}, ['auto_start_delay', 'whole number']),
    ({'auto_shutdown_everything': 'all'}, ['auto_shutdown_everything', 'allowed are auto_shutdown_try_save']),
])
def test_daemon_settings_refused(settings, names):
    with pytest.raises(LibvirtInputError) as exc:
        check('daemon', (11, 7, 0), [], settings, {})
    for name in names:
        assert name in str(exc.value)


@pytest.mark.parametrize('mechanism, version, expected', [
    ('libvirt-guests', (11, 3, 0), dict((key, 'none') for key in DAEMON_ACTIONS)),
    ('none', (11, 2, 0), dict((key, 'none') for key in DAEMON_ACTIONS)),
    # libvirt before 11.2 has no such settings: nothing is written
    ('libvirt-guests', (9, 0, 0), {}),
    ('none', None, {}),
])
def test_other_mechanisms_write_the_daemon_off(mechanism, version, expected):
    conf, dummy, warnings = check(mechanism, version, [], {}, {})
    assert conf == expected and warnings == []


@pytest.mark.parametrize('mechanism', ['daemon', 'none'])
def test_libvirt_guests_in_extra_units_refused_with_another_mechanism(mechanism):
    with pytest.raises(LibvirtInputError) as exc:
        check(mechanism, (11, 7, 0), ['tuned.service', 'libvirt-guests.service'], {}, {})
    for name in ('kvmhost_services', 'kvmhost_setup_guest_lifecycle', 'libvirt-guests.service', repr(mechanism)):
        assert name in str(exc.value)


def test_libvirt_guests_in_extra_units_accepted_with_libvirt_guests():
    assert check('libvirt-guests', (9, 0, 0), ['libvirt-guests.service'], {}, {})[0] == {}


def test_guests_lines():
    lines = guests_lines({'ON_SHUTDOWN': 'suspend', 'ON_BOOT': 'start', 'BYPASS_CACHE': True, 'SHUTDOWN_TIMEOUT': 120})
    # in the table's order, booleans 1/0
    assert [item['line'] for item in lines] == ['ON_BOOT=start', 'ON_SHUTDOWN=suspend', 'SHUTDOWN_TIMEOUT=120',
                                                'BYPASS_CACHE=1']


@pytest.mark.parametrize('settings, names', [
    ({'ON_BOOT': 'start; reboot'}, ['ON_BOOT', 'start, ignore']),
    ({'ON_SHUTDOWN': 'destroy'}, ['ON_SHUTDOWN', 'suspend, shutdown']),
    ({'URIS': 'qemu:///system'}, ['URIS', 'allowed are ON_BOOT']),
    ({'START_DELAY': '5'}, ['START_DELAY']),
    ('ON_BOOT=start', ['must be a dict']),
])
def test_guests_lines_refused(settings, names):
    with pytest.raises(LibvirtInputError) as exc:
        check('libvirt-guests', (11, 3, 0), [], {}, settings)
    for name in names:
        assert name in str(exc.value)


@pytest.mark.parametrize('text, expected', [
    (None, {}),
    ('#auto_shutdown_try_save = "persistent"\n', {}),
    ('auto_shutdown_try_save = "persistent"\nauto_shutdown_poweroff = "none"\n', {'auto_shutdown_try_save': 'persistent'}),
    ('  auto_shutdown_poweroff="all"  # on\n', {'auto_shutdown_poweroff': 'all'}),
    ('auto_shutdown_try_save = "none"\nauto_shutdown_try_shutdown = "none"\nauto_shutdown_poweroff = "none"\n', {}),
    # the last line of a setting wins, as in libvirt
    ('auto_shutdown_try_save = "persistent"\nauto_shutdown_try_save = "none"\n', {}),
    ('auto_shutdown_wait = 30\nauto_shutdown_restore = 1\n', {}),
])
def test_armed(text, expected):
    assert armed(text) == expected


@pytest.mark.parametrize('state, verbs', [
    ({'unit_file_state': 'enabled', 'active_state': 'active'},
     ['write', 'daemon-reload', 'stop', 'remove', 'daemon-reload', 'disable']),
    ({'unit_file_state': 'disabled', 'active_state': 'active'}, ['write', 'daemon-reload', 'stop', 'remove', 'daemon-reload']),
    ({'unit_file_state': 'enabled', 'active_state': 'inactive'}, ['disable']),
    ({'unit_file_state': 'disabled', 'active_state': 'inactive'}, []),
    ({'unit_file_state': 'masked', 'active_state': 'inactive'}, []),
    ({'load_state': 'not-found', 'unit_file_state': '', 'active_state': 'inactive'}, []),
])
def test_leave_steps(state, verbs):
    steps = leave_steps(state)
    assert [step[0] for step in steps] == verbs
    if 'stop' in verbs:
        # the stop runs while the drop-in that empties ExecStop is loaded, and it goes right after
        write, stop, remove = verbs.index('write'), verbs.index('stop'), verbs.index('remove')
        assert write < stop < remove and verbs[write + 1] == 'daemon-reload' and verbs[remove + 1] == 'daemon-reload'
        assert steps[write][1] == NO_STOP_DROPIN and steps[write][2].splitlines()[-1] == 'ExecStop='
    assert bool(left_on(state)) is bool(verbs)


@pytest.mark.parametrize('facts, path', [
    ({'distribution': 'Debian', 'os_family': 'Debian'}, '/etc/default/libvirt-guests'),
    ({'distribution': 'Ubuntu', 'os_family': 'Debian'}, '/etc/default/libvirt-guests'),
    ({'distribution': 'Rocky', 'os_family': 'RedHat'}, '/etc/sysconfig/libvirt-guests'),
    ({'distribution': 'Fedora', 'os_family': 'RedHat'}, '/etc/sysconfig/libvirt-guests'),
    ({'distribution': 'Gentoo', 'os_family': 'Gentoo'}, None),
])
def test_env_file(facts, path):
    assert env_file(facts, 'libvirt-guests') == path
