# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_migration import (
    MigrationInputError,
    check_migrate_options,
    describe_refusals,
    disk_problems,
    guard_refusals,
    guest_refusals,
    host_uuid,
    make_plan,
    migrate_argv,
    migrate_uri,
    on_shared_storage,
    parse_domain,
    peer_refusals,
    return_refusals,
    tls_uri,
    uri_host,
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


def layer(source, kind='file', role='image', protocol='', socket=''):
    return {'role': role, 'type': kind, 'source': source, 'protocol': protocol, 'socket': socket}


@pytest.mark.parametrize('devices, disk', [
    (DISK_FILE.format('/srv/vm/a.qcow2'),
     {'target': 'vda', 'type': 'file', 'device': 'disk', 'source': '/srv/vm/a.qcow2',
      'layers': [layer('/srv/vm/a.qcow2')], 'readonly': False, 'transient': False}),
    ("<disk type='block' device='disk'><source dev='/dev/vg/lv'/><target dev='sda'/></disk>",
     {'target': 'sda', 'type': 'block', 'device': 'disk', 'source': '/dev/vg/lv',
      'layers': [layer('/dev/vg/lv', 'block')], 'readonly': False, 'transient': False}),
    ("<disk type='network' device='disk'><source protocol='rbd' name='pool/img'/><target dev='vdb'/></disk>",
     {'target': 'vdb', 'type': 'network', 'device': 'disk', 'source': 'rbd:pool/img',
      'layers': [layer('rbd:pool/img', 'network', protocol='rbd')], 'readonly': False, 'transient': False}),
    ("<disk type='file' device='cdrom'><target dev='hdc'/><readonly/></disk>",
     {'target': 'hdc', 'type': 'file', 'device': 'cdrom', 'source': '',
      'layers': [layer('')], 'readonly': True, 'transient': False}),
    ("<disk type='volume' device='disk'><source pool='default' volume='v1'/><target dev='vdc'/></disk>",
     {'target': 'vdc', 'type': 'volume', 'device': 'disk', 'source': 'default/v1',
      'layers': [layer('default/v1', 'volume')], 'readonly': False, 'transient': False}),
])
def test_parse_disks(devices, disk):
    assert parse_domain(domain(devices))['disks'] == [disk]


# A running guest's live XML as libvirt writes it: the chain top first, each
# <backingStore> inside the one above, an empty one at the end.
CHAIN = ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
         "<source file='/srv/vm/top.qcow2' index='3'/>"
         "<backingStore type='block' index='2'><format type='qcow2'/><source dev='/dev/vg/mid'/>"
         "<backingStore type='network' index='1'><format type='raw'/>"
         "<source protocol='nbd' name='base'><host transport='unix' socket='/run/nbd.sock'/></source>"
         "<backingStore/></backingStore></backingStore>"
         "<target dev='vda' bus='virtio'/></disk>")


def test_parse_follows_the_backing_chain():
    assert parse_domain(domain(CHAIN))['disks'][0]['layers'] == [
        layer('/srv/vm/top.qcow2'),
        layer('/dev/vg/mid', 'block', 'backing file'),
        layer('nbd:base', 'network', 'backing file', 'nbd', '/run/nbd.sock'),
    ]


def test_parse_reads_external_data_files():
    devices = ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
               "<source file='/srv/vm/a.qcow2'><dataStore type='file'><format type='raw'/>"
               "<source file='/var/lib/data.raw'/></dataStore></source><backingStore/>"
               "<target dev='vda'/></disk>")
    assert parse_domain(domain(devices))['disks'][0]['layers'] == [
        layer('/srv/vm/a.qcow2'), layer('/var/lib/data.raw', role='data file')]


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


def backed(top, *chain):
    """A qcow2 disk vda at ``top`` with the (type, source) backing chain, as a running guest shows it."""
    inner = '<backingStore/>'
    for kind, source in reversed(chain):
        attr = {'file': 'file', 'block': 'dev'}.get(kind)
        src = "<source {0}='{1}'/>".format(attr, source) if attr else source
        inner = "<backingStore type='{0}'><format type='qcow2'/>{1}{2}</backingStore>".format(kind, src, inner)
    return ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{0}'/>{1}"
            "<target dev='vda' bus='virtio'/></disk>").format(top, inner)


