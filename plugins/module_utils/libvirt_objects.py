# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""libvirt networks and storage pools: validate what is declared, render its XML, compare
it with what libvirt has defined, and plan the virsh commands.

Pure: no I/O, no AnsibleModule. The module reads the host (one batched virsh call, the pool
directories) and runs the plan.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
from xml.etree import ElementTree

from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_catalog import autostart_driver
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError, is_string

FORWARDS = ('nat', 'route', 'isolated')
DEFAULT_CHOICES = ('keep', 'ensure', 'remove')
STATES = ('present', 'absent')
# the distribution's own objects (the same paths on Debian, Ubuntu, EL and Fedora)
DEFAULT_NAME = 'default'
DEFAULT_NETWORK_XML = '/usr/share/libvirt/networks/default.xml'
DEFAULT_POOL_PATH = '/var/lib/libvirt/images'

# strict names: they go into one virsh command string, and never start with '-'
_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}\Z')
# Linux IFNAMSIZ is 16 with the NUL: 15 characters
_BRIDGE_RE = re.compile(r'^[A-Za-z0-9_.-]{1,15}\Z')
_MODE_RE = re.compile(r'^0?[0-7]{3}\Z')
# section markers in the batched probe's output (virsh's own echo command prints them)
MARK = '@@kvmhost'


def _u(value):
    return u'{0}'.format(value)


def check_name(name, what):
    if not is_string(name) or not _NAME_RE.match(name):
        raise LibvirtInputError(
            '{0} name {1!r} is not allowed: allowed are 1-64 letters, digits and _ . + -, '
            'starting with a letter or digit'.format(what, name))
    return name


def check_bridge(bridge, where):
    if not is_string(bridge) or not _BRIDGE_RE.match(bridge) or bridge in ('.', '..'):
        raise LibvirtInputError(
            '{0}: bridge {1!r} is not allowed: allowed are 1-15 letters, digits and _ . - '
            '(the kernel limit for interface names)'.format(where, bridge))
    return bridge


def _ip_block(value, family, where):
    """{'address', 'prefix', 'dhcp': [(start, end)]} from {address: 'a/p', dhcp_start, dhcp_end}."""
    key = 'ipv4' if family == 4 else 'ipv6'
    if not isinstance(value, dict):
        raise LibvirtInputError('{0}: {1} must be a dict with address (such as {2}), dhcp_start and dhcp_end, '
                                'got {3!r}'.format(where, key, '192.168.100.1/24' if family == 4 else 'fd00:1::1/64',
                                                   value))
    unknown = sorted(set(value) - set(('address', 'dhcp_start', 'dhcp_end')))
    if unknown:
        raise LibvirtInputError('{0}: {1} has unknown keys {2}: allowed are address, dhcp_start, dhcp_end'.format(
            where, key, ', '.join(unknown)))
    address = value.get('address')
    try:
        iface = ipaddress.ip_interface(_u(address))
    except ValueError:
        iface = None
    if iface is None or iface.version != family or '/' not in _u(address):
        raise LibvirtInputError('{0}: {1}.address {2!r} is not allowed: allowed is the host\'s IPv{3} address '
                                'with its prefix, such as {4}'.format(
                                    where, key, address, family, '192.168.100.1/24' if family == 4 else 'fd00:1::1/64'))
    net = iface.network
    if iface.ip == net.network_address or (family == 4 and net.prefixlen < 31 and iface.ip == net.broadcast_address):
        raise LibvirtInputError('{0}: {1}.address {2!r} is the subnet\'s {3} address: allowed is a host address in '
                                '{4}'.format(where, key, address, 'network' if iface.ip == net.network_address
                                             else 'broadcast', net))
    block = {'address': _u(iface.ip), 'prefix': net.prefixlen, 'dhcp': []}
    start, end = value.get('dhcp_start'), value.get('dhcp_end')
    if (start is None) != (end is None):
        raise LibvirtInputError('{0}: {1} needs both dhcp_start and dhcp_end, or neither'.format(where, key))
    if start is not None:
        ends = []
        for label, item in (('dhcp_start', start), ('dhcp_end', end)):
            try:
                addr = ipaddress.ip_address(_u(item))
            except ValueError:
                addr = None
            if addr is None or addr.version != family or addr not in net or addr == net.network_address or (
                    family == 4 and net.prefixlen < 31 and addr == net.broadcast_address):
                raise LibvirtInputError('{0}: {1}.{2} {3!r} is not allowed: allowed is a host address inside '
                                        '{4}'.format(where, key, label, item, net))
            ends.append(addr)
        if ends[0] > ends[1]:
            raise LibvirtInputError('{0}: {1} DHCP range {2} - {3} is reversed: dhcp_start must not be above '
                                    'dhcp_end'.format(where, key, ends[0], ends[1]))
        if ends[0] <= iface.ip <= ends[1]:
            raise LibvirtInputError('{0}: {1} DHCP range {2} - {3} holds the host address {4}: allowed is a range '
                                    'without it'.format(where, key, ends[0], ends[1], iface.ip))
        block['dhcp'] = [(_u(ends[0]), _u(ends[1]))]
    return block


