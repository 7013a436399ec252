# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every package name the role installs, and every name a "not installed" hint gives,
exists in the claimed release's own package metadata (fixtures/packages/*.txt: each file
names its source)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import os

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import (
    all_known_units,
    daemon_driver,
    unit_daemon,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_distros import (
    hwe_packages,
    install_packages,
    package_hint,
    parse_dpkg_installed,
    parse_rpm_missing,
)
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_host import installed_packages

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'packages')


def _facts(distribution, major, os_family):
    return {'distribution': distribution, 'distribution_major_version': str(major), 'os_family': os_family}


# Each claimed release, as Ansible's facts name its members, and its metadata file.
CLAIMED = [
    ('el-9', _facts(name, 9, 'RedHat')) for name in ('RedHat', 'CentOS', 'Rocky', 'AlmaLinux', 'OracleLinux')
] + [
    ('el-10', _facts(name, 10, 'RedHat')) for name in ('RedHat', 'CentOS', 'Rocky', 'AlmaLinux', 'OracleLinux')
] + [
    ('fedora', _facts('Fedora', 43, 'RedHat')),
    ('debian-12', _facts('Debian', 12, 'Debian')),
    ('debian-13', _facts('Debian', 13, 'Debian')),
    ('ubuntu-24.04', _facts('Ubuntu', 24, 'Debian')),
    ('ubuntu-26.04', _facts('Ubuntu', 26, 'Debian')),
]


def metadata(name):
    """(names, hwe) of a metadata file: the package names the release has (for Ubuntu also
    those stated as shared with Debian) and its opt-in stack's names."""
    names, hwe = set(), set()
    with open(os.path.join(FIXTURES, name + '.txt')) as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            if line.startswith('shared-with-debian:'):
                names.add(line.split(':', 1)[1].strip())
            elif line.startswith('hwe:'):
                hwe.add(line.split(':', 1)[1].split()[0])
            else:
                names.add(line)
    return names, hwe


def header(name):
    with open(os.path.join(FIXTURES, name + '.txt')) as handle:
        return [line for line in handle if line.startswith('#')]


def architectures(name):
    """The architectures a metadata file's names were read for ('# architectures: A B (why)')."""
    for line in header(name):
        if line.startswith('# architectures:'):
            return tuple(line.split(':', 1)[1].split('(', 1)[0].split())
    raise AssertionError('{0}.txt has no "# architectures:" line'.format(name))


def _by_architecture():
    return [(release, facts, architecture) for release, facts in CLAIMED for architecture in architectures(release)]


def _missing(wanted, known):
    return sorted(set(wanted) - known)


@pytest.mark.parametrize('release', sorted(set(release for release, dummy in CLAIMED)))
def test_each_metadata_file_names_its_source(release):
    lines = header(release)
    assert any(line.startswith('# source:') for line in lines), release
    assert metadata(release)[0], release
    assert architectures(release), release


@pytest.mark.parametrize('release, facts, architecture, remote', [
    (release, facts, architecture, remote)
    for (release, facts, architecture), remote in itertools.product(_by_architecture(), (False, True))
])
def test_the_role_installs_only_names_the_release_has(release, facts, architecture, remote):
    names, dummy = metadata(release)
    wanted = install_packages(facts, architecture, remote=remote)
    assert wanted, facts
    assert _missing(wanted, names) == [], '{0} {1}: not in {2}.txt'.format(facts['distribution'], architecture, release)


@pytest.mark.parametrize('release, facts, architecture', [
    (release, facts, architecture) for release, facts, architecture in _by_architecture() if hwe_packages(facts)
])
def test_a_host_on_the_hwe_stack_keeps_it(release, facts, architecture):
    names, hwe = metadata(release)
    assert set(hwe_packages(facts)) == hwe
    conflicts = conflicting(release)
    for installed in hwe_packages(facts):
        on_stack = install_packages(facts, architecture, installed=[installed])
        assert _missing(on_stack, names | hwe) == [], installed
        # nothing that an installed -hwe package conflicts with, and the stack's own names
        assert not set(on_stack) & conflicts, installed
        assert set(on_stack) & hwe or architecture != 'x86_64', installed
    # without an -hwe package installed, the base stack
    assert not set(install_packages(facts, architecture)) & hwe


