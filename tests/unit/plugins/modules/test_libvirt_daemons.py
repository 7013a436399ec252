# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import socket
import struct

import pytest

from ansible.module_utils import basic

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    daemon_units_all,
    mode_units,
)
from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_dropins, libvirt_host, libvirt_mode
from ansible_collections.kvmhost.setup.tests.unit.plugins.fake_systemd import (
    SYSTEMCTL, ExitJson, FailJson, make_host, run,
)
from ansible_collections.kvmhost.setup.tests.unit.plugins.unit_states import host, masked, missing, off, on, shared_units, state

DEBIAN = {'distribution': 'Debian', 'distribution_major_version': '12', 'os_family': 'Debian'}
QEMU_NET = daemon_units_all('virtqemud') + daemon_units_all('virtnetworkd')
MONO_SOCKETS = ['libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket']


# an upgraded EL9 host still on libvirtd, modular units installed (qemu and network only)
MONOLITHIC_EL9 = make_host(
    host(QEMU_NET + daemon_units_all('virtproxyd') + mode_units('monolithic') + shared_units(), off),
    host(['libvirtd.service'] + MONO_SOCKETS + ['virtlogd.socket', 'virtlockd.socket'], on),
    {'tuned.service': off()},
)
# Debian: only libvirtd, in use
DEBIAN_HOST = make_host(
    host(mode_units('monolithic') + shared_units(), off),
    host(['libvirtd.service'] + MONO_SOCKETS + ['virtlogd.socket', 'virtlockd.socket'], on),
)
SWITCH_ARGS = {'mode': 'modular', 'drivers': ['qemu', 'network'], 'sockets': ['main']}
SWITCH_ACTIONS = [
    'systemctl stop libvirtd.service',
    'systemctl stop libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket',
    'systemctl disable libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket',
    'systemctl mask libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket '
    'libvirtd-tcp.socket libvirtd-tls.socket',
    'systemctl enable virtqemud.socket virtnetworkd.socket virtlogd.socket virtlockd.socket virtqemud.service',
    'systemctl start virtqemud.socket virtnetworkd.socket',
    'systemctl start virtqemud.service',
]


# ---- skip paths ------------------------------------------------------------------------------

def test_skip_cicd_test(env):
    fake = env.host(MONOLITHIC_EL9)
    result = run({'cicd_test': True})
    assert result['skipped'] is True and result['changed'] is False
    assert result['skip_reason'] == 'cicd_test is true'
    assert result['mode'] == 'modular' and result['reason'].startswith('distribution default')
    assert 'virtqemud.socket' in result['wanted']
    assert fake.calls == []


@pytest.mark.parametrize('comm, rundir, reason', [
    (u'bash\n', True, "PID 1 is 'bash'"),
    (None, True, "PID 1 is 'unknown'"),
    (u'systemd\n', False, 'is missing'),
])
def test_skip_without_systemd(env, comm, rundir, reason):
    fake = env.host(MONOLITHIC_EL9)
    if comm is None:
        (env.path / 'comm').unlink()
    else:
        (env.path / 'comm').write_text(comm)
    if not rundir:
        (env.path / 'systemd-system').rmdir()
    result = run({'mode': 'monolithic'})
    assert result['skipped'] is True and result['changed'] is False
    assert reason in result['skip_reason']
    assert result['mode'] == 'monolithic'
    assert fake.calls == []


# ---- bad input fails everywhere, even where the module would skip -------------------------------

@pytest.mark.parametrize('args, names', [
    ({'drivers': ['qemu', 'xen']}, ['drivers', 'xen', 'qemu']),
    ({'drivers': []}, ['drivers must not be empty']),
    ({'sockets': ['ro', 'admin']}, ["'main'"]),
    ({'sockets': ['rw']}, ['sockets', 'rw', 'admin']),
    ({'mode': 'hybrid'}, ['mode', 'hybrid', 'modular']),
    ({'remote': 'ssh'}, ['remote', 'ssh', 'tls']),
    ({'other_mode_units': 'purge'}, ['other_mode_units', 'purge', 'mask']),
    ({'state': 'reloaded'}, ['state', 'reloaded', 'restarted']),
    ({'units': ['virtqemud.socket', 'rm -rf.service']}, ["'rm -rf.service'", 'letters, digits']),
    ({'units': ['virtqemud.socket\nreboot.service']}, ["'virtqemud.socket\\nreboot.service'"]),
    ({'units': ['-now.service']}, ["'-now.service'", "starts with '-'"]),
    ({'units': []}, ['units must list at least one unit']),
    ({'units': ['virtqemud.socket', 'libvirtd.socket']}, ['virtqemud.socket', 'libvirtd.socket', 'mix']),
    ({'units': ['libvirtd.socket'], 'mode': 'modular'}, ["'libvirtd.socket'", 'monolithic', "'modular'"]),
    ({'extra_units': ['tuned.service', 'tuned;reboot.service']}, ["'tuned;reboot.service'"]),
    ({'extra_units': ['libvirtd.service']}, ["'libvirtd.service'", 'list libvirt units in units']),
])
@pytest.mark.parametrize('cicd_test', [True, False])
@pytest.mark.parametrize('check_mode', [True, False])
def test_bad_input_fails_first(env, args, names, cicd_test, check_mode):
    fake = env.host(MONOLITHIC_EL9)
    args = dict(args, cicd_test=cicd_test, _ansible_check_mode=check_mode)
    result = run(args, FailJson)
    for name in names:
        assert name in result['msg']
    assert fake.calls == []


# ---- check mode ------------------------------------------------------------------------------

def test_check_mode_changes_nothing(env):
    fake = env.host(MONOLITHIC_EL9)
    result = run(dict(SWITCH_ARGS, _ansible_check_mode=True, _ansible_diff=True))
    assert result['changed'] is True
    assert result['predicted'] is True
    assert result['actions'] == SWITCH_ACTIONS
    assert fake.mutating() == []
    assert [call[1] for call in fake.calls] == ['show']
    assert result['units']['libvirtd.service']['unit_file_state'] == 'masked'
    assert result['units']['virtqemud.socket']['active_state'] == 'active'
    assert result['diff'][0]['before']['libvirtd.socket'] == 'enabled/active'
    assert result['diff'][0]['after']['libvirtd.socket'] == 'masked/inactive'
    assert result['diff'][0]['after']['virtqemud.socket'] == 'enabled/active'


def test_check_mode_units_not_installed_warns(env):
    env.facts(DEBIAN)
    fake = env.host(DEBIAN_HOST)
    result = run(dict(SWITCH_ARGS, _ansible_check_mode=True))
    assert fake.mutating() == []
    assert result['changed'] is True
    assert 'systemctl enable virtqemud.socket virtnetworkd.socket virtlogd.socket virtlockd.socket ' \
        'virtqemud.service' in result['actions']
    assert any('virtqemud.socket' in text and 'not installed' in text for text in env.warned)


# ---- applying --------------------------------------------------------------------------------

