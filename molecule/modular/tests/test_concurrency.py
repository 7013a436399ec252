"""Two runs against one host at the same moment (issue 10): the module's host lock makes
the second plan from the first one's result, so exactly one reports the changes."""
import json
import os
import subprocess
import tempfile
import textwrap

NAME = "kvmhost-modular"
RESET = ["virtnetworkd.socket", "virtnetworkd-ro.socket", "virtnetworkd-admin.socket",
         "virtstoraged.socket", "virtstoraged-ro.socket", "virtstoraged-admin.socket"]
PLAY = textwrap.dedent("""\
    - hosts: all
      gather_facts: false
      tasks:
        # the role's socket settings: without them the module would remove its drop-ins
        - kvmhost.setup.libvirt_daemons:
            mode: modular
            socket_group: libvirt
            socket_mode: "0660"
          register: applied
        - ansible.builtin.copy:
            content: "{{ applied | to_json }}"
            dest: "{{ result_file }}"
          delegate_to: localhost
    """)


def _run_two_at_once(tmp):
    playbook = os.path.join(tmp, "apply.yml")
    inventory = os.path.join(tmp, "inventory.ini")
    with open(playbook, "w") as handle:
        handle.write(PLAY)
    with open(inventory, "w") as handle:
        handle.write(f"{NAME} ansible_connection=containers.podman.podman "
                     "ansible_python_interpreter=/usr/bin/python3\n")
    runs = []
    for index in (1, 2):
        result_file = os.path.join(tmp, f"result{index}.json")
        runs.append((result_file, subprocess.Popen(
            ["ansible-playbook", "-i", inventory, playbook, "-e", f"result_file={result_file}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    results = []
    for result_file, proc in runs:
        out = proc.communicate(timeout=600)[0]
        assert proc.returncode == 0, out
        with open(result_file) as handle:
            results.append(json.load(handle))
    return results


def test_two_runs_at_once_apply_once(host):
    units = " ".join(RESET)
    reset = host.run(f"systemctl stop -- {units} && systemctl disable -- {units}")
    assert reset.rc == 0, reset.stderr
    with tempfile.TemporaryDirectory() as tmp:
        first, second = _run_two_at_once(tmp)
    changed = [result for result in (first, second) if result["changed"]]
    assert len(changed) == 1, (first["actions"], second["actions"])
    unchanged = second if first["changed"] else first
    assert unchanged["actions"] == []
    assert any("virtnetworkd.socket" in action for action in changed[0]["actions"])
    for unit in RESET:
        assert host.service(unit).is_enabled, unit
        assert host.service(unit).is_running, unit
