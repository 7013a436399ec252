"""The host the hardening scenario leaves behind (converge, the bad-input
matrix, the faults, TCP and back to no remote access): socket modes and
owners set by systemd drop-ins, no libvirt TCP port, nothing of the faults
left, one working mode."""
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import testlib  # noqa: E402

GROUP = "libvirt"  # kvmhost_setup_libvirt_group (default)
RW_MODE = 0o660  # kvmhost_setup_libvirt_socket_mode (default "0660")
LIBVIRT_PORTS = (16509, 16514)


def _kind(path):
    if path.endswith("-admin-sock"):
        return "admin"
    if path.endswith("-sock-ro"):
        return "ro"
    return "rw"


@pytest.mark.parametrize("path", testlib.modular_sockets())
def test_socket_mode_and_owner(host, path):
    sock = host.file(path)
    assert sock.is_socket, path
    assert sock.user == "root", path
    kind = _kind(path)
    if kind == "admin":
        assert sock.mode == 0o600, f"{path}: {oct(sock.mode)} (admin sockets stay 0600)"
    elif kind == "ro":
        assert sock.mode == 0o666, f"{path}: {oct(sock.mode)}"
    else:
        assert sock.mode == RW_MODE, f"{path}: {oct(sock.mode)}"
        assert sock.group == GROUP, f"{path}: group {sock.group}"


@pytest.mark.parametrize(
    "path",
    [
        "/run/libvirt/virtlogd-sock",
        "/run/libvirt/virtlogd-admin-sock",
        "/run/libvirt/virtlockd-sock",
        "/run/libvirt/virtlockd-admin-sock",
    ],
)
def test_shared_daemon_sockets_root_only(host, path):
    sock = host.file(path)
    assert sock.is_socket, path
    assert (sock.user, sock.mode) == ("root", 0o600), f"{path}: {sock.user} {oct(sock.mode)}"


def test_no_libvirt_tcp_port(host):
    out = host.check_output("ss -ltnH")
    listening = [line.split()[3] for line in out.splitlines() if line.strip()]
    open_ports = [addr for addr in listening if re.search(r":(%s)$" % "|".join(map(str, LIBVIRT_PORTS)), addr)]
    assert open_ports == [], f"libvirt TCP ports open without remote access asked: {open_ports}"


@pytest.mark.parametrize("unit", ["virtproxyd-tcp.socket", "virtproxyd-tls.socket", "libvirtd-tcp.socket", "libvirtd-tls.socket"])
def test_remote_sockets_not_listening(host, unit):
    assert not host.service(unit).is_running, unit


def test_socket_access_set_by_dropin(host):
    dropin = host.file("/etc/systemd/system/virtqemud.socket.d/kvmhost-setup.conf")
    assert dropin.exists
    assert dropin.mode == 0o644 and dropin.user == "root"
    assert f"SocketGroup={GROUP}" in dropin.content_string
    assert f"SocketMode={RW_MODE:04o}" in dropin.content_string


def test_no_socket_settings_in_daemon_conf(host):
    """Under socket activation the daemons ignore unix_sock_*: they must not be where a reader looks."""
    out = host.run("grep -lE '^[[:space:]]*(unix_sock_(group|rw_perms|ro_perms|admin_perms)|listen_tcp|listen_tls)' /etc/libvirt/*.conf")
    assert out.stdout.strip() == "", out.stdout


def test_one_working_mode(host):
    assert host.check_output("systemctl is-enabled virtqemud.socket") == "enabled"
    for unit in ("libvirtd.service", "libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket"):
        assert host.run(f"systemctl is-enabled {unit}").stdout.strip() == "masked", unit
    result = host.run("virsh -c qemu:///system version")
    assert result.rc == 0, result.stderr


def test_faults_removed(host):
    assert not host.file("/etc/systemd/system/virtstoraged.socket.d/zz-kvmhost-test-fault.conf").exists
    assert host.file("/run/systemd/private").is_socket
    assert host.file("/run/dbus/system_bus_socket").is_socket
    assert host.run("systemctl --failed --no-legend --plain 'virt*' 'libvirt*'").stdout.strip() == ""


def test_tls_private_key_root_only(host):
    key = host.file("/etc/pki/libvirt/private/serverkey.pem")
    assert (key.user, key.mode) == ("root", 0o600)


def test_answers_faults_removed(host):
    """answers.yml broke qemu.conf and faked a guest; neither is left, and libvirt answers read-only."""
    conf = host.file("/etc/libvirt/qemu.conf").content_string.splitlines()
    assert "vnc_listen = 0.0.0.0" not in conf
    assert not [line for line in conf if line.startswith("log_timestamp = ")]
    assert not host.file("/run/libvirt/qemu/kvmhost-test-ghost.xml").exists
    result = host.run("virsh -r -c qemu:///system version")
    assert result.rc == 0, result.stderr
