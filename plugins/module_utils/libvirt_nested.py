# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Nested virtualization as a security finding: whether KVM lets guests run their own guests,
and what is known about the guest-to-host escapes reachable only that way.

Nested virtualization as a switch: which KVM module the CPU needs, what modprobe will load it
with (modprobe.d files and the kernel command line, in modprobe's order), and whether the
running module already has it.

Pure functions over what the caller read (/proc/cpuinfo, modprobe.d files,
/sys/module/kvm_*/parameters/nested, /proc/cmdline, the kernel release).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

KVM_MODULES = ('kvm_intel', 'kvm_amd')
# guest-to-host escapes in KVM/x86's shadow MMU, reachable only through nested virtualization
CVES = ('CVE-2026-53359', 'CVE-2026-46113')
# the stable kernels of 2026-07-04 that fix them, per series
FIXED_STABLE = ('7.1.3', '6.18.38', '6.12.95', '6.6.144', '6.1.177', '5.15.211', '5.10.260')

# kmod's configuration directories, highest priority first: a file name in an earlier
# directory hides the same name in later ones; the files left are read sorted by name
MODPROBE_DIRS = ('/etc/modprobe.d', '/run/modprobe.d', '/usr/local/lib/modprobe.d', '/usr/lib/modprobe.d',
                 '/lib/modprobe.d')
MODPROBE_FILE = '/etc/modprobe.d/kvmhost-setup-nested.conf'
STATES = ('enabled', 'disabled')
# the CPU vendor (cpuinfo vendor_id) -> the KVM module and the CPU flag it needs
_VENDORS = {'GenuineIntel': ('kvm_intel', 'vmx'), 'AuthenticAMD': ('kvm_amd', 'svm'),
            'HygonGenuine': ('kvm_amd', 'svm')}
_TRUE = ('y', '1', 'on', 'true')
_FALSE = ('n', '0', 'off', 'false')

_UPSTREAM_RE = re.compile(r'^(\d+)\.(\d+)(?:\.(\d+))?\Z')


def is_on(value):
    """The nested parameter as the kernel prints it: 'Y'/'N' (kvm_intel) or '1'/'0' (kvm_amd)."""
    return (value or '').strip() in ('Y', 'y', '1')


def parse_bool(value):
    """A kernel bool parameter as modprobe passes it (y/n, 1/0, on/off): True/False, None if not one."""
    text = (value or '').strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def cpu_module(cpuinfo):
    """(KVM module, whether the CPU offers its flag, vendor) from /proc/cpuinfo; module None
    for a CPU without kvm_intel or kvm_amd."""
    vendor = flags = ''
    for line in (cpuinfo or '').splitlines():
        key, dummy, value = line.partition(':')
        key = key.strip()
        if key == 'vendor_id' and not vendor:
            vendor = value.strip()
        elif key == 'flags' and not flags:
            flags = value.split()
    module, flag = _VENDORS.get(vendor, (None, None))
    return module, bool(flag and flag in flags), vendor


def config_files(listing):
    """The modprobe.d files modprobe reads, in its order: listing maps each of MODPROBE_DIRS to
    the names of the .conf files in it."""
    chosen = {}
    for directory in MODPROBE_DIRS:
        for name in listing.get(directory, ()):
            if name.endswith('.conf'):
                chosen.setdefault(name, posixpath.join(directory, name))
    return [chosen[name] for name in sorted(chosen)]


def nested_settings(path, text, module):
    """Every nested= that a modprobe.d file gives module: [(where, value text)], in order."""
    found = []
    logical = []
    for number, line in enumerate((text or '').splitlines(), 1):
        # a trailing backslash continues the line
        if line.endswith('\\'):
            logical.append(line[:-1])
            continue
        logical.append(line)
        words = ' '.join(logical).split('#', 1)[0].split()
        logical = []
        if len(words) > 2 and words[0] == 'options' and words[1].replace('-', '_') == module:
            for word in words[2:]:
                name, equals, value = word.partition('=')
                if equals and name == 'nested':
                    found.append(('{0}:{1}'.format(path, number), value))
    return found


def cmdline_settings(cmdline, module):
    """nested= for module on the kernel command line, which modprobe applies after its files."""
    found = []
    for word in (cmdline or '').split():
        if word == '--':
            break
        name, equals, value = word.partition('=')
        if equals and name.replace('-', '_') == module + '.nested':
            found.append(('the kernel command line ({0})'.format(word), value))
    return found


def nested_plan(state, module, files, cmdline, path=MODPROBE_FILE):
    """What to write and whether modprobe would then load module with that value.

    files: [(path, text)] in modprobe's order (config_files), the managed file included if it
    exists. Returns dict(content, wanted, effective, overridden_by): overridden_by lists the
    settings read after the managed file that would give module another value (a refusal)."""
    wanted = state == 'enabled'
    content = ('# Managed by kvmhost.setup (kvmhost_setup_kvm_nesting): nested virtualization for '
               '{0}.\n# Read when the module loads: a running module keeps its value until it is '
               'reloaded or the host reboots.\noptions {0} nested={1}\n').format(module, 1 if wanted else 0)
    # the managed file hides a file of the same name in a later directory
    order = sorted([name for name, dummy in files if posixpath.basename(name) != posixpath.basename(path)] + [path],
                   key=posixpath.basename)
    texts = dict(files)
    texts[path] = content
    settings = []
    for name in order:
        settings.extend((where, value, name == path) for where, value in nested_settings(name, texts[name], module))
    settings.extend((where, value, False) for where, value in cmdline_settings(cmdline, module))
    effective = parse_bool(settings[-1][1]) if settings else None
    ours = max(index for index, setting in enumerate(settings) if setting[2])
    overridden = ['{0} sets nested={1}'.format(where, value) for where, value, dummy in settings[ours + 1:]
                  if parse_bool(value) != wanted]
    return dict(content=content, wanted=wanted, effective=effective, overridden_by=overridden)


def _version(text):
    match = _UPSTREAM_RE.match(text)
    return tuple(int(part or 0) for part in match.groups()) if match else None


def kernel_status(release):
    """What the kernel release says about the fixes: (fixed, text); fixed is None when the
    version cannot tell (a distribution kernel, whose backports make numbers meaningless)."""
    version = _version(release)
    if version is None:
        return None, ('kernel {0} is a distribution kernel: its version does not tell whether the fixes are '
                      'backported; check your vendor\'s advisory for {1}').format(release, ' and '.join(CVES))
    fixes = dict((_version(fixed)[:2], _version(fixed)) for fixed in FIXED_STABLE)
    newest = max(fixes)
    series = version[:2]
    if series in fixes:
        if version >= fixes[series]:
            return True, 'kernel {0} has the fixes (from {1})'.format(release, '.'.join(map(str, fixes[series])))
        return False, 'kernel {0} lacks the fixes: update to {1} or later'.format(
            release, '.'.join(map(str, fixes[series])))
    if series > newest:
        return True, 'kernel {0} is newer than the fixed {1}'.format(release, '.'.join(map(str, fixes[newest])))
    return False, 'kernel {0} is of a series no fixed stable release exists for (fixed: {1})'.format(
        release, ', '.join(FIXED_STABLE))


def nesting_check(module, value, release):
    """A virt-host-validate style check for nested virtualization, None when it is off or
    unknown. Always a WARN, never a FAIL: nesting is a choice, and for distribution kernels
    only the vendor can say whether the fixes are in."""
    if not is_on(value):
        return None
    dummy, text = kernel_status(release)
    return {'hypervisor': 'KVM', 'check': 'if nested virtualization is off ({0} nested={1})'.format(module, value.strip()),
            'result': 'WARN',
            'hint': 'guests may run their own guests, which reaches the guest-to-host escapes {0}; {1}; turn it off '
                    'unless guests need it (options {2} nested=0)'.format(' and '.join(CVES), text, module)}
