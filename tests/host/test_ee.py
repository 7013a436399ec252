# Copyright (c) kvmhost.setup contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The execution environment: execution-environment.yml is current (the newest
ansible-core of the support table on a Python it supports, the collection from
the locally built artifact), and the build context `ansible-builder create`
writes from it names what it should. Building the image needs an RPM-based
base image (`make ee EE_BASE_IMAGE=...`), which make test's machine cannot pull.
"""

from __future__ import annotations

import re
import shutil
import tarfile

import pytest

from hostutil import ARTIFACT_NAME, CONTROLLER_PYTHONS, GALAXY, ROOT, load_yaml, readme_support, run, tool

EE_FILE = ROOT / "execution-environment.yml"
# ansible-builder 3.x accepts exactly these top-level sections.
EE_V3_SECTIONS = {
    "additional_build_files", "additional_build_steps", "build_arg_defaults",
    "dependencies", "images", "options", "version",
}


@pytest.fixture(scope="module")
def ee() -> dict:
    return load_yaml(EE_FILE)


def newest_core() -> str:
    return max(readme_support(), key=lambda v: tuple(int(p) for p in v.split(".")))


def test_ee_is_a_version_3_definition(ee):
    assert ee["version"] == 3
    assert set(ee) <= EE_V3_SECTIONS, f"unknown sections {set(ee) - EE_V3_SECTIONS}"


def test_ee_runs_the_newest_supported_ansible_core_on_a_python_it_supports(ee):
    deps = ee["dependencies"]
    core = re.fullmatch(r"ansible-core==(\d+\.\d+)\.\d+", deps["ansible_core"]["package_pip"])
    assert core and core.group(1) == newest_core(), deps["ansible_core"]
    python = re.fullmatch(r"python(3\.\d+)", deps["python_interpreter"]["package_system"])
    # the EE is built on an RPM base image (RHEL's python3.12), which make test cannot pull:
    # a Python ansible-core supports as a controller, not one of the README's tested rows
    assert python and python.group(1) in CONTROLLER_PYTHONS[core.group(1)]
    assert deps["python_interpreter"]["python_path"] == f"/usr/bin/python{python.group(1)}"
    pinned_runner = re.search(r"^ansible-runner==(\S+)$", (ROOT / "tests" / "requirements.txt").read_text(), re.M)
    assert deps["ansible_runner"]["package_pip"] == f"ansible-runner=={pinned_runner.group(1)}", (
        "the EE's ansible-runner is the one the runner test uses"
    )


def test_ee_installs_the_local_artifact_and_the_runtime_requirements(ee):
    galaxy = ee["dependencies"]["galaxy"]["collections"]
    local = [c for c in galaxy if c.get("type") == "file"]
    assert [c["name"] for c in local] == [f"collections/{ARTIFACT_NAME}"], "the artifact of galaxy.yml's version"
    assert [(f["src"], f["dest"]) for f in ee["additional_build_files"]] == [(f".cache/ee/{ARTIFACT_NAME}", "collections")]
    from_galaxy = {c["name"] for c in galaxy if c.get("type") != "file"}
    runtime = {c["name"] for c in load_yaml(ROOT / "requirements.yml")["collections"]}
    assert from_galaxy == runtime


def test_ee_python_and_system_files_are_the_collections_own(ee):
    meta = load_yaml(ROOT / "meta" / "execution-environment.yml")["dependencies"]
    assert ee["dependencies"]["python"] == meta["python"]
    assert ee["dependencies"]["system"] == meta["system"]


# --- the build context ----------------------------------------------------------------


@pytest.fixture(scope="module")
def context(artifact, tmp_path_factory):
    """ansible-builder create on a copy of the EE files with the built artifact in place."""
    tree = tmp_path_factory.mktemp("ee")
    for name in ("execution-environment.yml", "requirements.txt", "bindep.txt"):
        shutil.copy(ROOT / name, tree / name)
    (tree / ".cache" / "ee").mkdir(parents=True)
    shutil.copy(artifact, tree / ".cache" / "ee" / ARTIFACT_NAME)
    out = tree / "context"
    proc = run([tool("ansible-builder"), "create", "-f", tree / "execution-environment.yml",
                "-c", out, "--output-filename", "Containerfile", "-v", "2"], cwd=tree)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "No matches" not in log and "does not exist" not in log, log
    return out


def test_containerfile_names_base_python_core_and_runner(context, ee):
    text = (context / "Containerfile").read_text(encoding="utf-8")
    deps = ee["dependencies"]
    assert f'ARG EE_BASE_IMAGE="{ee["images"]["base_image"]["name"]}"' in text
    assert f'ARG PYCMD="{deps["python_interpreter"]["python_path"]}"' in text
    assert f'ARG PYPKG="{deps["python_interpreter"]["package_system"]}"' in text
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"$', text, re.M).group(1).split()
    assert refs == [deps["ansible_core"]["package_pip"], deps["ansible_runner"]["package_pip"]]
    assert 'ARG PKGMGR="/usr/bin/dnf"' in text
    assert re.search(r"^RUN .*ansible-galaxy collection install .*-r requirements.yml", text, re.M)
    assert "COPY _build /build" in text
    assert "introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt" in text


def test_context_carries_the_built_artifact(context, artifact):
    copied = context / "_build" / "collections" / ARTIFACT_NAME
    assert copied.read_bytes() == artifact.read_bytes()
    with tarfile.open(copied) as tar:
        assert "roles/kvmhost_setup/tasks/main.yml" in tar.getnames()


def test_context_requirement_files(context):
    galaxy = load_yaml(context / "_build" / "requirements.yml")
    names = [c["name"] for c in galaxy["collections"]]
    assert names[0] == f"collections/{ARTIFACT_NAME}"
    for name in ("requirements.txt", "bindep.txt"):
        assert (context / "_build" / name).read_text() == (ROOT / name).read_text()


def test_introspect_finds_no_requirement_in_the_installed_artifact(artifact, tmp_path):
    """ansible-builder's introspect step (what the builder stage runs) reads the
    installed artifact's meta/execution-environment.yml: nothing to install."""
    collections = tmp_path / "collections"
    proc = run([tool("ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "--force",
                "-p", collections, artifact])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run([tool("ansible-builder"), "introspect", collections])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert load_yaml_text(proc.stdout) == {"python": [], "system": []}, proc.stdout
    # ...and it did read that file: a package listed there shows up with its origin
    installed = collections / "ansible_collections" / "kvmhost" / "setup"
    (installed / "requirements.txt").write_text("jmespath\n", encoding="utf-8")
    proc = run([tool("ansible-builder"), "introspect", collections])
    assert "jmespath  # from collection kvmhost.setup" in proc.stdout, proc.stdout


def load_yaml_text(text: str):
    import yaml

    return yaml.safe_load(text) or {}


def test_galaxy_version_matches_the_artifact_name():
    assert ARTIFACT_NAME == f"kvmhost-setup-{GALAXY['version']}.tar.gz"
