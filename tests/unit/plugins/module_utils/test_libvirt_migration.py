# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_migration import (
    MigrationInputError,
    describe_refusals,
    disk_problems,
    guest_refusals,
    host_uuid,
    make_plan,
    on_shared_storage,
    parse_domain,
    peer_refusals,
)

UUID = '5a4c1f2e-3b6d-4e8f-9a0b-1c2d3e4f5a6b'


def domain(devices='', extra='', name='g1'):
    return ("<domain type='kvm'><name>{0}</name><uuid>{1}</uuid><memory unit='MiB'>64</memory>"
            "{2}<devices><emulator>/usr/bin/qemu-system-x86_64</emulator><serial type='pty'/>{3}"
            "</devices></domain>").format(name, UUID, extra, devices)


DISK_FILE = ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
             "<source file='{0}'/><target dev='vda' bus='virtio'/></disk>")


def test_parse_diskless_guest():
    parsed = parse_domain(domain())
    assert parsed == {'name': 'g1', 'uuid': UUID, 'disks': [], 'blockers': []}


@pytest.mark.parametrize('devices, disk', [
    (DISK_FILE.format('/srv/vm/a.qcow2'),
     {'target': 'vda', 'type': 'file', 'device': 'disk', 'source': '/srv/vm/a.qcow2',
      'readonly': False, 'transient': False}),
    ("<disk type='block' device='disk'><source dev='/dev/vg/lv'/><target dev='sda'/></disk>",
     {'target': 'sda', 'type': 'block', 'device': 'disk', 'source': '/dev/vg/lv',
      'readonly': False, 'transient': False}),
    ("<disk type='network' device='disk'><source protocol='rbd' name='pool/img'/><target dev='vdb'/></disk>",
     {'target': 'vdb', 'type': 'network', 'device': 'disk', 'source': 'rbd:pool/img',
      'readonly': False, 'transient': False}),
    ("<disk type='file' device='cdrom'><target dev='hdc'/><readonly/></disk>",
     {'target': 'hdc', 'type': 'file', 'device': 'cdrom', 'source': '',
      'readonly': True, 'transient': False}),
    ("<disk type='volume' device='disk'><source pool='default' volume='v1'/><target dev='vdc'/></disk>",
     {'target': 'vdc', 'type': 'volume', 'device': 'disk', 'source': 'default/v1',
      'readonly': False, 'transient': False}),
])
def test_parse_disks(devices, disk):
    assert parse_domain(domain(devices))['disks'] == [disk]


@pytest.mark.parametrize('devices, extra, blocker', [
    ("<hostdev mode='subsystem' type='pci'><source><address bus='0x01'/></source></hostdev>", '',
     "host device passthrough (<hostdev mode='subsystem' type='pci'>)"),
    ("<interface type='hostdev'><source><address type='pci'/></source></interface>", '',
     "<interface type='hostdev'> cannot be migrated"),
    ("<filesystem type='mount'><driver type='virtiofs'/><source dir='/srv'/><target dir='share'/></filesystem>", '',
     'virtiofs filesystem (share)'),
    ("<shmem name='s1'><model type='ivshmem-plain'/><size unit='M'>4</size></shmem>", '',
     "shared memory device 's1' without role master"),
    ("<shmem name='s2'><model type='ivshmem-plain'/><role value='peer'/></shmem>", '',
     "shared memory device 's2' without role master"),
    ('', "<cpu mode='host-model'><feature policy='require' name='invtsc'/></cpu>",
     'invtsc CPU feature without a TSC frequency'),
])
def test_blockers(devices, extra, blocker):
    assert parse_domain(domain(devices, extra))['blockers'] == [blocker]


@pytest.mark.parametrize('devices, extra', [
    ("<shmem name='s3'><model type='ivshmem-plain'/><role value='master'/></shmem>", ''),
    ("<filesystem type='mount'><driver type='path'/><source dir='/srv'/><target dir='share'/></filesystem>", ''),
    ("<interface type='network'><source network='default'/></interface>", ''),
    ('', "<cpu mode='host-model'><feature policy='require' name='invtsc'/></cpu>"
         "<clock offset='utc'><timer name='tsc' frequency='2400000000'/></clock>"),
    ('', "<cpu mode='host-model'><feature policy='disable' name='invtsc'/></cpu>"),
])
def test_not_blockers(devices, extra):
    assert parse_domain(domain(devices, extra))['blockers'] == []


@pytest.mark.parametrize('text, message', [
    ('<domain', 'domain XML does not parse'),
    ('<capabilities/>', 'expected a <domain> document, got <capabilities>'),
])
def test_parse_refuses_other_documents(text, message):
    with pytest.raises(MigrationInputError, match=message):
        parse_domain(text)


@pytest.mark.parametrize('path, shared, expected', [
    ('/srv/vm/a.qcow2', ['/srv/vm'], True),
    ('/srv/vm/a.qcow2', ['/srv/vm/'], True),
    ('/srv/vm', ['/srv/vm'], True),
    ('/srv/vmx/a.qcow2', ['/srv/vm'], False),
    ('/srv/vm/../etc/passwd', ['/srv/vm'], False),
    ('/var/lib/libvirt/images/a.img', ['/srv/vm', '/mnt/nfs'], False),
    ('/var/lib/libvirt/images/a.img', [], False),
    ('/anything', ['/'], True),
])
def test_on_shared_storage(path, shared, expected):
    assert on_shared_storage(path, shared) is expected


