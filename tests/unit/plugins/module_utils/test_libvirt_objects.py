# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kvmhost.setup.plugins.module_utils import libvirt_objects as objects
from ansible_collections.kvmhost.setup.plugins.module_utils.libvirt_input import LibvirtInputError

LAB = {'name': 'lab', 'bridge': 'virbr-lab',
       'ipv4': {'address': '192.168.150.1/24', 'dhcp_start': '192.168.150.100', 'dhcp_end': '192.168.150.199'}}
ISO = {'name': 'iso', 'forward': 'isolated', 'bridge': 'virbr-iso', 'ipv6': {'address': 'fd00:42::1/64'}}
POOL = {'name': 'img', 'path': '/srv/img/', 'owner': 'qemu', 'group': 107, 'mode': '0750'}

# what libvirt 11.3 gives back for LAB (net-dumpxml --inactive): defaults added
LAB_DEFINED = u"""<network>
  <name>lab</name>
  <uuid>3e9c8a4b-28a9-4bd1-9a65-6c8f4c1f0a11</uuid>
  <forward mode='nat'>
    <nat>
      <port start='1024' end='65535'/>
    </nat>
  </forward>
  <bridge name='virbr-lab' stp='on' delay='0'/>
  <mac address='52:54:00:12:34:56'/>
  <ip address='192.168.150.1' prefix='24'>
    <dhcp>
      <range start='192.168.150.100' end='192.168.150.199'/>
    </dhcp>
  </ip>
</network>
"""
POOL_DEFINED = u"""<pool type='dir'>
  <name>img</name>
  <uuid>0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0</uuid>
  <capacity unit='bytes'>0</capacity>
  <allocation unit='bytes'>0</allocation>
  <available unit='bytes'>0</available>
  <source>
  </source>
  <target>
    <path>/srv/img</path>
    <permissions>
      <mode>0750</mode>
      <owner>107</owner>
      <group>107</group>
    </permissions>
  </target>
</pool>
"""


def users(name):
    return {'qemu': 107, 'root': 0}.get(name)


def request(networks=(), pools=(), default_network='keep', default_pool='keep', redefine=False):
    return objects.validate_request(list(networks), list(pools), default_network, default_pool, redefine,
                                    users, users)


def probed(networks=None, pools=None):
    return {'networks': networks or {}, 'pools': pools or {}, 'complete': True}


def defined(xml, active=True, autostart=True, **extra):
    state = {'defined': True, 'active': active, 'autostart': autostart, 'persistent': True, 'xml': xml}
    state.update(extra)
    return state


