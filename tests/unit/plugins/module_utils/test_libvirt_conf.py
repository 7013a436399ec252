# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_conf as conf
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError


@pytest.mark.parametrize('value, text', [
    ('none', '"none"'),
    ('127.0.0.1', '"127.0.0.1"'),
    ('', '""'),
    ('+0', '"+0"'),
    ('1', '"1"'),                                  # a string stays a string
    ('C:\\dir', '"C:\\dir"'),                      # libvirt has no escapes: a backslash is itself
    ('say "hi"', "'say \"hi\"'"),                  # a double quote: single quotes, as libvirt writes it
    ("it's", '"it\'s"'),
    ('a # not a comment', '"a # not a comment"'),
    ('tab\there', '"tab\there"'),
    ('[::1]', '"[::1]"'),                          # brackets alone are not a raw list
    (u'caf\u00e9', u'"caf\u00e9"'),
    (True, '1'),
    (False, '0'),
    (0, '0'),
    (1, '1'),
    (49152, '49152'),
    (-1, '-1'),
    (2 ** 63 - 1, '9223372036854775807'),
    (-(2 ** 63), '-9223372036854775808'),
    ([], '[]'),
    (['cpu', 'memory'], '["cpu", "memory"]'),
    (('a',), '["a"]'),
    ([1, 2], '[1, 2]'),
    (['say "x"'], "['say \"x\"']"),
])
def test_render_value(value, text):
    assert conf.render_value(value) == text


@pytest.mark.parametrize('value, why', [
    (None, 'None null'),
    (1.5, 'float 1.5'),
    (1e3, 'float 1000.0'),
    ({'a': 1}, 'dict {"a": 1}'),
    ([['a']], 'list elements must be strings or integers, got list ["a"]'),
    ([None], 'got None null'),
    ([True], 'got bool true'),
    ([1.5], 'got float 1.5'),
    ([{'a': 1}], 'got dict'),
    (['a', 1], 'strings or integers, not both'),
    (2 ** 63, '64 bits'),
    (-(2 ** 63) - 1, '64 bits'),
    ('two\nlines', 'one line'),
    ('cr\rhere', 'one line'),
    ('nul\x00', 'one line'),
    ('both \' and "', 'both quote characters'),
    ('"none"', 'already in libvirt syntax'),
    ("'none'", 'already in libvirt syntax'),
    ('[ ]', 'already in libvirt syntax'),
    ('["cpu"]', 'already in libvirt syntax'),
    (b'bytes', 'bytes'),
    (set(['a']), 'set'),
])
def test_render_value_refuses(value, why):
    with pytest.raises(conf.LibvirtConfError) as err:
        conf.render_value(value)
    assert why in str(err.value)


def test_errors_are_input_errors():
    """Callers that catch the collection's input errors catch these too."""
    assert issubclass(conf.LibvirtConfError, LibvirtInputError)


def test_lines_in_order():
    lines = conf.conf_lines({'user': '+0', 'remember_owner': False, 'cgroup_controllers': [], 'max_files': 32768})
    assert [line['line'] for line in lines] == [
        'user = "+0"', 'remember_owner = 0', 'cgroup_controllers = []', 'max_files = 32768']
    assert lines[0] == {'key': 'user', 'value': '"+0"', 'line': 'user = "+0"'}


def test_lines_empty():
    assert conf.conf_lines({}) == []
    assert conf.conf_lines({}, owned={}) == []


@pytest.mark.parametrize('key', ['security_driver', 'a', 'Max_Files', 'x1', 'a_b_c'])
def test_good_keys(key):
    assert conf.conf_lines({key: 1})[0]['key'] == key


@pytest.mark.parametrize('key', ['', '_private', '1st', 'a-b', 'a.b', 'a b', 'a\n', 'user = "root"\nx', 7, None, True])
def test_bad_keys(key):
    with pytest.raises(conf.LibvirtConfError) as err:
        conf.conf_lines({key: 1}, name='kvmhost_setup_qemu_conf')
    assert str(err.value).startswith('kvmhost_setup_qemu_conf entry ')
    assert 'allowed are libvirt setting names' in str(err.value)


def test_error_names_the_setting_its_type_and_what_is_allowed():
    with pytest.raises(conf.LibvirtConfError) as err:
        conf.conf_lines({'vnc_listen': '0.0.0.0', 'log_timestamp': 1.5}, name='kvmhost_setup_qemu_conf')
    assert str(err.value) == (
        'kvmhost_setup_qemu_conf entry "log_timestamp": float 1.5; allowed are a string (written in quotes), '
        'an integer, a boolean (written as 1 or 0), or a list of strings or of integers')


def test_injection_is_refused_naming_the_entry():
    """The hardening matrix's R14: a newline would add a second setting."""
    with pytest.raises(conf.LibvirtConfError) as err:
        conf.conf_lines({'security_driver': '"none"\nuser = "root"'}, name='kvmhost_setup_qemu_conf')
    assert 'kvmhost_setup_qemu_conf entry "security_driver"' in str(err.value)
    assert 'one line' in str(err.value)


