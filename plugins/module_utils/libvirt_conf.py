# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""libvirt's configuration files (qemu.conf, libvirt.conf, virtqemud.conf, ...): typed
settings rendered the way libvirt parses them, and the URIs a host's hypervisor daemons serve.

Pure: no I/O, no AnsibleModule.

The syntax is libvirt's own (src/util/virconf.c), which is not Python's nor YAML's:
- a name starts with a letter, then letters, digits and ``_``;
- a string is in double or single quotes and knows no escape sequence: it ends at the
  next quote of its kind, and may not span lines (triple quotes aside, which the
  collection never writes). A string holding both quote characters cannot be written
  on one line, and neither can one holding a line break;
- a number is an optionally signed decimal integer, read into 64 bits;
- a list is ``[`` values separated by ``,`` ``]``;
- there is nothing else: no boolean (libvirt reads 0 and 1), no float, no dictionary, no
  bare word. A bare word makes the whole file unreadable (``expecting a separator``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import numbers
import re

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    HYPERVISOR_DRIVERS,
    MONOLITHIC_DAEMON,
    daemon_driver,
    service_unit,
    socket_unit,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError

# libvirt's name rule (virConfParseName); \Z, not $: '$' would accept a trailing newline
KEY_RE = re.compile(r'^[A-Za-z][A-Za-z0-9_]*\Z')
# virConfParseLong reads into a long long and does not check for overflow
INT_MIN = -(2 ** 63)
INT_MAX = 2 ** 63 - 1
# any control character but tab: a line break ends a libvirt string, the others have no
# business in a setting and would be invisible in the file
_CONTROL_RE = re.compile(u'[\x00-\x08\x0a-\x1f\x7f]')

# a list as libvirt writes it ('[ ]', '["cpu"]'), not a bracketed IPv6 address
_RAW_LIST_RE = re.compile(r'^\[\s*(\]|["\'].*\])\Z', re.S)

# str and unicode on Python 2, str on Python 3
_STRING_TYPES = (type(u''), type(''))

ALLOWED = ('a string (written in quotes), an integer, a boolean (written as 1 or 0), '
           'or a list of strings or of integers')

# hypervisor driver -> the URI of its system instance (libvirt's drv*.rst pages); vbox
# has only per-user (session) instances, so no system URI to prove
HYPERVISOR_URIS = (
    ('qemu', 'qemu:///system'),
    ('lxc', 'lxc:///system'),
    ('libxl', 'xen:///system'),
    ('ch', 'ch:///system'),
    ('vz', 'vz:///system'),
)


class LibvirtConfError(LibvirtInputError):
    """A setting libvirt could not parse, or that cannot be written on one line."""


class _Refused(Exception):
    """Why one value cannot be written; the caller adds which setting it is."""


def _type_name(value):
    """The plain type name, also for Ansible's tagged and lazy subclasses of the builtins."""
    if value is None:
        return 'None'
    for base in (bool, numbers.Integral, float) + _STRING_TYPES + (bytes, list, tuple, dict):
        if isinstance(value, base):
            return 'int' if base is numbers.Integral else base.__name__
    return type(value).__name__


def _shown(value):
    """A value as the user wrote it, one line: JSON where it can be, repr otherwise."""
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _string(text):
    if _CONTROL_RE.search(text):
        raise _Refused('a libvirt string is one line without control characters')
    if len(text) >= 2 and ((text[0] == text[-1] and text[0] in '"\'') or _RAW_LIST_RE.match(text)):
        # the role wrote values raw before they were typed: '"none"' now means the
        # six characters with their quotes, which no libvirt setting wants
        raise _Refused('it looks like a value already in libvirt syntax; settings are typed: '
                       'give the string without its quotes, a list as a YAML list')
    if '"' not in text:
        return u'"{0}"'.format(text)
    if "'" not in text:
        return u"'{0}'".format(text)
    # libvirt strings have no escapes: a backslash would be taken literally
    raise _Refused('a libvirt string cannot hold both quote characters (libvirt has no escapes)')


def _integer(value):
    number = int(value)
    if not INT_MIN <= number <= INT_MAX:
        raise _Refused('libvirt reads integers into 64 bits ({0} to {1})'.format(INT_MIN, INT_MAX))
    return u'{0}'.format(number)


def _scalar(value):
    if isinstance(value, bool):
        return u'1' if value else u'0'
    if _is_int(value):
        return _integer(value)
    if isinstance(value, _STRING_TYPES):
        return _string(value)
    raise _Refused('')


def render_value(value):
    """The libvirt text of one typed value; raises LibvirtConfError for what libvirt cannot parse."""
    try:
        return _render(value)
    except _Refused as exc:
        raise LibvirtConfError(_why(value, exc))


def _render(value):
    if isinstance(value, (list, tuple)):
        kinds = set()
        for element in value:
            if isinstance(element, bool) or not (_is_int(element) or isinstance(element, _STRING_TYPES)):
                raise _Refused('list elements must be strings or integers, got {0} {1}'.format(
                    _type_name(element), _shown(element)))
            kinds.add('int' if _is_int(element) else 'str')
        if len(kinds) > 1:
            raise _Refused('a list holds strings or integers, not both')
        return u'[{0}]'.format(u', '.join(_scalar(element) for element in value))
    return _scalar(value)


def _why(value, exc):
    reason = '{0}'.format(exc)
    text = '{0} {1}'.format(_type_name(value), _shown(value))
    return '{0}: {1}'.format(text, reason) if reason else text


def conf_lines(settings, name='settings', owned=None, owner=None):
    """The ``key = value`` lines for a dict of typed settings, in the dict's order.

    ``name`` is what the user set (named in every error). ``owned`` are settings the
    caller writes itself (``owner`` names where they come from); the same key in both
    must render the same, or the error asks to set it in one place only.
    Returns a list of dicts ``{key, value, line}``; raises LibvirtConfError naming the
    setting, its value's type and what is allowed.
    """
    merged = []
    for source, label in [(settings, name)] + ([(owned, owner or 'the role')] if owned is not None else []):
        if not isinstance(source, dict):
            raise LibvirtConfError('{0} must be a dict of setting names to values, got {1} {2}'.format(
                label, _type_name(source), _shown(source)))
        merged.append((source, label))
    lines = []
    seen = {}
    for source, label in merged:
        for key, value in source.items():
            if not isinstance(key, _STRING_TYPES) or not KEY_RE.match(key):
                raise LibvirtConfError(
                    '{0} entry {1}: allowed are libvirt setting names (a letter, then letters, '
                    'digits and _)'.format(label, _shown(key)))
            try:
                text = _render(value)
            except _Refused as exc:
                raise LibvirtConfError('{0} entry {1}: {2}; allowed are {3}'.format(
                    label, _shown(key), _why(value, exc), ALLOWED))
            if key in seen:
                if seen[key] != text:
                    raise LibvirtConfError(
                        '{0} sets {1} to {2}, {3} sets it to {4}: set it in one place only'.format(
                            name, key, seen[key], label, text))
                continue
            seen[key] = text
            lines.append({'key': key, 'value': text, 'line': u'{0} = {1}'.format(key, text)})
    return lines


def hypervisor_uris(services, drivers=(), wanted=()):
    """What to connect to, to prove each hypervisor service answers.

    ``services``: the hypervisor services among the wanted units (virtqemud.service,
    libvirtd.service, ...); ``drivers``: the drivers asked for, which say which
    hypervisors a monolithic libvirtd serves; ``wanted``: the wanted units, whose
    ``-ro`` sockets allow a read-only connection.
    Returns a list of dicts ``{uri, service, units, read_only}``, ``units`` being the
    service and its sockets (whose journal explains a failure).
    """
    uris = dict(HYPERVISOR_URIS)
    checks = []
    for service in services:
        daemon = service[:-len('.service')] if service.endswith('.service') else service
        if daemon == MONOLITHIC_DAEMON:
            served = [drv for drv in drivers if drv in HYPERVISOR_DRIVERS]
        else:
            served = [daemon_driver(daemon)]
        ro = socket_unit(daemon, 'ro')
        for driver in [drv for drv in served if drv in uris]:
            checks.append({'uri': uris[driver], 'service': service_unit(daemon),
                           'units': [service_unit(daemon), socket_unit(daemon, 'main')] + ([ro] if ro in wanted else []),
                           'read_only': ro in wanted})
    return checks


# --- setting lines in a file, lineinfile's way ----------------------------------------
# One rule for every file the role writes line by line (qemu.conf, libvirt.conf, the
# environment file libvirt-guests sources): a line sets KEY when it starts with KEY,
# optionally commented out, then ``=`` (spaces allowed around it).
LINE_KEY_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\Z')
# values of these settings are passwords (vnc_password, spice_password, ...): never in a diff
_SECRET_KEY_RE = re.compile(r'password|passwd|secret', re.I)


def setting_pattern(key):
    """The pattern of a line that sets ``key``, commented out or not."""
    return re.compile(r'^#?\s*{0}\s*='.format(re.escape(key)))


def check_line(key, line):
    """Why ``line`` cannot be the line that sets ``key`` (None when it can).

    The line must match its own key's pattern, or the next run would append it again
    and never converge. The line of a password-like key is not quoted in the reason."""
    if not isinstance(key, _STRING_TYPES) or not LINE_KEY_RE.match(key):
        return 'key {0} is not a setting name (a letter or _, then letters, digits and _)'.format(_shown(key))
    shown = '(a password-like setting, not shown)' if _SECRET_KEY_RE.search(key) else _shown(line)
    if not isinstance(line, _STRING_TYPES) or _CONTROL_RE.search(line):
        return 'the line for {0} must be one line of text without control characters, got {1}'.format(key, shown)
    if not setting_pattern(key).match(line):
        return 'the line {0} does not set {1} (it must start with {1}=), so no run would find it again'.format(
            shown, key)
    return None


def _split(text):
    """Lines without their ``\n``; only ``\n`` ends a line (a ``\r`` stays where it is)."""
    if not text:
        return []
    lines = text.split('\n')
    return lines[:-1] if lines[-1] == '' else lines


def set_lines(text, lines):
    """``text`` with each of ``lines`` (dicts ``{key, line}``) set, as lineinfile sets one:
    the last line that sets the key is replaced, or the line is appended. The result
    ends with a newline; None for ``text`` is a file that does not exist yet."""
    out = _split(text)
    for entry in lines:
        pattern = setting_pattern(entry['key'])
        found = [number for number, current in enumerate(out) if pattern.match(current)]
        if found:
            out[found[-1]] = entry['line']
        else:
            out.append(entry['line'])
    return '\n'.join(out) + '\n' if out else ''


def _secret_key(line):
    key = line.lstrip('#').split('=', 1)[0].strip()
    return '=' in line and LINE_KEY_RE.match(key) and _SECRET_KEY_RE.search(key)


def redact(text, other=None, marker='changed'):
    """``text`` with the values of password-like settings replaced, for a diff. A line of
    such a setting that ``other`` (the other side of the diff) lacks says ``(marker)``; with
    a marker per side, a changed password still shows as a change."""
    if not text:
        return text
    others = set(_split(other))
    shown = []
    for current in _split(text):
        if _secret_key(current):
            current = u'{0}= ********{1}'.format(
                current.split('=', 1)[0], '' if other is None or current in others else ' ({0})'.format(marker))
        shown.append(current)
    return '\n'.join(shown) + ('\n' if text.endswith('\n') else '')


_MODE_RE = re.compile(r'^0?[0-7]{3}\Z')


def _file_problem(entry, seen):
    path = entry.get('path')
    if not isinstance(path, _STRING_TYPES) or not path.startswith('/') or path.endswith('/'):
        return 'path must be an absolute file path'
    if path in seen:
        return 'the same path is files[{0}] too: give each file once, with all its lines'.format(seen[path])
    if (entry.get('lines') is None) == (entry.get('content') is None):
        return 'give either lines (settings in the file) or content (the whole file), not {0}'.format(
            'both' if entry.get('lines') is not None else 'neither')
    mode = entry.get('mode')
    if not isinstance(mode, _STRING_TYPES) or not _MODE_RE.match(mode):
        # an unquoted 0644 is the number 420 to YAML: refused, never taken as '420'
        return 'mode is {0}: allowed is an octal mode as a quoted string, such as "0644"'.format(_shown(mode))
    keys = {}
    for number, line in enumerate(entry.get('lines') or []):
        if not isinstance(line, dict):
            return 'lines[{0}] must be a dict with key and line'.format(number)
        problem = check_line(line.get('key'), line.get('line'))
        if problem:
            return 'lines[{0}]: {1}'.format(number, problem)
        if line['key'] in keys:
            return 'lines[{0}] sets {1} again (lines[{2}] does): set each key once'.format(
                number, line['key'], keys[line['key']])
        keys[line['key']] = number
    content = entry.get('content')
    if content is not None and (not isinstance(content, _STRING_TYPES) or '\x00' in content):
        return 'content must be text'
    return None


def check_files(files):
    """Refuse the whole request when one entry is wrong: raises LibvirtConfError naming the
    entry, its path and why, before any file is written."""
    seen = {}
    for number, entry in enumerate(files):
        problem = _file_problem(entry, seen) if isinstance(entry, dict) else 'must be a dict'
        if problem:
            raise LibvirtConfError('nothing was written: files[{0}] ({1}): {2}'.format(
                number, entry.get('path') if isinstance(entry, dict) else _shown(entry), problem))
        seen[entry['path']] = number


def file_content(entry, text):
    """What the file of ``entry`` (checked by check_files) holds once written: ``text`` with its
    lines set, or its content, which gets a final newline when it has none. None when there
    is nothing to write (no lines): the file is left as it is, attributes too."""
    if entry.get('content') is not None:
        content = entry['content']
        return content if content.endswith('\n') or not content else content + '\n'
    if not entry['lines']:
        return None
    return set_lines(text, entry['lines'])