# --- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize('networks, pools, message', [
    ([{'name': '-x', 'forward': 'isolated'}], [], "network name '-x' is not allowed"),
    ([{'name': 'a;b', 'forward': 'isolated'}], [], "network name 'a;b' is not allowed"),
    ([{'name': 'n', 'forward': 'bridge'}], [], "forward 'bridge' is not allowed: allowed are nat, route, isolated"),
    ([{'name': 'n', 'forward': 'isolated', 'bridge': 'a-bridge-name-too-long'}], [],
     "bridge 'a-bridge-name-too-long' is not allowed: allowed are 1-15"),
    ([{'name': 'n'}], [], 'forward nat needs ipv4'),
    ([{'name': 'n', 'forward': 'route'}], [], 'forward route needs ipv4 or ipv6'),
    ([{'name': 'n', 'ipv4': {'address': '192.168.1.1'}}], [], "ipv4.address '192.168.1.1' is not allowed"),
    ([{'name': 'n', 'ipv4': {'address': '192.168.1.0/24'}}], [], "is the subnet's network address"),
    ([{'name': 'n', 'ipv4': {'address': '192.168.1.255/24'}}], [], "is the subnet's broadcast address"),
    ([{'name': 'n', 'ipv4': {'address': 'fd00::1/64'}}], [], "ipv4.address 'fd00::1/64' is not allowed"),
    ([{'name': 'n', 'ipv4': {'address': '10.0.0.1/24', 'dhcp_start': '10.0.1.5', 'dhcp_end': '10.0.0.9'}}], [],
     "ipv4.dhcp_start '10.0.1.5' is not allowed: allowed is a host address inside 10.0.0.0/24"),
    ([{'name': 'n', 'ipv4': {'address': '10.0.0.1/24', 'dhcp_start': '10.0.0.50', 'dhcp_end': '10.0.0.9'}}], [],
     'DHCP range 10.0.0.50 - 10.0.0.9 is reversed'),
    ([{'name': 'n', 'ipv4': {'address': '10.0.0.1/24', 'dhcp_start': '10.0.0.1', 'dhcp_end': '10.0.0.9'}}], [],
     'holds the host address 10.0.0.1'),
    ([{'name': 'n', 'ipv4': {'address': '10.0.0.1/24', 'dhcp_start': '10.0.0.5'}}], [],
     'needs both dhcp_start and dhcp_end'),
    ([{'name': 'n', 'ipv4': {'address': '10.0.0.1/24', 'gateway': '10.0.0.254'}}], [],
     'ipv4 has unknown keys gateway'),
    ([{'name': 'n', 'forward': 'isolated', 'forward_dev': 'eth0'}], [], 'forward_dev is set but forward is isolated'),
    ([{'name': 'n', 'xml': '<network><name>n</name></network>', 'bridge': 'b'}], [],
     'xml and bridge are mutually exclusive'),
    ([{'name': 'n', 'xml': '<network><name>m</name></network>'}], [], "xml names the network 'm'"),
    ([{'name': 'n', 'xml': '<pool><name>n</name></pool>'}], [], 'xml has root element <pool>: allowed is <network>'),
    ([{'name': 'n', 'xml': '<network><name>n</name>'}], [], 'xml is not well-formed XML'),
    ([{'name': 'n', 'forward': 'isolated'}, {'name': 'n', 'forward': 'isolated'}], [], "network 'n' is listed twice"),
    ([{'name': 'n', 'forward': 'isolated', 'autostart': 'yes'}], [], 'autostart must be true or false'),
    ([{'name': 'n', 'forward': 'isolated', 'state': 'running'}], [], "state 'running' is not allowed"),
    ([], [{'name': 'p', 'path': 'relative/dir'}], "path 'relative/dir' is not allowed"),
    ([], [{'name': 'p', 'path': '/srv/../etc'}], "path '/srv/../etc' is not allowed"),
    ([], [{'name': 'p', 'path': '/srv/p', 'mode': 493}], 'mode 493 is not allowed: allowed is an octal mode as a quoted'),
    ([], [{'name': 'p', 'path': '/srv/p', 'mode': '0999'}], "mode '0999' is not allowed"),
    ([], [{'name': 'p', 'path': '/srv/p', 'owner': 'nosuchuser'}], "user 'nosuchuser' does not exist on the host"),
    ([], [{'name': 'p', 'path': '/srv/p', 'group': True}], 'group True is not allowed'),
    ([{'name': 'default', 'forward': 'isolated'}], [], "network 'default' is listed in networks and default_network"),
])
def test_refused_before_anything(networks, pools, message):
    with pytest.raises(LibvirtInputError) as error:
        objects.validate_request(networks, pools, 'ensure', 'keep', False, users, users)
    assert message in str(error.value)


@pytest.mark.parametrize('what, value', [('default_network', 'start'), ('default_pool', 'delete')])
def test_default_switch_choices(what, value):
    kwargs = {'default_network': 'keep', 'default_pool': 'keep'}
    kwargs[what] = value
    with pytest.raises(LibvirtInputError) as error:
        objects.validate_request([], [], **kwargs)
    assert "{0} {1!r} is not allowed: allowed are keep, ensure, remove".format(what, value) in str(error.value)


def test_listed_default_is_allowed_when_the_switch_keeps():
    assert request([{'name': 'default', 'forward': 'isolated'}])['networks'][0]['name'] == 'default'


