# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Can a host's running guests be live-migrated to a peer and back?  Pure planning.

Reads domain XML (``virsh dumpxml``) and what the caller learnt about the peer;
returns the reasons to refuse, per guest, and the plan.  The static blockers
are the ones libvirt's QEMU driver itself refuses a live migration for
(qemu_migration.c: host devices, virtiofs, non-master shmem, transient disks,
invtsc without a TSC frequency, snapshots); storage is refused when a disk is
not on the shared storage the caller named, since the peer must open the very
same disk files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import posixpath
import re
import xml.etree.ElementTree as ET

# Disk source attribute per <disk type=...> whose source is a path on the host
_PATH_ATTR = {'file': 'file', 'block': 'dev'}

# Network disk protocols every host opens the same way (libvirt's
# virStorageNetProtocol, less the ones QEMU dropped: sheepdog, vxhs).
NETWORK_PROTOCOLS = ('nbd', 'iscsi', 'rbd', 'gluster', 'nfs', 'http', 'https', 'ftp', 'ftps', 'tftp', 'ssh')

# Disk types the plan understands.  Everything else is refused: a storage pool
# volume names a pool, not a path; 'dir' is QEMU's vvfat, which blocks
# migration; nvme, vhostuser and vhostvdpa are devices of this host.
DISK_TYPES = ('file', 'block', 'network')

# virsh migrate options the plan sets itself or that contradict it (the
# guests must arrive running, with their disks on shared storage, and stay
# transient on the peer: see docs/rolling-switch.md).
PLAN_OPTIONS = ('--live', '--p2p', '--migrateuri', '--desturi', '--domain', '--persistent', '--undefinesource',
                '--offline', '--suspend', '--copy-storage-all', '--copy-storage-inc', '--copy-storage-synchronous-writes')

_HOST_NAME = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*\.?\Z')


class MigrationInputError(ValueError):
    """Input the planner cannot work with (unparsable XML, bad paths or addresses)."""


def uri_host(address):
    """``address`` as the host part of a URI: IPv6 in brackets, IPv4 and host names as they are.

    Refuses what would change the URI's meaning (a path, a user, a port) or what
    libvirt's URI parser does not take (an IPv6 zone index).
    """
    text = address.strip() if isinstance(address, str) else ''
    bare = text[1:-1] if text.startswith('[') and text.endswith(']') else text
    if '%' in bare:
        raise MigrationInputError('migration address {0!r} has a zone index: allowed are IPv4 and global IPv6 '
                                  'addresses and host names'.format(address))
    try:
        parsed = ipaddress.ip_address(bare)
    except ValueError:
        if bare == text and _HOST_NAME.match(text):
            return text
        raise MigrationInputError('migration address {0!r} is not an IP address or a host name: allowed are '
                                  'IPv4 (192.0.2.1), IPv6 (2001:db8::1, with or without brackets) and host '
                                  'names'.format(address))
    return '[{0}]'.format(parsed.compressed) if parsed.version == 6 else parsed.compressed


def tls_uri(address):
    """libvirt's TLS URI of the system QEMU driver at ``address``."""
    return 'qemu+tls://{0}/system'.format(uri_host(address))


def migrate_uri(address):
    """The QEMU migration stream's URI (--migrateuri) to ``address``."""
    return 'tcp://{0}'.format(uri_host(address))


def check_migrate_options(options):
    """The extra virsh migrate options, refusing the ones the plan sets or contradicts."""
    bad = [option for option in options or () if option.split('=', 1)[0] in PLAN_OPTIONS]
    if bad:
        raise MigrationInputError('migrate options {0} are set by the plan or contradict it (guests arrive '
                                  'running, transient on the peer, disks on shared storage): allowed are other '
                                  'virsh migrate options such as --tls, --compressed, --bandwidth N'.format(
                                      ', '.join(bad)))
    return list(options or ())


