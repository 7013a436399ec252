"""Two runs against one host at the same moment (issue 10): the module's host lock makes
the second plan from the first one's result, so exactly one reports the changes. Issue 16:
the runs are made to overlap (the first one's socket start is slowed down, the second starts
while the first holds the lock), and the second one's result says that it waited."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import testlib  # noqa: E402

NAME = "kvmhost-modular"
RESET = ["virtnetworkd.socket", "virtnetworkd-ro.socket", "virtnetworkd-admin.socket",
         "virtstoraged.socket", "virtstoraged-ro.socket", "virtstoraged-admin.socket"]
# the role's socket settings: without them the module would remove its drop-ins
ARGS = {"mode": "modular", "socket_group": "libvirt", "socket_mode": "0660"}
LOCK = "/run/kvmhost-setup/libvirt-daemons.lock"
# not the module's own drop-in name, so the module leaves it alone
SLOW = "/etc/systemd/system/virtnetworkd.socket.d/zz-kvmhost-test-slow.conf"
HOLD = 8


def lock_held(host):
    # 75: held by another process; any other code (no file yet, no directory) is not "held"
    return host.run(f"flock --nonblock --conflict-exit-code 75 {LOCK} true").rc == 75


def test_two_runs_at_once_apply_once(host):
    units = " ".join(RESET)
    reset = host.run(f"systemctl stop -- {units} && systemctl disable -- {units}")
    assert reset.rc == 0, reset.stderr
    slow = host.run(f"mkdir -p {os.path.dirname(SLOW)} && printf '[Socket]\\nExecStartPre=/bin/sleep {HOLD}\\n' > {SLOW}"
                    " && systemctl daemon-reload")
    assert slow.rc == 0, slow.stderr
    try:
        with tempfile.TemporaryDirectory() as tmp:
            first_run = testlib.start_module(NAME, ARGS, tmp, "first")
            deadline = time.monotonic() + 120
            while not lock_held(host):
                assert first_run[1].poll() is None and time.monotonic() < deadline, "the first run never held the lock"
                time.sleep(0.2)
            second_run = testlib.start_module(NAME, ARGS, tmp, "second")
            # still running, so still holding the lock: the two runs overlap
            assert first_run[1].poll() is None
            first, second = testlib.finish_module(first_run), testlib.finish_module(second_run)
    finally:
        host.run(f"rm -f {SLOW} && systemctl daemon-reload")
    assert first["lock_wait"] < 1.0
    assert second["lock_wait"] >= 1.0, second["lock_wait"]
    assert first["changed"] and not second["changed"], (first["actions"], second["actions"])
    assert second["actions"] == []
    assert any("virtnetworkd.socket" in action for action in first["actions"])
    for unit in RESET:
        assert host.service(unit).is_enabled, unit
        assert host.service(unit).is_running, unit
