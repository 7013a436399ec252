"""Per-distribution scenarios: the role chose the distribution's mode and
libvirt answers through it. The scenario's host_vars say what to expect."""
import os

import pytest

MODE = os.environ.get("KVMHOST_EXPECT_MODE", "modular")
MODULAR = ["virtqemud", "virtnetworkd", "virtstoraged", "virtnodedevd", "virtsecretd"]


def test_mode_sockets_listen(host):
    if MODE == "modular":
        paths = [f"/run/libvirt/{d}-sock" for d in MODULAR]
    else:
        paths = ["/run/libvirt/libvirt-sock", "/run/libvirt/libvirt-sock-ro"]
    for path in paths:
        assert host.socket(f"unix://{path}").is_listening, path


@pytest.mark.parametrize("unit", ["virtlogd.socket", "virtlockd.socket"])
def test_shared_sockets(host, unit):
    assert host.service(unit).is_running


def test_other_mode_not_running(host):
    other = "libvirtd.socket" if MODE == "modular" else "virtqemud.socket"
    assert not host.service(other).is_running


def test_virsh_answers(host):
    result = host.run("virsh -c qemu:///system version")
    assert result.rc == 0, result.stderr


def test_admin_socket_private(host):
    path = "/run/libvirt/virtqemud-admin-sock" if MODE == "modular" else "/run/libvirt/libvirt-admin-sock"
    assert host.file(path).mode == 0o600
