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


MODULE_PLAY = """\
- hosts: all
  gather_facts: false
  tasks:
    - kvmhost.setup.libvirt_daemons: {args}
      register: applied
    - ansible.builtin.copy:
        content: "{{{{ applied | to_json }}}}"
        dest: "{result}"
      delegate_to: localhost
"""


def start_module(name, args, workdir, tag="run"):
    """Start one ansible-playbook run of the libvirt_daemons module against a container
    (a real run from the controller, as a user's would be); finish it with finish_module."""
    import json as _json
    import os as _os
    result = _os.path.join(workdir, f"{tag}.json")
    playbook = _os.path.join(workdir, f"{tag}.yml")
    inventory = _os.path.join(workdir, f"{tag}.ini")
    with open(playbook, "w") as handle:
        handle.write(MODULE_PLAY.format(args=_json.dumps(args), result=result))
    with open(inventory, "w") as handle:
        handle.write(f"{name} ansible_connection=containers.podman.podman "
                     "ansible_python_interpreter=/usr/bin/python3\n")
    proc = subprocess.Popen(["ansible-playbook", "-i", inventory, playbook],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return result, proc


def finish_module(run, timeout=600):
    """The module's result of a run started by start_module; fails the test if the play failed."""
    import json as _json
    result, proc = run
    out = proc.communicate(timeout=timeout)[0]
    assert proc.returncode == 0, out
    with open(result) as handle:
        return _json.load(handle)