def migrate_argv(uri, guest, address, options=()):
    """The virsh command that live-migrates ``guest`` from the daemon at ``uri`` to ``address``."""
    return (['virsh', '-c', uri, 'migrate', '--live', '--p2p', guest, tls_uri(address),
             '--migrateuri', migrate_uri(address)] + check_migrate_options(options))


def _layer(element, kind, role):
    """One layer of a disk's storage: its role, type, path or protocol:name, and UNIX socket if any."""
    source = element.find('source')
    layer = {'role': role, 'type': kind, 'source': '', 'protocol': '', 'socket': ''}
    if source is None:
        return layer
    if kind in _PATH_ATTR:
        layer['source'] = source.get(_PATH_ATTR[kind], '')
    elif kind == 'network':
        layer['protocol'] = source.get('protocol', '')
        layer['source'] = '{0}:{1}'.format(layer['protocol'], source.get('name', ''))
        for host in source.findall('host'):
            if host.get('transport') == 'unix':
                layer['socket'] = host.get('socket', '')
    elif kind == 'volume':
        layer['source'] = '{0}/{1}'.format(source.get('pool', ''), source.get('volume', ''))
    else:
        layer['source'] = source.get('file') or source.get('dev') or source.get('dir') or source.get('path') or ''
    return layer


def _chain(disk, kind):
    """The disk's storage layers, top first: the image, its external data file, then each backing file.

    libvirt records the backing chain of a running domain in nested
    <backingStore> elements, ended by an empty one.
    """
    layers = [_layer(disk, kind, 'image')]
    element = disk
    while element is not None:
        data = element.find('./source/dataStore')
        if data is not None:
            layers.append(_layer(data, data.get('type', 'file'), 'data file'))
        element = element.find('backingStore')
        if element is None or not element.get('type'):
            break
        layers.append(_layer(element, element.get('type'), 'backing file'))
    return layers


