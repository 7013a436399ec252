"""A fresh Debian host after the role: libvirtd's sockets, tuned, access."""
import pytest

LIBVIRTD_SOCKETS = ["libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket"]
SHARED_SOCKETS = ["virtlogd.socket", "virtlockd.socket", "virtlogd-admin.socket", "virtlockd-admin.socket"]


@pytest.mark.parametrize("unit", LIBVIRTD_SOCKETS + SHARED_SOCKETS + ["libvirtd.service"])
def test_unit_enabled(host, unit):
    assert host.service(unit).is_enabled, unit


@pytest.mark.parametrize("unit", LIBVIRTD_SOCKETS + SHARED_SOCKETS)
def test_socket_active(host, unit):
    assert host.service(unit).is_running, unit


@pytest.mark.parametrize(
    "path, mode, group",
    [
        ("/run/libvirt/libvirt-sock", 0o660, "libvirt"),
        ("/run/libvirt/libvirt-sock-ro", 0o666, None),
        ("/run/libvirt/libvirt-admin-sock", 0o600, None),
    ],
)
def test_socket_files(host, path, mode, group):
    sock = host.file(path)
    assert sock.is_socket, path
    assert sock.mode == mode, f"{path}: {oct(sock.mode)}"
    if group:
        assert sock.group == group
    assert host.socket(f"unix://{path}").is_listening


def test_virsh_through_socket_activation(host):
    result = host.run("virsh -c qemu:///system list --all")
    assert result.rc == 0, result.stderr
    assert host.service("libvirtd.service").is_running


def test_no_tcp_port_open(host):
    for port in (16509, 16514):
        assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening
        assert not host.socket(f"tcp://:::{port}").is_listening


def test_tuned_profile_selected(host):
    assert host.file("/etc/tuned/active_profile").content_string.strip() == "virtual-host"
    assert host.service("tuned.service").is_enabled


def test_client_default_uri(host):
    assert host.file("/etc/libvirt/libvirt.conf").contains('^uri_default = "qemu:///system"$')