@pytest.mark.parametrize('settings', [[('a', 1)], 'a = 1', None, 7])
def test_settings_must_be_a_dict(settings):
    with pytest.raises(conf.LibvirtConfError) as err:
        conf.conf_lines(settings, name='kvmhost_setup_qemu_conf')
    assert 'kvmhost_setup_qemu_conf must be a dict of setting names to values' in str(err.value)


OWNER = 'kvmhost_setup_migration_port_min/max'


def test_owned_settings_follow_the_users():
    lines = conf.conf_lines({'user': 'qemu'}, name='kvmhost_setup_qemu_conf',
                            owned={'migration_port_min': 49152, 'migration_port_max': 49215}, owner=OWNER)
    assert [line['line'] for line in lines] == ['user = "qemu"', 'migration_port_min = 49152', 'migration_port_max = 49215']


def test_same_setting_twice_with_the_same_value_is_written_once():
    lines = conf.conf_lines({'migration_port_min': 49152}, name='kvmhost_setup_qemu_conf',
                            owned={'migration_port_min': 49152}, owner=OWNER)
    assert [line['line'] for line in lines] == ['migration_port_min = 49152']


@pytest.mark.parametrize('mine', [50000, '49152'])
def test_same_setting_twice_differently_is_refused(mine):
    """The hardening matrix's R23; a string '49152' is not the integer libvirt wants."""
    with pytest.raises(conf.LibvirtConfError) as err:
        conf.conf_lines({'migration_port_min': mine}, name='kvmhost_setup_qemu_conf',
                        owned={'migration_port_min': 49152}, owner=OWNER)
    text = str(err.value)
    assert text.startswith('kvmhost_setup_qemu_conf sets migration_port_min to ')
    assert text.endswith('{0} sets it to 49152: set it in one place only'.format(OWNER))


def test_owned_settings_are_checked_too():
    with pytest.raises(conf.LibvirtConfError) as err:
        conf.conf_lines({}, owned={'migration_port_min': None}, owner=OWNER)
    assert str(err.value).startswith(OWNER + ' entry "migration_port_min": None')


class _TaggedStr(str):
    """Stands in for Ansible's tagged strings (subclasses of the builtins)."""


class _LazyDict(dict):
    pass


def test_subclasses_of_the_builtins_count_as_their_base():
    lines = conf.conf_lines(_LazyDict({_TaggedStr('user'): _TaggedStr('qemu')}))
    assert lines[0]['line'] == 'user = "qemu"'


def _parse(text):
    """Enough of libvirt's own reader (virconf.c) to check what the renderer writes:
    strings end at the next quote of their kind, integers, lists; nothing else."""
    pos = [0]

    def value():
        char = text[pos[0]]
        if char in '"\'':
            end = text.index(char, pos[0] + 1)
            out, pos[0] = text[pos[0] + 1:end], end + 1
            return out
        if char == '[':
            pos[0] += 1
            items = []
            while text[pos[0]] != ']':
                items.append(value())
                if text[pos[0]] == ',':
                    pos[0] += 2 if text[pos[0] + 1:pos[0] + 2] == ' ' else 1
            pos[0] += 1
            return items
        match = re.compile(r'[-+]?[0-9]+').match(text, pos[0])
        assert match, 'expecting a value at {0!r}'.format(text[pos[0]:])
        pos[0] = match.end()
        return int(match.group(0))

    result = value()
    assert pos[0] == len(text), 'expecting a separator at {0!r}'.format(text[pos[0]:])
    return result


@pytest.mark.parametrize('value', [
    'none', 'say "hi"', "it's", 'C:\\dir\\', '', 7, -7, ['a', 'b "c"'], [1, 2, 3], [],
])
def test_libvirt_reads_back_what_was_written(value):
    assert _parse(conf.render_value(value)) == (list(value) if isinstance(value, list) else value)


def test_booleans_read_back_as_libvirt_flags():
    assert _parse(conf.render_value(True)) == 1
    assert _parse(conf.render_value(False)) == 0


# --- the URIs a host serves ------------------------------------------------------------


MODULAR_QEMU = ['virtqemud.socket', 'virtqemud-ro.socket', 'virtqemud-admin.socket', 'virtqemud.service']


