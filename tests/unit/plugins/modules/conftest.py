# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.tests.unit.plugins.fake_systemd import make_env


@pytest.fixture
def env(monkeypatch, tmp_path):
    """The module against the fake systemd: PID 1 systemd, no guests, EL9 facts."""
    return make_env(monkeypatch, tmp_path)
