"""After the switch there and back: libvirtd serves, the modular set is
masked, the guest that ran through both switches still runs."""
import pytest

MODULAR_MAIN = [f"virt{d}d" for d in ("qemu", "network", "storage", "nodedev", "secret", "interface", "nwfilter")]


@pytest.mark.parametrize("unit", ["libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket"])
def test_libvirtd_sockets(host, unit):
    assert host.service(unit).is_enabled
    assert host.service(unit).is_running


@pytest.mark.parametrize("daemon", MODULAR_MAIN + ["virtproxyd"])
def test_modular_set_masked_and_inactive(host, daemon):
    for unit in (f"{daemon}.service", f"{daemon}.socket"):
        state = host.run(f"systemctl is-enabled {unit}").stdout.strip()
        assert state == "masked", f"{unit}: {state}"
        assert not host.service(unit).is_running, unit


@pytest.mark.parametrize("unit", ["virtlogd.socket", "virtlockd.socket"])
def test_shared_daemons_untouched(host, unit):
    assert host.service(unit).is_enabled
    assert host.service(unit).is_running


def test_guest_still_running_under_libvirtd(host):
    out = host.run("virsh -c qemu:///system list --name")
    assert out.rc == 0, out.stderr
    assert "kvmhost-switch-guest" in out.stdout.split()
    assert host.service("libvirtd.service").is_running
    assert host.socket("unix:///run/libvirt/libvirt-sock").is_listening
