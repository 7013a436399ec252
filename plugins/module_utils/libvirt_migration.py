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

import posixpath
import xml.etree.ElementTree as ET

# Disk source attribute per <disk type=...>
_SOURCE_ATTR = {'file': 'file', 'block': 'dev', 'dir': 'dir'}


class MigrationInputError(ValueError):
    """Input the planner cannot work with (unparsable XML, bad paths)."""


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
        source = disk.find('source')
        target = disk.find('target')
        path = ''
        if source is not None:
            if kind in _SOURCE_ATTR:
                path = source.get(_SOURCE_ATTR[kind], '')
            elif kind == 'network':
                path = '{0}:{1}'.format(source.get('protocol', ''), source.get('name', ''))
            elif kind == 'volume':
                path = '{0}/{1}'.format(source.get('pool', ''), source.get('volume', ''))
        disks.append({
            'target': target.get('dev', '') if target is not None else '',
            'type': kind,
            'device': disk.get('device', 'disk'),
            'source': path,
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


def disk_problems(domain, shared_storage):
    """Why the domain's disks keep it on this host (empty list: none)."""
    problems = []
    for disk in domain['disks']:
        label = disk['target'] or disk['source'] or disk['device']
        if disk['transient']:
            problems.append('disk {0} is transient (libvirt cannot migrate transient disks)'.format(label))
            continue
        if not disk['source'] or disk['type'] == 'network':
            # empty CD-ROM/floppy, or a network disk every host opens the same way
            continue
        if disk['type'] == 'volume':
            problems.append('disk {0} is storage pool volume {1}: name its files in the shared storage '
                            'list by path instead'.format(label, disk['source']))
        elif not on_shared_storage(disk['source'], shared_storage):
            problems.append('disk {0} ({1}) is local, not on shared storage ({2})'.format(
                label, disk['source'], ', '.join(_normalise_shared(shared_storage)) or 'none named'))
    return problems


def guest_refusals(domain, shared_storage, snapshots=0):
    """Every reason one running guest cannot be live-migrated, as {guest, reason}."""
    reasons = list(domain['blockers'])
    if snapshots:
        reasons.append('it has {0} snapshot(s) (libvirt refuses to migrate them)'.format(snapshots))
    reasons.extend(disk_problems(domain, shared_storage))
    return [{'guest': domain['name'], 'reason': reason} for reason in reasons]


def peer_refusals(peer, reachable, error='', host_uuid='', peer_uuid=''):
    """Why the peer cannot take the guests, as {guest: None, reason} entries."""
    if not reachable:
        # virsh prints "error: failed to connect to the hypervisor" first and the cause after
        lines = [line.strip() for line in (error or '').splitlines() if line.strip()]
        detail = '; '.join(line[len('error: '):] if line.startswith('error: ') else line for line in lines)
        return [{'guest': None, 'reason': 'peer {0} is not reachable over TLS: {1}'.format(peer, detail or 'no answer')}]
    if host_uuid and peer_uuid and host_uuid == peer_uuid:
        return [{'guest': None, 'reason': 'peer {0} has this host\'s host UUID {1} (libvirt refuses to '
                                          'migrate to "the same host"): give each host its own'.format(peer, host_uuid)}]
    return []


def make_plan(host, peer, mode, domains, refusals):
    """The rolling-switch plan for one host: who goes where and back, and the new mode."""
    names = [domain['name'] for domain in domains]
    return {
        'host': host,
        'peer': peer,
        'mode': mode,
        'out': [{'guest': name, 'uuid': domain['uuid'], 'from': host, 'to': peer}
                for name, domain in zip(names, domains)],
        'back': [{'guest': name, 'uuid': domain['uuid'], 'from': peer, 'to': host}
                 for name, domain in zip(names, domains)],
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