def test_switch_monolithic_to_modular(env):
    fake = env.host(MONOLITHIC_EL9)
    result = run(dict(SWITCH_ARGS, extra_units=['tuned.service'], _ansible_diff=True))
    actions = SWITCH_ACTIONS + ['systemctl enable tuned.service', 'systemctl start tuned.service']
    assert result['changed'] is True
    assert result['actions'] == actions
    assert result['mode'] == 'modular' and result['reason'] == 'override: mode=modular was requested'
    assert [call[1] for call in fake.calls] == ['show'] + [a.split()[1] for a in actions] + ['show']
    # list-form commands, units after '--'
    assert fake.calls[1] == [SYSTEMCTL, 'stop', '--', 'libvirtd.service']
    assert not [call for call in fake.calls if 'virtlogd.socket' in call and call[1] in ('stop', 'disable', 'mask')]
    assert fake.states['virtlogd.socket']['unit_file_state'] == 'enabled'
    assert result['units']['virtqemud.socket']['active_state'] == 'active'
    assert result['units']['libvirtd.socket']['unit_file_state'] == 'masked'
    assert result['diff'][0]['after']['libvirtd.service'] == 'masked/inactive'
    assert 'drift' not in result

    # second run: converged, nothing planned, one probe only
    fake.calls = []
    again = run(dict(SWITCH_ARGS, extra_units=['tuned.service']))
    assert again['changed'] is False and again['actions'] == []
    assert [call[1] for call in fake.calls] == ['show']


def test_switch_back_unmasks_the_services_behind_sockets(env):
    # an earlier switch to monolithic masked every modular unit, services included
    states = make_host(MONOLITHIC_EL9, host(QEMU_NET + daemon_units_all('virtproxyd'), masked))
    fake = env.host(states)
    result = run(SWITCH_ARGS)
    assert 'systemctl unmask virtqemud.socket virtnetworkd.socket virtqemud.service virtnetworkd.service' \
        in result['actions']
    assert fake.states['virtnetworkd.service']['unit_file_state'] == 'disabled'
    assert fake.states['virtnetworkd.socket']['active_state'] == 'active'
    assert 'drift' not in result


def test_switch_modular_to_monolithic_keeps_shared_sockets_enabled(env):
    states = make_host(
        host(QEMU_NET + mode_units('monolithic') + shared_units(), off),
        host(QEMU_NET + ['virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket', 'virtlockd-admin.socket'],
             on),
    )
    fake = env.host(states)
    result = run({'mode': 'monolithic'})
    assert result['actions'][0] == 'systemctl stop virtqemud.service virtnetworkd.service'
    assert 'drift' not in result
    for unit in ('virtlogd.socket', 'virtlogd-admin.socket', 'virtlockd.socket', 'virtlockd-admin.socket'):
        assert fake.states[unit]['unit_file_state'] == 'enabled'
        assert fake.states[unit]['active_state'] == 'active'
    fake.calls = []
    assert run({'mode': 'monolithic'})['changed'] is False


def test_auto_mode_keeps_the_mode_in_use(env):
    # EL9 defaults to modular, but this upgraded host uses libvirtd: stay monolithic
    fake = env.host(MONOLITHIC_EL9)
    result = run({'sockets': ['main']})
    assert result['mode'] == 'monolithic'
    assert result['reason'].startswith('in use: ')
    # libvirtd keeps running untouched; the unused modular units are masked so that a package
    # update's presets cannot enable them behind libvirtd's back
    assert result['actions'] == ['systemctl mask ' + ' '.join(QEMU_NET + daemon_units_all('virtproxyd'))]
    assert [call[1] for call in fake.calls] == ['show', 'mask', 'show']
    fake.calls = []
    assert run({'sockets': ['main']})['changed'] is False
    assert fake.mutating() == []


def test_other_mode_units_keep_touches_nothing(env):
    fake = env.host(MONOLITHIC_EL9)
    result = run({'sockets': ['main'], 'other_mode_units': 'keep'})
    assert result['mode'] == 'monolithic'
    assert result['changed'] is False and result['actions'] == []
    assert fake.mutating() == []


def test_explicit_units_give_the_mode(env):
    fake = env.host(MONOLITHIC_EL9)
    result = run({'units': ['virtqemud.socket', 'virtqemud.service'], '_ansible_check_mode': True})
    assert result['mode'] == 'modular'
    assert result['reason'].startswith('units: ')
    assert result['wanted'] == ['virtqemud.socket', 'virtqemud.service']
    assert fake.mutating() == []


def test_daemon_reload_alone_is_not_changed(env):
    fake = env.host(DEBIAN_HOST)
    env.facts(DEBIAN)
    result = run({'sockets': ['main'], 'daemon_reload': True})
    assert result['mode'] == 'monolithic'
    assert result['actions'] == ['systemctl daemon-reload']
    assert result['changed'] is False
    assert fake.calls[1] == [SYSTEMCTL, 'daemon-reload']


def test_not_installed_fails_and_applies_nothing(env):
    env.facts(DEBIAN)
    fake = env.host(DEBIAN_HOST)
    result = run(dict(SWITCH_ARGS, extra_units=['tuned.service']), FailJson)
    assert 'virtqemud.socket (Debian and Ubuntu ship no modular daemons' in result['msg']
    assert 'virtnetworkd.socket' in result['msg'] and 'tuned.service' in result['msg']
    assert 'nothing was changed' in result['msg']
    assert fake.mutating() == []


def test_not_installed_names_el_packages(env):
    states = make_host(host(daemon_units_all('virtqemud') + shared_units(), off))
    fake = env.host(states)
    result = run({'mode': 'modular', 'drivers': ['qemu', 'storage'], 'sockets': ['main']}, FailJson)
    assert 'virtstoraged.socket (package libvirt-daemon-driver-storage-core)' in result['msg']
    assert 'virtqemud.socket' not in result['msg']
    assert fake.mutating() == []


@pytest.mark.parametrize('check_mode', [False, True])
def test_masked_wanted_unit_is_unmasked_with_a_warning(env, check_mode):
    states = make_host(host(daemon_units_all('virtqemud') + shared_units(), on),
                       {'virtqemud.socket': masked(), 'virtqemud.service': state('enabled', 'inactive')})
    env.host(states)
    result = run({'mode': 'modular', 'drivers': ['qemu'], 'sockets': ['main'], '_ansible_check_mode': check_mode})
    assert result['actions'] == ['systemctl unmask virtqemud.socket', 'systemctl enable virtqemud.socket',
                                 'systemctl start virtqemud.socket', 'systemctl start virtqemud.service']
    assert result['unmasked'] == ['virtqemud.socket']
    assert [text for text in env.warned if 'unmasking virtqemud.socket' in text], env.warned


def test_nothing_masked_no_unmask_warning(env):
    env.host(make_host(host(daemon_units_all('virtqemud') + shared_units(), on)))
    result = run({'mode': 'modular', 'drivers': ['qemu'], 'sockets': ['main']})
    assert result['unmasked'] == [] and env.warned == []


# ---- the host lock ---------------------------------------------------------------------------

def test_lock_held_by_another_run_fails_naming_it_and_changes_nothing(env):
    import fcntl
    fake = env.host(MONOLITHIC_EL9)
    with open(libvirt_host.LOCK_FILE, 'w') as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        other.write('4242')
        other.flush()
        result = run(dict(SWITCH_ARGS, lock_timeout=0), FailJson)
    assert 'pid 4242' in result['msg'] and libvirt_host.LOCK_FILE in result['msg']
    assert 'lock_timeout=0' in result['msg'] and 'nothing was changed' in result['msg']
    assert fake.calls == []


def test_lock_is_taken_and_names_this_run(env):
    env.host(MONOLITHIC_EL9)
    run(SWITCH_ARGS)
    with open(libvirt_host.LOCK_FILE) as lock:
        assert lock.read() == str(__import__('os').getpid())


