"""Two runs against one host at the same moment (issue 10): the module's host lock makes
the second plan from the first one's result, so exactly one reports the changes."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import testlib  # noqa: E402

NAME = "kvmhost-modular"
RESET = ["virtnetworkd.socket", "virtnetworkd-ro.socket", "virtnetworkd-admin.socket",
         "virtstoraged.socket", "virtstoraged-ro.socket", "virtstoraged-admin.socket"]
# the role's socket settings: without them the module would remove its drop-ins
ARGS = {"mode": "modular", "socket_group": "libvirt", "socket_mode": "0660"}


def test_two_runs_at_once_apply_once(host):
    units = " ".join(RESET)
    reset = host.run(f"systemctl stop -- {units} && systemctl disable -- {units}")
    assert reset.rc == 0, reset.stderr
    with tempfile.TemporaryDirectory() as tmp:
        runs = [testlib.start_module(NAME, ARGS, tmp, tag) for tag in ("first", "second")]
        first, second = [testlib.finish_module(run) for run in runs]
    changed = [result for result in (first, second) if result["changed"]]
    assert len(changed) == 1, (first["actions"], second["actions"])
    unchanged = second if first["changed"] else first
    assert unchanged["actions"] == []
    assert any("virtnetworkd.socket" in action for action in changed[0]["actions"])
    for unit in RESET:
        assert host.service(unit).is_enabled, unit
        assert host.service(unit).is_running, unit