def test_redefine_default_comes_from_the_module_option():
    req = request([LAB, dict(ISO, redefine=False)], redefine=True)
    assert [item['redefine'] for item in req['networks']] == [True, False]


# --- rendering -------------------------------------------------------------------------------

def test_render_nat_with_dhcp():
    assert request([LAB])['networks'][0]['xml'] == (
        "<network>\n  <name>lab</name>\n  <forward mode='nat'/>\n  <bridge name='virbr-lab'/>\n"
        "  <ip address='192.168.150.1' prefix='24'>\n    <dhcp>\n"
        "      <range start='192.168.150.100' end='192.168.150.199'/>\n    </dhcp>\n  </ip>\n</network>\n")


def test_render_isolated_ipv6_canonical():
    xml = request([dict(ISO, ipv6={'address': 'fd00:0042:0::0001/64'})])['networks'][0]['xml']
    assert '<forward' not in xml
    assert "<ip family='ipv6' address='fd00:42::1' prefix='64'/>" in xml


def test_render_route_with_dev():
    xml = request([{'name': 'r', 'forward': 'route', 'forward_dev': 'eth1',
                    'ipv4': {'address': '10.9.0.1/16'}}])['networks'][0]['xml']
    assert "<forward mode='route' dev='eth1'/>" in xml and "<ip address='10.9.0.1' prefix='16'/>" in xml


def test_render_pool_resolves_names_and_mode():
    item = request(pools=[POOL])['pools'][0]
    assert item['type'] == 'dir'
    assert item['xml'] == ("<pool type='dir'>\n  <name>img</name>\n  <target>\n    <path>/srv/img</path>\n"
                           "    <permissions>\n      <mode>0750</mode>\n      <owner>107</owner>\n"
                           "      <group>107</group>\n    </permissions>\n  </target>\n</pool>\n")


def test_render_escapes():
    assert objects.render_pool('p', {'path': "/srv/a&b'<c>"})  .count('/srv/a&amp;b&apos;&lt;c&gt;') == 1


# --- comparison ------------------------------------------------------------------------------

def test_libvirt_defaults_are_no_difference():
    assert objects.differences('network', request([LAB])['networks'][0]['xml'], LAB_DEFINED) == []
    assert objects.differences('pool', request(pools=[POOL])['pools'][0]['xml'], POOL_DEFINED) == []


@pytest.mark.parametrize('change, expected', [
    (dict(LAB, ipv4=dict(LAB['ipv4'], dhcp_end='192.168.150.150')),
     ['IP addresses: declared 192.168.150.1/24 dhcp 192.168.150.100-192.168.150.150, '
      'defined 192.168.150.1/24 dhcp 192.168.150.100-192.168.150.199']),
    (dict(LAB, ipv4={'address': '192.168.150.1/24'}),
     ['IP addresses: declared 192.168.150.1/24, defined 192.168.150.1/24 dhcp 192.168.150.100-192.168.150.199']),
    (dict(LAB, bridge='virbr-other'), ['bridge: declared virbr-other, defined virbr-lab']),
    (dict(LAB, forward='route'), ['forward mode: declared route, defined nat']),
])
def test_differences_name_the_field(change, expected):
    assert objects.differences('network', request([change])['networks'][0]['xml'], LAB_DEFINED) == expected


def test_bridge_left_to_libvirt_is_not_compared():
    lab = dict(LAB)
    del lab['bridge']
    assert objects.differences('network', request([lab])['networks'][0]['xml'], LAB_DEFINED) == []


def test_netmask_is_a_prefix():
    assert objects.differences('network', request([LAB])['networks'][0]['xml'],
                               LAB_DEFINED.replace("prefix='24'", "netmask='255.255.255.0'")) == []