def parse_domain(xml_text):
    """Name, UUID, disks and static migration blockers of one domain's XML."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise MigrationInputError('domain XML does not parse: {0}'.format(exc))
    if root.tag != 'domain':
        raise MigrationInputError('expected a <domain> document, got <{0}>'.format(root.tag))
    name = (root.findtext('name') or '').strip()
    uuid = (root.findtext('uuid') or '').strip()
    disks = []
    for disk in root.findall('./devices/disk'):
        kind = disk.get('type', 'file')
        target = disk.find('target')
        layers = _chain(disk, kind)
        disks.append({
            'target': target.get('dev', '') if target is not None else '',
            'type': kind,
            'device': disk.get('device', 'disk'),
            'source': layers[0]['source'],
            'layers': layers,
            'readonly': disk.find('readonly') is not None,
            'transient': disk.find('transient') is not None,
        })
    return {'name': name, 'uuid': uuid, 'disks': disks, 'blockers': _blockers(root)}


def _blockers(root):
    blockers = []
    for hostdev in root.findall('./devices/hostdev'):
        blockers.append("host device passthrough (<hostdev mode='{0}' type='{1}'>)".format(
            hostdev.get('mode', 'subsystem'), hostdev.get('type', '')))
    for iface in root.findall('./devices/interface'):
        if iface.get('type') in ('hostdev', 'vdpa'):
            blockers.append("<interface type='{0}'> cannot be migrated".format(iface.get('type')))
    for fs in root.findall('./devices/filesystem'):
        driver = fs.find('driver')
        if driver is not None and driver.get('type') == 'virtiofs':
            blockers.append('virtiofs filesystem ({0})'.format(_target_dir(fs)))
    for shmem in root.findall('./devices/shmem'):
        role = shmem.find('role')
        if role is None or role.get('value') != 'master':
            blockers.append("shared memory device '{0}' without role master".format(shmem.get('name', '')))
    for feature in root.findall('./cpu/feature'):
        if feature.get('name') == 'invtsc' and feature.get('policy', 'require') in ('require', 'force'):
            timers = [t for t in root.findall('./clock/timer') if t.get('name') == 'tsc' and t.get('frequency')]
            if not timers:
                blockers.append('invtsc CPU feature without a TSC frequency')
    return blockers


def _target_dir(fs):
    target = fs.find('target')
    return target.get('dir', '') if target is not None else ''


def _normalise_shared(shared_storage):
    roots = []
    for path in shared_storage or ():
        if not isinstance(path, str) or not path.startswith('/'):
            raise MigrationInputError('shared storage entries must be absolute paths, got {0!r}'.format(path))
        roots.append(posixpath.normpath(path))
    return roots


def on_shared_storage(path, shared_storage):
    """Whether absolute ``path`` lies inside one of the shared storage roots."""
    path = posixpath.normpath(path)
    for root in _normalise_shared(shared_storage):
        if root == '/' or path == root or path.startswith(root + '/'):
            return True
    return False


def _layer_problem(label, layer, shared_storage):
    """Why one storage layer keeps the disk on this host, or None."""
    what = 'disk {0}'.format(label) if layer['role'] == 'image' else 'disk {0}: {1}'.format(label, layer['role'])
    kind = layer['type']
    if kind == 'volume':
        return '{0} is storage pool volume {1}: name its files in the shared storage list by path instead'.format(
            what, layer['source'])
    if kind not in DISK_TYPES:
        return ('{0} ({1}) has type {2!r}, which the rolling switch does not understand (allowed: {3}): '
                'migrate, detach or stop the guest yourself').format(what, layer['source'] or 'no source', kind,
                                                                     ', '.join(DISK_TYPES))
    if kind == 'network':
        if layer['protocol'] not in NETWORK_PROTOCOLS:
            return ('{0} ({1}) is a network disk of protocol {2!r}, which the rolling switch does not '
                    'understand (allowed: {3})'.format(what, layer['source'], layer['protocol'],
                                                       ', '.join(NETWORK_PROTOCOLS)))
        if layer['socket']:
            return '{0} ({1}) is served over a UNIX socket of this host ({2}), so it is local'.format(
                what, layer['source'], layer['socket'])
        return None
    if layer['source'] and not on_shared_storage(layer['source'], shared_storage):
        return '{0} ({1}) is local, not on shared storage ({2})'.format(
            what, layer['source'], ', '.join(_normalise_shared(shared_storage)) or 'none named')
    return None


def disk_problems(domain, shared_storage):
    """Why the domain's disks keep it on this host (empty list: none).

    Every layer of every disk counts: a qcow2 overlay on shared storage whose
    backing file is local cannot be opened by the peer.
    """
    problems = []
    for disk in domain['disks']:
        label = disk['target'] or disk['source'] or disk['device']
        if disk['transient']:
            problems.append('disk {0} is transient (libvirt cannot migrate transient disks)'.format(label))
            continue
        for layer in disk['layers']:
            problem = _layer_problem(label, layer, shared_storage)
            if problem:
                problems.append(problem)
    return problems


def guest_refusals(domain, shared_storage, snapshots=0):
    """Every reason one running guest cannot be live-migrated, as {guest, reason}."""
    reasons = list(domain['blockers'])
    if snapshots:
        reasons.append('it has {0} snapshot(s) (libvirt refuses to migrate them)'.format(snapshots))
    reasons.extend(disk_problems(domain, shared_storage))
    return [{'guest': domain['name'], 'reason': reason} for reason in reasons]


def _virsh_error(error):
    """virsh's error lines in one line: "error: failed to connect ..." first, the cause after."""
    lines = [line.strip() for line in (error or '').splitlines() if line.strip()]
    return '; '.join(line[len('error: '):] if line.startswith('error: ') else line for line in lines)


def peer_refusals(peer, reachable, error='', host_uuid='', peer_uuid=''):
    """Why the peer cannot take the guests, as {guest: None, reason} entries."""
    if not reachable:
        return [{'guest': None, 'reason': 'peer {0} is not reachable over TLS: {1}'.format(
            peer, _virsh_error(error) or 'no answer')}]
    if host_uuid and peer_uuid and host_uuid == peer_uuid:
        return [{'guest': None, 'reason': 'peer {0} has this host\'s host UUID {1} (libvirt refuses to '
                                          'migrate to "the same host"): give each host its own'.format(peer, host_uuid)}]
    return []


