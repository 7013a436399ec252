# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Parse the output of libvirt's ``virt-host-validate``.

Pure functions over the text the tool printed. Each check is one line::

      QEMU: Checking if device /dev/vhost-net exists      : WARN (Load the 'vhost_net' module ...)

the hypervisor right-aligned, the check padded with spaces, then the result
(PASS, WARN, FAIL or NOTE) and, for anything but PASS, an optional hint in
parentheses.  The tool exits 1 when any check FAILs, so its exit code says
nothing about whether the output is usable; the parsed lines do.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

RESULTS = ('PASS', 'NOTE', 'WARN', 'FAIL')
# Which results make a run "fail" at each fail_on level.
FAIL_ON = {
    'none': (),
    'fail': ('FAIL',),
    'warn': ('WARN', 'FAIL'),
}
# Hypervisor names the tool accepts (virt-host-validate --help, libvirt 9 and 11).
HYPERVISORS = ('qemu', 'lxc', 'bhyve', 'ch')

_ANSI_RE = re.compile(r'\x1b\[[0-9;]*m')
_CHECK_RE = re.compile(
    r'^\s*(?P<hypervisor>[A-Za-z][A-Za-z0-9_-]*): Checking (?P<check>.+?)\s*'
    r': (?P<result>PASS|NOTE|WARN|FAIL)(?: \((?P<hint>.*)\))?\s*$')


def parse(text):
    """Every check line of ``text`` and the lines that are not checks.

    Returns ``(checks, other)``: checks as dicts with hypervisor (as printed,
    e.g. ``QEMU``), check (without the leading "Checking "), result and hint
    (``''`` when none was printed), in output order; other is the list of
    non-empty lines that did not parse (error messages, future formats).
    Colour codes (printed when stdout is a terminal) are ignored.
    """
    checks = []
    other = []
    for raw in (text or '').splitlines():
        line = _ANSI_RE.sub('', raw).rstrip()
        if not line.strip():
            continue
        match = _CHECK_RE.match(line)
        if match is None:
            other.append(line.strip())
            continue
        checks.append({
            'hypervisor': match.group('hypervisor'),
            'check': match.group('check'),
            'result': match.group('result'),
            'hint': match.group('hint') or '',
        })
    return checks, other


def summarize(checks):
    """Counts per result (every key of RESULTS present) plus the total."""
    summary = dict((result, 0) for result in RESULTS)
    for check in checks:
        summary[check['result']] += 1
    summary['total'] = len(checks)
    return summary


def violations(checks, fail_on='none'):
    """The checks whose result counts as a failure at level ``fail_on``.

    ``none`` never fails, ``fail`` fails on FAIL, ``warn`` on WARN or FAIL.
    An unknown level raises ValueError naming it and the allowed ones.
    """
    if fail_on not in FAIL_ON:
        raise ValueError('fail_on is {0!r}: allowed are {1}'.format(fail_on, ', '.join(sorted(FAIL_ON))))
    bad = FAIL_ON[fail_on]
    return [check for check in checks if check['result'] in bad]


def describe(check):
    """One line for a report: ``QEMU: hardware virtualization: FAIL (hint)``."""
    text = '{0}: {1}: {2}'.format(check['hypervisor'], check['check'], check['result'])
    if check['hint']:
        text += ' ({0})'.format(check['hint'])
    return text
