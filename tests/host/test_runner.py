# Copyright (c) kvmhost.setup contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role through ansible-runner, the engine AWX and Automation Controller
run jobs with: a private data dir (project/, inventory/, env/), the collection
installed from the built artifact, a throwaway systemd container as the managed
host (Debian's libvirt), two runs. Results come from runner's artifacts
(status, rc, job_events), never from stdout: the first run converges, the
second changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hostutil import BIN, base_env, run, systemd_container, tool

PLAYBOOK = [{
    "name": "Make the managed host a KVM host",
    "hosts": "kvm_hosts",
    "gather_facts": True,
    "roles": [{"role": "kvmhost.setup.kvmhost_setup"}],
}]


@pytest.fixture(scope="module")
def container():
    yield from systemd_container("kvmhost-runner")


@pytest.fixture(scope="module")
def private_data_dir(artifact, container, tmp_path_factory) -> Path:
    pdd = tmp_path_factory.mktemp("runner")
    collections = pdd / "collections"
    proc = run([tool("ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "--force",
                "-p", collections, artifact])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (pdd / "project").mkdir()
    (pdd / "project" / "site.yml").write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False), encoding="utf-8")
    (pdd / "inventory").mkdir()
    (pdd / "inventory" / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"kvm_hosts": {"hosts": {
        container: {
            "ansible_connection": "containers.podman.podman",
            "ansible_python_interpreter": "/usr/bin/python3",
        },
    }}}}}), encoding="utf-8")
    (pdd / "env").mkdir()
    # The artifact first, then the venv's own collections (containers.podman for
    # the connection); never the working tree.
    (pdd / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_PIPELINING": "true",
        "ANSIBLE_NOCOWS": "1",
    }), encoding="utf-8")
    return pdd


def runner(pdd: Path, ident: str) -> Path:
    env = base_env()
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    proc = run([tool("ansible-runner"), "run", pdd, "-p", "site.yml", "--ident", ident],
               env=env, timeout=900)
    artifacts = pdd / "artifacts" / ident
    assert artifacts.is_dir(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return artifacts


def events(artifacts: Path) -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((artifacts / "job_events").glob("*.json"),
                               key=lambda p: int(p.name.split("-", 1)[0]))]


def stats(artifacts: Path) -> dict:
    found = [e["event_data"] for e in events(artifacts) if e["event"] == "playbook_on_stats"]
    assert len(found) == 1, "one playbook_on_stats event"
    return found[0]


@pytest.fixture(scope="module")
def first(private_data_dir) -> Path:
    return runner(private_data_dir, "first")


@pytest.fixture(scope="module")
def second(private_data_dir, first) -> Path:
    return runner(private_data_dir, "second")


def test_runner_is_the_venvs():
    assert (BIN / "ansible-runner").exists()


def successful_stats(artifacts: Path, host: str) -> dict:
    """The run's playbook_on_stats, after checking runner called it a success."""
    assert (artifacts / "status").read_text().strip() == "successful"
    assert (artifacts / "rc").read_text().strip() == "0"
    data = stats(artifacts)
    assert data["failures"] == {} and data["dark"] == {}, data
    assert data["ok"].get(host, 0) > 0
    return data


def test_first_run_converges(first, container):
    data = successful_stats(first, container)
    assert data["changed"].get(container, 0) > 0, "a fresh host must be changed"
    tasks = {e["event_data"].get("task_action") for e in events(first) if e["event"] == "runner_on_ok"}
    assert "kvmhost.setup.libvirt_daemons" in tasks, sorted(t for t in tasks if t)


def test_second_run_changes_nothing(second, container):
    data = successful_stats(second, container)
    assert data["changed"].get(container, 0) == 0, data["changed"]
    changed = [e["event_data"]["task"] for e in events(second)
               if e["event"] == "runner_on_ok" and e["event_data"].get("res", {}).get("changed")]
    assert changed == []