def test_full_xml_extra_elements_must_be_defined():
    xml = LAB_DEFINED.replace('<mac', "<dns><host ip='192.168.150.5'><hostname>a</hostname></host></dns>\n  <mac")
    entry = request([{'name': 'lab', 'xml': xml}])['networks'][0]
    assert objects.differences('network', entry['xml'], xml) == []
    assert objects.differences('network', entry['xml'], LAB_DEFINED) == ['network/dns: declared, not defined']
    other = xml.replace('<hostname>a<', '<hostname>b<')
    assert objects.differences('network', entry['xml'], other) == [
        "network/dns/host/hostname: declared 'a', defined 'b'"]


@pytest.mark.parametrize('change, expected', [
    (dict(POOL, mode='0755'), ['mode: declared 0755, defined 0750']),
    (dict(POOL, path='/srv/other'), ['path: declared /srv/other, defined /srv/img']),
    (dict(POOL, owner='root'), ['owner: declared 0, defined 107']),
])
def test_pool_differences(change, expected):
    assert objects.differences('pool', request(pools=[change])['pools'][0]['xml'], POOL_DEFINED) == expected


# --- the probe -------------------------------------------------------------------------------

def test_probe_script_is_one_string_of_marked_commands():
    script = objects.probe_script(['lab'], ['img'])
    assert script.split(' ; ') == [
        'echo @@kvmhost uri', 'uri', 'echo @@kvmhost net-list', 'net-list --all --name', 'echo @@kvmhost pool-list', 'pool-list --all --name',
        'echo @@kvmhost net-info lab', 'net-info lab', 'echo @@kvmhost net-xml lab', 'net-dumpxml --inactive lab',
        'echo @@kvmhost pool-info img', 'pool-info img', 'echo @@kvmhost pool-xml img', 'pool-dumpxml --inactive img',
        'echo @@kvmhost end']


PROBE_OUT = u"""@@kvmhost uri
qemu:///system

@@kvmhost net-list
default
lab

@@kvmhost pool-list
img

@@kvmhost net-info lab
Name:           lab
UUID:           3e9c8a4b-28a9-4bd1-9a65-6c8f4c1f0a11
Active:         yes
Persistent:     yes
Autostart:      no
Bridge:         virbr-lab

@@kvmhost net-xml lab
{0}
@@kvmhost net-info gone
@@kvmhost net-xml gone
@@kvmhost pool-info img
Name:           img
UUID:           0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
State:          inactive
Persistent:     yes
Autostart:      yes

@@kvmhost pool-xml img
{1}
@@kvmhost end
""".format(LAB_DEFINED, POOL_DEFINED)


def test_parse_probe():
    result = objects.parse_probe(PROBE_OUT)
    assert result['complete'] is True
    assert sorted(result['networks']) == ['default', 'lab']
    lab = result['networks']['lab']
    assert (lab['active'], lab['autostart'], lab['persistent'], lab['bridge']) == (True, False, True, 'virbr-lab')
    assert objects.differences('network', request([LAB])['networks'][0]['xml'], lab['xml']) == []
    img = result['pools']['img']
    assert (img['active'], img['autostart'], img['pool_state']) == (False, True, 'inactive')
    assert 'gone' not in result['networks']
    assert result['networks']['default'] == {'defined': True}


def test_parse_probe_incomplete_without_end_marker_or_connection():
    assert objects.parse_probe(u'@@kvmhost uri\nqemu:///system\n@@kvmhost net-list\n')['complete'] is False
    assert objects.parse_probe(u'')['complete'] is False
    # echo needs no connection: markers alone do not make a probe
    assert objects.parse_probe(u'@@kvmhost uri\n@@kvmhost net-list\n@@kvmhost end\n')['complete'] is False


# --- the plan --------------------------------------------------------------------------------

DIR_OK = {'owner': 107, 'group': 107, 'mode': 0o750}


def texts(steps):
    return [objects.step_text(step) for step in steps]


def test_new_objects_are_defined_built_started_autostarted():
    steps, refusals = objects.plan(request([LAB], [POOL]), probed(), {'img': None})
    assert refusals == []
    assert texts(steps) == ['virsh net-define <network lab XML>', 'virsh net-start lab', 'virsh net-autostart lab',
                            'virsh pool-define <pool img XML>', 'virsh pool-build img', 'virsh pool-start img',
                            'virsh pool-autostart img']