def conflicting(release):
    """The base names the release's -hwe packages conflict with ('hwe: NAME conflicts: A,B')."""
    names = set()
    with open(os.path.join(FIXTURES, release + '.txt')) as handle:
        for line in handle:
            if line.startswith('hwe:') and 'conflicts:' in line:
                names.update(name.strip() for name in line.split('conflicts:', 1)[1].split(','))
    return names


@pytest.mark.parametrize('release, facts, unit', [
    (release, facts, unit) for (release, facts), unit in itertools.product(CLAIMED, all_known_units())
])
def test_not_installed_hints_name_packages_the_release_has(release, facts, unit):
    names, dummy = metadata(release)
    package, note = package_hint(unit, facts)
    if package is None:
        assert note, '{0} on {1}: neither a package nor a note'.format(unit, release)
        # a driver said to be unpackaged has no package by the family's name pattern either
        drv = daemon_driver(unit_daemon(unit) or '')
        if 'not packaged' in note:
            assert 'libvirt-daemon-driver-' + drv not in names, '{0} on {1}: {2}'.format(unit, release, note)
    else:
        assert package in names, '{0} on {1}: hint names {2}, not in {1}.txt'.format(unit, release, package)


def test_the_check_catches_a_name_the_release_lacks():
    """qemu-kvm is only a virtual package on Ubuntu 26.04 (and Debian): naming it would fail."""
    for release in ('ubuntu-26.04', 'debian-12', 'debian-13'):
        assert 'qemu-kvm' not in metadata(release)[0], release
        assert _missing(['qemu-kvm'], metadata(release)[0]) == ['qemu-kvm']


@pytest.mark.parametrize('text, installed', [
    ('libvirt-daemon-system-hwe installed\nqemu-system-x86-hwe not-installed\n', ['libvirt-daemon-system-hwe']),
    ('qemu-utils-hwe config-files\n', []),
    ('', []),
    ('garbage\n', []),
])
def test_parse_dpkg_installed(text, installed):
    assert parse_dpkg_installed(text) == installed


@pytest.mark.parametrize('text, missing', [
    ('qemu-kvm-9.1.0-15.el10.x86_64\nno package provides libvirt-daemon-kvm\ntuned-2.24.0-1.el10.noarch\n',
     ['libvirt-daemon-kvm']),
    ('no package provides a\nno package provides b\n', ['a', 'b']),
    ('', []),
])
def test_parse_rpm_missing(text, missing):
    assert parse_rpm_missing(text) == missing


class _Module(object):
    """Just what installed_packages uses: which tools exist, and one canned answer."""

    def __init__(self, tools, out):
        self.tools, self.out, self.calls = tools, out, []

    def get_bin_path(self, name):
        return '/usr/bin/' + name if name in self.tools else None

    def run_command(self, cmd, environ_update=None):
        self.calls.append(cmd)
        return 1, self.out, ''


def test_installed_packages_asks_dpkg_once():
    module = _Module(['dpkg-query', 'rpm'], 'libvirt-daemon-system installed\ntuned not-installed\n')
    assert installed_packages(module, ['libvirt-daemon-system', 'tuned']) == ['libvirt-daemon-system']
    assert len(module.calls) == 1 and module.calls[0][0] == '/usr/bin/dpkg-query'


def test_installed_packages_asks_rpm_for_providers():
    module = _Module(['rpm'], 'qemu-kvm-9.1.0-15.el10.x86_64\nno package provides tuned\n')
    assert installed_packages(module, ['qemu-kvm', 'tuned']) == ['qemu-kvm']
    assert module.calls == [['/usr/bin/rpm', '-q', '--whatprovides', '--', 'qemu-kvm', 'tuned']]


def test_installed_packages_without_a_package_database_says_none():
    module = _Module([], '')
    assert installed_packages(module, ['tuned']) == [] and module.calls == []
    assert installed_packages(_Module(['dpkg-query'], 'x installed\n'), []) == []


def test_unknown_distribution_installs_nothing():
    assert install_packages(_facts('Gentoo', 2, 'Gentoo'), 'x86_64') == []