def test_check_mode_does_not_wait_for_the_lock(env):
    import fcntl
    env.host(MONOLITHIC_EL9)
    with open(libvirt_host.LOCK_FILE, 'w') as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        result = run(dict(SWITCH_ARGS, lock_timeout=0, _ansible_check_mode=True))
    assert result['predicted'] is True


def test_negative_lock_timeout_is_refused(env):
    env.host(MONOLITHIC_EL9)
    result = run(dict(SWITCH_ARGS, lock_timeout=-1), FailJson)
    assert result['msg'] == 'lock_timeout is -1: allowed is a number of seconds, 0 or more'


def test_failed_step_rolls_back_to_the_mode_in_use(env):
    fake = env.host(MONOLITHIC_EL9, fail={'mask': 1})
    before = dict((unit, dict(st)) for unit, st in fake.states.items())
    result = run(SWITCH_ARGS, FailJson)
    assert result['step'].startswith('systemctl mask libvirtd.service')
    assert result['rc'] == 1
    assert 'Job for libvirtd.service failed.' in result['stderr']
    assert result['actions'] == SWITCH_ACTIONS[:3]
    # libvirtd.service was stopped before the failing step: started again, it is a new process
    assert 'systemctl mask' in result['msg'] and 'rolled back, but not everything is as it was' in result['msg']
    assert result['rolled_back'] is False and result['not_restored'] == ['libvirtd.service: restarted']
    assert result['rollback_actions'] == [
        'systemctl enable libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket',
        'systemctl start libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket',
        'systemctl start libvirtd.service',
    ]
    # libvirtd serves again, exactly as before the run
    assert fake.states == before
    assert result['units']['libvirtd.service']['active_state'] == 'active'


def test_socket_that_fails_to_start_mid_switch_is_rolled_back(env):
    fake = env.host(MONOLITHIC_EL9, fail_units={'virtnetworkd.socket': 'start'})
    before = dict((unit, dict(st)) for unit, st in fake.states.items())
    result = run(SWITCH_ARGS, FailJson)
    assert result['step'] == 'systemctl start virtqemud.socket virtnetworkd.socket'
    assert 'virtnetworkd.socket' in result['msg'] and result['not_restored'] == ['libvirtd.service: restarted']
    assert result['rollback_actions'][0] == 'systemctl unmask ' + ' '.join(mode_units('monolithic'))
    assert fake.states == before


def test_failed_rollback_says_so(env):
    fake = env.host(MONOLITHIC_EL9, fail_units={'virtnetworkd.socket': 'start', 'libvirtd.socket': 'start'})
    result = run(SWITCH_ARGS, FailJson)
    assert result['rolled_back'] is False
    assert 'the rollback failed at systemctl start libvirtd.socket' in result['msg']
    assert result['units']['libvirtd.socket']['unit_file_state'] == 'enabled'
    assert fake.states['libvirtd.socket']['active_state'] == 'inactive'


def test_show_failure(env):
    env.host(MONOLITHIC_EL9, show_rc=1)
    result = run(SWITCH_ARGS, FailJson)
    assert result['rc'] == 1
    assert 'Failed to connect to bus' in result['msg']


def test_drift_after_apply_fails(env, monkeypatch):
    fake = env.host(MONOLITHIC_EL9)
    real = fake.__call__

    def lazy_start(args, **kwargs):
        if args[1] == 'start':  # the sockets do not come up
            fake.calls.append(list(args))
            return 0, '', ''
        return real(args, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda module, args, **kw: lazy_start(args, **kw))
    result = run(SWITCH_ARGS, FailJson)
    assert 'virtqemud.socket not active' in result['msg']
    assert [d['unit'] for d in result['drift']] == ['virtqemud.socket', 'virtnetworkd.socket', 'virtqemud.service']
    assert 'its socket virtqemud.socket is not listening' in result['drift'][2]['reason']
    assert result['actions'] == SWITCH_ACTIONS


# ---- running guests --------------------------------------------------------------------------

def test_guard_refuses_switch_with_running_guests(env):
    (env.guest_dir / 'web1.xml').write_text(u'<domstatus/>')
    (env.guest_dir / 'web1.pid').write_text(u'1234')
    fake = env.host(MONOLITHIC_EL9)
    result = run(SWITCH_ARGS, FailJson)
    assert 'web1' in result['msg'] and 'libvirtd.service' in result['msg']
    assert 'allow_switch_with_running_guests=true' in result['msg']
    assert result['guests'] == ['web1']
    assert fake.mutating() == []


def test_refusal_in_auto_mode_reports_the_rule_not_an_override(env):
    """Issue 10: the role hands the apply the units its probe decided on; the failed result
    carries the rule that decided the mode for the user's setting, not 'override'."""
    (env.guest_dir / 'web1.xml').write_text(u'<domstatus/>')
    states = dict(MONOLITHIC_EL9)
    states.update(host(['libvirtd.service', 'libvirtd.socket'], lambda u: state('enabled', 'inactive', unit=u)))
    states.update(host(['virtqemud.socket'], on))
    env.host(states)
    result = run({'units': ['virtqemud.socket', 'virtqemud.service'], 'other_mode_units': 'mask'})
    assert result['reason'] == 'in use: virtqemud.socket active, libvirtd not active'
    env.host(MONOLITHIC_EL9)
    result = run({'units': ['virtqemud.socket', 'virtqemud.service']}, FailJson)
    assert result['reason'].startswith('units: the listed units belong to the modular set (in use: libvirtd')
    assert 'override' not in result['reason'] and 'web1' in result['msg']


def test_guard_allows_when_told(env):
    (env.guest_dir / 'web1.xml').write_text(u'<domstatus/>')
    env.host(MONOLITHIC_EL9)
    result = run(dict(SWITCH_ARGS, allow_switch_with_running_guests=True))
    assert result['changed'] is True
    assert result['guests'] == ['web1']


def test_guard_holds_with_keep(env):
    """keep does not stop libvirtd itself, but virtqemud's units conflict with it in systemd."""
    (env.guest_dir / 'web1.xml').write_text(u'<domstatus/>')
    fake = env.host(MONOLITHIC_EL9)
    result = run(dict(SWITCH_ARGS, other_mode_units='keep'), FailJson)
    assert 'web1' in result['msg'] and 'allow_switch_with_running_guests' in result['msg']
    assert fake.mutating() == []


def test_keep_leaves_the_other_set_alone(env):
    env.host(MONOLITHIC_EL9)
    result = run(dict(SWITCH_ARGS, other_mode_units='keep', _ansible_check_mode=True))
    assert not [a for a in result['actions'] if 'libvirtd' in a]


def test_probed_reports_extra_units(env):
    env.host(MONOLITHIC_EL9)
    result = run({'state': 'probed', 'extra_units': ['tuned.service']})
    assert result['units']['tuned.service']['load_state'] == 'loaded'


# ---- remote access ---------------------------------------------------------------------------

def test_tls_needs_certificates(env):
    fake = env.host(MONOLITHIC_EL9)
    ca = env.path / 'ca.pem'
    ca.write_text(u'x')
    args = dict(SWITCH_ARGS, remote='tls', tls_ca_cert=str(ca), tls_server_cert=str(env.path / 'cert.pem'),
                tls_server_key=str(env.path / 'key.pem'))
    result = run(args, FailJson)
    assert str(env.path / 'cert.pem') in result['msg'] and str(env.path / 'key.pem') in result['msg']
    assert str(ca) not in result['msg']
    assert fake.mutating() == []