def _parse_xml(text, root, where):
    try:
        element = ElementTree.fromstring(text)
    except (ElementTree.ParseError, TypeError, ValueError) as exc:
        raise LibvirtInputError('{0}: xml is not well-formed XML: {1}'.format(where, exc))
    if element.tag != root:
        raise LibvirtInputError('{0}: xml has root element <{1}>: allowed is <{2}>'.format(where, element.tag, root))
    return element


def _entry_common(entry, kind, index, fields):
    if not isinstance(entry, dict):
        raise LibvirtInputError('{0}s[{1}] must be a dict, got {2!r}'.format(kind, index, entry))
    allowed = ('name', 'state', 'autostart', 'redefine', 'xml') + fields
    unknown = sorted(set(key for key, value in entry.items() if value is not None) - set(allowed))
    if unknown:
        raise LibvirtInputError('{0}s[{1}] has unknown keys {2}: allowed are {3}'.format(
            kind, index, ', '.join(unknown), ', '.join(allowed)))
    name = check_name(entry.get('name'), kind)
    where = '{0} {1!r}'.format(kind, name)
    state = entry.get('state') or 'present'
    if state not in STATES:
        raise LibvirtInputError('{0}: state {1!r} is not allowed: allowed are {2}'.format(where, state, ', '.join(STATES)))
    for key in ('autostart', 'redefine'):
        if entry.get(key) is not None and not isinstance(entry.get(key), bool):
            raise LibvirtInputError('{0}: {1} must be true or false, got {2!r}'.format(where, key, entry.get(key)))
    given = [key for key in fields if entry.get(key) is not None]
    if entry.get('xml') is not None and given:
        raise LibvirtInputError('{0}: xml and {1} are mutually exclusive: give either a full definition or the '
                                'fields'.format(where, ', '.join(given)))
    out = {'name': name, 'state': state, 'autostart': entry.get('autostart') is not False,
           'redefine': entry.get('redefine'), 'where': where}
    return out


def _xml_entry(out, text, root):
    element = _parse_xml(text, root, out['where'])
    named = (element.findtext('name') or '').strip()
    if named != out['name']:
        raise LibvirtInputError('{0}: xml names the {1} {2!r}: allowed is the entry\'s name'.format(
            out['where'], root, named))
    out['xml'] = text.strip() + '\n'
    out['fields'] = False
    return out


