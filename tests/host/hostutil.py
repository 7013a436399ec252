# Copyright (c) kvmhost.setup contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the host-side tests (one definition each).

Imported by the test files as ``hostutil`` (pytest puts tests/host on sys.path);
the fixtures built on them live in conftest.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"
ARTIFACT_NAME = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
IMAGE_MONOLITHIC = os.environ.get(
    "KVMHOST_IMAGE_LIBVIRT_MONOLITHIC", "localhost/kvmhost-test/libvirt-monolithic:bookworm"
)


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# ansible-core's own CONTROLLER_PYTHON_VERSIONS (ansible_test constants) per supported release
CONTROLLER_PYTHONS = {
    "2.19": ["3.11", "3.12", "3.13"],
    "2.20": ["3.12", "3.13", "3.14"],
    "2.21": ["3.12", "3.13", "3.14"],
}


def readme_support() -> dict[str, list[str]]:
    """{'2.19': ['3.11', ...], ...} from the README's ansible-core support table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ansible-core (\d+\.\d+) \| ([^|]+) \|", text, flags=re.M)
    return {core: re.findall(r"3\.\d+", pythons) for core, pythons in rows}


def tool(name: str) -> str:
    """A tool from the venv running the tests, else from PATH; missing fails the test.

    A missing tool means the bootstrap is broken, which must not pass as a skip.
    """
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found next to {sys.executable} or on PATH: run scripts/bootstrap.sh")
    return found


def base_env(**extra: str) -> dict:
    """The environment with the test venv first on PATH and the project's podman settings."""
    env = dict(os.environ)
    conf = env.get("CONTAINERS_CONF") or str(ROOT / ".cache" / "containers.conf")
    if Path(conf).is_file():
        env["CONTAINERS_CONF"] = conf
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def ansible_env(collections: Path, **extra: str) -> dict:
    """base_env() with Ansible looking only at COLLECTIONS for collections."""
    return base_env(
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_NOCOWS="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_HOST_KEY_CHECKING="False",
        **extra,
    )


def run(argv, cwd=ROOT, env=None, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=base_env() if env is None else env,
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return run(["podman", *args], timeout=timeout)


def build_artifact(out: Path, source: Path = ROOT) -> Path:
    """ansible-galaxy collection build of SOURCE into OUT; the tarball's path."""
    proc = run([tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", out, source])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = out / ARTIFACT_NAME
    assert path.is_file(), f"expected {ARTIFACT_NAME}, found {[p.name for p in out.iterdir()]}"
    return path


def systemd_container(prefix: str, image: str = IMAGE_MONOLITHIC):
    """Start a throwaway container with systemd as PID 1; yields its name, removes it.

    A missing podman or image fails: the bootstrap and tests/images/build.sh
    (run before pytest by scripts/run-tests.sh) provide both.
    """
    if shutil.which("podman") is None:
        pytest.fail("podman is not installed (run scripts/bootstrap.sh)")
    if podman("image", "exists", image).returncode != 0:
        pytest.fail(f"image {image} is missing (build it with tests/images/build.sh)")
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    started = podman("run", "-d", "--name", name, image, "/sbin/init")
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 90
        state = ""
        while time.monotonic() < deadline:
            state = podman("exec", name, "systemctl", "is-system-running").stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        assert state in ("running", "degraded"), f"systemd in {name} did not come up: {state!r}"
        yield name
    finally:
        podman("rm", "-f", "-t", "5", name)