def return_refusals(host, peer, uri, answer, host_uuid_here):
    """Why the guests could not come back: the peer's view of this host over TLS.

    ``answer`` is rc/stdout/stderr of ``virsh -c URI capabilities`` run on the
    peer (None: not checked).  The peer must reach this host, and find this
    host there: another host UUID means the address leads somewhere else.
    """
    if answer is None:
        return []
    if answer.get('rc') != 0:
        detail = _virsh_error(answer.get('stderr')) or 'no answer'
        if answer.get('rc') == 124:
            detail = 'no answer in time'
        return [{'guest': None, 'reason': 'this host ({0}) is not reachable from peer {1} over TLS ({2}), '
                                          'so the guests could not come back: {3}'.format(host, peer, uri, detail)}]
    seen = host_uuid(answer.get('stdout'))
    if host_uuid_here and seen != host_uuid_here:
        return [{'guest': None, 'reason': 'peer {0} reaches {1}, but that answers with host UUID {2}, not {3}\'s '
                                          '{4}: check the migration address of {3}'.format(
                                              peer, uri, seen or '(none)', host, host_uuid_here)}]
    return []


def guard_refusals(guard_guests, planned, states):
    """Guests the role's running-guest guard counts that the plan does not move.

    The guard counts libvirt's status files (/run/libvirt/<driver>/NAME.xml);
    the plan moves the guests virsh lists as running.  A guest in the first
    and not in the second (paused, or a status file virsh does not know)
    would make the role refuse after the others left.  ``states`` maps a name
    to its ``virsh domstate`` (None: libvirt does not know it).
    """
    refusals = []
    for name in guard_guests or ():
        if name in planned:
            continue
        state = states.get(name)
        if state is None:
            why = ('libvirt does not list it (a status file /run/libvirt/*/{0}.xml without a running domain of '
                   'that name, or a guest of another driver)'.format(name))
        else:
            why = 'virsh reports it {0}, and only running guests are migrated'.format(state)
        refusals.append({'guest': name, 'reason': 'the role\'s running-guest guard counts it but the plan '
                                                  'does not move it: {0}; resume, stop or move it first'.format(why)})
    return refusals


def make_plan(host, peer, mode, domains, refusals, address=None, uri='qemu:///system', options=()):
    """The rolling-switch plan for one host: who goes where and back, with the exact commands.

    ``peer`` and ``address`` are the migration addresses of the peer and of
    this host (default: ``host``).  ``out`` commands run on this host, ``back``
    commands on the peer.
    """
    address = address or host
    out, back = [], []
    for domain in domains:
        name, uuid = domain['name'], domain['uuid']
        out.append({'guest': name, 'uuid': uuid, 'from': host, 'to': peer,
                    'argv': migrate_argv(uri, name, peer, options)})
        back.append({'guest': name, 'uuid': uuid, 'from': peer, 'to': host,
                     'argv': migrate_argv(uri, name, address, options)})
    return {
        'host': host,
        'peer': peer,
        'mode': mode,
        'host_uri': tls_uri(address),
        'peer_uri': tls_uri(peer),
        'out': out,
        'back': back,
        'refused': bool(refusals),
    }


def describe_refusals(refusals):
    """One sentence naming every guest and reason."""
    parts = []
    for refusal in refusals:
        if refusal['guest'] is None:
            parts.append(refusal['reason'])
        else:
            parts.append('guest {0}: {1}'.format(refusal['guest'], refusal['reason']))
    return '; '.join(parts)


def host_uuid(capabilities_xml):
    """<host><uuid> of ``virsh capabilities`` output ('' when absent or unparsable)."""
    try:
        root = ET.fromstring(capabilities_xml or '')
    except ET.ParseError:
        return ''
    return (root.findtext('./host/uuid') or '').strip()