def validate_network(entry, index=0):
    """A normalised network entry with its XML, or LibvirtInputError naming what is wrong."""
    out = _entry_common(entry, 'network', index, ('forward', 'forward_dev', 'bridge', 'ipv4', 'ipv6'))
    if out['state'] == 'absent':
        return out
    if entry.get('xml') is not None:
        return _xml_entry(out, entry['xml'], 'network')
    where = out['where']
    forward = entry.get('forward') or 'nat'
    if forward not in FORWARDS:
        raise LibvirtInputError('{0}: forward {1!r} is not allowed: allowed are {2}'.format(
            where, forward, ', '.join(FORWARDS)))
    fields = {'forward': forward, 'forward_dev': None, 'bridge': None, 'ips': []}
    if entry.get('forward_dev') is not None:
        if forward == 'isolated':
            raise LibvirtInputError('{0}: forward_dev is set but forward is isolated: allowed only with nat or '
                                    'route'.format(where))
        fields['forward_dev'] = check_bridge(entry['forward_dev'], where + ' forward_dev')
    if entry.get('bridge') is not None:
        fields['bridge'] = check_bridge(entry['bridge'], where)
    for family, key in ((4, 'ipv4'), (6, 'ipv6')):
        if entry.get(key) is not None:
            block = _ip_block(entry[key], family, where)
            block['family'] = key
            fields['ips'].append(block)
    if forward == 'nat' and not entry.get('ipv4'):
        raise LibvirtInputError('{0}: forward nat needs ipv4 (libvirt NATs IPv4 only): set ipv4.address, or '
                                'forward route or isolated'.format(where))
    if forward == 'route' and not fields['ips']:
        raise LibvirtInputError('{0}: forward route needs ipv4 or ipv6: the routed subnet'.format(where))
    out['xml'] = render_network(out['name'], fields)
    out['fields'] = True
    return out


def validate_mode(mode, where):
    if isinstance(mode, bool) or not is_string(mode) or not _MODE_RE.match(mode):
        raise LibvirtInputError('{0}: mode {1!r} is not allowed: allowed is an octal mode as a quoted string, such '
                                'as "0755" (an unquoted 0755 is read by YAML as the number 493)'.format(where, mode))
    return int(mode, 8)