def test_tls_with_certificates(env):
    states = make_host(MONOLITHIC_EL9, host(daemon_units_all('virtproxyd'), off))
    fake = env.host(states)
    paths = {}
    for key in ('tls_ca_cert', 'tls_server_cert', 'tls_server_key'):
        (env.path / key).write_text(u'x')
        paths[key] = str(env.path / key)
    result = run(dict(SWITCH_ARGS, remote='tls', _ansible_check_mode=True, **paths))
    assert 'virtproxyd-tls.socket' in result['wanted']
    assert any('virtproxyd-tls.socket' in action for action in result['actions'])
    assert fake.mutating() == []


@pytest.mark.parametrize('conf, sasl, allow, ok', [
    (None, None, False, False),
    ('auth_tcp = "none"\n', 'mech_list: gssapi\n', False, False),
    ('#auth_tcp = "none"\n', 'mech_list: gssapi\n', False, True),
    ('auth_tcp = "none"\n', None, True, True),
])
def test_tcp_safety(env, conf, sasl, allow, ok):
    fake = env.host(MONOLITHIC_EL9)
    if conf is not None:
        (env.path / 'virtproxyd.conf').write_text(conf)
    if sasl is not None:
        (env.path / 'sasl-libvirt.conf').write_text(sasl)
    args = dict(SWITCH_ARGS, remote='tcp', allow_insecure_tcp=allow)
    result = run(args, ExitJson if ok else FailJson)
    if ok:
        assert 'virtproxyd-tcp.socket' in result['wanted']
        assert 'systemctl start virtqemud.socket virtnetworkd.socket virtproxyd.socket virtproxyd-tcp.socket' \
            in result['actions']
        assert bool(env.warned) is allow
    else:
        assert 'allow_insecure_tcp' in result['msg'] and 'nothing was changed' in result['msg']
        assert fake.mutating() == []


@pytest.mark.parametrize('check_mode', [True, False])
@pytest.mark.parametrize('cicd_test', [True, False])
@pytest.mark.parametrize('remote', ['tls', 'tcp'])
def test_unsafe_remote_refused_everywhere(env, remote, cicd_test, check_mode):
    """No certificates / no encrypting SASL: refused in check mode and where the module skips."""
    fake = env.host(MONOLITHIC_EL9)
    args = dict(SWITCH_ARGS, remote=remote, cicd_test=cicd_test, _ansible_check_mode=check_mode,
                tls_ca_cert=str(env.path / 'ca.pem'), tls_server_cert=str(env.path / 'cert.pem'),
                tls_server_key=str(env.path / 'key.pem'))
    result = run(args, FailJson)
    assert 'nothing was changed' in result['msg']
    assert (str(env.path / 'key.pem') if remote == 'tls' else 'allow_insecure_tcp') in result['msg']
    assert fake.mutating() == []


def test_units_with_remote_keep_the_safety_checks(env):
    fake = env.host(MONOLITHIC_EL9)
    args = dict(mode='modular', units=['virtqemud.socket', 'virtproxyd.socket', 'virtproxyd-tcp.socket'],
                remote='tcp')
    result = run(args, FailJson)
    assert 'allow_insecure_tcp' in result['msg']
    assert fake.mutating() == []


# ---- restarted -------------------------------------------------------------------------------

CONVERGED_MODULAR = make_host(
    host(QEMU_NET + shared_units(), off),
    host(['virtqemud.socket', 'virtnetworkd.socket', 'virtlogd.socket', 'virtlockd.socket',
          'virtqemud.service'], on),
    host(mode_units('monolithic'), masked),
)


def test_restarted_stops_services_around_the_socket_restart(env):
    fake = env.host(CONVERGED_MODULAR)
    fake.states['virtnetworkd.service'] = off()  # idle daemon: reads its config when next started
    result = run(dict(SWITCH_ARGS, state='restarted', daemon_reload=True))
    assert result['changed'] is True
    assert result['actions'] == [
        'systemctl daemon-reload',
        'systemctl stop virtqemud.service',
        'systemctl restart virtqemud.socket virtnetworkd.socket',
        'systemctl start virtqemud.service',
    ]
    restarted = [call for call in fake.calls if call[1] == 'restart'][0]
    assert not [unit for unit in restarted if unit.startswith(('virtlogd', 'virtlockd'))]
    assert fake.states['virtqemud.service']['active_state'] == 'active'
    assert 'drift' not in result


def test_restarted_also_stops_a_running_service_that_is_not_wanted(env):
    fake = env.host(CONVERGED_MODULAR)
    fake.states['virtnetworkd.service'] = on()  # activated by a client, not in the wanted list
    result = run(dict(SWITCH_ARGS, state='restarted'))
    assert result['actions'][0] == 'systemctl stop virtqemud.service virtnetworkd.service'
    assert fake.states['virtnetworkd.service']['active_state'] == 'active'


def test_restarted_in_check_mode_changes_nothing(env):
    fake = env.host(CONVERGED_MODULAR)
    result = run(dict(SWITCH_ARGS, state='restarted', _ansible_check_mode=True))
    assert result['changed'] is True
    assert result['actions'] == [
        'systemctl stop virtqemud.service',
        'systemctl restart virtqemud.socket virtnetworkd.socket',
        'systemctl start virtqemud.service',
    ]
    assert fake.mutating() == []


def test_restarted_with_nothing_active_is_a_start(env):
    states = make_host(host(QEMU_NET + shared_units(), off), host(mode_units('monolithic'), masked))
    fake = env.host(states)
    result = run(dict(SWITCH_ARGS, state='restarted'))
    assert not [call for call in fake.calls if call[1] == 'try-restart']
    assert 'systemctl start virtqemud.socket virtnetworkd.socket virtlogd.socket virtlockd.socket' in result['actions']


# ---- read-only states ------------------------------------------------------------------------

def test_probed(env):
    fake = env.host(MONOLITHIC_EL9)
    result = run({'state': 'probed'})
    assert result['changed'] is False and result['predicted'] is False
    assert result['mode'] == 'monolithic'
    assert 'libvirtd.socket' in result['units'] and 'virtqemud.socket' in result['units']
    assert 'virtlxcd.socket' not in result['units']
    assert 'tuned.service' not in result['units']
    assert fake.mutating() == []
    assert len(fake.calls) == 1


def test_verified_reports_drift(env):
    fake = env.host(MONOLITHIC_EL9)
    result = run(dict(SWITCH_ARGS, state='verified'), FailJson)
    drifted = dict((d['unit'], d['reason']) for d in result['drift'])
    assert 'not enabled' in drifted['virtqemud.socket']
    assert 'still active' in drifted['libvirtd.service']
    assert 'virtlogd.socket' not in drifted
    assert 'virtqemud.socket' in result['msg']
    assert fake.mutating() == []


def test_verified_ok_after_switch(env):
    fake = env.host(MONOLITHIC_EL9)
    run(SWITCH_ARGS)
    fake.calls = []
    result = run(dict(SWITCH_ARGS, state='verified'))
    assert result['drift'] == []
    assert fake.mutating() == []


# ---- the probe asks systemd only about what is there --------------------------------------------

def test_probe_skips_catalogue_units_without_unit_files(env):
    fake = env.host(DEBIAN_HOST)
    env.facts(DEBIAN)
    run({'state': 'probed', 'extra_units': ['tuned.service']})
    shown = [call for call in fake.calls if call[1] == 'show'][0]
    asked = shown[shown.index('--') + 1:]
    assert 'libvirtd.socket' in asked and 'virtlogd.socket' in asked
    assert 'virtqemud.socket' not in asked and 'virtlxcd.socket' not in asked
    # what was asked for is always asked, installed or not
    assert 'tuned.service' in asked


