# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_input as inp


@pytest.mark.parametrize('name', [
    'virtqemud.socket',
    'tuned.service',
    'getty@tty1.service',
    'foo@.service',
    'dev-disk-by\\x2dlabel-x.device',
    'sys-kernel-debug.mount',
    'a:b_c.timer',
    'x' * 247 + '.service',
])
def test_valid_unit_names(name):
    assert inp.validate_unit_name(name) == name


@pytest.mark.parametrize('name, why', [
    ('virtqemud', 'ends in'),
    ('virtqemud.sock', 'ends in'),
    ('foo bar.service', 'ends in'),
    ('foo;reboot.service', 'ends in'),
    ('$(reboot).service', 'ends in'),
    ('`id`.service', 'ends in'),
    ('foo|bar.service', 'ends in'),
    ('foo&.service', 'ends in'),
    ('../foo.service', 'ends in'),
    ('foo/bar.service', 'ends in'),
    ('foo.service\n', 'ends in'),
    ('foo\n.service', 'ends in'),
    ('foo.service\nbar.service', 'ends in'),
    ("foo'.service", 'ends in'),
    ('-foo.service', "starts with '-'"),
    ('--now.service', "starts with '-'"),
    ('', 'empty'),
    ('x' * 248 + '.service', 'longer than 255'),
    ('a@b@c.service', "at most one '@'"),
    ('@foo.service', "at most one '@'"),
])
def test_invalid_unit_names(name, why):
    with pytest.raises(inp.LibvirtInputError) as exc:
        inp.validate_unit_name(name)
    assert repr(name) in str(exc.value)
    assert why in str(exc.value)


@pytest.mark.parametrize('value', [5, None, ['x.service'], b'x.service'])
def test_unit_name_not_string(value):
    with pytest.raises(inp.LibvirtInputError) as exc:
        inp.validate_unit_name(value)
    assert 'must be a string' in str(exc.value)
    assert repr(value) in str(exc.value)


def test_unit_names_list():
    assert inp.validate_unit_names(['a.service', 'b.socket', 'a.service']) == ['a.service', 'b.socket']
    with pytest.raises(inp.LibvirtInputError, match="'a b.service'"):
        inp.validate_unit_names(['ok.service', 'a b.service'], 'extra_units')
    with pytest.raises(inp.LibvirtInputError, match='extra_units must be a list'):
        inp.validate_unit_names('a.service', 'extra_units')
    with pytest.raises(inp.LibvirtInputError, match='extra_units must be a list'):
        inp.validate_unit_names({'a.service': 1}, 'extra_units')


def test_error_is_value_error():
    assert issubclass(inp.LibvirtInputError, ValueError)


@pytest.mark.parametrize('func, value, allowed', [
    (inp.validate_other_action, 'purge', 'mask, disable, keep'),
    (inp.validate_remote, 'ssh', 'none, tls, tcp'),
    (inp.validate_mode, 'auto', 'modular, monolithic'),
    (inp.validate_mode, 3, 'modular, monolithic'),
])
def test_choices(func, value, allowed):
    with pytest.raises(inp.LibvirtInputError) as exc:
        func(value)
    assert repr(value) in str(exc.value)
    assert allowed in str(exc.value)


def test_mode_allow_auto():
    assert inp.validate_mode('auto', allow_auto=True) == 'auto'
    with pytest.raises(inp.LibvirtInputError, match="'both'.*auto, modular, monolithic"):
        inp.validate_mode('both', allow_auto=True)


def test_validate_bool():
    assert inp.validate_bool(False, 'proxy') is False
    with pytest.raises(inp.LibvirtInputError, match="proxy must be a boolean.*'no'"):
        inp.validate_bool('no', 'proxy')


def test_type_names_are_plain_for_subclasses():
    """Ansible hands filters tagged/lazy subclasses of str, int and list: name the builtin."""
    from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import _type_name

    class TaggedStr(str):
        pass

    class LazyList(list):
        pass

    assert _type_name(TaggedStr('qemu')) == 'str'
    assert _type_name(LazyList(['a'])) == 'list'
    assert _type_name(True) == 'bool'
    assert _type_name(7) == 'int'
    assert _type_name(None) == 'None'
