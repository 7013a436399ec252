# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils import systemd_show as show

THREE = """Id=libvirtd.service
LoadState=loaded
UnitFileState=enabled
ActiveState=active
SubState=running

Id=virtqemud.socket
LoadState=loaded
UnitFileState=disabled
ActiveState=inactive
SubState=dead

Id=virtfoo.socket
LoadState=not-found
UnitFileState=
ActiveState=inactive
SubState=dead
"""


def st(load, ufs, active, sub):
    return {'load_state': load, 'unit_file_state': ufs, 'active_state': active, 'sub_state': sub}


def test_show_args():
    assert show.show_args(['a.service', 'b.socket']) == [
        'show', '--property=Id,LoadState,UnitFileState,ActiveState,SubState,InvocationID,NeedDaemonReload,ExecStart,'
        'SocketGroup,SocketMode,Listen', '--no-pager', '--',
        'a.service', 'b.socket']


@pytest.mark.parametrize('output, units, expected', [
    (THREE, ['libvirtd.service', 'virtqemud.socket', 'virtfoo.socket'], {
        'libvirtd.service': st('loaded', 'enabled', 'active', 'running'),
        'virtqemud.socket': st('loaded', 'disabled', 'inactive', 'dead'),
        'virtfoo.socket': st('not-found', '', 'inactive', 'dead'),
    }),
    # alias: the Id is the unit the alias points to; the requested name is kept
    ("Id=tuned.service\nLoadState=loaded\nUnitFileState=enabled\nActiveState=active\nSubState=running\n",
     ['dbus-org.fedoraproject.tuned.service'],
     {'dbus-org.fedoraproject.tuned.service': st('loaded', 'enabled', 'active', 'running')}),
    # CRLF, several blank lines, properties in another order, some missing
    ("\r\n\r\nActiveState=active\r\nId=a.socket\r\nLoadState=loaded\r\n\r\n\r\n"
     "Id=b.socket\r\nSubState=dead\r\n",
     ['a.socket', 'b.socket'], {
         'a.socket': st('loaded', '', 'active', ''),
         'b.socket': st('', '', '', 'dead'),
     }),
    # values containing '=' and lines without '='
    ("Id=x.service\nLoadState=loaded\nUnitFileState=enabled=odd\nActiveState=active\nSubState=a=b=c\ngarbage\n",
     ['x.service'], {'x.service': st('loaded', 'enabled=odd', 'active', 'a=b=c')}),
    # duplicates in the request: one block for the unique name (the caller dedupes the command too)
    ("Id=x.service\nLoadState=loaded\nUnitFileState=static\nActiveState=inactive\nSubState=dead\n",
     ['x.service', 'x.service'], {'x.service': st('loaded', 'static', 'inactive', 'dead')}),
    # fewer blocks than units: matched by Id, the unmatched unit is unknown
    ("Id=b.socket\nLoadState=loaded\nUnitFileState=enabled\nActiveState=active\nSubState=listening\n",
     ['a.socket', 'b.socket'], {
         'a.socket': st('', '', '', ''),
         'b.socket': st('loaded', 'enabled', 'active', 'listening'),
     }),
    # count mismatch: only blocks whose Id was requested are trusted, an alias stays unknown
    ("Id=a.socket\nLoadState=loaded\nUnitFileState=enabled\nActiveState=active\nSubState=listening\n\n"
     "Id=real.service\nLoadState=loaded\nUnitFileState=enabled\nActiveState=active\nSubState=running\n",
     ['alias.service', 'a.socket', 'c.socket'], {
         'a.socket': st('loaded', 'enabled', 'active', 'listening'),
         'alias.service': st('', '', '', ''),
         'c.socket': st('', '', '', ''),
     }),
    ('', ['a.socket'], {'a.socket': st('', '', '', '')}),
])
def test_parse_show(output, units, expected):
    assert show.parse_show(output, units) == expected


def test_parse_show_positional_when_counts_match():
    # the Id of an alias differs; a not-found unit's Id is the requested name
    output = ("Id=real.service\nLoadState=loaded\nUnitFileState=enabled\nActiveState=active\nSubState=running\n\n"
              "Id=gone.service\nLoadState=not-found\nUnitFileState=\nActiveState=inactive\nSubState=dead\n")
    got = show.parse_show(output, ['alias.service', 'gone.service'])
    assert got['alias.service']['load_state'] == 'loaded'
    assert got['gone.service']['load_state'] == 'not-found'
    assert not show.is_installed(got['gone.service'])


@pytest.mark.parametrize('state, installed, running, masked, enabled, disable', [
    (st('loaded', 'enabled', 'active', 'running'), True, True, False, True, True),
    (st('loaded', 'enabled-runtime', 'active', 'running'), True, True, False, False, True),
    (st('loaded', 'static', 'inactive', 'dead'), True, False, False, True, False),
    (st('loaded', 'indirect', 'inactive', 'dead'), True, False, False, True, False),
    (st('loaded', 'alias', 'inactive', 'dead'), True, False, False, True, False),
    (st('loaded', 'generated', 'activating', 'start'), True, True, False, True, False),
    (st('loaded', 'disabled', 'deactivating', 'stop'), True, False, False, False, False),
    (st('loaded', 'linked', 'failed', 'failed'), True, False, False, False, True),
    (st('masked', 'masked', 'inactive', 'dead'), True, False, True, False, False),
    (st('loaded', 'masked-runtime', 'inactive', 'dead'), True, False, True, False, False),
    (st('not-found', '', 'inactive', 'dead'), False, False, False, False, False),
    (st('', '', '', ''), False, False, False, False, False),
])
def test_predicates(state, installed, running, masked, enabled, disable):
    assert show.is_installed(state) is installed
    assert show.is_running(state) is running
    assert show.is_masked(state) is masked
    assert show.is_enabled(state) is enabled
    assert show.needs_disable(state) is disable


@pytest.mark.parametrize('state, text', [
    (st('loaded', 'enabled', 'active', 'running'), 'enabled/active'),
    (st('masked', 'masked', 'inactive', 'dead'), 'masked/inactive'),
    (st('not-found', '', 'inactive', 'dead'), 'not-found'),
    (st('', '', '', ''), 'unknown'),
])
def test_summary(state, text):
    assert show.summary(state) == text


def test_fresh_state():
    assert show.fresh_state() == st('loaded', 'disabled', 'inactive', 'dead')


def test_split_probe_keeps_order_and_always_asks_the_requested():
    from ansible_collections.kvmhost.setup.plugins.module_utils.systemd_show import split_probe
    ask, absent = split_probe(['a.socket', 'b.socket', 'c.service', 'd.socket'],
                              always=['c.service'], present=set(['d.socket', 'a.socket']))
    assert ask == ['a.socket', 'c.service', 'd.socket']
    assert absent == ['b.socket']
