"""Prove the locally built test images for real: boot each with systemd as
PID 1 under podman and check what the role's tests rely on.

Run host-side with the project venv:  .venv/bin/pytest -q tests/harness
(after scripts/bootstrap.sh and tests/images/build.sh).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTAINERS_CONF = ROOT / ".cache" / "containers.conf"

BASE_BOOKWORM = "localhost/kvmhost-test/base:bookworm"
BASE_TRIXIE = "localhost/kvmhost-test/base:trixie"
MONOLITHIC = "localhost/kvmhost-test/libvirt-monolithic:bookworm"
MONOLITHIC_TRIXIE = "localhost/kvmhost-test/libvirt-monolithic:trixie"
CONTROLLER = "localhost/kvmhost-test/controller:trixie"
MODULAR = "localhost/kvmhost-test/libvirt-modular:trixie"

MODULAR_DAEMONS = [
    "virtqemud", "virtnetworkd", "virtstoraged", "virtnodedevd", "virtsecretd",
    "virtinterfaced", "virtnwfilterd", "virtproxyd", "virtlogd", "virtlockd",
    "libvirtd",
]
MODULAR_SOCKETS = [
    "virtqemud.socket", "virtqemud-ro.socket", "virtqemud-admin.socket",
    "virtlogd.socket", "virtlockd.socket",
]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["CONTAINERS_CONF"] = str(CONTAINERS_CONF)
    return env


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["podman", *args], env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


@pytest.fixture(scope="session")
def podman_ok() -> None:
    """Fail (never skip) when podman is unusable: a skipped image test would pass unseen."""
    if shutil.which("podman") is None:
        pytest.fail("podman is not installed (run scripts/bootstrap.sh)")
    if not CONTAINERS_CONF.is_file():
        pytest.fail(f"{CONTAINERS_CONF} missing (run scripts/bootstrap.sh)")
    try:
        proc = podman("info", "--format", "{{.Host.OCIRuntime.Name}}", check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"podman is unusable: {exc}")
    if proc.returncode != 0:
        pytest.fail(f"podman is unusable: {proc.stderr.strip()}")


class Container:
    def __init__(self, cid: str, image: str) -> None:
        self.cid = cid
        self.image = image

    def run(self, cmd: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = podman("exec", self.cid, "sh", "-c", cmd, check=False, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"[{self.image}] `{cmd}` exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}\n"
                f"journal:\n{self.journal()}"
            )
        return proc

    def out(self, cmd: str, **kw) -> str:
        return self.run(cmd, **kw).stdout.strip()

    def journal(self) -> str:
        proc = podman("exec", self.cid, "journalctl", "-b", "--no-pager", "-n", "60",
                      check=False, timeout=30)
        return proc.stdout + proc.stderr

    def wait_booted(self, timeout: float = 90) -> str:
        """Wait for `systemctl is-system-running --wait`; running or degraded."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            proc = podman("exec", self.cid, "systemctl", "is-system-running", "--wait",
                          check=False, timeout=timeout)
            state = proc.stdout.strip()
            last = f"{state} {proc.stderr.strip()}"
            if state in ("running", "degraded"):
                return state
            # Straight after start: "Failed to connect to bus", or "starting".
            time.sleep(0.5)
        raise AssertionError(f"[{self.image}] systemd did not finish booting: {last}\n"
                             f"{self.journal()}")


@pytest.fixture
def container(podman_ok, request):
    """Factory: start a container from an image alias; always removed afterwards."""
    started: list[str] = []

    def start(image: str) -> Container:
        if podman("image", "exists", image, check=False).returncode != 0:
            pytest.fail(f"image {image} is missing: run tests/images/build.sh")
        args = ["run", "-d", "--rm"]
        if os.path.exists("/dev/kvm"):
            args += ["--device", "/dev/kvm"]
        cid = podman(*args, image).stdout.strip()
        started.append(cid)
        ctr = Container(cid, image)
        ctr.wait_booted()
        return ctr

    def cleanup() -> None:
        for cid in started:
            podman("rm", "-f", "-t", "5", cid, check=False, timeout=60)

    request.addfinalizer(cleanup)
    return start


def unit_state(ctr: Container, unit: str) -> str:
    return ctr.out(f"systemctl is-active {unit} || true")