def test_converged_host_gets_no_step():
    lab = request([LAB])['networks'][0]
    steps, refusals = objects.plan(request([LAB], [POOL]), probed({'lab': defined(LAB_DEFINED)},
                                                                  {'img': defined(POOL_DEFINED)}), {'img': DIR_OK})
    assert (steps, refusals) == ([], [])
    assert lab['autostart'] is True


def test_stopped_and_autostart_off():
    steps, dummy = objects.plan(request([dict(LAB, autostart=False)]),
                                probed({'lab': defined(LAB_DEFINED, active=False, autostart=True)}), {})
    assert texts(steps) == ['virsh net-start lab', 'virsh net-autostart lab --disable']


def test_new_network_without_autostart_gets_no_autostart_step():
    steps, dummy = objects.plan(request([dict(LAB, autostart=False)]), probed(), {})
    assert texts(steps) == ['virsh net-define <network lab XML>', 'virsh net-start lab']


def test_differing_definition_is_refused_without_redefine():
    change = dict(LAB, ipv4=dict(LAB['ipv4'], dhcp_end='192.168.150.150'))
    steps, refusals = objects.plan(request([change, ISO]), probed({'lab': defined(LAB_DEFINED)}), {})
    assert refusals == [{'name': 'lab', 'kind': 'network', 'differences': [
        'IP addresses: declared 192.168.150.1/24 dhcp 192.168.150.100-192.168.150.150, '
        'defined 192.168.150.1/24 dhcp 192.168.150.100-192.168.150.199']}]
    text = objects.refusal_text(refusals)
    assert "network 'lab' differs from its definition" in text and 'set redefine: true' in text


def test_redefine_restarts_a_running_network():
    change = dict(LAB, bridge='virbr-new')
    steps, refusals = objects.plan(request([change], redefine=True), probed({'lab': defined(LAB_DEFINED)}), {})
    assert refusals == []
    assert texts(steps) == ['virsh net-define <network lab XML>', 'virsh net-destroy lab', 'virsh net-start lab']


def test_absent_removes_and_goes_first():
    steps, dummy = objects.plan(request([ISO, {'name': 'lab', 'state': 'absent'}]),
                                probed({'lab': defined(LAB_DEFINED)}), {})
    assert texts(steps)[:2] == ['virsh net-destroy lab', 'virsh net-undefine lab']
    assert texts(steps)[2] == 'virsh net-define <network iso XML>'


def test_absent_and_missing_is_nothing():
    assert objects.plan(request([{'name': 'lab', 'state': 'absent'}]), probed(), {}) == ([], [])


def test_undeclared_objects_are_left_alone():
    steps, dummy = objects.plan(request(), probed({'lab': defined(LAB_DEFINED, active=False)}), {})
    assert steps == []


@pytest.mark.parametrize('disk, expected', [
    (None, ['virsh pool-destroy img', 'virsh pool-build img', 'virsh pool-start img']),
    ({'owner': 107, 'group': 107, 'mode': 0o755}, ['virsh pool-destroy img', 'virsh pool-build img',
                                                   'virsh pool-start img']),
    ({'owner': 107, 'group': 107, 'mode': 0o750}, []),
])
def test_pool_directory_built_when_not_as_declared(disk, expected):
    steps, dummy = objects.plan(request(pools=[POOL]), probed(pools={'img': defined(POOL_DEFINED)}), {'img': disk})
    assert texts(steps) == expected


def test_directory_perms_not_declared_are_not_compared():
    pool = {'name': 'img', 'path': '/srv/img'}
    steps, dummy = objects.plan(request(pools=[pool]), probed(pools={'img': defined(POOL_DEFINED)}),
                                {'img': {'owner': 0, 'group': 0, 'mode': 0o700}})
    assert steps == []


