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


# Who may connect, as libvirtd.conf and the modular daemons' .conf files say it: a switch
# that leaves one behind lets clients in that the old daemon refused.
# - remote: the TLS/TCP clients, read by the daemon serving the -tls/-tcp socket;
# - local: the unix sockets' authentication and the access control drivers, read by every
#   daemon that serves a socket;
# - host: the host UUID, read by the hypervisor daemon (migration refuses a peer with the
#   same UUID).
SECURITY_KEYS = {
    'remote': ('auth_tls', 'auth_tcp', 'tls_allowed_dn_list', 'sasl_allowed_username_list', 'tls_no_verify_certificate',
               'tls_no_sanity_certificate', 'tls_priority', 'key_file', 'cert_file', 'ca_file', 'crl_file'),
    'local': ('auth_unix_rw', 'auth_unix_ro', 'access_drivers'),
    'host': ('host_uuid', 'host_uuid_source'),
}

_SETTING_RE = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$')


def conf_values(text):
    """{key: value} of a libvirt .conf text, a list value spanning lines joined and every
    value's whitespace outside quotes collapsed so that two spellings compare equal."""
    values = {}
    key, parts = None, []
    for line in (text or '').splitlines():
        if key is not None:
            parts.append(_uncomment(line))
            if ']' in line:
                values[key], key = ''.join(parts), None
            continue
        if line.lstrip().startswith('#'):
            continue
        match = _SETTING_RE.match(line)
        if not match:
            continue
        value = _uncomment(match.group(2))
        if value.lstrip().startswith('[') and ']' not in value:
            key, parts = match.group(1), [value]
            continue
        values[match.group(1)] = value
    return dict((name, _collapse(value)) for name, value in values.items())


def _uncomment(text):
    """The text before a '#' that is not inside quotes."""
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == '#' and not quoted:
            return text[:index]
    return text


def _collapse(value):
    out, quoted = [], False
    for char in value.strip():
        if char == '"':
            quoted = not quoted
        if char.isspace() and not quoted:
            continue
        out.append(char)
    return ''.join(out)


def switch_losses(sources, targets):
    """The security settings a switch would leave behind: for each (scope) key that a file
    of ``sources`` ({path: text}) sets, every file of ``targets`` ({scope: {path: text}})
    must set it alike. Returns ['key = value in src, but dst does not set it' ...]."""
    losses = []
    for scope in sorted(targets):
        for key in SECURITY_KEYS[scope]:
            for source in sorted(sources):
                value = conf_values(sources[source]).get(key)
                if value is None:
                    continue
                for target in sorted(targets[scope]):
                    there = conf_values(targets[scope][target]).get(key)
                    if there != value:
                        losses.append('{0} = {1} in {2}, but {3} {4}'.format(
                            key, value, source, target, 'does not set it' if there is None else 'has ' + there))
    return losses