@pytest.mark.parametrize('shared', [['srv/vm'], [''], [7]])
def test_shared_storage_must_be_absolute(shared):
    with pytest.raises(MigrationInputError, match='shared storage entries must be absolute paths'):
        on_shared_storage('/srv/vm/a', shared)


@pytest.mark.parametrize('devices, shared, problems', [
    (DISK_FILE.format('/srv/vm/a.qcow2'), ['/srv/vm'], []),
    (DISK_FILE.format('/var/lib/libvirt/images/a.qcow2'), ['/srv/vm'],
     ['disk vda (/var/lib/libvirt/images/a.qcow2) is local, not on shared storage (/srv/vm)']),
    (DISK_FILE.format('/var/lib/libvirt/images/a.qcow2'), [],
     ['disk vda (/var/lib/libvirt/images/a.qcow2) is local, not on shared storage (none named)']),
    ("<disk type='network' device='disk'><source protocol='rbd' name='p/i'/><target dev='vdb'/></disk>", [], []),
    ("<disk type='file' device='cdrom'><target dev='hdc'/><readonly/></disk>", [], []),
    ("<disk type='block' device='disk'><source dev='/dev/vg/lv'/><target dev='sda'/></disk>", [],
     ['disk sda (/dev/vg/lv) is local, not on shared storage (none named)']),
    ("<disk type='volume' device='disk'><source pool='default' volume='v1'/><target dev='vdc'/></disk>", ['/srv'],
     ['disk vdc is storage pool volume default/v1: name its files in the shared storage list by path instead']),
    ("<disk type='file' device='disk'><source file='/srv/vm/t.img'/><target dev='vdd'/><transient/></disk>", ['/srv'],
     ['disk vdd is transient (libvirt cannot migrate transient disks)']),
])
def test_disk_problems(devices, shared, problems):
    assert disk_problems(parse_domain(domain(devices)), shared) == problems


def test_guest_refusals_name_the_guest_and_every_reason():
    parsed = parse_domain(domain(
        "<shmem name='s1'/>" + DISK_FILE.format('/var/lib/libvirt/images/a.qcow2'), name='web1'))
    refusals = guest_refusals(parsed, ['/srv/vm'], snapshots=2)
    assert refusals == [
        {'guest': 'web1', 'reason': "shared memory device 's1' without role master"},
        {'guest': 'web1', 'reason': 'it has 2 snapshot(s) (libvirt refuses to migrate them)'},
        {'guest': 'web1', 'reason': 'disk vda (/var/lib/libvirt/images/a.qcow2) is local, not on shared storage (/srv/vm)'},
    ]
    assert describe_refusals(refusals).startswith("guest web1: shared memory device 's1' without role master; guest web1: it has 2")


@pytest.mark.parametrize('args, refusals', [
    (('10.0.0.2', True, '', 'u1', 'u2'), []),
    (('10.0.0.2', True, '', '', ''), []),
    (('10.0.0.2', False, 'error: failed to connect to the hypervisor\n'
                         'error: unable to connect to server at 10.0.0.2:16514: No route to host\n', '', ''),
     [{'guest': None, 'reason': 'peer 10.0.0.2 is not reachable over TLS: failed to connect to the hypervisor; '
                                'unable to connect to server at 10.0.0.2:16514: No route to host'}]),
    (('10.0.0.2', False, '', '', ''), [{'guest': None, 'reason': 'peer 10.0.0.2 is not reachable over TLS: no answer'}]),
    (('10.0.0.2', True, '', 'u1', 'u1'),
     [{'guest': None, 'reason': 'peer 10.0.0.2 has this host\'s host UUID u1 (libvirt refuses to migrate to '
                                '"the same host"): give each host its own'}]),
])
def test_peer_refusals(args, refusals):
    assert peer_refusals(*args) == refusals


@pytest.mark.parametrize('names, refusals', [
    ([], []),
    (['g1'], []),
    (['g1', 'g2'], [{'guest': 'g2', 'reason': 'x'}]),
])
def test_make_plan(names, refusals):
    domains = [{'name': name, 'uuid': 'uuid-' + name} for name in names]
    plan = make_plan('b', '10.0.0.1', 'modular', domains, refusals)
    assert plan['host'] == 'b' and plan['peer'] == '10.0.0.1' and plan['mode'] == 'modular'
    assert plan['out'] == [{'guest': n, 'uuid': 'uuid-' + n, 'from': 'b', 'to': '10.0.0.1'} for n in names]
    assert plan['back'] == [{'guest': n, 'uuid': 'uuid-' + n, 'from': '10.0.0.1', 'to': 'b'} for n in names]
    assert plan['refused'] is bool(refusals)


@pytest.mark.parametrize('text, uuid', [
    ("<capabilities><host><uuid> 0f0e </uuid><cpu/></host></capabilities>", '0f0e'),
    ('<capabilities><host/></capabilities>', ''),
    ('not xml', ''),
    (None, ''),
])
def test_host_uuid(text, uuid):
    assert host_uuid(text) == uuid