def check_id(value, what, where, lookup):
    """uid/gid from a number or a name; ``lookup(name)`` returns the id or None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 32 - 1:
        return value
    if is_string(value) and value.isdigit():
        return int(value)
    if is_string(value) and value and not value.startswith('-'):
        found = lookup(value)
        if found is None:
            raise LibvirtInputError('{0}: {1} {2!r} does not exist on the host: allowed is an existing {1} name or a '
                                    'numeric id'.format(where, what, value))
        return found
    raise LibvirtInputError('{0}: {1} {2!r} is not allowed: allowed is a {1} name or a numeric id'.format(
        where, what, value))


def validate_pool(entry, index=0, lookup_user=lambda name: None, lookup_group=lambda name: None):
    """A normalised pool entry with its XML; owner/group names are resolved with the lookups."""
    out = _entry_common(entry, 'pool', index, ('path', 'owner', 'group', 'mode'))
    if out['state'] == 'absent':
        return out
    if entry.get('xml') is not None:
        out = _xml_entry(out, entry['xml'], 'pool')
        out['type'] = _parse_xml(out['xml'], 'pool', out['where']).get('type') or ''
        return out
    where = out['where']
    path = entry.get('path')
    if not is_string(path) or not path.startswith('/') or '\n' in path or '/../' in path + '/' or len(path) < 2:
        raise LibvirtInputError('{0}: path {1!r} is not allowed: allowed is an absolute directory path without '
                                '..'.format(where, path))
    fields = {'path': path.rstrip('/') or '/', 'owner': None, 'group': None, 'mode': None}
    if entry.get('owner') is not None:
        fields['owner'] = check_id(entry['owner'], 'user', where, lookup_user)
    if entry.get('group') is not None:
        fields['group'] = check_id(entry['group'], 'group', where, lookup_group)
    if entry.get('mode') is not None:
        fields['mode'] = validate_mode(entry['mode'], where)
    out.update(xml=render_pool(out['name'], fields), fields=True, type='dir')
    return out


def validate_request(networks, pools, default_network='keep', default_pool='keep', redefine=False,
                     lookup_user=lambda name: None, lookup_group=lambda name: None):
    """Every declared object checked before anything is probed or changed."""
    for what, value in (('default_network', default_network), ('default_pool', default_pool)):
        if value not in DEFAULT_CHOICES:
            raise LibvirtInputError('{0} {1!r} is not allowed: allowed are {2}'.format(
                what, value, ', '.join(DEFAULT_CHOICES)))
    request = {'networks': [], 'pools': [], 'default_network': default_network, 'default_pool': default_pool}
    for kind, entries, check in (('network', networks or [], validate_network), ('pool', pools or [], None)):
        if not isinstance(entries, list):
            raise LibvirtInputError('{0}s must be a list of dicts, got {1!r}'.format(kind, entries))
        seen = set()
        for index, entry in enumerate(entries):
            if check is None:
                item = validate_pool(entry, index, lookup_user, lookup_group)
            else:
                item = check(entry, index)
            if item['name'] in seen:
                raise LibvirtInputError('{0} {1!r} is listed twice: allowed is one entry per name'.format(
                    kind, item['name']))
            seen.add(item['name'])
            if item['redefine'] is None:
                item['redefine'] = bool(redefine)
            if item['name'] == DEFAULT_NAME and request['default_' + kind] != 'keep':
                raise LibvirtInputError(
                    "{0} 'default' is listed in {0}s and default_{0} is {1!r}: allowed is one of the two; set "
                    'default_{0}: keep to manage it as a listed {0}'.format(kind, request['default_' + kind]))
            request[kind + 's'].append(item)
    return request


def _pool_default_entry():
    return {'name': DEFAULT_NAME, 'state': 'present', 'autostart': True, 'redefine': False, 'fields': True,
            'type': 'dir', 'where': "pool 'default'", 'default': True,
            'xml': render_pool(DEFAULT_NAME, {'path': DEFAULT_POOL_PATH, 'owner': None, 'group': None, 'mode': None})}


# --- XML -----------------------------------------------------------------------------------

def _esc(value):
    return (_u(value).replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace("'", '&apos;').replace('"', '&quot;'))


def render_network(name, fields):
    """The network XML for the fields (forward nat|route|isolated, bridge, IPv4/IPv6 with DHCP)."""
    lines = ['<network>', '  <name>{0}</name>'.format(_esc(name))]
    if fields['forward'] != 'isolated':
        dev = " dev='{0}'".format(_esc(fields['forward_dev'])) if fields.get('forward_dev') else ''
        lines.append("  <forward mode='{0}'{1}/>".format(fields['forward'], dev))
    if fields.get('bridge'):
        lines.append("  <bridge name='{0}'/>".format(_esc(fields['bridge'])))
    for block in fields.get('ips', []):
        family = " family='ipv6'" if block['family'] == 'ipv6' else ''
        head = "  <ip{0} address='{1}' prefix='{2}'".format(family, block['address'], block['prefix'])
        if not block['dhcp']:
            lines.append(head + '/>')
            continue
        lines.extend([head + '>', '    <dhcp>'])
        lines.extend("      <range start='{0}' end='{1}'/>".format(start, end) for start, end in block['dhcp'])
        lines.extend(['    </dhcp>', '  </ip>'])
    lines.append('</network>')
    return '\n'.join(lines) + '\n'


def render_pool(name, fields):
    """A directory pool's XML: target path and, where given, owner, group and mode."""
    lines = ["<pool type='dir'>", '  <name>{0}</name>'.format(_esc(name)), '  <target>',
             '    <path>{0}</path>'.format(_esc(fields['path']))]
    perms = [('mode', '{0:04o}'.format(fields['mode']) if fields.get('mode') is not None else None),
             ('owner', fields.get('owner')), ('group', fields.get('group'))]
    if any(value is not None for dummy, value in perms):
        lines.append('    <permissions>')
        lines.extend('      <{0}>{1}</{0}>'.format(tag, value) for tag, value in perms if value is not None)
        lines.append('    </permissions>')
    lines.extend(['  </target>', '</pool>'])
    return '\n'.join(lines) + '\n'


