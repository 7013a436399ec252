# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import grp
import os
import pwd
import stat

import pytest

from ansible.module_utils import basic

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_conf import conf_lines
from ansible_collections.kvmhost.setup.plugins.modules import config_files
from ansible_collections.kvmhost.setup.tests.unit.plugins.fake_systemd import ExitJson, FailJson, patch_module_args

# the files belong to whoever runs the tests (root in the containers, anybody elsewhere)
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


@pytest.fixture(autouse=True)
def module_exits(monkeypatch):
    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs['msg'] = msg
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)


def run(files, expect=ExitJson, check=False, diff=False):
    for entry in files:
        entry.setdefault('owner', OWNER)
        entry.setdefault('group', GROUP)
    args = dict(files=files, _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises((ExitJson, FailJson)) as exc:
            config_files.main()
    assert isinstance(exc.value, expect), exc.value.args[0]
    return exc.value.args[0]


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def qemu(path, *pairs, **extra):
    entry = dict(path=str(path), lines=[dict(key=key, line=line) for key, line in pairs])
    entry.update(extra)
    return entry


def test_sets_lines_in_several_files_in_one_run(tmp_path):
    conf = tmp_path / 'qemu.conf'
    conf.write_text(u'# the distribution\'s comments\n#migration_port_min = 49152\nuser = "qemu"\n')
    client = tmp_path / 'libvirt.conf'
    result = run([qemu(conf, ('migration_port_min', 'migration_port_min = 50000'), mode='0600'),
                  qemu(client, ('uri_default', 'uri_default = "qemu:///system"')),
                  dict(path=str(tmp_path / 'tuned' / 'profile_mode'), content='manual')])
    assert result['changed'] is True
    assert result['changed_files'] == [str(conf), str(client), str(tmp_path / 'tuned' / 'profile_mode')]
    assert conf.read_text() == u'# the distribution\'s comments\nmigration_port_min = 50000\nuser = "qemu"\n'
    assert mode_of(conf) == 0o600
    assert client.read_text() == u'uri_default = "qemu:///system"\n'
    assert mode_of(client) == 0o644
    assert (tmp_path / 'tuned' / 'profile_mode').read_text() == u'manual\n'


def test_second_run_changes_nothing(tmp_path):
    files = [qemu(tmp_path / 'qemu.conf', ('a', 'a = 1'), ('b', 'b = "x"'), mode='0600'),
             dict(path=str(tmp_path / 'active_profile'), content='virtual-host\n')]
    run([dict(entry) for entry in files])
    again = run([dict(entry) for entry in files], diff=True)
    assert again['changed'] is False
    assert again['changed_files'] == []
    assert again['diff'] == []


def test_mode_is_set_on_a_file_whose_content_was_right(tmp_path):
    conf = tmp_path / 'qemu.conf'
    conf.write_text(u'a = 1\n')
    os.chmod(str(conf), 0o644)
    result = run([qemu(conf, ('a', 'a = 1'), mode='0600')], diff=True)
    assert result['changed_files'] == [str(conf)]
    assert mode_of(conf) == 0o600
    assert result['diff'] == [dict(before={'mode': '0644'}, after={'mode': '0600'},
                                   before_header=str(conf), after_header=str(conf))]


def test_check_mode_writes_nothing_and_tells_the_same(tmp_path):
    conf = tmp_path / 'qemu.conf'
    conf.write_text(u'a = 0\n')
    os.chmod(str(conf), 0o644)
    new = tmp_path / 'new' / 'libvirt.conf'
    result = run([qemu(conf, ('a', 'a = 1'), mode='0600'), qemu(new, ('b', 'b = 2'))], check=True, diff=True)
    assert result['changed_files'] == [str(conf), str(new)]
    assert conf.read_text() == u'a = 0\n'
    assert mode_of(conf) == 0o644
    assert not new.parent.exists()
    assert [entry['after'] for entry in result['diff']] == [u'a = 1\n', {'mode': '0600'}, u'b = 2\n']


def test_the_last_setting_line_is_replaced_the_rest_kept(tmp_path):
    conf = tmp_path / 'qemu.conf'
    conf.write_text(u'#a = 0\n# a comment\n# a = 5\nab = 3\n')
    run([qemu(conf, ('a', 'a = 1'))])
    assert conf.read_text() == u'#a = 0\n# a comment\na = 1\nab = 3\n'


def test_libvirt_guests_lines_without_spaces(tmp_path):
    guests = tmp_path / 'libvirt-guests'
    guests.write_text(u'#ON_BOOT=ignore\nON_SHUTDOWN=suspend\n')
    run([qemu(guests, ('ON_BOOT', 'ON_BOOT=start'), ('ON_SHUTDOWN', 'ON_SHUTDOWN=shutdown'))])
    assert guests.read_text() == u'ON_BOOT=start\nON_SHUTDOWN=shutdown\n'


def test_no_lines_leaves_even_a_missing_file_alone(tmp_path):
    result = run([qemu(tmp_path / 'libvirt-guests')])
    assert result['changed'] is False
    assert not (tmp_path / 'libvirt-guests').exists()


@pytest.mark.parametrize('bad, why', [
    (dict(lines=[dict(key='a', line='b = 1')]), 'the line "b = 1" does not set a'),
    (dict(lines=[dict(key='a b', line='a b = 1')]), 'key "a b" is not a setting name'),
    (dict(lines=[dict(key='a', line='a = 1\nb = 2')]), 'must be one line'),
    (dict(lines=[dict(key='a', line='a = 1'), dict(key='a', line='a = 2')]), 'lines[1] sets a again'),
    (dict(lines=[], content='x'), 'not both'),
    (dict(lines=None, content=None), 'not neither'),
    (dict(content='x', mode='644x'), 'mode is "644x"'),
    (dict(content='x', path='relative/file'), 'path must be an absolute file path'),
])
def test_a_bad_entry_writes_no_file(tmp_path, bad, why):
    first = tmp_path / 'first.conf'
    entry = dict(path=str(tmp_path / 'second.conf'))
    entry.update(bad)
    result = run([qemu(first, ('a', 'a = 1')), entry], expect=FailJson)
    assert result['msg'].startswith('nothing was written: files[1] ({0}): '.format(entry['path']))
    assert why in result['msg']
    assert not first.exists()


def test_a_repeated_path_is_refused(tmp_path):
    conf = str(tmp_path / 'qemu.conf')
    result = run([qemu(conf, ('a', 'a = 1')), qemu(conf, ('b', 'b = 1'))], expect=FailJson)
    assert 'the same path is files[0] too' in result['msg']
    assert not os.path.exists(conf)


def test_an_unknown_owner_writes_no_file(tmp_path):
    first = tmp_path / 'first.conf'
    result = run([qemu(first, ('a', 'a = 1')), qemu(tmp_path / 'b.conf', ('b', 'b = 1'), owner='no-such-user-kvmhost')],
                 expect=FailJson)
    assert result['msg'] == 'nothing was written: files[1] ({0}): owner no-such-user-kvmhost does not exist on the host'.format(
        tmp_path / 'b.conf')
    assert not first.exists()


def test_a_failed_write_says_what_it_left(tmp_path, monkeypatch):
    real = config_files.write_text
    calls = []

    def write_text(path, content, mode):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.EROFS, 'Read-only file system (injected fault)', path)
        return real(path, content, mode)

    monkeypatch.setattr(config_files, 'write_text', write_text)
    one, two, three = (str(tmp_path / name) for name in ('one.conf', 'two.conf', 'three.conf'))
    result = run([qemu(one, ('a', 'a = 1')), qemu(two, ('a', 'a = 1')), qemu(three, ('a', 'a = 1'))],
                 expect=FailJson)
    assert result['msg'].startswith('writing {0} failed: '.format(two))
    assert result['msg'].endswith('Changed before it: {0}; not written: {1}'.format(one, three))
    assert result['changed_files'] == [one]
    assert os.path.exists(one) and not os.path.exists(three)


