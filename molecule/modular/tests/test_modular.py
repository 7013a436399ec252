"""An EL10-like host after the role: modular sockets, socket activation, the
idle exit, and autostart guests across a reboot (Fedora's acceptance test for
the modular daemons), all against real libvirt daemons."""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import testlib  # noqa: E402

NAME = "kvmhost-modular"
IDLE_TIMEOUT = 15  # prepare.yml writes VIRTQEMUD_ARGS="--timeout 15"


@pytest.mark.parametrize("path", testlib.modular_sockets())
def test_modular_sockets_listen(host, path):
    assert host.socket(f"unix://{path}").is_listening, path


@pytest.mark.parametrize("path", testlib.modular_sockets())
def test_socket_modes(host, path):
    expected = 0o600 if "admin" in path else 0o666 if path.endswith("-ro") else 0o660
    assert host.file(path).mode == expected, f"{path}: {oct(host.file(path).mode)}"


@pytest.mark.parametrize("unit", ["virtlogd.socket", "virtlockd.socket", "virtlogd-admin.socket", "virtlockd-admin.socket"])
def test_shared_sockets(host, unit):
    assert host.service(unit).is_enabled
    assert host.service(unit).is_running


def test_hypervisor_service_enabled_for_autostart(host):
    assert host.service("virtqemud.service").is_enabled


def test_qemu_conf_setting_written(host):
    assert host.file("/etc/libvirt/qemu.conf").contains("^log_timestamp = 1$")


def test_libvirtd_absent(host):
    out = host.run("systemctl list-unit-files 'libvirtd*' --no-legend").stdout
    assert out.strip() == ""


def test_no_tcp_port_open(host):
    for port in (16509, 16514):
        assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening


def test_virsh_answered_by_virtqemud(host):
    result = host.run("virsh -c qemu:///system version")
    assert result.rc == 0, result.stderr
    assert host.service("virtqemud.service").is_running
    uri = host.run("virsh uri").stdout.strip()
    assert uri == "qemu:///system"


def test_reboot_idle_exit_and_reactivation(host):
    testlib.reboot(host, NAME)
    # Enabled for boot: running after the reboot, with its idle timeout.
    testlib.wait_for(lambda: host.service("virtqemud.service").is_running, 60, what="virtqemud after boot")
    assert "--timeout" in testlib.main_pid_args(host, "virtqemud.service")
    # Idle: it exits, and its socket keeps listening.
    testlib.wait_for(
        lambda: not host.service("virtqemud.service").is_running,
        IDLE_TIMEOUT + 60,
        what="virtqemud's idle exit",
    )
    assert host.socket("unix:///run/libvirt/virtqemud-sock").is_listening
    # The next client starts it again through the socket.
    assert host.run("virsh -c qemu:///system list").rc == 0
    assert host.service("virtqemud.service").is_running


def test_autostart_guest_after_reboot_keeps_daemon_up(host):
    define = host.run(
        "virsh -c qemu:///system define /root/kvmhost-test-guest.xml "
        "&& virsh -c qemu:///system autostart kvmhost-test-guest"
    )
    assert define.rc == 0, define.stderr
    testlib.reboot(host, NAME)
    testlib.wait_for(
        lambda: testlib.guest_state(host, "kvmhost-test-guest") == "running",
        90,
        what="the autostart guest to run",
    )
    # While a guest runs, the idle timeout never stops the daemon.
    time.sleep(IDLE_TIMEOUT + 10)
    assert host.service("virtqemud.service").is_running
    assert testlib.guest_state(host, "kvmhost-test-guest") == "running"