def wait_for(predicate, timeout: float = 30, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.mark.parametrize("image", [BASE_BOOKWORM, BASE_TRIXIE])
def test_base_boots_systemd(container, image):
    ctr = container(image)
    assert ctr.out("cat /proc/1/comm") == "systemd"
    assert ctr.out("readlink -f /sbin/init").endswith("/systemd")
    assert ctr.run("python3 -c 'import apt'", check=False).returncode == 0
    assert ctr.run("command -v ss && command -v ps", check=False).returncode == 0
    assert ctr.out("systemctl --failed --no-legend --plain") == ""


@pytest.mark.parametrize("image, release", [(MONOLITHIC, "12"), (MONOLITHIC_TRIXIE, "13")])
def test_monolithic_libvirtd_socket_activation(container, image, release):
    ctr = container(image)
    assert ctr.out("cat /proc/1/comm") == "systemd"
    # Debian 13 pulls in polkitd, whose sandbox needs the image's drop-in here.
    assert ctr.out("systemctl --failed --no-legend --plain") == ""
    assert ctr.out(". /etc/os-release && echo $VERSION_ID") == release
    # virtlockd is in libvirt-daemon-system on 12, libvirt-daemon-lock on 13.
    for unit in ("virtlogd.socket", "virtlockd.socket"):
        ctr.run(f"systemctl cat {unit} >/dev/null")
    # Fresh Debian host: Debian's packages enable libvirtd and its sockets.
    assert ctr.out("systemctl is-enabled libvirtd.socket") == "enabled"
    if unit_state(ctr, "libvirtd.socket") != "active":
        ctr.run("systemctl start libvirtd.socket")
    # Debian also starts libvirtd.service at boot; stop it so the next client
    # proves socket activation. Only once it has started: a libvirtd stopped
    # while it still initialises exits non-zero and is left failed (seen once
    # under load in a fresh-clone CI run), which is not what this test is about.
    ctr.run("until [ \"$(systemctl show -P ActiveState libvirtd.service)\" != activating ]; do sleep 0.2; done")
    ctr.run("systemctl stop libvirtd.service")
    assert unit_state(ctr, "libvirtd.service") == "inactive"
    assert unit_state(ctr, "libvirtd.socket") == "active"

    version = ctr.out("virsh -c qemu:///system version")
    assert "Running hypervisor: QEMU" in version, version
    assert wait_for(lambda: unit_state(ctr, "libvirtd.service") == "active")
    assert ctr.run("test -S /run/libvirt/libvirt-sock", check=False).returncode == 0


def test_modular_daemons(container):
    ctr = container(MODULAR)
    assert ctr.out("cat /proc/1/comm") == "systemd"
    assert ctr.out("systemctl --failed --no-legend --plain") == ""

    # Every daemon and its unit files are present ...
    for daemon in MODULAR_DAEMONS:
        ctr.run(f"test -x /usr/sbin/{daemon}")
        ctr.run(f"test -f /usr/lib/systemd/system/{daemon}.service")
        ctr.run(f"test -f /usr/lib/systemd/system/{daemon}.socket")
    listed = ctr.out(
        "systemctl list-unit-files --no-legend --plain 'virt*' 'libvirtd*' | awk '{print $1}'"
    ).split()
    for daemon in MODULAR_DAEMONS:
        assert f"{daemon}.service" in listed, listed
        assert f"{daemon}.socket" in listed, listed

    # ... and the image is a clean slate: nothing libvirt is enabled or running.
    states = ctr.out(
        "systemctl list-unit-files --no-legend --plain 'virt*' 'libvirtd*' | awk '{print $2}'"
    ).split()
    assert "enabled" not in states, states
    for unit in ("libvirtd.service", "libvirtd.socket", "virtqemud.service", "virtqemud.socket"):
        assert unit_state(ctr, unit) == "inactive", unit

    ctr.run("systemctl enable --now " + " ".join(MODULAR_SOCKETS))
    for sock in MODULAR_SOCKETS:
        assert unit_state(ctr, sock) == "active", sock
    ctr.run("test -S /run/libvirt/virtqemud-sock")

    version = ctr.out("virsh -c qemu:///system version")
    assert "Running hypervisor: QEMU" in version, version
    assert wait_for(lambda: unit_state(ctr, "virtqemud.service") == "active")

    # libvirtd is installed but untouched.
    assert ctr.out("systemctl list-unit-files --no-legend --plain libvirtd.service").startswith(
        "libvirtd.service"
    )
    assert unit_state(ctr, "libvirtd.service") == "inactive"
    assert unit_state(ctr, "libvirtd.socket") == "inactive"


@pytest.mark.parametrize("image", [MONOLITHIC, MODULAR])
def test_tuned_virtual_host_profile(container, image):
    """tuned runs and accepts the profile the role sets. Its sysctl/sysfs
    writes fail in an unprivileged container (read-only /proc/sys and /sys),
    so `tuned-adm verify` is expected to fail here and is not asserted."""
    ctr = container(image)
    assert wait_for(lambda: unit_state(ctr, "tuned.service") == "active"), ctr.journal()
    ctr.run("tuned-adm profile virtual-host")
    assert ctr.out("tuned-adm active") == "Current active profile: virtual-host"


def test_controller_image(container):
    """The controller for ansible-core 2.20+: a Python those releases accept,
    venvs, shellcheck for the sanity test, git for ansible-test."""
    ctr = container(CONTROLLER)
    assert ctr.out("systemctl --failed --no-legend --plain") == ""
    assert ctr.run("python3 -c 'import sys; assert sys.version_info >= (3, 12)'",
                   check=False).returncode == 0
    ctr.run("python3 -m venv /tmp/v && /tmp/v/bin/python -m pip --version")
    ctr.run("shellcheck --version && git --version")
    assert ctr.out("virsh -c qemu:///system version | grep -c 'Running hypervisor: QEMU'") == "1"