def test_passwords_are_not_in_the_diff(tmp_path):
    conf = tmp_path / 'qemu.conf'
    conf.write_text(u'#vnc_password = "XYZ12345"\n')
    result = run([qemu(conf, ('vnc_password', 'vnc_password = "s3cret-pw"'))], diff=True)
    text = repr(result['diff'])
    assert 's3cret-pw' not in text and 'XYZ12345' not in text
    assert result['diff'][0]['after'] == u'vnc_password = ******** (new value)\n'
    assert result['diff'][0]['before'] == u'#vnc_password = ******** (old value)\n'
    assert conf.read_text() == u'vnc_password = "s3cret-pw"\n'


def test_no_lines_leaves_the_mode_alone(tmp_path):
    conf = tmp_path / 'qemu.conf'
    conf.write_text(u'a = 1\n')
    os.chmod(str(conf), 0o644)
    assert run([qemu(conf, mode='0600')])['changed'] is False
    assert mode_of(conf) == 0o644


def test_the_filter_s_lines_pass_as_they_are(tmp_path):
    conf = tmp_path / 'qemu.conf'
    lines = conf_lines({'log_timestamp': True, 'namespaces': []}, name='kvmhost_setup_qemu_conf')
    run([dict(path=str(conf), lines=lines)])
    assert conf.read_text() == u'log_timestamp = 1\nnamespaces = []\n'