@pytest.mark.parametrize('devices, shared, problems', [
    (DISK_FILE.format('/srv/vm/a.qcow2'), ['/srv/vm'], []),
    (DISK_FILE.format('/var/lib/libvirt/images/a.qcow2'), ['/srv/vm'],
     ['disk vda (/var/lib/libvirt/images/a.qcow2) is local, not on shared storage (/srv/vm)']),
    (DISK_FILE.format('/var/lib/libvirt/images/a.qcow2'), [],
     ['disk vda (/var/lib/libvirt/images/a.qcow2) is local, not on shared storage (none named)']),
    ("<disk type='network' device='disk'><source protocol='rbd' name='p/i'/><target dev='vdb'/></disk>", [], []),
    ("<disk type='network' device='disk'><source protocol='iscsi' name='iqn.x/1'><host name='192.0.2.9'/>"
     "</source><target dev='vdb'/></disk>", [], []),
    ("<disk type='file' device='cdrom'><target dev='hdc'/><readonly/></disk>", [], []),
    ("<disk type='block' device='disk'><source dev='/dev/vg/lv'/><target dev='sda'/></disk>", [],
     ['disk sda (/dev/vg/lv) is local, not on shared storage (none named)']),
    ("<disk type='block' device='disk'><source dev='/dev/mapper/san1'/><target dev='sda'/></disk>", ['/dev/mapper'], []),
    ("<disk type='volume' device='disk'><source pool='default' volume='v1'/><target dev='vdc'/></disk>", ['/srv'],
     ['disk vdc is storage pool volume default/v1: name its files in the shared storage list by path instead']),
    ("<disk type='file' device='disk'><source file='/srv/vm/t.img'/><target dev='vdd'/><transient/></disk>", ['/srv'],
     ['disk vdd is transient (libvirt cannot migrate transient disks)']),
    # backing chains: every layer must be shared, whatever the top says
    (backed('/srv/vm/top.qcow2', ('file', '/srv/vm/base.qcow2')), ['/srv/vm'], []),
    (backed('/srv/vm/top.qcow2', ('file', '/srv/vm/mid.qcow2'), ('file', '/var/lib/libvirt/images/base.qcow2')),
     ['/srv/vm'],
     ['disk vda: backing file (/var/lib/libvirt/images/base.qcow2) is local, not on shared storage (/srv/vm)']),
    (backed('/srv/vm/top.qcow2', ('block', '/dev/vg/base')), ['/srv/vm'],
     ['disk vda: backing file (/dev/vg/base) is local, not on shared storage (/srv/vm)']),
    (backed('/srv/vm/top.qcow2', ('network', "<source protocol='rbd' name='p/base'/>")), ['/srv/vm'], []),
    (backed('/var/lib/top.qcow2', ('file', '/var/lib/base.qcow2')), ['/srv/vm'],
     ['disk vda (/var/lib/top.qcow2) is local, not on shared storage (/srv/vm)',
      'disk vda: backing file (/var/lib/base.qcow2) is local, not on shared storage (/srv/vm)']),
    (backed('/srv/vm/top.qcow2', ('volume', "<source pool='p' volume='base'/>")), ['/srv/vm'],
     ['disk vda: backing file is storage pool volume p/base: name its files in the shared storage list by path instead']),
    (CHAIN, ['/srv/vm', '/dev/vg'],
     ['disk vda: backing file (nbd:base) is served over a UNIX socket of this host (/run/nbd.sock), so it is local']),
    # disk types and protocols the plan does not understand are refused, naming disk and type
    ("<disk type='dir' device='disk'><source dir='/srv/vm/tree'/><target dev='vde'/></disk>", ['/srv'],
     ["disk vde (/srv/vm/tree) has type 'dir', which the rolling switch does not understand (allowed: file, block, "
      "network): migrate, detach or stop the guest yourself"]),
    ("<disk type='nvme' device='disk'><source type='pci' managed='yes' namespace='1'>"
     "<address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source><target dev='vdf'/></disk>", ['/'],
     ["disk vdf (no source) has type 'nvme', which the rolling switch does not understand (allowed: file, block, "
      "network): migrate, detach or stop the guest yourself"]),
    ("<disk type='vhostuser' device='disk'><source type='unix' path='/run/vhost-blk.sock'/><target dev='vdg'/></disk>",
     ['/'],
     ["disk vdg (/run/vhost-blk.sock) has type 'vhostuser', which the rolling switch does not understand (allowed: "
      "file, block, network): migrate, detach or stop the guest yourself"]),
    ("<disk device='disk' type='vhostvdpa'><source dev='/dev/vhost-vdpa-0'/><target dev='vdh'/></disk>", ['/'],
     ["disk vdh (/dev/vhost-vdpa-0) has type 'vhostvdpa', which the rolling switch does not understand (allowed: "
      "file, block, network): migrate, detach or stop the guest yourself"]),
    ("<disk type='network' device='disk'><source protocol='sheepdog' name='s'/><target dev='vdi'/></disk>", [],
     ["disk vdi (sheepdog:s) is a network disk of protocol 'sheepdog', which the rolling switch does not "
      "understand (allowed: nbd, iscsi, rbd, gluster, nfs, http, https, ftp, ftps, tftp, ssh)"]),
    ("<disk type='network' device='disk'><source name='s'/><target dev='vdj'/></disk>", [],
     ["disk vdj (:s) is a network disk of protocol '', which the rolling switch does not "
      "understand (allowed: nbd, iscsi, rbd, gluster, nfs, http, https, ftp, ftps, tftp, ssh)"]),
    ("<disk type='network' device='disk'><source protocol='nbd' name='e'><host transport='unix' socket='/s'/>"
     "</source><target dev='vdk'/></disk>", [],
     ['disk vdk (nbd:e) is served over a UNIX socket of this host (/s), so it is local']),
    ("<disk type='file' device='disk'><source file='/srv/vm/a.qcow2'><dataStore type='file'>"
     "<source file='/var/lib/data.raw'/></dataStore></source><target dev='vda'/></disk>", ['/srv/vm'],
     ['disk vda: data file (/var/lib/data.raw) is local, not on shared storage (/srv/vm)']),
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
    plan = make_plan('b', '10.0.0.1', 'modular', domains, refusals, address='10.0.0.2')
    assert plan['host'] == 'b' and plan['peer'] == '10.0.0.1' and plan['mode'] == 'modular'
    assert plan['host_uri'] == 'qemu+tls://10.0.0.2/system' and plan['peer_uri'] == 'qemu+tls://10.0.0.1/system'
    assert plan['out'] == [
        {'guest': n, 'uuid': 'uuid-' + n, 'from': 'b', 'to': '10.0.0.1',
         'argv': ['virsh', '-c', 'qemu:///system', 'migrate', '--live', '--p2p', n, 'qemu+tls://10.0.0.1/system',
                  '--migrateuri', 'tcp://10.0.0.1']} for n in names]
    assert plan['back'] == [
        {'guest': n, 'uuid': 'uuid-' + n, 'from': '10.0.0.1', 'to': 'b',
         'argv': ['virsh', '-c', 'qemu:///system', 'migrate', '--live', '--p2p', n, 'qemu+tls://10.0.0.2/system',
                  '--migrateuri', 'tcp://10.0.0.2']} for n in names]
    assert plan['refused'] is bool(refusals)


def test_make_plan_ipv6_and_options():
    plan = make_plan('kvm2', '2001:db8::1', 'monolithic', [{'name': 'web1', 'uuid': 'u'}], [],
                     address='[2001:DB8:0::2]', options=['--tls', '--bandwidth', '100'])
    assert plan['out'][0]['argv'][-7:] == ['web1', 'qemu+tls://[2001:db8::1]/system', '--migrateuri',
                                           'tcp://[2001:db8::1]', '--tls', '--bandwidth', '100']
    assert plan['back'][0]['argv'][-7:] == ['web1', 'qemu+tls://[2001:db8::2]/system', '--migrateuri',
                                            'tcp://[2001:db8::2]', '--tls', '--bandwidth', '100']
    assert plan['host_uri'] == 'qemu+tls://[2001:db8::2]/system'


def test_make_plan_back_defaults_to_the_host_name():
    plan = make_plan('kvm2.example.org', '192.0.2.1', 'modular', [{'name': 'g', 'uuid': 'u'}], [])
    assert plan['back'][0]['argv'][7:10] == ['qemu+tls://kvm2.example.org/system', '--migrateuri',
                                             'tcp://kvm2.example.org']


@pytest.mark.parametrize('address, host', [
    ('192.0.2.1', '192.0.2.1'),
    (' 192.0.2.1 ', '192.0.2.1'),
    ('2001:db8::1', '[2001:db8::1]'),
    ('[2001:db8::1]', '[2001:db8::1]'),
    ('2001:DB8:0:0::1', '[2001:db8::1]'),
    # Python 3.13 spells IPv4-mapped addresses with the dotted quad, earlier ones in hex
    ('::ffff:192.0.2.1', '[{0}]'.format(ipaddress.ip_address(u'::ffff:192.0.2.1').compressed)),
    ('kvm1', 'kvm1'),
    ('kvm1.example.org', 'kvm1.example.org'),
    ('kvm_1.example.org.', 'kvm_1.example.org.'),
])
def test_uri_host(address, host):
    assert uri_host(address) == host


@pytest.mark.parametrize('address, message', [
    ('fe80::1%eth0', 'has a zone index'),
    ('[fe80::1%25eth0]', 'has a zone index'),
    ('', 'is not an IP address or a host name'),
    ('kvm1/system?x', 'is not an IP address or a host name'),
    ('root@kvm1', 'is not an IP address or a host name'),
    ('kvm1:16514', 'is not an IP address or a host name'),
    ('[kvm1]', 'is not an IP address or a host name'),
    ('2001:db8::1]', 'is not an IP address or a host name'),
    ('this host', "migration address 'this host' is not an IP address or a host name"),
    (None, 'is not an IP address or a host name'),
])
def test_uri_host_refuses(address, message):
    with pytest.raises(MigrationInputError, match=message):
        uri_host(address)


def test_uris():
    assert tls_uri('2001:db8::1') == 'qemu+tls://[2001:db8::1]/system'
    assert migrate_uri('2001:db8::1') == 'tcp://[2001:db8::1]'
    assert tls_uri('10.0.0.1') == 'qemu+tls://10.0.0.1/system'
    assert migrate_uri('kvm1') == 'tcp://kvm1'


@pytest.mark.parametrize('options', [[], ['--tls'], ['--compressed', '--bandwidth', '50'], ['--parallel']])
def test_migrate_options_allowed(options):
    assert check_migrate_options(options) == options


@pytest.mark.parametrize('options, named', [
    (['--persistent'], '--persistent'),
    (['--tls', '--undefinesource'], '--undefinesource'),
    (['--suspend', '--offline'], '--suspend, --offline'),
    (['--copy-storage-all'], '--copy-storage-all'),
    (['--migrateuri=tcp://x'], '--migrateuri=tcp://x'),
])
def test_migrate_options_refused(options, named):
    with pytest.raises(MigrationInputError, match='migrate options {0} are set by the plan'.format(named)):
        check_migrate_options(options)


def test_migrate_argv():
    assert migrate_argv('qemu:///system', 'web1', '2001:db8::9', ['--tls']) == [
        'virsh', '-c', 'qemu:///system', 'migrate', '--live', '--p2p', 'web1', 'qemu+tls://[2001:db8::9]/system',
        '--migrateuri', 'tcp://[2001:db8::9]', '--tls']


@pytest.mark.parametrize('guard, planned, states, refusals', [
    ([], ['g1'], {}, []),
    (['g1'], ['g1'], {}, []),
    (['g1', 'p1'], ['g1'], {'p1': 'paused'},
     [{'guest': 'p1', 'reason': "the role's running-guest guard counts it but the plan does not move it: virsh "
                                "reports it paused, and only running guests are migrated; resume, stop or move "
                                "it first"}]),
    (['ghost'], [], {'ghost': None},
     [{'guest': 'ghost', 'reason': "the role's running-guest guard counts it but the plan does not move it: "
                                   "libvirt does not list it (a status file /run/libvirt/*/ghost.xml without a "
                                   "running domain of that name, or a guest of another driver); resume, stop or "
                                   "move it first"}]),
])
def test_guard_refusals(guard, planned, states, refusals):
    assert guard_refusals(guard, planned, states) == refusals


CAPS = "<capabilities><host><uuid>{0}</uuid></host></capabilities>"


@pytest.mark.parametrize('answer, refusals', [
    (None, []),
    ({'rc': 0, 'stdout': CAPS.format('u-b'), 'stderr': ''}, []),
    ({'rc': 1, 'stdout': '', 'stderr': 'error: failed to connect to the hypervisor\n'
                                       'error: authentication failed: Failed to verify peer\'s certificate\n'},
     [{'guest': None, 'reason': "this host (b) is not reachable from peer 10.0.0.1 over TLS "
                                "(qemu+tls://10.0.0.2/system), so the guests could not come back: failed to connect "
                                "to the hypervisor; authentication failed: Failed to verify peer's certificate"}]),
    ({'rc': 124, 'stdout': '', 'stderr': ''},
     [{'guest': None, 'reason': 'this host (b) is not reachable from peer 10.0.0.1 over TLS '
                                '(qemu+tls://10.0.0.2/system), so the guests could not come back: no answer in time'}]),
    ({'rc': 0, 'stdout': CAPS.format('u-x'), 'stderr': ''},
     [{'guest': None, 'reason': "peer 10.0.0.1 reaches qemu+tls://10.0.0.2/system, but that answers with host "
                                "UUID u-x, not b's u-b: check the migration address of b"}]),
])
def test_return_refusals(answer, refusals):
    assert return_refusals('b', '10.0.0.1', 'qemu+tls://10.0.0.2/system', answer, 'u-b') == refusals


@pytest.mark.parametrize('text, uuid', [
    ("<capabilities><host><uuid> 0f0e </uuid><cpu/></host></capabilities>", '0f0e'),
    ('<capabilities><host/></capabilities>', ''),
    ('not xml', ''),
    (None, ''),
])
def test_host_uuid(text, uuid):
    assert host_uuid(text) == uuid
