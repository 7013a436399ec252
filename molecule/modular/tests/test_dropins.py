"""The module's socket drop-ins on real systemd (issue 11): a changed drop-in under a
running daemon is applied in the same pass and leaves the socket listening; a drop-in
that systemd already runs restarts nothing."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import testlib  # noqa: E402

NAME = "kvmhost-modular"
SOCK = "/run/libvirt/virtqemud-sock"
DROPIN = "/etc/systemd/system/virtqemud.socket.d/kvmhost-setup.conf"


def apply(**settings):
    with tempfile.TemporaryDirectory() as tmp:
        return testlib.finish_module(testlib.start_module(NAME, dict({"mode": "modular"}, **settings), tmp))


def main_pid(host):
    return host.run("systemctl show -p MainPID --value virtqemud.service").stdout.strip()


def test_changed_dropin_under_a_running_daemon(host):
    assert host.run("virsh -c qemu:///system list").rc == 0  # socket activation starts virtqemud
    before = main_pid(host)
    assert before != "0"
    result = apply(socket_group="libvirt", socket_mode="0600")
    assert f"write {DROPIN}" in result["actions"]
    # one restart step for every socket whose drop-in changed
    assert [a for a in result["actions"] if a.startswith("systemctl restart ") and "virtqemud.socket" in a.split()]
    assert host.file(DROPIN).contains("^SocketMode=0600$")
    assert host.file(SOCK).mode == 0o600 and host.file(SOCK).group == "libvirt"
    assert host.socket(f"unix://{SOCK}").is_listening
    assert host.run("virsh -c qemu:///system list").rc == 0
    assert main_pid(host) != before  # the daemon was stopped around the socket restart

    # back to the role's setting; a second identical run changes nothing
    apply(socket_group="libvirt", socket_mode="0660")
    assert host.file(SOCK).mode == 0o660
    again = apply(socket_group="libvirt", socket_mode="0660")
    assert again["changed"] is False and again["actions"] == []


def test_dropin_that_already_runs_restarts_nothing(host):
    # a connected client keeps virtqemud from its idle exit (15 s here), so an unchanged
    # MainPID means it was not restarted
    client = host.run("setsid virsh -c qemu:///system event --loop --all >/dev/null 2>&1 & echo $!")
    assert client.rc == 0, client.stderr
    testlib.wait_for(lambda: main_pid(host) != "0", 30, what="virtqemud to start")
    before = main_pid(host)
    # the same settings, but the file rewritten by hand with other text: the module rewrites
    # it, reloads systemd, and restarts nothing because the socket already runs so
    assert host.run(f"sed -i '1s/^/# edited by hand\\n/' {DROPIN}").rc == 0
    result = apply(socket_group="libvirt", socket_mode="0660")
    assert result["actions"] == [f"write {DROPIN}", "systemctl daemon-reload"]
    assert main_pid(host) == before
    assert host.socket(f"unix://{SOCK}").is_listening
    host.run(f"kill {client.stdout.strip()}")