def test_a_changed_password_alone_still_shows(tmp_path):
    conf = tmp_path / 'qemu.conf'
    conf.write_text(u'spice_password = "old-one"\nvnc_listen = "0.0.0.0"\n')
    result = run([qemu(conf, ('spice_password', 'spice_password = "new-one"'))], diff=True)
    assert result['diff'][0]['before'] != result['diff'][0]['after']
    assert 'old-one' not in repr(result['diff']) and 'new-one' not in repr(result['diff'])


def test_an_unquoted_mode_is_refused(tmp_path):
    # YAML reads mode: 0644 as the number 420
    result = run([dict(path=str(tmp_path / 'a.conf'), content='x', mode=420)], expect=FailJson)
    assert 'mode is 420: allowed is an octal mode as a quoted string' in result['msg']
    assert not (tmp_path / 'a.conf').exists()


def test_a_symlink_is_written_through(tmp_path):
    target = tmp_path / 'real.conf'
    target.write_text(u'a = 0\n')
    link = tmp_path / 'qemu.conf'
    link.symlink_to(target)
    result = run([qemu(link, ('a', 'a = 1'))])
    assert result['changed_files'] == [str(link)]
    assert link.is_symlink()
    assert target.read_text() == u'a = 1\n'


def test_bytes_that_are_not_utf8_and_crlf_are_kept(tmp_path):
    conf = tmp_path / 'qemu.conf'
    conf.write_bytes(b'# caf\xe9 (Latin-1)\r\nb = 2\r\n\x0c# form feed\n')
    run([qemu(conf, ('a', 'a = 1'))])
    assert conf.read_bytes() == b'# caf\xe9 (Latin-1)\r\nb = 2\r\n\x0c# form feed\na = 1\n'


def test_content_and_mode_both_changed_show_in_the_diff_also_when_written(tmp_path):
    files = []
    for name in ('checked.conf', 'written.conf'):
        path = tmp_path / name
        path.write_text(u'a = 0\n')
        os.chmod(str(path), 0o644)
        files.append(path)
    checked = run([qemu(files[0], ('a', 'a = 1'), mode='0600')], check=True, diff=True)
    written = run([qemu(files[1], ('a', 'a = 1'), mode='0600')], diff=True)
    strip = [dict((key, value) for key, value in entry.items() if not key.endswith('_header'))
             for entry in checked['diff']]
    assert strip == [dict((key, value) for key, value in entry.items() if not key.endswith('_header'))
                     for entry in written['diff']]
    assert strip[1] == dict(before={'mode': '0644'}, after={'mode': '0600'})
    assert mode_of(files[1]) == 0o600 and mode_of(files[0]) == 0o644


def test_selinux_label_is_kept(tmp_path, monkeypatch):
    conf = tmp_path / 'qemu.conf'
    conf.write_text(u'a = 0\n')
    label = ['system_u', 'object_r', 'virt_etc_t', 's0']
    kept = []
    monkeypatch.setattr(basic.AnsibleModule, 'selinux_context', lambda self, path: list(label))
    monkeypatch.setattr(basic.AnsibleModule, 'set_context_if_different',
                        lambda self, path, context, changed, diff=None: kept.append((path, context)) or changed)
    run([qemu(conf, ('a', 'a = 1'))])
    assert kept == [(str(conf), label)]
