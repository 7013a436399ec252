# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The choices the role's argument_specs and the filters' docs list for drivers, socket
kinds, modes and remote access are the catalogue's (the module's docs are held to its
argument spec by ansible-test's validate-modules), so a new driver cannot drift."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    DEFAULT_DRIVERS,
    DRIVERS,
    MODES,
    REMOTES,
    SOCKET_KINDS,
)
from ansible_collections.kvmhost.setup.plugins.doc_fragments.libvirt_units import ModuleDocFragment
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import OVERRIDES
from ansible_collections.kvmhost.setup.plugins.modules import libvirt_daemons

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def _load(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def _role_options():
    return _load('roles', 'kvmhost_setup', 'meta', 'argument_specs.yml')['argument_specs']['main']['options']


def _filter_options(name):
    return _load('plugins', 'filter', name + '.yml')['DOCUMENTATION']['options']


@pytest.mark.parametrize('option, choices, default', [
    ('kvmhost_setup_libvirt_drivers', DRIVERS, DEFAULT_DRIVERS),
    ('kvmhost_setup_libvirt_sockets', SOCKET_KINDS, SOCKET_KINDS),
    ('kvmhost_setup_libvirt_daemon_mode', OVERRIDES, 'auto'),
    ('kvmhost_setup_libvirt_remote', REMOTES, 'none'),
])
def test_role_choices_are_the_catalogues(option, choices, default):
    spec = _role_options()[option]
    assert spec['choices'] == list(choices), option
    assert spec['default'] == (list(default) if isinstance(default, (list, tuple)) else default), option


@pytest.mark.parametrize('name, option, choices', [
    ('libvirt_daemon_units', '_input', DRIVERS),
    ('libvirt_daemon_units', 'mode', MODES),
    ('libvirt_daemon_units', 'remote', REMOTES),
    ('libvirt_daemon_mode', 'override', OVERRIDES),
])
def test_filter_doc_choices_are_the_catalogues(name, option, choices):
    assert _filter_options(name)[option]['choices'] == list(choices), (name, option)


def test_shared_fragment_choices_are_the_catalogues():
    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    assert options['sockets']['choices'] == list(SOCKET_KINDS)


@pytest.mark.parametrize('option, choices', [
    ('drivers', DRIVERS), ('sockets', SOCKET_KINDS), ('mode', OVERRIDES), ('remote', REMOTES),
])
def test_module_argument_spec_choices_are_the_catalogues(option, choices):
    assert libvirt_daemons.ARGUMENT_SPEC[option]['choices'] == list(choices), option