def _prefix(ip):
    if ip.get('prefix'):
        return int(ip.get('prefix'))
    if ip.get('netmask'):
        return ipaddress.ip_network(u'0.0.0.0/' + ip.get('netmask')).prefixlen
    return 64 if ip.get('family') == 'ipv6' else 24


def _canonical(address):
    try:
        return _u(ipaddress.ip_address(_u(address)))
    except ValueError:
        return address


def project_network(text):
    """What the collection compares of a network, from its XML: forward mode and device,
    bridge name, each IP block (family, address, prefix, DHCP ranges)."""
    root = ElementTree.fromstring(text)
    forward = root.find('forward')
    ips = []
    for ip in root.findall('ip'):
        family = 'ipv6' if ip.get('family') == 'ipv6' or ':' in (ip.get('address') or '') else 'ipv4'
        ranges = sorted((_canonical(item.get('start')), _canonical(item.get('end')))
                        for item in ip.findall('dhcp/range'))
        ips.append((family, _canonical(ip.get('address')), _prefix(ip), tuple(ranges)))
    bridge = root.find('bridge')
    return {
        'forward': forward.get('mode', 'nat') if forward is not None else 'isolated',
        'forward_dev': forward.get('dev') if forward is not None else None,
        'bridge': bridge.get('name') if bridge is not None else None,
        'ips': sorted(ips),
    }


def project_pool(text):
    root = ElementTree.fromstring(text)
    mode = root.findtext('target/permissions/mode')
    owner = root.findtext('target/permissions/owner')
    group = root.findtext('target/permissions/group')
    return {
        'type': root.get('type'),
        'path': (root.findtext('target/path') or '').strip().rstrip('/') or None,
        'owner': int(owner) if owner and owner.strip().lstrip('-').isdigit() and int(owner) >= 0 else None,
        'group': int(group) if group and group.strip().lstrip('-').isdigit() and int(group) >= 0 else None,
        'mode': int(mode.strip(), 8) if mode and mode.strip() else None,
    }


def _subset(declared, defined, path, out):
    """Everything written in ``declared`` must be in ``defined``: attributes equal, text equal,
    each child matched by some child of the same tag (libvirt only adds defaults)."""
    for key, value in declared.attrib.items():
        if defined.get(key) != value:
            out.append('{0}/@{1}: declared {2!r}, defined {3!r}'.format(path, key, value, defined.get(key)))
    text = (declared.text or '').strip()
    if text and text != (defined.text or '').strip():
        out.append('{0}: declared {1!r}, defined {2!r}'.format(path, text, (defined.text or '').strip()))
    for child in declared:
        where = '{0}/{1}'.format(path, child.tag)
        candidates = defined.findall(child.tag)
        best = None
        for candidate in candidates:
            found = []
            _subset(child, candidate, where, found)
            if not found:
                best = None
                break
            if best is None or len(found) < len(best):
                best = found
        else:
            if not candidates:
                out.append('{0}: declared, not defined'.format(where))
            elif best:
                out.extend(best)


_LABELS = {'forward': 'forward mode', 'forward_dev': 'forward dev', 'bridge': 'bridge', 'ips': 'IP addresses',
           'type': 'pool type', 'path': 'path', 'owner': 'owner', 'group': 'group', 'mode': 'mode'}


def _show(key, value):
    if key == 'mode' and value is not None:
        return '{0:04o}'.format(value)
    if key == 'ips':
        return ', '.join('{0}/{1}{2}'.format(address, prefix, ' dhcp ' + ' '.join(
            '{0}-{1}'.format(start, end) for start, end in ranges) if ranges else '')
            for dummy, address, prefix, ranges in value) or 'none'
    return 'none' if value is None else _u(value)