def test_units_on_disk(monkeypatch, tmp_path):
    lib = tmp_path / 'lib'
    etc = tmp_path / 'etc'
    lib.mkdir()
    etc.mkdir()
    (lib / 'virtqemud.socket').write_text(u'[Socket]\n')
    (etc / 'libvirtd.socket').symlink_to('/dev/null')  # masked
    (etc / 'virtlogd.socket').symlink_to(str(tmp_path / 'gone'))  # dangling still counts
    monkeypatch.setattr(libvirt_host, 'UNIT_DIRS', (str(etc), str(lib)))
    found = libvirt_host.units_on_disk(['virtqemud.socket', 'libvirtd.socket', 'virtlogd.socket', 'virtlxcd.socket'])
    assert found == set(['virtqemud.socket', 'libvirtd.socket', 'virtlogd.socket'])


# ---- socket drop-ins -------------------------------------------------------------------------

QEMU_ONLY = {'mode': 'modular', 'drivers': ['qemu'], 'sockets': ['main']}


def modular_qemu_host(**socket):
    """virtqemud in use; its main socket running with the given settings."""
    states = make_host(host(daemon_units_all('virtqemud') + shared_units(), on))
    states['virtqemud.socket'].update(socket)
    return states


def dropin(env, unit):
    path = env.dropin_dir / (unit + '.d') / 'kvmhost-setup.conf'
    return path.read_text() if path.exists() else None


def test_dropin_written_reloaded_and_socket_restarted_around_its_service(env):
    fake = env.host(modular_qemu_host(socket_group='root', socket_mode='0666'))
    result = run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='660'))
    path = str(env.dropin_dir / 'virtqemud.socket.d' / 'kvmhost-setup.conf')
    assert result['changed'] is True
    assert result['actions'] == ['write ' + path, 'systemctl daemon-reload', 'systemctl stop virtqemud.service',
                                 'systemctl restart virtqemud.socket', 'systemctl start virtqemud.service']
    assert 'SocketGroup=libvirt\nSocketMode=0660\n' in dropin(env, 'virtqemud.socket')
    assert (fake.states['virtqemud.socket']['socket_group'], fake.states['virtqemud.socket']['socket_mode']) == (
        'libvirt', '0660')
    fake.calls = []
    again = run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='660'))
    assert again['changed'] is False and again['actions'] == [] and fake.mutating() == []


def test_dropin_already_running_so_is_written_without_a_restart(env):
    fake = env.host(modular_qemu_host(socket_group='libvirt', socket_mode='0660'))
    result = run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='0660'))
    assert result['actions'][1:] == ['systemctl daemon-reload']
    assert result['changed'] is True
    assert [call[1] for call in fake.mutating()] == ['daemon-reload']


def test_setting_turned_off_removes_the_dropin_and_restarts(env):
    fake = env.host(modular_qemu_host(socket_group='libvirt', socket_mode='0660'))
    run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='0660'))
    fake.calls = []
    result = run(QEMU_ONLY)
    assert dropin(env, 'virtqemud.socket') is None
    assert result['actions'][0].startswith('remove ') and 'systemctl restart virtqemud.socket' in result['actions']


def test_remote_listen_address_with_freebind(env, monkeypatch):
    for name in ('cacert.pem', 'servercert.pem', 'serverkey.pem'):
        (env.path / name).write_text(u'x')
    states = modular_qemu_host()
    states.update(host(daemon_units_all('virtproxyd'), off))
    env.host(states)
    result = run(dict(QEMU_ONLY, remote='tls', listen_address='127.0.0.1', tls_ca_cert=str(env.path / 'cacert.pem'),
                      tls_server_cert=str(env.path / 'servercert.pem'),
                      tls_server_key=str(env.path / 'serverkey.pem')))
    text = dropin(env, 'virtproxyd-tls.socket')
    assert 'ListenStream=\nListenStream=127.0.0.1:16514\nFreeBind=true\n' in text
    assert result['units']['virtproxyd-tls.socket']['listen'] == '127.0.0.1:16514 (Stream)'
    # the read-write sockets get none without a group or mode
    assert dropin(env, 'virtqemud.socket') is None


def test_check_mode_predicts_dropins_and_diffs_them(env):
    fake = env.host(modular_qemu_host(socket_group='root', socket_mode='0666'))
    result = run(dict(QEMU_ONLY, socket_mode='0660', _ansible_check_mode=True, _ansible_diff=True))
    assert result['predicted'] is True and result['changed'] is True
    assert result['actions'][0] == 'write ' + str(env.dropin_dir / 'virtqemud.socket.d' / 'kvmhost-setup.conf')
    assert 'systemctl restart virtqemud.socket' in result['actions']
    assert result['diff'][1]['before'] == '' and 'SocketMode=0660' in result['diff'][1]['after']
    assert dropin(env, 'virtqemud.socket') is None and fake.mutating() == []


def test_not_installed_unit_gets_no_dropin_and_the_run_changes_nothing(env):
    """Outside check mode a wanted unit that is missing fails before any file is written; in
    check mode the plan assumes the package an earlier task installs, drop-in included."""
    states = modular_qemu_host()
    states['virtnetworkd.socket'] = missing()
    env.host(states)
    args = {'mode': 'modular', 'drivers': ['qemu', 'network'], 'sockets': ['main'], 'socket_mode': '0660'}
    result = run(args, FailJson)
    assert 'virtnetworkd.socket' in result['msg'] and 'nothing was changed' in result['msg']
    assert dropin(env, 'virtnetworkd.socket') is None and dropin(env, 'virtqemud.socket') is None
    predicted = run(dict(args, _ansible_check_mode=True))
    assert [action for action in predicted['actions'] if 'virtnetworkd.socket.d' in action]


def test_failed_step_puts_the_dropins_back(env):
    fake = env.host(modular_qemu_host(socket_mode='0666'), fail_units={'virtqemud.socket': 'restart'})
    result = run(dict(QEMU_ONLY, socket_mode='0660'), FailJson)
    assert result['rollback_actions'][0] == 'systemctl daemon-reload'
    assert result['not_restored'] == ['virtqemud.service: restarted']
    assert dropin(env, 'virtqemud.socket') is None
    assert fake.states['virtqemud.service']['active_state'] == 'active'


def test_restart_under_running_guests_warns_naming_them(env):
    (env.guest_dir / 'web1.xml').write_text(u'<domstatus/>')
    env.host(modular_qemu_host(socket_mode='0666'))
    run(dict(QEMU_ONLY, socket_mode='0660'))
    assert [text for text in env.warned if 'virtqemud.service' in text and 'web1' in text], env.warned


@pytest.mark.parametrize('args, names', [
    ({'socket_mode': '0660\nExecStartPre=/bin/sh'}, ['socket_mode', 'an octal mode']),
    ({'socket_group': 'Wheel'}, ["'Wheel'", 'a group name']),
    ({'listen_address': '1.2.3.4 5'}, ['listen_address', 'an IPv4 or IPv6 address']),
    ({'listen_address': '127.0.0.1'}, ["remote is 'none'"]),
])
def test_bad_socket_settings_are_refused_before_anything(env, args, names):
    fake = env.host(modular_qemu_host())
    result = run(dict(QEMU_ONLY, **args), FailJson)
    for name in names:
        assert name in result['msg']
    assert fake.calls == []