def test_xml_pool_of_other_type_is_never_built():
    xml = "<pool type='logical'><name>vg</name><target><path>/dev/vg</path></target></pool>"
    steps, dummy = objects.plan(request(pools=[{'name': 'vg', 'xml': xml}]), probed(), {})
    assert texts(steps) == ['virsh pool-define <pool vg XML>', 'virsh pool-start vg', 'virsh pool-autostart vg']


SHIPPED = u"<network><name>default</name><forward mode='nat'/><ip address='192.168.122.1' netmask='255.255.255.0'/></network>"


@pytest.mark.parametrize('state, expected', [
    (None, ['virsh net-define <network default XML>', 'virsh net-start default', 'virsh net-autostart default']),
    (defined(u'<network><name>default</name></network>', active=False, autostart=False),
     ['virsh net-start default', 'virsh net-autostart default']),
    # ensure never compares: the host's own default network keeps its definition
    (defined(u"<network><name>default</name><bridge name='br9'/></network>"), []),
])
def test_default_network_ensure(state, expected):
    steps, dummy = objects.plan(request(default_network='ensure'), probed({'default': state} if state else {}), {},
                                SHIPPED)
    assert texts(steps) == expected


def test_default_network_remove_and_keep():
    state = probed({'default': defined(SHIPPED)})
    assert texts(objects.plan(request(default_network='remove'), state, {})[0]) == [
        'virsh net-destroy default', 'virsh net-undefine default']
    assert objects.plan(request(), state, {}) == ([], [])


def test_default_pool_ensure_builds_the_images_directory():
    steps, dummy = objects.plan(request(default_pool='ensure'), probed(), {'default': None})
    assert texts(steps) == ['virsh pool-define <pool default XML>', 'virsh pool-build default',
                            'virsh pool-start default', 'virsh pool-autostart default']
    assert '<path>/var/lib/libvirt/images</path>' in steps[0][2]
    # defined and its directory there: only started
    pool = defined(steps[0][2], active=False, autostart=True)
    assert texts(objects.plan(request(default_pool='ensure'), probed(pools={'default': pool}),
                              {'default': {'owner': 0, 'group': 0, 'mode': 0o711}})[0]) == ['virsh pool-start default']


def test_default_pool_remove_keeps_the_directory():
    steps, dummy = objects.plan(request(default_pool='remove'),
                                probed(pools={'default': defined(POOL_DEFINED)}), {})
    assert texts(steps) == ['virsh pool-destroy default', 'virsh pool-undefine default']


# --- predict, autostart, drift, report ---------------------------------------------------------

def test_predict_and_autostart_drivers():
    steps, dummy = objects.plan(request([LAB, dict(ISO, autostart=False)]), probed(), {})
    after = objects.predict(probed(), steps)
    assert after['networks']['lab']['active'] and after['networks']['lab']['autostart']
    assert not after['networks']['iso']['autostart']
    assert objects.autostart_drivers(after) == ['network']
    assert objects.drift(request([LAB]), after, {}) == []
    gone = objects.predict(after, [['net-destroy', 'lab'], ['net-undefine', 'lab']])
    assert 'lab' not in gone['networks']


def test_autostart_drivers_of_pools():
    assert objects.autostart_drivers(probed(pools={'img': defined(POOL_DEFINED)})) == ['storage']
    assert objects.autostart_drivers(probed(pools={'img': defined(POOL_DEFINED, autostart=False)})) == []


def test_drift_names_what_is_still_needed():
    assert objects.drift(request([LAB]), probed({'lab': defined(LAB_DEFINED, active=False)}), {}) == [
        'virsh net-start lab']


def test_report_and_state_text():
    state = probed({'lab': defined(LAB_DEFINED, bridge='virbr-lab')})
    assert objects.report(state['networks'], ['lab', 'none']) == {
        'lab': {'defined': True, 'active': True, 'autostart': True, 'bridge': 'virbr-lab'},
        'none': {'defined': False, 'active': False, 'autostart': False}}
    assert objects.state_text(None) == 'not defined\n'
    assert objects.state_text(state['networks']['lab']).startswith('active: yes\nautostart: yes\n<network>')