_MODELLED = frozenset([
    'network/forward/@mode', 'network/forward/@dev', 'network/bridge/@name', 'network/ip/@address',
    'network/ip/@prefix', 'network/ip/@netmask', 'network/ip/@family', 'network/ip/dhcp/range/@start',
    'network/ip/dhcp/range/@end', 'pool/@type', 'pool/target/path', 'pool/target/permissions/mode',
    'pool/target/permissions/owner', 'pool/target/permissions/group',
])


def differences(kind, declared, defined):
    """What differs between a declared XML and the defined one, one line each ([] when equal).

    The modelled fields are compared both ways (a DHCP range removed from the declaration is a
    difference); anything else written in the declaration must be in the definition. A
    field the declaration leaves to libvirt (a bridge name, a pool's owner) is not compared.
    """
    project = project_network if kind == 'network' else project_pool
    want, have = project(declared), project(defined)
    out = []
    for key in sorted(want):
        if want[key] is None and key in ('bridge', 'owner', 'group', 'mode', 'forward_dev'):
            continue
        if want[key] != have[key]:
            out.append('{0}: declared {1}, defined {2}'.format(_LABELS[key], _show(key, want[key]), _show(key, have[key])))
    extra = []
    _subset(ElementTree.fromstring(declared), ElementTree.fromstring(defined), kind, extra)
    # the modelled fields are compared above, semantically (a netmask is a prefix)
    out.extend(line for line in extra if line.split(':', 1)[0] not in _MODELLED)
    return out


# --- the batched probe ---------------------------------------------------------------------

def probe_script(networks, pools):
    """One virsh command string that lists every network and pool and, for each name given,
    reads its state and its persistent definition; sections are marked with echo."""
    # virsh runs every command of the string, also after one failed (a name not defined),
    # and echo needs no connection: the uri section proves that the connection answered
    parts = ['echo {0} uri'.format(MARK), 'uri', 'echo {0} net-list'.format(MARK), 'net-list --all --name',
             'echo {0} pool-list'.format(MARK), 'pool-list --all --name']
    for name in networks:
        parts += ['echo {0} net-info {1}'.format(MARK, name), 'net-info {0}'.format(name),
                  'echo {0} net-xml {1}'.format(MARK, name), 'net-dumpxml --inactive {0}'.format(name)]
    for name in pools:
        parts += ['echo {0} pool-info {1}'.format(MARK, name), 'pool-info {0}'.format(name),
                  'echo {0} pool-xml {1}'.format(MARK, name), 'pool-dumpxml --inactive {0}'.format(name)]
    parts.append('echo {0} end'.format(MARK))
    return ' ; '.join(parts)


def _info(lines):
    info = {}
    for line in lines:
        if ':' in line:
            key, value = line.split(':', 1)
            info[key.strip().lower()] = value.strip()
    return info


def parse_probe(stdout):
    """{'networks': {name: state}, 'pools': {name: state}, 'complete': bool} from the probe's output.
    A state: {'defined', 'active', 'autostart', 'persistent', 'xml', 'bridge'} (pools: no bridge)."""
    sections = {}
    key = None
    for line in stdout.splitlines():
        if line.startswith(MARK + ' '):
            key = tuple(line[len(MARK) + 1:].split(' ', 1))
            sections[key] = []
        elif key is not None:
            sections[key].append(line)
    connected = any(line.strip() for line in sections.get(('uri',), []))
    result = {'networks': {}, 'pools': {}, 'complete': ('end',) in sections and connected}
    for kind, listing in (('networks', 'net-list'), ('pools', 'pool-list')):
        for name in (line.strip() for line in sections.get((listing,), [])):
            if name:
                result[kind][name] = {'defined': True}
    for key in sections:
        if len(key) != 2:
            continue
        section, name = key
        kind = 'networks' if section.startswith('net-') else 'pools'
        if name not in result[kind]:
            continue
        state = result[kind][name]
        lines = sections[key]
        if section.endswith('-info'):
            info = _info(lines)
            if kind == 'networks':
                state['active'] = info.get('active') == 'yes'
                state['bridge'] = info.get('bridge') or None
            else:
                state['active'] = info.get('state') == 'running'
                state['pool_state'] = info.get('state')
            state['autostart'] = info.get('autostart') == 'yes'
            state['persistent'] = info.get('persistent') != 'no'
        else:
            text = '\n'.join(lines).strip()
            state['xml'] = text + '\n' if text else None
    return result


