# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import OrderedDict

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_remote as remote

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_remote import (
    auth_tcp,
    check_tcp,
    missing_tls_files,
    sasl_mechs,
)

CA = '/etc/pki/CA/cacert.pem'
CERT = '/etc/pki/libvirt/servercert.pem'
KEY = '/etc/pki/libvirt/private/serverkey.pem'


@pytest.mark.parametrize('exists, missing', [
    ([(CA, True), (CERT, True), (KEY, True)], []),
    ([(CA, False), (CERT, True), (KEY, False)], [CA, KEY]),
    (OrderedDict([(CA, False), (CERT, False), (KEY, False)]), [CA, CERT, KEY]),
    ({KEY: False}, [KEY]),
    ([], []),
])
def test_missing_tls_files(exists, missing):
    assert missing_tls_files(exists) == missing


@pytest.mark.parametrize('text, value', [
    (None, 'sasl'),
    ('', 'sasl'),
    ('#auth_tcp = "none"\n', 'sasl'),
    ('  # auth_tcp = "none"\n', 'sasl'),
    ('auth_tcp = "none"\n', 'none'),
    ('auth_tcp="sasl"\n', 'sasl'),
    ("auth_tcp = 'none'\n", 'none'),
    ('auth_tcp = "none"  # for testing\n', 'none'),
    ('auth_tcp = "none"\nauth_tcp = "sasl"\n', 'sasl'),
    ('auth_tcp = "sasl"\nauth_tcp = "none"\n', 'none'),
    ('auth_tls = "none"\nlisten_tcp = 1\n', 'sasl'),
    ('auth_tcp_x = "none"\n', 'sasl'),
    ('auth_tcp = "polkit"\n', 'polkit'),
])
def test_auth_tcp(text, value):
    assert auth_tcp(text) == value


@pytest.mark.parametrize('text, mechs', [
    (None, []),
    ('# mech_list: digest-md5\n', []),
    ('mech_list: gssapi\n', ['gssapi']),
    ('mech_list: DIGEST-MD5 scram-sha-256\n', ['digest-md5', 'scram-sha-256']),
    ('mech_list: scram-sha-256\nsasldb_path: /etc/libvirt/passwd.db\n', ['scram-sha-256']),
    ('mech_list:  gssapi   # kerberos\n', ['gssapi']),
    ('mech_list: plain\nmech_list: gssapi\n', ['gssapi']),
])
def test_sasl_mechs(text, mechs):
    assert sasl_mechs(text) == mechs


SAFE_SASL = 'mech_list: gssapi\nkeytab: /etc/libvirt/krb5.tab\n'


@pytest.mark.parametrize('conf, sasl, allow, error, warning', [
    (None, SAFE_SASL, False, None, None),
    ('#auth_tcp = "none"\n', 'mech_list: digest-md5\n', False, None, None),
    ('auth_tcp = "none"\n', SAFE_SASL, False, ["auth_tcp is 'none'"], None),
    (None, 'mech_list: scram-sha-256\n', False, ['mech_list is scram-sha-256', 'gssapi or digest-md5'], None),
    (None, None, False, ['mech_list is not set'], None),
    ('auth_tcp = "none"\n', None, False, ["auth_tcp is 'none'", 'mech_list is not set', 'allow_insecure_tcp'],
     None),
    ('auth_tcp = "none"\n', None, True, None, ["auth_tcp is 'none'", 'allowed by allow_insecure_tcp']),
    (None, SAFE_SASL, True, None, None),
])
def test_check_tcp(conf, sasl, allow, error, warning):
    got_error, got_warning = check_tcp(conf, sasl, allow, '/etc/libvirt/virtproxyd.conf')
    for expected, got in ((error, got_error), (warning, got_warning)):
        if expected is None:
            assert got is None
        else:
            for text in expected:
                assert text in got


def test_conf_values_reads_lists_comments_and_spacing():
    text = (u'# auth_tls = "none"\nauth_tls="sasl"  # inline comment\n'
            u'tls_allowed_dn_list = [ "CN=a, O=x",\n   "CN=b" ]\nhost_uuid = "u"\n')
    assert remote.conf_values(text) == {'auth_tls': '"sasl"', 'tls_allowed_dn_list': '["CN=a, O=x","CN=b"]',
                                        'host_uuid': '"u"'}
    assert remote.conf_values(None) == {}


def test_switch_losses_names_each_missing_or_different_setting():
    sources = {'/etc/libvirt/libvirtd.conf': u'auth_unix_rw = "polkit"\nhost_uuid = "u"\n'}
    targets = {'local': {'/etc/libvirt/virtqemud.conf': u'auth_unix_rw = "none"\n'},
               'host': {'/etc/libvirt/virtqemud.conf': u'host_uuid="u"\n'}}
    assert remote.switch_losses(sources, targets) == [
        'auth_unix_rw = "polkit" in /etc/libvirt/libvirtd.conf, but /etc/libvirt/virtqemud.conf has "none"']
