"""The built collection works when installed: role, module and both filters by
their FQCNs against a throwaway systemd container running Debian's libvirt.

Run on the host with the project venv:  .venv/bin/pytest -q tests/host
Needs podman and the local image localhost/kvmhost-test/libvirt-monolithic:bookworm
(tests/images/build.sh); the tests fail when either is missing.
Podman reads the project's settings from CONTAINERS_CONF (exported by
scripts/env.sh; .cache/containers.conf when the variable is not set).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostutil import podman, run, systemd_container, tool
from hostutil import ansible_env as collections_env

PLAYBOOK = r"""
- name: Use the installed collection by its FQCNs
  hosts: all
  gather_facts: true
  roles:
    - role: kvmhost.setup.kvmhost_setup
  post_tasks:
    - name: Verify with the module
      kvmhost.setup.libvirt_daemons:
        state: verified
        mode: "{{ kvmhost_setup_libvirt_daemons.mode }}"
      register: artifact_verified

    - name: Write what the role, the module and the filters returned
      ansible.builtin.copy:
        content: >-
          {{ {'use_modular': libvirt_use_modular_daemons,
              'before': kvmhost_setup_libvirt_daemons_before,
              'after': kvmhost_setup_libvirt_daemons,
              'verified': artifact_verified,
              'filter_mode': ansible_facts | kvmhost.setup.libvirt_daemon_mode(
                 units=kvmhost_setup_libvirt_daemons_before.units),
              'filter_units': kvmhost_setup_libvirt_drivers | kvmhost.setup.libvirt_daemon_units(
                 mode='monolithic', sockets=kvmhost_setup_libvirt_sockets)} | to_nice_json }}
        dest: "{{ artifact_result }}"
        mode: "0644"
      delegate_to: localhost
      # the test's own record of the results (they differ between runs), not the role's work
      changed_when: false
"""


@pytest.fixture(scope="module")
def container():
    yield from systemd_container("kvmhost-artifact")


@pytest.fixture(scope="module")
def installed(artifact, tmp_path_factory) -> Path:
    """The artifact built from this tree, installed offline into an empty collections path."""
    collections = tmp_path_factory.mktemp("collections")
    # --force: an install elsewhere (~/.ansible/collections) must not satisfy this one
    proc = run(
        [tool("ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "--force",
         "-p", collections, artifact],
        env=collections_env(collections), timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (collections / "ansible_collections" / "kvmhost" / "setup" / "MANIFEST.json").is_file()
    return collections


def ansible_env(collections: Path) -> dict:
    return collections_env(collections, ANSIBLE_PIPELINING="true")


def test_only_the_installed_artifact_is_used(installed):
    proc = run(
        [tool("ansible-galaxy"), "collection", "list", "kvmhost.setup", "--format", "json"],
        env=ansible_env(installed), timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    paths = [path for path, cols in found.items() if "kvmhost.setup" in cols]
    assert paths == [str(installed / "ansible_collections")], found


def test_role_module_and_filters_from_the_artifact(container, installed, tmp_path):
    playbook = tmp_path / "artifact.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    result = tmp_path / "result.json"
    argv = [
        tool("ansible-playbook"), "-i", f"{container},", "-c", "containers.podman.podman",
        "-e", "ansible_python_interpreter=/usr/bin/python3", "-e", f"artifact_result={result}",
        str(playbook),
    ]
    env = ansible_env(installed)
    first = run(argv, env=env, timeout=600)
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:]
    data = json.loads(result.read_text(encoding="utf-8"))

    # Debian ships only libvirtd: rule (b), what is installed, decides.
    assert data["use_modular"] is False
    assert data["before"]["mode"] == "monolithic"
    assert data["before"]["reason"].startswith("installed:"), data["before"]["reason"]
    assert data["filter_mode"] == "monolithic"

    after = data["after"]
    assert after["skipped"] is False and after["mode"] == "monolithic"
    assert after["wanted"] == data["filter_units"]
    assert after["wanted"][:3] == ["libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket"]
    for unit in ("libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket", "virtlogd.socket", "virtlockd.socket"):
        assert after["units"][unit]["unit_file_state"] == "enabled", unit
        assert after["units"][unit]["active_state"] == "active", unit
    assert not any(unit.startswith("virtqemud") for unit in after["units"]), "Debian has no modular units"
    assert data["verified"]["drift"] == []

    # What a user sees on the host.
    sock = podman("exec", container, "stat", "-c", "%a %G", "/run/libvirt/libvirt-sock")
    assert sock.stdout.split() == ["660", "libvirt"], sock.stdout + sock.stderr
    virsh = podman("exec", container, "virsh", "-c", "qemu:///system", "version")
    assert virsh.returncode == 0, virsh.stderr

    # A second run changes nothing.
    second = run(argv, env=env, timeout=600)
    assert second.returncode == 0, second.stdout[-6000:] + second.stderr[-3000:]
    recap = second.stdout.rsplit("PLAY RECAP", 1)[1]
    assert "changed=0" in recap, recap
    assert json.loads(result.read_text(encoding="utf-8"))["after"]["actions"] == []