def test_verified_reports_a_socket_running_with_other_settings(env):
    env.host(modular_qemu_host(socket_mode='0666'))
    result = run(dict(QEMU_ONLY, state='verified', socket_mode='0660'), FailJson)
    reasons = dict((item['unit'], item['reason']) for item in result['drift'])
    assert 'not as wanted' in reasons['virtqemud.socket'] or 'SocketMode=0666' in reasons['virtqemud.socket']


def test_restart_units_restart_only_those_and_keep_the_dropins(env):
    fake = env.host(modular_qemu_host(socket_mode='0660'))
    run(dict(QEMU_ONLY, socket_mode='0660'))
    fake.calls = []
    result = run(dict(QEMU_ONLY, state='restarted', socket_mode='0660', restart_units=['virtqemud.service']))
    assert result['actions'] == ['systemctl try-restart virtqemud.service']
    assert dropin(env, 'virtqemud.socket') is not None


def test_restart_units_must_be_wanted(env):
    fake = env.host(modular_qemu_host())
    result = run(dict(QEMU_ONLY, state='restarted', restart_units=['libvirtd.service']), FailJson)
    assert 'libvirtd.service' in result['msg'] and 'virtqemud.service' in result['msg']
    assert fake.mutating() == []


def test_skip_with_units_reports_the_distribution_rule(env):
    """Issue 10: the role's apply under cicd_test hands over units; the reason is still the rule."""
    result = run({'units': ['virtqemud.socket'], 'cicd_test': True})
    assert result['skipped'] is True and result['mode'] == 'modular'
    assert result['reason'].startswith('distribution default: RedHat 9 (EL >= 9)')
    result = run({'units': ['libvirtd.socket'], 'cicd_test': True})
    assert result['mode'] == 'monolithic'
    assert result['reason'].startswith('units: the listed units belong to the monolithic set (distribution default')


def test_verified_without_socket_settings_does_not_flag_the_roles_dropins(env):
    """A verification checks the settings it is asked for; removing a drop-in is the apply's."""
    env.host(modular_qemu_host(socket_group='libvirt', socket_mode='0660'))
    run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='0660'))
    result = run(dict(QEMU_ONLY, state='verified'))
    assert result['drift'] == []
    assert dropin(env, 'virtqemud.socket') is not None


# ---- issue 16: a lock no other user can touch ----------------------------------------------

@pytest.fixture
def lock_dir(env, monkeypatch):
    directory = env.path / 'kvmhost-setup'
    monkeypatch.setattr(libvirt_host, 'LOCK_FILE', str(directory / 'libvirt-daemons.lock'))
    return directory


def test_lock_directory_is_created_root_only_and_the_file_0600(env, lock_dir):
    env.host(MONOLITHIC_EL9)
    run(SWITCH_ARGS)
    assert oct(lock_dir.stat().st_mode & 0o777) == oct(0o700)
    assert oct((lock_dir / 'libvirt-daemons.lock').stat().st_mode & 0o777) == oct(0o600)


def test_a_lock_directory_others_may_write_is_refused(env, lock_dir):
    fake = env.host(MONOLITHIC_EL9)
    lock_dir.mkdir()
    lock_dir.chmod(0o1777)
    result = run(SWITCH_ARGS, FailJson)
    assert 'the lock directory {0} is not a directory that only this user'.format(lock_dir) in result['msg']
    assert 'mode 1777' in result['msg'] and 'nothing was changed' in result['msg']
    assert fake.mutating() == []


def test_a_symlinked_lock_file_is_not_followed(env, lock_dir):
    fake = env.host(MONOLITHIC_EL9)
    lock_dir.mkdir(mode=0o700)
    target = env.path / 'elsewhere'
    target.write_text(u'keep\n')
    (lock_dir / 'libvirt-daemons.lock').symlink_to(target)
    result = run(SWITCH_ARGS, FailJson)
    assert 'cannot open the lock file' in result['msg'] and 'nothing was changed' in result['msg']
    assert target.read_text() == u'keep\n'
    assert fake.mutating() == []


def test_a_hard_linked_lock_file_is_refused(env, lock_dir):
    fake = env.host(MONOLITHIC_EL9)
    lock_dir.mkdir(mode=0o700)
    other = lock_dir / 'other'
    other.write_text(u'')
    os.link(str(other), str(lock_dir / 'libvirt-daemons.lock'))
    result = run(SWITCH_ARGS, FailJson)
    assert 'is not a regular file of uid' in result['msg'] and '2 links' in result['msg']
    assert fake.mutating() == []


def test_a_lock_directory_of_another_user_is_refused(env, lock_dir, monkeypatch):
    fake = env.host(MONOLITHIC_EL9)
    lock_dir.mkdir(mode=0o700)
    owner = os.geteuid()
    monkeypatch.setattr(os, 'geteuid', lambda: owner + 1)
    result = run(SWITCH_ARGS, FailJson)
    assert 'owner uid {0}'.format(owner) in result['msg']
    assert fake.mutating() == []


# ---- issue 16: masks whose unit file is gone -------------------------------------------------

def test_a_mask_without_its_unit_file_is_not_installed(env, monkeypatch):
    states = make_host(MONOLITHIC_EL9, host(['virtnetworkd.socket'], masked))
    fake = env.host(states)
    monkeypatch.setattr(libvirt_host, 'masked_without_file', lambda units: set(units) & {'virtnetworkd.socket'})
    result = run(SWITCH_ARGS, FailJson)
    assert 'requested units are not installed: virtnetworkd.socket' in result['msg']
    assert 'virtnetworkd.socket: only a mask is left, the unit file is gone' in result['msg']
    assert 'nothing was changed' in result['msg']
    assert fake.mutating() == []


def test_masked_without_file_reads_the_unit_directories(tmp_path, monkeypatch):
    etc, lib = tmp_path / 'etc', tmp_path / 'lib'
    etc.mkdir()
    lib.mkdir()
    monkeypatch.setattr(libvirt_host, 'UNIT_DIRS', (str(etc), str(lib)))
    (etc / 'gone.socket').symlink_to(os.devnull)
    (etc / 'kept.socket').symlink_to(os.devnull)
    (lib / 'kept.socket').write_text(u'[Socket]\n')
    (lib / 'plain.socket').write_text(u'[Socket]\n')
    assert libvirt_host.masked_without_file(['gone.socket', 'kept.socket', 'plain.socket', 'absent.socket']) == {
        'gone.socket'}


# ---- issue 16: a failed drop-in write is rolled back ----------------------------------------

def test_a_failed_drop_in_write_puts_back_what_was_written(env, monkeypatch):
    fake = env.host(DEBIAN_HOST)
    before = dict((unit, dict(st)) for unit, st in fake.states.items())
    real_write = libvirt_host.write_text
    calls = []

    def write_twice_then_fail(path, content):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, 'No space left on device')
        return real_write(path, content)

    monkeypatch.setattr(libvirt_host, 'write_text', write_twice_then_fail)
    result = run({'mode': 'monolithic', 'socket_group': 'libvirt', 'remote': 'tcp', 'allow_insecure_tcp': True,
                  'listen_address': '127.0.0.1'}, FailJson)
    # two writes, the second fails, then the first is put back (its drop-in removed)
    assert len(calls) == 3 and calls[2] == calls[0]
    assert 'writing {0} failed: [Errno 28] No space left on device'.format(calls[1]) in result['msg']
    assert result['rolled_back'] is True, result['msg']
    assert fake.states == before
    assert not env.dropin_dir.exists() or list(env.dropin_dir.rglob('*')) == []


# ---- issue 16: a rollback names what it could not put back -----------------------------------

