# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit-state builders shared by the unit tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import SHARED_DAEMONS, daemon_units_all

_SUB = {'socket': 'listening', 'service': 'running'}


def state(unit_file_state='disabled', active_state='inactive', load_state='loaded', sub_state=None, unit=''):
    if sub_state is None:
        if active_state == 'active':
            sub_state = _SUB.get(unit.rsplit('.', 1)[-1], 'active')
        else:
            sub_state = 'dead'
    return {'load_state': load_state, 'unit_file_state': unit_file_state,
            'active_state': active_state, 'sub_state': sub_state}


def on(unit=''):
    return state('enabled', 'active', unit=unit)


def off(unit=''):
    return state('disabled', 'inactive', unit=unit)


def masked(unit=''):
    return state('masked', 'inactive', load_state='masked', unit=unit)


def missing(unit=''):
    return state('', 'inactive', load_state='not-found', unit=unit)


def host(units, maker):
    """{unit: maker(unit)} for every unit."""
    return dict((unit, maker(unit)) for unit in units)


def shared_units():
    """virtlogd's and virtlockd's units, which both modes use."""
    return [unit for daemon in SHARED_DAEMONS for unit in daemon_units_all(daemon)]
