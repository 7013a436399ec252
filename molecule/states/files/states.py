# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real-systemd half of the host-state matrix, run inside the test container.

    states.py keep          remember the pristine unit files (once, in prepare)
    states.py before N      reset to them, build state N of STATES with real systemctl,
                            take the snapshot, arm the fault
    states.py after N [again] [--next M] < RESULT
                            disarm the fault, take the snapshot again, check the result
                            (JSON on stdin) against the matrix's two invariants; prints
                            the problems as a JSON list; then does "before M"

The snapshot is what clients see: every libvirt unit's show (MainPID and InvocationID
included), the socket files' owner/group/mode, the listeners (ss), every file under
/etc/systemd/system that is libvirt's with its sha256.

The invariants are the ones tests/unit/plugins/modules/test_host_state_matrix.py checks on
the fake systemd, read from the client's side here.
"""

import glob
import grp
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tarfile
import time

KEEP = '/var/lib/kvmhost-states/pristine.tar'
ETC = '/etc/systemd/system'
LIB = '/usr/lib/systemd/system'
SHOW = ('Id', 'LoadState', 'UnitFileState', 'ActiveState', 'SubState', 'MainPID', 'InvocationID')
STATE_KEYS = (('LoadState', 'load_state'), ('UnitFileState', 'unit_file_state'),
              ('ActiveState', 'active_state'), ('SubState', 'sub_state'))
RUNNING = ('active', 'activating', 'reloading')
BUS = ('/run/systemd/private', '/run/dbus/system_bus_socket')
FAULT_DROPIN = 'zz-kvmhost-test-fault.conf'
CONFIG_FILES = ('/etc/default/libvirtd', '/etc/libvirt/libvirtd.conf')
TRADITIONAL_CONF = ('\n# kvmhost-states: traditional mode\nlisten_tls = 0\nlisten_tcp = 1\n'
                    'listen_addr = "127.0.0.1"\nauth_tcp = "none"\n')


def sh(*argv, **kwargs):
    return subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=kwargs.get('check', False)).stdout


def libvirt_unit_files():
    names = [os.path.basename(path) for path in glob.glob(LIB + '/libvirt*') + glob.glob(LIB + '/virt*')]
    return sorted(name for name in names if name.endswith(('.service', '.socket')))


def is_libvirt(name):
    return name.startswith(('libvirt', 'virt')) and not name.startswith('libvirt-guests')


def keep():
    os.makedirs(os.path.dirname(KEEP), exist_ok=True)
    with tarfile.open(KEEP, 'w') as tar:
        for name in libvirt_unit_files():
            tar.add(os.path.join(LIB, name))
        for path in CONFIG_FILES:
            if os.path.exists(path):
                tar.add(path)
    with open(KEEP + '.units', 'w') as handle:
        handle.write('\n'.join(libvirt_unit_files()) + '\n')
    with open(KEEP + '.absent', 'w') as handle:
        handle.write('\n'.join(path for path in CONFIG_FILES if not os.path.exists(path)) + '\n')


def all_units():
    with open(KEEP + '.units') as handle:
        return handle.read().split()


# ---- setting a state up ------------------------------------------------------------------

def reset():
    """Back to the pristine host: every libvirt unit stopped, no link or drop-in of ours."""
    fault('off')
    units = all_units()
    running = [name for name in units if name.endswith('.service')]
    sh('systemctl', 'stop', '--', *running)
    sh('systemctl', 'stop', '--', *[name for name in units if name.endswith('.socket')])
    for name in os.listdir(ETC):
        path = os.path.join(ETC, name)
        if is_libvirt(name):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
    for wants in glob.glob(ETC + '/*.wants') + glob.glob(ETC + '/*.requires'):
        for name in os.listdir(wants):
            if is_libvirt(name):
                os.remove(os.path.join(wants, name))
    with tarfile.open(KEEP) as tar:
        tar.extractall('/')
    with open(KEEP + '.absent') as handle:
        for path in handle.read().split():
            if os.path.exists(path):
                os.remove(path)  # a traditional-mode state wrote it
    for path in glob.glob('/run/libvirt/qemu/*.xml'):
        os.remove(path)
    # the state's own setup reloads; reset-failed also clears the start rate limits
    sh('systemctl', 'reset-failed')


def setup(state):
    """Build the state as a host gets there: what runs was started before the masks came."""
    reset()
    units = state['units']
    if state['dims']['modular'] == 'absent':
        for name in all_units():
            if name.startswith('virt') and not name.startswith(('virtlogd', 'virtlockd')):
                os.remove(os.path.join(LIB, name))  # no modular daemon installed at all
    # one call per verb and few reloads: each reload costs a fraction of a second
    enabled = [name for name, st in sorted(units.items()) if st['file'] == 'enabled']
    if enabled:
        sh('systemctl', 'enable', '--no-reload', '--', *enabled)
    for name, st in sorted(units.items()):
        if st['file'] == 'static':
            # a unit without [Install]: a full copy in /etc with the section cut off
            with open(os.path.join(LIB, name)) as handle:
                text = handle.read().split('[Install]')[0]
            with open(os.path.join(ETC, name), 'w') as handle:
                handle.write(text)
    if state['traditional']:
        with open('/etc/default/libvirtd', 'a') as handle:
            handle.write(state['files']['libvirtd_args'])
        with open('/etc/libvirt/libvirtd.conf', 'a') as handle:
            handle.write(TRADITIONAL_CONF)
    interrupted = state['dims']['dropins'] == 'interrupted'
    if not interrupted:
        write_dropins(state)
    sh('systemctl', 'daemon-reload')
    for suffix in ('.socket', '.service'):
        running = [name for name, st in sorted(units.items()) if st['active'] == 'active' and name.endswith(suffix)]
        if running:
            sh('systemctl', 'start', '--', *running)
    masked = [name for name, st in sorted(units.items()) if st['file'] == 'masked']
    if masked:
        sh('systemctl', 'mask', '--no-reload', '--', *masked)
    for name in state['gone']:
        os.remove(os.path.join(LIB, name))  # the package went, its masks stayed
    if interrupted:
        write_dropins(state)  # written and loaded below, the sockets not restarted
    if 'guest' in state['files']:
        os.makedirs('/run/libvirt/qemu', exist_ok=True)
        with open('/run/libvirt/qemu/web1.xml', 'w') as handle:
            handle.write(state['files']['guest'])
    arm(state)
    sh('systemctl', 'daemon-reload')


def write_dropins(state):
    for name, text in state['dropins'].items():
        os.makedirs(os.path.join(ETC, name + '.d'), exist_ok=True)
        with open(os.path.join(ETC, name + '.d', 'kvmhost-setup.conf'), 'w') as handle:
            handle.write(text)


def fault_sockets():
    """Where a socket that cannot bind hurts: the last main socket of each mode to start."""
    return ['virtnetworkd-admin.socket', 'libvirtd-admin.socket']


def arm(state):
    """The faults that live in the unit files (the bus one is armed right before the run);
    the caller reloads."""
    if state['fault'] == 'socket-cannot-bind':
        for name in fault_sockets():
            if os.path.exists(os.path.join(LIB, name)):
                os.makedirs(os.path.join(ETC, name + '.d'), exist_ok=True)
                with open(os.path.join(ETC, name + '.d', FAULT_DROPIN), 'w') as handle:
                    handle.write('# kvmhost-test fault: the parent of this path is a file\n[Socket]\n'
                                 'ListenStream=\nListenStream=/etc/hostname/{0}\n'.format(name))
    elif state['fault'] == 'readonly-dropin-dir':
        # the module's drop-in directories lead into read-only /proc/sys: writes raise OSError
        for name in ('virtqemud.socket', 'libvirtd.socket'):
            path = os.path.join(ETC, name + '.d')
            if not os.path.exists(path):
                os.symlink('/proc/sys/kernel', path)


def fault(how, state=None):
    if how == 'on' and state and state['fault'] == 'no-bus':
        for path in BUS:
            if os.path.exists(path):
                os.rename(path, path + '.off')
    if how == 'off':
        for path in BUS:
            if os.path.exists(path + '.off'):
                os.rename(path + '.off', path)


# ---- what clients see --------------------------------------------------------------------

def show(units):
    out = sh('systemctl', 'show', '--property=' + ','.join(SHOW) + ',SocketMode,SocketGroup,Listen',
             '--no-pager', '--', *units)
    found, block = {}, {}
    for line in out.splitlines() + ['']:
        if not line.strip():
            if block.get('Id'):
                found[block['Id']] = block
            block = {}
            continue
        key, dummy, value = line.partition('=')
        block.setdefault(key, value)
    return found


def socket_files():
    found = {}
    for path in sorted(glob.glob('/run/libvirt/*sock*')):
        st = os.lstat(path)
        found[path] = '{0}:{1} {2:o}'.format(uid_name(st.st_uid), gid_name(st.st_gid), st.st_mode & 0o7777)
    return found


def uid_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def gid_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def listeners():
    unix = sorted(set(line.split()[4] for line in sh('ss', '-lxnH').splitlines()
                      if len(line.split()) > 4 and line.split()[4].startswith('/run/libvirt/')))
    tcp = sorted(set(line.split()[3] for line in sh('ss', '-ltnH').splitlines()
                     if len(line.split()) > 3 and re.search(r':(16509|16514)$', line.split()[3])))
    return {'unix': unix, 'tcp': tcp}


def files():
    found = {}
    for dirpath, dirnames, filenames in os.walk(ETC):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, ETC)
            if not any(is_libvirt(part) for part in rel.split('/')):
                continue
            if os.path.islink(path):
                found[rel] = 'link -> ' + os.readlink(path)
            elif os.path.isdir(path):
                found[rel] = 'directory'
            else:
                with open(path, 'rb') as handle:
                    found[rel] = hashlib.sha256(handle.read()).hexdigest()
    for path in ('/etc/default/libvirtd', '/etc/libvirt/libvirtd.conf', '/etc/libvirt/libvirt.conf'):
        if os.path.exists(path):
            with open(path, 'rb') as handle:
                found[path] = hashlib.sha256(handle.read()).hexdigest()
    return found


def snapshot():
    units = all_units()
    return {'units': settled(units), 'sockets': socket_files(), 'listen': listeners(), 'files': files()}


def settled(units):
    """show once no unit is on its way up or down: a Type=notify daemon that is still
    'activating' would look like a change made by the run."""
    for dummy in range(100):
        found = show(units)
        busy = [unit for unit, st in found.items() if st.get('ActiveState') in ('activating', 'deactivating', 'reloading')]
        if not busy and not sh('systemctl', 'list-jobs', '--no-legend').strip():
            return found
        time.sleep(0.1)
    return found


# ---- the invariants ------------------------------------------------------------------------

def differences(before, after):
    found = []
    for unit in sorted(set(before['units']) | set(after['units'])):
        was, now = before['units'].get(unit, {}), after['units'].get(unit, {})
        keys = ['LoadState', 'UnitFileState', 'ActiveState', 'SocketMode', 'SocketGroup', 'Listen']
        if unit.endswith('.service') and was.get('ActiveState') in RUNNING:
            keys += ['MainPID', 'InvocationID']  # a new process is a restart
        for key in keys:
            if was.get(key) != now.get(key):
                found.append('{0} {1}: {2} -> {3}'.format(unit, key, was.get(key), now.get(key)))
    for part in ('sockets', 'files'):
        for key in sorted(set(before[part]) | set(after[part])):
            if before[part].get(key) != after[part].get(key):
                found.append('{0} {1}: {2} -> {3}'.format(part, key, before[part].get(key), after[part].get(key)))
    for kind in ('unix', 'tcp'):
        if before['listen'][kind] != after['listen'][kind]:
            found.append('listeners {0}: {1} -> {2}'.format(kind, before['listen'][kind], after['listen'][kind]))
    return found


def as_reported(result, after):
    for unit, st in sorted((result.get('units') or {}).items()):
        now = after['units'].get(unit)
        if now is None:
            continue
        have = dict((key, now.get(prop, '')) for prop, key in STATE_KEYS)
        told = dict((key, st.get(key, '')) for prop, key in STATE_KEYS)
        if have != told:
            return 'the result says {0} is {1}, systemd shows {2}'.format(unit, told, have)
    return None


def refusal_problem(before, after, result):
    diff = differences(before, after)
    if not diff:
        return None
    if 'every unit is as it was' in result.get('msg', ''):
        return 'says "every unit is as it was", but: ' + '; '.join(diff[:4])
    if result.get('rolled_back') is not False:
        return 'changed the host and did not say so (rolled_back: {0}): {1}'.format(
            result.get('rolled_back', 'absent'), '; '.join(diff[:4]))
    problem = as_reported(result, after)
    return 'rolled_back false, but ' + problem if problem else None


def unit_own_mode(unit):
    path = os.path.join(LIB, unit)
    mode = '666'
    if os.path.exists(path):
        with open(path) as handle:
            for line in handle:
                if line.startswith('SocketMode='):
                    mode = line.split('=', 1)[1].strip().lstrip('0')
    return mode


def success_problems(state, before, after, result):
    mode = result.get('mode')
    asked = state['args']['mode']
    if asked != 'auto' and mode != asked:
        return ['asked for mode {0}, got {1}'.format(asked, mode)]
    if state['traditional'] and mode == 'monolithic':
        was = before['units'].get('libvirtd.service', {})
        now = after['units'].get('libvirtd.service', {})
        if now.get('MainPID') == was.get('MainPID') != '0' and now.get('InvocationID') == was.get('InvocationID'):
            return []  # traditional mode kept: libvirtd untouched
    problems = []
    for unit, want in state['expect'][mode].items():
        now = after['units'].get(unit, {})
        if now.get('LoadState') != 'loaded' or now.get('UnitFileState') not in ('enabled', 'static'):
            problems.append('wanted {0} is {1}/{2}'.format(unit, now.get('LoadState'), now.get('UnitFileState')))
            continue
        if unit.endswith('.service'):
            sock = unit.replace('.service', '.socket')
            if now.get('ActiveState') not in RUNNING and after['units'].get(sock, {}).get('ActiveState') not in RUNNING:
                problems.append('wanted {0} does not run and its socket does not listen'.format(unit))
            continue
        if now.get('ActiveState') not in RUNNING:
            problems.append('wanted {0} is not listening ({1})'.format(unit, now.get('ActiveState')))
            continue
        if 'path' in want:
            seen = after['sockets'].get(want['path'])
            group = want.get('group', 'root')
            mode_wanted = want.get('mode', unit_own_mode(unit))
            if seen != 'root:{0} {1}'.format(group, mode_wanted):
                problems.append('{0} is {1}, asked root:{2} {3}'.format(want['path'], seen, group, mode_wanted))
        tls = [address for address in after['listen']['tcp'] if address.endswith(':16514')]
        if 'listen' in want and tls != [want['listen']]:
            problems.append('{0} listens on {1}, asked {2}'.format(unit, tls, want['listen']))
    how = state['args']['other_mode_units']
    for unit in state['other'][mode]:
        was, now = before['units'].get(unit, {}), after['units'].get(unit, {})
        if was.get('LoadState') in (None, 'not-found'):
            continue
        if how == 'keep':
            if was.get('UnitFileState') != now.get('UnitFileState'):
                problems.append('other mode unit {0} was to be kept {1}, is {2}'.format(
                    unit, was.get('UnitFileState'), now.get('UnitFileState')))
            continue
        if now.get('ActiveState') in RUNNING:
            problems.append('other mode unit {0} still runs'.format(unit))
        elif how == 'mask' and now.get('LoadState') != 'masked':
            problems.append('other mode unit {0} is not masked ({1})'.format(unit, now.get('UnitFileState')))
        elif how == 'disable' and now.get('UnitFileState') == 'enabled':
            problems.append('other mode unit {0} is still enabled'.format(unit))
    problem = as_reported(result, after)
    if problem:
        problems.append(problem)
    if state['args']['state'] != 'restarted':
        problems.extend(needless_restarts(state, mode, before, after))
    return problems


def needless_restarts(state, mode, before, after):
    """A service whose wanted sockets all listened as asked keeps its process."""
    problems = []
    expect = state['expect'][mode]
    for unit, was in sorted(before['units'].items()):
        now = after['units'].get(unit, {})
        if not unit.endswith('.service') or was.get('ActiveState') not in RUNNING or now.get('ActiveState') not in RUNNING:
            continue
        if (was.get('MainPID'), was.get('InvocationID')) == (now.get('MainPID'), now.get('InvocationID')):
            continue
        daemon = unit[:-len('.service')]
        mine = [sock for sock in expect if sock.startswith(daemon) and sock.endswith('.socket')
                and re.match(re.escape(daemon) + r'(-ro|-admin|-tcp|-tls)?\.socket$', sock)]
        if any(before['units'].get(sock, {}).get('ActiveState') not in RUNNING or (
                'path' in expect[sock] and before['sockets'].get(expect[sock]['path']) != after['sockets'].get(
                    expect[sock]['path'])) for sock in mine):
            continue
        problems.append('{0} was restarted (MainPID {1} -> {2}) with nothing to apply'.format(
            unit, was.get('MainPID'), now.get('MainPID')))
    return problems


def check(state, before, after, result, again=False):
    if again:
        diff = differences(before, after)
        if result.get('failed') or result.get('changed') or diff:
            return ['second run: failed={0} changed={1} {2} {3}'.format(
                result.get('failed', False), result.get('changed'), result.get('msg', '')[:200], '; '.join(diff[:4]))]
        return []
    if state['args']['state'] == 'verified' and differences(before, after):
        return ['verified changed the host: ' + '; '.join(differences(before, after)[:4])]
    if result.get('failed'):
        problem = refusal_problem(before, after, result)
        return [problem] if problem else []
    if result.get('skipped'):
        return []
    return success_problems(state, before, after, result)


STATES = '/var/lib/kvmhost-states/states.json'
WORK = '/var/lib/kvmhost-states'


def load(path):
    with open(path) as handle:
        return json.load(handle)


def state_of(number):
    return load(STATES)['kvmhost_test_states'][int(number)]


def before(number):
    state = state_of(number)
    setup(state)
    with open(os.path.join(WORK, 'before.json'), 'w') as handle:
        json.dump(snapshot(), handle)
    fault('on', state)


def main(argv):
    command = argv[0]
    if command == 'keep':
        keep()
    elif command == 'before':
        before(argv[1])
    elif command == 'after':
        state = state_of(argv[1])
        fault('off')
        again = 'again' in argv[2:]
        result = json.loads(sys.stdin.read())
        earlier = load(os.path.join(WORK, 'after.json' if again else 'before.json'))
        after = snapshot()
        with open(os.path.join(WORK, 'after.json'), 'w') as handle:
            json.dump(after, handle)
        print(json.dumps(check(state, earlier, after, result, again=again)))
        if '--next' in argv:
            # the next state is built in the same call: one round trip less per state
            before(argv[argv.index('--next') + 1])
    else:
        sys.exit('unknown command ' + command)


if __name__ == '__main__':
    main(sys.argv[1:])