def test_a_rollback_names_a_restarted_daemon(env):
    states = make_host(DEBIAN_HOST)
    states['libvirtd.service'] = dict(on('libvirtd.service'), invocation_id='aaa')
    fake = env.host(states, fail_units={'libvirtd.socket': 'restart'})
    real_call = fake.__class__.__call__

    def with_invocations(self, args, **kwargs):
        rc, out, err = real_call(self, args, **kwargs)
        if args[1] == 'start' and 'libvirtd.service' in args:
            self.states['libvirtd.service']['invocation_id'] = 'bbb'
        if args[1] == 'show':
            out = out.replace('Id=libvirtd.service\n', 'Id=libvirtd.service\nInvocationID={0}\n'.format(
                self.states['libvirtd.service'].get('invocation_id', '')))
        return rc, out, err

    fake.__class__ = type('InvocationSystemd', (fake.__class__,), {'__call__': with_invocations})
    result = run({'mode': 'monolithic', 'socket_group': 'libvirt'}, FailJson)
    assert result['rolled_back'] is False
    assert 'libvirtd.service: restarted' in result['not_restored']
    assert 'every unit is as it was' not in result['msg']
    assert 'not everything is as it was before this run: ' in result['msg']


# ---- issue 16: apply and verify from what clients see ------------------------------------------

def write_dropin(env, unit, text):
    path = env.dropin_dir / (unit + '.d') / 'kvmhost-setup.conf'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_an_interrupted_run_heals_from_the_bound_socket(env):
    """Run 1 wrote the drop-in and reloaded, then stopped before the restart: systemd shows
    the new settings, the socket file still has the old ones. Run 2 restarts the socket."""
    fake = env.host(modular_qemu_host(socket_group='root', socket_mode='0666'))
    write_dropin(env, 'virtqemud.socket', libvirt_dropins.render({'SocketGroup': 'libvirt', 'SocketMode': '0660'}))
    fake.reload()
    assert fake.states['virtqemud.socket']['socket_mode'] == '0660'
    assert fake.bound['virtqemud.socket']['socket_mode'] == '0666'
    result = run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='0660'))
    assert result['changed'] is True
    assert 'systemctl restart virtqemud.socket' in result['actions']
    assert not [action for action in result['actions'] if action.startswith('write ')]
    assert fake.bound['virtqemud.socket'] == {'socket_group': 'libvirt', 'socket_mode': '0660',
                                              'listen': fake.states['virtqemud.socket'].get('listen')} or \
        (fake.bound['virtqemud.socket']['socket_group'], fake.bound['virtqemud.socket']['socket_mode']) == ('libvirt', '0660')
    again = run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='0660'))
    assert again['changed'] is False


def test_verification_reads_the_bound_socket(env):
    fake = env.host(modular_qemu_host(socket_group='root', socket_mode='0666'))
    write_dropin(env, 'virtqemud.socket', libvirt_dropins.render({'SocketGroup': 'libvirt', 'SocketMode': '0660'}))
    fake.reload()
    result = run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='0660', state='verified'), FailJson)
    assert {'unit': 'virtqemud.socket', 'reason': 'runs with SocketGroup=root, SocketMode=0666, '
            'wanted SocketGroup=libvirt, SocketMode=0660'} in result['drift']


def test_a_deleted_socket_file_is_restarted(env):
    fake = env.host(modular_qemu_host(socket_group='libvirt', socket_mode='0660'),
                    bound={'virtqemud.socket': {}})
    write_dropin(env, 'virtqemud.socket', libvirt_dropins.render({'SocketGroup': 'libvirt', 'SocketMode': '0660'}))
    fake.reload()
    result = run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='0660'))
    assert 'systemctl restart virtqemud.socket' in result['actions']
    assert fake.bound['virtqemud.socket']['socket_mode'] == '0660'


def test_a_unit_that_needs_a_daemon_reload_gets_one(env):
    """A drop-in written by a run that stopped before its daemon-reload."""
    fake = env.host(modular_qemu_host(socket_group='libvirt', socket_mode='0660'))
    write_dropin(env, 'virtqemud.socket', libvirt_dropins.render({'SocketGroup': 'libvirt', 'SocketMode': '0600'}))
    result = run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='0600'))
    assert [SYSTEMCTL, 'daemon-reload'] in fake.calls
    assert fake.bound['virtqemud.socket']['socket_mode'] == '0600'
    assert result['changed'] is True


def test_socket_file_reads_a_real_unix_socket(tmp_path):
    path = str(tmp_path / 'sock')
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path)
        os.chmod(path, 0o660)
        seen = libvirt_host.socket_file(path)
    finally:
        server.close()
    assert seen == {'group': grp.getgrgid(os.stat(path).st_gid).gr_name, 'mode': '0660'}
    assert libvirt_host.socket_file(str(tmp_path / 'gone')) == {}
    (tmp_path / 'plain').write_text(u'')
    assert libvirt_host.socket_file(str(tmp_path / 'plain')) == {}


# ---- issue 16: listen addresses as systemd takes them -------------------------------------------

@pytest.mark.parametrize('address, problem', [
    ('kvm1.example.org', "allowed is an IPv4 or IPv6 address (no host name, no zone index)"),
    ('localhost', "allowed is an IPv4 or IPv6 address (no host name, no zone index)"),
    ('fe80::1%eth0', "allowed is an IPv4 or IPv6 address (no host name, no zone index)"),
    ('1.2.3', 'not an IP address (systemd does not resolve host names in ListenStream=)'),
    ('2001:db8:::1', 'not an IP address (systemd does not resolve host names in ListenStream=)'),
])
def test_listen_addresses_that_systemd_cannot_take_are_refused(env, address, problem):
    fake = env.host(modular_qemu_host())
    result = run(dict(QEMU_ONLY, remote='tls', listen_address=address), FailJson)
    assert result['msg'].startswith('listen_address is {0!r}'.format(address)) and problem in result['msg']
    assert fake.calls == []


def test_a_non_canonical_ipv6_address_is_written_canonical_and_converges(env):
    for name in ('cacert.pem', 'servercert.pem', 'serverkey.pem'):
        (env.path / name).write_text(u'x')
    states = modular_qemu_host()
    states.update(host(daemon_units_all('virtproxyd'), off))
    fake = env.host(states)
    args = dict(QEMU_ONLY, remote='tls', listen_address='2001:0DB8:0:0::0001', tls_ca_cert=str(env.path / 'cacert.pem'),
                tls_server_cert=str(env.path / 'servercert.pem'), tls_server_key=str(env.path / 'serverkey.pem'))
    run(args)
    assert 'ListenStream=[2001:db8::1]:16514\n' in dropin(env, 'virtproxyd-tls.socket')
    # systemd prints the address as it parsed it
    fake.states['virtproxyd-tls.socket']['listen'] = '[2001:db8::1]:16514 (Stream)'
    fake.calls = []
    again = run(args)
    assert again['changed'] is False and fake.mutating() == []