@pytest.mark.parametrize('services, drivers, wanted, expected', [
    (['virtqemud.service'], ['qemu', 'network'], MODULAR_QEMU,
     [{'uri': 'qemu:///system', 'service': 'virtqemud.service', 'read_only': True,
       'units': ['virtqemud.service', 'virtqemud.socket', 'virtqemud-ro.socket']}]),
    (['virtqemud.service'], ['qemu'], ['virtqemud.socket', 'virtqemud.service'],
     [{'uri': 'qemu:///system', 'service': 'virtqemud.service', 'read_only': False,
       'units': ['virtqemud.service', 'virtqemud.socket']}]),
    (['libvirtd.service'], ['qemu', 'network', 'storage'], ['libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd.service'],
     [{'uri': 'qemu:///system', 'service': 'libvirtd.service', 'read_only': True,
       'units': ['libvirtd.service', 'libvirtd.socket', 'libvirtd-ro.socket']}]),
    (['libvirtd.service'], ['qemu', 'lxc'], ['libvirtd.socket', 'libvirtd.service'],
     [{'uri': 'qemu:///system', 'service': 'libvirtd.service', 'read_only': False, 'units': ['libvirtd.service', 'libvirtd.socket']},
      {'uri': 'lxc:///system', 'service': 'libvirtd.service', 'read_only': False, 'units': ['libvirtd.service', 'libvirtd.socket']}]),
    (['virtqemud.service', 'virtxend.service', 'virtchd.service', 'virtvzd.service', 'virtlxcd.service'], [], [],
     [{'uri': uri, 'service': svc, 'read_only': False, 'units': [svc, svc.replace('.service', '.socket')]}
      for uri, svc in [('qemu:///system', 'virtqemud.service'), ('xen:///system', 'virtxend.service'),
                       ('ch:///system', 'virtchd.service'), ('vz:///system', 'virtvzd.service'),
                       ('lxc:///system', 'virtlxcd.service')]]),
    # vbox has per-user instances only, a monolithic host without hypervisor drivers nothing to ask
    (['virtvboxd.service'], ['vbox'], [], []),
    (['libvirtd.service'], ['network'], ['libvirtd.socket', 'libvirtd.service'], []),
    ([], ['qemu'], [], []),
])
def test_hypervisor_uris(services, drivers, wanted, expected):
    assert conf.hypervisor_uris(services, drivers, wanted) == expected


def test_every_hypervisor_driver_but_vbox_has_a_system_uri():
    from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import HYPERVISOR_DRIVERS
    assert sorted(dict(conf.HYPERVISOR_URIS)) == sorted(set(HYPERVISOR_DRIVERS) - set(['vbox']))


# --- setting lines in a file -----------------------------------------------------------

@pytest.mark.parametrize('text, lines, expected', [
    (None, [('a', 'a = 1')], 'a = 1\n'),
    ('', [], ''),
    ('x = 1', [('a', 'a = 1')], 'x = 1\na = 1\n'),
    ('#a = 0\na=2\n', [('a', 'a = 1')], '#a = 0\na = 1\n'),
    ('a = 1\n#a = 0\n', [('a', 'a = 1')], 'a = 1\na = 1\n'),
    ('ab = 1\n', [('a', 'a = 1'), ('ab', 'ab = 2')], 'ab = 2\na = 1\n'),
    ('ON_BOOT=ignore\n', [('ON_BOOT', 'ON_BOOT=start')], 'ON_BOOT=start\n'),
])
def test_set_lines_follows_lineinfile(text, lines, expected):
    assert conf.set_lines(text, [dict(key=key, line=line) for key, line in lines]) == expected


def test_set_lines_converges():
    lines = [dict(key='a', line='a = 1'), dict(key='b', line='b = "x"')]
    once = conf.set_lines('#a = 0\nc = 3\n', lines)
    assert conf.set_lines(once, lines) == once


@pytest.mark.parametrize('key, line, why', [
    ('a', 'a = 1', None),
    ('a', 'a=1', None),
    ('a', 'b = 1', 'does not set a'),
    ('a', '#a = 1', None),
    ('1a', '1a = 1', 'is not a setting name'),
    ('a', 'a = 1\n', 'one line'),
    (None, 'a = 1', 'is not a setting name'),
])
def test_check_line(key, line, why):
    problem = conf.check_line(key, line)
    if why is None:
        assert problem is None
    else:
        assert why in problem


def test_redact_hides_password_values_only():
    text = 'vnc_password = "pw"\n#spice_password="x"\nvnc_listen = "0.0.0.0"\n'
    assert conf.redact(text) == 'vnc_password = ********\n#spice_password= ********\nvnc_listen = "0.0.0.0"\n'


def test_check_files_names_the_entry():
    files = [dict(path='/etc/a', content='x', mode='0644'), dict(path='/etc/b', content='y', mode='755 ')]
    with pytest.raises(conf.LibvirtConfError) as exc:
        conf.check_files(files)
    assert str(exc.value) == ('nothing was written: files[1] (/etc/b): mode is "755 ": allowed is an octal mode '
                              'as a quoted string, such as "0644"')


def test_file_content_adds_a_final_newline():
    assert conf.file_content(dict(content='manual'), 'old\n') == 'manual\n'
    assert conf.file_content(dict(content='a\n'), None) == 'a\n'
    assert conf.file_content(dict(content=None, lines=[]), None) is None


def test_check_line_does_not_quote_a_password_line():
    problem = conf.check_line('vnc_password', 'vnc = "hunter2"')
    assert 'hunter2' not in problem and 'not shown' in problem


def test_set_lines_keeps_carriage_returns_and_form_feeds():
    assert conf.set_lines('a = 0\r\n\x0c# page two\n', [dict(key='b', line='b = 2')]) == 'a = 0\r\n\x0c# page two\nb = 2\n'