NOT_DEFINED = {'defined': False, 'active': False, 'autostart': False, 'persistent': False, 'xml': None}


def state_of(probed, kind, name):
    state = dict(NOT_DEFINED)
    state.update(probed[kind + 's'].get(name) or {})
    return state


# --- the plan --------------------------------------------------------------------------------

def _pool_needs_build(entry, disk):
    """A directory pool is built when its directory is missing or not as declared on disk."""
    if entry.get('type') != 'dir':
        return False
    if disk is None:
        return True
    fields = project_pool(entry['xml'])
    return any(fields[key] is not None and fields[key] != disk.get(key) for key in ('owner', 'group', 'mode'))


def plan_object(kind, entry, state, disk=None):
    """(steps, refusal) for one declared object. A step: [virsh command, name] or, for a
    definition, ['net-define'|'pool-define', name, xml]. ``disk``: the pool directory's
    {'owner', 'group', 'mode'}, None when it does not exist."""
    pre = 'net' if kind == 'network' else 'pool'
    name = entry['name']
    steps = []
    if entry['state'] == 'absent':
        if state['active']:
            steps.append([pre + '-destroy', name])
        if state['defined'] and state['persistent']:
            steps.append([pre + '-undefine', name])
        return steps, None
    build = kind == 'pool' and _pool_needs_build(entry, disk)
    active = state['active']
    if not state['defined'] or not state['persistent']:
        steps.append([pre + '-define', name, entry['xml']])
    elif not entry.get('default') and state.get('xml'):
        diff = differences(kind, entry['xml'], state['xml'])
        if diff:
            if not entry['redefine']:
                return [], {'name': name, 'kind': kind, 'differences': diff}
            steps.append([pre + '-define', name, entry['xml']])
            if active:
                # a running network or pool keeps its old definition until it restarts
                steps.append([pre + '-destroy', name])
                active = False
            if kind == 'pool':
                build = _pool_needs_build(entry, disk)
    if build:
        if active:
            # libvirt builds only an inactive pool; a directory pool's destroy removes nothing
            steps.append([pre + '-destroy', name])
            active = False
        steps.append([pre + '-build', name])
    if not active:
        steps.append([pre + '-start', name])
    if entry['autostart'] != state['autostart'] or (not state['defined'] and entry['autostart']):
        steps.append([pre + '-autostart', name] + ([] if entry['autostart'] else ['--disable']))
    return steps, None


def default_network_steps(choice, state, shipped_xml):
    """Steps for the distribution's 'default' network: keep, ensure (defined from the shipped
    XML when missing, started, autostarted) or remove (stopped and undefined)."""
    if choice == 'keep':
        return []
    if choice == 'remove':
        return plan_object('network', {'name': DEFAULT_NAME, 'state': 'absent'}, state)[0]
    entry = {'name': DEFAULT_NAME, 'state': 'present', 'autostart': True, 'redefine': False,
             'xml': shipped_xml, 'default': True}
    return plan_object('network', entry, state)[0]


def default_pool_steps(choice, state, disk):
    """Steps for the 'default' pool at the distribution's images directory: keep, ensure
    (defined there when missing, its directory built when missing, started, autostarted; a
    defined 'default' keeps its own definition) or remove (stopped and undefined; the
    directory and its images stay)."""
    if choice == 'keep':
        return []
    if choice == 'remove':
        return plan_object('pool', {'name': DEFAULT_NAME, 'state': 'absent'}, state)[0]
    entry = _pool_default_entry()
    if state['defined'] and state.get('xml'):
        entry['type'] = project_pool(state['xml'])['type']
    return plan_object('pool', entry, state, disk)[0]