def proc_net_line(address, port, state='0A'):
    """One /proc/net/tcp(6) line as this machine's kernel prints it (words in host order)."""
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    packed = socket.inet_pton(family, address)
    words = struct.unpack('=' + 'I' * (len(packed) // 4), packed)
    return '   0: {0}:{1:04X} 00000000:0000 {2} 00000000:00000000 00:00000000 00000000 0 0 1 1'.format(
        ''.join('{0:08X}'.format(word) for word in words), port, state)


def test_parse_proc_net_tcp_gives_the_listeners():
    text = '\n'.join(['  sl  local_address rem_address   st ...',
                      proc_net_line('127.0.0.1', 16514), proc_net_line('10.0.0.5', 22, state='01'),
                      proc_net_line('::', 16509), proc_net_line('2001:db8::1', 16514)])
    assert libvirt_dropins.parse_proc_net_tcp(text) == ['127.0.0.1:16514', '[::]:16509', '[2001:db8::1]:16514']
    assert libvirt_dropins.parse_proc_net_tcp(None) == []


# ---- issue 16: libvirt's traditional mode ----------------------------------------------------

def traditional_host():
    """libvirtd --listen with its sockets masked, as on hosts set up before socket activation."""
    return make_host(DEBIAN_HOST, host(MONO_SOCKETS + ['libvirtd-tcp.socket', 'libvirtd-tls.socket'], masked))


def test_traditional_mode_is_refused_before_any_change(env):
    env.libvirtd_env.write_text(u'# options\nLIBVIRTD_ARGS="--listen"\n')
    fake = env.host(traditional_host())
    result = run({'mode': 'auto'}, FailJson)
    assert result['mode'] == 'monolithic'
    assert result['msg'].startswith("libvirt's traditional mode: LIBVIRTD_ARGS in {0} has --listen".format(env.libvirtd_env))
    assert 'remove --listen from LIBVIRTD_ARGS' in result['msg'] and result['msg'].endswith('nothing was changed')
    assert fake.mutating() == []


def test_traditional_mode_from_exec_start(env):
    states = traditional_host()
    states['libvirtd.service']['exec_start'] = (
        '{ path=/usr/sbin/libvirtd ; argv[]=/usr/sbin/libvirtd -l $LIBVIRTD_ARGS ; ignore_errors=no ; '
        'start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }')
    fake = env.host(states)
    fake.__class__ = type('ExecStartSystemd', (fake.__class__,), {'_block': lambda self, unit, props=None: super(
        fake.__class__, self)._block(unit, props) + ('ExecStart={0}\n'.format(self.states[unit]['exec_start'])
                                                     if 'exec_start' in self.states.get(unit, {}) else '')})
    result = run({'mode': 'monolithic'}, FailJson)
    assert "libvirtd.service's ExecStart has --listen (/usr/sbin/libvirtd -l $LIBVIRTD_ARGS)" in result['msg']
    assert fake.mutating() == []


def test_traditional_mode_does_not_block_the_switch_to_modular(env):
    env.libvirtd_env.write_text(u'LIBVIRTD_ARGS="--listen"\n')
    states = make_host(MONOLITHIC_EL9, host(MONO_SOCKETS, masked))
    env.host(states)
    result = run(SWITCH_ARGS)
    assert result['changed'] is True and result['mode'] == 'modular'
    assert result['traditional_mode'].startswith('LIBVIRTD_ARGS in ')


@pytest.mark.parametrize('text, found', [
    (u'LIBVIRTD_ARGS="--listen"\n', True),
    (u"LIBVIRTD_ARGS='--timeout 120 -l'\n", True),
    (u'#LIBVIRTD_ARGS="--listen"\n', False),
    (u'LIBVIRTD_ARGS="--timeout 120"\n', False),
    (u'OTHER="--listen"\n', False),
    (None, False),
])
def test_traditional_mode_reads_libvirtd_args(text, found):
    assert bool(libvirt_mode.traditional_mode({'/etc/default/libvirtd': text})) is found


# ---- issue 16: a switch never widens who may connect ---------------------------------------------

def test_a_switch_that_would_drop_libvirtd_security_settings_is_refused(env):
    (env.conf_dir / 'libvirtd.conf').write_text(
        u'# who may connect\nauth_unix_rw = "polkit"\ntls_allowed_dn_list = [\n  "CN=admin",\n  "CN=ops" ]\n'
        u'host_uuid = "8d9e6c1a-0000-4000-8000-000000000001"\n')
    for daemon in ('virtqemud', 'virtnetworkd'):
        (env.conf_dir / (daemon + '.conf')).write_text(u'auth_unix_rw="polkit"\n')
    fake = env.host(MONOLITHIC_EL9)
    result = run(SWITCH_ARGS, FailJson)
    assert result['msg'].startswith('switching to the modular daemons would leave behind settings that say who may connect')
    assert 'host_uuid = "8d9e6c1a-0000-4000-8000-000000000001" in {0}, but {1} does not set it'.format(
        env.conf_dir / 'libvirtd.conf', env.conf_dir / 'virtqemud.conf') in result['msg']
    # the same value spelt otherwise is carried over; the remote list only matters with remote sockets
    assert 'auth_unix_rw' not in result['msg'] and 'tls_allowed_dn_list' not in result['msg']
    assert result['msg'].endswith('nothing was changed') and fake.mutating() == []


def test_a_switch_with_the_settings_carried_over_goes_ahead(env):
    text = u'host_uuid = "8d9e6c1a-0000-4000-8000-000000000001"\n'
    (env.conf_dir / 'libvirtd.conf').write_text(text)
    for daemon in ('virtqemud', 'virtnetworkd'):
        (env.conf_dir / (daemon + '.conf')).write_text(text)
    env.host(MONOLITHIC_EL9)
    assert run(SWITCH_ARGS)['changed'] is True


def test_remote_security_settings_must_reach_virtproxyd(env):
    for name in ('cacert.pem', 'servercert.pem', 'serverkey.pem'):
        (env.path / name).write_text(u'x')
    (env.conf_dir / 'libvirtd.conf').write_text(u'tls_allowed_dn_list = ["CN=admin"]\n')
    states = make_host(MONOLITHIC_EL9)
    fake = env.host(states)
    result = run(dict(SWITCH_ARGS, remote='tls', tls_ca_cert=str(env.path / 'cacert.pem'),
                      tls_server_cert=str(env.path / 'servercert.pem'), tls_server_key=str(env.path / 'serverkey.pem')),
                 FailJson)
    assert 'tls_allowed_dn_list = ["CN=admin"] in {0}, but {1} does not set it'.format(
        env.conf_dir / 'libvirtd.conf', env.conf_dir / 'virtproxyd.conf') in result['msg']
    assert fake.mutating() == []


def test_no_switch_no_check(env):
    (env.conf_dir / 'libvirtd.conf').write_text(u'host_uuid = "8d9e6c1a-0000-4000-8000-000000000001"\n')
    fake = env.host(DEBIAN_HOST)
    run({'mode': 'monolithic'})
    assert fake.states['libvirtd.socket']['active_state'] == 'active'


def test_a_rollback_rebinds_a_socket_restarted_with_a_drop_in_it_took_back(env):
    """The run restarted virtqemud.socket with mode 0660, then the service's start failed: the
    drop-in is removed again, and the socket restarted, so that clients meet the old mode again."""
    # mutating calls: daemon-reload, stop virtqemud.service, restart the socket, start the service
    fake = env.host(modular_qemu_host(socket_group='root', socket_mode='0666'), fail_mutating=(4,))
    result = run(dict(QEMU_ONLY, socket_group='libvirt', socket_mode='0660'), FailJson)
    assert result['step'] == 'systemctl start virtqemud.service'
    assert 'systemctl restart virtqemud.socket' in result['rollback_actions']
    assert (fake.bound['virtqemud.socket']['socket_group'], fake.bound['virtqemud.socket']['socket_mode']) == (
        'root', '0666')
    assert dropin(env, 'virtqemud.socket') is None
    # the service had to stop for the socket: that much is said, nothing else
    assert result['not_restored'] == ['virtqemud.service: restarted']
