# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Safety checks before libvirt listens on the network (TLS port 16514, TCP port 16509).

Pure functions over what the caller read: file existence and config texts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# SASL mechanisms that encrypt the libvirt TCP session (SCRAM/PLAIN do not)
ENCRYPTING_MECHS = ('gssapi', 'digest-md5')
AUTH_TCP_DEFAULT = 'sasl'
SASL_CONF = '/etc/sasl2/libvirt.conf'

_AUTH_TCP_RE = re.compile(r'''^\s*auth_tcp\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))''')
_MECH_LIST_RE = re.compile(r'^\s*mech_list\s*:\s*(.*)$')


def missing_tls_files(exists):
    """Paths that do not exist, from pairs (path, exists) or a dict path -> exists, in order."""
    items = exists.items() if isinstance(exists, dict) else exists
    return [path for path, present in items if not present]


def auth_tcp(conf_text):
    """Effective auth_tcp of libvirtd.conf / virtproxyd.conf text; 'sasl' when unset.

    A missing file (None), an absent or commented-out line means the default,
    which is sasl.  The last setting wins.
    """
    value = AUTH_TCP_DEFAULT
    for line in (conf_text or '').splitlines():
        match = _AUTH_TCP_RE.match(line)
        if match:
            value = next(group for group in match.groups() if group is not None).strip()
    return value


def sasl_mechs(sasl_text):
    """Mechanisms of the mech_list line of /etc/sasl2/libvirt.conf text (lower case)."""
    mechs = []
    for line in (sasl_text or '').splitlines():
        line = line.split('#', 1)[0]
        match = _MECH_LIST_RE.match(line)
        if match:
            mechs = [mech.lower() for mech in re.split(r'[\s,]+', match.group(1).strip()) if mech]
    return mechs


def check_tcp(conf_text, sasl_text, allow_insecure_tcp=False, conf_path='the daemon config'):
    """(error, warning) for remote='tcp'.

    TCP is safe only with auth_tcp = "sasl" (the default) and a SASL mech_list
    holding an encrypting mechanism (gssapi or digest-md5).  Otherwise it is
    refused (error), unless ``allow_insecure_tcp`` turns it into a warning.
    """
    problems = []
    auth = auth_tcp(conf_text)
    if auth != 'sasl':
        problems.append('auth_tcp is {0!r} in {1} (only "sasl" authenticates TCP clients)'.format(auth, conf_path))
    mechs = sasl_mechs(sasl_text)
    if not any(mech in ENCRYPTING_MECHS for mech in mechs):
        problems.append('{0} mech_list is {1} (needs an encrypting mechanism: {2})'.format(
            SASL_CONF, ' '.join(mechs) if mechs else 'not set', ' or '.join(ENCRYPTING_MECHS)))
    if not problems:
        return None, None
    text = ('libvirt over TCP (port 16509) would be cleartext or unauthenticated, and a read-write '
            'connection is root on the host: ' + '; '.join(problems))
    if allow_insecure_tcp:
        return None, text + '; allowed by allow_insecure_tcp'
    return text + '; use remote=tls, fix the SASL setup, or set allow_insecure_tcp=true', None