def plan(request, probed, disks, shipped_xml=None):
    """(steps, refusals): every step for every declared object, removals first; refusals
    name each differing object and its differences (then nothing may run).
    ``disks``: {pool name: its directory's {'owner', 'group', 'mode'}, or None when missing}."""
    refusals, removals, changes = [], [], []
    for kind in ('network', 'pool'):
        for entry in request[kind + 's']:
            state = state_of(probed, kind, entry['name'])
            item, refusal = plan_object(kind, entry, state, disks.get(entry['name']) if kind == 'pool' else None)
            if refusal:
                refusals.append(refusal)
            (removals if entry['state'] == 'absent' else changes).extend(item)
    choice = request['default_network']
    (removals if choice == 'remove' else changes).extend(
        default_network_steps(choice, state_of(probed, 'network', DEFAULT_NAME), shipped_xml))
    choice = request['default_pool']
    (removals if choice == 'remove' else changes).extend(
        default_pool_steps(choice, state_of(probed, 'pool', DEFAULT_NAME), disks.get(DEFAULT_NAME)))
    return removals + changes, refusals


def step_text(step):
    """'virsh net-define <network NAME XML>' for a definition, 'virsh net-start NAME' otherwise."""
    if step[0].endswith('-define'):
        return 'virsh {0} <{1} {2} XML>'.format(step[0], 'network' if step[0].startswith('net') else 'pool', step[1])
    return 'virsh ' + ' '.join(step)


def predict(probed, steps):
    """The probe as the steps would leave it (check mode, and what to expect after a run)."""
    out = {'networks': dict((n, dict(s)) for n, s in probed['networks'].items()),
           'pools': dict((n, dict(s)) for n, s in probed['pools'].items()), 'complete': True}
    for step in steps:
        verb, name = step[0], step[1]
        kind = 'networks' if verb.startswith('net-') else 'pools'
        state = out[kind].setdefault(name, dict(NOT_DEFINED))
        action = verb.split('-', 1)[1]
        if action == 'define':
            state.update(defined=True, persistent=True, xml=step[2])
        elif action == 'start':
            state['active'] = True
        elif action == 'destroy':
            state['active'] = False
        elif action == 'undefine':
            out[kind].pop(name)
        elif action == 'autostart':
            state['autostart'] = '--disable' not in step
    return out


def autostart_drivers(probed):
    """The libvirt drivers that have autostart objects: whose daemon must start at boot."""
    drivers = []
    for kind, objects in (('network', probed['networks']), ('pool', probed['pools'])):
        if any(state.get('autostart') for state in objects.values()):
            drivers.append(autostart_driver(kind))
    return drivers


def drift(request, probed, disks, shipped_xml=None):
    """What is not as declared after a run: the plan that would still be needed, as text."""
    steps, refusals = plan(request, probed, disks, shipped_xml)
    return [step_text(step) for step in steps] + [
        '{0} {1!r} differs: {2}'.format(item['kind'], item['name'], '; '.join(item['differences']))
        for item in refusals]


def refusal_text(refusals):
    return '; '.join('{0} {1!r} differs from its definition ({2}); set redefine: true to redefine it (a network\'s '
                     'guests lose connectivity while it restarts)'.format(
                         item['kind'], item['name'], '; '.join(item['differences'])) for item in refusals)


def state_text(state):
    """A few lines for a diff: defined/active/autostart, then the definition."""
    if not state or not state.get('defined'):
        return 'not defined\n'
    return 'active: {0}\nautostart: {1}\n{2}'.format(
        'yes' if state.get('active') else 'no', 'yes' if state.get('autostart') else 'no', state.get('xml') or '')


def report(probed, names):
    """{name: {defined, active, autostart, bridge?}} for the names the run manages."""
    out = {}
    for name in names:
        state = probed.get(name) or NOT_DEFINED
        item = dict((key, state.get(key, False)) for key in ('defined', 'active', 'autostart'))
        if 'bridge' in state:
            item['bridge'] = state.get('bridge')
        out[name] = item
    return out
