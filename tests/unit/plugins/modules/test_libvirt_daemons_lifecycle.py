# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""guest_lifecycle: the version check at the probe, leaving libvirt-guests without its
ExecStop, and libvirt-guests held back while qemu.conf still arms the daemon."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import mode_units
from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_host, libvirt_lifecycle, libvirt_run
from ansible_collections.kvmhost.setup.tests.unit.plugins.fake_systemd import FailJson, make_host, run
from ansible_collections.kvmhost.setup.tests.unit.plugins.unit_states import host, off, on, shared_units

GUESTS = 'libvirt-guests.service'
MONO = {'mode': 'monolithic', 'sockets': ['main']}
DEBIAN = {'distribution': 'Debian', 'distribution_major_version': '13', 'os_family': 'Debian'}


def debian_host(guests_state):
    return make_host(
        host(mode_units('monolithic') + shared_units(), off),
        host(['libvirtd.service', 'libvirtd.socket', 'virtlogd.socket', 'virtlockd.socket'], on),
        {GUESTS: guests_state},
    )


@pytest.fixture
def lenv(env, monkeypatch, tmp_path):
    env.facts(DEBIAN)
    env.version = 'libvirtd (libvirt) 11.3.0\n'
    monkeypatch.setattr(libvirt_host, 'libvirt_version_text', lambda module, daemon: env.version)
    env.qemu_conf = tmp_path / 'qemu.conf'
    monkeypatch.setattr(libvirt_host, 'QEMU_CONF', str(env.qemu_conf))
    env.no_stop = tmp_path / 'run-systemd' / (GUESTS + '.d') / '50-kvmhost-setup-leave.conf'
    monkeypatch.setattr(libvirt_lifecycle, 'NO_STOP_DROPIN', str(env.no_stop))
    env.order = tmp_path / 'etc-systemd' / (GUESTS + '.d') / 'kvmhost-setup-order.conf'
    monkeypatch.setattr(libvirt_run, 'ORDER_DROPIN', str(env.order))
    return env


def test_daemon_refused_on_libvirt_9_at_the_probe(lenv):
    fake = lenv.host(debian_host(on(GUESTS)))
    lenv.version = 'libvirtd (libvirt) 9.0.0\n'
    for state in ('probed', 'started'):
        result = run(dict(MONO, state=state, guest_lifecycle='daemon'), expect=FailJson)
        assert '9.0.0' in result['msg'] and '>= 11.2.0' in result['msg'] and 'nothing was changed' in result['msg']
    assert fake.mutating() == []
    assert fake.states[GUESTS]['active_state'] == 'active'


def test_probe_reports_version_and_qemu_conf(lenv):
    lenv.host(debian_host(on(GUESTS)))
    result = run(dict(MONO, state='probed', guest_lifecycle='daemon',
                      guest_daemon_settings={'auto_shutdown_poweroff': 'none'}))
    assert result['libvirt_version'] == '11.3.0'
    life = result['guest_lifecycle']
    assert life['mechanism'] == 'daemon' and life['pending'] is False
    assert life['qemu_conf']['auto_shutdown_try_save'] == 'persistent'
    assert life['qemu_conf']['auto_shutdown_poweroff'] == 'none'
    assert life['libvirt_guests_file'] == '/etc/default/libvirt-guests'
    # 11.3 is below 11.7: allowed, with the warning
    assert any('11.7.0' in text for text in lenv.warned)


def test_leaving_libvirt_guests_skips_its_exec_stop(lenv):
    fake = lenv.host(debian_host(on(GUESTS)))
    result = run(dict(MONO, guest_lifecycle='daemon'))
    no_stop = str(lenv.no_stop)
    assert result['actions'][:6] == [
        'write ' + no_stop, 'systemctl daemon-reload', 'systemctl stop ' + GUESTS,
        'remove ' + no_stop, 'systemctl daemon-reload', 'systemctl disable ' + GUESTS]
    assert result['changed'] is True
    assert fake.states[GUESTS]['active_state'] == 'inactive'
    assert fake.states[GUESTS]['unit_file_state'] == 'disabled'
    # the drop-in and the directory made for it are gone
    assert not lenv.no_stop.exists() and not lenv.no_stop.parent.exists()
    assert result['units'][GUESTS]['active_state'] == 'inactive'
    # converged: nothing more
    fake.calls = []
    again = run(dict(MONO, guest_lifecycle='daemon'))
    assert again['changed'] is False and again['actions'] == []
    assert [call[1] for call in fake.calls] == ['show']


def test_leaving_in_check_mode_changes_nothing(lenv):
    fake = lenv.host(debian_host(on(GUESTS)))
    result = run(dict(MONO, guest_lifecycle='none', _ansible_check_mode=True))
    assert 'systemctl stop ' + GUESTS in result['actions']
    assert result['changed'] is True and fake.mutating() == []
    assert not lenv.no_stop.exists()


def test_verified_reports_libvirt_guests_left_on(lenv):
    lenv.host(debian_host(on(GUESTS)))
    result = run(dict(MONO, state='verified', guest_lifecycle='none'), expect=FailJson)
    assert any(item['unit'] == GUESTS for item in result['drift'])


def test_libvirt_guests_waits_while_qemu_conf_arms_the_daemon(lenv):
    fake = lenv.host(debian_host(off(GUESTS)))
    lenv.qemu_conf.write_text(u'auto_shutdown_try_save = "persistent"\n')
    result = run(dict(MONO, guest_lifecycle='libvirt-guests', extra_units=[GUESTS]))
    life = result['guest_lifecycle']
    assert life['pending'] is True and life['armed'] == {'auto_shutdown_try_save': 'persistent'}
    assert life['qemu_conf'] == dict((key, 'none') for key in libvirt_lifecycle.DAEMON_ACTIONS)
    assert not [call for call in fake.mutating() if GUESTS in call]
    # qemu.conf written off (by the role): now it is switched on
    lenv.qemu_conf.write_text(u'auto_shutdown_try_save = "none"\n')
    result = run(dict(MONO, guest_lifecycle='libvirt-guests'))
    assert result['guest_lifecycle']['pending'] is False
    assert 'systemctl enable ' + GUESTS in result['actions'] and 'systemctl start ' + GUESTS in result['actions']
    assert fake.states[GUESTS]['active_state'] == 'active'
    # ordered after the hypervisor services, so that it saves the guests before they stop
    assert result['actions'][:2] == ['write ' + str(lenv.order), 'systemctl daemon-reload']
    assert 'After=libvirtd.service virtqemud.service' in lenv.order.read_text()
    fake.calls = []
    again = run(dict(MONO, guest_lifecycle='libvirt-guests'))
    assert again['changed'] is False and again['actions'] == []
    # leaving libvirt-guests removes the ordering again
    left = run(dict(MONO, guest_lifecycle='none'))
    assert 'remove ' + str(lenv.order) in left['actions']
    assert not lenv.order.exists() and not lenv.order.parent.exists()


def test_kvmhost_services_with_another_mechanism_refused(lenv):
    fake = lenv.host(debian_host(on(GUESTS)))
    result = run(dict(MONO, state='probed', guest_lifecycle='none', extra_units=[GUESTS]), expect=FailJson)
    assert 'kvmhost_services' in result['msg'] and 'kvmhost_setup_guest_lifecycle' in result['msg']
    assert fake.mutating() == []


def test_unset_guest_lifecycle_reads_no_version(lenv):
    lenv.host(debian_host(on(GUESTS)))
    result = run(dict(MONO, state='probed'))
    assert 'libvirt_version' not in result and 'guest_lifecycle' not in result
