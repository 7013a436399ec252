# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_host
from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import is_running
from ansible_collections.kvmhost.setup.tests.unit.plugins.fake_systemd import make_env


# the fake's shown socket settings, which are also what its clients see unless 'bound' says otherwise
SHOWN = (('socket_group', 'SocketGroup'), ('socket_mode', 'SocketMode'))


@pytest.fixture
def env(monkeypatch, tmp_path):
    """The module against the fake systemd: PID 1 systemd, no guests, EL9 facts.

    What clients see of a socket is what the fake shows, unless a unit's fake state holds
    'bound' ({key: value}): then the bound socket differs from the loaded unit, as after a
    daemon-reload without a restart."""
    env = make_env(monkeypatch, tmp_path)
    env.libvirtd_env = tmp_path / 'sysconfig-libvirtd'
    monkeypatch.setattr(libvirt_host, 'LIBVIRTD_ENV_FILES', (str(env.libvirtd_env),))
    env.conf_dir = tmp_path / 'etc-libvirt'
    env.conf_dir.mkdir()
    monkeypatch.setattr(libvirt_host, 'LIBVIRT_CONF_DIR', str(env.conf_dir))

    def client_view(states):
        fake = env.systemd
        for unit, state in states.items():
            if fake is None or not is_running(state):
                continue
            faked = fake.states.get(unit, {})
            if 'bound' in faked:
                state['seen'] = dict(faked['bound'])
            elif any(key in faked for key, dummy in SHOWN):
                state['seen'] = dict((name, faked[key]) for key, name in SHOWN if key in faked)

    monkeypatch.setattr(libvirt_host, 'client_view', client_view)
    return env
