"""Helpers for the scenarios' testinfra tests: container restarts and waits.

Tests run on the host; the container is reached through testinfra's podman
backend, and restarted ("rebooted") with the podman CLI.
"""
import subprocess
import time

MODULAR_DRIVERS = ("qemu", "network", "storage", "nodedev", "secret", "interface", "nwfilter")


def modular_sockets(drivers=MODULAR_DRIVERS):
    """The modular main/-ro/-admin socket paths for the drivers."""
    paths = []
    for drv in drivers:
        prefix = f"/run/libvirt/virt{drv}d"
        paths += [f"{prefix}-sock", f"{prefix}-sock-ro", f"{prefix}-admin-sock"]
    return paths


def wait_for(predicate, timeout, interval=1.0, what="condition"):
    """Poll predicate until true; fail with what after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def system_running(host):
    """True once systemd in the container reports running (or degraded)."""
    result = host.run("systemctl is-system-running")
    return result.stdout.strip() in ("running", "degraded")


def reboot(host, name, timeout=120):
    """Restart the container (a reboot for systemd) and wait for it to boot."""
    subprocess.run(["podman", "restart", "--time", "30", name], check=True, capture_output=True)
    wait_for(lambda: system_running(host), timeout, what=f"{name} to boot")


def main_pid_args(host, service):
    """The command line of a service's main process, or '' when it has none."""
    pid = host.run(f"systemctl show -P MainPID {service}").stdout.strip()
    if pid in ("", "0"):
        return ""
    return host.file(f"/proc/{pid}/cmdline").content_string.replace("\0", " ").strip()


def guest_state(host, guest, uri="qemu:///system"):
    result = host.run(f"virsh -c {uri} domstate {guest}")
    return result.stdout.strip() if result.rc == 0 else f"error: {result.stderr.strip()}"
