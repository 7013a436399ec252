"""What the migration scenario leaves: both hosts modular (B switched by the
rolling switch), each serving TLS on its own address through virtproxyd, and
each running its guest under virtqemud."""
import pytest
import testinfra

HOSTS = {
    "kvmhost-migration-a": ("10.89.213.11", "kvmhost-migration-guest"),
    "kvmhost-migration-b": ("10.89.213.12", "kvmhost-migration-guest-b"),
}


@pytest.fixture(params=sorted(HOSTS), ids=sorted(HOSTS))
def node(request):
    return request.param, testinfra.get_host(f"podman://{request.param}")


def test_modular_daemons_in_use(node):
    dummy, host = node
    assert host.service("virtqemud.socket").is_enabled
    assert host.service("virtqemud.service").is_running
    assert host.run("systemctl is-enabled libvirtd.service").stdout.strip() == "masked"
    assert not host.service("libvirtd.service").is_running


def test_tls_listener_on_own_address(node):
    name, host = node
    address = HOSTS[name][0]
    assert host.socket(f"tcp://{address}:16514").is_listening
    assert host.service("virtproxyd-tls.socket").is_enabled


def test_guest_running_under_virtqemud(node):
    name, host = node
    guest = HOSTS[name][1]
    assert host.check_output(f"virsh -c qemu:///system domstate {guest}").strip() == "running"
    # the QEMU process of the guest is a child of virtqemud's cgroup-free
    # world: the daemon that answers is virtqemud (direct mode socket)
    assert host.file("/run/libvirt/virtqemud-sock").is_socket
    assert host.check_output("virsh -c qemu:///system uri").strip() == "qemu:///system"


def test_migration_ports_in_qemu_conf(node):
    dummy, host = node
    conf = host.file("/etc/libvirt/qemu.conf").content_string
    assert "migration_port_min = 49152" in conf.splitlines()
    assert "migration_port_max = 49215" in conf.splitlines()
